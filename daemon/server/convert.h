#pragma once

// The edge between gRPC and the engine: caller identity, status codes, variables, and the
// mapping of stored objects to API messages.

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "daemon/auth/principal.h"
#include "daemon/engine/engine.h"
#include "daemon/engine/model.h"
#include "shequ/v1/incidents.pb.h"
#include "shequ/v1/instances.pb.h"
#include "shequ/v1/jobs.pb.h"
#include "shequ/v1/notifications.pb.h"
#include "shequ/v1/tasks.pb.h"

namespace shequ::server {

using engine::json;

// The caller of a call: the principal the daemon's authenticator proves (daemon/auth/chain.h),
// with the API token behind it as `credential`. Until the authorisation gate admits every call,
// a call that proves nothing acts as nobody (no name, no roles); before the daemon sets an
// authenticator, the x-shequ-* metadata name the caller.
void SetCallerAuthenticator(const auth::Authenticator* authenticator);
engine::Caller CallerOf(const grpc::CallbackServerContext* ctx);
// As CallerOf, but UNAUTHENTICATED naming why when the call proves nothing.
absl::StatusOr<engine::Caller> AuthenticatedCallerOf(const grpc::CallbackServerContext* ctx);
engine::Caller ToCaller(const auth::Principal& p);
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
