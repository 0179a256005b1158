// Rows and event bodies written with the direct writer (daemon/core/json_writer.h) against
// nlohmann's dump: the stored text must stay byte for byte what it was, so databases written
// before still load.

#include <gtest/gtest.h>

#include "daemon/engine/model.h"

namespace shequ::engine {
namespace {

std::string Nlohmann(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

// Objects with every field set, including the awkward ones.
Instance FullInstance() {
  Instance i;
  i.id = 42;
  i.definition_id = "请假-leave";
  i.version = 3;
  i.business_key = "bk \"quoted\"";
  i.unit = "unit\\a";
  i.state = "active";
  i.end_status = "";
  i.variables = {{"n", 1},      {"f", 2.5},           {"s", "文字\n"},
                 {"a", {1, 2}}, {"o", {{"k", true}}}, {"nul", nullptr}};
  Token t{7, "review", 2, "task", {11, 12}, 0, 13, 0, {21, 22}, 1, "corr", "next"};
  i.tokens = {t, Token{8, "start"}};
  i.forks = {Fork{2, "join", 3, 1, 0}};
  i.visited = {"a", "审批"};
  i.parent_id = 5;
  i.parent_token = 6;
  i.root_id = 4;
  i.call_depth = 2;
  i.spawned = 17;
  i.next_token = 9;
  i.next_fork = 3;
  i.created_at_ms = 1772413200000;
  i.updated_at_ms = 1772413200001;
  i.ended_at_ms = -1;
  return i;
}

Task FullTask() {
  Task t;
  t.id = 11;
  t.instance_id = 42;
  t.token = 7;
  t.definition_id = "leave";
  t.node = "review";
  t.name = "审核 review";
  t.state = "delegated";
  t.role = "manager";
  t.unit = "u1";
  t.candidates = {"li", "wang"};
  t.assignee = "zhang";
  t.owner = "zhao";
  t.due_at_ms = 99;
  t.outcomes = {"ok", "redo"};
  t.outcome = "ok";
  t.completed_by = "zhang";
  t.comment = "line1\nline2\t\"x\"";
  t.escalated = true;
  t.escalation_role = "director";
  t.group_id = 11;
  t.submitted = {{"approved", true}};
  t.timers = {101, 102};
  t.created_at_ms = 1;
  t.completed_at_ms = 2;
  return t;
}

TEST(ModelJsonTest, BodiesAreWhatNlohmannWrote) {
  const Instance inst = FullInstance();
  EXPECT_EQ(ToJson(inst), Nlohmann(json(inst)));
  EXPECT_EQ(ToJson(Instance{}), Nlohmann(json(Instance{})));
  const Task task = FullTask();
  EXPECT_EQ(ToJson(task), Nlohmann(json(task)));
  EXPECT_EQ(ToJson(Task{}), Nlohmann(json(Task{})));
  Job job{5, 42, 7, "leave", "svc", "mail", "active", 2, 1, 1000, "w1", "boom \x80", 77, 88};
  EXPECT_EQ(ToJson(job), Nlohmann(json(job)));
  Incident incident{9, 42, 7, "svc", "job-failed", "失败: \"x\"", 5, "open", 3, 4};
  EXPECT_EQ(ToJson(incident), Nlohmann(json(incident)));
  Notification n{3,  "zhang", "", "u1", "task.created", "新待办 / new task", "due 2026-03-02",
                 11, 42,      5,  6,    "zhang"};
  EXPECT_EQ(ToJson(n), Nlohmann(json(n)));
  BufferedMessage m{4, "paid", "order-1", {{"amount", 12}}, 1000, 6};
  EXPECT_EQ(ToJson(m), Nlohmann(json(m)));
  Timer timer{8, 1000, 42, TimerKind::kTaskRemind, 11, {{"offset", "-PT1H"}}};
  EXPECT_EQ(ToRow(timer).body, Nlohmann(timer.data));
}

TEST(ModelJsonTest, TimerKindsKeepTheirStoredNames) {
  // The timers table holds these names; databases written before the enum must still load.
  const std::pair<TimerKind, const char*> kinds[] = {
      {TimerKind::kNode, "node"},
      {TimerKind::kMessageTimeout, "message-timeout"},
      {TimerKind::kTaskRemind, "task-remind"},
      {TimerKind::kTaskEscalate, "task-escalate"},
      {TimerKind::kJobRetry, "job-retry"},
      {TimerKind::kJobLock, "job-lock"},
      {TimerKind::kMessageExpire, "message-expire"},
  };
  for (const auto& [kind, name] : kinds) {
    EXPECT_EQ(TimerKindName(kind), name);
    EXPECT_EQ(ParseTimerKind(name), kind);
    Timer t{3, 500, 42, kind, 7, json::object()};
    const store::TimerRow row = ToRow(t);
    EXPECT_EQ(row.kind, name);
    EXPECT_EQ(FromRow(row).kind, kind);
  }
  // A kind this version does not know is kept as unknown (and ignored when it fires).
  store::TimerRow later{9, 500, 42, "from-a-later-version", 7, ""};
  EXPECT_EQ(FromRow(later).kind, TimerKind::kUnknown);
  EXPECT_EQ(TimerKindName(TimerKind::kUnknown), "unknown");
}

TEST(ModelJsonTest, RowsRoundTripThroughFromRow) {
  const Instance inst = FullInstance();
  EXPECT_EQ(json(FromRow(ToRow(inst))), json(inst));
  const Task task = FullTask();
  EXPECT_EQ(json(FromRow(ToRow(task))), json(task));
  Job job{5, 42, 7, "leave", "svc", "mail", "active", 2, 1, 1000, "w1", "boom", 77, 88};
  EXPECT_EQ(json(FromRow(ToRow(job))), json(job));
  Notification n{3, "zhang", "", "u1", "task.created", "新待办", "", 11, 42, 5, 0, ""};
  EXPECT_EQ(json(FromRow(ToRow(n))), json(n));
  const store::InstanceRow row = ToRow(inst);
  EXPECT_EQ(row.id, 42);
  EXPECT_EQ(row.state, "active");
  EXPECT_EQ(row.parent_id, 5);
}

TEST(ModelJsonTest, BodiesWrittenByTheFormerVersionStillLoad) {
  // Verbatim from a database grpc_bench wrote before the direct writer (nlohmann dump).
  const std::string old =
      R"({"business_key":"bench","created_at_ms":1795316581686,"definition_id":"bench-wait",)"
      R"("end_status":"","ended_at_ms":0,"forks":[],"id":1,"next_fork":1,"next_token":2,)"
      R"("parent_id":0,"parent_token":0,"state":"active","tokens":[{"children":[],)"
      R"("children_done":0,"correlation":"","fork":0,"id":1,"incident":0,"job":0,)"
      R"("node":"review","resume_next":"","tasks":[1],"timer":0,"wait":"task"}],)"
      R"("unit":"bench-unit","updated_at_ms":1795316581686,"variables":{"n":1},"version":1,)"
      R"("visited":["review"]})";
  store::InstanceRow row;
  row.body = old;
  const Instance inst = FromRow(row);
  EXPECT_EQ(inst.tokens.at(0).tasks, std::vector<int64_t>{1});
  EXPECT_EQ(inst.variables, json({{"n", 1}}));
  EXPECT_EQ(inst.root_id, 0);  // fields added since (call depth and spawn limits) default
  EXPECT_EQ(inst.call_depth, 0);
  EXPECT_EQ(inst.spawned, 0);
  // Written again, the body is the same text with those fields in their sorted places.
  std::string again = old;
  again.insert(again.find(R"("created_at_ms")"), R"("call_depth":0,)");
  again.insert(again.find(R"("state")"), R"("root_id":0,"spawned":0,)");
  EXPECT_EQ(ToJson(inst), again);
}

}  // namespace
}  // namespace shequ::engine
