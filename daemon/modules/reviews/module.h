#pragma once

// The reviews module: the annual review (年度考核) of every worker, its workflows and its
// consequences in the registry (daemon/domain/reviews made durable; docs/reviews.md). Needs the
// workforce module, listed before it.

#include <memory>

#include "daemon/modules/module.h"
#include "daemon/modules/periodic_check.h"
#include "daemon/modules/reviews/durable_reviews.h"

namespace shequ::modules::reviews {

// migrations/NNNN_name.sql, compiled in (shequ_embed_sql).
std::vector<store::SqlMigration> Migrations();

class ReviewsModule final : public Module {
 public:
  static constexpr char kName[] = "reviews";

  std::string_view name() const override { return kName; }
  store::ModuleSchema Schema() const override;
  absl::Status Open(const ModuleContext& ctx) override;
  void RegisterHandlers() override { reviews_->RegisterHandlers(); }
  absl::Status Recover() override { return reviews_->Recover(); }
  void RegisterServices(server::ServiceContext& ctx,
                        std::vector<std::unique_ptr<grpc::Service>>& out) override;
  void Metrics(server::PrometheusWriter& w) const override;
  // The sheets and file of the workers with this ID number.
  absl::StatusOr<engine::json> PersonalDataOf(const std::string& id_number) const override;
  // Their reports and appeal grounds become "[erased]"; ratings stay.
  absl::StatusOr<Erasure> ErasePersonalData(engine::Engine::DomainTx& tx,
                                            const std::string& id_number) override;

  DurableReviews& reviews() { return *reviews_; }

 private:
  std::unique_ptr<DurableReviews> reviews_;
  workforce::DurableRegistry* registry_ = nullptr;
  std::unique_ptr<PeriodicCheck> opening_check_;  // each year's cycles on the policy's day
};

}  // namespace shequ::modules::reviews
