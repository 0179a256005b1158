#include "daemon/modules/workforce/durable_registry.h"

#include <algorithm>
#include <iterator>
#include <memory>
#include <mutex>
#include <span>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "daemon/core/date.h"
#include "daemon/core/logging.h"
#include "daemon/core/status.h"
#include "daemon/engine/model.h"
#include "daemon/modules/records.h"

namespace shequ::modules::workforce {

using engine::json;

DurableRegistry::DurableRegistry(engine::Engine& engine, store::Store& store, Sealer sealer,
                                 wf::Registry registry)
    : engine_(engine), store_(store), sealer_(std::move(sealer)), registry_(std::move(registry)) {}

absl::StatusOr<std::vector<wf::Worker>> DurableRegistry::WorkersWithIdNumber(
    const std::string& id_number) const {
  return Read([&](const wf::Registry& r) -> absl::StatusOr<std::vector<wf::Worker>> {
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
  });
}

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
  return date::Format(engine_.calendar().LocalDay(engine_.clock().NowMs()));
}

namespace {

// The fields a stored body may hold (model.cc writes them); anything else is DATA_LOSS.
constexpr std::string_view kUnitFields[] = {
    "id", "parent_id", "name", "kind", "households", "residents", "area_km2", "class", "created",
    "updated", "community_type"};
constexpr std::string_view kRevisionFields[] = {
    "id", "unit_id", "approved", "effective_from", "reason", "approved_by", "recorded_at",
    "computed", "approval_document"};
constexpr std::string_view kReservationFields[] = {
    "campaign_id", "unit_id", "posts", "hired", "released", "reserved_on", "updated"};
constexpr std::string_view kWorkerFields[] = {
    "id", "education", "certificates", "employment", "post", "grade", "unit_id", "status",
    "hired_on", "community_since", "reserve_cadre", "number", "transfers", "pay", "converted_on",
    "probation_until", "regular_on", "status_since", "sealed"};
constexpr std::string_view kReviewFields[] = {"instance_id", "effective_from"};

// Reads every record of `table` through `read`, which turns a body into a value.
template <typename T, typename Read>
absl::Status LoadAll(store::Store& store, const char* table, std::vector<T>& out, Read read) {
  return store::ForEachRecord(store, {.table = table}, [&](store::Record&& r) -> absl::Status {
    ASSIGN_OR_RETURN(T value, read(r));
    out.push_back(std::move(value));
    return absl::OkStatus();
  });
}

// A domain value from a strictly read body; DATA_LOSS naming the record when it does not parse.
template <typename FromJson>
auto Parse(const char* table, const store::Record& r, std::span<const std::string_view> fields,
           FromJson from_json) -> decltype(from_json(json())) {
  ASSIGN_OR_RETURN(json body, ReadBody(table, r, fields));
  auto value = from_json(body);
  if (!value.ok()) {
    return absl::DataLossError(absl::StrCat(table, " ", r.key, ": ", value.status().message()));
  }
  return value;
}

}  // namespace

std::vector<store::TableSpec> DurableRegistry::Tables() {
  return {{kUnits, {"parent_id"}},
          {kRevisions, {"unit_id"}},
          {kReservations, {"campaign_id", "unit_id"}},
          {kWorkers, {"unit_id", "status"}},
          {kReviews, {}}};
}

// Personal data is stored sealed; gender and birth date are left out too (they are read off
// the ID number again when the record is opened).
absl::StatusOr<store::RecordWrite> DurableRegistry::SealedRecord(const wf::Worker& worker) const {
  ASSIGN_OR_RETURN(std::string sealed, sealer_.Seal(wf::PersonalJson(worker.personal)));
  std::string body = wf::WorkerRecordJson(worker);
  body.pop_back();  // the closing brace: the sealed field goes last (base64 needs no escaping)
  absl::StrAppend(&body, ",\"sealed\":\"", sealed, "\"}");
  return PutRecord(kWorkers, NumberKey(worker.id), std::move(body),
                   {worker.unit_id, std::string(wf::EnglishName(worker.status))});
}

