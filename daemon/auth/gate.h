#pragma once

// The one authorisation hook in front of every API call: authenticates the caller, finds the
// method's entry in the authorisation table (none: denied), checks the caller's roles, the unit
// the request names and the table's check on the request, and hands the handler the caller.

#include <functional>
#include <string_view>

#include "absl/status/statusor.h"
#include "daemon/auth/authorization.h"
#include "daemon/auth/limits.h"
#include "daemon/auth/principal.h"
#include "daemon/engine/engine.h"

namespace google::protobuf {
class Message;
}  // namespace google::protobuf

namespace shequ::auth {

class Gate {
 public:
  // `authenticator` and `units` (the registry's tree; may be null) must outlive the gate.
  Gate(const Authenticator& authenticator, const engine::UnitTree* units);

  // Authenticates, checks `method` against the table, returns the caller with user = principal
  // name, roles, unit, call = method, credential. UNAUTHENTICATED when nobody is proven;
  // PERMISSION_DENIED naming the rule otherwise. Thread-safe; never blocks on the store.
  absl::StatusOr<engine::Caller> Admit(const grpc::ServerContextBase& call,
                                       std::string_view method,
                                       const google::protobuf::Message& request) const {
    return Admit(CredentialsOf(call), method, request);
  }
  // The same for credentials from another transport (the HTTP port).
  absl::StatusOr<engine::Caller> Admit(const Credentials& credentials, std::string_view method,
                                       const google::protobuf::Message& request) const;

  // The same on a principal already proven (tests).
  absl::StatusOr<engine::Caller> AdmitPrincipal(const Principal& principal,
                                                std::string_view method,
                                                const google::protobuf::Message& request) const;

  // Whether `caller` acts for `unit` (ActsFor over the gate's unit tree), and the refusal when
  // it does not: for the handlers' checks on stored records.
  bool ActsFor(const engine::Caller& caller, std::string_view unit) const;
  absl::Status RequireScope(const engine::Caller& caller, std::string_view field,
                            std::string_view unit) const;

  // Which unit tree scopes are checked against; the daemon sets it once its modules are open.
  void SetUnitTree(const engine::UnitTree* units) { units_ = units; }

  // Set before serving. An admitted call is then held to the caller's rate and to the size of
  // every field (daemon/auth/limits.h); a refused one (UNAUTHENTICATED, PERMISSION_DENIED) is
  // told to `on_refused` (the audit trail) with the request's request_id.
  void SetLimits(Limits* limits) { limits_ = limits; }
  using RefusalSink = std::function<void(const Principal& principal, std::string_view method,
                                         const std::string& request_id, const absl::Status&)>;
  void SetRefusalSink(RefusalSink on_refused) { on_refused_ = std::move(on_refused); }

 private:
  absl::StatusOr<engine::Caller> Authorize(const Principal& principal, std::string_view method,
                                           const google::protobuf::Message& request) const;
  void Refused(const Principal& principal, std::string_view method,
               const google::protobuf::Message& request, const absl::Status& why) const;

  const Authenticator& authenticator_;
  const engine::UnitTree* units_;
  Limits* limits_ = nullptr;
  RefusalSink on_refused_;
};

}  // namespace shequ::auth
