#pragma once

// tally: a module that exists only in tests, to show what a domain module needs and that it
// lands without touching daemon/store/, daemon/engine/ or daemon/server/. Its one built-in
// step, job type "tally.add", adds 1 to the counter named by the instance's variable `counter`
// and Puts the new count as a record in the step's own transaction; Recover reads the counts
// back.

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "daemon/modules/module.h"

namespace shequ::testing::tally {

// migrations/*.sql, compiled in (shequ_embed_sql).
std::vector<store::SqlMigration> Migrations();

class TallyModule final : public modules::Module {
 public:
  static constexpr char kTable[] = "tally_counts";

  std::string_view name() const override { return "tally"; }
  store::ModuleSchema Schema() const override;
  absl::Status Open(const modules::ModuleContext& ctx) override;
  void RegisterHandlers() override;
  absl::Status Recover() override;
  void Metrics(server::PrometheusWriter& w) const override;

  int64_t count(const std::string& counter) const;

 private:
  engine::Engine* engine_ = nullptr;
  store::Store* store_ = nullptr;
  mutable std::mutex mu_;
  std::map<std::string, int64_t> counts_;
};

}  // namespace shequ::testing::tally
