#include "daemon/engine/model.h"

#include "daemon/core/json_writer.h"

namespace shequ::engine {

Token* Instance::FindToken(int64_t token_id) {
  for (auto& t : tokens) {
    if (t.id == token_id) return &t;
  }
  return nullptr;
}

Fork* Instance::FindFork(int64_t fork_id) {
  for (auto& f : forks) {
    if (f.id == fork_id) return &f;
  }
  return nullptr;
}

std::vector<std::string> Instance::CurrentNodes() const {
  std::vector<std::string> out;
  for (const auto& t : tokens) out.push_back(t.node);
  return out;
}

namespace {

// Bodies are written field by field in sorted key order: the same text as dumping the
// nlohmann object (so FromRow, and databases written before, are unaffected) without building
// it. Invalid UTF-8 is replaced rather than refused: variables were validated at the API edge,
// this only guards the store from a throw deep inside a commit.

void Write(JsonWriter& w, const Token& t) {
  w.BeginObject();
  w.Field("children", t.children);
  w.Field("children_done", t.children_done);
  w.Field("correlation", t.correlation);
  w.Field("fork", t.fork);
  w.Field("id", t.id);
  w.Field("incident", t.incident);
  w.Field("job", t.job);
  w.Field("node", t.node);
  w.Field("resume_next", t.resume_next);
  w.Field("tasks", t.tasks);
  w.Field("timer", t.timer);
  w.Field("wait", t.wait);
  w.EndObject();
}

void Write(JsonWriter& w, const Fork& f) {
  w.BeginObject();
  w.Field("arrived", f.arrived);
  w.Field("expected", f.expected);
  w.Field("id", f.id);
  w.Field("join", f.join);
  w.Field("parent", f.parent);
  w.EndObject();
}

template <typename T>
void WriteList(JsonWriter& w, std::string_view key, const std::vector<T>& items) {
  w.Key(key);
  w.BeginArray();
  for (const T& item : items) Write(w, item);
  w.EndArray();
}

std::string Body(size_t reserve) {
  std::string body;
  body.reserve(reserve);
  return body;
}

}  // namespace

std::string ToJson(const Instance& i) {
  std::string body = Body(320);
  JsonWriter w(body);
  w.BeginObject();
  w.Field("business_key", i.business_key);
  w.Field("call_depth", i.call_depth);
  w.Field("created_at_ms", i.created_at_ms);
  w.Field("definition_id", i.definition_id);
  w.Field("end_status", i.end_status);
  w.Field("ended_at_ms", i.ended_at_ms);
  WriteList(w, "forks", i.forks);
  w.Field("id", i.id);
  w.Field("next_fork", i.next_fork);
  w.Field("next_token", i.next_token);
  w.Field("parent_id", i.parent_id);
  w.Field("parent_token", i.parent_token);
  w.Field("root_id", i.root_id);
  w.Field("spawned", i.spawned);
  w.Field("state", i.state);
  WriteList(w, "tokens", i.tokens);
  w.Field("unit", i.unit);
  w.Field("updated_at_ms", i.updated_at_ms);
  w.Field("variables", i.variables);
  w.Field("version", i.version);
  w.Field("visited", i.visited);
  w.EndObject();
  return body;
}

std::string ToJson(const Task& t) {
  std::string body = Body(448);
  JsonWriter w(body);
  w.BeginObject();
  w.Field("assignee", t.assignee);
  w.Field("candidates", t.candidates);
  w.Field("comment", t.comment);
  w.Field("completed_at_ms", t.completed_at_ms);
  w.Field("completed_by", t.completed_by);
  w.Field("created_at_ms", t.created_at_ms);
  w.Field("definition_id", t.definition_id);
  w.Field("due_at_ms", t.due_at_ms);
  w.Field("escalated", t.escalated);
  w.Field("escalation_role", t.escalation_role);
  w.Field("group_id", t.group_id);
  w.Field("id", t.id);
  w.Field("instance_id", t.instance_id);
  w.Field("name", t.name);
  w.Field("node", t.node);
  w.Field("outcome", t.outcome);
  w.Field("outcomes", t.outcomes);
  w.Field("owner", t.owner);
  w.Field("role", t.role);
  w.Field("state", t.state);
  w.Field("submitted", t.submitted);
  w.Field("timers", t.timers);
  w.Field("token", t.token);
  w.Field("unit", t.unit);
  w.EndObject();
  return body;
}

std::string ToJson(const Job& j) {
  std::string body = Body(256);
  JsonWriter w(body);
  w.BeginObject();
  w.Field("attempt", j.attempt);
  w.Field("backoff_ms", j.backoff_ms);
  w.Field("definition_id", j.definition_id);
  w.Field("due_at_ms", j.due_at_ms);
  w.Field("error", j.error);
  w.Field("id", j.id);
  w.Field("instance_id", j.instance_id);
  w.Field("node", j.node);
  w.Field("retries_left", j.retries_left);
  w.Field("state", j.state);
  w.Field("timer", j.timer);
  w.Field("token", j.token);
  w.Field("type", j.type);
  w.Field("worker", j.worker);
  w.EndObject();
  return body;
}

std::string ToJson(const Incident& i) {
  std::string body = Body(256);
  JsonWriter w(body);
  w.BeginObject();
  w.Field("created_at_ms", i.created_at_ms);
  w.Field("id", i.id);
  w.Field("instance_id", i.instance_id);
  w.Field("job_id", i.job_id);
  w.Field("kind", i.kind);
  w.Field("message", i.message);
  w.Field("node", i.node);
  w.Field("resolved_at_ms", i.resolved_at_ms);
  w.Field("state", i.state);
  w.Field("token", i.token);
  w.EndObject();
  return body;
}

std::string ToJson(const Notification& n) {
  std::string body = Body(256);
  JsonWriter w(body);
  w.BeginObject();
  w.Field("acked_at_ms", n.acked_at_ms);
  w.Field("acked_by", n.acked_by);
  w.Field("body", n.body);
  w.Field("created_at_ms", n.created_at_ms);
  w.Field("id", n.id);
  w.Field("instance_id", n.instance_id);
  w.Field("kind", n.kind);
  w.Field("recipient", n.recipient);
  w.Field("role", n.role);
  w.Field("subject", n.subject);
  w.Field("task_id", n.task_id);
  w.Field("unit", n.unit);
  w.EndObject();
  return body;
}

std::string ToJson(const BufferedMessage& m) {
  std::string body = Body(128);
  JsonWriter w(body);
  w.BeginObject();
  w.Field("correlation", m.correlation);
  w.Field("expires_at_ms", m.expires_at_ms);
  w.Field("id", m.id);
  w.Field("name", m.name);
  w.Field("timer", m.timer);
  w.Field("variables", m.variables);
  w.EndObject();
  return body;
}

store::InstanceRow ToRow(const Instance& i) {
  return {i.id,    i.definition_id, i.version,       i.business_key,  i.unit,
          i.state, i.parent_id,     i.created_at_ms, i.updated_at_ms, ToJson(i)};
}
store::TaskRow ToRow(const Task& t) {
  return {t.id,       t.instance_id, t.state,         t.role,   t.unit,
          t.assignee, t.due_at_ms,   t.created_at_ms, ToJson(t)};
}
store::JobRow ToRow(const Job& j) {
  return {j.id, j.instance_id, j.type, j.state, j.due_at_ms, ToJson(j)};
}
namespace {
constexpr std::pair<TimerKind, std::string_view> kTimerKinds[] = {
    {TimerKind::kNode, "node"},
    {TimerKind::kMessageTimeout, "message-timeout"},
    {TimerKind::kTaskRemind, "task-remind"},
    {TimerKind::kTaskEscalate, "task-escalate"},
    {TimerKind::kJobRetry, "job-retry"},
    {TimerKind::kJobLock, "job-lock"},
    {TimerKind::kMessageExpire, "message-expire"},
};
}  // namespace

std::string_view TimerKindName(TimerKind kind) {
  for (const auto& [k, name] : kTimerKinds) {
    if (k == kind) return name;
  }
  return "unknown";
}

TimerKind ParseTimerKind(std::string_view name) {
  for (const auto& [k, n] : kTimerKinds) {
    if (n == name) return k;
  }
  return TimerKind::kUnknown;
}

store::TimerRow ToRow(const Timer& t) {
  std::string body;
  JsonWriter(body).Value(t.data);
  return {t.id, t.due_at_ms, t.instance_id, std::string(TimerKindName(t.kind)), t.ref_id,
          std::move(body)};
}
store::IncidentRow ToRow(const Incident& i) {
  return {i.id, i.instance_id, i.state, i.created_at_ms, ToJson(i)};
}
store::NotificationRow ToRow(const Notification& n) {
  return {n.id, n.recipient, n.role, n.unit, n.acked_at_ms != 0, n.created_at_ms, ToJson(n)};
}
store::MessageRow ToRow(const BufferedMessage& m) {
  return {m.id, m.name, m.correlation, m.expires_at_ms, ToJson(m)};
}

Instance FromRow(const store::InstanceRow& r) { return json::parse(r.body).get<Instance>(); }
Task FromRow(const store::TaskRow& r) { return json::parse(r.body).get<Task>(); }
Job FromRow(const store::JobRow& r) { return json::parse(r.body).get<Job>(); }
Timer FromRow(const store::TimerRow& r) {
  Timer t{r.id, r.due_at_ms, r.instance_id, ParseTimerKind(r.kind), r.ref_id, json::object()};
  if (!r.body.empty()) t.data = json::parse(r.body);
  return t;
}
Incident FromRow(const store::IncidentRow& r) { return json::parse(r.body).get<Incident>(); }
Notification FromRow(const store::NotificationRow& r) {
  return json::parse(r.body).get<Notification>();
}
BufferedMessage FromRow(const store::MessageRow& r) {
  return json::parse(r.body).get<BufferedMessage>();
}

}  // namespace shequ::engine
