// The interpreter: how a token moves through the nodes of a definition, one function per node
// type.

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "daemon/core/json_depth.h"
#include "daemon/core/json_writer.h"
#include "daemon/core/status.h"
#include "daemon/engine/engine_impl.h"
#include "daemon/engine/transaction.h"

namespace shequ::engine {

std::string AsText(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

// A timer's `at`: epoch milliseconds, or a "YYYY-MM-DD" date meaning its start in local time.
absl::StatusOr<int64_t> TimerAt(const Template& at, const json& vars, const WorkCalendar& cal) {
  ASSIGN_OR_RETURN(json v, at.Evaluate(vars));
  if (v.is_number_integer()) return v.get<int64_t>();
  int y = 0;
  unsigned m = 0, d = 0;
  if (v.is_string() && std::sscanf(v.get<std::string>().c_str(), "%4d-%2u-%2u", &y, &m, &d) == 3) {
    const std::chrono::year_month_day day{std::chrono::year{y}, std::chrono::month{m},
                                          std::chrono::day{d}};
    if (day.ok()) return cal.StartOfDayMs(day);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("expected epoch milliseconds or a YYYY-MM-DD date, got ", v.dump()));
}

std::string FormatLocal(int64_t ms) {
  // Day-level dates in China Standard Time, for notification texts.
  std::time_t secs = static_cast<std::time_t>(ms / 1000 + 8 * 3600);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
  return buf;
}

namespace {

// Evaluates `assignments` in order over `scope` into `target` (`set` and `out`); the first
// failure names the field, e.g. "set.total: ...".
absl::Status Assign(const std::vector<std::pair<std::string, Expression>>& assignments,
                    const char* field, const json& scope, json& target) {
  for (const auto& [var, expr] : assignments) {
    auto value = expr.Evaluate(scope);
    if (!value.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(field, ".", var, ": ", value.status().message()));
    }
    // `set: {x: "[x]"}` in a loop would nest a level per pass, until measuring or storing the
    // variables overflowed the stack. Under the variables' root object: one level less.
    if (JsonDeeperThan(*value, kMaxJsonDepth - 1)) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".", var, ": nested deeper than ", kMaxJsonDepth, " levels"));
    }
    target[var] = *std::move(value);
  }
  return absl::OkStatus();
}

}  // namespace

void Engine::Impl::RunScheduled(Tx& tx) {
  while (!tx.runnable.empty()) {
    auto [instance_id, token_id] = tx.runnable.front();
    tx.runnable.pop_front();
    Instance* inst = tx.GetInstance(instance_id);
    if (!inst || inst->state != "active") continue;
    Token* token = inst->FindToken(token_id);
    if (!token || !token->wait.empty()) continue;
    Enter(tx, *inst, *token);
  }
}

void Engine::Impl::RaiseIncident(Tx& tx, Instance& inst, Token& token, const std::string& kind,
                           const std::string& message, int64_t job_id) {
  Incident incident{NextId("incident"), inst.id, token.id, token.node, kind, message, job_id};
  incident.created_at_ms = tx.now;
  token.wait = "incident";
  token.incident = incident.id;
  tx.Event(inst.id, "incident.raised", token.node,
           {{"incident", incident.id}, {"kind", kind}, {"message", message}});
  tx.Add(std::move(incident));
  tx.Save(inst);
}

void Engine::Impl::MoveTo(Tx& tx, Instance& inst, int64_t token_id, const std::string& node) {
  Token* token = inst.FindToken(token_id);
  token->wait.clear();
  if (token->fork != 0) {
    Fork* fork = inst.FindFork(token->fork);
    if (fork && fork->join == node) {
      // A parallel branch arrived: the join runs once, after the last one.
      ++fork->arrived;
      tx.Event(inst.id, "parallel.arrived", node, {{"arrived", fork->arrived},
                                                   {"expected", fork->expected}});
      const bool complete = fork->arrived >= fork->expected;
      const int64_t parent = fork->parent;
      const int64_t fork_id = fork->id;
      std::erase_if(inst.tokens, [&](const Token& t) { return t.id == token_id; });
      if (complete) {
        std::erase_if(inst.forks, [&](const Fork& f) { return f.id == fork_id; });
        Token joined{inst.next_token++, node, parent};
        inst.tokens.push_back(joined);
        tx.Schedule(inst.id, joined.id);
      }
      tx.Save(inst);
      return;
    }
  }
  token->node = node;
  tx.Save(inst);
  tx.Schedule(inst.id, token_id);
}

