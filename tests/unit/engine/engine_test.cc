// The engine in-process, on a real SQLite store in a temporary directory and a manual clock.

#include "daemon/engine/engine.h"

#include <gtest/gtest.h>

#include <utility>  // before Boost.Asio with GCC 12 in C++20

#include <boost/asio.hpp>
#include <filesystem>
#include <future>
#include <set>
#include <thread>

#include "daemon/store/sqlite/sqlite_store.h"
#include "tests/unit/engine/engine_fixture.h"

namespace shequ::engine {
namespace {

using EngineTest = EngineFixture;

constexpr char kTimerFlow[] = R"(
id: wait-a-day
start: wait
nodes:
  wait: {type: timer, duration: P1D, next: done}
  done: {type: end, status: waited}
)";

TEST_F(EngineTest, TimerSurvivesRestartAndFiresOnce) {
  ASSERT_TRUE(Deploy(kTimerFlow).ok());
  auto id = Start("wait-a-day");
  ASSERT_TRUE(id.ok()) << id.status();
  Advance(kDay / 2);
  EXPECT_EQ(Get(*id).state, "active");
  EXPECT_EQ(engine_->TimersPending(), 1);

  Close();  // the timer index is rebuilt from the store
  Open();
  EXPECT_EQ(engine_->TimersPending(), 1);
  Advance(kDay / 2);
  Instance inst = Get(*id);
  EXPECT_EQ(inst.state, "completed");
  EXPECT_EQ(inst.end_status, "waited");
  EXPECT_EQ(engine_->TimersPending(), 0);
  Advance(kDay);
  EXPECT_EQ(Must(store_->History(*id, 0, 100)).back().type, "instance.completed");
}

TEST_F(EngineTest, RefusedCommandChangesNothing) {
  ASSERT_TRUE(Deploy(R"(
id: review
start: review
nodes:
  review: {type: user, assignees: [zhang], outcomes: [ok, redo], next: done}
  done: {type: end}
)").ok());
  auto id = Start("review");
  ASSERT_TRUE(id.ok());
  const int64_t task_id = Get(*id).tokens.at(0).tasks.at(0);
  const auto before = Must(store_->History(*id, 0, 100)).size();
  // A wrong outcome is refused after the task and instance were loaded and touched.
  auto bad = Run([&](Reply r) {
    engine_->CompleteTask({"zhang"}, {task_id, "maybe", {{"note", "x"}}, "", ""}, std::move(r));
  });
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Must(store_->History(*id, 0, 100)).size(), before);
  EXPECT_FALSE(Get(*id).variables.contains("note"));
  auto good = Run([&](Reply r) {
    engine_->CompleteTask({"zhang"}, {task_id, "ok", {{"note", "fine"}}, "", ""}, std::move(r));
  });
  ASSERT_TRUE(good.ok()) << good.status();
  EXPECT_EQ(Get(*id).state, "completed");
  EXPECT_EQ(Get(*id).variables["note"], "fine");
}

TEST_F(EngineTest, LoopWithoutWaitBecomesAnIncident) {
  ASSERT_TRUE(Deploy(R"(
id: spin
start: again
nodes:
  again:
    type: exclusive
    set: {n: "n + 1"}
    branches: [{when: "n < 1000000", next: again}, {next: done}]
  done: {type: end}
)").ok());
  auto id = Start("spin", {{"n", 0}});
  ASSERT_TRUE(id.ok()) << id.status();
  Instance inst = Get(*id);
  EXPECT_EQ(inst.state, "active");
  ASSERT_EQ(inst.tokens.size(), 1u);
  EXPECT_EQ(inst.tokens[0].wait, "incident");
  auto incidents = Must(store_->ListIncidents({}, {}));
  ASSERT_EQ(incidents.size(), 1u);
  EXPECT_EQ(FromRow(incidents[0]).kind, "loop-limit");
  EXPECT_LE(inst.variables["n"].get<int>(), 1000);
}

TEST_F(EngineTest, IdempotentStartAcrossRestart) {
  ASSERT_TRUE(Deploy(kTimerFlow).ok());
  auto start = [&] {
    return Run([&](Reply r) {
      engine_->Start({"tester"}, {{"wait-a-day"}, "req-1"}, std::move(r));
    });
  };
  auto first = start();
  ASSERT_TRUE(first.ok());
  Close();
  Open();
  auto again = start();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*first)["instance_id"], (*again)["instance_id"]);
  EXPECT_EQ(Must(store_->ListInstances({}, {})).size(), 1u);
}

