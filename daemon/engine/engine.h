#pragma once

// The workflow engine: deploys definitions, runs their instances, and serves the user tasks,
// jobs, messages and incidents they wait on. This header is its whole contract; how it works is
// in docs/decisions/0001-engine-transactions.md and behind Engine::Impl.
//
// Commands (Deploy, Start, CompleteTask, …) are thread-safe and asynchronous. Each runs as one
// transaction on the engine's strand: it reads what it needs, changes objects, and hands every
// row it changed to the store as one WriteBatch. Its Reply runs exactly once, after that batch
// is durable (or with the error); a command that fails changes nothing. A request_id, when not
// empty, makes a retry of the same command get the first answer without a second effect.
//
// Reads of deployed definitions are thread-safe and synchronous. Everything else (instances,
// tasks, jobs, history) is read from the store.
//
// Lifecycle: construct; SetUnitTree, AddCommitListener and RegisterHandler; Recover; then run
// the io_context. Recover only queues work (due timers, ready jobs) on the strand, so handlers
// registered after it but before the io_context runs are in time for it. Destroy the engine
// after the io_context has stopped.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/core/calendar.h"
#include "daemon/core/clock.h"
#include "daemon/engine/definition.h"
#include "daemon/engine/model.h"
#include "daemon/store/store.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace shequ::engine {

class Tx;  // a command's transaction (engine-private)

// Who is calling (an authenticated principal: daemon/auth/principal.h) and for which API call.
struct Caller {
  std::string user;
  std::vector<std::string> roles;
  std::string unit;
  // The API call this command serves ("shequ.v1.Tasks/Complete"): its commit carries the audit
  // entry of the call. Empty for the daemon's own commands (timers, demo data).
  std::string call;
  // The credential that proved the caller (an API token's id), so that revoking it ends what
  // it holds open; the engine does not read it.
  std::string credential;
  bool HasRole(const std::string& role) const;
};

// A command's answer (a JSON object), or why it was refused.
using Reply = std::function<void(absl::StatusOr<json>)>;

// ---- The audit trail's hook (docs/decisions/0012-audit-trail.md) ----------------------------

// The entry of one API call, built by the engine from the command's Caller and what its
// transaction wrote; the hook numbers it, chains it and writes it.
struct AuditEntry {
  int64_t at_ms = 0;
  std::string principal;
  std::vector<std::string> roles;
  std::string method;      // Caller::call
  std::string request_id;  // as the caller sent it
  // What the transaction wrote ("instance:5", "task:12", "worker:3"): the first
  // kMaxAuditResources of them, and how many there were in all.
  std::vector<std::string> resources;
  int64_t resource_count = 0;
  std::string outcome = "ok";  // or a refusal's code name ("PERMISSION_DENIED")
  std::string detail;          // why it was refused; what an answer revealed
};
inline constexpr size_t kMaxAuditResources = 32;

// Receives every batch the engine commits, on the strand and in commit order (the order the
// store writes them), so that a hash chain kept on the strand follows the database.
class AuditHook {
 public:
  virtual ~AuditHook() = default;
  // `entry`: the API call's entry, or null for the daemon's own commits (timers, hand-outs),
  // which the hook may use for periodic work (checkpoints, retention). The hook adds its rows
  // to `batch`; what it leaves in `after_commit` runs on the strand once the batch is durable.
  virtual void OnCommit(const AuditEntry* entry, int64_t now_ms, store::WriteBatch& batch,
                        std::function<void()>& after_commit) = 0;
};