void Engine::Impl::Leave(Tx& tx, Instance& inst, int64_t token_id, const std::string& next) {
  Token* token = inst.FindToken(token_id);
  auto def = DefinitionOf(tx, inst);
  if (!def) return;  // the command fails with the read's error
  const Node* node = def->Find(token->node);
  if (absl::Status s = Assign(node->set, "set", inst.variables, inst.variables); !s.ok()) {
    token->resume_next = next;
    RaiseIncident(tx, inst, *token, "expression", std::string(s.message()));
    return;
  }
  tx.Event(inst.id, "node.completed", token->node);
  MoveTo(tx, inst, token_id, next);
}

void Engine::Impl::Enter(Tx& tx, Instance& inst, Token& token) {
  auto def = DefinitionOf(tx, inst);
  if (!def) return;  // the command fails with the read's error
  const Node* node = def->Find(token.node);
  if (!node) {
    RaiseIncident(tx, inst, token, "definition",
                  absl::StrCat("node '", token.node, "' is not in ", inst.definition_id, " v",
                               inst.version));
    return;
  }
  if (++tx.steps[inst.id] > options_.max_steps) {
    RaiseIncident(tx, inst, token, "loop-limit",
                  absl::StrCat("passed ", options_.max_steps,
                               " nodes without waiting; stopped as a probable endless loop"));
    return;
  }
  tx.Event(inst.id, "node.entered", node->id, {{"type", NodeTypeName(node->type)}});
  tx.Save(inst);
  switch (node->type) {
    case NodeType::kEnd:
      return EnterEnd(tx, inst, token, *node);
    case NodeType::kService:
      return EnterService(tx, inst, token, *node);
    case NodeType::kUser:
      return EnterUser(tx, inst, token, *node);
    case NodeType::kExclusive:
      return EnterExclusive(tx, inst, token, *node);
    case NodeType::kParallel:
      return EnterParallel(tx, inst, token, *node);
    case NodeType::kTimer:
      return EnterTimer(tx, inst, token, *node);
    case NodeType::kMessage:
      return EnterMessage(tx, inst, token, *node);
    case NodeType::kCall:
    case NodeType::kForeach:
      return EnterCall(tx, inst, token, *node);
  }
}

void Engine::Impl::EnterEnd(Tx& tx, Instance& inst, Token& token, const Node& node) {
  const int64_t token_id = token.id;
  if (absl::Status s = Assign(node.set, "set", inst.variables, inst.variables); !s.ok()) {
    RaiseIncident(tx, inst, token, "expression", std::string(s.message()));
    return;
  }
  std::erase_if(inst.tokens, [&](const Token& t) { return t.id == token_id; });
  if (node.terminate && !inst.tokens.empty()) {
    // Like BPMN's terminate end event: the branches still running end here too.
    tx.Event(inst.id, "instance.terminated", node.id,
             {{"withdrawn", static_cast<int64_t>(inst.tokens.size())}});
    WithdrawTokens(tx, inst, absl::StrCat("its parent ended at '", node.id, "'"));
  }
  if (inst.tokens.empty()) EndInstance(tx, inst, "completed", node.status);
}

