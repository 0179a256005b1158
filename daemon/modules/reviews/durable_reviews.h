#pragma once

// The annual review made durable (issue 15; rules in daemon/domain/reviews, docs/reviews.md).
//
// A cycle (one street office, one year) is held in memory with one sheet per worker it lists,
// and stored as module records (migrations/0001_tables.sql): the cycle, each sheet, and each
// worker's file of final ratings. Every change rewrites the records it touched inside an engine
// transaction, so a ballot, its sheet and the workflow moving on commit together.
//
// The workflows drive it (config/workflows/annual-review*.yaml): the cycle's `annual-review`
// fans out one `annual-review-worker` per rated worker; their user tasks are guarded by the
// built-in steps "review.*" (docs/workflows.md, Guard), which refuse a step that cannot be done
// yet and apply the ones that can in the completing transaction. After sign-off and the
// appeal window, `review.finalize` records the final ratings in the workers' files and hands
// the consequences to `annual-review-consequence`, which changes the registry.
//
// Ballots are secret by construction: a sheet keeps the box's voters and its tally apart
// (rv::BallotBox), and no history entry, reply or record names a voter's choice.

#include <atomic>
#include <map>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/domain/reviews/ballot.h"
#include "daemon/domain/reviews/consequences.h"
#include "daemon/domain/reviews/eligibility.h"
#include "daemon/domain/reviews/policy.h"
#include "daemon/domain/reviews/publication.h"
#include "daemon/domain/reviews/rating.h"
#include "daemon/engine/engine.h"
#include "daemon/modules/workforce/durable_registry.h"
#include "daemon/store/records.h"
#include "daemon/store/store.h"

namespace shequ::modules::reviews {

namespace rv = ::shequ::domain::reviews;

// One worker in one cycle.
struct Sheet {
  int64_t worker_id = 0;
  std::string unit_id;  // who reviews: the worker's unit, or the body served
  std::string home_unit_id;
  std::string informed_unit_id;  // the home unit of a seconded worker
  bool rated = true;             // false: listed, not rated (不确定等次), `reason` says why
  std::string reason;
  int months_on_post = 0;
  std::string report;
  std::vector<std::string> attachments;
  int64_t report_at_ms = 0;
  rv::BallotBox box{0};
  std::optional<rv::Tenths> satisfaction, target;
  std::optional<int> unexcused_absence_days;
  std::string grave_error;
  std::set<std::string> steps_done;        // report, appraisal, scores
  std::optional<rv::RatingResult> result;  // at sign-off
  std::optional<rv::Outcome> outcome;      // published
  bool final = false;                      // recorded in the worker's file
  int64_t instance_id = 0;                 // annual-review-worker
  int64_t appeal_instance_id = 0;          // annual-review-appeal
};

// A cycle's own fields (what most answers need, cheap to copy) …
struct CycleInfo {
  std::string id;  // "bh.wuhu/2026"
  std::string street_unit_id;
  int year = 0;
  std::string state = "open";  // open, signed_off (published at once), final
  int64_t instance_id = 0;     // annual-review
  int64_t opened_at_ms = 0;
  std::string signed_off_by;
  int64_t signed_off_at_ms = 0;
  std::optional<rv::Publication> publication;
};
// … and its sheets.
struct Cycle : CycleInfo {
  std::map<int64_t, Sheet> sheets;  // by worker
};

// A worker's final ratings by year (imported or reviewed) and what the next review reads.
struct WorkerFile {
  struct Year {
    int year = 0;
    rv::Rating rating = rv::Rating::kNotRated;
    std::string source;  // review, import
    std::string cycle_id;
    std::vector<std::string> entries;
  };
  int64_t worker_id = 0;
  int qualifying_years = 0;
  bool promotion_priority = false;
  std::map<int, Year> years;
};

// What the answers about a cycle count, counted under the lock (no copy of the sheets).
struct CycleSummary {
  CycleInfo info;
  int workers = 0, rated = 0, reports = 0, appraisals = 0, scores = 0, appeals_pending = 0;
  std::map<std::string, int> ratings;  // published ratings by rating id
};

// An open step past its due time.
struct Overdue {
  std::string step;
  int64_t worker_id = 0;
  engine::Task task;
};

class DurableReviews {
 public:
  static constexpr char kCycleWorkflow[] = "annual-review";
  static constexpr char kWorkerWorkflow[] = "annual-review-worker";
  static constexpr char kAppealWorkflow[] = "annual-review-appeal";
  static constexpr char kCycles[] = "reviews_cycles";  // by cycle id; street_unit_id, year
  static constexpr char kSheets[] = "reviews_sheets";  // "<cycle>/<worker>"; cycle_id
  static constexpr char kFiles[] = "reviews_files";    // by worker
  static std::vector<store::TableSpec> Tables();

  DurableReviews(engine::Engine& engine, store::Store& store, workforce::DurableRegistry& registry,
                 rv::ReviewPolicy policy);

  void RegisterHandlers();
  absl::Status Recover();
  // Once the policy's `cycle_opens` day of the year has come, opens the year's cycle of every
  // street office that has none (one transaction each, as the daemon); a street office created
  // later gets its cycle at the next call. Called periodically; cheap when nothing is due.
  void OpenDueCycles();