TEST_F(EngineTest, RequestIdsAreForgottenAfterTheirRetention) {
  ASSERT_TRUE(Deploy(kTimerFlow).ok());
  auto start = [&](const std::string& request_id) -> int64_t {
    auto r = Run([&](Reply reply) {
      engine_->Start({"tester"}, {{"wait-a-day"}, request_id}, std::move(reply));
    });
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? (*r)["instance_id"].get<int64_t>() : 0;
  };
  const int64_t first = start("req-1");
  // Kept under the command, the caller's name (its length first) and the id.
  EXPECT_TRUE(Must(store_->GetRequest("Start:6:tester:req-1")).has_value());
  Advance(6 * kDay);  // the default retention is 7 days
  EXPECT_EQ(start("req-1"), first);
  Advance(2 * kDay);
  start("req-2");  // a commit past the hourly sweep forgets req-1
  EXPECT_FALSE(Must(store_->GetRequest("Start:6:tester:req-1")).has_value());
  EXPECT_NE(start("req-1"), first);  // now a new request
  EXPECT_EQ(start("req-2"), start("req-2"));
}

TEST_F(EngineTest, IdsOfRowsNeverDeletedContinueAfterRestart) {
  ASSERT_TRUE(Deploy(kTimerFlow).ok());
  auto first = Start("wait-a-day");
  ASSERT_TRUE(first.ok());
  const auto seqs = Must(store_->LoadSequences());
  EXPECT_EQ(seqs.count("instance"), 0u);  // recovered from the rows, not written
  EXPECT_EQ(seqs.count("event"), 0u);
  EXPECT_EQ(seqs.at("timer"), 1);  // timers are deleted when they fire: written
  const int64_t last_event = Must(store_->History(*first, 0, 100)).back().seq;

  Close();
  Open();
  auto second = Start("wait-a-day");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, *first + 1);
  EXPECT_GT(Must(store_->History(*second, 0, 100)).front().seq, last_event);
  Advance(kDay);  // both timers fire: ids of deleted rows are not reused either
  EXPECT_EQ(Get(*first).state, "completed");
  EXPECT_EQ(Get(*second).state, "completed");
}


constexpr char kHandlerFlow[] = R"(
id: with-handler
start: step
nodes:
  step: {type: service, job: domain.step, next: done}
  done: {type: end, status: done}
)";

