#pragma once

// The one authorisation hook in front of every API call: authenticates the caller, finds the
// method's entry in the authorisation table (none: denied), checks the caller's roles, the unit
// the request names and the table's check on the request, and hands the handler the caller.

#include <string_view>

#include "absl/status/statusor.h"
#include "daemon/auth/authorization.h"
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
                                       const google::protobuf::Message& request) const;

  // The same on a principal already proven (tests, the HTTP port).
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

 private:
  const Authenticator& authenticator_;
  const engine::UnitTree* units_;
};

}  // namespace shequ::auth
