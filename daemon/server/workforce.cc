#include "daemon/server/workforce.h"

#include <cstdio>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "daemon/core/logging.h"
#include "daemon/core/status.h"
#include "daemon/engine/model.h"

namespace shequ::server {

using engine::json;

DurableRegistry::DurableRegistry(engine::Engine& engine, store::Store& store, Sealer sealer,
                                 wf::Registry registry)
    : engine_(engine), store_(store), sealer_(std::move(sealer)), registry_(std::move(registry)) {}

bool DurableRegistry::Covers(std::string_view scope, std::string_view unit) const {
  return Read([&](const wf::Registry& r) { return r.Covers(scope, unit); });
}

std::vector<std::string> DurableRegistry::Subtree(std::string_view unit) const {
  std::vector<std::string> ids;
  if (unit.empty()) return ids;  // Tree("") would be the whole district
  Read([&](const wf::Registry& r) {
    auto tree = r.Tree(unit);
    if (!tree.ok()) return;
    for (const auto& [u, depth] : *tree) ids.push_back(u.id);
  });
  return ids;
}

std::string DurableRegistry::Today() const {
  const auto day = engine_.calendar().LocalDay(engine_.clock().NowMs());
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(day.year()),
                static_cast<unsigned>(day.month()), static_cast<unsigned>(day.day()));
  return buf;
}

// Personal data is stored sealed; gender and birth date are left out too (they are read off
// the ID number again when the row is opened).
store::WorkerRow DurableRegistry::SealedRow(const wf::Worker& worker) const {
  std::string body = wf::WorkerRecordJson(worker);
  body.pop_back();  // the closing brace: the sealed field goes last (base64 needs no escaping)
  absl::StrAppend(&body, ",\"sealed\":\"", sealer_.Seal(wf::PersonalJson(worker.personal)), "\"}");
  return {worker.id, worker.unit_id, std::string(wf::EnglishName(worker.status)), std::move(body)};
}

absl::StatusOr<wf::Worker> DurableRegistry::OpenRow(const store::WorkerRow& row) const {
  json body = json::parse(row.body, nullptr, false);
  if (body.is_discarded() || !body.contains("sealed")) {
    return absl::DataLossError(absl::StrCat("worker ", row.id, ": unreadable row"));
  }
  ASSIGN_OR_RETURN(std::string personal, sealer_.Open(body["sealed"].get<std::string>()));
  body["personal"] = json::parse(personal, nullptr, false);
  body.erase("sealed");
  auto worker = wf::WorkerFromJson(body);
  if (!worker.ok()) {
    return absl::DataLossError(absl::StrCat("worker ", row.id, ": ", worker.status().message()));
  }
  return worker;
}

absl::Status DurableRegistry::Recover() {
  std::vector<wf::Unit> units;
  for (const auto& row : store_.LoadUnits()) {
    auto unit = wf::UnitFromJson(json::parse(row.body, nullptr, false));
    if (!unit.ok()) {
      return absl::DataLossError(absl::StrCat("unit ", row.id, ": ", unit.status().message()));
    }
    units.push_back(*std::move(unit));
  }
  std::vector<wf::QuotaRevision> revisions;
  for (const auto& row : store_.LoadQuotaRevisions()) {
    auto rev = wf::RevisionFromJson(json::parse(row.body, nullptr, false));
    if (!rev.ok()) {
      return absl::DataLossError(
          absl::StrCat("quota revision ", row.id, ": ", rev.status().message()));
    }
    revisions.push_back(*std::move(rev));
  }
  std::vector<wf::Reservation> reservations;
  for (const auto& row : store_.LoadReservations()) {
    auto r = wf::ReservationFromJson(json::parse(row.body, nullptr, false));
    if (!r.ok()) {
      return absl::DataLossError(absl::StrCat("quota reservation ", row.campaign_id, "/",
                                              row.unit_id, ": ", r.status().message()));
    }
    reservations.push_back(*std::move(r));
  }
  std::vector<wf::Worker> workers;
  absl::Status bad;
  store_.ForEachWorker([&](const store::WorkerRow& row) {
    if (!bad.ok()) return;
    auto worker = OpenRow(row);
    if (!worker.ok()) {
      bad = worker.status();
      return;
    }
    workers.push_back(*std::move(worker));
  });
  RETURN_IF_ERROR(bad);
  {
    std::unique_lock lock(mu_);
    RETURN_IF_ERROR(registry_.Load(std::move(units), std::move(revisions), std::move(workers),
                                   std::move(reservations)));
  }

  // The open reviews, so that a new revision replaces its unit's review.
  store::InstanceFilter filter;
  filter.definition_id = kReviewWorkflow;
  filter.state = "active";
  store::Page page;
  page.limit = 1000;
  for (;;) {
    ASSIGN_OR_RETURN(auto rows, store_.ListInstances(filter, page));
    for (const auto& row : rows) {
      const json vars = engine::FromRow(row).variables;
      reviews_[vars.value("unit_id", "")] = {row.id, vars.value("effective_from", "")};
    }
    if (rows.size() < static_cast<size_t>(page.limit)) break;
    page.after_id = rows.back().id;
  }
  Logger("workforce")->info("registry: {} units, {} workers, {} open quota reviews",
                            registry_.unit_count(), registry_.worker_count(), reviews_.size());
  return absl::OkStatus();
}

