#pragma once

// The workflow engine. Every command runs on one strand: it reads what it needs (its own
// uncommitted writes, then writes pending commit, then the store), changes objects inside a
// transaction, and on success hands the transaction's rows to the store as one WriteBatch. The
// command's reply runs only after that batch is durable. A command that fails changes nothing.
//
// Hot state kept in memory: the timer index (due time and id), the queues of jobs ready for
// workers, message subscriptions and buffered messages, and a bounded cache of recently
// committed instances, tasks and jobs. Everything else lives in the store.

#include <utility>  // before Boost.Asio with GCC 12 in C++20

#include <boost/asio.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <queue>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/core/calendar.h"
#include "daemon/core/clock.h"
#include "daemon/engine/definition.h"
#include "daemon/engine/model.h"
#include "daemon/engine/object_cache.h"
#include "daemon/store/store.h"

namespace shequ::engine {

// Who is calling, as named in request metadata (x-shequ-user, x-shequ-roles, x-shequ-unit).
struct Caller {
  std::string user;
  std::vector<std::string> roles;
  std::string unit;
  bool HasRole(const std::string& role) const;
};

using Reply = std::function<void(absl::StatusOr<json>)>;

struct EngineOptions {
  int max_steps = 1000;                 // nodes one instance may pass without waiting
  // How deep call/foreach children may nest below their root instance, and how many instances
  // one root's tree may start in all: a definition that calls itself stops with an incident
  // (call-depth-limit, spawn-limit) instead of growing without bound in one transaction.
  int max_call_depth = 16;
  int64_t max_spawned_instances = 10'000;
  size_t max_variables_bytes = 1 << 20;
  int64_t default_job_lock_ms = 300'000;
  int64_t max_backoff_ms = 3'600'000;
  int max_timers_per_transaction = 1000;
  // Committed instances, tasks and jobs kept in memory (of each kind, least recently used out
  // first), so the next command on them does not read the row back and parse it. 0 = none.
  size_t cache_objects = 4096;
  // Objects whose JSON body is larger are not kept: bounds the cache's memory.
  size_t cache_max_body_bytes = 64 << 10;
  // How long a request_id's answer is kept for retries (at least; swept about hourly on the
  // engine's clock). 0 = forever.
  int64_t request_retention_ms = int64_t{7} * 86'400'000;
};

// A job answered by a worker: its id and, when the worker gives it, the hand-out (Job::attempt)
// it answers, so a worker whose lock expired cannot answer for the job's next hand-out.
struct JobRef {
  JobRef(int64_t id, int attempt = 0) : id(id), attempt(attempt) {}  // NOLINT: an id is a ref
  int64_t id;
  int attempt;  // 0 = not checked
};

struct StartArgs {
  std::string definition_id;
  int32_t version = 0;
  std::string business_key;
  std::string unit;
  json variables = json::object();
};

// The tree of units that task scopes refer to (the workforce registry, in the daemon).
class UnitTree {
 public:
  virtual ~UnitTree() = default;
  // Whether `unit` is `scope` or lies under it. Thread-safe.
  virtual bool Covers(std::string_view scope, std::string_view unit) const = 0;
  // `unit` and every unit under it; empty if the tree does not know `unit`. Thread-safe.
  virtual std::vector<std::string> Subtree(std::string_view unit) const = 0;
};

class Engine {
  class Tx;  // transaction.h

