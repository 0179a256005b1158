#include "daemon/modules/reviews/module.h"

#include "absl/strings/str_cat.h"
#include "daemon/core/status.h"
#include "daemon/modules/reviews/service.h"
#include "daemon/modules/workforce/module.h"

namespace shequ::modules::reviews {

store::ModuleSchema ReviewsModule::Schema() const {
  return {kName, DurableReviews::Tables(), Migrations()};
}

absl::Status ReviewsModule::Open(const ModuleContext& ctx) {
  auto* workforce = ctx.Earlier<workforce::WorkforceModule>(workforce::WorkforceModule::kName);
  if (!workforce) {
    return absl::FailedPreconditionError("reviews: needs the workforce module listed before it");
  }
  const std::string policy_file = ctx.config.policy_dir + "/review.yaml";
  ASSIGN_OR_RETURN(std::string policy_text, ReadTextFile(policy_file));
  auto policy = rv::ParseReviewPolicy(policy_text);
  if (!policy.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(policy_file, ": ", policy.status().message()));
  }
  registry_ = &workforce->registry();
  reviews_ = std::make_unique<DurableReviews>(ctx.engine, ctx.store, workforce->registry(),
                                              *std::move(policy));
  return absl::OkStatus();
}

void ReviewsModule::RegisterServices(server::ServiceContext& ctx,
                                     std::vector<std::unique_ptr<grpc::Service>>& out) {
  out.push_back(std::make_unique<ReviewsService>(ctx, *reviews_, *registry_));
  // The engine runs now: cycles due open from here on.
  opening_check_ = std::make_unique<PeriodicCheck>(ctx.io, ctx.engine.clock(),
                                                   [this] { reviews_->OpenDueCycles(); });
}

namespace {
absl::StatusOr<std::vector<int64_t>> WorkerIds(const workforce::DurableRegistry& registry,
                                               const std::string& id_number) {
  ASSIGN_OR_RETURN(auto workers, registry.WorkersWithIdNumber(id_number));
  std::vector<int64_t> ids;
  for (const auto& w : workers) ids.push_back(w.id);
  return ids;
}
}  // namespace

absl::StatusOr<engine::json> ReviewsModule::PersonalDataOf(const std::string& id_number) const {
  ASSIGN_OR_RETURN(auto ids, WorkerIds(*registry_, id_number));
  return reviews_->PersonalDataOf(ids);
}

absl::StatusOr<Module::Erasure> ReviewsModule::ErasePersonalData(engine::Engine::DomainTx& tx,
                                                                 const std::string& id_number) {
  ASSIGN_OR_RETURN(auto ids, WorkerIds(*registry_, id_number));
  auto [sheets, commit] = reviews_->Erase(tx, ids);
  return Erasure{sheets, std::move(commit)};
}

void ReviewsModule::Metrics(server::PrometheusWriter& w) const {
  w.Gauge("shequ_review_cycles", "Annual review cycles, of any state.",
          static_cast<double>(reviews_->cycle_count()));
}

}  // namespace shequ::modules::reviews
