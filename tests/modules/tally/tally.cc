#include "tests/modules/tally/tally.h"

#include "absl/strings/str_cat.h"
#include "daemon/core/status.h"
#include "daemon/modules/records.h"

namespace shequ::testing::tally {

using engine::json;

store::ModuleSchema TallyModule::Schema() const {
  return {"tally", {{kTable, {}}}, Migrations()};
}

absl::Status TallyModule::Open(const modules::ModuleContext& ctx) {
  engine_ = &ctx.engine;
  store_ = &ctx.store;
  return absl::OkStatus();
}

void TallyModule::RegisterHandlers() {
  engine_->RegisterHandler(
      "tally.add",
      [this](engine::Engine::DomainTx& tx,
             const engine::Engine::HandlerCall& call) -> absl::StatusOr<json> {
        const std::string counter = call.variables.value("counter", "");
        if (counter.empty()) return absl::InvalidArgumentError("counter: required");
        int64_t n = 0;
        {
          std::lock_guard lock(mu_);
          n = ++counts_[counter];
        }
        tx.rows().records.push_back(
            modules::PutRecord(kTable, counter, json{{"count", n}}.dump()));
        return json{{"count", n}};
      });
}

absl::Status TallyModule::Recover() {
  constexpr std::string_view kFields[] = {"count"};
  std::lock_guard lock(mu_);
  return store::ForEachRecord(*store_, {.table = kTable}, [&](store::Record&& r) -> absl::Status {
    ASSIGN_OR_RETURN(json body, modules::ReadBody(kTable, r, kFields));
    counts_[r.key] = body.value("count", int64_t{0});
    return absl::OkStatus();
  });
}

void TallyModule::Metrics(server::PrometheusWriter& w) const {
  std::lock_guard lock(mu_);
  for (const auto& [counter, n] : counts_) {
    w.Gauge("shequ_tally_count", "Counts of the test module.", static_cast<double>(n),
            {{"counter", counter}});
  }
}

int64_t TallyModule::count(const std::string& counter) const {
  std::lock_guard lock(mu_);
  auto it = counts_.find(counter);
  return it == counts_.end() ? 0 : it->second;
}

}  // namespace shequ::testing::tally
