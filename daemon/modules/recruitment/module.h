#pragma once

// The recruitment module: open recruitment campaigns and onboarding (daemon/domain/recruitment
// made durable; docs/decisions/0009-recruitment.md). Needs the workforce module, listed before
// it: campaigns reserve quota and hire into its registry.

#include <memory>

#include "daemon/modules/module.h"
#include "daemon/modules/recruitment/durable_recruitment.h"

namespace shequ::modules::recruitment {

// migrations/NNNN_name.sql, compiled in (shequ_embed_sql).
std::vector<store::SqlMigration> Migrations();

class RecruitmentModule final : public Module {
 public:
  static constexpr char kName[] = "recruitment";

  std::string_view name() const override { return kName; }
  store::ModuleSchema Schema() const override;
  absl::Status Open(const ModuleContext& ctx) override;
  void RegisterHandlers() override;
  absl::Status Recover() override;
  absl::Status LoadDemo(const std::string& demo_dir) override;
  void RegisterServices(server::ServiceContext& ctx,
                        std::vector<std::unique_ptr<grpc::Service>>& out) override;
  void Metrics(server::PrometheusWriter& w) const override;
  // Applications made with this ID number, unmasked, with their scores, outcome and history.
  absl::StatusOr<engine::json> PersonalDataOf(const std::string& id_number) const override;
  // Anonymises the applications made with this ID number (decision 0014: stand-in numbers).
  absl::StatusOr<Erasure> ErasePersonalData(engine::Engine::DomainTx& tx,
                                            const std::string& id_number) override;
  // Applicants not hired whose campaigns all ended personal_data.applicant_retention_months
  // ago or more.
  absl::StatusOr<std::vector<std::string>> ExpiredPersonalData(int64_t now_ms) const override;
  absl::StatusOr<ResealStep> Reseal(engine::Engine::DomainTx& tx, const std::string& after,
                                    int limit) override;

  DurableRecruitment& recruitment() { return *recruitment_; }

 private:
  std::vector<std::string> personal_data_roles_;
  std::unique_ptr<DurableRecruitment> recruitment_;
  store::Store* store_ = nullptr;
  int retention_months_ = 0;
};

}  // namespace shequ::modules::recruitment