void DurableRegistry::Mutate(const char* command, const engine::Caller& caller,
                             std::string request_id, Op op, engine::Reply reply) {
  engine_.ExecuteDomain(
      command, std::move(request_id), caller.user,
      [this, op = std::move(op)](engine::Engine::DomainTx& tx) -> absl::StatusOr<json> {
        ASSIGN_OR_RETURN(wf::Change change, Apply(tx, op));
        json answer = {{"units", json::array()}, {"workers", json::array()},
                       {"revisions", json::array()}};
        for (const auto& u : change.units) answer["units"].push_back(u.id);
        for (const auto& w : change.workers) answer["workers"].push_back(w.id);
        for (const auto& r : change.revisions) answer["revisions"].push_back(r.id);
        return answer;
      },
      std::move(reply));
}

absl::StatusOr<wf::Change> DurableRegistry::Apply(engine::Engine::DomainTx& tx, const Op& op) {
  absl::StatusOr<wf::Change> change;
  {
    std::unique_lock lock(mu_);
    change = op(registry_, Today());
  }
  // From here on nothing may fail: the registry has already changed.
  if (change.ok()) Persist(tx, *change);
  return change;
}

void DurableRegistry::Persist(engine::Engine::DomainTx& tx, const wf::Change& change) {
  store::WriteBatch& rows = tx.rows();
  for (const auto& unit : change.units) {
    rows.units.push_back({unit.id, unit.parent_id, json(unit).dump()});
  }
  for (const auto& rev : change.revisions) {
    rows.quota_revisions.push_back({rev.id, rev.unit_id, json(rev).dump()});
    ScheduleReview(tx, rev);
  }
  for (const auto& r : change.reservations) {
    rows.reservations.push_back({r.campaign_id, r.unit_id, json(r).dump()});
  }
  rows.workers.reserve(rows.workers.size() + change.workers.size());
  for (const auto& worker : change.workers) rows.workers.push_back(SealedRow(worker));
  for (const auto& entry : change.audit) {
    tx.Record(entry.subject, entry.unit_id, entry.type, entry.data);
  }
}

void DurableRegistry::ScheduleReview(engine::Engine::DomainTx& tx,
                                     const wf::QuotaRevision& revision) {
  auto it = reviews_.find(revision.unit_id);
  if (it != reviews_.end() && it->second.effective_from > revision.effective_from) return;
  auto log = Logger("workforce");
  if (it != reviews_.end()) {
    if (auto s = tx.CancelInstance(it->second.instance_id, "quota revised"); !s.ok()) {
      log->warn("quota review {} of unit {}: {}", it->second.instance_id, revision.unit_id,
                s.ToString());
    }
  }
  std::string unit_name;
  if (auto unit = registry_.GetUnit(revision.unit_id); unit.ok()) unit_name = unit->name;
  engine::StartArgs args;
  args.definition_id = kReviewWorkflow;
  args.business_key = absl::StrCat("quota-review/", revision.unit_id);
  args.unit = revision.unit_id;
  args.variables = {
      {"unit_id", revision.unit_id},
      {"unit_name", unit_name},
      {"approved", revision.approved},
      {"effective_from", revision.effective_from},
      {"review_due",
       wf::AddYears(revision.effective_from, registry_.quota_policy().review_years)},
      {"revision_id", revision.id},
  };
  auto id = tx.StartInstance(std::move(args));
  if (!id.ok()) {
    // The revision itself stands; only its reminder is missing, and the log says so.
    log->warn("quota revision {} of unit {}: no review scheduled: {}", revision.id,
              revision.unit_id, id.status().ToString());
    return;
  }
  reviews_[revision.unit_id] = {*id, revision.effective_from};
}

}  // namespace shequ::server