absl::StatusOr<wf::Worker> DurableRegistry::OpenRecord(const store::Record& record) const {
  ASSIGN_OR_RETURN(json body, ReadBody(kWorkers, record, kWorkerFields));
  auto sealed = body.find("sealed");
  if (sealed == body.end() || !sealed->is_string()) {
    return absl::DataLossError(
        absl::StrCat(kWorkers, " ", record.key, ": no sealed personal data"));
  }
  auto personal = sealer_.Open(sealed->get<std::string>());
  if (!personal.ok()) {
    return absl::DataLossError(
        absl::StrCat(kWorkers, " ", record.key, ": ", personal.status().message()));
  }
  body["personal"] = json::parse(*personal, nullptr, false);
  body.erase("sealed");
  auto worker = wf::WorkerFromJson(body);
  if (!worker.ok()) {
    return absl::DataLossError(
        absl::StrCat(kWorkers, " ", record.key, ": ", worker.status().message()));
  }
  return worker;
}

absl::Status DurableRegistry::Recover() {
  std::vector<wf::Unit> units;
  RETURN_IF_ERROR(LoadAll(store_, kUnits, units, [](const store::Record& r) {
    return Parse(kUnits, r, kUnitFields, wf::UnitFromJson);
  }));
  std::vector<wf::QuotaRevision> revisions;
  RETURN_IF_ERROR(LoadAll(store_, kRevisions, revisions, [](const store::Record& r) {
    return Parse(kRevisions, r, kRevisionFields, wf::RevisionFromJson);
  }));
  std::vector<wf::Reservation> reservations;
  RETURN_IF_ERROR(LoadAll(store_, kReservations, reservations, [](const store::Record& r) {
    return Parse(kReservations, r, kReservationFields, wf::ReservationFromJson);
  }));
  std::vector<wf::Worker> workers;
  RETURN_IF_ERROR(LoadAll(store_, kWorkers, workers,
                          [this](const store::Record& r) { return OpenRecord(r); }));
  {
    std::unique_lock lock(mu_);
    RETURN_IF_ERROR(registry_.Load(std::move(units), std::move(revisions), std::move(workers),
                                   std::move(reservations)));
  }

  // The open reviews, so that a new revision replaces its unit's review.
  RETURN_IF_ERROR(store::ForEachRecord(
      store_, {.table = kReviews}, [this](store::Record&& r) -> absl::Status {
        ASSIGN_OR_RETURN(json body, ReadBody(kReviews, r, kReviewFields));
        const json& id = body["instance_id"];
        const json& from = body["effective_from"];
        if (!id.is_number_integer() || !from.is_string()) {
          return absl::DataLossError(absl::StrCat(kReviews, " ", r.key, ": expected ",
                                                  "{instance_id: integer, effective_from: date}"));
        }
        Review review{id.get<int64_t>(), from.get<std::string>()};
        if (review.effective_from.empty()) {
          // Moved from a database written before the table (migration 0001): the review
          // belongs to the unit's latest revision.
          auto history = registry_.QuotaHistory(r.key);
          if (history.ok()) {
            for (const auto& rev : *history) {
              review.effective_from = std::max(review.effective_from, rev.effective_from);
            }
          }
        }
        reviews_[r.key] = std::move(review);
        return absl::OkStatus();
      }));
  Logger("workforce")->info("registry: {} units, {} workers, {} open quota reviews",
                            registry_.unit_count(), registry_.worker_count(), reviews_.size());
  return absl::OkStatus();
}

