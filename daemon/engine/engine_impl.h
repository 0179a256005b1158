#pragma once

// Engine-private: the engine's state and the functions that work on it, behind Engine (the
// contract, engine.h). One strand serializes every command, timer and hand-out; the members
// below are touched only on it unless marked otherwise. Its units, by file:
//   commit.cc       transactions (Tx) and the commit pipeline: pending writes, the cache
//   interpreter.cc  how a token moves through the nodes, one function per node type
//   tasks.cc        user tasks: creation, countersign, the task commands, reminders, escalation
//   jobs.cc         service jobs: hand-out to workers, complete, fail and retry, lock timers
//   timers.cc       the timer index, firing what came due, the wake-up, the manual clock
//   engine.cc       lifecycle, definitions, instances and messages, domain transactions, and
//                   Engine's forwarding to Impl

#include <utility>  // before Boost.Asio with GCC 12 in C++20

#include <boost/asio.hpp>
#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <queue>
#include <set>
#include <shared_mutex>
#include <unordered_map>

#include "daemon/engine/engine.h"
#include "daemon/engine/object_cache.h"

namespace shequ::engine {

using SubscriptionKey = std::pair<std::string, std::string>;  // name, correlation

// Helpers the units share.
// `update` merged into `base`; *status says when the result would exceed `limit` bytes or
// `update` nests too deeply.
json MergedSize(const json& base, const json& update, size_t limit, absl::Status* status);
// A string as it is, anything else as JSON text.
std::string AsText(const json& v);
// A template giving epoch milliseconds or a "YYYY-MM-DD" date (its local midnight).
absl::StatusOr<int64_t> TimerAt(const Template& at, const json& vars, const WorkCalendar& cal);
// Day-level dates in China Standard Time, for notification texts.
std::string FormatLocal(int64_t ms);

class Engine::Impl {
 public:
  Impl(boost::asio::io_context& io, store::Store& store, const Clock& clock,
       const WorkCalendar& calendar, EngineOptions options);

  absl::Status Recover();

  // Commands (Engine's, on the strand through Execute).
  void Deploy(Caller caller, DeployRequest request, Reply reply);
  void Start(Caller caller, StartRequest request, Reply reply);
  void Cancel(Caller caller, CancelRequest request, Reply reply);
  void PublishMessage(Caller caller, PublishMessageRequest request, Reply reply);
  void ClaimTask(Caller caller, ClaimTaskRequest request, Reply reply);
  void CompleteTask(Caller caller, CompleteTaskRequest request, Reply reply);
  void DelegateTask(Caller caller, DelegateTaskRequest request, Reply reply);
  void TransferTask(Caller caller, TransferTaskRequest request, Reply reply);
  void ReturnTask(Caller caller, ReturnTaskRequest request, Reply reply);
  void CompleteJob(Caller caller, CompleteJobRequest request, Reply reply);
  void FailJob(Caller caller, FailJobRequest request, Reply reply);
  void ResolveIncident(Caller caller, ResolveIncidentRequest request, Reply reply);
  void AckNotification(Caller caller, AckNotificationRequest request, Reply reply);
  void AdvanceClock(ManualClock& clock, int64_t to_ms, Reply reply);
  void RecordReveal(Caller caller, std::vector<std::string> resources, std::string detail,
                    Reply reply);
  void ExecuteDomain(const char* command, std::string request_id, Caller caller,
                     std::function<absl::StatusOr<json>(DomainTx&)> body, Reply reply);
  int64_t OpenActivation(std::vector<std::string> types, std::string worker, int64_t lock_ms,
                         JobSink sink);
  void RequestJob(int64_t activation_id);
  void CloseActivation(int64_t activation_id);
  void ReleaseJob(int64_t job_id, int attempt);
  // ---- Definitions (engine.cc) ----
  // The one lookup of a deployed definition (version 0 = latest), from any thread: a version
  // kept loaded, else one in the cache of old versions, else read from the store and parsed
  // there and then (as a Tx reads an object the cache does not hold). NOT_FOUND when never
  // deployed; a failed read is the store's error and a text that no longer parses DATA_LOSS,
  // both naming the definition and version.
  absl::StatusOr<std::shared_ptr<const Definition>> FindDefinition(const std::string& id,
                                                                   int32_t version) const;
  // FindDefinition's answer, or null (a failure other than NOT_FOUND is logged).
  std::shared_ptr<const Definition> GetDefinition(const std::string& id, int32_t version = 0) const;
  std::vector<std::shared_ptr<const Definition>> LatestDefinitions() const;
  // Keeps `def` loaded from now on: an instance was started on it.
  void KeepLoaded(const std::shared_ptr<const Definition>& def);

