// Every node type of the definition format, deployed with Definitions/Deploy and driven through
// the real gRPC API on the fake clock; plus Watch, History, Cancel and Deploy's versioning and
// refusals.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "tests/integration/client.h"

namespace shequ::testing {
namespace {

using nlohmann::json;

// ---- Definitions used below ----------------------------------------------------------------

constexpr char kEndOnly[] = R"(
id: end-only
start: done
nodes:
  done: {type: end, status: finished}
)";

constexpr char kRoute[] = R"(
id: route
start: route
nodes:
  route:
    type: exclusive
    branches:
      - {when: "x > 10", next: big}
      - {when: "x > 5", next: medium}
      - {next: small}
  big: {type: end, status: big}
  medium: {type: end, status: medium}
  small: {type: end, status: small}
)";

constexpr char kStrictRoute[] = R"(
id: strict-route
start: route
nodes:
  route:
    type: exclusive
    branches:
      - {when: "x > 10", next: big}
      - {when: "x < 0", next: negative}
  big: {type: end, status: big}
  negative: {type: end, status: negative}
)";

constexpr char kCountRoute[] = R"(
id: count-route
start: route
nodes:
  route:
    type: exclusive
    branches:
      - {when: "count + 1 > 2", next: many}
      - {next: few}
  many: {type: end, status: many}
  few: {type: end, status: few}
)";

constexpr char kForkJoin[] = R"(
id: fork-join
start: fork
nodes:
  fork: {type: parallel, branches: [wait, review], join: joined}
  wait: {type: timer, duration: P1D, next: joined}
  review: {type: user, assignees: [li], next: joined}
  joined:
    type: exclusive
    set: {joins: "joins + 1"}
    branches: [{next: done}]
  done: {type: end, status: joined}
)";

constexpr char kNestedFork[] = R"(
id: nested-fork
start: outer
nodes:
  outer: {type: parallel, branches: [a, inner], join: outer-join}
  a: {type: timer, duration: PT1H, next: outer-join}
  inner: {type: parallel, branches: [b, c], join: inner-join}
  b: {type: timer, duration: PT2H, next: inner-join}
  c: {type: timer, duration: PT3H, next: inner-join}
  inner-join:
    type: exclusive
    set: {inner_joins: "inner_joins + 1"}
    branches: [{next: outer-join}]
  outer-join:
    type: exclusive
    set: {outer_joins: "outer_joins + 1"}
    branches: [{next: done}]
  done: {type: end, status: joined}
)";

constexpr char kWaitADay[] = R"(
id: wait-a-day
start: wait
nodes:
  wait: {type: timer, duration: P1D, next: done}
  done: {type: end, status: waited}
)";

constexpr char kWaitWorkingDays[] = R"(
id: wait-working-days
start: wait
nodes:
  wait: {type: timer, duration: 2wd, next: done}
  done: {type: end, status: waited}
)";

constexpr char kWaitUntil[] = R"(
id: wait-until
start: wait
nodes:
  wait: {type: timer, at: "${until}", next: done}
  done: {type: end, status: waited}
)";

constexpr char kAwaitPayment[] = R"(
id: await-payment
start: wait
nodes:
  wait:
    type: message
    name: paid
    correlate: "${key}"
    timeout: {after: P1D, next: lapsed}
    next: done
  done: {type: end, status: paid}
  lapsed: {type: end, status: lapsed}
)";

constexpr char kChildWork[] = R"(
id: child-work
start: calc
nodes:
  calc:
    type: exclusive
    set: {doubled: "n * 2"}
    branches: [{next: hold}]
  hold: {type: message, name: child-go, correlate: "${n}", next: done}
  done: {type: end, status: child-done}
)";

constexpr char kParentWork[] = R"(
id: parent-work
start: sub
nodes:
  sub:
    type: call
    definition: child-work
    with: {n: "${amount}"}
    out: {result: "doubled"}
    next: done
  done: {type: end, status: parent-done}
)";

constexpr char kReviewOne[] = R"(
id: review-one
start: wait
nodes:
  wait: {type: message, name: reviewed, correlate: "${person}-${round}", next: done}
  done: {type: end}
)";

constexpr char kReviewEach[] = R"(
id: review-each
start: each
nodes:
  each:
    type: foreach
    items: "${people}"
    as: person
    call: review-one
    with: {round: "${round}"}
    next: done
  done: {type: end, status: all-reviewed}
)";

constexpr char kCompute[] = R"(
id: compute
start: calc
nodes:
  calc:
    type: timer
    duration: PT1H
    set: {total: "price * qty", label: "'order-' + code", big: "price * qty > 100"}
    next: finish
  finish: {type: end, status: done, set: {doubled_total: "total * 2"}}
)";

constexpr char kSpin[] = R"(
id: spin
start: loop
nodes:
  loop:
    type: exclusive
    set: {n: "n + 1"}
    branches:
      - {when: "n < 1000000", next: loop}
      - {next: done}
  done: {type: end}
)";

constexpr char kManyWaits[] = R"(
id: many-waits
start: fork
nodes:
  fork: {type: parallel, branches: [sleep, ask, delegate, work], join: joined}
  sleep: {type: timer, duration: P1D, next: joined}
  ask: {type: user, assignees: [li], due: P2D, remind: [-PT1H], next: joined}
  delegate: {type: call, definition: child-work, with: {n: "${n}"}, next: joined}
  work: {type: service, job: test.never-done, next: joined}
  joined: {type: end}
)";

// ---- Fixture -------------------------------------------------------------------------------

class NodesTest : public DaemonTest {
 protected:
  // No call may hang a test: a stuck daemon shows as DEADLINE_EXCEEDED.
  NodesTest() : DaemonTest("nodes", {{"operator"}, std::chrono::seconds(30)}) {}

  // Deploys several definitions; fails the test on the first refusal.
  void MustDeploy(std::initializer_list<const char*> yamls) {
    for (const char* yaml : yamls) {
      grpc::Status s = client_->TryDeploy(yaml);
      ASSERT_TRUE(s.ok()) << s.error_message() << "\n" << yaml;
    }
  }

