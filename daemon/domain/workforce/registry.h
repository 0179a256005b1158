#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daemon/domain/workforce/model.h"
#include "daemon/domain/workforce/policy.h"
#include "daemon/domain/workforce/report.h"
#include "nlohmann/json.hpp"

// The workforce registry's in-memory write model: units, quota revisions and workers, with the
// rules of domain.md §1 and §3. Pure logic: dates and "today" are parameters, nothing is read
// or written outside the object. The caller persists what each operation returns.
//
// Contract of every mutating call: everything is validated first; on refusal nothing changes
// and the status says why (INVALID_ARGUMENT naming the field, NOT_FOUND, FAILED_PRECONDITION for
// a rule refusal, ALREADY_EXISTS for a duplicate). On success the change is applied and the
// returned Change lists every record to persist plus the audit entries to append.
//
// Not thread-safe; the owner serialises calls (the engine strand).
namespace shequ::domain::workforce {

struct AuditEntry {
  std::string subject;  // "unit:ID" or "worker:ID"
  std::string unit_id;  // the unit concerned (for a transfer: the destination)
  std::string type;     // e.g. "worker.transferred"
  nlohmann::json data;  // what changed and why; never unmasked personal data
};

struct Change {
  std::vector<Unit> units;
  std::vector<Worker> workers;
  std::vector<QuotaRevision> revisions;
  std::vector<AuditEntry> audit;
  std::vector<Reservation> reservations;  // changed quota reservations (upsert by campaign, unit)
};

struct UnitPatch {
  std::optional<std::string> name;
  std::optional<std::string> parent_id;
  std::optional<UnitKind> kind;
  std::optional<CommunityType> community_type;
  std::optional<int64_t> households;
  std::optional<int64_t> residents;
  std::optional<double> area_km2;
  std::optional<int> unit_class;
};

struct WorkerPatch {
  std::optional<std::string> name;
  std::optional<std::string> id_number;  // a correction; re-derives gender and birth date
  std::optional<std::string> phone;
  std::optional<Education> education;
  std::optional<std::vector<std::string>> certificates;
  std::optional<Employment> employment;  // dispatch -> in quota only through ConvertDispatch
  std::optional<std::string> post;
  std::optional<int> grade;
  std::optional<std::string> hired_on;
  std::optional<std::string> community_since;
  std::optional<bool> reserve_cadre;
  std::optional<Pay> pay;
  std::optional<std::string> number;
};

struct QuotaComputation {
  std::string unit_id;
  std::string base_key;  // "street_organ" or the community type
  int base = 0;
  int unit_class = 0;        // the class used (own or inherited)
  std::string class_source;  // the unit whose class was used
  double coefficient = 0;
  int staff_quota = 0;        // round(base × coefficient) by the policy's rounding
  int workstation_posts = 0;  // communities only
  int64_t households = 0;
};

struct ReviewDue {
  std::string unit_id;
  std::string last_effective_from;  // "" when the unit never had a revision
  std::string due_on;  // last + review period; for never-revised units their created date
};

struct WorkerFilter {
  std::string unit_id;  // subtree root; "" for all
  std::optional<WorkerStatus> status;
  std::string post;
  std::optional<Employment> employment;
  std::optional<bool> reserve_cadre;
  // Matches a name containing it, an external number or worker id equal to it, or an ID number
  // equal to it.
  std::string search;
};

struct WorkerPage {
  std::vector<Worker> workers;
  int64_t next_after_id = 0;  // 0 when there are no more
};

class Registry {
 public:
  Registry(QuotaPolicy quota, GradePolicy grades);

  // Recovery from the store: replaces all state, no rule checks (what was accepted stays).
  // Refuses only what would break the structure: duplicate ids, a unit whose parent is missing.
  absl::Status Load(std::vector<Unit> units, std::vector<QuotaRevision> revisions,
                    std::vector<Worker> workers);
  // The same with the stored quota reservations. Refuses a reservation whose unit is missing,
  // a (campaign, unit) pair given twice or negative counts.
  absl::Status Load(std::vector<Unit> units, std::vector<QuotaRevision> revisions,
                    std::vector<Worker> workers, std::vector<Reservation> reservations);
  // Pre-sizes for a bulk import of about `workers` more workers.
  void Reserve(size_t workers);
  // Swaps the policies. Returns ids of held workers whose post or grade no longer fit the new
  // ladder (they stay as they are; the caller reports them).
  std::vector<int64_t> ReplacePolicies(QuotaPolicy quota, GradePolicy grades);
  const QuotaPolicy& quota_policy() const { return quota_; }
  const GradePolicy& grade_policy() const { return grades_; }