  // ---- Transactions and the commit pipeline (commit.cc) ----
  template <typename T>
  struct Pending {
    T value;  // a deleted object is kept with `deleted` set
    bool deleted = false;
    uint64_t gen = 0;
    size_t bytes = 0;  // of its JSON body
  };
  // Runs `body` in a transaction on the strand and commits what it changed.
  // The request id is scoped to `command` and the caller's name.
  void Execute(const char* command, std::string request_id, Caller caller,
               std::function<absl::StatusOr<json>(Tx&)> body, Reply reply);
  void Commit(Tx& tx, json reply, std::string request_id, Reply done);
  // On the store's writer thread: queues a batch's result, waking the strand once for all the
  // results of a group commit rather than once per batch.
  void Committed(uint64_t gen, absl::Status status);
  void OnCommitted(uint64_t gen, absl::Status status);
  int64_t NextId(const std::string& sequence);

  // ---- Interpreter (interpreter.cc) ----
  void RunScheduled(Tx& tx);
  void Enter(Tx& tx, Instance& inst, Token& token);
  void Leave(Tx& tx, Instance& inst, int64_t token_id, const std::string& next);
  void MoveTo(Tx& tx, Instance& inst, int64_t token_id, const std::string& node);
  void RaiseIncident(Tx& tx, Instance& inst, Token& token, const std::string& kind,
                     const std::string& message, int64_t job_id = 0);
  void EndInstance(Tx& tx, Instance& inst, const std::string& state, const std::string& status);
  void ChildEnded(Tx& tx, const Instance& child);
  void ReleaseToken(Tx& tx, Instance& inst, Token& token);
  // Releases every token (tasks, jobs, timers, subscriptions, incidents) and cancels the child
  // instances they wait on.
  void WithdrawTokens(Tx& tx, Instance& inst, const std::string& reason);
  void CancelInstance(Tx& tx, Instance& inst, const std::string& reason, bool notify_parent);
  void RunHandler(Tx& tx, Instance& inst, Token& token, const Node& node, const Handler& handler);
  absl::StatusOr<int64_t> StartInstance(Tx& tx, const Definition& def, StartArgs args,
                                        int64_t parent_id, int64_t parent_token);
  void Notify(Tx& tx, Notification n);
  // The definition `inst` runs; null after a failed lookup, which is kept in tx.read_error and
  // fails the command (a running instance's version is kept loaded, so this is rare).
  std::shared_ptr<const Definition> DefinitionOf(Tx& tx, const Instance& inst) const;
  // One per node type, entered with the token on the node (call and foreach share one).
  void EnterEnd(Tx& tx, Instance& inst, Token& token, const Node& node);
  void EnterService(Tx& tx, Instance& inst, Token& token, const Node& node);
  void EnterUser(Tx& tx, Instance& inst, Token& token, const Node& node);
  void EnterExclusive(Tx& tx, Instance& inst, Token& token, const Node& node);
  void EnterParallel(Tx& tx, Instance& inst, Token& token, const Node& node);
  void EnterTimer(Tx& tx, Instance& inst, Token& token, const Node& node);
  void EnterMessage(Tx& tx, Instance& inst, Token& token, const Node& node);
  void EnterCall(Tx& tx, Instance& inst, Token& token, const Node& node);
  // Timer nodes and message time-outs: the token moves on.
  void FireTokenTimer(Tx& tx, const Timer& timer);
  // A buffered message's ttl ran out (engine.cc, with PublishMessage).
  void ExpireMessage(Tx& tx, const Timer& timer);

  // ---- User tasks (tasks.cc) ----
  void CreateTasks(Tx& tx, Instance& inst, Token& token, const Node& node,
                   const Definition& def);
  void CompleteTaskNode(Tx& tx, Instance& inst, Token& token);
  bool CanClaim(const Caller& caller, const Task& task) const;
  // Whether the caller's unit is `unit` or above it; true for "" (no scope).
  bool InScope(const Caller& caller, const std::string& unit) const;
  // Reminders, due notices and escalation.
  void FireTaskTimer(Tx& tx, const Timer& timer);

  // ---- Jobs (jobs.cc) ----
  struct Activation {
    std::vector<std::string> types;
    std::string worker;
    int64_t lock_ms;
    JobSink sink;
    int credits = 0;
  };
  // Makes the job activatable at once (no worker, no lock timer) and queues it for hand-out.
  void Requeue(Tx& tx, Job& job);
  void Dispatch();
  // A job's lock expired or its back-off is over: activatable again.
  void FireJobTimer(Tx& tx, const Timer& timer);