  static v1::StartRequest StartOf(const std::string& definition, const json& vars,
                                  const std::string& business_key = "") {
    v1::StartRequest req;
    req.set_definition_id(definition);
    req.set_business_key(business_key);
    req.set_variables(vars.dump());
    return req;
  }

  int64_t Start(const std::string& definition, const json& vars = json::object(),
                const std::string& business_key = "") {
    const int64_t id = client_->Start(StartOf(definition, vars, business_key));
    EXPECT_GT(id, 0);
    return id;
  }

  json Vars(int64_t id) { return json::parse(client_->Instance(id).variables()); }

  static std::vector<std::string> Nodes(const v1::Instance& inst) {
    std::vector<std::string> out(inst.current_nodes().begin(), inst.current_nodes().end());
    std::sort(out.begin(), out.end());
    return out;
  }

  static int Count(const std::vector<v1::Event>& events, const std::string& type,
                   const std::string& node = "") {
    return static_cast<int>(std::count_if(events.begin(), events.end(), [&](const v1::Event& e) {
      return e.type() == type && (node.empty() || e.node_id() == node);
    }));
  }
};

// ---- end -----------------------------------------------------------------------------------

TEST_F(NodesTest, EndCompletesWithItsStatusLabel) {
  MustDeploy({kEndOnly});
  int64_t id = Start("end-only", {{"a", 1}});
  v1::Instance inst = client_->Instance(id);
  EXPECT_EQ(inst.state(), "completed");
  EXPECT_EQ(inst.end_status(), "finished");
  EXPECT_EQ(inst.definition_id(), "end-only");
  EXPECT_EQ(inst.definition_version(), 1);
  EXPECT_TRUE(inst.current_nodes().empty());
  EXPECT_EQ(inst.ended_at_ms(), kMonday0900);
  EXPECT_EQ(json::parse(inst.variables()), (json{{"a", 1}}));
}

// ---- exclusive -----------------------------------------------------------------------------

TEST_F(NodesTest, ExclusiveTakesTheFirstTrueBranchElseTheDefault) {
  MustDeploy({kRoute});
  // 20 satisfies both conditions: the first listed wins.
  EXPECT_EQ(client_->Instance(Start("route", {{"x", 20}})).end_status(), "big");
  EXPECT_EQ(client_->Instance(Start("route", {{"x", 7}})).end_status(), "medium");
  EXPECT_EQ(client_->Instance(Start("route", {{"x", 1}})).end_status(), "small");
}

