#pragma once

// Demo data for `make run` (config/demo/): the workflow instances of instances.yaml. Each module
// loads its own part of the demo (Module::LoadDemo). Loading is idempotent: every step carries a
// request_id, so a restart finds the data present and adds nothing.

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "daemon/engine/engine.h"

namespace shequ::server {

// Runs `call` and waits for the engine's reply (never on the engine strand).
absl::StatusOr<engine::json> Await(const std::function<void(engine::Reply)>& call);

// instances.yaml: each instance carries a request_id, so it is started once.
absl::Status StartDemoInstances(engine::Engine& engine, const std::string& file);

}  // namespace shequ::server
