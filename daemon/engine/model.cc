#include "daemon/engine/model.h"

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
// Bodies are stored with invalid UTF-8 replaced rather than refused: variables were validated
// at the API edge, this only guards the store from a throw deep inside a commit.
std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }
}  // namespace

store::InstanceRow ToRow(const Instance& i) {
  return {i.id,    i.definition_id, i.version,       i.business_key,   i.unit,
          i.state, i.parent_id,     i.created_at_ms, i.updated_at_ms, Dump(json(i))};
}
store::TaskRow ToRow(const Task& t) {
  return {t.id,       t.instance_id, t.state,           t.role,        t.unit,
          t.assignee, t.due_at_ms,   t.created_at_ms, Dump(json(t))};
}
store::JobRow ToRow(const Job& j) {
  return {j.id, j.instance_id, j.type, j.state, j.due_at_ms, Dump(json(j))};
}
store::TimerRow ToRow(const Timer& t) {
  return {t.id, t.due_at_ms, t.instance_id, t.kind, t.ref_id, Dump(t.data)};
}
store::IncidentRow ToRow(const Incident& i) {
  return {i.id, i.instance_id, i.state, i.created_at_ms, Dump(json(i))};
}
store::NotificationRow ToRow(const Notification& n) {
  return {n.id, n.recipient, n.role, n.unit, n.acked_at_ms != 0, n.created_at_ms, Dump(json(n))};
}
store::MessageRow ToRow(const BufferedMessage& m) {
  return {m.id, m.name, m.correlation, m.expires_at_ms, Dump(json(m))};
}

Instance FromRow(const store::InstanceRow& r) { return json::parse(r.body).get<Instance>(); }
Task FromRow(const store::TaskRow& r) { return json::parse(r.body).get<Task>(); }
Job FromRow(const store::JobRow& r) { return json::parse(r.body).get<Job>(); }
Timer FromRow(const store::TimerRow& r) {
  Timer t{r.id, r.due_at_ms, r.instance_id, r.kind, r.ref_id, json::object()};
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
