#include "daemon/modules/recruitment/module.h"

#include "absl/strings/str_cat.h"
#include "daemon/core/status.h"
#include "daemon/domain/recruitment/policy.h"
#include "daemon/modules/recruitment/demo.h"
#include "daemon/modules/recruitment/service.h"
#include "daemon/modules/workforce/module.h"

namespace shequ::modules::recruitment {

namespace wf = ::shequ::domain::workforce;

store::ModuleSchema RecruitmentModule::Schema() const {
  return {kName, DurableRecruitment::Tables(), Migrations()};
}

absl::Status RecruitmentModule::Open(const ModuleContext& ctx) {
  auto* workforce = ctx.Earlier<workforce::WorkforceModule>(workforce::WorkforceModule::kName);
  if (!workforce) {
    return absl::FailedPreconditionError(
        "recruitment: needs the workforce module listed before it");
  }
  const std::string policy_file = ctx.config.policy_dir + "/recruitment.yaml";
  ASSIGN_OR_RETURN(std::string policy_text, ReadTextFile(policy_file));
  if (auto policy = rc::ParseRecruitmentPolicy(policy_text); !policy.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(policy_file, ": ", policy.status().message()));
  }
  personal_data_roles_ = ctx.config.personal_data_roles;
  retention_months_ = ctx.config.personal_data_applicant_retention_months;
  store_ = &ctx.store;
  recruitment_ = std::make_unique<DurableRecruitment>(ctx.engine, ctx.store, workforce->registry(),
                                                      ctx.sealer, std::move(policy_text));
  return absl::OkStatus();
}

void RecruitmentModule::RegisterHandlers() { recruitment_->RegisterHandlers(); }

absl::Status RecruitmentModule::Recover() { return recruitment_->Recover(); }

absl::Status RecruitmentModule::LoadDemo(const std::string& demo_dir) {
  return StartDemoCampaigns(*recruitment_, demo_dir + "/instances.yaml");
}

void RecruitmentModule::RegisterServices(server::ServiceContext& ctx,
                                         std::vector<std::unique_ptr<grpc::Service>>& out) {
  out.push_back(std::make_unique<RecruitmentService>(ctx, *recruitment_,
                                                     PersonalDataPolicy(personal_data_roles_)));
}

absl::StatusOr<engine::json> RecruitmentModule::PersonalDataOf(
    const std::string& id_number) const {
  using engine::json;
  const auto found = recruitment_->ApplicationsOf(id_number);
  if (found.empty()) return json();
  auto score = [](const std::optional<rc::Tenths>& t) -> json {
    return t ? json(rc::FormatTenths(*t)) : json();
  };
  auto check = [](rc::CheckResult r) {
    return r == rc::CheckResult::kPassed ? "passed" : r == rc::CheckResult::kFailed ? "failed"
                                                                                    : "pending";
  };
  json applications = json::array();
  for (const auto& f : found) {
    const rc::Application& a = f.application;
    // The campaign's history entries about this application (they name no person).
    json history = json::array();
    for (int64_t after = 0;;) {
      ASSIGN_OR_RETURN(auto page, store_->SubjectHistory("campaign:" + f.campaign_id, "", after,
                                                         1000));
      for (const auto& e : page) {
        json data = json::parse(e.body, nullptr, false);
        if (data.is_object() && data.value("application_id", int64_t{0}) == a.id) {
          history.push_back({{"seq", e.seq}, {"at_ms", e.at_ms}, {"type", e.type},
                             {"data", data}});
        }
        after = e.seq;
      }
      if (page.size() < 1000) break;
    }
    applications.push_back({
        {"campaign_id", f.campaign_id},
        {"campaign_title", f.title},
        {"campaign_state", rc::StateName(f.state)},
        {"application_id", a.id},
        {"personal",
         {{"name", a.personal.name}, {"id_number", a.personal.id_number},
          {"phone", a.personal.phone}}},
        {"birth_date", a.birth_date},
        {"education", wf::EnglishName(a.education)},
        {"certificates", a.certificates},
        {"source", wf::EnglishName(a.source)},
        {"categories", a.categories},
        {"community_since", a.community_since},
        {"post_id", a.post_id},
        {"applied_at_ms", a.applied_at_ms},
        {"status", rc::CandidateStatusName(a.status)},
        {"refusals", a.refusals},
        {"reviewed_by", a.reviewed_by},
        {"review_reason", a.review_reason},
        {"written", score(a.written)},
        {"interview", score(a.interview)},
        {"bonus", rc::FormatTenths(a.bonus)},
        {"bonus_for", a.bonus_for},
        {"composite", static_cast<double>(a.composite_milli) / 1000.0},
        {"rank", a.rank},
        {"physical", check(a.physical)},
        {"background", check(a.background)},
        {"notice_from", a.notice_from},
        {"notice_until", a.notice_until},
        {"removed_reason", a.removed_reason},
        {"worker_id", a.worker_id},
        {"history", std::move(history)},
    });
  }
  return json{{"applications", std::move(applications)}};
}

absl::StatusOr<Module::Erasure> RecruitmentModule::ErasePersonalData(
    engine::Engine::DomainTx& tx, const std::string& id_number) {
  ASSIGN_OR_RETURN(auto erased, recruitment_->Erase(tx, id_number));
  return Erasure{erased.first, std::move(erased.second)};
}

absl::StatusOr<std::vector<std::string>> RecruitmentModule::ExpiredPersonalData(
    int64_t now_ms) const {
  return recruitment_->Expired(now_ms, retention_months_);
}

absl::StatusOr<Module::ResealStep> RecruitmentModule::Reseal(engine::Engine::DomainTx& tx,
                                                             const std::string& after, int limit) {
  ASSIGN_OR_RETURN(auto step, recruitment_->Reseal(tx, after, limit));
  return ResealStep{std::move(step.first), step.second};
}

void RecruitmentModule::Metrics(server::PrometheusWriter& w) const {
  w.Gauge("shequ_recruitment_campaigns", "Recruitment campaigns, of any state.",
          static_cast<double>(recruitment_->campaign_count()));
}

}  // namespace shequ::modules::recruitment
