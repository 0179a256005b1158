#pragma once

// The engine's runtime objects and their mapping to store rows. Each object is kept whole in
// the row's JSON body; the row's columns repeat the fields the store filters on.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/store/store.h"
#include "nlohmann/json.hpp"

namespace shequ::engine {

using json = nlohmann::json;

// Where one thread of execution of an instance stands, and what it waits for.
struct Token {
  int64_t id = 0;
  std::string node;
  int64_t fork = 0;                // the parallel fork it belongs to (0 = none)
  std::string wait;                // "", job, task, timer, message, call, foreach, incident
  std::vector<int64_t> tasks;      // user node: its task(s), several when countersigned
  int64_t job = 0;
  int64_t timer = 0;               // timer node, or the message time-out
  int64_t incident = 0;
  std::vector<int64_t> children;   // call / foreach
  int children_done = 0;
  std::string correlation;         // message
  std::string resume_next;         // after an incident in `set`: where to go once resolved
};

struct Fork {
  int64_t id = 0;
  std::string join;
  int expected = 0;
  int arrived = 0;
  int64_t parent = 0;  // the enclosing fork
};

struct Instance {
  int64_t id = 0;
  std::string definition_id;
  int32_t version = 0;
  std::string business_key;
  std::string unit;
  std::string state = "active";  // active, completed, cancelled, failed
  std::string end_status;
  json variables = json::object();
  std::vector<Token> tokens;
  std::vector<Fork> forks;
  std::vector<std::string> visited;  // user nodes passed, for Return (退回)
  int64_t parent_id = 0;
  int64_t parent_token = 0;
  int64_t root_id = 0;  // the top of its tree of call/foreach children; 0 = this one
  int call_depth = 0;   // parents above it
  int64_t spawned = 0;  // a root: instances its tree has started (EngineOptions::max_spawned_instances)
  int64_t next_token = 1;
  int64_t next_fork = 1;
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
  int64_t ended_at_ms = 0;

  Token* FindToken(int64_t token_id);
  Fork* FindFork(int64_t fork_id);
  std::vector<std::string> CurrentNodes() const;
};

struct Task {
  int64_t id = 0;
  int64_t instance_id = 0;
  int64_t token = 0;
  std::string definition_id;
  std::string node;
  std::string name;
  std::string state = "open";  // open, claimed, delegated, completed, cancelled
  std::string role;
  std::string unit;
  std::vector<std::string> candidates;
  std::string assignee;
  std::string owner;  // who delegated it, and gets it back
  int64_t due_at_ms = 0;
  std::vector<std::string> outcomes;
  std::string outcome;
  std::string completed_by;
  std::string comment;
  bool escalated = false;
  std::string escalation_role;
  int64_t group_id = 0;
  json submitted = json::object();  // variables given at completion
  std::vector<int64_t> timers;
  int64_t created_at_ms = 0;
  int64_t completed_at_ms = 0;

