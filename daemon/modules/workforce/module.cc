#include "daemon/modules/workforce/module.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "daemon/core/date.h"
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
  retention_years_ = ctx.config.personal_data_worker_retention_years;
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
  ASSIGN_OR_RETURN(std::vector<wf::Worker> found, registry_->WorkersWithIdNumber(id_number));
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

absl::StatusOr<Module::Erasure> WorkforceModule::ErasePersonalData(
    engine::Engine::DomainTx& tx, const std::string& id_number) {
  ASSIGN_OR_RETURN(auto erased, registry_->Erase(tx, id_number));
  return Erasure{erased.first, std::move(erased.second)};
}

absl::StatusOr<std::vector<std::string>> WorkforceModule::ExpiredPersonalData(
    int64_t now_ms) const {
  using engine::json;
  std::vector<std::string> out;
  if (retention_years_ <= 0) return out;
  // Per ID number: the workers not yet erased, and whether one of them still holds a post.
  std::map<std::string, std::pair<std::vector<int64_t>, bool>> people;
  registry_->Read([&](const wf::Registry& r) {
    wf::WorkerFilter all;
    int64_t after = 0;
    do {
      auto page = r.ListWorkers(all, after, 1000);
      if (!page.ok()) return;
      for (const auto& w : page->workers) {
        if (!w.personal.erased_on.empty() || w.personal.id_number.empty()) continue;
        auto& p = people[w.personal.id_number];
        p.first.push_back(w.id);
        if (w.status != wf::WorkerStatus::kLeft) p.second = true;
      }
      after = page->next_after_id;
    } while (after != 0);
  });
  const std::string today = date::Format(engine_->calendar().LocalDay(now_ms));
  for (const auto& [id_number, p] : people) {
    if (p.second) continue;
    std::string left_on;  // the latest leaving of any of the person's records
    for (int64_t worker : p.first) {
      std::string last_left, last_event;
      for (int64_t after = 0;;) {
        ASSIGN_OR_RETURN(auto page, store_->SubjectHistory(absl::StrCat("worker:", worker), "",
                                                           after, 1000));
        for (const auto& e : page) {
          after = e.seq;
          last_event = date::Format(engine_->calendar().LocalDay(e.at_ms));
          if (e.type != "worker.status_changed") continue;
          json data = json::parse(e.body, nullptr, false);
          if (data.is_object() && data.value("to", "") == "left") {
            last_left = data.value("date", last_event);
          }
        }
        if (page.size() < 1000) break;
      }
      const std::string day = last_left.empty() ? last_event : last_left;
      if (day.empty()) {
        left_on = today;  // nothing recorded: not old enough to tell
        break;
      }
      left_on = std::max(left_on, day);
    }
    if (wf::AddYears(left_on, retention_years_) <= today) out.push_back(id_number);
  }
  return out;
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