 public:
  Engine(boost::asio::io_context& io, store::Store& store, const Clock& clock,
         const WorkCalendar& calendar, EngineOptions options = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Loads definitions, sequences, the timer index, ready jobs and messages. Call once, before
  // the io_context runs.
  absl::Status Recover();

  // Commands. Thread-safe. `request_id`, when not empty, makes a retry return the first answer.
  void Deploy(std::string yaml, std::string request_id, Reply reply);
  void Start(Caller caller, StartArgs args, std::string request_id, Reply reply);
  void Cancel(Caller caller, int64_t instance_id, std::string reason, std::string request_id,
              Reply reply);
  void PublishMessage(Caller caller, std::string name, std::string correlation, json variables,
                      int64_t ttl_ms, std::string request_id, Reply reply);
  void ClaimTask(Caller caller, int64_t task_id, std::string request_id, Reply reply);
  void CompleteTask(Caller caller, int64_t task_id, std::string outcome, json variables,
                    std::string comment, std::string request_id, Reply reply);
  void DelegateTask(Caller caller, int64_t task_id, std::string to, std::string comment,
                    std::string request_id, Reply reply);
  void TransferTask(Caller caller, int64_t task_id, std::string to, std::string comment,
                    std::string request_id, Reply reply);
  void ReturnTask(Caller caller, int64_t task_id, std::string to_node, std::string comment,
                  std::string request_id, Reply reply);
  void CompleteJob(Caller caller, JobRef job, json variables, std::string request_id,
                   Reply reply);
  void FailJob(Caller caller, JobRef job, std::string error, int retries_left,
               std::string request_id, Reply reply);
  void ResolveIncident(Caller caller, int64_t incident_id, int retries, json variables,
                       std::string request_id, Reply reply);
  void AckNotification(Caller caller, int64_t notification_id, std::string request_id,
                       Reply reply);
  // Domain modules (the workforce registry, recruitment, …) run their commands as engine
  // transactions: the rows they write, the history they record and the workflows they start
  // commit together or not at all, and the reply waits for the commit.
  class DomainTx {
   public:
    int64_t now() const;
    const std::string& actor() const;
    // Registry rows to write (units, quota_revisions, workers).
    store::WriteBatch& rows();
    // A registry change in the event history: subject "worker:12" or "unit:bh.wuhu".
    void Record(std::string subject, std::string unit, std::string type, json data);
    absl::StatusOr<int64_t> StartInstance(StartArgs args);
    // Cancels an active instance; one that already ended is left as it is.
    absl::Status CancelInstance(int64_t instance_id, const std::string& reason);

   private:
    friend class Engine;
    DomainTx(Engine& engine, Tx& tx) : engine_(engine), tx_(tx) {}
    Engine& engine_;
    Tx& tx_;
  };
  void ExecuteDomain(const char* command, std::string request_id, std::string actor,
                     std::function<absl::StatusOr<json>(DomainTx&)> body, Reply reply);

  // Built-in handlers. A service node whose job type has a handler runs it inside the
  // transaction that reaches the node, instead of making a job for a worker: the domain change
  // it makes (through DomainTx) and the instance moving on commit together. What it returns (a
  // JSON object) is merged into the instance's variables; an error raises an incident on the
  // node, and resolving the incident runs the handler again. Register before Recover.
  struct HandlerCall {
    int64_t instance_id;
    const std::string& business_key;
    const std::string& node;
    const json& variables;
  };
  using Handler = std::function<absl::StatusOr<json>(DomainTx&, const HandlerCall&)>;
  void RegisterHandler(std::string job_type, Handler handler);

  // Manual clock only: moves it to `to_ms`, fires what came due, stores the time reached (as
  // the sequence kFakeClockSequence) and replies after all of it committed.
  void AdvanceClock(ManualClock& clock, int64_t to_ms, Reply reply);
  static constexpr char kFakeClockSequence[] = "fake_clock_ms";

  // Job workers. A sink receives each activated job after its lock committed. The worker asks
  // for one job at a time with RequestJob, so a slow stream never piles jobs up. A sink returns
  // false when it cannot deliver the job (its stream is ending): the job is released at once.
  using JobSink = std::function<bool(const Job& job, const json& variables)>;
  int64_t OpenActivation(std::vector<std::string> types, std::string worker, int64_t lock_ms,
                         JobSink sink);
  void RequestJob(int64_t activation_id);
  void CloseActivation(int64_t activation_id);
  // Gives back a job whose hand-out (`attempt`) never reached its worker: activatable again at
  // once, no retry used up. Attempts stay unique per hand-out (they fence late answers). A no-op
  // if the job has moved on since.
  void ReleaseJob(int64_t job_id, int attempt);

  // Called on the strand with what each commit made durable (events, notifications).
  using CommitListener = std::function<void(const std::vector<store::EventRow>&,
                                            const std::vector<store::NotificationRow>&)>;
  void AddCommitListener(CommitListener listener);
  // Lets a caller take the tasks scoped to the units under its own (decision 0003); without a
  // tree, a task's unit must equal the caller's. Set before serving; `units` must outlive the
  // engine's commands.
  void SetUnitTree(const UnitTree* units) { units_ = units; }

  // Thread-safe reads of deployed definitions. version 0 = latest.
  std::shared_ptr<const Definition> GetDefinition(const std::string& id, int32_t version = 0) const;
  std::vector<std::shared_ptr<const Definition>> LatestDefinitions() const;

  int64_t TimersPending() const { return timers_pending_.load(); }
  const WorkCalendar& calendar() const { return calendar_; }
  const Clock& clock() const { return clock_; }

 private:
  struct TimerEntry {
    int64_t due_at_ms;
    int64_t id;
    bool operator>(const TimerEntry& o) const {
      return due_at_ms != o.due_at_ms ? due_at_ms > o.due_at_ms : id > o.id;
    }
  };
  struct Activation {
    std::vector<std::string> types;
    std::string worker;
    int64_t lock_ms;
    JobSink sink;
    int credits = 0;
  };
  template <typename T>
  struct Pending {
    T value;  // a deleted object is kept with `deleted` set
    bool deleted = false;
    uint64_t gen = 0;
    size_t bytes = 0;  // of its JSON body
  };
  using SubscriptionKey = std::pair<std::string, std::string>;  // name, correlation

  // Runs `body` in a transaction on the strand and commits what it changed.
  void Execute(const char* command, std::string request_id, std::string actor,
               std::function<absl::StatusOr<json>(Tx&)> body, Reply reply);
  void Commit(Tx& tx, json reply, std::string request_id, Reply done);
  // On the store's writer thread: queues a batch's result, waking the strand once for all the
  // results of a group commit rather than once per batch.
  void Committed(uint64_t gen, absl::Status status);
  void OnCommitted(uint64_t gen, absl::Status status);

  // Interpreter (interpreter.cc).
  void RunScheduled(Tx& tx);
  void Enter(Tx& tx, Instance& inst, Token& token);
  void Leave(Tx& tx, Instance& inst, int64_t token_id, const std::string& next);
  void MoveTo(Tx& tx, Instance& inst, int64_t token_id, const std::string& node);
  void RaiseIncident(Tx& tx, Instance& inst, Token& token, const std::string& kind,
                     const std::string& message, int64_t job_id = 0);
  void CreateTasks(Tx& tx, Instance& inst, Token& token, const Node& node,
                   const Definition& def);
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
  void CompleteTaskNode(Tx& tx, Instance& inst, Token& token);
  void FireTimer(Tx& tx, const Timer& timer);
  // Makes the job activatable at once (no worker, no lock timer) and queues it for hand-out.
  void Requeue(Tx& tx, Job& job);
  void Notify(Tx& tx, Notification n);
  std::shared_ptr<const Definition> DefinitionOf(const Instance& inst) const;

  // Timers and jobs (engine.cc).
  // Fires every timer due by now; returns how many. *last_gen: the last batch it committed.
  int FireDueTimers(uint64_t* last_gen);
  void ScheduleWake();
  void Dispatch();
  bool CanClaim(const Caller& caller, const Task& task) const;
  // Whether the caller's unit is `unit` or above it; true for "" (no scope).
  bool InScope(const Caller& caller, const std::string& unit) const;

  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::steady_timer wake_;
  int64_t wake_at_ms_ = 0;
  store::Store& store_;
  const Clock& clock_;
  const WorkCalendar& calendar_;
  const EngineOptions options_;

  mutable std::shared_mutex definitions_mu_;
  std::map<std::string, std::vector<std::shared_ptr<const Definition>>> definitions_;

  std::map<std::string, int64_t> sequences_;
  std::set<std::string> changed_sequences_;  // since the last batch: only these are written
  int64_t NextId(const std::string& sequence);

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
  };
  std::map<uint64_t, InFlight> in_flight_;
  std::mutex committed_mu_;
  std::vector<std::pair<uint64_t, absl::Status>> committed_;  // guarded by committed_mu_
  uint64_t next_gen_ = 1;

  std::priority_queue<TimerEntry, std::vector<TimerEntry>, std::greater<>> timers_;
  std::atomic<int64_t> timers_pending_{0};
  std::map<SubscriptionKey, std::deque<std::pair<int64_t, int64_t>>> subscriptions_;
  std::map<std::string, Handler> handlers_;  // by job type; fixed before Recover
  std::map<SubscriptionKey, std::deque<BufferedMessage>> buffered_;

  std::map<std::string, std::deque<int64_t>> ready_jobs_;
  int64_t next_request_sweep_ms_ = 0;  // engine clock; see EngineOptions::request_retention_ms
  std::map<int64_t, Activation> activations_;
  std::atomic<int64_t> next_activation_{1};

  std::vector<CommitListener> listeners_;
  const UnitTree* units_ = nullptr;
};

}  // namespace shequ::engine