  // ---- Units ----
  absl::StatusOr<Change> CreateUnit(Unit unit, std::string_view today);
  absl::StatusOr<Change> UpdateUnit(std::string_view id, const UnitPatch& patch,
                                    std::string_view today);
  absl::StatusOr<Unit> GetUnit(std::string_view id) const;
  std::vector<Unit> Children(std::string_view id) const;
  // The subtree in pre-order (children by id) with depths from 0; NOT_FOUND for an unknown root.
  // "" means the district root.
  absl::StatusOr<std::vector<std::pair<Unit, int>>> Tree(std::string_view root_id) const;
  // The street-level unit a unit belongs to (itself when street-level), or "".
  std::string StreetOf(std::string_view unit_id) const;
  // Whether `unit_id` is `scope_id` or lies under it (a street office covers its communities).
  bool Covers(std::string_view scope_id, std::string_view unit_id) const;
  size_t unit_count() const { return units_.size(); }

  // ---- Quota ----
  absl::StatusOr<QuotaComputation> ComputeQuota(std::string_view unit_id) const;
  absl::StatusOr<Change> ReviseQuota(std::string_view unit_id, int approved,
                                     std::string_view effective_from, std::string_view reason,
                                     std::string_view approved_by, std::string_view recorded_at,
                                     std::string_view approval_document = "");
  absl::StatusOr<std::vector<QuotaRevision>> QuotaHistory(std::string_view unit_id) const;
  absl::StatusOr<int> ApprovedQuota(std::string_view unit_id, std::string_view date) const;
  // Workplace units whose latest revision took effect review_years or more before `today`, or
  // that never had one.
  std::vector<ReviewDue> ReviewsDue(std::string_view today) const;

  // ---- Quota reservations for recruitment (招聘预留) ----
  // Reserves `posts` (> 0) vacancies at a workplace unit for a campaign: approved on `date` must
  // cover in-quota workers held + posts reserved by every campaign + these. A campaign holds one
  // reservation per unit: ALREADY_EXISTS while it still has posts there (release first to
  // change the count; a reservation at 0 posts is taken up again).
  absl::StatusOr<Change> ReserveQuota(std::string_view campaign_id, std::string_view unit_id,
                                      int posts, std::string_view date);
  // All or nothing over several units (a campaign's posts in its communities); a unit listed
  // twice has its posts summed.
  absl::StatusOr<Change> ReserveQuotas(std::string_view campaign_id,
                                       const std::vector<std::pair<std::string, int>>& posts,
                                       std::string_view date);
  // Cuts `posts` (1..reserved) from the campaign's reservation at the unit.
  absl::StatusOr<Change> ReleaseReservation(std::string_view campaign_id, std::string_view unit_id,
                                            int posts, std::string_view date);
  // Creates `worker` at worker.unit_id inside the campaign's reservation there, atomically:
  // reservation − 1, worker + 1. The employment must count against the quota. The hire must
  // still fit on `today`: approved ≥ held + 1 + other campaigns' reservations; otherwise
  // FAILED_PRECONDITION naming unit, approved, occupied and reserved (the quota was cut after
  // the reservation). Same field rules and id assignment as CreateWorker.
  absl::StatusOr<Change> HireReserved(std::string_view campaign_id, Worker worker,
                                      std::string_view today);
  // Reservations at a unit (every campaign, by campaign id), including those at 0 posts.
  absl::StatusOr<std::vector<Reservation>> Reservations(std::string_view unit_id) const;
  // A campaign's reservations (by unit id).
  std::vector<Reservation> CampaignReservations(std::string_view campaign_id) const;
  // Posts reserved at a unit by every campaign (0 for an unknown unit).
  int64_t ReservedPosts(std::string_view unit_id) const;

