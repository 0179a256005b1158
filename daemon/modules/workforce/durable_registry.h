#pragma once

// The workforce registry made durable: the domain's in-memory Registry (daemon/domain/workforce)
// plus its records in the workforce module's tables (migrations/), sealed personal data, the
// change history, and the three-yearly quota reviews.
//
// Changes run as engine transactions (Engine::ExecuteDomain): the registry applies the change
// on the strand, and its records, its history entries and any workflow it starts commit in one
// batch; the reply waits for the commit. Reads take a shared lock and never wait for the strand.
// The registry is held whole in memory (a district has hundreds to a few thousand workers; 100k
// take about 60 MB) so that every rule check and report is answered without touching SQLite.
// See docs/decisions/0006-workforce-registry.md.

#include <functional>
#include <map>
#include <shared_mutex>
#include <string>

#include "absl/status/statusor.h"
#include "daemon/core/sealer.h"
#include "daemon/domain/workforce/registry.h"
#include "daemon/engine/engine.h"
#include "daemon/store/records.h"
#include "daemon/store/store.h"

namespace shequ::modules::workforce {

namespace wf = ::shequ::domain::workforce;

class DurableRegistry : public engine::UnitTree {
 public:
  static constexpr char kReviewWorkflow[] = "quota-review";

  // The module's tables (migrations/0001_records.sql). Revisions and workers are keyed by their
  // id in 12 digits.
  static constexpr char kUnits[] = "workforce_units";                  // by id; parent_id
  static constexpr char kRevisions[] = "workforce_quota_revisions";    // unit_id
  static constexpr char kReservations[] = "workforce_reservations";    // "<campaign>/<unit>"
  static constexpr char kWorkers[] = "workforce_workers";              // unit_id, status
  static constexpr char kReviews[] = "workforce_reviews";              // by unit
  static std::vector<store::TableSpec> Tables();

  DurableRegistry(engine::Engine& engine, store::Store& store, Sealer sealer,
                  wf::Registry registry);

  // Loads every unit, revision, reservation and worker from the module's records, and the open
  // quota reviews (from their own table: no walk over workflow instances). Call once, after the
  // engine recovered and before serving.
  absl::Status Recover();

  // Today's date (YYYY-MM-DD) on the daemon's clock and the calendar's time zone.
  std::string Today() const;

  // Runs `op` on the registry as one engine command. The reply carries the ids it changed:
  // {"units": [...], "workers": [...], "revisions": [...]}.
  using Op = std::function<absl::StatusOr<wf::Change>(wf::Registry&, const std::string& today)>;
  void Mutate(const char* command, const engine::Caller& caller, std::string request_id, Op op,
              engine::Reply reply);

  // Runs `op` inside another module's engine transaction (recruitment hires and releases) and
  // writes what it changed into that transaction.
  absl::StatusOr<wf::Change> Apply(engine::Engine::DomainTx& tx, const Op& op);

  // Key rotation: rewrites, in `tx`, the stored workers after key `after_key` (up to `limit`)
  // whose sealed personal data is not under the current key, from the registry (the truth,
  // whatever the store holds of a change still committing). Answers the last key looked at
  // ("" past the end) and how many were rewritten.
  absl::StatusOr<std::pair<std::string, int64_t>> Reseal(engine::Engine::DomainTx& tx,
                                                         const std::string& after_key, int limit);

  // Erasure (docs/decisions/0014-erasure.md): writes into `tx` the anonymised records of the
  // workers holding `id_number` and their history entries; the registry changes only when the
  // returned function runs (once every module has agreed). Answers how many workers, and
  // FAILED_PRECONDITION (nothing written) when one is still employed.
  absl::StatusOr<std::pair<int64_t, std::function<void()>>> Erase(engine::Engine::DomainTx& tx,
                                                                   const std::string& id_number);

  bool Covers(std::string_view scope, std::string_view unit) const override;
  std::vector<std::string> Subtree(std::string_view unit) const override;

  // The workers (any status) recorded with this ID number (normalised), in the clear.
  absl::StatusOr<std::vector<wf::Worker>> WorkersWithIdNumber(const std::string& id_number) const;

  // Runs `fn(const Registry&)` under the shared lock.
  template <typename Fn>
  auto Read(Fn&& fn) const {
    std::shared_lock lock(mu_);
    return fn(static_cast<const wf::Registry&>(registry_));
  }

  // The quota review open for a unit: its instance and the revision's effective date.
  struct Review {
    int64_t instance_id = 0;
    std::string effective_from;
  };
  // By unit (read on the engine strand, or before the engine runs).
  const std::map<std::string, Review>& open_reviews() const { return reviews_; }

 private:
  // `workers`: the sealed records of change.workers.
  void Persist(engine::Engine::DomainTx& tx, const wf::Change& change,
               std::vector<store::RecordWrite> workers);
  // Cancels the unit's open review and starts the next one, due review_years after `revision`.
  void ScheduleReview(engine::Engine::DomainTx& tx, const wf::QuotaRevision& revision);
  absl::StatusOr<store::RecordWrite> SealedRecord(const wf::Worker& worker) const;
  absl::StatusOr<wf::Worker> OpenRecord(const store::Record& record) const;

  engine::Engine& engine_;
  store::Store& store_;
  const Sealer sealer_;
  mutable std::shared_mutex mu_;
  wf::Registry registry_;
  // By unit; touched only on the engine strand. An entry may name a review that has since
  // ended: cancelling it when the next revision comes is a no-op.
  std::map<std::string, Review> reviews_;
  // Not OK once a change was applied in memory but could not be sealed (on the strand).
  absl::Status unsealed_;
};

}  // namespace shequ::modules::workforce