TEST_F(NodesTest, ExclusiveWithNoTrueBranchRaisesNoBranchIncident) {
  MustDeploy({kStrictRoute});
  int64_t id = Start("strict-route", {{"x", 5}});
  v1::Instance inst = client_->Instance(id);
  EXPECT_EQ(inst.state(), "active");
  EXPECT_EQ(Nodes(inst), std::vector<std::string>{"route"});
  auto incidents = client_->Incidents(id);
  ASSERT_EQ(incidents.size(), 1u);
  EXPECT_EQ(incidents[0].kind(), "no-branch");
  EXPECT_EQ(incidents[0].node_id(), "route");
  EXPECT_EQ(incidents[0].state(), "open");

  // The operator fixes the data; the gateway is tried again.
  ASSERT_TRUE(client_->Resolve(incidents[0].id(), {{"x", 11}}).ok());
  inst = client_->Instance(id);
  EXPECT_EQ(inst.state(), "completed");
  EXPECT_EQ(inst.end_status(), "big");
  EXPECT_TRUE(client_->Incidents(id).empty());
  auto resolved = client_->Incidents(id, "resolved");
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0].id(), incidents[0].id());
  // Resolving it twice is a wrong state.
  EXPECT_EQ(client_->Resolve(incidents[0].id(), json::object()).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(NodesTest, ExpressionErrorAtRuntimeRaisesIncidentAndResolveContinues) {
  MustDeploy({kCountRoute});
  int64_t id = Start("count-route");  // `count` is unset: null + 1 is an error
  auto incidents = client_->Incidents(id);
  ASSERT_EQ(incidents.size(), 1u);
  EXPECT_EQ(incidents[0].kind(), "expression");
  EXPECT_EQ(incidents[0].node_id(), "route");
  EXPECT_NE(incidents[0].message().find("branches[0].when"), std::string::npos)
      << incidents[0].message();
  EXPECT_EQ(client_->Instance(id).state(), "active");

  ASSERT_TRUE(client_->Resolve(incidents[0].id(), {{"count", 5}}).ok());
  v1::Instance inst = client_->Instance(id);
  EXPECT_EQ(inst.state(), "completed");
  EXPECT_EQ(inst.end_status(), "many");
  EXPECT_EQ(json::parse(inst.variables())["count"], 5);
}

// ---- parallel + join -----------------------------------------------------------------------

TEST_F(NodesTest, JoinRunsOnceAfterTaskThenTimer) {
  MustDeploy({kForkJoin});
  int64_t id = Start("fork-join", {{"joins", 0}});
  EXPECT_EQ(Nodes(client_->Instance(id)), (std::vector<std::string>{"review", "wait"}));
  auto tasks = client_->Tasks(id);
  ASSERT_EQ(tasks.size(), 1u);
  ASSERT_TRUE(client_->Complete(tasks[0].id(), {"li"}).ok());

  // One branch arrived: the join waits for the other.
  v1::Instance inst = client_->Instance(id);
  EXPECT_EQ(inst.state(), "active");
  EXPECT_EQ(Nodes(inst), std::vector<std::string>{"wait"});
  EXPECT_EQ(Count(client_->History(id), "node.entered", "joined"), 0);

  client_->Advance("P1D");
  inst = client_->Instance(id);
  EXPECT_EQ(inst.state(), "completed");
  EXPECT_EQ(inst.end_status(), "joined");
  EXPECT_EQ(json::parse(inst.variables())["joins"], 1);
  auto history = client_->History(id);
  EXPECT_EQ(Count(history, "node.entered", "joined"), 1);
  EXPECT_EQ(Count(history, "parallel.arrived", "joined"), 2);
}

TEST_F(NodesTest, JoinRunsOnceAfterTimerThenTask) {
  MustDeploy({kForkJoin});
  int64_t id = Start("fork-join", {{"joins", 0}});
  EXPECT_EQ(client_->Advance("P1D").timers_fired(), 1);
  v1::Instance inst = client_->Instance(id);
  EXPECT_EQ(inst.state(), "active");
  EXPECT_EQ(Nodes(inst), std::vector<std::string>{"review"});

  auto tasks = client_->Tasks(id);
  ASSERT_EQ(tasks.size(), 1u);
  ASSERT_TRUE(client_->Complete(tasks[0].id(), {"li"}).ok());
  inst = client_->Instance(id);
  EXPECT_EQ(inst.state(), "completed");
  EXPECT_EQ(json::parse(inst.variables())["joins"], 1);
  EXPECT_EQ(Count(client_->History(id), "node.entered", "joined"), 1);
}

TEST_F(NodesTest, NestedParallelJoinsEachOnce) {
  MustDeploy({kNestedFork});
  int64_t id = Start("nested-fork", {{"inner_joins", 0}, {"outer_joins", 0}});
  EXPECT_EQ(Nodes(client_->Instance(id)), (std::vector<std::string>{"a", "b", "c"}));
  client_->Advance("PT1H");
  EXPECT_EQ(Nodes(client_->Instance(id)), (std::vector<std::string>{"b", "c"}));
  client_->Advance("PT1H");
  EXPECT_EQ(Nodes(client_->Instance(id)), std::vector<std::string>{"c"});
  json vars = Vars(id);
  EXPECT_EQ(vars["inner_joins"], 0);
  EXPECT_EQ(vars["outer_joins"], 0);
  client_->Advance("PT1H");
  v1::Instance inst = client_->Instance(id);
  EXPECT_EQ(inst.state(), "completed");
  EXPECT_EQ(inst.end_status(), "joined");
  vars = json::parse(inst.variables());
  EXPECT_EQ(vars["inner_joins"], 1);
  EXPECT_EQ(vars["outer_joins"], 1);
  auto history = client_->History(id);
  EXPECT_EQ(Count(history, "node.entered", "inner-join"), 1);
  EXPECT_EQ(Count(history, "node.entered", "outer-join"), 1);
  EXPECT_EQ(Count(history, "node.entered", "done"), 1);
}

// ---- timer ---------------------------------------------------------------------------------

TEST_F(NodesTest, TimerFiresOnlyWhenTheClockPassesItsDuration) {
  MustDeploy({kWaitADay});
  int64_t id = Start("wait-a-day");
  auto history = client_->History(id);
  auto scheduled = std::find_if(history.begin(), history.end(),
                                [](const v1::Event& e) { return e.type() == "timer.scheduled"; });
  ASSERT_NE(scheduled, history.end());
  EXPECT_EQ(json::parse(scheduled->data())["due_at_ms"], kMonday0900 + kDay);

  EXPECT_EQ(client_->Advance("PT23H59M").timers_fired(), 0);
  EXPECT_EQ(client_->Instance(id).state(), "active");
  EXPECT_EQ(Nodes(client_->Instance(id)), std::vector<std::string>{"wait"});
  EXPECT_EQ(client_->Advance("PT1M").timers_fired(), 1);
  v1::Instance inst = client_->Instance(id);
  EXPECT_EQ(inst.state(), "completed");
  EXPECT_EQ(inst.end_status(), "waited");
  EXPECT_EQ(inst.ended_at_ms(), kMonday0900 + kDay);
}

TEST_F(NodesTest, FakeClockGoesOnFromTheTimeReachedAcrossAKill) {
  MustDeploy({kWaitADay});
  int64_t id = Start("wait-a-day");
  EXPECT_EQ(client_->Advance("PT12H").now_ms(), kMonday0900 + 12 * kHour);

  // Killed outright and restarted with the same --fake-clock=<Monday 09:00>: the clock goes on
  // from 21:00, neither back to the flag's start nor to the wall clock.
  daemon_->Kill();
  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  EXPECT_EQ(client_->Stats().now_ms(), kMonday0900 + 12 * kHour);
  EXPECT_EQ(client_->Instance(id).state(), "active");
  int64_t later = Start("wait-a-day");
  EXPECT_EQ(client_->Instance(later).created_at_ms(), kMonday0900 + 12 * kHour);

  EXPECT_EQ(client_->Advance("PT11H59M").timers_fired(), 0);
  EXPECT_EQ(client_->Advance("PT1M").timers_fired(), 1);
  EXPECT_EQ(client_->Instance(id).ended_at_ms(), kMonday0900 + kDay);

  // A clean stop keeps it too; a --fake-clock start later than the time reached moves it on.
  ASSERT_EQ(StopDaemon(), 0) << daemon_->Log();
  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  EXPECT_EQ(client_->Stats().now_ms(), kMonday0900 + kDay);
  ASSERT_EQ(StopDaemon(), 0) << daemon_->Log();
  DaemonProcess::Options forward;
  forward.fake_clock_start_ms = kMonday0900 + 2 * kDay;
  ASSERT_NO_FATAL_FAILURE(StartDaemon(forward));
  EXPECT_EQ(client_->Stats().now_ms(), kMonday0900 + 2 * kDay);
  // `later` came due on Tuesday 21:00, passed by the move: it fires at start-up, before the
  // next command on the engine's strand.
  client_->Advance("PT1M");
  EXPECT_EQ(client_->Instance(later).state(), "completed");
  EXPECT_EQ(client_->Instance(later).ended_at_ms(), kMonday0900 + 2 * kDay);
}

TEST_F(NodesTest, TimerAtFiresAtADateOrAnEpochMoment) {
  MustDeploy({kWaitUntil});
  // 2026-03-04 is the Wednesday after kMonday0900 (2026-03-02 09:00, Asia/Shanghai).
  const int64_t wednesday_midnight = kMonday0900 + 2 * kDay - 9 * 3600 * 1000LL;
  const int64_t by_date = Start("wait-until", {{"until", "2026-03-04"}});
  const int64_t by_ms = Start("wait-until", {{"until", kMonday0900 + 3600 * 1000}});
  const int64_t past = Start("wait-until", {{"until", "2020-01-01"}});
  const int64_t bad = Start("wait-until", {{"until", "next week"}});

  auto incidents = client_->Incidents(bad);
  ASSERT_EQ(incidents.size(), 1u);
  EXPECT_EQ(incidents[0].kind(), "expression");
  EXPECT_NE(incidents[0].message().find("YYYY-MM-DD"), std::string::npos) << incidents[0].message();

  // A moment already past fires when timers are next checked (at once on the real clock).
  EXPECT_EQ(client_->Advance("PT1H").timers_fired(), 2);
  EXPECT_EQ(client_->Instance(past).state(), "completed");
  EXPECT_EQ(client_->Instance(by_ms).state(), "completed");
  EXPECT_EQ(client_->Instance(by_date).state(), "active");
  client_->Advance("P1DT13H59M");
  EXPECT_EQ(client_->Instance(by_date).state(), "active");
  EXPECT_EQ(client_->Advance("PT1M").timers_fired(), 1);
  v1::Instance inst = client_->Instance(by_date);
  EXPECT_EQ(inst.state(), "completed");
  EXPECT_EQ(inst.ended_at_ms(), wednesday_midnight);
}

TEST_F(NodesTest, WorkingDayTimerSkipsTheWeekend) {
  MustDeploy({kWaitWorkingDays});
  EXPECT_EQ(client_->Advance("P4D").now_ms(), kMonday0900 + 4 * kDay);  // Friday 2026-03-06 09:00
  int64_t id = Start("wait-working-days");
  // Two working days from Friday 09:00 is Tuesday 09:00, not Sunday.
  const int64_t tuesday = kMonday0900 + 8 * kDay;
  auto history = client_->History(id);
  ASSERT_EQ(Count(history, "timer.scheduled"), 1);
  for (const auto& e : history) {
    if (e.type() == "timer.scheduled") {
      EXPECT_EQ(json::parse(e.data())["due_at_ms"], tuesday);
    }
  }
  EXPECT_EQ(client_->Advance("P2D").timers_fired(), 0);  // Sunday
  EXPECT_EQ(client_->Advance("P1D").timers_fired(), 0);  // Monday
  EXPECT_EQ(client_->Instance(id).state(), "active");
  EXPECT_EQ(client_->Advance("P1D").timers_fired(), 1);  // Tuesday
  v1::Instance inst = client_->Instance(id);
  EXPECT_EQ(inst.state(), "completed");
  EXPECT_EQ(inst.ended_at_ms(), tuesday);
}

// ---- message -------------------------------------------------------------------------------

TEST_F(NodesTest, MessageGoesOnlyToTheCorrelatedInstance) {
  MustDeploy({kAwaitPayment});
  int64_t a = Start("await-payment", {{"key", "order-a"}});
  int64_t b = Start("await-payment", {{"key", "order-b"}});
  EXPECT_EQ(Nodes(client_->Instance(a)), std::vector<std::string>{"wait"});

  v1::PublishMessageResponse r = client_->Publish("paid", "order-b", {{"amount", 5}});
  EXPECT_EQ(r.delivered_to(), b);
  EXPECT_FALSE(r.buffered());
  v1::Instance ib = client_->Instance(b);
  EXPECT_EQ(ib.state(), "completed");
  EXPECT_EQ(ib.end_status(), "paid");
  EXPECT_EQ(json::parse(ib.variables())["amount"], 5);
  v1::Instance ia = client_->Instance(a);
  EXPECT_EQ(ia.state(), "active");
  EXPECT_FALSE(json::parse(ia.variables()).contains("amount"));

  // Delivered once: a second message for order-b finds nobody and is not buffered.
  r = client_->Publish("paid", "order-b", {{"amount", 6}});
  EXPECT_EQ(r.delivered_to(), 0);
  EXPECT_FALSE(r.buffered());
  EXPECT_EQ(json::parse(client_->Instance(b).variables())["amount"], 5);
  // Same correlation, other name: not delivered either.
  EXPECT_EQ(client_->Publish("refunded", "order-a").delivered_to(), 0);
  EXPECT_EQ(client_->Instance(a).state(), "active");
  EXPECT_EQ(client_->Publish("paid", "order-a").delivered_to(), a);
  EXPECT_EQ(client_->Instance(a).state(), "completed");
}

TEST_F(NodesTest, BufferedMessageIsConsumedByALaterInstanceOnce) {
  MustDeploy({kAwaitPayment});
  v1::PublishMessageResponse r =
      client_->Publish("paid", "order-c", {{"amount", 9}}, /*ttl_ms=*/60'000);
  EXPECT_EQ(r.delivered_to(), 0);
  EXPECT_TRUE(r.buffered());

  int64_t first = Start("await-payment", {{"key", "order-c"}});
  v1::Instance inst = client_->Instance(first);
  EXPECT_EQ(inst.state(), "completed");
  EXPECT_EQ(inst.end_status(), "paid");
  EXPECT_EQ(json::parse(inst.variables())["amount"], 9);

  // The buffer held one message: the next instance waits.
  int64_t second = Start("await-payment", {{"key", "order-c"}});
  EXPECT_EQ(client_->Instance(second).state(), "active");
  EXPECT_EQ(Nodes(client_->Instance(second)), std::vector<std::string>{"wait"});
}

TEST_F(NodesTest, ExpiredBufferedMessageIsNotConsumed) {
  MustDeploy({kAwaitPayment});
  ASSERT_TRUE(client_->Publish("paid", "order-d", {{"amount", 1}}, /*ttl_ms=*/60'000).buffered());
  EXPECT_EQ(client_->Advance("PT2M").timers_fired(), 1);  // the buffer's expiry
  int64_t id = Start("await-payment", {{"key", "order-d"}});
  v1::Instance inst = client_->Instance(id);
  EXPECT_EQ(inst.state(), "active");
  EXPECT_EQ(Nodes(inst), std::vector<std::string>{"wait"});
  EXPECT_FALSE(json::parse(inst.variables()).contains("amount"));
}

TEST_F(NodesTest, MessageTimeoutTakesTheTimeoutPath) {
  MustDeploy({kAwaitPayment});
  int64_t id = Start("await-payment", {{"key", "order-e"}});
  EXPECT_EQ(client_->Advance("PT23H").timers_fired(), 0);
  EXPECT_EQ(client_->Instance(id).state(), "active");
  EXPECT_EQ(client_->Advance("PT1H").timers_fired(), 1);
  v1::Instance inst = client_->Instance(id);
  EXPECT_EQ(inst.state(), "completed");
  EXPECT_EQ(inst.end_status(), "lapsed");
  EXPECT_EQ(Count(client_->History(id), "message.timed-out", "wait"), 1);
  // The subscription went with the time-out.
  EXPECT_EQ(client_->Publish("paid", "order-e").delivered_to(), 0);
  EXPECT_EQ(client_->Instance(id).end_status(), "lapsed");
}

// ---- call ----------------------------------------------------------------------------------

TEST_F(NodesTest, CallStartsChildWaitsAndMapsOutVariables) {
  MustDeploy({kChildWork, kParentWork});
  int64_t parent = Start("parent-work", {{"amount", 21}}, "case-1");
  v1::Instance p = client_->Instance(parent);
  EXPECT_EQ(p.state(), "active");
  EXPECT_EQ(Nodes(p), std::vector<std::string>{"sub"});

  auto children = client_->Instances("child-work");
  ASSERT_EQ(children.size(), 1u);
  const v1::Instance& child = children[0];
  EXPECT_EQ(child.parent_id(), parent);
  EXPECT_EQ(child.business_key(), "case-1");
  EXPECT_EQ(child.state(), "active");
  // `with` passes a typed value; the child's own `set` ran.
  EXPECT_EQ(json::parse(child.variables()), (json{{"n", 21}, {"doubled", 42}}));

  EXPECT_EQ(client_->Publish("child-go", "21").delivered_to(), child.id());
  EXPECT_EQ(client_->Instance(child.id()).state(), "completed");
  p = client_->Instance(parent);
  EXPECT_EQ(p.state(), "completed");
  EXPECT_EQ(p.end_status(), "parent-done");
  json vars = json::parse(p.variables());
  EXPECT_EQ(vars["result"], 42);
  EXPECT_FALSE(vars.contains("doubled"));  // only what `out` maps comes back
}

TEST_F(NodesTest, CancelledChildRaisesCallFailedOnTheParent) {
  MustDeploy({kChildWork, kParentWork});
  int64_t parent = Start("parent-work", {{"amount", 3}});
  auto children = client_->Instances("child-work");
  ASSERT_EQ(children.size(), 1u);
  ASSERT_TRUE(client_->Cancel(children[0].id(), "no longer needed").ok());
  EXPECT_EQ(client_->Instance(children[0].id()).state(), "cancelled");

  v1::Instance p = client_->Instance(parent);
  EXPECT_EQ(p.state(), "active");
  auto incidents = client_->Incidents(parent);
  ASSERT_EQ(incidents.size(), 1u);
  EXPECT_EQ(incidents[0].kind(), "call-failed");
  EXPECT_EQ(incidents[0].node_id(), "sub");
}

TEST_F(NodesTest, ResolvingCallFailedStartsTheChildAgain) {
  MustDeploy({kChildWork, kParentWork});
  int64_t parent = Start("parent-work", {{"amount", 5}});
  auto first = client_->Instances("child-work");
  ASSERT_EQ(first.size(), 1u);
  ASSERT_TRUE(client_->Cancel(first[0].id(), "no longer needed").ok());
  auto incidents = client_->Incidents(parent);
  ASSERT_EQ(incidents.size(), 1u);
  ASSERT_EQ(incidents[0].kind(), "call-failed");

  ASSERT_TRUE(client_->Resolve(incidents[0].id(), json::object()).ok());
  auto children = client_->Instances("child-work");
  ASSERT_EQ(children.size(), 2u);
  const v1::Instance& second = children[1];
  EXPECT_NE(second.id(), first[0].id());
  EXPECT_EQ(second.parent_id(), parent);
  EXPECT_EQ(second.state(), "active");
  EXPECT_EQ(client_->Instance(parent).state(), "active");
  EXPECT_EQ(client_->Publish("child-go", "5").delivered_to(), second.id());
  v1::Instance p = client_->Instance(parent);
  EXPECT_EQ(p.state(), "completed");
  EXPECT_EQ(json::parse(p.variables())["result"], 10);
}

// ---- foreach -------------------------------------------------------------------------------

TEST_F(NodesTest, ForeachRunsAChildPerItemAndContinuesAfterAll) {
  MustDeploy({kReviewOne, kReviewEach});
  int64_t parent = Start("review-each", {{"people", {"ann", "bo", "cy"}}, {"round", 2}});
  auto children = client_->Instances("review-one");
  ASSERT_EQ(children.size(), 3u);
  std::vector<std::string> people;
  for (const auto& c : children) {
    EXPECT_EQ(c.parent_id(), parent);
    EXPECT_EQ(c.state(), "active");
    json v = json::parse(c.variables());
    EXPECT_EQ(v["round"], 2);
    people.push_back(v["person"]);
  }
  std::sort(people.begin(), people.end());
  EXPECT_EQ(people, (std::vector<std::string>{"ann", "bo", "cy"}));

  EXPECT_NE(client_->Publish("reviewed", "bo-2").delivered_to(), 0);
  EXPECT_NE(client_->Publish("reviewed", "ann-2").delivered_to(), 0);
  EXPECT_EQ(client_->Instance(parent).state(), "active");
  EXPECT_EQ(Nodes(client_->Instance(parent)), std::vector<std::string>{"each"});
  EXPECT_NE(client_->Publish("reviewed", "cy-2").delivered_to(), 0);
  v1::Instance p = client_->Instance(parent);
  EXPECT_EQ(p.state(), "completed");
  EXPECT_EQ(p.end_status(), "all-reviewed");
  EXPECT_EQ(Count(client_->History(parent), "child.ended", "each"), 3);
}

// Resolving a foreach whose child failed runs that item again; the others are kept.
TEST_F(NodesTest, ResolvingAForeachRunsOnlyTheFailedItemAgain) {
  MustDeploy({kReviewOne, kReviewEach});
  int64_t parent = Start("review-each", {{"people", {"ann", "bo", "cy"}}, {"round", 1}});
  auto first = client_->Instances("review-one");
  ASSERT_EQ(first.size(), 3u);
  std::map<std::string, int64_t> child;
  for (const auto& c : first) child[json::parse(c.variables())["person"]] = c.id();
  EXPECT_EQ(client_->Publish("reviewed", "ann-1").delivered_to(), child["ann"]);
  ASSERT_TRUE(client_->Cancel(child["bo"], "started by mistake").ok());
  auto incidents = client_->Incidents(parent);
  ASSERT_EQ(incidents.size(), 1u);

  ASSERT_TRUE(client_->Resolve(incidents[0].id(), json::object()).ok());
  auto all = client_->Instances("review-one");
  ASSERT_EQ(all.size(), 4u);  // one new child, for bo
  const v1::Instance& again = all.back();
  EXPECT_EQ(json::parse(again.variables())["person"], "bo");
  EXPECT_EQ(client_->Instance(child["cy"]).state(), "active");  // kept, not started twice
  EXPECT_EQ(client_->Publish("reviewed", "bo-1").delivered_to(), again.id());
  EXPECT_EQ(client_->Instance(parent).state(), "active");  // cy still runs
  EXPECT_EQ(client_->Publish("reviewed", "cy-1").delivered_to(), child["cy"]);
  EXPECT_EQ(client_->Instance(parent).end_status(), "all-reviewed");
}

// Resolved with a different list, a foreach starts over: the earlier children still running
// are cancelled, and one of them ending does not count towards the new attempt.
TEST_F(NodesTest, ForeachCountsOnlyTheChildrenOfTheCurrentAttempt) {
  MustDeploy({kReviewOne, kReviewEach});
  int64_t parent = Start("review-each", {{"people", {"ann", "bo"}}, {"round", 1}});
  auto first = client_->Instances("review-one");
  ASSERT_EQ(first.size(), 2u);
  const bool ann_first = json::parse(first[0].variables())["person"] == "ann";
  const int64_t ann1 = first[ann_first ? 0 : 1].id();
  const int64_t bo1 = first[ann_first ? 1 : 0].id();
  ASSERT_TRUE(client_->Cancel(ann1, "no longer needed").ok());
  auto incidents = client_->Incidents(parent);
  ASSERT_EQ(incidents.size(), 1u);
  EXPECT_EQ(incidents[0].kind(), "call-failed");

  // Entered again, in round 2 with a third person: a new child per item.
  ASSERT_TRUE(
      client_->Resolve(incidents[0].id(), {{"round", 2}, {"people", {"ann", "bo", "cy"}}}).ok());
  auto all = client_->Instances("review-one");
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(client_->Instance(bo1).state(), "cancelled");
  std::vector<int64_t> current;
  for (const auto& c : all) {
    if (c.id() != first[0].id() && c.id() != first[1].id()) current.push_back(c.id());
  }
  ASSERT_EQ(current.size(), 3u);

  // The new ann and cy children end; the new bo child still waits, so the parent must too.
  EXPECT_EQ(client_->Publish("reviewed", "bo-1").delivered_to(), 0);  // bo1 is gone
  EXPECT_NE(client_->Publish("reviewed", "ann-2").delivered_to(), 0);
  EXPECT_NE(client_->Publish("reviewed", "cy-2").delivered_to(), 0);
  EXPECT_EQ(client_->Instance(parent).state(), "active");
  EXPECT_EQ(Nodes(client_->Instance(parent)), std::vector<std::string>{"each"});

  EXPECT_NE(client_->Publish("reviewed", "bo-2").delivered_to(), 0);
  for (int64_t id : current) EXPECT_EQ(client_->Instance(id).state(), "completed");
  v1::Instance p = client_->Instance(parent);
  EXPECT_EQ(p.state(), "completed");
  EXPECT_EQ(p.end_status(), "all-reviewed");
}

TEST_F(NodesTest, ForeachOverAnEmptyListContinuesAtOnce) {
  MustDeploy({kReviewOne, kReviewEach});
  int64_t parent = Start("review-each", {{"people", json::array()}, {"round", 1}});
  v1::Instance p = client_->Instance(parent);
  EXPECT_EQ(p.state(), "completed");
  EXPECT_EQ(p.end_status(), "all-reviewed");
  EXPECT_TRUE(client_->Instances("review-one").empty());
}

// ---- set -----------------------------------------------------------------------------------

TEST_F(NodesTest, SetExpressionsApplyWhenTheNodeCompletes) {
  MustDeploy({kCompute});
  int64_t id = Start("compute", {{"price", 40}, {"qty", 3}, {"code", "A7"}});
  json vars = Vars(id);
  EXPECT_FALSE(vars.contains("total"));  // the timer has not completed yet
  client_->Advance("PT1H");
  v1::Instance inst = client_->Instance(id);
  EXPECT_EQ(inst.state(), "completed");
  vars = json::parse(inst.variables());
  EXPECT_EQ(vars["total"], 120);
  EXPECT_EQ(vars["label"], "order-A7");
  EXPECT_EQ(vars["big"], true);
  EXPECT_EQ(vars["doubled_total"], 240);  // the end node's own `set`
}

// ---- loop guard ----------------------------------------------------------------------------

TEST_F(NodesTest, LoopWithoutWaitStopsWithLoopLimitIncident) {
  MustDeploy({kSpin});
  int64_t id = Start("spin", {{"n", 0}});  // returns: the loop is cut off, not spun forever
  v1::Instance inst = client_->Instance(id);
  EXPECT_EQ(inst.state(), "active");
  EXPECT_EQ(Nodes(inst), std::vector<std::string>{"loop"});
  // config/shequd.yaml allows 1000 steps without waiting: the loop ran exactly that often.
  EXPECT_EQ(json::parse(inst.variables())["n"], 1000);
  auto incidents = client_->Incidents(id);
  ASSERT_EQ(incidents.size(), 1u);
  EXPECT_EQ(incidents[0].kind(), "loop-limit");
  EXPECT_EQ(incidents[0].node_id(), "loop");
}

// ---- cancel --------------------------------------------------------------------------------

TEST_F(NodesTest, CancelWithdrawsTasksTimersJobsAndChildren) {
  MustDeploy({kChildWork, kManyWaits});
  int64_t id = Start("many-waits", {{"n", 4}});
  EXPECT_EQ(Nodes(client_->Instance(id)),
            (std::vector<std::string>{"ask", "delegate", "sleep", "work"}));
  auto children = client_->Instances("child-work");
  ASSERT_EQ(children.size(), 1u);
  ASSERT_EQ(client_->Tasks(id).size(), 1u);
  v1::StatsResponse before = client_->Stats();
  EXPECT_EQ(before.instances_active(), 2);
  EXPECT_EQ(before.tasks_open(), 1);
  EXPECT_EQ(before.jobs_pending(), 1);
  // The sleep timer and the task's reminder; the job has no lock timer until activated.
  EXPECT_EQ(before.timers_pending(), 2);

  ASSERT_TRUE(client_->Cancel(id, "no longer needed").ok());
  v1::Instance inst = client_->Instance(id);
  EXPECT_EQ(inst.state(), "cancelled");
  EXPECT_TRUE(inst.current_nodes().empty());
  EXPECT_EQ(client_->Instance(children[0].id()).state(), "cancelled");
  EXPECT_TRUE(client_->Tasks(id).empty());
  auto cancelled = client_->Tasks(id, "cancelled");
  ASSERT_EQ(cancelled.size(), 1u);
  EXPECT_EQ(cancelled[0].node_id(), "ask");
  v1::StatsResponse after = client_->Stats();
  EXPECT_EQ(after.instances_active(), 0);
  EXPECT_EQ(after.tasks_open(), 0);
  EXPECT_EQ(after.jobs_pending(), 0);
  EXPECT_EQ(after.timers_pending(), 0);
  EXPECT_EQ(client_->Advance("P3D").timers_fired(), 0);
  EXPECT_EQ(client_->Instance(id).state(), "cancelled");
  EXPECT_EQ(client_->Publish("child-go", "4").delivered_to(), 0);  // the child no longer waits
  EXPECT_EQ(Count(client_->History(id), "instance.cancelled"), 1);

  EXPECT_EQ(client_->Cancel(id, "no longer needed").error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(client_->Cancel(987654, "no longer needed").error_code(), grpc::StatusCode::NOT_FOUND);
}

// ---- Watch and History ---------------------------------------------------------------------

std::vector<v1::Event> ReadEvents(v1::Instances::Stub& stub, int64_t instance_id,
                                  int64_t after_seq, const std::string& until_type) {
  grpc::ClientContext ctx;
  Identify(&ctx, "operator", "district-admin");
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  v1::WatchRequest req;
  req.set_instance_id(instance_id);
  req.set_after_seq(after_seq);
  auto reader = stub.Watch(&ctx, req);
  std::vector<v1::Event> out;
  v1::Event e;
  while (reader->Read(&e)) {
    out.push_back(e);
    if (e.type() == until_type) break;
  }
  ctx.TryCancel();
  reader->Finish();
  return out;
}

TEST_F(NodesTest, WatchStreamsEventsLiveAndReplaysAfterSeq) {
  MustDeploy({kAwaitPayment});
  int64_t id = Start("await-payment", {{"key", "order-w"}});
  // Deliver the message from another thread once the watcher is reading: the watch sees the
  // stored history first, then the live events up to completion.
  std::vector<v1::Event> live;
  {
    grpc::ClientContext ctx;
    client_->Prepare(&ctx);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    v1::WatchRequest req;
    req.set_instance_id(id);
    auto reader = client_->stubs.instances->Watch(&ctx, req);
    v1::Event e;
    // Stored history: up to the message wait.
    while (reader->Read(&e)) {
      live.push_back(e);
      if (e.type() == "message.waiting") break;
    }
    ASSERT_FALSE(live.empty());
    ASSERT_EQ(live.back().type(), "message.waiting");
    const size_t stored = live.size();
    EXPECT_EQ(client_->Publish("paid", "order-w").delivered_to(), id);
    while (reader->Read(&e)) {
      live.push_back(e);
      if (e.type() == "instance.completed") break;
    }
    ctx.TryCancel();
    reader->Finish();
    ASSERT_GT(live.size(), stored);
  }
  ASSERT_EQ(live.front().type(), "instance.started");
  ASSERT_EQ(live.back().type(), "instance.completed");
  for (size_t i = 1; i < live.size(); ++i) EXPECT_LT(live[i - 1].seq(), live[i].seq());
  for (const auto& e : live) EXPECT_EQ(e.instance_id(), id);
  EXPECT_EQ(Count(live, "message.received", "wait"), 1);

  // History lists the same events, in the same order.
  auto history = client_->History(id);
  ASSERT_EQ(history.size(), live.size());
  for (size_t i = 0; i < history.size(); ++i) {
    EXPECT_EQ(history[i].seq(), live[i].seq());
    EXPECT_EQ(history[i].type(), live[i].type());
    EXPECT_EQ(history[i].node_id(), live[i].node_id());
  }
  std::vector<std::string> types;
  for (const auto& e : history) types.push_back(e.type());
  EXPECT_EQ(types, (std::vector<std::string>{"instance.started", "node.entered",
                                             "message.waiting", "message.received",
                                             "node.completed", "node.entered",
                                             "instance.completed"}));

  // Replay after a given seq: only what came later.
  auto replay = ReadEvents(*client_->stubs.instances, id, history[2].seq(), "instance.completed");
  ASSERT_EQ(replay.size(), history.size() - 3);
  for (size_t i = 0; i < replay.size(); ++i) EXPECT_EQ(replay[i].seq(), history[i + 3].seq());
  // History pages by after_seq too.
  auto tail = client_->History(id, history[4].seq());
  ASSERT_EQ(tail.size(), history.size() - 5);
  EXPECT_EQ(tail[0].seq(), history[5].seq());
}

// ---- Deploy --------------------------------------------------------------------------------

constexpr char kVersioned1[] = R"(
id: versioned
start: wait
nodes:
  wait: {type: message, name: go, correlate: "${key}", next: done}
  done: {type: end, status: v1}
)";

constexpr char kVersioned2[] = R"(
id: versioned
start: wait
nodes:
  wait: {type: message, name: go, correlate: "${key}", next: done}
  done: {type: end, status: v2}
)";

TEST_F(NodesTest, DeployVersionsOnlyChangedText) {
  v1::DeployResponse r;
  ASSERT_TRUE(client_->TryDeploy(kVersioned1, &r).ok());
  EXPECT_EQ(r.id(), "versioned");
  EXPECT_EQ(r.version(), 1);
  EXPECT_TRUE(r.changed());
  ASSERT_TRUE(client_->TryDeploy(kVersioned1, &r).ok());
  EXPECT_EQ(r.version(), 1);
  EXPECT_FALSE(r.changed());
  ASSERT_TRUE(client_->TryDeploy(kVersioned2, &r).ok());
  EXPECT_EQ(r.version(), 2);
  EXPECT_TRUE(r.changed());
  EXPECT_EQ(client_->Definition("versioned").version(), 2);
  EXPECT_EQ(client_->Definition("versioned").yaml(), kVersioned2);
  EXPECT_EQ(client_->Definition("versioned", 1).yaml(), kVersioned1);
}

TEST_F(NodesTest, RunningInstancesKeepTheirVersion) {
  MustDeploy({kVersioned1});
  int64_t old_one = Start("versioned", {{"key", "old"}});
  MustDeploy({kVersioned2});
  v1::StartResponse started;
  ASSERT_TRUE(client_->TryStart(StartOf("versioned", {{"key", "new"}}), &started).ok());
  EXPECT_EQ(started.definition_version(), 2);
  EXPECT_EQ(client_->Instance(old_one).definition_version(), 1);

  EXPECT_EQ(client_->Publish("go", "old").delivered_to(), old_one);
  EXPECT_EQ(client_->Publish("go", "new").delivered_to(), started.instance_id());
  EXPECT_EQ(client_->Instance(old_one).end_status(), "v1");
  EXPECT_EQ(client_->Instance(started.instance_id()).end_status(), "v2");
}

struct Malformed {
  const char* what;
  const char* yaml;
  std::vector<std::string> says;  // parts the error message must contain
};

TEST_F(NodesTest, MalformedDefinitionsAreRefusedAndThePreviousVersionStaysLive) {
  MustDeploy({kVersioned1});
  const std::string digest = client_->Definition("versioned").digest();
  const std::vector<Malformed> cases = {
      {"YAML syntax", "id: versioned\nstart: wait\nnodes: {wait: [unclosed\n", {"YAML", "line"}},
      {"unknown node type", R"(
id: versioned
start: wait
nodes:
  wait: {type: teleport, next: done}
  done: {type: end}
)",
       {"node 'wait'", "field 'type'", "teleport"}},
      {"dangling next", R"(
id: versioned
start: wait
nodes:
  wait: {type: timer, duration: P1D, next: nowhere}
  done: {type: end}
)",
       {"node 'wait'", "field 'next'", "nowhere"}},
      {"unreachable node", R"(
id: versioned
start: wait
nodes:
  wait: {type: timer, duration: P1D, next: done}
  done: {type: end}
  orphan: {type: end}
)",
       {"node 'orphan'", "unreachable"}},
      {"bad expression", R"(
id: versioned
start: route
nodes:
  route:
    type: exclusive
    branches:
      - {when: "x >", next: done}
      - {next: done}
  done: {type: end}
)",
       {"node 'route'", "field 'branches[0].when'"}},
      {"missing join", R"(
id: versioned
start: fork
nodes:
  fork: {type: parallel, branches: [a, b]}
  a: {type: timer, duration: P1D, next: done}
  b: {type: timer, duration: P2D, next: done}
  done: {type: end}
)",
       {"node 'fork'", "field 'join'", "missing"}},
      {"branch not reaching its join", R"(
id: versioned
start: fork
nodes:
  fork: {type: parallel, branches: [a, b], join: joined}
  a: {type: timer, duration: P1D, next: joined}
  b: {type: timer, duration: P2D, next: elsewhere}
  joined: {type: end}
  elsewhere: {type: end}
)",
       {"node 'fork'", "field 'join'", "'b'"}},
      {"unknown field", R"(
id: versioned
start: wait
nodes:
  wait: {type: timer, durration: P1D, next: done}
  done: {type: end}
)",
       {"node 'wait'", "field 'durration'"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    grpc::Status s = client_->TryDeploy(c.yaml);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
    for (const auto& part : c.says) {
      EXPECT_NE(s.error_message().find(part), std::string::npos)
          << "'" << s.error_message() << "' does not say " << part;
    }
  }
  // Nothing was half-deployed: version 1 is still the latest and still runs.
  v1::Definition def = client_->Definition("versioned");
  EXPECT_EQ(def.version(), 1);
  EXPECT_EQ(def.digest(), digest);
  int64_t id = Start("versioned", {{"key", "still"}});
  EXPECT_EQ(client_->Publish("go", "still").delivered_to(), id);
  EXPECT_EQ(client_->Instance(id).end_status(), "v1");
}

}  // namespace
}  // namespace shequ::testing
