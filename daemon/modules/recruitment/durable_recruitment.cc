#include "daemon/modules/recruitment/durable_recruitment.h"

#include <algorithm>
#include <iterator>
#include <memory>
#include <mutex>
#include <set>

#include "absl/strings/str_cat.h"
#include "daemon/core/csv.h"
#include "daemon/core/date.h"
#include "daemon/core/logging.h"
#include "daemon/core/status.h"
#include "absl/strings/numbers.h"
#include "daemon/domain/recruitment/onboarding.h"
#include "daemon/domain/recruitment/policy.h"
#include "daemon/modules/records.h"

namespace shequ::modules::recruitment {

using engine::json;
namespace wf = ::shequ::domain::workforce;

namespace {

// ---- JSON of the domain values (the field names of recruitment.proto) ----------------------

std::string Text(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}
int64_t Int(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return 0;
  if (it->is_number_integer()) return it->get<int64_t>();
  if (it->is_string()) return std::atoll(it->get<std::string>().c_str());  // proto3 JSON int64
  return 0;
}
std::vector<std::string> Texts(const json& j, const char* key) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return out;
  for (const json& v : *it) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

absl::StatusOr<rc::CampaignSpec> SpecFromJson(const json& j, const rc::RecruitmentPolicy& policy) {
  rc::CampaignSpec spec;
  spec.id = Text(j, "id");
  spec.street_unit_id = Text(j, "street_unit_id");
  spec.title = Text(j, "title");
  spec.opens = Text(j, "opens");
  spec.closes = Text(j, "closes");
  if (auto posts = j.find("posts"); posts != j.end() && posts->is_array()) {
    for (const json& p : *posts) {
      spec.posts.push_back({Text(p, "id"), Text(p, "unit_id"), Text(p, "post"),
                            static_cast<int>(Int(p, "count"))});
    }
  }
  spec.requirements = rc::DefaultRequirements(policy);
  if (auto r = j.find("requirements"); r != j.end() && r->is_object()) {
    rc::Requirements& req = spec.requirements;
    if (Int(*r, "min_age") > 0) req.min_age = static_cast<int>(Int(*r, "min_age"));
    if (Int(*r, "max_age") > 0) req.max_age = static_cast<int>(Int(*r, "max_age"));
    if (std::string e = Text(*r, "min_education"); !e.empty()) {
      auto edu = wf::ParseEnum<wf::Education>(e);
      if (!edu) {
        return absl::InvalidArgumentError(
            absl::StrCat("campaign.requirements.min_education: '", e, "' is not one of ",
                         wf::EnumChoices<wf::Education>()));
      }
      req.min_education = *edu;
    }
    req.certificates = Texts(*r, "certificates");
    req.other_conditions = Text(*r, "other_conditions");
  }
  return spec;
}

json SpecToJson(const rc::CampaignSpec& s) {
  json posts = json::array();
  for (const auto& p : s.posts) {
    posts.push_back({{"id", p.id}, {"unit_id", p.unit_id}, {"post", p.post}, {"count", p.count}});
  }
  const rc::Requirements& r = s.requirements;
  return {{"id", s.id},
          {"street_unit_id", s.street_unit_id},
          {"title", s.title},
          {"posts", posts},
          {"requirements",
           {{"min_age", r.min_age},
            {"max_age", r.max_age},
            {"min_education", wf::EnglishName(r.min_education)},
            {"certificates", r.certificates},
            {"other_conditions", r.other_conditions}}},
          {"opens", s.opens},
          {"closes", s.closes}};
}

absl::StatusOr<rc::Application> ApplicationFromJson(const json& j) {
  rc::Application a;
  a.post_id = Text(j, "post_id");
  a.personal = {Text(j, "name"), Text(j, "id_number"), Text(j, "phone")};
  const std::string edu = Text(j, "education");
  auto education = wf::ParseEnum<wf::Education>(edu);
  if (!education) {
    return absl::InvalidArgumentError(absl::StrCat("application.education: '", edu,
                                                   "' is not one of ",
                                                   wf::EnumChoices<wf::Education>()));
  }
  a.education = *education;
  const std::string src = Text(j, "source");
  if (!src.empty()) {
    auto source = wf::ParseEnum<rc::Source>(src);
    if (!source) {
      return absl::InvalidArgumentError(absl::StrCat(
          "application.source: '", src, "' is not one of ", wf::EnumChoices<rc::Source>()));
    }
    a.source = *source;
  }
  a.certificates = Texts(j, "certificates");
  a.categories = Texts(j, "categories");
  a.community_since = Text(j, "community_since");
  a.applied_at_ms = Int(j, "applied_at_ms");
  return a;
}

json PromotionJson(const std::optional<rc::Promotion>& p) {
  if (!p) return {{"removed_id", 0}, {"promoted_id", 0}};
  return {{"removed_id", p->removed_id}, {"promoted_id", p->promoted_id.value_or(0)}};
}

json CutsJson(const std::vector<rc::PostCut>& cuts) {
  json out = json::array();
  for (const auto& c : cuts) {
    if (c.released > 0) out.push_back({{"unit_id", c.unit_id}, {"posts", c.released}});
  }
  return out;
}

// A domain refusal the workflow answers by going back to the task; anything else (a bug, a
// broken store) is an incident for an operator.
bool IsRefusal(const absl::Status& s) {
  return s.code() == absl::StatusCode::kFailedPrecondition ||
         s.code() == absl::StatusCode::kInvalidArgument ||
         s.code() == absl::StatusCode::kNotFound || s.code() == absl::StatusCode::kAlreadyExists;
}
absl::StatusOr<json> Refused(const absl::Status& s) {
  if (!IsRefusal(s)) return s;
  return json{{"refused", std::string(s.message())}};
}

}  // namespace

DurableRecruitment::DurableRecruitment(engine::Engine& engine, store::Store& store,
                                       workforce::DurableRegistry& registry, Sealer sealer,
                                       std::string policy_yaml)
    : engine_(engine),
      store_(store),
      registry_(registry),
      sealer_(std::move(sealer)),
      policy_yaml_(std::move(policy_yaml)) {}

rc::DedupeKeyFn DurableRecruitment::Dedupe() const {
  // A keyed hash: raw ID numbers are never a map key.
  // Run tries the index before it applies an application, so a failure here would need the
  // hash to fail between two calls; the ID number itself, held in memory anyway, stands in.
  return [this](std::string_view id_number) {
    auto index = sealer_.BlindIndex(std::string(id_number));
    if (index.ok()) return *std::move(index);
    Logger("recruitment")->error("blind index: {}", index.status().ToString());
    return std::string(id_number);
  };
}

DurableRecruitment::Entry* DurableRecruitment::Find(const std::string& id) {
  auto it = campaigns_.find(id);
  return it == campaigns_.end() ? nullptr : &it->second;
}
const DurableRecruitment::Entry* DurableRecruitment::Find(const std::string& id) const {
  auto it = campaigns_.find(id);
  return it == campaigns_.end() ? nullptr : &it->second;
}

std::string DurableRecruitment::AfterWorkingDays(int64_t from_ms, int n) const {
  return date::Format(
      engine_.calendar().LocalDay(engine_.calendar().AddWorkingDays(from_ms, n)));
}

// ---- Commands ------------------------------------------------------------------------------

absl::StatusOr<json> DurableRecruitment::Apply(Entry& e, const std::string& command,
                                               const json& args) {
  rc::Campaign& c = e.campaign;
  const int64_t at = Int(args, "at_ms");
  const std::string today = Text(args, "today");
  if (command == "approve") {
    RETURN_IF_ERROR(c.Approve(at));
    RETURN_IF_ERROR(c.Publish(at));
    return json::object();
  }
  if (command == "cancel") {
    ASSIGN_OR_RETURN(auto cuts, c.Cancel(Text(args, "reason"), at));
    return json{{"release", CutsJson(cuts)}};
  }
  if (command == "apply") {
    ASSIGN_OR_RETURN(rc::Application a, ApplicationFromJson(args["application"]));
    a.applied_at_ms = at;
    ASSIGN_OR_RETURN(int64_t id, c.Apply(std::move(a), today));
    return json{{"application_id", id}};
  }
  if (command == "close") {
    RETURN_IF_ERROR(c.CloseApplications(today, at));
    return json::object();
  }
  if (command == "review") {
    RETURN_IF_ERROR(c.Review(Int(args, "application_id"), args.value("eligible", false),
                             Text(args, "reason"), Text(args, "by")));
    return json::object();
  }
  if (command == "cut") {
    ASSIGN_OR_RETURN(rc::PostCut cut,
                     c.CutPosts(Text(args, "post_id"), static_cast<int>(Int(args, "count"))));
    return json{{"release", CutsJson({cut})}};
  }
  if (command == "extend") {
    RETURN_IF_ERROR(c.ExtendWindow(Text(args, "closes"), at));
    return json::object();
  }
  if (command == "finish_review") {
    RETURN_IF_ERROR(c.FinishEligibilityReview(at));
    return json::object();
  }
  if (command == "scores_csv") {
    RETURN_IF_ERROR(c.ImportScoresCsv(Text(args, "csv")));
    return json::object();
  }
  if (command == "finish_written") {
    RETURN_IF_ERROR(c.FinishWrittenScores(at));
    return json::object();
  }
  if (command == "shortlist") {
    ASSIGN_OR_RETURN(auto lists, c.Shortlist(at));
    json out = json::array();
    for (const auto& s : lists) {
      out.push_back({{"post_id", s.post_id}, {"through", s.through},
                     {"cut_line", rc::FormatTenths(s.cut_line)}});
    }
    return json{{"shortlist", out}};
  }
  if (command == "finish_interviews") {
    RETURN_IF_ERROR(c.FinishInterviews(at));
    return json::object();
  }
  if (command == "rank") {
    RETURN_IF_ERROR(c.Rank(at));
    return json::object();
  }
  if (command == "start_checks") {
    RETURN_IF_ERROR(c.StartChecks(at));
    return json::object();
  }
  if (command == "check") {
    const std::string kind = Text(args, "kind");
    if (kind != "physical" && kind != "background") {
      return absl::InvalidArgumentError(
          absl::StrCat("kind: '", kind, "' is not physical or background"));
    }
    ASSIGN_OR_RETURN(auto promotion,
                     c.RecordCheck(Int(args, "application_id"),
                                   kind == "physical" ? rc::CheckKind::kPhysical
                                                      : rc::CheckKind::kBackground,
                                   args.value("passed", false), Text(args, "reason")));
    return PromotionJson(promotion);
  }
  if (command == "withdraw") {
    ASSIGN_OR_RETURN(auto promotion, c.Withdraw(Int(args, "application_id"), Text(args, "reason")));
    return PromotionJson(promotion);
  }
  if (command == "notice") {
    ASSIGN_OR_RETURN(auto ids, c.StartNotice(Text(args, "from"), Text(args, "until"), at));
    return json{{"in_notice", ids}};
  }
  if (command == "objection") {
    ASSIGN_OR_RETURN(rc::Investigation inv,
                     c.FileObjection(Int(args, "application_id"), Text(args, "text"), today));
    if (int64_t instance = Int(args, "instance_id")) e.investigations[inv.objection_id] = instance;
    return json{{"objection_id", inv.objection_id}, {"post_id", inv.post_id},
                {"unit_id", inv.unit_id}, {"candidate", inv.candidate},
                {"notice_until", inv.notice_until}};
  }
  if (command == "decide_objection") {
    ASSIGN_OR_RETURN(auto promotion, c.DecideObjection(Int(args, "objection_id"),
                                                       args.value("upheld", false),
                                                       Text(args, "reason")));
    return PromotionJson(promotion);
  }
  if (command == "hire") {
    RETURN_IF_ERROR(c.RecordHire(Int(args, "application_id"), Int(args, "worker_id"), at));
    return json::object();
  }
  if (command == "finish") {
    ASSIGN_OR_RETURN(auto cuts, c.Finish(at));
    return json{{"release", CutsJson(cuts)}};
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown campaign command '", command, "'"));
}

absl::StatusOr<json> DurableRecruitment::Run(engine::Engine::DomainTx& tx, Entry& e,
                                             const std::string& command, json args) {
  args["at_ms"] = tx.now();
  if (!args.contains("today")) args["today"] = registry_.Today();
  // Sealed before the campaign changes: a seal that fails leaves it as it was.
  ASSIGN_OR_RETURN(std::string sealed, sealer_.Seal(args.dump()));
  if (command == "apply") {
    const json& a = args.contains("application") ? args["application"] : json();
    RETURN_IF_ERROR(sealer_.BlindIndex(Text(a, "id_number")).status());
  }
  ASSIGN_OR_RETURN(json result, Apply(e, command, args));
  const rc::CampaignSpec& spec = e.campaign.spec();
  // Releasing posts that the campaign holds cannot be refused: it only gives quota back.
  if (auto it = result.find("release"); it != result.end()) {
    for (const json& r : *it) {
      auto released = registry_.Apply(tx, [&](wf::Registry& reg, const std::string& today) {
        return reg.ReleaseReservation(spec.id, r["unit_id"].get<std::string>(),
                                      r["posts"].get<int>(), today);
      });
      if (!released.ok()) {
        Logger("recruitment")->error("campaign {}: releasing posts at {}: {}", spec.id,
                                     r["unit_id"].get<std::string>(), released.status().ToString());
      }
    }
  }
  Log(tx, e, command, std::move(sealed));
  // The history names what happened, never who applied (no personal data in events).
  json event = {{"state", rc::StateName(e.campaign.state())}};
  for (const char* key : {"application_id", "objection_id", "post_id", "worker_id", "kind"}) {
    if (args.contains(key)) event[key] = args[key];
  }
  if (result.contains("application_id")) event["application_id"] = result["application_id"];
  tx.Record("campaign:" + spec.id, spec.street_unit_id, "recruitment." + command, event);
  return result;
}

void DurableRecruitment::Create(const engine::Caller& caller, SpecFn spec_of,
                                std::string request_id, engine::Reply reply) {
  engine_.ExecuteDomain(
      "Recruitment.CreateCampaign", std::move(request_id), caller,
      [this, caller, spec_of = std::move(spec_of)](engine::Engine::DomainTx& tx)
          -> absl::StatusOr<json> {
        for (const char* workflow : {kWorkflow, kObjectionWorkflow, kOnboardingWorkflow}) {
          if (!engine_.GetDefinition(workflow)) {
            return absl::FailedPreconditionError(
                absl::StrCat("workflow '", workflow, "' is not deployed"));
          }
        }
        ASSIGN_OR_RETURN(rc::RecruitmentPolicy policy, rc::ParseRecruitmentPolicy(policy_yaml_));
        ASSIGN_OR_RETURN(rc::CampaignSpec spec, spec_of(policy));
        if (!(caller.HasRole("street-office") && caller.unit == spec.street_unit_id)) {
          return absl::PermissionDeniedError(absl::StrCat(
              "campaign.street_unit_id: only the street office of ", spec.street_unit_id,
              " (role street-office, unit ", spec.street_unit_id, ") may open its campaign"));
        }
        std::unique_lock lock(mu_);
        if (campaigns_.count(spec.id)) {
          return absl::AlreadyExistsError(absl::StrCat("campaign.id: campaign '", spec.id,
                                                       "' exists already"));
        }
        ASSIGN_OR_RETURN(rc::Campaign campaign,
                         rc::Campaign::Create(spec, std::move(policy), tx.now(), Dedupe()));
        // Every post checked against its street, the grade ladder and its vacancies, and
        // reserved: all or none.
        RETURN_IF_ERROR(registry_.Read([&](const wf::Registry& reg) -> absl::Status {
          const auto& posts = campaign.spec().posts;
          for (size_t i = 0; i < posts.size(); ++i) {
            const auto& p = posts[i];
            const std::string field = absl::StrCat("campaign.posts[", i, "]");
            auto unit = reg.GetUnit(p.unit_id);
            if (!unit.ok()) {
              return absl::InvalidArgumentError(
                  absl::StrCat(field, ".unit_id: no unit '", p.unit_id, "' in the registry"));
            }
            if (p.unit_id != spec.street_unit_id && unit->parent_id != spec.street_unit_id) {
              return absl::InvalidArgumentError(absl::StrCat(
                  field, ".unit_id: ", p.unit_id, " is not in street ", spec.street_unit_id));
            }
            if (reg.grade_policy().FindPost(p.post) == nullptr) {
              std::string known;
              for (const auto& d : reg.grade_policy().posts) {
                absl::StrAppend(&known, known.empty() ? "" : ", ", d.id);
              }
              return absl::InvalidArgumentError(absl::StrCat(
                  field, ".post: '", p.post, "' is not a post of the grade ladder (", known, ")"));
            }
          }
          return absl::OkStatus();
        }));
        engine::StartArgs args;
        args.definition_id = kWorkflow;
        args.business_key = spec.id;
        args.unit = spec.street_unit_id;
        args.variables = {{"campaign_id", spec.id},
                          {"title", spec.title},
                          {"street", spec.street_unit_id},
                          {"opens", spec.opens},
                          {"closes", spec.closes}};
        ASSIGN_OR_RETURN(int64_t instance, tx.StartInstance(std::move(args)));
        // Sealed before the quota is reserved: a seal that fails changes nothing.
        json log = {{"campaign", SpecToJson(campaign.spec())},
                    {"policy_yaml", policy_yaml_},
                    {"at_ms", tx.now()},
                    {"instance_id", instance}};
        ASSIGN_OR_RETURN(std::string sealed, sealer_.Seal(log.dump()));
        const auto needed = campaign.QuotaNeeded();
        ASSIGN_OR_RETURN(wf::Change reserved,
                         registry_.Apply(tx, [&](wf::Registry& reg, const std::string& today) {
                           return reg.ReserveQuotas(spec.id, needed, today);
                         }));
        (void)reserved;
        Entry& e = campaigns_.emplace(spec.id, Entry{std::move(campaign)}).first->second;
        e.instance_id = instance;
        Log(tx, e, "create", std::move(sealed));
        tx.Record("campaign:" + spec.id, spec.street_unit_id, "recruitment.create",
                  {{"state", "draft"}, {"instance_id", instance}});
        return json{{"campaign_id", spec.id}, {"instance_id", instance}};
      },
      std::move(reply));
}

void DurableRecruitment::Command(const engine::Caller& caller, std::string campaign_id,
                                 std::string command, json args, std::string request_id,
                                 engine::Reply reply) {
  engine_.ExecuteDomain(
      "Recruitment.Command", std::move(request_id), caller,
      [this, caller, campaign_id = std::move(campaign_id), command = std::move(command),
       args = std::move(args)](engine::Engine::DomainTx& tx) mutable -> absl::StatusOr<json> {
        std::unique_lock lock(mu_);
        Entry* e = Find(campaign_id);
        if (!e) return absl::NotFoundError(absl::StrCat("campaign_id: no campaign '", campaign_id, "'"));
        // The street office keeps the campaign's records; anyone may apply or object.
        const std::string& street = e->campaign.spec().street_unit_id;
        if (command != "apply" && command != "objection" &&
            !(caller.HasRole("street-office") && caller.unit == street)) {
          return absl::PermissionDeniedError(absl::StrCat(
              command, ": only the street office of campaign ", campaign_id,
              " (role street-office, unit ", street, ") may; the caller is ",
              caller.user.empty() ? "unnamed" : caller.user));
        }
        if (command == "review") args["by"] = caller.user;
        if (command != "objection") return Run(tx, *e, command, std::move(args));
        // An objection opens an investigation for the campaign's street office, whose instance
        // id is logged with the objection: check the workflow first, so nothing fails after
        // the campaign changed.
        if (!engine_.GetDefinition(kObjectionWorkflow)) {
          return absl::FailedPreconditionError(
              absl::StrCat("workflow '", kObjectionWorkflow, "' is not deployed"));
        }
        args["today"] = registry_.Today();
        args["at_ms"] = tx.now();
        // The instance id goes into the log after the campaign changed: keep the campaign as it
        // was, to put back if the seal fails (objections are few; the copy is affordable).
        Entry before = *e;
        ASSIGN_OR_RETURN(json filed, Apply(*e, "objection", args));
        const rc::CampaignSpec& spec = e->campaign.spec();
        engine::StartArgs start;
        start.definition_id = kObjectionWorkflow;
        start.business_key = campaign_id;
        start.unit = spec.street_unit_id;
        start.variables = {{"campaign_id", campaign_id},
                           {"street", spec.street_unit_id},
                           {"objection_id", filed["objection_id"]},
                           {"application_id", args["application_id"]},
                           {"candidate", filed["candidate"]},
                           {"notice_until", filed["notice_until"]},
                           {"text", args["text"]}};
        auto instance_or = tx.StartInstance(std::move(start));
        if (!instance_or.ok()) {
          *e = std::move(before);
          return instance_or.status();
        }
        const int64_t instance = *instance_or;
        args["instance_id"] = instance;
        auto sealed = sealer_.Seal(args.dump());
        if (!sealed.ok()) {
          *e = std::move(before);
          return sealed.status();
        }
        e->investigations[filed["objection_id"].get<int64_t>()] = instance;
        Log(tx, *e, "objection", *std::move(sealed));
        tx.Record("campaign:" + campaign_id, spec.street_unit_id, "recruitment.objection",
                  {{"objection_id", filed["objection_id"]},
                   {"application_id", args["application_id"]},
                   {"instance_id", instance}});
        filed["instance_id"] = instance;
        return filed;
      },
      std::move(reply));
}

// ---- Workflow steps ------------------------------------------------------------------------

absl::StatusOr<DurableRecruitment::Entry*> DurableRecruitment::FromStep(
    const engine::Engine::HandlerCall& call) {
  const std::string id = Text(call.variables, "campaign_id");
  Entry* e = Find(id);
  if (!e) return absl::NotFoundError(absl::StrCat("campaign_id: no campaign '", id, "'"));
  return e;
}

void DurableRecruitment::RegisterHandlers() {
  using Call = engine::Engine::HandlerCall;
  using Tx = engine::Engine::DomainTx;
  // Each step runs its commands in order; the first refusal stops it and is answered as
  // `refused` (the commands before it stay applied: each is a state of its own).
  auto step = [this](std::vector<std::string> commands, auto finish) {
    return [this, commands = std::move(commands), finish](Tx& tx, const Call& call)
               -> absl::StatusOr<json> {
      std::unique_lock lock(mu_);
      ASSIGN_OR_RETURN(Entry * e, FromStep(call));
      json out = {{"refused", nullptr}};
      for (const std::string& command : commands) {
        auto r = Run(tx, *e, command, json::object());
        if (!r.ok()) return Refused(r.status());
        out.update(*r);
      }
      out.erase("release");
      return finish(tx, *e, call, std::move(out));
    };
  };
  auto same = [](Tx&, Entry&, const Call&, json out) -> absl::StatusOr<json> { return out; };

  engine_.RegisterHandler(
      "recruitment.publish",
      step({"approve"}, [](Tx&, Entry& e, const Call&, json out) -> absl::StatusOr<json> {
        // The window closes at the end of its last day: the timer waits for the next midnight.
        out["window_over"] = rc::AddDays(e.campaign.spec().closes, 1);
        return out;
      }));
  engine_.RegisterHandler("recruitment.close", step({"close"}, same));
  engine_.RegisterHandler("recruitment.shortlist", step({"finish_written", "shortlist"}, same));
  engine_.RegisterHandler("recruitment.rank",
                          step({"finish_interviews", "rank", "start_checks"}, same));
  engine_.RegisterHandler("recruitment.finish", step({"finish"}, same));

  engine_.RegisterHandler("recruitment.cancel", [this](Tx& tx, const Call& call)
                                                    -> absl::StatusOr<json> {
    std::unique_lock lock(mu_);
    ASSIGN_OR_RETURN(Entry * e, FromStep(call));
    std::string reason = Text(call.variables, "comment");
    if (reason.empty()) reason = "not approved by the leading group";
    ASSIGN_OR_RETURN(json r, Run(tx, *e, "cancel", {{"reason", reason}}));
    return json::object();
  });

  engine_.RegisterHandler("recruitment.finish-review", [this](Tx& tx, const Call& call)
                                                           -> absl::StatusOr<json> {
    std::unique_lock lock(mu_);
    ASSIGN_OR_RETURN(Entry * e, FromStep(call));
    const auto shortfalls = e->campaign.Shortfalls();
    if (!shortfalls.empty()) {
      json list = json::array();
      for (const auto& s : shortfalls) {
        list.push_back({{"post_id", s.post_id}, {"unit_id", s.unit_id}, {"posts", s.posts},
                        {"eligible", s.eligible}, {"needed", s.needed}});
      }
      return json{{"shortfall", true}, {"shortfalls", list}, {"refused", nullptr}};
    }
    auto r = Run(tx, *e, "finish_review", json::object());
    if (!r.ok()) return Refused(r.status());
    return json{{"shortfall", false}, {"shortfalls", json::array()}, {"refused", nullptr}};
  });

  // The leading group's answer to a shortfall, from the task's variables: outcome "cut" with
  // `cut: [{post_id, count}]`, or "extend" with `extend_until`.
  engine_.RegisterHandler("recruitment.decide-shortfall", [this](Tx& tx, const Call& call)
                                                              -> absl::StatusOr<json> {
    std::unique_lock lock(mu_);
    ASSIGN_OR_RETURN(Entry * e, FromStep(call));
    const json& v = call.variables;
    if (Text(v, "outcome") == "extend") {
      const std::string until = Text(v, "extend_until");
      auto r = Run(tx, *e, "extend", {{"closes", until}});
      if (!r.ok()) return Refused(r.status());
      return json{{"refused", nullptr}, {"window_over", rc::AddDays(until, 1)}};
    }
    auto cuts = v.find("cut");
    if (cuts == v.end() || !cuts->is_array() || cuts->empty()) {
      return json{{"refused", "cut: list the posts to cut, [{post_id, count}]"}};
    }
    for (const json& c : *cuts) {
      auto r = Run(tx, *e, "cut", {{"post_id", Text(c, "post_id")}, {"count", Int(c, "count")}});
      if (!r.ok()) return Refused(r.status());
    }
    return json{{"refused", nullptr}};
  });

  engine_.RegisterHandler("recruitment.notice", [this](Tx& tx, const Call& call)
                                                    -> absl::StatusOr<json> {
    std::unique_lock lock(mu_);
    ASSIGN_OR_RETURN(Entry * e, FromStep(call));
    const std::string from = registry_.Today();
    const std::string until =
        AfterWorkingDays(tx.now(), e->campaign.policy().notice_working_days);
    auto r = Run(tx, *e, "notice", {{"from", from}, {"until", until}});
    if (!r.ok()) return Refused(r.status());
    return json{{"refused", nullptr}, {"notice_until", until},
                {"notice_over", rc::AddDays(until, 1)}};
  });

  engine_.RegisterHandler("recruitment.hire", [this](Tx& tx, const Call& call)
                                                  -> absl::StatusOr<json> {
    std::unique_lock lock(mu_);
    ASSIGN_OR_RETURN(Entry * e, FromStep(call));
    return HireReady(tx, *e);
  });

  engine_.RegisterHandler("recruitment.decide-objection", [this](Tx& tx, const Call& call)
                                                              -> absl::StatusOr<json> {
    std::unique_lock lock(mu_);
    ASSIGN_OR_RETURN(Entry * e, FromStep(call));
    const json& v = call.variables;
    auto r = Run(tx, *e, "decide_objection",
                 {{"objection_id", Int(v, "objection_id")},
                  {"upheld", Text(v, "outcome") == "upheld"},
                  {"reason", Text(v, "comment").empty() ? Text(v, "outcome") : Text(v, "comment")}});
    if (!r.ok()) return Refused(r.status());
    return json{{"refused", nullptr}, {"promoted_id", (*r)["promoted_id"]}};
  });
  RegisterOnboardingHandlers();
}

void DurableRecruitment::RegisterOnboardingHandlers() {
  using Call = engine::Engine::HandlerCall;
  using Tx = engine::Engine::DomainTx;
  // The contract's term and probation (from the contract task) checked against the law, and
  // the policy's steps dated for this hire.
  engine_.RegisterHandler("onboarding.plan", [this](Tx& tx, const Call& call)
                                                 -> absl::StatusOr<json> {
    const json& v = call.variables;
    if (!v.contains("contract_term_months") || !v.contains("probation_months")) {
      return json{{"refused",
                   "contract_term_months and probation_months: required (months; a term of -1 "
                   "is open-ended)"}};
    }
    rc::RecruitmentPolicy policy;
    {
      std::shared_lock lock(mu_);
      const Entry* e = Find(Text(v, "campaign_id"));
      if (!e) return absl::NotFoundError(absl::StrCat("campaign_id: no campaign '", Text(v, "campaign_id"), "'"));
      policy = e->campaign.policy();
    }
    const int term = static_cast<int>(Int(v, "contract_term_months"));
    const int probation = static_cast<int>(Int(v, "probation_months"));
    auto plan = rc::PlanOnboarding(policy, Text(v, "hired_on"), term, probation);
    if (!plan.ok()) return Refused(plan.status());
    json steps = json::array(), review = nullptr, conversion = nullptr;
    for (const rc::PlannedStep& p : *plan) {
      std::string role = p.step.owner;
      std::replace(role.begin(), role.end(), '_', '-');
      json step = {{"id", p.step.id},          {"name", p.step.name},
                   {"kind", wf::EnglishName(p.step.kind)}, {"role", role},
                   {"unit", p.step.owner == "street_office" ? Text(v, "street") : ""},
                   {"due_on", p.due_on},       {"remind_on", p.remind_on}};
      if (!p.step.insurance.empty()) step["insurance"] = p.step.insurance;
      switch (p.step.kind) {
        case rc::MilestoneKind::kContract: break;  // the contract task itself
        case rc::MilestoneKind::kProbationReview: review = step; break;
        case rc::MilestoneKind::kConversion: conversion = step; break;
        default: steps.push_back(step);
      }
    }
    // On the worker's record: the probation's end (or regular status at once without one).
    const std::string until = probation ? rc::AddMonths(Text(v, "hired_on"), probation) : "";
    RETURN_IF_ERROR(registry_
                        .Apply(tx,
                               [&](wf::Registry& reg, const std::string& today) {
                                 return reg.RecordContract(Int(v, "worker_id"), term, until, today);
                               })
                        .status());
    return json{{"refused", nullptr}, {"steps", steps}, {"probation_review", review},
                {"conversion", conversion}};
  });
  // A step done, on the worker's record (Workforce/History).
  engine_.RegisterHandler("onboarding.record-step", [this](Tx& tx, const Call& call)
                                                        -> absl::StatusOr<json> {
    const json& v = call.variables;
    const json& step = v.contains("step") ? v["step"] : json();
    const std::string id =
        step.is_object() ? Text(step, "id") : step.is_string() ? step.get<std::string>() : "";
    if (id == "conversion") {  // regular status is a field of the worker, not just history
      RETURN_IF_ERROR(registry_
                          .Apply(tx,
                                 [&](wf::Registry& reg, const std::string& today) {
                                   return reg.ConvertToRegular(Int(v, "worker_id"), today);
                                 })
                          .status());
      return json::object();
    }
    json data = {{"step", id}, {"done_on", registry_.Today()}};
    if (step.is_object() && step.contains("insurance")) data["insurance"] = step["insurance"];
    if (v.contains("outcome") && v["outcome"].is_string()) data["outcome"] = v["outcome"];
    tx.Record(absl::StrCat("worker:", Int(v, "worker_id")), Text(v, "unit"), "worker.onboarding",
              std::move(data));
    return json::object();
  });
}

absl::StatusOr<json> DurableRecruitment::HireReady(engine::Engine::DomainTx& tx, Entry& e) {
  // Each hire changes the registry, then logs the hire in the campaign: a seal failing between
  // the two would leave a worker hired whom the campaign does not know; try one first.
  RETURN_IF_ERROR(sealer_.Seal("").status());
  const std::string today = registry_.Today();
  const rc::Campaign& c = e.campaign;
  json hired = json::array(), failed = json::array();
  for (int64_t id : c.ReadyToHire(today)) {
    ASSIGN_OR_RETURN(rc::Application a, c.Get(id));
    const rc::CampaignPost* post = nullptr;
    for (const auto& p : c.spec().posts) {
      if (p.id == a.post_id) post = &p;
    }
    if (!post) return absl::InternalError(absl::StrCat("application ", id, ": no post"));
    int64_t worker_id = 0;
    auto change = registry_.Apply(tx, [&](wf::Registry& reg, const std::string& day)
                                          -> absl::StatusOr<wf::Change> {
      ASSIGN_OR_RETURN(int grade, rc::GradeAtHire(reg, post->post, a.community_since, day,
                                                           a.education));
      ASSIGN_OR_RETURN(wf::Worker w, c.PrepareHire(id, grade, day));
      return reg.HireReserved(c.spec().id, std::move(w), day);
    });
    if (!change.ok()) {
      if (!IsRefusal(change.status())) return change.status();
      failed.push_back({{"application_id", id}, {"error", std::string(change.status().message())}});
      continue;
    }
    worker_id = change->workers.empty() ? 0 : change->workers.front().id;
    RETURN_IF_ERROR(Run(tx, e, "hire", {{"application_id", id}, {"worker_id", worker_id}}).status());
    engine::StartArgs start;
    start.definition_id = kOnboardingWorkflow;
    start.business_key = absl::StrCat("worker:", worker_id);
    start.unit = post->unit_id;
    start.variables = {{"worker_id", worker_id},
                       {"campaign_id", c.spec().id},
                       {"unit", post->unit_id},
                       {"street", c.spec().street_unit_id},
                       {"post", post->post},
                       {"hired_on", today}};
    ASSIGN_OR_RETURN(int64_t onboarding, tx.StartInstance(std::move(start)));
    hired.push_back({{"application_id", id}, {"worker_id", worker_id},
                     {"onboarding_instance", onboarding}});
  }
  // What next: a refused hire goes to the leading group; promoted candidates still need their
  // checks; candidates in notice or under an objection are waited for; otherwise finish.
  std::string next = "finish";
  bool checks = false, waiting = false;
  for (const rc::Application& a : c.applications()) {
    if (a.status == rc::CandidateStatus::kSelected) checks = true;
    if (a.status == rc::CandidateStatus::kNotice) waiting = true;
  }
  if (!failed.empty()) {
    next = "hire_failed";
  } else if (checks) {
    next = "checks";
  } else if (waiting) {
    next = "wait";
  }
  return json{{"hired", hired}, {"hire_failures", failed}, {"next_step", next},
              {"refused", nullptr}};
}

// ---- Recovery ------------------------------------------------------------------------------

namespace {
constexpr std::string_view kLogFields[] = {"at_ms", "command", "sealed"};
}  // namespace

std::vector<store::TableSpec> DurableRecruitment::Tables() { return {{kLog, {"campaign_id"}}}; }

void DurableRecruitment::Log(engine::Engine::DomainTx& tx, Entry& e, const std::string& command,
                             std::string sealed) {
  const std::string& id = e.campaign.spec().id;
  json body = {{"at_ms", tx.now()}, {"command", command}, {"sealed", std::move(sealed)}};
  tx.rows().records.push_back(
      AppendRecord(kLog, absl::StrCat(id, "/", NumberKey(++e.seq)), body.dump(), {id}));
}

absl::Status DurableRecruitment::Recover() {
  size_t commands = 0;
  std::unique_lock lock(mu_);
  // Keys "<campaign>/<seq of 12 digits>": each campaign's commands come in order.
  RETURN_IF_ERROR(store::ForEachRecord(store_, {.table = kLog}, [&](store::Record&& r)
                                                                    -> absl::Status {
    const size_t slash = r.key.rfind('/');
    int64_t seq = 0;
    if (slash == std::string::npos || !absl::SimpleAtoi(r.key.substr(slash + 1), &seq)) {
      return absl::DataLossError(absl::StrCat(kLog, " ", r.key, ": not <campaign>/<seq>"));
    }
    const std::string campaign_id = r.key.substr(0, slash);
    ASSIGN_OR_RETURN(json body, ReadBody(kLog, r, kLogFields));
    const std::string command = body.value("command", "");
    auto fail = [&](const absl::Status& why) {
      return absl::DataLossError(absl::StrCat("campaign ", campaign_id, " command ", seq, " (",
                                              command, "): ", why.message()));
    };
    if (!body["sealed"].is_string()) return fail(absl::DataLossError("no sealed arguments"));
    auto text = sealer_.Open(body["sealed"].get<std::string>());
    if (!text.ok()) return fail(text.status());
    json args = json::parse(*text, nullptr, false);
    if (args.is_discarded()) return fail(absl::DataLossError("unreadable arguments"));
    ++commands;
    if (auto st = Replay(campaigns_, campaign_id, seq, command, args); !st.ok()) return fail(st);
    return absl::OkStatus();
  }));
  Logger("recruitment")->info("recruitment: {} campaigns rebuilt from {} commands",
                              campaigns_.size(), commands);
  return absl::OkStatus();
}

absl::Status DurableRecruitment::Replay(std::map<std::string, Entry>& campaigns,
                                        const std::string& campaign_id, int64_t seq,
                                        const std::string& command, const json& args) {
  if (command == "create") {
    ASSIGN_OR_RETURN(auto policy, rc::ParseRecruitmentPolicy(Text(args, "policy_yaml")));
    ASSIGN_OR_RETURN(auto spec, SpecFromJson(args.value("campaign", json::object()), policy));
    ASSIGN_OR_RETURN(auto campaign, rc::Campaign::Create(std::move(spec), std::move(policy),
                                                         Int(args, "at_ms"), Dedupe()));
    Entry& e = campaigns.emplace(campaign_id, Entry{std::move(campaign)}).first->second;
    e.seq = seq;
    e.instance_id = Int(args, "instance_id");
    return absl::OkStatus();
  }
  auto it = campaigns.find(campaign_id);
  if (it == campaigns.end() || seq != it->second.seq + 1) {
    return absl::DataLossError("out of order");
  }
  // A command the campaign accepted once is accepted again: anything else is a bug.
  RETURN_IF_ERROR(Apply(it->second, command, args).status());
  it->second.seq = seq;
  return absl::OkStatus();
}

// ---- Erasure -------------------------------------------------------------------------------

namespace {

std::string Trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

// The normalised number of a logged application, "" when it is not one.
std::string NormalizedId(const std::string& text) {
  std::string out;
  std::string trimmed(Trim(text));
  if (!wf::ValidateIdNumber(trimmed, "id_number", "", &out).ok()) return "";
  return out;
}

// A score sheet with the cells naming an erased number replaced by its stand-in (and the
// row's name by the marker); `changed` says whether any was.
absl::StatusOr<std::string> EraseFromCsv(const std::string& text,
                                         const std::map<std::string, std::string>& stand_ins,
                                         bool* changed) {
  ASSIGN_OR_RETURN(auto rows, csv::ReadAll(text));
  if (rows.empty()) return text;
  int id_col = -1, name_col = -1;
  for (size_t i = 0; i < rows[0].size(); ++i) {
    const std::string h(Trim(rows[0][i]));
    if (h == "身份证号" || h == "id_number") id_col = static_cast<int>(i);
    if (h == "姓名" || h == "name") name_col = static_cast<int>(i);
  }
  if (id_col < 0) return text;
  *changed = false;
  for (size_t r = 1; r < rows.size(); ++r) {
    auto& row = rows[r];
    if (id_col >= static_cast<int>(row.size())) continue;
    auto it = stand_ins.find(NormalizedId(row[id_col]));
    if (it == stand_ins.end()) continue;
    row[id_col] = it->second;
    if (name_col >= 0 && name_col < static_cast<int>(row.size())) {
      row[name_col] = std::string(wf::kErasedName);
    }
    *changed = true;
  }
  if (!*changed) return text;
  std::string out;
  for (const auto& row : rows) csv::AppendRecord(&out, row);
  return out;
}

bool StillCompeting(rc::CandidateStatus s) {
  using S = rc::CandidateStatus;
  return s == S::kApplied || s == S::kEligible || s == S::kShortlisted || s == S::kRanked ||
         s == S::kSelected || s == S::kNotice;
}

bool Ended(rc::CampaignState s) {
  return s == rc::CampaignState::kDone || s == rc::CampaignState::kCancelled;
}

}  // namespace

absl::StatusOr<std::pair<int64_t, std::function<void()>>> DurableRecruitment::Erase(
    engine::Engine::DomainTx& tx, const std::string& id_number) {
  // On the strand: only the strand changes campaigns_, so nothing moves under this read.
  struct Plan {
    std::string campaign_id;
    int64_t seq = 0;
    std::map<std::string, std::string> stand_ins;  // number → stand-in (one: this person)
    std::set<int64_t> applications;
  };
  std::vector<Plan> plans;
  {
    std::shared_lock lock(mu_);
    for (const auto& [id, e] : campaigns_) {
      const rc::Campaign& c = e.campaign;
      Plan plan{id, e.seq};
      for (const rc::Application& a : c.applications()) {
        if (a.personal.id_number != id_number) continue;
        using St = rc::CampaignState;
        if (c.state() == St::kDraft || c.state() == St::kApproved ||
            c.state() == St::kPublished || c.state() == St::kApplicationsClosed) {
          return absl::FailedPreconditionError(absl::StrCat(
              "campaign ", id, " is ", std::string(rc::StateName(c.state())),
              ": its applications may still be made or reopened, and the one-application rule "
              "needs the number; erase once the eligibility review has finished"));
        }
        if (!Ended(c.state()) && StillCompeting(a.status)) {
          return absl::FailedPreconditionError(absl::StrCat(
              "application ", a.id, " of campaign ", id, " is ",
              std::string(rc::CandidateStatusName(a.status)), " while the campaign is ",
              std::string(rc::StateName(c.state())), ": the campaign still needs it"));
        }
        // Unique in the campaign: the application id. The one-application rule and score
        // sheets replay against it as against the number it stands in for.
        plan.stand_ins[id_number] = wf::ErasedIdNumber(id_number, a.id);
        plan.applications.insert(a.id);
      }
      if (!plan.applications.empty()) plans.push_back(std::move(plan));
    }
  }
  int64_t erased = 0;
  std::vector<store::RecordWrite> rows;
  auto replayed = std::make_shared<std::map<std::string, Entry>>();
  for (const Plan& plan : plans) {
    int64_t applied = 0, entries = 0;
    for (std::string after;;) {
      ASSIGN_OR_RETURN(std::vector<store::Record> page,
                       store_.ScanRecords({.table = kLog,
                                           .key_prefix = plan.campaign_id + "/",
                                           .after_key = after,
                                           .limit = 500}));
      for (const store::Record& r : page) {
        after = r.key;
        ++entries;
        int64_t seq = 0;
        if (!absl::SimpleAtoi(r.key.substr(r.key.rfind('/') + 1), &seq)) {
          return absl::DataLossError(absl::StrCat(kLog, " ", r.key, ": not <campaign>/<seq>"));
        }
        ASSIGN_OR_RETURN(json body, ReadBody(kLog, r, kLogFields));
        if (!body["sealed"].is_string()) {
          return absl::DataLossError(absl::StrCat(kLog, " ", r.key, ": no sealed arguments"));
        }
        ASSIGN_OR_RETURN(std::string plain, sealer_.Open(body["sealed"].get<std::string>()));
        json args = json::parse(plain, nullptr, false);
        if (args.is_discarded()) {
          return absl::DataLossError(absl::StrCat(kLog, " ", r.key, ": unreadable arguments"));
        }
        const std::string command = body.value("command", "");
        bool changed = false;
        if (command == "apply" && args.contains("application")) {
          ++applied;  // only accepted commands are logged: this one made application `applied`
          json& a = args["application"];
          auto it = plan.stand_ins.find(NormalizedId(Text(a, "id_number")));
          if (it != plan.stand_ins.end() && plan.applications.count(applied)) {
            a["id_number"] = it->second;
            a["name"] = std::string(wf::kErasedName);
            a["phone"] = "";
            changed = true;
          }
        } else if (command == "scores_csv") {
          ASSIGN_OR_RETURN(std::string text, EraseFromCsv(Text(args, "csv"), plan.stand_ins,
                                                          &changed));
          if (changed) args["csv"] = text;
        } else if (command == "objection" &&
                   plan.applications.count(Int(args, "application_id"))) {
          args["text"] = std::string(wf::kErasedName);  // what was said about the person
          changed = true;
        }
        if (auto st = Replay(*replayed, plan.campaign_id, seq, command, args); !st.ok()) {
          return absl::InternalError(absl::StrCat("campaign ", plan.campaign_id, " command ", seq,
                                                  " (", command, ") does not replay erased: ",
                                                  st.message()));
        }
        if (!changed) continue;
        ASSIGN_OR_RETURN(body["sealed"], sealer_.Seal(args.dump()));
        rows.push_back(PutRecord(kLog, r.key, body.dump(), {plan.campaign_id}));
      }
      if (page.size() < 500) break;
    }
    if (entries != plan.seq) {
      // A command of this campaign is still being written: its log is not whole yet.
      return absl::UnavailableError(absl::StrCat("campaign ", plan.campaign_id,
                                                 " is being changed; try the erasure again"));
    }
    erased += static_cast<int64_t>(plan.applications.size());
    tx.Record("campaign:" + plan.campaign_id,
              replayed->at(plan.campaign_id).campaign.spec().street_unit_id,
              "recruitment.personal_data_erased",
              {{"application_ids", std::vector<int64_t>(plan.applications.begin(),
                                                        plan.applications.end())}});
  }
  auto& records = tx.rows().records;
  std::move(rows.begin(), rows.end(), std::back_inserter(records));
  return std::make_pair(erased, std::function<void()>([this, replayed] {
                          std::unique_lock lock(mu_);
                          for (auto& [id, fresh] : *replayed) {
                            Entry* e = Find(id);
                            if (e) e->campaign = std::move(fresh.campaign);
                          }
                        }));
}

std::vector<std::string> DurableRecruitment::Expired(int64_t now_ms, int months) const {
  std::vector<std::string> out;
  if (months <= 0) return out;
  const std::string today = date::Format(engine_.calendar().LocalDay(now_ms));
  std::map<std::string, bool> people;  // number → every application expired
  std::shared_lock lock(mu_);
  for (const auto& [id, e] : campaigns_) {
    const rc::Campaign& c = e.campaign;
    bool expired = false;
    if (Ended(c.state()) && !c.history().empty()) {
      const std::string ended =
          date::Format(engine_.calendar().LocalDay(c.history().back().at_ms));
      expired = date::AddMonths(ended, months) <= today;
    }
    for (const rc::Application& a : c.applications()) {
      const std::string& number = a.personal.id_number;
      if (number.empty() || wf::IsErasedIdNumber(number)) continue;
      const bool ok = expired && a.status != rc::CandidateStatus::kHired;
      auto [it, fresh] = people.emplace(number, ok);
      if (!fresh) it->second = it->second && ok;
    }
  }
  for (const auto& [number, ok] : people) {
    if (ok) out.push_back(number);
  }
  return out;
}

absl::StatusOr<std::pair<std::string, int64_t>> DurableRecruitment::Reseal(
    engine::Engine::DomainTx& tx, const std::string& after_key, int limit) {
  ASSIGN_OR_RETURN(std::vector<store::Record> page,
                   store_.ScanRecords({.table = kLog, .after_key = after_key, .limit = limit}));
  const uint32_t current = sealer_.current_key_id();
  std::vector<store::RecordWrite> rewritten;
  for (const store::Record& r : page) {
    ASSIGN_OR_RETURN(json body, ReadBody(kLog, r, kLogFields));
    if (!body["sealed"].is_string()) {
      return absl::DataLossError(absl::StrCat(kLog, " ", r.key, ": no sealed arguments"));
    }
    const std::string sealed = body["sealed"].get<std::string>();
    if (Sealer::KeyIdOf(sealed) == current) continue;
    auto plain = sealer_.Open(sealed);
    if (!plain.ok()) {
      return absl::Status(plain.status().code(),
                          absl::StrCat(kLog, " ", r.key, ": ", plain.status().message()));
    }
    ASSIGN_OR_RETURN(body["sealed"], sealer_.Seal(*plain));
    rewritten.push_back(
        PutRecord(kLog, r.key, body.dump(), {r.key.substr(0, r.key.rfind('/'))}));
  }
  const int64_t n = static_cast<int64_t>(rewritten.size());
  auto& records = tx.rows().records;
  std::move(rewritten.begin(), rewritten.end(), std::back_inserter(records));
  const bool last = static_cast<int>(page.size()) < limit;
  return std::make_pair(last ? std::string() : page.back().key, n);
}

// ---- Reads ---------------------------------------------------------------------------------

int64_t DurableRecruitment::InstanceOf(const std::string& campaign_id) const {
  std::shared_lock lock(mu_);
  const Entry* e = Find(campaign_id);
  return e ? e->instance_id : 0;
}

CampaignView ViewOf(const rc::Campaign& c, int64_t instance_id, int64_t now_ms) {
  CampaignView v{c.spec(), c.state(), instance_id, now_ms, c.history(), c.GetFunnel(now_ms)};
  if (c.state() == rc::CampaignState::kApplicationsClosed) v.shortfalls = c.Shortfalls();
  for (const auto& a : c.applications()) {
    if (a.worker_id) v.hired_workers.push_back(a.worker_id);
  }
  return v;
}

absl::StatusOr<CampaignView> DurableRecruitment::Campaign(const std::string& id) const {
  std::shared_lock lock(mu_);
  const Entry* e = Find(id);
  if (!e) return absl::NotFoundError(absl::StrCat("id: no campaign '", id, "'"));
  return ViewOf(e->campaign, e->instance_id, engine_.clock().NowMs());
}

std::vector<CampaignView> DurableRecruitment::ListCampaigns(const std::string& street_unit_id,
                                                            const std::string& state) const {
  std::shared_lock lock(mu_);
  std::vector<CampaignView> out;
  for (const auto& [id, e] : campaigns_) {
    if (!street_unit_id.empty() && e.campaign.spec().street_unit_id != street_unit_id) continue;
    if (!state.empty() && rc::StateName(e.campaign.state()) != state) continue;
    out.push_back(ViewOf(e.campaign, e.instance_id, engine_.clock().NowMs()));
  }
  return out;
}

absl::StatusOr<std::vector<rc::Application>> DurableRecruitment::Applications(
    const std::string& campaign_id, const std::string& post_id, const std::string& status,
    int64_t after_id, int limit) const {
  std::shared_lock lock(mu_);
  const Entry* e = Find(campaign_id);
  if (!e) return absl::NotFoundError(absl::StrCat("campaign_id: no campaign '", campaign_id, "'"));
  std::vector<rc::Application> out;
  const auto& apps = e->campaign.applications();
  for (size_t i = static_cast<size_t>(std::max<int64_t>(after_id, 0));
       i < apps.size() && static_cast<int>(out.size()) < limit; ++i) {
    const rc::Application& a = apps[i];
    if (!post_id.empty() && a.post_id != post_id) continue;
    if (!status.empty() && rc::CandidateStatusName(a.status) != status) continue;
    out.push_back(a);
  }
  return out;
}

absl::StatusOr<rc::Application> DurableRecruitment::Application(const std::string& campaign_id,
                                                                int64_t id) const {
  std::shared_lock lock(mu_);
  const Entry* e = Find(campaign_id);
  if (!e) return absl::NotFoundError(absl::StrCat("campaign_id: no campaign '", campaign_id, "'"));
  return e->campaign.Get(id);
}

absl::StatusOr<std::vector<rc::Application>> DurableRecruitment::Ranking(
    const std::string& campaign_id, const std::string& post_id) const {
  std::shared_lock lock(mu_);
  const Entry* e = Find(campaign_id);
  if (!e) return absl::NotFoundError(absl::StrCat("campaign_id: no campaign '", campaign_id, "'"));
  ASSIGN_OR_RETURN(std::vector<int64_t> ids, e->campaign.Ranking(post_id));
  std::vector<rc::Application> out;
  for (int64_t id : ids) out.push_back(*e->campaign.Get(id));
  return out;
}

absl::StatusOr<ObjectionView> DurableRecruitment::Objection(const std::string& campaign_id,
                                                            int64_t id) const {
  std::shared_lock lock(mu_);
  const Entry* e = Find(campaign_id);
  if (!e) return absl::NotFoundError(absl::StrCat("campaign_id: no campaign '", campaign_id, "'"));
  for (const rc::Objection& o : e->campaign.objections()) {
    if (o.id != id) continue;
    auto inv = e->investigations.find(id);
    return ObjectionView{o, inv == e->investigations.end() ? 0 : inv->second};
  }
  return absl::NotFoundError(absl::StrCat("objection_id: campaign ", campaign_id,
                                          " has no objection ", id));
}

std::vector<DurableRecruitment::ApplicationOf> DurableRecruitment::ApplicationsOf(
    const std::string& id_number) const {
  std::shared_lock lock(mu_);
  std::vector<ApplicationOf> out;
  for (const auto& [id, e] : campaigns_) {
    for (const rc::Application& a : e.campaign.applications()) {
      if (a.personal.id_number != id_number) continue;
      out.push_back({id, e.campaign.spec().title, e.campaign.state(), a});
    }
  }
  return out;
}

}  // namespace shequ::modules::recruitment
