#include "daemon/auth/gate.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "daemon/core/status.h"

namespace shequ::auth {
namespace {

absl::string_view A(std::string_view v) { return {v.data(), v.size()}; }

// The string at `path` ("worker.unit_id") of `m`; "" when a message on the way is unset.
std::string FieldAt(const google::protobuf::Message& m, std::string_view path) {
  const google::protobuf::Message* at = &m;
  std::vector<std::string> parts = absl::StrSplit(A(path), '.');
  for (size_t i = 0; i < parts.size(); ++i) {
    const auto* field = at->GetDescriptor()->FindFieldByName(parts[i]);
    if (field == nullptr || field->is_repeated()) return "";
    const auto* reflection = at->GetReflection();
    if (i + 1 == parts.size()) {
      if (field->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_STRING) return "";
      return reflection->GetString(*at, field);
    }
    if (field->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE ||
        !reflection->HasField(*at, field)) {
      return "";
    }
    at = &reflection->GetMessage(*at, field);
  }
  return "";
}

std::string RoleList(const std::vector<std::string_view>& roles) {
  std::string out;
  for (auto role : roles) absl::StrAppend(&out, out.empty() ? "" : ", ", A(role));
  return out;
}

}  // namespace

Gate::Gate(const Authenticator& authenticator, const engine::UnitTree* units)
    : authenticator_(authenticator), units_(units) {}

absl::StatusOr<engine::Caller> Gate::Admit(const Credentials& call, std::string_view method,
                                           const google::protobuf::Message& request) const {
  // Deny before authenticating: an unknown method costs no credential check.
  if (FindRule(method) == nullptr) {
    return absl::PermissionDeniedError(absl::StrCat("no authorisation rule for ", A(method)));
  }
  absl::StatusOr<Principal> principal = authenticator_.Authenticate(call);
  if (!principal.ok()) {
    Refused(Principal{}, method, request, principal.status());
    return principal.status();
  }
  return AdmitPrincipal(*principal, method, request);
}

absl::StatusOr<engine::Caller> Gate::AdmitPrincipal(
    const Principal& p, std::string_view method, const google::protobuf::Message& request) const {
  absl::StatusOr<engine::Caller> caller = Authorize(p, method, request);
  if (!caller.ok()) {
    Refused(p, method, request, caller.status());
    return caller;
  }
  if (limits_ != nullptr) RETURN_IF_ERROR(limits_->Admit(p.name, method, request));
  return caller;
}

void Gate::Refused(const Principal& p, std::string_view method,
                   const google::protobuf::Message& request, const absl::Status& why) const {
  if (!on_refused_) return;
  if (why.code() != absl::StatusCode::kUnauthenticated &&
      why.code() != absl::StatusCode::kPermissionDenied) {
    return;  // a malformed request is the caller's mistake, not a security event
  }
  on_refused_(p, method, FieldAt(request, "request_id"), why);
}

absl::StatusOr<engine::Caller> Gate::Authorize(const Principal& p, std::string_view method,
                                               const google::protobuf::Message& request) const {
  const Rule* rule = FindRule(method);
  if (rule == nullptr) {
    return absl::PermissionDeniedError(absl::StrCat("no authorisation rule for ", A(method)));
  }
  engine::Caller caller;
  caller.user = p.name;
  caller.roles = p.roles;
  caller.unit = p.unit;
  caller.call = std::string(method);
  caller.credential = p.credential;
  if (rule->access == Access::kPublic) return caller;
  if (p.name.empty()) {
    return absl::UnauthenticatedError(
        absl::StrCat(A(method), " needs an authenticated principal; the call names none"));
  }
  if (rule->access == Access::kRoles) {
    bool allowed = false;
    for (auto role : rule->roles) allowed = allowed || p.HasRole(role);
    if (!allowed) {
      return absl::PermissionDeniedError(
          absl::StrCat(A(method), rule->roles.size() == 1 ? " needs role " : " needs one of the roles ",
                       RoleList(rule->roles)));
    }
    // The unit scope is the one of the roles that admit the caller, not of its other roles.
    std::vector<std::string> admitting;
    for (const auto& r : p.roles) {
      for (auto role : rule->roles) {
        if (r == role) admitting.push_back(r);
      }
    }
    caller.roles.swap(admitting);
    if (!rule->unit_field.empty()) {
      const std::string unit = FieldAt(request, rule->unit_field);
      if (!ActsFor(caller, unit)) {
        caller.roles.swap(admitting);
        return OutOfScope(caller, rule->unit_field, unit);
      }
    }
    caller.roles.swap(admitting);
  } else if (!rule->unit_field.empty()) {
    const std::string unit = FieldAt(request, rule->unit_field);
    // A filter left empty is the caller's business (what it may see is checked per object).
    if (!unit.empty() && !ActsFor(caller, unit)) return OutOfScope(caller, rule->unit_field, unit);
  }
  if (rule->check != nullptr) {
    if (absl::Status s = rule->check(caller, request); !s.ok()) return s;
  }
  return caller;
}

bool Gate::ActsFor(const engine::Caller& caller, std::string_view unit) const {
  return auth::ActsFor(caller, unit, units_);
}

absl::Status Gate::RequireScope(const engine::Caller& caller, std::string_view field,
                                std::string_view unit) const {
  if (ActsFor(caller, unit)) return absl::OkStatus();
  return OutOfScope(caller, field, unit);
}

}  // namespace shequ::auth