  // ---- Commands (each one engine transaction; the reply after the commit) ----
  // Replies {"cycle_id"}.
  void OpenCycle(const engine::Caller& caller, std::string street, int year, std::string request_id,
                 engine::Reply reply);
  // `check(sheet)` is the caller's scope check on the worker's sheet, run on the strand.
  using SheetCheck = std::function<absl::Status(const Sheet&)>;
  void SubmitReport(const engine::Caller& caller, std::string cycle_id, int64_t worker_id,
                    std::string text, std::vector<std::string> attachments, SheetCheck check,
                    std::string request_id, engine::Reply reply);
  // Replies {"ballots"}.
  void CastBallot(const engine::Caller& caller, std::string cycle_id, int64_t worker_id,
                  rv::VoterKind kind, rv::Rating choice, SheetCheck check, std::string request_id,
                  engine::Reply reply);
  struct Scores {
    std::optional<rv::Tenths> satisfaction, target;
    std::optional<int> unexcused_absence_days;
    std::optional<std::string> grave_error;
  };
  void RecordScores(const engine::Caller& caller, std::string cycle_id, int64_t worker_id,
                    Scores scores, SheetCheck check, std::string request_id, engine::Reply reply);
  // Files the worker's appeal and starts the leading group's decision.
  void FileAppeal(const engine::Caller& caller, std::string cycle_id, int64_t worker_id,
                  std::string grounds, SheetCheck check, std::string request_id,
                  engine::Reply reply);
  // CSV "worker_id,year,rating" with a header row; all or nothing. Replies {"imported"}.
  void ImportRatings(const engine::Caller& caller, std::string csv, std::string request_id,
                     engine::Reply reply);

  // ---- Personal data (docs/decisions/0014-erasure.md) ----
  // Everything held about these workers: their sheets in every cycle (the tally, never the
  // ballots) and their files.
  engine::json PersonalDataOf(const std::vector<int64_t>& workers) const;
  // Rewrites, in `tx`, these workers' sheets with their own words (the report, its
  // attachments, appeal grounds) as "[erased]"; ratings, scores and tallies stay for the
  // statistics. Answers how many sheets, and the change in memory to make once all agreed.
  std::pair<int64_t, std::function<void()>> Erase(engine::Engine::DomainTx& tx,
                                                  const std::vector<int64_t>& workers);

  // ---- Reads (copies under the shared lock) ----
  absl::StatusOr<Cycle> GetCycle(const std::string& id) const;  // with every sheet
  absl::StatusOr<CycleInfo> GetCycleInfo(const std::string& id) const;
  absl::StatusOr<CycleSummary> Summary(const std::string& id) const;
  std::vector<CycleInfo> ListCycles(const std::string& street, int year) const;
  absl::StatusOr<Sheet> GetSheet(const std::string& cycle_id, int64_t worker_id) const;
  // Sheets after `after_worker`, at most `limit`, whose reviewing or informed unit `keep`s.
  absl::StatusOr<std::vector<Sheet>> ListSheets(
      const std::string& cycle_id, int64_t after_worker, int limit,
      const std::function<bool(const Sheet&)>& keep) const;
  // The ratings sign-off would fix now; FAILED_PRECONDITION listing what is missing.
  absl::StatusOr<std::vector<rv::RatingResult>> Calibrate(const std::string& cycle_id) const;
  absl::StatusOr<std::vector<Overdue>> ListOverdue(const std::string& cycle_id) const;
  std::optional<WorkerFile> File(int64_t worker_id) const;
  const rv::ReviewPolicy& policy() const { return policy_; }
  // Whether the result of `sheet` is final today (appeal decided, or none and the window over).
  bool IsFinal(const CycleInfo& cycle, const Sheet& sheet) const;
  size_t cycle_count() const {
    std::shared_lock lock(mu_);
    return cycles_.size();
  }

 private:
  Cycle* Find(const std::string& id);
  absl::StatusOr<Sheet*> FindSheet(const std::string& cycle_id, int64_t worker_id);
  // Lists the street's workers for `year` and starts the cycle's workflow, in `tx`;
  // FAILED_PRECONDITION with `skip_empty` when no worker is listed.
  absl::StatusOr<Cycle*> Open(engine::Engine::DomainTx& tx, const std::string& street, int year,
                              bool skip_empty = false);
  // A sheet command: finds the sheet, runs `check` and `change`, saves the sheet.
  void SheetCommand(
      const char* command, const engine::Caller& caller, std::string cycle_id, int64_t worker_id,
      SheetCheck check, std::string request_id,
      std::function<absl::StatusOr<engine::json>(engine::Engine::DomainTx&, Cycle&, Sheet&)> change,
      engine::Reply reply);
  void Save(engine::Engine::DomainTx& tx, const Cycle& c);
  void Save(engine::Engine::DomainTx& tx, const Cycle& c, const Sheet& s);
  void Save(engine::Engine::DomainTx& tx, const WorkerFile& f);
  // The handlers' cycle and sheet, from the workflow's variables.
  absl::StatusOr<Cycle*> CycleOf(const engine::Engine::HandlerCall& call);
  absl::StatusOr<Sheet*> SheetOf(const engine::Engine::HandlerCall& call);
  // Final ratings into the files, and the consequences the workflow applies.
  absl::StatusOr<engine::json> Finalize(engine::Engine::DomainTx& tx, Cycle& c);
  std::string Today() const;

  engine::Engine& engine_;
  store::Store& store_;
  workforce::DurableRegistry& registry_;
  const rv::ReviewPolicy policy_;
  mutable std::shared_mutex mu_;  // changed on the engine strand only
  std::map<std::string, Cycle> cycles_;
  std::map<int64_t, WorkerFile> files_;
  std::atomic<int> opening_{0};       // OpenDueCycles' transactions still running
  std::set<std::string> not_opened_;  // cycles OpenDueCycles could not open (logged once)
};

}  // namespace shequ::modules::reviews
