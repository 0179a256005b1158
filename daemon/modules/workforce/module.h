#pragma once

// The workforce module: units, quotas and their three-yearly reviews, and workers
// (daemon/domain/workforce made durable; docs/decisions/0006-workforce-registry.md).

#include <memory>

#include "daemon/modules/module.h"
#include "daemon/modules/workforce/durable_registry.h"

namespace shequ::modules::workforce {

// migrations/NNNN_name.sql, compiled in (shequ_embed_sql).
std::vector<store::SqlMigration> Migrations();

class WorkforceModule final : public Module {
 public:
  static constexpr char kName[] = "workforce";

  std::string_view name() const override { return kName; }
  store::ModuleSchema Schema() const override;
  absl::Status Open(const ModuleContext& ctx) override;
  void RegisterHandlers() override;
  absl::Status Recover() override;
  absl::Status LoadDemo(const std::string& demo_dir) override;
  void RegisterServices(server::ServiceContext& ctx,
                        std::vector<std::unique_ptr<grpc::Service>>& out) override;
  void Metrics(server::PrometheusWriter& w) const override;
  const engine::UnitTree* unit_tree() const override { return registry_.get(); }
  // Worker records with this ID number, unmasked, each with its change history.
  absl::StatusOr<engine::json> PersonalDataOf(const std::string& id_number) const override;
  // Anonymises the worker records with this ID number (all of them must have left).
  absl::StatusOr<Erasure> ErasePersonalData(engine::Engine::DomainTx& tx,
                                            const std::string& id_number) override;
  // People all of whose worker records left more than personal_data.worker_retention_years
  // ago (the day of the status change to left; a record imported as left: the day it was
  // recorded).
  absl::StatusOr<std::vector<std::string>> ExpiredPersonalData(int64_t now_ms) const override;
  absl::StatusOr<ResealStep> Reseal(engine::Engine::DomainTx& tx, const std::string& after,
                                    int limit) override;

  DurableRegistry& registry() { return *registry_; }

 private:
  std::vector<std::string> personal_data_roles_;
  size_t max_import_bytes_ = 0;
  int retention_years_ = 0;
  std::unique_ptr<DurableRegistry> registry_;
  engine::Engine* engine_ = nullptr;
  store::Store* store_ = nullptr;
};

}  // namespace shequ::modules::workforce