// A built-in handler runs in the transaction that reaches its node: its record and the
// instance moving on commit together, and no job is made. An error raises an incident;
// resolving it runs the handler again.
TEST_F(EngineTest, BuiltInHandlerRunsInTheStepsTransaction) {
  int calls = 0;
  bool fail = true;
  engine_->RegisterHandler("domain.step", [&](Engine::DomainTx& tx, const Engine::HandlerCall& c)
                                              -> absl::StatusOr<json> {
    ++calls;
    if (fail) return absl::FailedPreconditionError("not yet");
    tx.Record("thing:1", "", "thing.done", {{"n", c.variables["n"]}});
    return json{{"doubled", c.variables["n"].get<int>() * 2}};
  });
  ASSERT_TRUE(Deploy(kHandlerFlow).ok());
  auto id = Start("with-handler", {{"n", 21}});
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(calls, 1);
  Instance inst = Get(*id);
  ASSERT_EQ(inst.tokens.size(), 1u);
  EXPECT_EQ(inst.tokens[0].wait, "incident");
  auto incidents = Must(store_->ListIncidents({}, {}));
  ASSERT_EQ(incidents.size(), 1u);
  const Incident incident = FromRow(incidents[0]);
  EXPECT_EQ(incident.kind, "handler");
  EXPECT_EQ(incident.message, "domain.step: not yet");
  EXPECT_EQ(Must(store_->Count()).jobs_pending, 0);

  fail = false;
  auto resolved = Run([&](Reply r) {
    engine_->ResolveIncident({"op"}, {incident.id, 0, json::object(), ""}, std::move(r));
  });
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_EQ(calls, 2);
  inst = Get(*id);
  EXPECT_EQ(inst.state, "completed");
  EXPECT_EQ(inst.variables["doubled"], 42);
  EXPECT_EQ(Must(store_->SubjectHistory("thing:1", "", 0, 10)).size(), 1u);
}

// A guarded user task: the guard sees the completion's variables and outcome before anything
// changes; its refusal is the completion's error (task open, nothing written), its answer is
// merged into the variables.
TEST_F(EngineTest, GuardRefusesACompletionOrAddsToIt) {
  engine_->RegisterHandler("domain.check", [&](Engine::DomainTx& tx, const Engine::HandlerCall& c)
                                               -> absl::StatusOr<json> {
    if (c.variables.value("score", 0) > 100) {
      return absl::InvalidArgumentError("score: must be 0–100");
    }
    tx.Record("thing:1", "", "thing.checked", {{"outcome", c.variables["outcome"]}});
    return json{{"checked", c.node}};
  });
  ASSERT_TRUE(Deploy(R"(
id: guarded
start: enter
nodes:
  enter: {type: user, assignees: [zhang], outcomes: [ok], guard: domain.check, next: done}
  done: {type: end}
)").ok());
  auto id = Start("guarded");
  ASSERT_TRUE(id.ok()) << id.status();
  const int64_t task_id = Get(*id).tokens.at(0).tasks.at(0);
  const auto before = Must(store_->History(*id, 0, 100)).size();
  auto bad = Run([&](Reply r) {
    engine_->CompleteTask({"zhang"}, {task_id, "ok", {{"score", 101}}, "", ""}, std::move(r));
  });
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "score: must be 0–100");
  EXPECT_EQ(Must(store_->History(*id, 0, 100)).size(), before);
  EXPECT_EQ(Get(*id).state, "active");
  EXPECT_FALSE(Get(*id).variables.contains("score"));
  EXPECT_TRUE(Must(store_->SubjectHistory("thing:1", "", 0, 10)).empty());

  auto good = Run([&](Reply r) {
    engine_->CompleteTask({"zhang"}, {task_id, "ok", {{"score", 99}}, "", ""}, std::move(r));
  });
  ASSERT_TRUE(good.ok()) << good.status();
  const Instance done = Get(*id);
  EXPECT_EQ(done.state, "completed");
  EXPECT_EQ(done.variables["checked"], "enter");
  EXPECT_EQ(done.variables["score"], 99);
  auto checked = Must(store_->SubjectHistory("thing:1", "", 0, 10));
  ASSERT_EQ(checked.size(), 1u);
  EXPECT_NE(checked[0].body.find("\"ok\""), std::string::npos);
}