void Engine::Impl::EnterService(Tx& tx, Instance& inst, Token& token, const Node& node) {
  const int64_t token_id = token.id;
  if (auto h = handlers_.find(node.job); h != handlers_.end()) {
    RunHandler(tx, inst, token, node, h->second);
    return;
  }
  Job job;
  job.id = NextId("job");
  job.instance_id = inst.id;
  job.token = token_id;
  job.definition_id = inst.definition_id;
  job.node = node.id;
  job.type = node.job;
  job.retries_left = node.retries;
  job.backoff_ms = node.backoff.ms;
  job.due_at_ms = tx.now;
  token.wait = "job";
  token.job = job.id;
  tx.ready_jobs.emplace_back(job.id, job.type);
  tx.Event(inst.id, "job.created", node.id, {{"job", job.id}, {"type", job.type}});
  tx.Add(std::move(job));
}

void Engine::Impl::EnterUser(Tx& tx, Instance& inst, Token& token, const Node& node) {
  if (auto def = DefinitionOf(tx, inst)) CreateTasks(tx, inst, token, node, *def);
}

void Engine::Impl::EnterExclusive(Tx& tx, Instance& inst, Token& token, const Node& node) {
  const int64_t token_id = token.id;
  for (size_t i = 0; i < node.branches.size(); ++i) {
    const Branch& b = node.branches[i];
    bool taken = true;
    if (b.when) {
      auto v = b.when->EvaluateBool(inst.variables);
      if (!v.ok()) {
        RaiseIncident(tx, inst, token, "expression",
                      absl::StrCat("branches[", i, "].when: ", v.status().message()));
        return;
      }
      taken = *v;
    }
    if (taken) {
      Leave(tx, inst, token_id, b.next);
      return;
    }
  }
  RaiseIncident(tx, inst, token, "no-branch",
                "no branch condition is true and there is no default branch");
}

void Engine::Impl::EnterParallel(Tx& tx, Instance& inst, Token& token, const Node& node) {
  const int64_t token_id = token.id;
  Fork fork{inst.next_fork++, node.join, static_cast<int>(node.parallel.size()), 0, token.fork};
  if (absl::Status s = Assign(node.set, "set", inst.variables, inst.variables); !s.ok()) {
    RaiseIncident(tx, inst, token, "expression", std::string(s.message()));
    return;
  }
  std::erase_if(inst.tokens, [&](const Token& t) { return t.id == token_id; });
  inst.forks.push_back(fork);
  for (const auto& head : node.parallel) {
    Token branch{inst.next_token++, node.id, fork.id};
    inst.tokens.push_back(branch);
    MoveTo(tx, inst, branch.id, head);
  }
}

void Engine::Impl::EnterTimer(Tx& tx, Instance& inst, Token& token, const Node& node) {
  const int64_t token_id = token.id;
  int64_t due = 0;
  if (node.at) {
    absl::StatusOr<int64_t> at = TimerAt(*node.at, inst.variables, calendar_);
    if (!at.ok()) {
      RaiseIncident(tx, inst, token, "expression", absl::StrCat("at: ", at.status().message()));
      return;
    }
    due = std::max(*at, tx.now);  // a moment already past fires at once
  } else {
    due = ApplyDuration(tx.now, node.duration, calendar_);
  }
  token.wait = "timer";
  token.timer = tx.AddTimer({0, due, inst.id, TimerKind::kNode, token_id, json::object()});
  tx.Event(inst.id, "timer.scheduled", node.id, {{"due_at_ms", due}});
}

