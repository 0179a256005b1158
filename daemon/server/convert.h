#pragma once

// The edge between gRPC and the engine: status codes, variables, and the
// mapping of stored objects to API messages.

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "daemon/engine/engine.h"
#include "daemon/engine/model.h"
#include "shequ/v1/incidents.pb.h"
#include "shequ/v1/instances.pb.h"
#include "shequ/v1/jobs.pb.h"
#include "shequ/v1/notifications.pb.h"
#include "shequ/v1/tasks.pb.h"

namespace shequ::server {

using engine::json;

grpc::Status ToGrpc(const absl::Status& status);

// Variables arrive as JSON text whose root is an object; "" means {}. Oversize input is
// RESOURCE_EXHAUSTED, anything else wrong INVALID_ARGUMENT naming `field`.
absl::StatusOr<json> ParseVariables(const std::string& text, const std::string& field,
                                    size_t max_bytes);

// Keyset paging: the token is the last id of the previous page.
absl::StatusOr<store::Page> PageOf(const shequ::v1::PageRequest& page);
std::string NextPageToken(int64_t last_id, size_t returned, int limit);

void ToProto(const store::InstanceRow& row, shequ::v1::Instance* out);
void ToProto(const engine::Task& task, shequ::v1::Task* out);
void ToProto(const engine::Job& job, const json& variables, shequ::v1::Job* out);
void ToProto(const engine::Incident& incident, shequ::v1::Incident* out);
void ToProto(const engine::Notification& n, shequ::v1::Notification* out);
void ToProto(const store::EventRow& row, shequ::v1::Event* out);

}  // namespace shequ::server