// Task times and people from the instance's variables: due_at and remind_at (dates or epoch
// milliseconds), a role and a name with `${…}`.
TEST_F(EngineTest, TaskDueAtRemindAtAndTemplatedRoleFromVariables) {
  ASSERT_TRUE(Deploy(R"(
id: dated
start: task
nodes:
  task:
    type: user
    name: "办理 ${step.name}"
    role: "${step.role}"
    due_at: "${step.due_on}"
    remind_at: ["${step.remind_on}"]
    next: done
  done: {type: end}
)").ok());
  auto id = Start("dated", {{"step", {{"name", "社保登记"}, {"role", "hr-bureau"},
                                      {"due_on", "2026-03-12"},
                                      {"remind_on", kMonday0900 + 2 * kDay}}}});
  ASSERT_TRUE(id.ok()) << id.status();
  const int64_t task_id = Get(*id).tokens.at(0).tasks.at(0);
  Task task = FromRow(*Must(store_->GetTask(task_id)));
  EXPECT_EQ(task.name, "办理 社保登记");
  EXPECT_EQ(task.role, "hr-bureau");
  EXPECT_EQ(task.due_at_ms, calendar_.StartOfDayMs(std::chrono::year_month_day{
                                std::chrono::year{2026}, std::chrono::month{3},
                                std::chrono::day{12}}));
  auto reminders = [&] {
    store::NotificationFilter f;
    f.roles = {"hr-bureau"};
    int n = 0;
    for (const auto& row : Must(store_->ListNotifications(f, {0, 100}))) {
      n += FromRow(row).kind == "task.reminder";
    }
    return n;
  };
  EXPECT_EQ(reminders(), 0);
  Advance(2 * kDay + 1);
  EXPECT_EQ(reminders(), 1);

  // A variable that is not a moment raises an incident naming the field.
  auto bad = Start("dated", {{"step", {{"name", "x"}, {"role", "r"}, {"due_on", "soon"},
                                       {"remind_on", 0}}}});
  ASSERT_TRUE(bad.ok());
  bool named = false;
  for (const auto& row : Must(store_->ListIncidents({}, {}))) {
    named |= FromRow(row).message.rfind("due_at: ", 0) == 0;
  }
  EXPECT_TRUE(named);
}

TEST_F(EngineTest, AJobItsWorkerCannotTakeGoesToTheNextWorkerAtOnce) {
  ASSERT_TRUE(Deploy(R"(
id: mail
start: send
nodes:
  send: {type: service, job: mail, next: done}
  done: {type: end}
)").ok());
  std::promise<Job> refused, taken;
  // The first worker's stream is ending: its sink cannot deliver. The lock (default minutes,
  // and the clock is manual) must not keep the job from the second worker.
  const int64_t gone = engine_->OpenActivation({"mail"}, "w1", 0, [&](const Job& job, const json&) {
    refused.set_value(job);
    return false;
  });
  engine_->RequestJob(gone);
  auto id = Start("mail");
  ASSERT_TRUE(id.ok()) << id.status();
  const Job first = refused.get_future().get();
  EXPECT_EQ(first.attempt, 1);
  const int refused_retries = first.retries_left;
  const int64_t next = engine_->OpenActivation({"mail"}, "w2", 0, [&](const Job& job, const json&) {
    taken.set_value(job);
    return true;
  });
  engine_->RequestJob(next);
  auto handed = taken.get_future();
  ASSERT_EQ(handed.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  const Job job = handed.get();
  EXPECT_EQ(job.worker, "w2");
  EXPECT_EQ(job.attempt, 2);  // a hand-out of its own, so a late answer to the first is refused
  EXPECT_EQ(job.retries_left, refused_retries);  // no retry used up
  std::vector<std::string> types;
  for (const auto& e : Must(store_->History(*id, 0, 100))) types.push_back(e.type);
  EXPECT_NE(std::find(types.begin(), types.end(), "job.released"), types.end());
  engine_->CloseActivation(gone);
  engine_->CloseActivation(next);
}

TEST_F(EngineTest, OneClockStepPastReminderAndDueSendsEachAsWhatItIs) {
  ASSERT_TRUE(Deploy(R"(
id: reminded
start: task
nodes:
  task: {type: user, name: 审核, role: clerk, due: P2D, remind: [-P1D, 0], next: done}
  done: {type: end}
)").ok());
  ASSERT_TRUE(Start("reminded").ok());
  Advance(3 * kDay);  // past both timers at once, as after a restart or a fake-clock jump
  std::multiset<std::string> kinds;
  store::NotificationFilter f;
  f.roles = {"clerk"};
  for (const auto& row : Must(store_->ListNotifications(f, {0, 100})))
    kinds.insert(FromRow(row).kind);
  EXPECT_EQ(kinds, (std::multiset<std::string>{"task.created", "task.due", "task.reminder"}));
}

constexpr char kTerminateFlow[] = R"(
id: terminate
start: split
nodes:
  split: {type: parallel, branches: [review, wait, work, sub, stop_on], join: joined}
  review: {type: user, assignees: [zhang], due: P1D, remind: [0], next: joined}
  wait: {type: timer, duration: P1D, next: joined}
  work: {type: service, job: test.work, next: joined}
  sub: {type: call, definition: child-wait, next: joined}
  stop_on: {type: message, name: stop, correlate: "${key}", next: stop}
  joined: {type: end, status: joined}
  stop: {type: end, terminate: true, status: stopped, set: {stopped: "true"}}
)";

constexpr char kChildWait[] = R"(
id: child-wait
start: wait
nodes:
  wait: {type: timer, duration: P2D, next: done}
  done: {type: end}
)";

TEST_F(EngineTest, TerminatingEndInsideAParallelBlockEndsTheInstance) {
  ASSERT_TRUE(Deploy(kChildWait).ok());
  ASSERT_TRUE(Deploy(kTerminateFlow).ok());
  auto id = Start("terminate", {{"key", "k-1"}});
  ASSERT_TRUE(id.ok()) << id.status();
  Instance inst = Get(*id);
  ASSERT_EQ(inst.tokens.size(), 5u);
  int64_t task_id = 0, job_id = 0, child_id = 0;
  for (const Token& t : inst.tokens) {
    if (!t.tasks.empty()) task_id = t.tasks[0];
    if (t.job) job_id = t.job;
    if (!t.children.empty()) child_id = t.children[0];
  }
  ASSERT_TRUE(task_id && job_id && child_id);
  // The task's reminder, the timer node, the child's timer and the message waits are open.
  EXPECT_EQ(engine_->TimersPending(), 3);
  Advance(3'600'000);  // a later transaction, not the one that started the branches

  auto published = Run([&](Reply r) {
    engine_->PublishMessage({"tester"}, {"stop", "k-1", {{"why", "withdrawn"}}, 0, ""},
                            std::move(r));
  });
  ASSERT_TRUE(published.ok()) << published.status();
  inst = Get(*id);
  EXPECT_EQ(inst.state, "completed");
  EXPECT_EQ(inst.end_status, "stopped");
  EXPECT_EQ(inst.variables["stopped"], true);
  EXPECT_TRUE(inst.tokens.empty());
  EXPECT_TRUE(inst.forks.empty());
  EXPECT_EQ(FromRow(*Must(store_->GetTask(task_id))).state, "cancelled");
  EXPECT_FALSE(Must(store_->GetJob(job_id)).has_value());
  EXPECT_EQ(Get(child_id).state, "cancelled");
  EXPECT_EQ(engine_->TimersPending(), 0);
  auto history = Must(store_->History(*id, 0, 1000));
  std::vector<std::string> tail;
  for (size_t i = history.size() - 2; i < history.size(); ++i) tail.push_back(history[i].type);
  EXPECT_EQ(tail, (std::vector<std::string>{"instance.terminated", "instance.completed"}));

  // Nothing withdrawn comes back: no timer fires, the join never runs, the task stays closed.
  Advance(3 * kDay);
  EXPECT_EQ(Get(*id).end_status, "stopped");
  EXPECT_EQ(Must(store_->History(*id, 0, 1000)).size(), history.size());
  auto complete = Run([&](Reply r) {
    engine_->CompleteTask({"zhang"}, {task_id, "", json::object(), "", ""}, std::move(r));
  });
  EXPECT_EQ(complete.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(EngineTest, TerminatingEndWithNothingElseRunningCompletesAsAnEnd) {
  ASSERT_TRUE(Deploy(R"(
id: plain
start: stop
nodes:
  stop: {type: end, terminate: true, status: early}
)").ok());
  auto id = Start("plain");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(Get(*id).state, "completed");
  EXPECT_EQ(Get(*id).end_status, "early");
  EXPECT_EQ(Must(store_->History(*id, 0, 100)).back().type, "instance.completed");
}

constexpr char kEscalatedCountersign[] = R"(
id: sign
start: sign
nodes:
  sign:
    type: user
    assignees: [zhang, li]
    completion: all
    outcomes: [yes, no]
    due: PT8H
    escalate: {after: PT1H, role: district-admin}
    next: done
  done: {type: end, status: signed}
)";

TEST_F(EngineTest, EscalationRoleMayClaimAndCompleteCountersignShares) {
  ASSERT_TRUE(Deploy(kEscalatedCountersign).ok());
  auto id = Start("sign");
  ASSERT_TRUE(id.ok());
  const std::vector<int64_t> tasks = Get(*id).tokens.at(0).tasks;
  ASSERT_EQ(tasks.size(), 2u);
  const Caller admin{"wang", {"district-admin"}, "other-unit"};
  auto claim = [&](const Caller& c, int64_t task) {
    return Run([&](Reply r) { engine_->ClaimTask(c, {task, ""}, std::move(r)); });
  };
  auto complete = [&](const Caller& c, int64_t task, const std::string& outcome) {
    return Run([&](Reply r) {
      engine_->CompleteTask(c, {task, outcome, json::object(), "", ""}, std::move(r));
    });
  };
  // Before escalation the shares are their assignees'.
  EXPECT_EQ(claim(admin, tasks[0]).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(complete(admin, tasks[0], "yes").status().code(),
            absl::StatusCode::kPermissionDenied);

  Advance(9 * 3'600'000);  // past due + 1 h
  ASSERT_TRUE(FromRow(*Must(store_->GetTask(tasks[0]))).escalated);
  // Someone without the role still may not.
  EXPECT_EQ(claim({"zhao", {"clerk"}, ""}, tasks[0]).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(complete({"zhao", {"clerk"}, ""}, tasks[1], "yes").status().code(),
            absl::StatusCode::kPermissionDenied);

  // Claiming takes the share over from zhang, who may then no longer complete it.
  auto claimed = claim(admin, tasks[0]);
  ASSERT_TRUE(claimed.ok()) << claimed.status();
  EXPECT_EQ((*claimed)["task"]["assignee"], "wang");
  EXPECT_EQ(complete({"zhang"}, tasks[0], "yes").status().code(),
            absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(complete(admin, tasks[0], "yes").ok());
  // Completing li's share without claiming it first completes it in li's stead.
  auto done = complete(admin, tasks[1], "no");
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ((*done)["task"]["completed_by"], "wang");

  Instance inst = Get(*id);
  EXPECT_EQ(inst.state, "completed");
  EXPECT_EQ(inst.end_status, "signed");
  EXPECT_EQ(inst.variables["votes"], (json{{"yes", 1}, {"no", 1}}));
  bool took_over = false;
  for (const auto& e : Must(store_->History(*id, 0, 100))) {
    if (e.type == "task.claimed" && json::parse(e.body).value("from", "") == "zhang") {
      took_over = true;
    }
  }
  EXPECT_TRUE(took_over);
}

std::vector<Incident> OpenIncidents(store::Store& store) {
  std::vector<Incident> out;
  for (const auto& row : Must(store.ListIncidents({}, {}))) out.push_back(FromRow(row));
  return out;
}

TEST_F(EngineTest, ADefinitionCallingItselfStopsAtTheCallDepthLimit) {
  ASSERT_TRUE(Deploy(R"(
id: self
start: again
nodes:
  again: {type: call, definition: self, next: done}
  done: {type: end}
)").ok());
  auto id = Start("self");  // used to grow without bound inside this one transaction
  ASSERT_TRUE(id.ok()) << id.status();
  const Instance root = Get(*id);
  EXPECT_EQ(root.spawned, 16);
  const Instance deepest = Get(*id + 16);
  EXPECT_EQ(deepest.call_depth, 16);
  EXPECT_EQ(deepest.root_id, *id);
  EXPECT_EQ(deepest.parent_id, *id + 15);
  EXPECT_FALSE(Must(store_->GetInstance(*id + 17)).has_value());
  auto incidents = OpenIncidents(*store_);
  ASSERT_EQ(incidents.size(), 1u);
  EXPECT_EQ(incidents[0].kind, "call-depth-limit");
  EXPECT_EQ(incidents[0].instance_id, *id + 16);
  EXPECT_NE(incidents[0].message.find("engine.max_call_depth"), std::string::npos);
  // Cancelling the root withdraws the whole chain.
  auto cancelled = Run([&](Reply r) {
    engine_->Cancel({"tester"}, {*id, "runaway", ""}, std::move(r));
  });
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_EQ(Get(*id + 16).state, "cancelled");
}

TEST_F(EngineTest, AForeachFanningOutItselfStopsAtTheSpawnLimit) {
  Close();
  options_.max_spawned_instances = 20;
  Open();
  ASSERT_TRUE(Deploy(R"(
id: fan
start: fan
nodes:
  fan: {type: foreach, items: "${[1, 2, 3]}", as: i, call: fan, next: done}
  done: {type: end}
)").ok());
  auto id = Start("fan");
  ASSERT_TRUE(id.ok()) << id.status();
  const Instance root = Get(*id);
  EXPECT_GT(root.spawned, 12);  // 3 + 9 at least
  EXPECT_LE(root.spawned, 20);
  EXPECT_TRUE(Must(store_->GetInstance(*id + root.spawned)).has_value());
  EXPECT_FALSE(Must(store_->GetInstance(*id + root.spawned + 1)).has_value());
  EXPECT_EQ(Get(*id + root.spawned).root_id, *id);
  bool spawn_limit = false;
  for (const Incident& i : OpenIncidents(*store_)) {
    EXPECT_EQ(i.kind, "spawn-limit");
    spawn_limit = true;
  }
  EXPECT_TRUE(spawn_limit);
}

TEST_F(EngineTest, SetMayNotNestVariablesDeeperThanTheLimit) {
  ASSERT_TRUE(Deploy(R"(
id: nest
start: grow
nodes:
  grow: {type: exclusive, set: {x: "[x]"}, branches: [{next: grow}]}
)").ok());
  auto id = Start("nest");
  ASSERT_TRUE(id.ok()) << id.status();
  auto incidents = OpenIncidents(*store_);
  ASSERT_EQ(incidents.size(), 1u);
  EXPECT_EQ(incidents[0].kind, "expression");
  EXPECT_EQ(incidents[0].message, "set.x: nested deeper than 64 levels");
  // 63 levels of arrays under the variables' root object: 64 in all.
  const Instance inst = Get(*id);
  int depth = 0;
  for (const json* x = &inst.variables.at("x"); x->is_array(); x = &(*x)[0]) ++depth;
  EXPECT_EQ(depth, 63);
}

TEST_F(EngineTest, DeeplyNestedVariablesAreRefusedByTheEngineToo) {
  ASSERT_TRUE(Deploy(kTimerFlow).ok());
  json deep = 1;
  for (int i = 0; i < 100; ++i) deep = json::array({std::move(deep)});
  auto started = Start("wait-a-day", {{"deep", deep}});
  EXPECT_EQ(started.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(started.status().message(), "variables: nested deeper than 64 levels");
}

}  // namespace
}  // namespace shequ::engine