void Engine::Impl::EnterMessage(Tx& tx, Instance& inst, Token& token, const Node& node) {
  const int64_t token_id = token.id;
  std::string correlation;
  if (node.correlate) {
    auto v = node.correlate->Evaluate(inst.variables);
    if (!v.ok()) {
      RaiseIncident(tx, inst, token, "expression",
                    absl::StrCat("correlate: ", v.status().message()));
      return;
    }
    correlation = AsText(*v);
  }
  auto buffered = buffered_.find({node.message, correlation});
  if (buffered != buffered_.end()) {
    for (const auto& m : buffered->second) {
      bool taken = std::any_of(tx.consumed_messages.begin(), tx.consumed_messages.end(),
                               [&](const auto& c) { return c.second == m.id; });
      if (taken) continue;
      inst.variables.update(m.variables);
      tx.consumed_messages.push_back({buffered->first, m.id});
      tx.DeleteTimer(m.timer);
      tx.Event(inst.id, "message.received", node.id,
               {{"name", node.message}, {"correlation", correlation}, {"buffered", true}});
      Leave(tx, inst, token_id, node.next);
      return;
    }
  }
  token.wait = "message";
  token.correlation = correlation;
  tx.new_subscriptions.push_back({inst.id, std::to_string(token_id), node.message, correlation});
  if (node.timeout_after) {
    const int64_t due = ApplyDuration(tx.now, *node.timeout_after, calendar_);
    token.timer =
        tx.AddTimer({0, due, inst.id, TimerKind::kMessageTimeout, token_id, json::object()});
  }
  tx.Event(inst.id, "message.waiting", node.id,
           {{"name", node.message}, {"correlation", correlation}});
}

void Engine::Impl::EnterCall(Tx& tx, Instance& inst, Token& token, const Node& node) {
  const int64_t token_id = token.id;
  auto found = FindDefinition(node.definition, 0);
  if (!found.ok()) {
    RaiseIncident(tx, inst, token, "call-failed",
                  absl::IsNotFound(found.status())
                      ? absl::StrCat("no definition '", node.definition, "' is deployed")
                      : std::string(found.status().message()));
    return;
  }
  std::shared_ptr<const Definition> child_def = *std::move(found);
  json with = json::object();
  for (const auto& [var, tmpl] : node.with) {
    auto v = tmpl.Evaluate(inst.variables);
    if (!v.ok()) {
      RaiseIncident(tx, inst, token, "expression",
                    absl::StrCat("with.", var, ": ", v.status().message()));
      return;
    }
    with[var] = *std::move(v);
  }
  std::vector<json> items{json()};
  if (node.type == NodeType::kForeach) {
    auto v = node.items->Evaluate(inst.variables);
    if (!v.ok() || !v->is_array()) {
      RaiseIncident(tx, inst, token, "expression",
                    v.ok() ? "items: not a list" : absl::StrCat("items: ", v.status().message()));
      return;
    }
    items.assign(v->begin(), v->end());
    if (items.empty()) {
      Leave(tx, inst, token_id, node.next);
      return;
    }
  }
  // Bounded before anything starts: a definition calling itself (directly or not) would
  // otherwise start children without end inside this one transaction.
  const bool keep = node.type == NodeType::kForeach && token.children.size() == items.size();
  if (inst.call_depth + 1 > options_.max_call_depth) {
    RaiseIncident(tx, inst, token, "call-depth-limit",
                  absl::StrCat("children would nest deeper than ", options_.max_call_depth,
                               " levels (engine.max_call_depth); a definition calling itself?"));
    return;
  }
  Instance* root = inst.root_id ? tx.GetInstance(inst.root_id) : &inst;
  int64_t starting = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    const Instance* old = keep ? tx.GetInstance(token.children[i]) : nullptr;
    starting += !(old && (old->state == "completed" || old->state == "active"));
  }
  if (root && root->spawned + starting > options_.max_spawned_instances) {
    RaiseIncident(
        tx, inst, token, "spawn-limit",
        absl::StrCat("instance ", root->id, "'s tree would start more than ",
                     options_.max_spawned_instances, " instances (engine.max_spawned_instances)"));
    return;
  }
  token.wait = node.type == NodeType::kCall ? "call" : "foreach";
  // Entered again after Resolve (a child failed): a foreach over the same number of items
  // keeps the children that completed or still run and starts only the failed items again;
  // otherwise the earlier children still running are cancelled, not left behind.
  std::vector<int64_t> earlier = std::move(token.children);
  token.children.clear();
  token.children_done = 0;
  std::vector<int64_t> children;
  int done = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    if (keep) {
      const Instance* old = tx.GetInstance(earlier[i]);
      if (old && (old->state == "completed" || old->state == "active")) {
        children.push_back(earlier[i]);
        done += old->state == "completed";
        continue;
      }
    }
    StartArgs args{node.definition, child_def->version, inst.business_key, inst.unit, with};
    if (node.type == NodeType::kForeach) args.variables[node.as] = items[i];
    auto child = StartInstance(tx, *child_def, std::move(args), inst.id, token_id);
    if (child.ok()) children.push_back(*child);
  }
  if (!keep) {
    for (int64_t id : earlier) {
      Instance* old = tx.GetInstance(id);
      if (old && old->state == "active") {
        CancelInstance(tx, *old, "its parent's step was entered again", false);
      }
    }
  }
  // StartInstance may have reloaded objects: look the token up again.
  Token* t = inst.FindToken(token_id);
  if (done == static_cast<int>(items.size())) {  // nothing left to run
    Leave(tx, inst, token_id, node.next);
    return;
  }
  t->children = std::move(children);
  t->children_done = done;
  tx.Save(inst);
}