struct EngineOptions {
  int max_steps = 1000;  // nodes one instance may pass without waiting (incident loop-limit)
  // How deep call/foreach children may nest below their root instance, and how many instances
  // one root's tree may start in all: a definition that calls itself stops with an incident
  // (call-depth-limit, spawn-limit) instead of growing without bound in one transaction.
  int max_call_depth = 16;
  int64_t max_spawned_instances = 10'000;
  size_t max_variables_bytes = 1 << 20;  // an instance's variables, as JSON text
  int64_t default_job_lock_ms = 300'000;
  int64_t max_backoff_ms = 3'600'000;
  int max_timers_per_transaction = 1000;
  // Committed instances, tasks and jobs kept in memory (of each kind, least recently used out
  // first), so the next command on them does not read the row back and parse it. 0 = none.
  size_t cache_objects = 4096;
  // Objects whose JSON body is larger are not kept: bounds the cache's memory.
  size_t cache_max_body_bytes = 64 << 10;
  // Old definition versions (neither the latest nor run by an instance active at start-up)
  // stay on disk and are read when something asks for one (Get, an ended instance's view,
  // starting that version); this many of them are kept parsed, least recently used out first.
  // A version may be 1 MiB of YAML and more once parsed, so the default stays small.
  size_t cache_definitions = 16;
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

// What to start: the definition (version 0 = latest), a business key, the unit the instance
// belongs to, and its first variables.
struct StartArgs {
  std::string definition_id;
  int32_t version = 0;
  std::string business_key;
  std::string unit;
  json variables = json::object();
};

// ---- Command requests. request_id: see above; empty = no retry protection. ------------------

struct DeployRequest {
  std::string yaml;  // docs/workflows.md; an unchanged text answers the version deployed
  std::string request_id;
};
// Answer: {id, version, changed}.

struct StartRequest {
  StartArgs args;
  std::string request_id;
};
// Answer: {instance_id, version}.

struct CancelRequest {
  int64_t instance_id = 0;
  std::string reason;
  std::string request_id;
};

struct PublishMessageRequest {
  std::string name;
  std::string correlation;
  json variables = json::object();  // merged into the instance that receives it
  int64_t ttl_ms = 0;  // > 0: buffered this long when no instance waits for it yet
  std::string request_id;
};
// Answer: {delivered_to (an instance id, or 0), buffered}.

struct ClaimTaskRequest {
  int64_t task_id = 0;
  std::string request_id;
};

struct CompleteTaskRequest {
  int64_t task_id = 0;
  std::string outcome;              // one of the task's outcomes, when it lists any
  json variables = json::object();  // merged into the instance
  std::string comment;
  std::string request_id;
};

struct DelegateTaskRequest {  // 委派: the delegate answers, the owner completes
  int64_t task_id = 0;
  std::string to;
  std::string comment;
  std::string request_id;
};

struct TransferTaskRequest {  // 转办: the task moves for good
  int64_t task_id = 0;
  std::string to;
  std::string comment;
  std::string request_id;
};

struct ReturnTaskRequest {  // 退回: back to a user step the instance already passed
  int64_t task_id = 0;
  std::string to_node;
  std::string comment;
  std::string request_id;
};
// The task commands answer {task}: the task as it now stands.

struct CompleteJobRequest {
  JobRef job;
  json variables = json::object();  // merged into the instance
  std::string request_id;
};

struct FailJobRequest {
  JobRef job;
  std::string error;
  int retries_left = -1;  // -1: count down the node's retries; else the attempts left from now
  std::string request_id;
};
// Answer: {incident (no retries left: an incident was raised), retry_at_ms}.

struct ResolveIncidentRequest {
  int64_t incident_id = 0;
  int retries = 0;                  // a failed job's new retries (at least 1)
  json variables = json::object();  // merged into the instance before it goes on
  std::string request_id;
};

struct AckNotificationRequest {
  int64_t notification_id = 0;
  std::string request_id;
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
 public:
  class Impl;  // engine-private (engine_impl.h)

