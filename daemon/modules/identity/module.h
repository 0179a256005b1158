#pragma once

// The identity module: principals and their API tokens (docs/security.md "Authentication"),
// the shequ.v1.Principals service, the administrator made at first start, and the demo
// principals of `make run`.

#include <memory>

#include "daemon/modules/identity/durable_directory.h"
#include "daemon/modules/module.h"

namespace shequ::modules::identity {

// migrations/NNNN_name.sql, compiled in (shequ_embed_sql).
std::vector<store::SqlMigration> Migrations();

class IdentityModule final : public Module {
 public:
  static constexpr char kName[] = "identity";
  static constexpr char kAdmin[] = "admin";  // the principal made at first start

  std::string_view name() const override { return kName; }
  store::ModuleSchema Schema() const override;
  absl::Status Open(const ModuleContext& ctx) override;
  absl::Status Recover() override;
  // First start, no principals: an administrator, whose token goes to admin.token (0600).
  absl::Status Started() override;
  absl::Status LoadDemo(const std::string& demo_dir) override;
  void RegisterServices(server::ServiceContext& ctx,
                        std::vector<std::unique_ptr<grpc::Service>>& out) override;
  void Metrics(server::PrometheusWriter& w) const override;
  const auth::Directory* directory() const override { return &directory_->directory(); }

  DurableDirectory& durable() { return *directory_; }

 private:
  AuthConfig auth_;
  std::string data_dir_;
  std::unique_ptr<DurableDirectory> directory_;
};

}  // namespace shequ::modules::identity