void Engine::Impl::ReleaseToken(Tx& tx, Instance& inst, Token& token) {
  for (int64_t id : token.tasks) {
    Task* t = tx.GetTask(id);
    if (t && t->IsOpen()) tx.CloseTask(*t, "cancelled");
  }
  token.tasks.clear();
  if (token.job) {
    if (Job* job = tx.GetJob(token.job)) tx.DeleteTimer(job->timer);
    tx.DeleteJob(token.job);
    token.job = 0;
  }
  tx.DeleteTimer(token.timer);
  token.timer = 0;
  if (token.wait == "message") {
    auto def = DefinitionOf(tx, inst);
    if (!def) return;  // the command fails with the read's error
    const Node* node = def->Find(token.node);
    tx.removed_subscriptions.push_back(
        {inst.id, std::to_string(token.id), node->message, token.correlation});
  }
  if (token.incident) {
    if (Incident* i = tx.GetIncident(token.incident); i && i->state == "open") {
      i->state = "closed";
      i->resolved_at_ms = tx.now;
      tx.Save(*i);
    }
    token.incident = 0;
  }
  token.wait.clear();
}

void Engine::Impl::WithdrawTokens(Tx& tx, Instance& inst, const std::string& reason) {
  for (auto& token : inst.tokens) {
    for (int64_t child_id : token.children) {
      Instance* child = tx.GetInstance(child_id);
      if (child && child->state == "active") CancelInstance(tx, *child, reason, false);
    }
    ReleaseToken(tx, inst, token);
  }
  inst.tokens.clear();
  inst.forks.clear();
}

void Engine::Impl::CancelInstance(Tx& tx, Instance& inst, const std::string& reason,
                            bool notify_parent) {
  WithdrawTokens(tx, inst, reason);
  inst.state = "cancelled";
  inst.ended_at_ms = tx.now;
  tx.Save(inst);
  tx.Event(inst.id, "instance.cancelled", "", {{"reason", reason}});
  if (notify_parent && inst.parent_id) ChildEnded(tx, inst);
}

void Engine::Impl::EndInstance(Tx& tx, Instance& inst, const std::string& state,
                         const std::string& status) {
  inst.state = state;
  inst.end_status = status;
  inst.ended_at_ms = tx.now;
  inst.forks.clear();
  tx.Save(inst);
  tx.Event(inst.id, "instance." + state, "", {{"status", status}});
  if (inst.parent_id) ChildEnded(tx, inst);
}