void DurableRegistry::Mutate(const char* command, const engine::Caller& caller,
                             std::string request_id, Op op, engine::Reply reply) {
  engine_.ExecuteDomain(
      command, std::move(request_id), caller,
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
  RETURN_IF_ERROR(unsealed_);
  // A seal tried before the change: a sealer that fails (no randomness, a broken cipher) fails
  // the command while nothing has changed yet.
  RETURN_IF_ERROR(sealer_.Seal("").status());
  absl::StatusOr<wf::Change> change;
  std::vector<store::RecordWrite> workers;
  {
    std::unique_lock lock(mu_);
    change = op(registry_, Today());
    if (!change.ok()) return change;
    workers.reserve(change->workers.size());
    for (const auto& worker : change->workers) {
      auto record = SealedRecord(worker);
      if (!record.ok()) {
        // The registry has changed and its records cannot be written: refuse every later change
        // rather than write one built on a state the store never held. A restart reloads.
        unsealed_ = absl::InternalError(absl::StrCat(
            "workforce registry: a change could not be sealed (", record.status().message(),
            "); changes are refused until shequd restarts"));
        Logger("workforce")->error("{}", unsealed_.ToString());
        return record.status();
      }
      workers.push_back(*std::move(record));
    }
  }
  Persist(tx, *change, std::move(workers));
  return change;
}

absl::StatusOr<std::pair<std::string, int64_t>> DurableRegistry::Reseal(
    engine::Engine::DomainTx& tx, const std::string& after_key, int limit) {
  RETURN_IF_ERROR(unsealed_);
  ASSIGN_OR_RETURN(std::vector<store::Record> page,
                   store_.ScanRecords({.table = kWorkers, .after_key = after_key, .limit = limit}));
  const uint32_t current = sealer_.current_key_id();
  std::vector<store::RecordWrite> rewritten;
  for (const store::Record& r : page) {
    ASSIGN_OR_RETURN(json body, ReadBody(kWorkers, r, kWorkerFields));
    const json& sealed = body["sealed"];
    if (sealed.is_string() && Sealer::KeyIdOf(sealed.get<std::string>()) == current) continue;
    int64_t id = 0;
    if (!absl::SimpleAtoi(r.key, &id)) {
      return absl::DataLossError(absl::StrCat(kWorkers, " ", r.key, ": not a worker id"));
    }
    auto worker = Read([&](const wf::Registry& reg) { return reg.GetWorker(id); });
    if (!worker.ok()) {
      return absl::DataLossError(absl::StrCat(kWorkers, " ", r.key, ": ", worker.status().message()));
    }
    ASSIGN_OR_RETURN(store::RecordWrite record, SealedRecord(*worker));
    rewritten.push_back(std::move(record));
  }
  const int64_t n = static_cast<int64_t>(rewritten.size());
  auto& records = tx.rows().records;
  std::move(rewritten.begin(), rewritten.end(), std::back_inserter(records));
  const bool last = static_cast<int>(page.size()) < limit;
  return std::make_pair(last ? std::string() : page.back().key, n);
}

absl::StatusOr<std::pair<int64_t, std::function<void()>>> DurableRegistry::Erase(
    engine::Engine::DomainTx& tx, const std::string& id_number) {
  RETURN_IF_ERROR(unsealed_);
  auto plan = std::make_shared<wf::Change>();
  {
    std::shared_lock lock(mu_);
    ASSIGN_OR_RETURN(*plan, registry_.PlanErasure(id_number, Today()));
  }
  std::vector<store::RecordWrite> workers;
  for (const auto& worker : plan->workers) {
    ASSIGN_OR_RETURN(store::RecordWrite record, SealedRecord(worker));
    workers.push_back(std::move(record));
  }
  const auto n = static_cast<int64_t>(plan->workers.size());
  Persist(tx, *plan, std::move(workers));
  return std::make_pair(n, std::function<void()>([this, plan] {
                          std::unique_lock lock(mu_);
                          registry_.ApplyErasure(*plan);
                        }));
}

void DurableRegistry::Persist(engine::Engine::DomainTx& tx, const wf::Change& change,
                              std::vector<store::RecordWrite> workers) {
  std::vector<store::RecordWrite>& records = tx.rows().records;
  for (const auto& unit : change.units) {
    records.push_back(PutRecord(kUnits, unit.id, json(unit).dump(), {unit.parent_id}));
  }
  for (const auto& rev : change.revisions) {
    records.push_back(PutRecord(kRevisions, NumberKey(rev.id), json(rev).dump(), {rev.unit_id}));
    ScheduleReview(tx, rev);
  }
  for (const auto& r : change.reservations) {
    records.push_back(PutRecord(kReservations, absl::StrCat(r.campaign_id, "/", r.unit_id),
                                json(r).dump(), {r.campaign_id, r.unit_id}));
  }
  records.reserve(records.size() + workers.size());
  std::move(workers.begin(), workers.end(), std::back_inserter(records));
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
  // In the same batch as the review's start: a restart finds it here.
  tx.rows().records.push_back(PutRecord(
      kReviews, revision.unit_id,
      json{{"instance_id", *id}, {"effective_from", revision.effective_from}}.dump()));
}

}  // namespace shequ::modules::workforce