  // `io` runs the engine's strand; `store`, `clock` and `calendar` must outlive the engine.
  Engine(boost::asio::io_context& io, store::Store& store, const Clock& clock,
         const WorkCalendar& calendar, EngineOptions options = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Loads definitions (the latest of each and those active instances run; older versions are
  // read when asked for), sequences, the timer index, ready jobs and messages from the store,
  // and queues the timers already due. Call once, before the io_context runs. An error: the store
  // is not healthy.
  absl::Status Recover();

  // ---- Commands (thread-safe; see the top of this file) ----
  // A request_id is scoped to the command and the caller's name: another caller reusing it
  // runs its own command. A command whose Caller names an API call (Caller::call) commits an
  // audit entry with its change (SetAuditHook).
  void Deploy(DeployRequest request, Reply reply);  // the daemon's own deploy (no caller)
  void Deploy(Caller caller, DeployRequest request, Reply reply);
  void Start(Caller caller, StartRequest request, Reply reply);
  // Withdraws every task, job, timer and child instance of an active instance.
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

  // Manual clock only: moves it to `to_ms` (never back: INVALID_ARGUMENT), fires what came due,
  // stores the time reached (the sequence kFakeClockSequence, from which a restart goes on) and
  // replies {now_ms, timers_fired} after all of it committed.
  void AdvanceClock(ManualClock& clock, int64_t to_ms, Reply reply);
  static constexpr char kFakeClockSequence[] = "fake_clock_ms";

  // Commits only the audit entry of `caller`'s call (Caller::call; nothing is written when it
  // is empty) naming `resources` and `detail`, and replies {} once it is durable: for answers
  // that reveal unmasked personal data, which wait for it.
  void RecordReveal(Caller caller, std::vector<std::string> resources, std::string detail,
                    Reply reply);

  // ---- Domain modules ----
  // Domain modules (the workforce registry, recruitment, …) run their commands as engine
  // transactions: the rows they write, the history they record and the workflows they start
  // commit together or not at all, and the reply waits for the commit.
  class DomainTx {
   public:
    int64_t now() const;
    const std::string& actor() const;
    const Caller& caller() const;
    // The call's audit entry names `resource` ("worker:3") besides what the transaction wrote.
    void AuditResource(std::string resource);
    // The call's audit entry says `outcome` (a refusal's code name) and `detail`, not "ok", and
    // names `request_id` (a refused call's, which is not kept for retries).
    void AuditOutcome(std::string outcome, std::string detail, std::string request_id = "");
    // Rows to write; modules add their records (rows().records).
    store::WriteBatch& rows();
    // A registry change in the event history: subject "worker:12" or "unit:bh.wuhu".
    void Record(std::string subject, std::string unit, std::string type, json data);
    absl::StatusOr<int64_t> StartInstance(StartArgs args);
    // Cancels an active instance; one that already ended is left as it is.
    absl::Status CancelInstance(int64_t instance_id, const std::string& reason);

   private:
    friend class Engine;
    friend class Impl;
    DomainTx(Impl& engine, Tx& tx) : engine_(engine), tx_(tx) {}
    Impl& engine_;
    Tx& tx_;
  };
  // `command` names the transaction (request ids are per command and caller); `body` runs on
  // the strand. The caller's call, when set, is audited with the change.
  void ExecuteDomain(const char* command, std::string request_id, Caller caller,
                     std::function<absl::StatusOr<json>(DomainTx&)> body, Reply reply);

  // Built-in handlers. A service node whose job type has a handler runs it inside the
  // transaction that reaches the node, instead of making a job for a worker: the domain change
  // it makes (through DomainTx) and the instance moving on commit together. What it returns (a
  // JSON object) is merged into the instance's variables; an error raises an incident on the
  // node, and resolving the incident runs the handler again. Register before the io_context
  // runs (see Lifecycle); not thread-safe.
  struct HandlerCall {
    int64_t instance_id;
    const std::string& business_key;
    const std::string& node;
    const json& variables;
  };
  using Handler = std::function<absl::StatusOr<json>(DomainTx&, const HandlerCall&)>;
  void RegisterHandler(std::string job_type, Handler handler);

  // ---- Job workers ----
  // A sink receives each activated job after its lock committed. The worker asks for one job at
  // a time with RequestJob, so a slow stream never piles jobs up. A sink returns false when it
  // cannot deliver the job (its stream is ending): the job is released at once. `lock_ms` 0 =
  // EngineOptions::default_job_lock_ms. Thread-safe.
  using JobSink = std::function<bool(const Job& job, const json& variables)>;
  int64_t OpenActivation(std::vector<std::string> types, std::string worker, int64_t lock_ms,
                         JobSink sink);
  void RequestJob(int64_t activation_id);
  void CloseActivation(int64_t activation_id);
  // Gives back a job whose hand-out (`attempt`) never reached its worker: activatable again at
  // once, no retry used up. Attempts stay unique per hand-out (they fence late answers). A no-op
  // if the job has moved on since.
  void ReleaseJob(int64_t job_id, int attempt);

  // ---- Observers and settings (before serving) ----
  // Called on the strand with what each commit made durable (events, notifications).
  using CommitListener = std::function<void(const std::vector<store::EventRow>&,
                                            const std::vector<store::NotificationRow>&)>;
  void AddCommitListener(CommitListener listener);
  // Lets a caller take the tasks scoped to the units under its own (decision 0003); without a
  // tree, a task's unit must equal the caller's. `units` must outlive the engine's commands.
  void SetUnitTree(const UnitTree* units);
  // The audit trail: every commit passes through `hook` (null: none). Must outlive the engine's
  // commands.
  void SetAuditHook(AuditHook* hook);

  // ---- Reads (thread-safe) ----
  // Whether `caller` may claim or complete `task`: a candidate, the escalation role once
  // escalated, or its role within the task's unit scope.
  bool MayAct(const Caller& caller, const Task& task) const;
  // A deployed definition (version 0 = latest). An old version may be read from the store
  // (EngineOptions::cache_definitions): NOT_FOUND when it was never deployed, the store's
  // error (UNAVAILABLE, …) when the read fails, DATA_LOSS when its stored text no longer
  // parses; each names the definition and version.
  absl::StatusOr<std::shared_ptr<const Definition>> FindDefinition(const std::string& id,
                                                                   int32_t version = 0) const;
  // FindDefinition's definition, or null when there is none or it could not be read.
  std::shared_ptr<const Definition> GetDefinition(const std::string& id, int32_t version = 0) const;
  std::vector<std::shared_ptr<const Definition>> LatestDefinitions() const;
  int64_t TimersPending() const;
  const WorkCalendar& calendar() const;
  const Clock& clock() const;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace shequ::engine