  // ---- Workers ----
  // Assigns the id (a given id is ignored), derives gender and birth date, fills pay from the
  // grade table when absent, and community_since from hired_on when empty.
  absl::StatusOr<Change> CreateWorker(Worker worker, std::string_view today);
  absl::StatusOr<Change> UpdateWorker(int64_t id, const WorkerPatch& patch, std::string_view today,
                                      std::string_view reason = "");
  // A filed transfer (备案): reason required; the destination's quota is checked on `date`.
  absl::StatusOr<Change> TransferWorker(int64_t id, std::string_view to_unit,
                                        std::string_view reason, std::string_view date,
                                        std::string_view by);
  absl::StatusOr<Change> ChangeStatus(int64_t id, WorkerStatus status, std::string_view reason,
                                      std::string_view date);
  // Labour dispatch -> contract (see quota.yaml dispatch_conversion).
  absl::StatusOr<Change> ConvertDispatch(int64_t id, std::string_view reason,
                                         std::string_view date);
  // Onboarding of a recruited worker: the contract's term (months, -1 open-ended) and the
  // probation's last day ("" without probation: regular from the hire), then the conversion to
  // regular status on `date`.
  absl::StatusOr<Change> RecordContract(int64_t id, int term_months,
                                        std::string_view probation_until, std::string_view today);
  absl::StatusOr<Change> ConvertToRegular(int64_t id, std::string_view date);
  // All or nothing. Each row is checked against the state as it would be after the rows before
  // it; an error names the row (1-based, and its file line) and the column.
  absl::StatusOr<Change> ImportRoster(std::vector<RosterRow> rows, std::string_view today);
  absl::StatusOr<Worker> GetWorker(int64_t id) const;
  // Erasure (PIPL; docs/decisions/0014-erasure.md): the workers with this ID number as they
  // are once anonymised (name kErasedName; no ID number, phone, birth date or employee number;
  // erased_on `today`) with their audit entries, without changing anything. Employment records
  // are kept while employed: FAILED_PRECONDITION naming the worker when one has not left.
  // An empty change when nobody holds the number. An erased worker changes no more.
  absl::StatusOr<Change> PlanErasure(std::string_view id_number, std::string_view today) const;
  // Puts the workers of PlanErasure's change in place (on the same state: nothing is checked).
  void ApplyErasure(const Change& change);
  // Workers with id > after_id matching `filter`, ascending by id, at most `limit` (> 0).
  absl::StatusOr<WorkerPage> ListWorkers(const WorkerFilter& filter, int64_t after_id,
                                         size_t limit) const;
  size_t worker_count() const { return workers_.size(); }

  // Post minimum + years / years_per_grade + education bonus, clamped to the post's range.
  absl::StatusOr<int> SuggestGrade(std::string_view post, int years_of_community_work,
                                   Education education) const;

  // ---- Reports ----
  // `unit_id` "" means the district root.
  absl::StatusOr<OccupancyReport> Occupancy(std::string_view unit_id, std::string_view today) const;
  PayParityReport PayParity() const;

 private:
  // Held workers per unit by [employment][status]; kept on every change so reports and quota
  // checks never scan workers.
  using Counts = std::array<std::array<int64_t, kStatusCount>, kEmploymentCount>;
  struct UnitNode {
    Unit unit;
    std::vector<std::string> children;  // sorted
    Counts counts{};
    std::vector<QuotaRevision> revisions;  // sorted by (effective_from, id)
    std::map<std::string, Reservation, std::less<>> reservations;  // by campaign id
    int64_t reserved = 0;                                          // sum of reservations' posts
  };
  // Pending effects of earlier rows within one ImportRoster call.
  struct Staged {
    std::unordered_map<std::string, int64_t> occupied;   // extra in-quota held by unit
    std::unordered_map<std::string, size_t> id_numbers;  // row index by ID number
  };

  const UnitNode* FindUnit(std::string_view id) const;
  UnitNode* FindUnit(std::string_view id);
  absl::Status ValidateUnit(const Unit& unit, bool creating) const;
  int64_t Occupied(const UnitNode& node) const;
  int ApprovedOn(const UnitNode& node, std::string_view date) const;
  // Room for `extra` more in-quota people on `date`; posts reserved for recruitment campaigns
  // count as taken (HireReserved makes its own check).
  absl::Status CheckQuotaRoom(const UnitNode& node, std::string_view date, int64_t extra,
                              std::string_view field) const;
  absl::Status ValidateCampaignId(std::string_view campaign_id) const;
  absl::Status CheckWorkplace(std::string_view unit_id, std::string_view field) const;
  absl::Status CheckIdNumberFree(const std::string& id_number, int64_t except_id) const;
  // Field checks shared by create, update and import (no quota, no uniqueness).
  absl::Status ValidateWorkerFields(Worker& worker, std::string_view today) const;
  absl::Status ValidateNewWorker(Worker& worker, std::string_view today,
                                 const Staged* staged) const;
  void Count(const Worker& w, int delta);
  void InsertWorker(Worker worker);
  std::string StreetStart(const Worker& w) const;
  int64_t NextWorkerId() { return next_worker_id_++; }
  void CollectSubtree(const std::string& id, std::vector<const UnitNode*>* out) const;
  std::vector<std::string> PostOrderSubtree(const std::string& id) const;

  QuotaPolicy quota_;
  GradePolicy grades_;
  std::map<std::string, UnitNode, std::less<>> units_;
  std::string root_id_;
  std::map<int64_t, Worker> workers_;
  std::unordered_map<std::string, int64_t> held_id_numbers_;  // ID number -> worker, not left
  int64_t next_worker_id_ = 1;
  int64_t next_revision_id_ = 1;
};

}  // namespace shequ::domain::workforce
