#pragma once

// The authorisation table: every RPC of shequ.v1 and every HTTP route, who may call it, whether
// it changes anything, and the resource rule that narrows it further (unit scope, ownership).
// Deny by default: a method without an entry is refused (auth::Gate). docs/security.md
// "Authorisation" shows this table; a test keeps the two the same.

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "daemon/engine/engine.h"

namespace google::protobuf {
class Message;
}  // namespace google::protobuf

namespace shequ::auth {

// ---- Roles ----------------------------------------------------------------------------------
// People and systems hold roles; a principal's unit says for which part of the district it acts.
inline constexpr std::string_view kDistrictAdmin = "district-admin";
inline constexpr std::string_view kLeadingGroup = "leading-group";
inline constexpr std::string_view kEstablishmentCommittee = "establishment-committee";  // 编委
inline constexpr std::string_view kPersonnel = "personnel";
inline constexpr std::string_view kStreetOffice = "street-office";
inline constexpr std::string_view kCommunity = "community";
inline constexpr std::string_view kDepartment = "department";
inline constexpr std::string_view kWorker = "worker";
inline constexpr std::string_view kAuditor = "auditor";
// Voters of the annual review's democratic appraisal (民主评议).
inline constexpr std::string_view kPartyMember = "party-member";
inline constexpr std::string_view kResidentRepresentative = "resident-representative";
inline constexpr std::string_view kRosterMigration = "roster-migration";
inline constexpr std::string_view kJobWorker = "job-worker";
inline constexpr std::string_view kMonitoring = "monitoring";

struct RoleInfo {
  std::string_view name;
  // Acts for the whole district when the principal has no unit; a unit-bound role with no unit
  // acts for none.
  bool district_wide;
  std::string_view who;  // for the documentation
};
const std::vector<RoleInfo>& Roles();
// Roles not in Roles() (the candidate roles of deployed workflows, "clerk") are unit-bound.
bool IsDistrictWide(std::string_view role);
// Whether `caller` holds one of the district-wide roles.
bool HoldsDistrictWideRole(const engine::Caller& caller);

// ---- Rules ----------------------------------------------------------------------------------
enum class Access {
  kPublic,         // no principal needed (health)
  kAuthenticated,  // any authenticated principal
  kRoles,          // a principal holding one of `roles`
};

// A check the gate makes on the request itself, after roles and unit scope: OK or
// PERMISSION_DENIED naming the rule.
using RequestCheck = absl::Status (*)(const engine::Caller& caller,
                                      const google::protobuf::Message& request);

struct Rule {
  std::string_view method;  // "shequ.v1.Workforce/ReviseQuota", "GET /healthz"
  Access access;
  std::vector<std::string_view> roles;  // for kRoles
  bool mutating;                        // changes state: the audit trail records the call
  // The request field naming the unit the call acts for ("unit_id", "worker.unit_id"), or "".
  // The gate refuses a unit outside the caller's scope, and a caller whose scope is not the
  // whole district when the field is empty.
  std::string_view unit_field;
  RequestCheck check = nullptr;  // more the gate checks on the request, or null
  // The rule in words, including what the handler checks on the stored resource (the unit of
  // the record, ownership); "" when the roles say it all.
  std::string_view resource;
};

const std::vector<Rule>& AuthorizationTable();
// The entry of `method`, or null: deny.
const Rule* FindRule(std::string_view method);

// Whether `caller` acts for `unit`: its unit is `unit` or above it in `units` (the registry's
// tree; null: only the unit itself), or it has no unit and holds a district-wide role.
bool ActsFor(const engine::Caller& caller, std::string_view unit, const engine::UnitTree* units);
// The PERMISSION_DENIED of a caller acting outside its scope: "street office bh.whl may act only
// for its communities: unit_id bh.hp.x is outside".
absl::Status OutOfScope(const engine::Caller& caller, std::string_view field,
                        std::string_view unit);

// The table and the roles as the Markdown of docs/security.md "Authorisation".
std::string AuthorizationMarkdown();

}  // namespace shequ::auth
