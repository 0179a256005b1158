#include "daemon/auth/authorization.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "shequ/v1/notifications.pb.h"
#include "shequ/v1/principals.pb.h"

namespace shequ::auth {
namespace {

// Debian's Abseil has its own string_view.
absl::string_view A(std::string_view v) { return {v.data(), v.size()}; }

// ---- Checks on the request ------------------------------------------------------------------

// A notification outbox is read by its recipient and by the holders of its role; the
// administrator, who answers for delivery, reads every one.
absl::Status OwnOutbox(const engine::Caller& c, std::string_view recipient,
                       const std::vector<std::string>& roles) {
  if (c.HasRole(std::string(kDistrictAdmin))) return absl::OkStatus();
  if (!recipient.empty() && recipient != c.user) {
    return absl::PermissionDeniedError(absl::StrCat(
        "recipient: ", c.user, " may read only their own notifications, not ", A(recipient), "'s"));
  }
  for (const auto& r : roles) {
    if (!c.HasRole(r)) {
      return absl::PermissionDeniedError(absl::StrCat(
          "role: ", c.user, " may read only the notifications of roles they hold, not ", r));
    }
  }
  return absl::OkStatus();
}

absl::Status OwnNotificationList(const engine::Caller& c, const google::protobuf::Message& m) {
  const auto& req = static_cast<const v1::ListNotificationsRequest&>(m);
  std::vector<std::string> roles;
  if (!req.role().empty()) roles.push_back(req.role());
  return OwnOutbox(c, req.recipient(), roles);
}

absl::Status OwnNotificationStream(const engine::Caller& c, const google::protobuf::Message& m) {
  const auto& req = static_cast<const v1::SubscribeRequest&>(m);
  return OwnOutbox(c, req.recipient(), {req.roles().begin(), req.roles().end()});
}

absl::Status OwnTokens(const engine::Caller& c, const google::protobuf::Message& m) {
  const auto& req = static_cast<const v1::ListTokensRequest&>(m);
  if (c.HasRole(std::string(kDistrictAdmin)) || req.principal().empty() ||
      req.principal() == c.user) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(absl::StrCat(
      "principal: ", c.user, " may list only their own tokens (name principal ", c.user, ")"));
}

// ---- The table ------------------------------------------------------------------------------

constexpr std::string_view kAdmin = kDistrictAdmin;
constexpr std::string_view kLg = kLeadingGroup;
constexpr std::string_view kEc = kEstablishmentCommittee;
constexpr std::string_view kHr = kPersonnel;
constexpr std::string_view kStreet = kStreetOffice;
constexpr std::string_view kAudit = kAuditor;

Rule Public(std::string_view method, std::string_view resource = "") {
  return {method, Access::kPublic, {}, false, "", nullptr, resource};
}
Rule Anyone(std::string_view method, bool mutating, std::string_view resource = "",
            std::string_view unit_field = "", RequestCheck check = nullptr) {
  return {method, Access::kAuthenticated, {}, mutating, unit_field, check, resource};
}
Rule Only(std::string_view method, std::vector<std::string_view> roles, bool mutating,
          std::string_view unit_field = "", std::string_view resource = "",
          RequestCheck check = nullptr) {
  return {method, Access::kRoles, std::move(roles), mutating, unit_field, check, resource};
}

std::vector<Rule> BuildTable() {
  constexpr bool kMutating = true, kRead = false;
  return {
      // HTTP routes of the HTTP port.
      Public("GET /healthz", "liveness; says nothing about the district"),
      Public("GET /readyz", "readiness; says nothing about the district"),
      Only("GET /metrics", {kAdmin, kAudit, kMonitoring}, kRead, "",
           "counters and latencies, no personal data and no business keys; still how busy each "
           "workflow is, so not for everyone"),

      // Definitions
      Only("shequ.v1.Definitions/Deploy", {kAdmin}, kMutating),
      Anyone("shequ.v1.Definitions/Get", kRead),
      Anyone("shequ.v1.Definitions/List", kRead),

      // Instances
      Only("shequ.v1.Instances/Start", {kAdmin, kLg, kStreet, kHr, kCommunity, kDepartment},
           kMutating, "unit", "the instance's unit is in the caller's scope"),
      Only("shequ.v1.Instances/Get", {kAdmin, kLg, kStreet, kHr, kCommunity, kDepartment, kAudit},
           kRead),
      Only("shequ.v1.Instances/List", {kAdmin, kLg, kStreet, kHr, kCommunity, kDepartment, kAudit},
           kRead, "unit", "the unit filter is in the caller's scope"),
      Only("shequ.v1.Instances/Cancel", {kAdmin}, kMutating),
      Only("shequ.v1.Instances/PublishMessage", {kAdmin, kLg, kStreet, kHr, kDepartment, kJobWorker},
           kMutating),
      Only("shequ.v1.Instances/Watch", {kAdmin, kLg, kStreet, kHr, kCommunity, kDepartment, kAudit},
           kRead),
      Only("shequ.v1.Instances/History", {kAdmin, kLg, kStreet, kHr, kCommunity, kDepartment, kAudit},
           kRead),

      // Tasks: the engine checks the task's candidate role and unit scope (or assignee) itself.
      Anyone("shequ.v1.Tasks/List", kRead,
             "the unit filter is in the caller's scope", "unit"),
      Anyone("shequ.v1.Tasks/Get", kRead),
      Anyone("shequ.v1.Tasks/Claim", kMutating,
             "the engine: the caller holds the task's candidate role within its unit, or is an "
             "assignee, or holds the escalation role once escalated"),
      Anyone("shequ.v1.Tasks/Complete", kMutating, "as Claim"),
      Anyone("shequ.v1.Tasks/Delegate", kMutating, "as Claim"),
      Anyone("shequ.v1.Tasks/Transfer", kMutating, "as Claim"),
      Anyone("shequ.v1.Tasks/Return", kMutating, "as Claim"),

      // Jobs: external workers and remote plugins.
      Only("shequ.v1.Jobs/Activate", {kJobWorker}, kMutating),
      Only("shequ.v1.Jobs/Complete", {kJobWorker}, kMutating,
           "", "the job's current attempt (the engine)"),
      Only("shequ.v1.Jobs/Fail", {kJobWorker}, kMutating, "",
           "the job's current attempt (the engine)"),

      // Incidents
      Only("shequ.v1.Incidents/List", {kAdmin, kAudit}, kRead),
      Only("shequ.v1.Incidents/Resolve", {kAdmin}, kMutating),

      // Notifications
      Anyone("shequ.v1.Notifications/List", kRead,
             "own outbox: recipient is the caller, role is one the caller holds (district-admin: "
             "any); the unit filter is in the caller's scope",
             "unit", OwnNotificationList),
      Anyone("shequ.v1.Notifications/Subscribe", kRead, "as List", "unit", OwnNotificationStream),
      Anyone("shequ.v1.Notifications/Ack", kMutating,
             "the engine: addressed to the caller, or to a role the caller holds within its unit"),

      // Admin
      Only("shequ.v1.Admin/AdvanceClock", {kAdmin}, kMutating, "",
           "only on a daemon started with --fake-clock (FAILED_PRECONDITION otherwise)"),
      Only("shequ.v1.Admin/Stats", {kAdmin, kAudit}, kRead),

      // Plugins
      Anyone("shequ.v1.Plugins/List", kRead),
      Anyone("shequ.v1.Plugins/Describe", kRead),
      Only("shequ.v1.Plugins/Invoke", {kAdmin, kLg, kDepartment}, kMutating, "",
           "a department only its own plugin (the plugin's department is the caller's unit)"),

      // Principals (identity)
      Only("shequ.v1.Principals/Put", {kAdmin}, kMutating),
      Only("shequ.v1.Principals/List", {kAdmin}, kRead),
      Only("shequ.v1.Principals/CreateToken", {kAdmin}, kMutating),
      Anyone("shequ.v1.Principals/ListTokens", kRead,
             "own tokens: principal is the caller (district-admin: any)", "", OwnTokens),
      Anyone("shequ.v1.Principals/RevokeToken", kMutating,
             "own tokens: the token belongs to the caller (district-admin: any)"),
      Anyone("shequ.v1.Principals/WhoAmI", kRead, "the caller itself"),

      // Audit
      Only("shequ.v1.Audit/List", {kAdmin, kAudit}, kRead),
      Only("shequ.v1.Audit/Verify", {kAdmin, kAudit}, kRead),

      // Personal data (PIPL): everything about one person; the sealing key
      Only("shequ.v1.PersonalData/Export", {kAdmin, kHr}, kRead,
           "", "reveals everything held about one ID number; audited as a reveal"),
      Only("shequ.v1.PersonalData/Erase", {kAdmin, kHr}, kMutating, "",
           "justification required; refused while the data is still needed (a worker not yet "
           "left, a running campaign's applicant); the audit entry names no ID number"),
      Only("shequ.v1.PersonalData/RotateKey", {kAdmin, kHr}, kMutating),
      Only("shequ.v1.PersonalData/GetKeyStatus", {kAdmin, kHr}, kRead),

      // Workforce
      Only("shequ.v1.Workforce/CreateUnit", {kAdmin}, kMutating),
      Only("shequ.v1.Workforce/UpdateUnit", {kAdmin}, kMutating),
      Anyone("shequ.v1.Workforce/GetUnit", kRead),
      Anyone("shequ.v1.Workforce/UnitTree", kRead),
      Only("shequ.v1.Workforce/ComputeQuota", {kAdmin, kLg, kEc, kHr, kStreet, kAudit}, kRead,
           "unit_id"),
      Only("shequ.v1.Workforce/ReviseQuota", {kEc}, kMutating, "",
           "approval_document required; approved_by is the caller"),
      Only("shequ.v1.Workforce/QuotaHistory", {kAdmin, kLg, kEc, kHr, kStreet, kAudit}, kRead,
           "unit_id"),
      Only("shequ.v1.Workforce/CreateWorker", {kHr, kStreet, kRosterMigration}, kMutating,
           "worker.unit_id",
           "employment contract (a quota post) only for roster-migration: contract workers "
           "enter through recruitment's hire"),
      Only("shequ.v1.Workforce/UpdateWorker", {kHr, kStreet, kRosterMigration}, kMutating, "",
           "the worker's unit is in the caller's scope; employment to contract only for "
           "roster-migration"),
      Only("shequ.v1.Workforce/GetWorker", {kAdmin, kLg, kHr, kStreet, kAudit, kWorker}, kRead,
           "",
           "the worker's unit is in the caller's scope; a worker only their own record (employee "
           "number = principal name); personal data unmasked for personal_data_roles in scope"),
      Only("shequ.v1.Workforce/ListWorkers", {kAdmin, kLg, kHr, kStreet, kAudit}, kRead, "unit_id",
           "personal data unmasked for personal_data_roles in scope"),
      Only("shequ.v1.Workforce/TransferWorker", {kHr, kStreet}, kMutating, "to_unit",
           "the worker's current unit is in the caller's scope"),
      Only("shequ.v1.Workforce/ChangeWorkerStatus", {kHr, kStreet}, kMutating, "",
           "the worker's unit is in the caller's scope"),
      Only("shequ.v1.Workforce/ConvertDispatch", {kHr}, kMutating, "",
           "the worker's unit is in the caller's scope; within the quota and the 10% cap"),
      Only("shequ.v1.Workforce/ImportRoster", {kHr, kRosterMigration}, kMutating, "",
           "rows with contract employment only for roster-migration"),
      Only("shequ.v1.Workforce/Export", {kAdmin, kLg, kHr, kStreet, kAudit}, kRead, "unit_id",
           "personal data unmasked for personal_data_roles in scope"),
      Only("shequ.v1.Workforce/Occupancy", {kAdmin, kLg, kEc, kHr, kStreet, kAudit}, kRead,
           "unit_id"),
      // Averages by post and grade across streets: no one's pay in particular.
      Only("shequ.v1.Workforce/PayParity", {kAdmin, kLg, kHr, kStreet, kAudit}, kRead),
      Only("shequ.v1.Workforce/History", {kAdmin, kLg, kHr, kStreet, kAudit, kWorker}, kRead, "",
           "the unit (or the worker's unit) is in the caller's scope; a worker only their own"),

      // Recruitment: the street office of the campaign keeps its records (the module checks the
      // campaign's street); the workflow's tasks check their roles in the engine.
      Only("shequ.v1.Recruitment/CreateCampaign", {kStreet}, kMutating, "campaign.street_unit_id",
           "the caller is the campaign's street office"),
      Anyone("shequ.v1.Recruitment/GetCampaign", kRead, "a published campaign"),
      Anyone("shequ.v1.Recruitment/ListCampaigns", kRead, "published campaigns"),
      Only("shequ.v1.Recruitment/ApproveCampaign", {kLg, kAdmin}, kMutating, "",
           "the engine: the task's candidate role (leading-group) or escalation role"),
      Anyone("shequ.v1.Recruitment/Apply", kMutating, "anyone may apply while applications are open"),
      Only("shequ.v1.Recruitment/ListApplications", {kAdmin, kLg, kHr, kStreet, kAudit}, kRead, "",
           "personal data unmasked for personal_data_roles"),
      Only("shequ.v1.Recruitment/ReviewApplication", {kStreet}, kMutating, "",
           "the campaign's street office"),
      Only("shequ.v1.Recruitment/FinishReview", {kStreet, kLg}, kMutating, "",
           "the engine: the step's candidate role within its unit"),
      Only("shequ.v1.Recruitment/DecideShortfall", {kStreet, kLg}, kMutating, "",
           "the engine: the step's candidate role within its unit"),
      Only("shequ.v1.Recruitment/ImportScores", {kStreet}, kMutating, "",
           "the campaign's street office"),
      Only("shequ.v1.Recruitment/Shortlist", {kStreet, kLg}, kMutating, "",
           "the engine: the step's candidate role within its unit"),
      Only("shequ.v1.Recruitment/Rank", {kStreet, kLg}, kMutating, "",
           "the engine: the step's candidate role within its unit"),
      Only("shequ.v1.Recruitment/GetRanking", {kAdmin, kLg, kHr, kStreet, kAudit}, kRead, "",
           "personal data unmasked for personal_data_roles"),
      Only("shequ.v1.Recruitment/RecordCheck", {kStreet}, kMutating, "",
           "the campaign's street office"),
      Only("shequ.v1.Recruitment/Withdraw", {kStreet}, kMutating, "",
           "the campaign's street office"),
      Only("shequ.v1.Recruitment/StartNotice", {kStreet, kLg}, kMutating, "",
           "the engine: the step's candidate role within its unit"),
      Anyone("shequ.v1.Recruitment/FileObjection", kMutating,
             "anyone may object during the public notice"),
      Only("shequ.v1.Recruitment/DecideObjection", {kStreet, kLg}, kMutating, "",
           "the engine: the investigation's candidate role within its unit, or its escalation"),

      // Annual review: the cycle's street office keeps it (the module checks the cycle's street
      // or the worker's unit against the caller's scope); the steps' tasks check their roles in
      // the engine. Ballots are secret: no answer names a voter's choice.
      Only("shequ.v1.Reviews/OpenCycle", {kStreet, kLg, kAdmin}, kMutating, "street_unit_id",
           "the caller acts for the street office"),
      Only("shequ.v1.Reviews/GetCycle", {kAdmin, kLg, kHr, kStreet, kAudit}, kRead, "",
           "the cycle's street is in the caller's scope"),
      Only("shequ.v1.Reviews/ListCycles", {kAdmin, kLg, kHr, kStreet, kAudit}, kRead,
           "street_unit_id", "without a street: the cycles of streets in the caller's scope"),
      Only("shequ.v1.Reviews/GetReview", {kAdmin, kLg, kHr, kStreet, kCommunity, kAudit, kWorker},
           kRead, "",
           "the reviewing or informed unit is in the caller's scope; a worker only their own; "
           "the tally only, never a ballot"),
      Only("shequ.v1.Reviews/ListReviews", {kAdmin, kLg, kHr, kStreet, kCommunity, kAudit}, kRead,
           "", "the workers reviewed (or informed of) in the caller's scope; tallies only"),
      Only("shequ.v1.Reviews/SubmitReport", {kStreet, kCommunity, kWorker}, kMutating, "",
           "the worker's reviewing unit is in the caller's scope; a worker only their own"),
      Only("shequ.v1.Reviews/CastBallot", {kPartyMember, kResidentRepresentative}, kMutating, "",
           "the worker's reviewing unit is in the voter's scope; one ballot per voter and worker; "
           "the audit entry names the voter and the worker, never the choice"),
      Only("shequ.v1.Reviews/RecordScores", {kStreet}, kMutating, "",
           "the cycle's street office, until sign-off"),
      Only("shequ.v1.Reviews/FinishStep", {kStreet, kCommunity, kWorker}, kMutating, "",
           "the engine: the step task's candidate or role within its unit, or its escalation"),
      Only("shequ.v1.Reviews/Calibrate", {kAdmin, kLg, kStreet, kAudit}, kRead, "",
           "the cycle's street is in the caller's scope"),
      Only("shequ.v1.Reviews/SignOff", {kStreet, kLg}, kMutating, "",
           "the engine: the sign-off task's role within its unit, or its escalation"),
      Only("shequ.v1.Reviews/GetResults", {kAdmin, kLg, kHr, kStreet, kAudit}, kRead, "",
           "the cycle's street is in the caller's scope"),
      Only("shequ.v1.Reviews/ExportResults", {kAdmin, kLg, kHr, kStreet, kAudit}, kRead, "",
           "the cycle's street is in the caller's scope"),
      Only("shequ.v1.Reviews/FileAppeal", {kWorker, kStreet, kCommunity}, kMutating, "",
           "a worker only their own; staff in the worker's scope on their behalf"),
      Only("shequ.v1.Reviews/DecideAppeal", {kLg}, kMutating, "",
           "the engine: the appeal task's role (leading-group)"),
      Only("shequ.v1.Reviews/ListOverdue", {kAdmin, kLg, kStreet, kAudit}, kRead, "",
           "the cycle's street is in the caller's scope"),
      Only("shequ.v1.Reviews/WorkerHistory", {kAdmin, kLg, kHr, kStreet, kAudit, kWorker}, kRead,
           "", "the worker's unit is in the caller's scope; a worker only their own"),
      Only("shequ.v1.Reviews/ImportRatings", {kHr, kAdmin}, kMutating, "",
           "earlier years' final ratings, all or nothing"),
  };
}

std::string StripDistrict(std::string_view unit) {
  return unit.empty() ? std::string("(no unit)") : std::string(unit);
}

}  // namespace

const std::vector<RoleInfo>& Roles() {
  static const std::vector<RoleInfo> kRoles = {
      {kDistrictAdmin, true,
       "the district's system administrator: definitions, units, principals and tokens, "
       "incidents, the fake clock"},
      {kLeadingGroup, true,
       "区社区建设工作领导小组办公室: approves vacancy filling, campaigns, inspections; reports"},
      {kEstablishmentCommittee, true, "区委编委: approves quota revisions"},
      {kPersonnel, true, "人社局 personnel staff: worker records and personal data"},
      {kStreetOffice, false,
       "街道办事处: recruits and manages the workers of its communities (its unit and below)"},
      {kCommunity, false, "社区: its own tasks and notifications"},
      {kDepartment, false,
       "职能部门 (person or system): its own plugin and requests; its unit names the department"},
      {kWorker, false, "社区工作者: their own record (the principal's name is the employee number)"},
      {kAuditor, true, "reads reports, incidents and the audit trail; changes nothing"},
      {kPartyMember, false,
       "党员 of a community: votes in the annual review's democratic appraisal of its workers"},
      {kResidentRepresentative, false,
       "居民代表 of a community: votes in the annual review's democratic appraisal"},
      {kRosterMigration, true,
       "granted by an administrator for a time: the first import of an existing roster, "
       "contract workers included"},
      {kJobWorker, true, "system: external job workers and remote plugins (Jobs/*)"},
      {kMonitoring, true, "system: the metrics scraper (Prometheus) reading /metrics"},
  };
  return kRoles;
}

bool IsDistrictWide(std::string_view role) {
  for (const auto& r : Roles()) {
    if (r.name == role) return r.district_wide;
  }
  return false;
}

const std::vector<Rule>& AuthorizationTable() {
  static const std::vector<Rule> kTable = BuildTable();
  return kTable;
}

const Rule* FindRule(std::string_view method) {
  for (const auto& rule : AuthorizationTable()) {
    if (rule.method == method) return &rule;
  }
  return nullptr;
}

bool HoldsDistrictWideRole(const engine::Caller& caller) {
  return std::any_of(caller.roles.begin(), caller.roles.end(),
                     [](const std::string& r) { return IsDistrictWide(r); });
}

bool ActsFor(const engine::Caller& caller, std::string_view unit,
             const engine::UnitTree* units) {
  if (caller.unit.empty()) return HoldsDistrictWideRole(caller);
  if (unit.empty()) return false;  // the whole district, wider than the caller's unit
  if (caller.unit == unit) return true;
  return units != nullptr && units->Covers(caller.unit, unit);
}

absl::Status OutOfScope(const engine::Caller& caller, std::string_view field,
                        std::string_view unit) {
  std::string who;
  if (caller.HasRole(std::string(kStreetOffice))) {
    who = absl::StrCat("street office ", StripDistrict(caller.unit),
                       " may act only for its communities");
  } else if (caller.HasRole(std::string(kCommunity))) {
    who = absl::StrCat("community ", StripDistrict(caller.unit), " may act only for itself");
  } else if (caller.HasRole(std::string(kDepartment))) {
    who = absl::StrCat("department ", StripDistrict(caller.unit), " may act only for itself");
  } else {
    who = absl::StrCat(caller.user, " (unit ", StripDistrict(caller.unit),
                       ") may act only for its unit and the units under it");
  }
  if (unit.empty()) return absl::PermissionDeniedError(absl::StrCat(who, ": name ", A(field)));
  return absl::PermissionDeniedError(absl::StrCat(who, ": ", A(field), " ", A(unit), " is outside"));
}

std::string AuthorizationMarkdown() {
  std::string out =
      "| role | scope | who |\n"
      "|---|---|---|\n";
  for (const auto& r : Roles()) {
    absl::StrAppend(&out, "| `", A(r.name), "` | ", r.district_wide ? "district" : "its unit",
                    " | ", A(r.who), " |\n");
  }
  absl::StrAppend(&out,
                  "\n| method or route | who may call | changes | unit field | resource rule |\n"
                  "|---|---|---|---|---|\n");
  for (const auto& rule : AuthorizationTable()) {
    std::string who;
    switch (rule.access) {
      case Access::kPublic:
        who = "public";
        break;
      case Access::kAuthenticated:
        who = "any authenticated principal";
        break;
      case Access::kRoles:
        for (auto role : rule.roles) absl::StrAppend(&who, who.empty() ? "" : ", ", A(role));
        break;
    }
    absl::StrAppend(&out, "| `", A(rule.method), "` | ", who, " | ", rule.mutating ? "yes" : "",
                    " | ",
                    rule.unit_field.empty() ? "" : absl::StrCat("`", A(rule.unit_field), "`"),
                    " | ", A(rule.resource), " |\n");
  }
  return out;
}

}  // namespace shequ::auth
