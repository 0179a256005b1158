// User tasks: creation (assignees, countersign shares, due dates, reminders, escalation),
// who may take them (decision 0003), the task commands, and their reminder and escalation
// timers.

#include <algorithm>
#include <map>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "daemon/core/logging.h"
#include "daemon/core/status.h"
#include "daemon/engine/engine_impl.h"
#include "daemon/engine/transaction.h"

namespace shequ::engine {
namespace {
absl::Status TaskNotFound(int64_t id) {
  return absl::NotFoundError(absl::StrCat("task_id: no task ", id));
}
absl::Status TaskClosed(const Task& t) {
  return absl::FailedPreconditionError(absl::StrCat("task ", t.id, " is already ", t.state));
}
absl::Status NotYours(const Task& t, const Caller& c) {
  if (c.user.empty()) {
    return absl::PermissionDeniedError("the caller is not named (metadata x-shequ-user)");
  }
  if (!t.assignee.empty()) {
    return absl::PermissionDeniedError(
        absl::StrCat("task ", t.id, " is assigned to ", t.assignee, ", not ", c.user));
  }
  return absl::PermissionDeniedError(absl::StrCat(
      "task ", t.id, " is for role '", t.role, "'", t.unit.empty() ? "" : " in unit ", t.unit,
      t.unit.empty() ? "" : " (or a unit above it)", "; ", c.user, " may not take it"));
}
json TaskAnswer(const Task& t) { return json{{"task", json(t)}}; }
// After escalation the escalation role may take over a task someone else holds (docs/workflows.md).
bool HoldsEscalation(const Caller& c, const Task& t) {
  return t.escalated && !c.user.empty() && c.HasRole(t.escalation_role);
}
}  // namespace

void Engine::Impl::CreateTasks(Tx& tx, Instance& inst, Token& token, const Node& node,
                         const Definition& def) {
  std::string unit;  // no `unit` on the node: anyone with the role may take the task
  if (node.unit) {
    auto v = node.unit->Evaluate(inst.variables);
    if (!v.ok()) {
      RaiseIncident(tx, inst, token, "expression", absl::StrCat("unit: ", v.status().message()));
      return;
    }
    unit = AsText(*v);
  }
  std::string role = node.role, name = node.name.empty() ? node.id : node.name;
  for (auto [tmpl, out, what] : {std::tuple{&node.role_template, &role, "role"},
                                 std::tuple{&node.name_template, &name, "name"}}) {
    if (!*tmpl) continue;
    auto v = (*tmpl)->Evaluate(inst.variables);
    if (!v.ok()) {
      RaiseIncident(tx, inst, token, "expression", absl::StrCat(what, ": ", v.status().message()));
      return;
    }
    *out = AsText(*v);
  }
  std::vector<std::string> people;
  for (const auto& tmpl : node.assignees) {
    auto v = tmpl.Evaluate(inst.variables);
    if (!v.ok()) {
      RaiseIncident(tx, inst, token, "expression",
                    absl::StrCat("assignees: ", v.status().message()));
      return;
    }
    if (v->is_array()) {
      for (const auto& p : *v) people.push_back(AsText(p));
    } else if (!v->is_null() && AsText(*v) != "") {
      people.push_back(AsText(*v));
    }
  }
  if (role.empty() && people.empty()) {
    RaiseIncident(tx, inst, token, "no-assignee", "assignees evaluated to nobody");
    return;
  }
  if (inst.visited.empty() || inst.visited.back() != node.id) inst.visited.push_back(node.id);

  int64_t due = node.due ? ApplyDuration(tx.now, *node.due, calendar_) : 0;
  std::vector<int64_t> remind_at;
  if (node.due_at) {
    absl::StatusOr<int64_t> at = TimerAt(*node.due_at, inst.variables, calendar_);
    if (!at.ok()) {
      RaiseIncident(tx, inst, token, "expression", absl::StrCat("due_at: ", at.status().message()));
      return;
    }
    due = *at;
  }
  for (const Template& r : node.remind_at) {
    absl::StatusOr<int64_t> at = TimerAt(r, inst.variables, calendar_);
    if (!at.ok()) {
      RaiseIncident(tx, inst, token, "expression", absl::StrCat("remind_at: ", at.status().message()));
      return;
    }
    remind_at.push_back(*at);
  }
  // Countersign: one task per person; otherwise one task, assigned when there is one person.
  std::vector<std::vector<std::string>> shares;
  if (node.countersign) {
    for (const auto& p : people) shares.push_back({p});
  } else {
    shares.push_back(people);
  }
  token.wait = "task";
  token.tasks.clear();
  int64_t group = 0;
  for (const auto& share : shares) {
    Task task;
    task.id = NextId("task");
    if (node.countersign) group = group ? group : task.id;
    task.instance_id = inst.id;
    task.token = token.id;
    task.definition_id = def.id;
    task.node = node.id;
    task.name = name;
    task.role = role;
    task.unit = unit;
    task.outcomes = node.outcomes;
    task.group_id = group;
    task.due_at_ms = due;
    task.created_at_ms = tx.now;
    if (share.size() == 1) {
      task.assignee = share[0];
      task.state = "claimed";
    } else {
      task.candidates = share;
    }
    if (node.escalate) task.escalation_role = node.escalate->role;
    if (due) {
      for (size_t i = 0; i < node.remind.size(); ++i) {
        const int64_t at = ApplyDuration(due, node.remind[i], calendar_);
        if (at < tx.now) continue;
        task.timers.push_back(tx.AddTimer({0, at, inst.id, TimerKind::kTaskRemind, task.id,
                                           {{"offset", FormatDuration(node.remind[i])}}}));
      }
      for (int64_t at : remind_at) {
        if (at < tx.now) continue;
        task.timers.push_back(tx.AddTimer({0, at, inst.id, TimerKind::kTaskRemind, task.id, json::object()}));
      }
      if (node.escalate) {
        const int64_t at = ApplyDuration(due, node.escalate->after, calendar_);
        task.timers.push_back(tx.AddTimer({0, at, inst.id, TimerKind::kTaskEscalate, task.id, {}}));
      }
    }
    token.tasks.push_back(task.id);
    tx.Event(inst.id, "task.created", node.id,
             {{"task", task.id}, {"assignee", task.assignee}, {"role", task.role},
              {"unit", unit}, {"due_at_ms", due}});
    Notify(tx, {0, task.assignee, task.assignee.empty() ? task.role : "", unit, "task.created",
                absl::StrCat("新待办 / new task: ", task.name),
                due ? absl::StrCat("due ", FormatLocal(due)) : "", task.id, inst.id});
    tx.Add(std::move(task));
  }
  tx.Save(inst);
}

void Engine::Impl::CompleteTaskNode(Tx& tx, Instance& inst, Token& token) {
  auto def = DefinitionOf(tx, inst);
  if (!def) return;  // the command fails with the read's error
  const Node* node = def->Find(token.node);
  std::vector<Task*> tasks;
  for (int64_t id : token.tasks) {
    if (Task* t = tx.GetTask(id)) tasks.push_back(t);
  }
  const int total = static_cast<int>(tasks.size());
  const int done = static_cast<int>(
      std::count_if(tasks.begin(), tasks.end(), [](Task* t) { return t->state == "completed"; }));
  int required = total;
  if (node->countersign && node->required > 0) required = std::min(node->required, total);
  if (done < required) return;
  // Countersign verdict: the outcome with the most votes; ties go to the earlier-listed outcome.
  std::map<std::string, int> votes;
  for (Task* t : tasks) {
    if (t->state == "completed") ++votes[t->outcome];
  }
  std::string outcome;
  int best = -1;
  std::vector<std::string> order = node->outcomes;
  for (const auto& [o, n] : votes) {
    if (std::find(order.begin(), order.end(), o) == order.end()) order.push_back(o);
  }
  for (const auto& o : order) {
    if (votes.count(o) && votes[o] > best) {
      best = votes[o];
      outcome = o;
    }
  }
  for (Task* t : tasks) {
    if (t->IsOpen()) tx.CloseTask(*t, "cancelled");
  }
  if (node->countersign) inst.variables["votes"] = votes;
  if (!outcome.empty()) inst.variables["outcome"] = outcome;
  token.tasks.clear();
  Leave(tx, inst, token.id, node->next);
}

bool Engine::Impl::CanClaim(const Caller& caller, const Task& task) const {
  if (caller.user.empty()) return false;
  if (std::find(task.candidates.begin(), task.candidates.end(), caller.user) !=
      task.candidates.end()) {
    return true;
  }
  if (task.escalated && caller.HasRole(task.escalation_role)) return true;
  return caller.HasRole(task.role) && InScope(caller, task.unit);
}

bool Engine::Impl::InScope(const Caller& caller, const std::string& unit) const {
  if (unit.empty() || caller.unit == unit) return true;
  return units_ != nullptr && !caller.unit.empty() && units_->Covers(caller.unit, unit);
}

void Engine::Impl::ClaimTask(Caller caller, ClaimTaskRequest request, Reply reply) {
  Execute("ClaimTask", std::move(request.request_id), caller,
          [this, caller, task_id = request.task_id](Tx& tx) -> absl::StatusOr<json> {
    Task* task = tx.GetTask(task_id);
    if (!task) return TaskNotFound(task_id);
    if (!task->IsOpen()) return TaskClosed(*task);
    std::string from;
    if (task->state != "open") {
      if (task->assignee == caller.user) return TaskAnswer(*task);
      if (!HoldsEscalation(caller, *task)) {
        return absl::FailedPreconditionError(
            absl::StrCat("task ", task_id, " is already claimed by ", task->assignee));
      }
      from = task->assignee;  // taken over from its assignee (or delegate)
    } else if (!CanClaim(caller, *task)) {
      return NotYours(*task, caller);
    }
    task->state = "claimed";
    task->assignee = caller.user;
    task->owner.clear();
    tx.Save(*task);
    if (from.empty()) {
      tx.Event(task->instance_id, "task.claimed", task->node, {{"task", task_id}});
    } else {
      tx.Event(task->instance_id, "task.claimed", task->node,
               {{"task", task_id}, {"from", from}, {"escalated", true}});
    }
    return TaskAnswer(*task);
  }, std::move(reply));
}

void Engine::Impl::CompleteTask(Caller caller, CompleteTaskRequest request, Reply reply) {
  Execute("CompleteTask", std::move(request.request_id), caller,
          [this, caller, task_id = request.task_id, outcome = std::move(request.outcome),
           variables = std::move(request.variables),
           comment = std::move(request.comment)](Tx& tx) -> absl::StatusOr<json> {
    Task* task = tx.GetTask(task_id);
    if (!task) return TaskNotFound(task_id);
    if (!task->IsOpen()) return TaskClosed(*task);
    if (task->state == "open") {
      if (!CanClaim(caller, *task)) return NotYours(*task, caller);
      task->assignee = caller.user;  // completing an open task claims it
    } else if (task->assignee != caller.user) {
      if (!HoldsEscalation(caller, *task)) return NotYours(*task, caller);
      // The escalation role completes it in the assignee's stead (a delegation ends with it).
      task->assignee = caller.user;
      task->owner.clear();
      task->state = "claimed";
    }
    if (!task->outcomes.empty() &&
        std::find(task->outcomes.begin(), task->outcomes.end(), outcome) == task->outcomes.end()) {
      std::string allowed;
      for (const auto& o : task->outcomes) absl::StrAppend(&allowed, allowed.empty() ? "" : ", ", o);
      return absl::InvalidArgumentError(
          absl::StrCat("outcome: '", outcome, "' is not one of: ", allowed));
    }
    Instance* inst = tx.GetInstance(task->instance_id);
    if (!inst || inst->state != "active") {
      return absl::FailedPreconditionError(absl::StrCat("task ", task_id, "'s instance has ended"));
    }
    absl::Status size_ok;
    json merged = MergedSize(inst->variables, variables, options_.max_variables_bytes, &size_ok);
    RETURN_IF_ERROR(size_ok);
    task->submitted = variables;
    task->outcome = outcome;
    task->comment = comment;
    if (task->state == "delegated") {
      // 委派: the delegate's answer goes back to the owner, who completes the task.
      task->state = "claimed";
      task->completed_by = caller.user;
      Notify(tx, {0, task->owner, "", task->unit, "task.resolved",
                  absl::StrCat("委派已办结 / delegated task done: ", task->name),
                  absl::StrCat(caller.user, " answered '", outcome, "'"), task->id,
                  task->instance_id});
      task->assignee = task->owner;
      task->owner.clear();
      tx.Save(*task);
      tx.Event(task->instance_id, "task.resolved", task->node,
               {{"task", task_id}, {"outcome", outcome}});
      return TaskAnswer(*task);
    }
    auto def = DefinitionOf(tx, *inst);
    if (!def) return tx.read_error;
    if (const Node* node = def->Find(task->node); node && !node->guard.empty()) {
      // The guard sees the variables as they would be, outcome included, and may refuse.
      auto handler = handlers_.find(node->guard);
      if (handler == handlers_.end()) {
        return absl::FailedPreconditionError(
            absl::StrCat("task ", task_id, ": no built-in step '", node->guard, "' guards it"));
      }
      json seen = merged;
      seen["outcome"] = outcome;
      DomainTx domain(*this, tx);
      ASSIGN_OR_RETURN(json answer, handler->second(domain, {inst->id, inst->business_key,
                                                             node->id, seen}));
      if (!answer.is_object()) {
        return absl::InternalError(absl::StrCat(node->guard, " answered ", answer.dump()));
      }
      merged = MergedSize(merged, answer, options_.max_variables_bytes, &size_ok);
      RETURN_IF_ERROR(size_ok);
    }
    inst->variables = std::move(merged);
    task->completed_by = caller.user;
    task->completed_at_ms = tx.now;
    tx.CloseTask(*task, "completed");
    tx.Save(*inst);
    tx.Event(task->instance_id, "task.completed", task->node,
             {{"task", task_id}, {"outcome", outcome}, {"by", caller.user}});
    Token* token = inst->FindToken(task->token);
    if (token && token->wait == "task") CompleteTaskNode(tx, *inst, *token);
    return TaskAnswer(*task);
  }, std::move(reply));
}

void Engine::Impl::DelegateTask(Caller caller, DelegateTaskRequest request, Reply reply) {
  Execute("DelegateTask", std::move(request.request_id), caller,
          [this, caller, task_id = request.task_id, to = std::move(request.to),
           comment = std::move(request.comment)](Tx& tx) -> absl::StatusOr<json> {
    Task* task = tx.GetTask(task_id);
    if (!task) return TaskNotFound(task_id);
    if (to.empty()) return absl::InvalidArgumentError("to: whom to delegate to is missing");
    if (!task->IsOpen()) return TaskClosed(*task);
    if (task->state != "claimed") {
      return absl::FailedPreconditionError(
          absl::StrCat("task ", task_id, " is ", task->state, "; claim it before delegating"));
    }
    if (task->assignee != caller.user) return NotYours(*task, caller);
    task->owner = caller.user;
    task->assignee = to;
    task->state = "delegated";
    task->comment = comment;
    tx.Save(*task);
    Notify(tx, {0, to, "", task->unit, "task.delegated",
                absl::StrCat("委派 / delegated to you: ", task->name), comment, task->id,
                task->instance_id});
    tx.Event(task->instance_id, "task.delegated", task->node,
             {{"task", task_id}, {"from", caller.user}, {"to", to}});
    return TaskAnswer(*task);
  }, std::move(reply));
}

void Engine::Impl::TransferTask(Caller caller, TransferTaskRequest request, Reply reply) {
  Execute("TransferTask", std::move(request.request_id), caller,
          [this, caller, task_id = request.task_id, to = std::move(request.to),
           comment = std::move(request.comment)](Tx& tx) -> absl::StatusOr<json> {
    Task* task = tx.GetTask(task_id);
    if (!task) return TaskNotFound(task_id);
    if (to.empty()) return absl::InvalidArgumentError("to: whom to transfer to is missing");
    if (!task->IsOpen()) return TaskClosed(*task);
    if (task->assignee != caller.user && !HoldsEscalation(caller, *task)) {
      return NotYours(*task, caller);
    }
    task->assignee = to;
    task->owner.clear();
    task->state = "claimed";
    task->comment = comment;
    tx.Save(*task);
    Notify(tx, {0, to, "", task->unit, "task.transferred",
                absl::StrCat("转办 / transferred to you: ", task->name), comment, task->id,
                task->instance_id});
    tx.Event(task->instance_id, "task.transferred", task->node,
             {{"task", task_id}, {"from", caller.user}, {"to", to}});
    return TaskAnswer(*task);
  }, std::move(reply));
}

void Engine::Impl::ReturnTask(Caller caller, ReturnTaskRequest request, Reply reply) {
  Execute("ReturnTask", std::move(request.request_id), caller,
          [this, caller, task_id = request.task_id, to_node = std::move(request.to_node),
           comment = std::move(request.comment)](Tx& tx) -> absl::StatusOr<json> {
    Task* task = tx.GetTask(task_id);
    if (!task) return TaskNotFound(task_id);
    if (!task->IsOpen()) return TaskClosed(*task);
    if (task->state == "open" ? !CanClaim(caller, *task) : task->assignee != caller.user) {
      return NotYours(*task, caller);
    }
    Instance* inst = tx.GetInstance(task->instance_id);
    if (!inst || inst->state != "active") {
      return absl::FailedPreconditionError(absl::StrCat("task ", task_id, "'s instance has ended"));
    }
    // Earlier means before this step's first visit: after a return or a loop, the steps that
    // followed it the first time are still later steps, not earlier ones.
    const auto& visited = inst->visited;
    auto here = std::find(visited.begin(), visited.end(), task->node);
    if (to_node == task->node || here == visited.end() ||
        std::find(visited.begin(), here, to_node) == here) {
      return absl::InvalidArgumentError(absl::StrCat(
          "to_node: '", to_node, "' is not an earlier step of instance ", inst->id));
    }
    Token* token = inst->FindToken(task->token);
    if (!token) return absl::InternalError("task without token");
    ReleaseToken(tx, *inst, *token);  // withdraws this task (and its countersign siblings)
    tx.Event(inst->id, "task.returned", task->node,
             {{"task", task_id}, {"to", to_node}, {"comment", comment}});
    tx.Save(*inst);
    MoveTo(tx, *inst, token->id, to_node);
    return TaskAnswer(*tx.GetTask(task_id));
  }, std::move(reply));
}

void Engine::Impl::FireTaskTimer(Tx& tx, const Timer& timer) {
  Task* task = tx.GetTask(timer.ref_id);
  if (!task || !task->IsOpen()) return;
  std::erase(task->timers, timer.id);
  if (timer.kind == TimerKind::kTaskEscalate) {
    task->escalated = true;
    Notify(tx, {0, "", task->escalation_role, "", "task.escalated",
                absl::StrCat("督办 / overdue, escalated: ", task->name),
                absl::StrCat("task ", task->id, " was due ", FormatLocal(task->due_at_ms),
                             task->assignee.empty() ? "" : ", assigned to " + task->assignee),
                task->id, task->instance_id});
    tx.Event(task->instance_id, "task.escalated", task->node,
             {{"task", task->id}, {"role", task->escalation_role}});
  } else {
    // The timer's own moment decides: a clock step past several timers fires each as what
    // it was set to be, not every one as "due".
    const bool overdue = timer.due_at_ms >= task->due_at_ms;
    Notify(tx, {0, task->assignee, task->assignee.empty() ? task->role : "", task->unit,
                overdue ? "task.due" : "task.reminder",
                absl::StrCat(overdue ? "到期 / due now: " : "提醒 / reminder: ", task->name),
                absl::StrCat("due ", FormatLocal(task->due_at_ms)), task->id,
                task->instance_id});
    tx.Event(task->instance_id, "task.reminded", task->node, {{"task", task->id}});
  }
  tx.Save(*task);
}

}  // namespace shequ::engine
