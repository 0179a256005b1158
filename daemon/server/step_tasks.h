#pragma once

// The step calls of the domain services (Recruitment/ApproveCampaign, Reviews/SignOff, …):
// each completes the open task at a named node of the domain object's workflow as the caller —
// exactly what Tasks/Complete on that task does, with the engine's checks of who may — so a
// client need not look the task up first.

#include <grpcpp/grpcpp.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "daemon/engine/engine.h"
#include "daemon/server/services.h"

namespace shequ::server {

// Finds the open task of `instance_id` at one of `nodes` (on a reader) and completes it with
// `request` (its task_id is set here). FAILED_PRECONDITION "<what> is not open now" when there
// is none. After the commit `fill` runs on a reader and its status finishes the call.
void CompleteStepTask(ServiceContext& c, grpc::ServerUnaryReactor* r, engine::Caller caller,
                      int64_t instance_id, std::vector<std::string> nodes, std::string what,
                      engine::CompleteTaskRequest request, std::function<absl::Status()> fill);

}  // namespace shequ::server
