#include "daemon/modules/recruitment/module.h"

#include "absl/strings/str_cat.h"
#include "daemon/core/status.h"
#include "daemon/domain/recruitment/policy.h"
#include "daemon/modules/recruitment/demo.h"
#include "daemon/modules/recruitment/service.h"
#include "daemon/modules/workforce/module.h"

namespace shequ::modules::recruitment {

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

void RecruitmentModule::Metrics(server::PrometheusWriter& w) const {
  w.Gauge("shequ_recruitment_campaigns", "Recruitment campaigns, of any state.",
          static_cast<double>(recruitment_->campaign_count()));
}

}  // namespace shequ::modules::recruitment
