#pragma once

// shequ.v1.Recruitment: open recruitment campaigns over gRPC (proto/shequ/v1/recruitment.proto).

#include <string>
#include <vector>

#include "daemon/modules/personal_data.h"
#include "daemon/modules/recruitment/durable_recruitment.h"
#include "daemon/server/services.h"
#include "shequ/v1/recruitment.grpc.pb.h"

namespace shequ::modules::recruitment {

class RecruitmentService final : public v1::Recruitment::CallbackService {
 public:
  RecruitmentService(server::ServiceContext& c, DurableRecruitment& recruitment,
                     PersonalDataPolicy personal_data)
      : c_(c), rec_(recruitment), personal_data_(std::move(personal_data)) {}

  using Ctx = grpc::CallbackServerContext;
  using Reactor = grpc::ServerUnaryReactor;
  Reactor* CreateCampaign(Ctx*, const v1::CreateCampaignRequest*, v1::Campaign*) override;
  Reactor* GetCampaign(Ctx*, const v1::GetCampaignRequest*, v1::Campaign*) override;
  Reactor* ListCampaigns(Ctx*, const v1::ListCampaignsRequest*,
                         v1::ListCampaignsResponse*) override;
  Reactor* ApproveCampaign(Ctx*, const v1::StepRequest*, v1::Campaign*) override;
  Reactor* Apply(Ctx*, const v1::ApplyRequest*, v1::ApplyResponse*) override;
  Reactor* ListApplications(Ctx*, const v1::ListApplicationsRequest*,
                            v1::ListApplicationsResponse*) override;
  Reactor* ReviewApplication(Ctx*, const v1::ReviewApplicationRequest*,
                             v1::Application*) override;
  Reactor* FinishReview(Ctx*, const v1::StepRequest*, v1::Campaign*) override;
  Reactor* DecideShortfall(Ctx*, const v1::DecideShortfallRequest*, v1::Campaign*) override;
  Reactor* ImportScores(Ctx*, const v1::ImportScoresRequest*,
                        v1::ImportScoresResponse*) override;
  Reactor* Shortlist(Ctx*, const v1::StepRequest*, v1::Campaign*) override;
  Reactor* Rank(Ctx*, const v1::StepRequest*, v1::Campaign*) override;
  Reactor* GetRanking(Ctx*, const v1::GetRankingRequest*, v1::Ranking*) override;
  Reactor* RecordCheck(Ctx*, const v1::RecordCheckRequest*, v1::CheckResponse*) override;
  Reactor* Withdraw(Ctx*, const v1::WithdrawRequest*, v1::CheckResponse*) override;
  Reactor* StartNotice(Ctx*, const v1::StepRequest*, v1::Campaign*) override;
  Reactor* FileObjection(Ctx*, const v1::FileObjectionRequest*, v1::Objection*) override;
  Reactor* DecideObjection(Ctx*, const v1::DecideObjectionRequest*, v1::Objection*) override;

 private:
  // Personal data in the clear: a role of personal_data_roles, acting for the campaign's
  // street office.
  bool MaySeePersonal(const engine::Caller& caller, const std::string& campaign_id) const;
  // Completes the open task at `node` of `instance_id` as the caller; `done` gets the
  // instance's variables after the commit, or the step's refusal.
  void CompleteStep(Reactor* r, const engine::Caller& caller, int64_t instance_id,
                    const std::string& node, const std::string& what, std::string outcome,
                    engine::json variables, std::string comment, std::string request_id,
                    std::function<absl::Status(const engine::json& variables)> done);
  // The campaign with its open steps (the tasks of its workflow waiting for someone).
  absl::Status FillCampaign(const std::string& id, v1::Campaign* resp);
  // A step of the campaign's own workflow, answered with the campaign.
  Reactor* CampaignStep(Ctx* ctx, const engine::Caller& caller, const std::string& campaign_id, const std::string& node,
                        std::string outcome, engine::json variables, std::string comment,
                        std::string request_id, v1::Campaign* resp);

  server::ServiceContext& c_;
  DurableRecruitment& rec_;
  const PersonalDataPolicy personal_data_;
};

}  // namespace shequ::modules::recruitment