  // ---- Timers (timers.cc) ----
  struct TimerEntry {
    int64_t due_at_ms;
    int64_t id;
    bool operator>(const TimerEntry& o) const {
      return due_at_ms != o.due_at_ms ? due_at_ms > o.due_at_ms : id > o.id;
    }
  };
  // Fires every timer due by now; returns how many. *last_gen: the last batch it committed.
  // A failed store read stops it: that transaction is dropped, its timers stay due (retried
  // after kTimerRetryMs on the real clock) and the error is returned.
  absl::StatusOr<int> FireDueTimers(uint64_t* last_gen);
  static constexpr int64_t kTimerRetryMs = 1000;
  // Hands the timer to its kind's unit.
  void FireTimer(Tx& tx, const Timer& timer);
  void ScheduleWake();

  // ---- State ----
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::steady_timer wake_;
  int64_t wake_at_ms_ = 0;
  int64_t timers_retry_at_ms_ = 0;  // after a failed read, no wake-up before this
  store::Store& store_;
  const Clock& clock_;
  const WorkCalendar& calendar_;
  const EngineOptions options_;

  // Definitions kept loaded, by id and version: the latest of each and those active instances
  // ran at start-up (Store::LoadLiveDefinitions), and those deployed or started since. Any
  // other version is read on demand into old_definitions_.
  mutable std::shared_mutex definitions_mu_;  // guards the three below (read off the strand)
  std::map<std::string, std::map<int32_t, std::shared_ptr<const Definition>>> definitions_;
  // The highest version stored of each id at start-up, also when its text no longer parsed
  // (and so is not in definitions_): new versions are numbered above it.
  std::map<std::string, int32_t> stored_latest_;
  struct DefinitionKeyHash {
    size_t operator()(const std::pair<std::string, int32_t>& k) const {
      return std::hash<std::string>()(k.first) * 31 + std::hash<int32_t>()(k.second);
    }
  };
  mutable ObjectCache<std::shared_ptr<const Definition>, std::pair<std::string, int32_t>,
                      DefinitionKeyHash>
      old_definitions_;

  std::map<std::string, int64_t> sequences_;
  std::set<std::string> changed_sequences_;  // since the last batch: only these are written

  // Writes handed to the store but not yet durable, by object id; newest wins.
  std::unordered_map<int64_t, Pending<Instance>> pending_instances_;
  std::unordered_map<int64_t, Pending<Task>> pending_tasks_;
  std::unordered_map<int64_t, Pending<Job>> pending_jobs_;
  std::unordered_map<int64_t, Pending<Timer>> pending_timers_;
  std::unordered_map<int64_t, Pending<Incident>> pending_incidents_;
  std::unordered_map<int64_t, Pending<Notification>> pending_notifications_;
  std::unordered_map<std::string, Pending<json>> pending_requests_;
  // Durable state of recently committed objects, read after the pending writes and before the
  // store (docs/decisions/0001-engine-transactions.md).
  ObjectCache<Instance> cached_instances_;
  ObjectCache<Task> cached_tasks_;
  ObjectCache<Job> cached_jobs_;
  struct InFlight {
    std::vector<Reply> replies;
    std::vector<json> answers;
    std::vector<store::EventRow> events;
    std::vector<store::NotificationRow> notifications;
    std::vector<std::pair<int64_t, std::string>> ready_jobs;  // id, type
    std::vector<std::pair<int64_t, std::pair<Job, json>>> activated;
    std::vector<int64_t> instances, tasks, jobs, timers, incidents, notification_ids;
    std::vector<std::string> requests;
    // Published to definitions_ at Commit (later commands on the strand number versions after
    // them); withdrawn again if the commit fails, so reads never show a version not stored.
    std::vector<std::shared_ptr<const Definition>> deployed;
    std::function<void()> after_commit;  // the audit hook's
  };
  std::map<uint64_t, InFlight> in_flight_;
  std::mutex committed_mu_;
  std::vector<std::pair<uint64_t, absl::Status>> committed_;  // guarded by committed_mu_
  uint64_t next_gen_ = 1;

  std::priority_queue<TimerEntry, std::vector<TimerEntry>, std::greater<>> timers_;
  std::atomic<int64_t> timers_pending_{0};  // read off the strand
  std::map<SubscriptionKey, std::deque<std::pair<int64_t, int64_t>>> subscriptions_;
  std::map<std::string, Handler> handlers_;  // by job type; fixed before the strand runs
  std::map<SubscriptionKey, std::deque<BufferedMessage>> buffered_;

  std::map<std::string, std::deque<int64_t>> ready_jobs_;
  int64_t next_request_sweep_ms_ = 0;  // engine clock; see EngineOptions::request_retention_ms
  std::map<int64_t, Activation> activations_;
  std::atomic<int64_t> next_activation_{1};  // taken off the strand

  std::vector<CommitListener> listeners_;
  const UnitTree* units_ = nullptr;
  AuditHook* audit_ = nullptr;
};

}  // namespace shequ::engine