  bool IsOpen() const { return state == "open" || state == "claimed" || state == "delegated"; }
};

struct Job {
  int64_t id = 0;
  int64_t instance_id = 0;
  int64_t token = 0;
  std::string definition_id;
  std::string node;
  std::string type;
  std::string state = "activatable";  // activatable, active, failed
  int retries_left = 0;
  int attempt = 0;
  int64_t backoff_ms = 0;
  std::string worker;
  std::string error;
  int64_t due_at_ms = 0;  // activatable from, or the lock deadline when active
  int64_t timer = 0;      // the retry or lock timer
};

// What a timer does when it fires, and what its ref_id names.
enum class TimerKind {
  kUnknown,         // a stored kind this version does not know: ignored
  kNode,            // a timer node: the token moves on (ref: token)
  kMessageTimeout,  // a message node's timeout (ref: token)
  kTaskRemind,      // a reminder or due notice (ref: task)
  kTaskEscalate,    // escalation (ref: task)
  kJobRetry,        // a failed job's back-off is over (ref: job)
  kJobLock,         // an active job's lock expired (ref: job)
  kMessageExpire,   // a buffered message's ttl ran out (ref: message)
};
// The names stored in the timers table: "node", "message-timeout", "task-remind", …
std::string_view TimerKindName(TimerKind kind);
TimerKind ParseTimerKind(std::string_view name);

struct Timer {
  int64_t id = 0;
  int64_t due_at_ms = 0;
  int64_t instance_id = 0;
  TimerKind kind = TimerKind::kUnknown;
  int64_t ref_id = 0;  // token, task, job or message
  json data = json::object();
};

struct Incident {
  int64_t id = 0;
  int64_t instance_id = 0;
  int64_t token = 0;
  std::string node;
  std::string kind;
  std::string message;
  int64_t job_id = 0;
  std::string state = "open";
  int64_t created_at_ms = 0;
  int64_t resolved_at_ms = 0;
};

struct Notification {
  int64_t id = 0;
  std::string recipient;
  std::string role;
  std::string unit;
  std::string kind;
  std::string subject;
  std::string body;
  int64_t task_id = 0;
  int64_t instance_id = 0;
  int64_t created_at_ms = 0;
  int64_t acked_at_ms = 0;
  std::string acked_by;
};

struct BufferedMessage {
  int64_t id = 0;
  std::string name;
  std::string correlation;
  json variables = json::object();
  int64_t expires_at_ms = 0;
  int64_t timer = 0;
};

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Token, id, node, fork, wait, tasks, job, timer,
                                                incident, children, children_done, correlation,
                                                resume_next)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Fork, id, join, expected, arrived, parent)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Instance, id, definition_id, version, business_key,
                                                unit, state, end_status, variables, tokens, forks,
                                                visited, parent_id, parent_token, root_id,
                                                call_depth, spawned, next_token,
                                                next_fork, created_at_ms, updated_at_ms,
                                                ended_at_ms)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Task, id, instance_id, token, definition_id, node,
                                                name, state, role, unit, candidates, assignee,
                                                owner, due_at_ms, outcomes, outcome, completed_by,
                                                comment, escalated, escalation_role, group_id,
                                                submitted, timers, created_at_ms, completed_at_ms)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Job, id, instance_id, token, definition_id, node,
                                                type, state, retries_left, attempt, backoff_ms,
                                                worker, error, due_at_ms, timer)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Incident, id, instance_id, token, node, kind,
                                                message, job_id, state, created_at_ms,
                                                resolved_at_ms)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Notification, id, recipient, role, unit, kind,
                                                subject, body, task_id, instance_id, created_at_ms,
                                                acked_at_ms, acked_by)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(BufferedMessage, id, name, correlation, variables,
                                                expires_at_ms, timer)

// The JSON bodies of rows: what json(x).dump() gives, written without building the DOM.
std::string ToJson(const Instance& i);
std::string ToJson(const Task& t);
std::string ToJson(const Job& j);
std::string ToJson(const Incident& i);
std::string ToJson(const Notification& n);
std::string ToJson(const BufferedMessage& m);

store::InstanceRow ToRow(const Instance& i);
store::TaskRow ToRow(const Task& t);
store::JobRow ToRow(const Job& j);
store::TimerRow ToRow(const Timer& t);
store::IncidentRow ToRow(const Incident& i);
store::NotificationRow ToRow(const Notification& n);
store::MessageRow ToRow(const BufferedMessage& m);

Instance FromRow(const store::InstanceRow& r);
Task FromRow(const store::TaskRow& r);
Job FromRow(const store::JobRow& r);
Timer FromRow(const store::TimerRow& r);
Incident FromRow(const store::IncidentRow& r);
Notification FromRow(const store::NotificationRow& r);
BufferedMessage FromRow(const store::MessageRow& r);

}  // namespace shequ::engine