void Engine::Impl::ChildEnded(Tx& tx, const Instance& child) {
  Instance* parent = tx.GetInstance(child.parent_id);
  if (!parent || parent->state != "active") return;
  Token* token = parent->FindToken(child.parent_token);
  if (!token || (token->wait != "call" && token->wait != "foreach")) return;
  // Only the children of the token's current attempt count: a child left over from an attempt
  // that failed (and was entered again after Resolve) must not complete the new one.
  if (std::find(token->children.begin(), token->children.end(), child.id) ==
      token->children.end()) {
    return;
  }
  auto def = DefinitionOf(tx, *parent);
  if (!def) return;  // the command fails with the read's error
  const Node* node = def->Find(token->node);
  tx.Event(parent->id, "child.ended", token->node,
           {{"child", child.id}, {"state", child.state}, {"status", child.end_status}});
  if (child.state != "completed") {
    RaiseIncident(tx, *parent, *token, "call-failed",
                  absl::StrCat("child instance ", child.id, " ended ", child.state));
    return;
  }
  if (token->wait == "call") {
    if (absl::Status s = Assign(node->out, "out", child.variables, parent->variables); !s.ok()) {
      RaiseIncident(tx, *parent, *token, "expression", std::string(s.message()));
      return;
    }
  } else if (++token->children_done < static_cast<int>(token->children.size())) {
    tx.Save(*parent);
    return;
  }
  token->children.clear();
  Leave(tx, *parent, token->id, node->next);
}

absl::StatusOr<int64_t> Engine::Impl::StartInstance(Tx& tx, const Definition& def, StartArgs args,
                                              int64_t parent_id, int64_t parent_token) {
  if (JsonDeeperThan(args.variables)) {  // before anything recurses over it
    return absl::InvalidArgumentError(
        absl::StrCat("variables: nested deeper than ", kMaxJsonDepth, " levels"));
  }
  if (JsonTextSize(args.variables) > options_.max_variables_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("variables: larger than ", options_.max_variables_bytes, " bytes"));
  }
  Instance inst;
  inst.id = NextId("instance");
  inst.definition_id = def.id;
  inst.version = def.version;
  inst.business_key = std::move(args.business_key);
  inst.unit = std::move(args.unit);
  inst.variables = std::move(args.variables);
  inst.parent_id = parent_id;
  inst.parent_token = parent_token;
  if (Instance* parent = parent_id ? tx.GetInstance(parent_id) : nullptr) {
    inst.root_id = parent->root_id ? parent->root_id : parent->id;
    inst.call_depth = parent->call_depth + 1;
    Instance* root = tx.GetInstance(inst.root_id);
    if (root) {
      ++root->spawned;
      tx.Save(*root);
    }
  }
  inst.created_at_ms = tx.now;
  Token first{inst.next_token++, def.start};
  inst.tokens.push_back(first);
  const int64_t id = inst.id;
  tx.Event(id, "instance.started", "",
           {{"definition", def.id}, {"version", def.version}, {"parent", parent_id}});
  tx.Add(std::move(inst));
  tx.Schedule(id, first.id);
  return id;
}

void Engine::Impl::Notify(Tx& tx, Notification n) {
  n.id = NextId("notification");
  n.created_at_ms = tx.now;
  tx.Add(std::move(n));
}

void Engine::Impl::FireTokenTimer(Tx& tx, const Timer& timer) {
  // Timers that move a token: timer nodes and message time-outs.
  Instance* inst = tx.GetInstance(timer.instance_id);
  if (!inst || inst->state != "active") return;
  Token* token = inst->FindToken(timer.ref_id);
  if (!token || token->timer != timer.id) return;
  token->timer = 0;
  auto def = DefinitionOf(tx, *inst);
  if (!def) return;  // the transaction fails with the read's error; the timer stays due
  const Node* node = def->Find(token->node);
  if (timer.kind == TimerKind::kMessageTimeout) {
    tx.removed_subscriptions.push_back(
        {inst->id, std::to_string(token->id), node->message, token->correlation});
    tx.Event(inst->id, "message.timed-out", node->id, {{"name", node->message}});
    tx.Save(*inst);
    MoveTo(tx, *inst, token->id, node->timeout_next);
    return;
  }
  tx.Event(inst->id, "timer.fired", node->id);
  Leave(tx, *inst, token->id, node->next);
}

}  // namespace shequ::engine
