#include "daemon/modules/workforce/module.h"

#include "absl/strings/str_cat.h"
#include "daemon/core/status.h"
#include "daemon/modules/workforce/demo.h"
#include "daemon/modules/workforce/service.h"

namespace shequ::modules::workforce {

store::ModuleSchema WorkforceModule::Schema() const {
  return {kName, DurableRegistry::Tables(), Migrations()};
}

absl::Status WorkforceModule::Open(const ModuleContext& ctx) {
  const std::string quota_file = ctx.config.policy_dir + "/quota.yaml";
  const std::string grades_file = ctx.config.policy_dir + "/grades.yaml";
  ASSIGN_OR_RETURN(std::string quota_text, ReadTextFile(quota_file));
  ASSIGN_OR_RETURN(std::string grades_text, ReadTextFile(grades_file));
  auto quota = wf::ParseQuotaPolicy(quota_text);
  if (!quota.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(quota_file, ": ", quota.status().message()));
  }
  auto grades = wf::ParseGradePolicy(grades_text);
  if (!grades.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(grades_file, ": ", grades.status().message()));
  }
  engine_ = &ctx.engine;
  personal_data_roles_ = ctx.config.personal_data_roles;
  store_ = &ctx.store;
  max_import_bytes_ = static_cast<size_t>(ctx.config.max_import_bytes);
  registry_ = std::make_unique<DurableRegistry>(
      ctx.engine, ctx.store, ctx.sealer, wf::Registry(*std::move(quota), *std::move(grades)));
  return absl::OkStatus();
}

void WorkforceModule::RegisterHandlers() {
  // workforce.vacancies: the vacant approved posts of the instance's `community`, from the
  // registry as of today (approved − occupied − reserved). vacancy-approval decides on this
  // figure, never on one the caller sends.
  engine_->RegisterHandler(
      "workforce.vacancies",
      [this](engine::Engine::DomainTx&,
             const engine::Engine::HandlerCall& call) -> absl::StatusOr<engine::json> {
        auto it = call.variables.find("community");
        if (it == call.variables.end() || !it->is_string() || it->get<std::string>().empty()) {
          return absl::InvalidArgumentError("community: the unit id of the community is required");
        }
        const std::string community = it->get<std::string>();
        ASSIGN_OR_RETURN(wf::OccupancyReport report,
                         registry_->Read([&](const wf::Registry& reg) {
                           return reg.Occupancy(community, registry_->Today());
                         }));
        if (report.rows.empty()) {
          return absl::NotFoundError(absl::StrCat("community: no unit ", community));
        }
        return engine::json{{"vacancies", report.rows[0].own.vacant}};
      });
}

absl::Status WorkforceModule::Recover() { return registry_->Recover(); }

absl::StatusOr<engine::json> WorkforceModule::PersonalDataOf(const std::string& id_number) const {
  using engine::json;
  ASSIGN_OR_RETURN(std::vector<wf::Worker> found,
                   registry_->Read([&](const wf::Registry& r) -> absl::StatusOr<std::vector<wf::Worker>> {
                     wf::WorkerFilter filter;
                     filter.search = id_number;  // also matches names and numbers: filtered below
                     std::vector<wf::Worker> out;
                     int64_t after = 0;
                     do {
                       ASSIGN_OR_RETURN(wf::WorkerPage page, r.ListWorkers(filter, after, 1000));
                       for (auto& w : page.workers) {
                         if (w.personal.id_number == id_number) out.push_back(std::move(w));
                       }
                       after = page.next_after_id;
                     } while (after != 0);
                     return out;
                   }));
  if (found.empty()) return json();
  json workers = json::array();
  for (const wf::Worker& w : found) {
    json history = json::array();
    const std::string subject = absl::StrCat("worker:", w.id);
    for (int64_t after = 0;;) {
      ASSIGN_OR_RETURN(auto page, store_->SubjectHistory(subject, "", after, 1000));
      for (const auto& e : page) {
        json data = json::parse(e.body, nullptr, false);
        history.push_back({{"seq", e.seq}, {"at_ms", e.at_ms}, {"type", e.type},
                           {"unit_id", e.unit}, {"data", data.is_discarded() ? json(e.body) : data}});
        after = e.seq;
      }
      if (page.size() < 1000) break;
    }
    workers.push_back({{"worker", w}, {"history", std::move(history)}});
  }
  return json{{"workers", std::move(workers)}};
}

absl::StatusOr<Module::ResealStep> WorkforceModule::Reseal(engine::Engine::DomainTx& tx,
                                                           const std::string& after, int limit) {
  ASSIGN_OR_RETURN(auto step, registry_->Reseal(tx, after, limit));
  return ResealStep{std::move(step.first), step.second};
}

absl::Status WorkforceModule::LoadDemo(const std::string& demo_dir) {
  return LoadDemoDistrict(*registry_, demo_dir + "/district");
}

void WorkforceModule::RegisterServices(server::ServiceContext& ctx,
                                       std::vector<std::unique_ptr<grpc::Service>>& out) {
  out.push_back(std::make_unique<WorkforceService>(
      ctx, *registry_,
      WorkforceOptions{PersonalDataPolicy(personal_data_roles_), max_import_bytes_}));
}

void WorkforceModule::Metrics(server::PrometheusWriter& w) const {
  const auto [units, workers] = registry_->Read([](const wf::Registry& r) {
    return std::make_pair(r.unit_count(), r.worker_count());
  });
  w.Gauge("shequ_workforce_units", "Units in the workforce registry.", static_cast<double>(units));
  w.Gauge("shequ_workforce_workers", "Workers in the workforce registry, of any status.",
          static_cast<double>(workers));
}

}  // namespace shequ::modules::workforce
