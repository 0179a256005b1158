// User tasks through gRPC on the real daemon: claim, complete with an outcome, delegate (委派),
// transfer (转办), return (退回), countersign (会签), due times in working days with reminders and
// escalation across weekends and 2026 public holidays, notifications (List, Subscribe, Ack), and
// Tasks/List filters and paging. Timers run on the fake clock; nothing sleeps.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <set>

#include "nlohmann/json.hpp"
#include "tests/integration/client.h"

namespace shequ::testing {
namespace {

using nlohmann::json;
using grpc::StatusCode;

// 2026-04-02, the Thursday before Qingming (04-04 Sat .. 04-06 Mon off), 09:00 Beijing.
constexpr int64_t kBeforeQingming = kMonday0900 + 31 * kDay;
// 2026-04-30, the Thursday before Labour Day (05-01 Fri .. 05-05 Tue off; Sat 05-09 is a
// make-up working day), 09:00 Beijing.
constexpr int64_t kBeforeLabourDay = kMonday0900 + 59 * kDay;
constexpr int64_t kMinute = 60'000;

// One user step for a role within a unit; its outcome routes an exclusive.
constexpr char kApproveYaml[] = R"(
id: t-approve
name: approve in a unit
start: approve
nodes:
  approve:
    type: user
    name: 审批
    role: clerk
    unit: "${unit}"
    outcomes: [approved, rejected]
    next: route
  route:
    type: exclusive
    branches:
      - {when: "outcome == 'approved'", next: accepted}
      - {next: refused}
  accepted: {type: end, status: approved}
  refused: {type: end, status: rejected}
)";

// One user step for a named person; the outcome routes an exclusive.
constexpr char kPersonalYaml[] = R"(
id: t-personal
start: decide
nodes:
  decide:
    type: user
    assignees: ["${owner}"]
    outcomes: [approved, rejected]
    next: route
  route:
    type: exclusive
    branches:
      - {when: "outcome == 'approved'", next: accepted}
      - {next: refused}
  accepted: {type: end, status: approved}
  refused: {type: end, status: rejected}
)";

// Several people, no completion rule: candidates, any one of whom may claim.
constexpr char kCandidatesYaml[] = R"(
id: t-candidates
start: pick
nodes:
  pick: {type: user, assignees: ["${people}"], next: done}
  done: {type: end}
)";

// draft -> review; review may return to draft.
constexpr char kTwoStepYaml[] = R"(
id: t-two-step
start: draft
nodes:
  draft: {type: user, assignees: ["${author}"], next: review}
  review: {type: user, role: reviewer, outcomes: [pass, fail], next: done}
  done: {type: end}
)";

std::string CountersignYaml(const std::string& id, const std::string& completion) {
  return "id: " + id + R"(
start: sign
nodes:
  sign:
    type: user
    name: 会签
    assignees: ["${signers}"]
    completion: ")" + completion + R"("
    outcomes: [agree, disagree]
    next: after
  after: {type: user, role: clerk, next: done}
  done: {type: end}
)";
}

// A role task due in working days, reminded the working day before and when due, escalated one
// working day after.
std::string DueYaml(const std::string& id, const std::string& due) {
  return "id: " + id + R"(
start: approve
nodes:
  approve:
    type: user
    role: clerk
    unit: "${unit}"
    due: )" + due + R"(
    remind: [-1wd, 0]
    escalate: {after: 1wd, role: district-admin}
    outcomes: [approved, rejected]
    next: done
  done: {type: end}
)";
}

// Starts the test workflows; other calls name their caller.
const Caller kStarter{"starter", "leading-group"};  // acts for the whole district
constexpr char kDelegateComment[] = "please look at this";
constexpr char kReturnComment[] = "please redo";

class TasksTest : public DaemonTest {
 protected:
  TasksTest() : DaemonTest("tasks") {}

  static std::vector<std::string> Kinds(const std::vector<v1::Notification>& ns) {
    std::vector<std::string> kinds;
    for (const auto& n : ns) kinds.push_back(n.kind());
    return kinds;
  }
};

// ---- claim ---------------------------------------------------------------------------------

TEST_F(TasksTest, ClaimNeedsTheRoleWithinTheUnit) {
  client_->Deploy(kApproveYaml);
  int64_t id = client_->Start("t-approve", {{"unit", "community-7"}}, kStarter);
  v1::Task task = client_->OnlyTask(id);
  EXPECT_EQ(task.state(), "open");
  EXPECT_EQ(task.role(), "clerk");
  EXPECT_EQ(task.unit(), "community-7");
  EXPECT_EQ(task.assignee(), "");
  EXPECT_EQ(task.node_id(), "approve");
  EXPECT_EQ(task.name(), "审批");
  EXPECT_EQ(task.definition_id(), "t-approve");
  EXPECT_EQ(task.created_at_ms(), kMonday0900);
  ASSERT_EQ(task.outcomes_size(), 2);

  // No name (nobody is proven: UNAUTHENTICATED), the wrong role, the right role in the wrong
  // unit, or no unit at all.
  EXPECT_EQ(client_->Claim(task.id(), {"", "clerk", "community-7"}).error_code(),
            StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(client_->Claim(task.id(), {"li", "auditor", "community-7"}).error_code(),
            StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(client_->Claim(task.id(), {"li", "clerk", "community-8"}).error_code(),
            StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(client_->Claim(task.id(), {"li", "clerk"}).error_code(), StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(client_->Task(task.id()).state(), "open");  // none of that changed anything

  v1::Task claimed;
  grpc::Status s =
      client_->Claim(task.id(), {"li", "street-office, clerk", "community-7"}, &claimed);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(claimed.id(), task.id());
  EXPECT_EQ(claimed.state(), "claimed");
  EXPECT_EQ(claimed.assignee(), "li");

  // Claimed by someone else: a wrong state, even for a rightful role holder.
  grpc::Status taken = client_->Claim(task.id(), {"wu", "clerk", "community-7"});
  EXPECT_EQ(taken.error_code(), StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(taken.error_message().find("li"), std::string::npos) << taken.error_message();
  // Claiming one's own task again is harmless.
  EXPECT_TRUE(client_->Claim(task.id(), {"li", "clerk", "community-7"}).ok());
  v1::Task stored = client_->Task(task.id());
  EXPECT_EQ(stored.state(), "claimed");
  EXPECT_EQ(stored.assignee(), "li");

  EXPECT_EQ(client_->Claim(999999, {"li", "clerk", "community-7"}).error_code(),
            StatusCode::NOT_FOUND);
}

TEST_F(TasksTest, CandidatesMayClaimOthersMayNot) {
  client_->Deploy(kCandidatesYaml);
  int64_t id = client_->Start("t-candidates", {{"people", {"li", "wu"}}}, kStarter);
  v1::Task task = client_->OnlyTask(id);
  EXPECT_EQ(task.state(), "open");
  EXPECT_EQ(std::vector<std::string>(task.candidates().begin(), task.candidates().end()),
            (std::vector<std::string>{"li", "wu"}));
  EXPECT_EQ(client_->Claim(task.id(), {"zhao", "clerk"}).error_code(),
            StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(client_->Claim(task.id(), {"wu"}).ok());
  EXPECT_EQ(client_->Claim(task.id(), {"li"}).error_code(), StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(client_->Complete(task.id(), {"li"}, "").error_code(), StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(client_->Complete(task.id(), {"wu"}, "").ok());
  EXPECT_EQ(client_->Instance(id).state(), "completed");
}

// ---- complete ------------------------------------------------------------------------------

TEST_F(TasksTest, CompleteWithOutcomeRoutesTheExclusive) {
  client_->Deploy(kApproveYaml);
  int64_t approved_id = client_->Start("t-approve", {{"unit", "u1"}}, kStarter);
  int64_t rejected_id = client_->Start("t-approve", {{"unit", "u1"}}, kStarter);
  v1::Task a = client_->OnlyTask(approved_id);
  v1::Task r = client_->OnlyTask(rejected_id);
  ASSERT_TRUE(client_->Claim(a.id(), {"li", "clerk", "u1"}).ok());

  // Someone else, even with the role, may not complete li's task.
  EXPECT_EQ(client_->Complete(a.id(), {"wu", "clerk", "u1"}, "approved").error_code(),
            StatusCode::PERMISSION_DENIED);
  // An outcome outside the list names the field; so does a missing one.
  grpc::Status bad = client_->Complete(a.id(), {"li", "clerk", "u1"}, "maybe");
  EXPECT_EQ(bad.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(bad.error_message().find("outcome"), std::string::npos) << bad.error_message();
  EXPECT_NE(bad.error_message().find("maybe"), std::string::npos) << bad.error_message();
  EXPECT_EQ(client_->Complete(a.id(), {"li", "clerk", "u1"}, "").error_code(),
            StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(client_->Instance(approved_id).state(), "active");

  v1::Task done;
  grpc::Status s = client_->Complete(a.id(), {"li", "clerk", "u1"}, "approved", &done,
                                     json{{"note", "fine"}}.dump());
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(done.state(), "completed");
  EXPECT_EQ(done.outcome(), "approved");
  EXPECT_EQ(done.completed_by(), "li");
  EXPECT_EQ(done.completed_at_ms(), kMonday0900);
  v1::Instance inst = client_->Instance(approved_id);
  EXPECT_EQ(inst.state(), "completed");
  EXPECT_EQ(inst.end_status(), "approved");
  json vars = json::parse(inst.variables());
  EXPECT_EQ(vars["outcome"], "approved");
  EXPECT_EQ(vars["note"], "fine");

  // Twice is a wrong state, not a second effect.
  grpc::Status again = client_->Complete(a.id(), {"li", "clerk", "u1"}, "rejected");
  EXPECT_EQ(again.error_code(), StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(client_->Instance(approved_id).end_status(), "approved");

  // Completing an open task claims it for the caller; `rejected` takes the default branch.
  EXPECT_EQ(client_->Complete(r.id(), {"wu", "clerk", "u2"}, "rejected").error_code(),
            StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(client_->Complete(r.id(), {"wu", "clerk", "u1"}, "rejected", &done).ok());
  EXPECT_EQ(done.assignee(), "wu");
  EXPECT_EQ(client_->Instance(rejected_id).end_status(), "rejected");
}

// ---- delegate (委派) -------------------------------------------------------------------------

TEST_F(TasksTest, DelegateComesBackToTheOwner) {
  client_->Deploy(kPersonalYaml);
  int64_t id = client_->Start("t-personal", {{"owner", "li"}}, kStarter);
  v1::Task task = client_->OnlyTask(id);
  EXPECT_EQ(task.state(), "claimed");  // assignees are claimed directly
  EXPECT_EQ(task.assignee(), "li");

  EXPECT_EQ(client_->Delegate(task.id(), {"wu"}, "zhang", kDelegateComment).error_code(),
            StatusCode::PERMISSION_DENIED);
  grpc::Status empty = client_->Delegate(task.id(), {"li"}, "", kDelegateComment);
  EXPECT_EQ(empty.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(empty.error_message().find("to"), std::string::npos) << empty.error_message();

  v1::Task delegated;
  ASSERT_TRUE(client_->Delegate(task.id(), {"li"}, "zhang", kDelegateComment, &delegated).ok());
  EXPECT_EQ(delegated.state(), "delegated");
  EXPECT_EQ(delegated.assignee(), "zhang");
  EXPECT_EQ(delegated.owner(), "li");
  auto to_zhang = client_->Notifications("zhang");
  ASSERT_EQ(to_zhang.size(), 1u);
  EXPECT_EQ(to_zhang[0].kind(), "task.delegated");
  EXPECT_EQ(to_zhang[0].task_id(), task.id());

  // While it is delegated, the owner does not complete it.
  EXPECT_EQ(client_->Complete(task.id(), {"li"}, "approved").error_code(),
            StatusCode::PERMISSION_DENIED);

  // The delegate answers: the task goes back to li, claimed, with zhang's outcome on it.
  v1::Task back;
  grpc::Status s = client_->Complete(task.id(), {"zhang"}, "rejected", &back);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(back.state(), "claimed");
  EXPECT_EQ(back.assignee(), "li");
  EXPECT_EQ(back.owner(), "");
  EXPECT_EQ(back.outcome(), "rejected");
  EXPECT_EQ(back.completed_by(), "zhang");
  v1::Task stored = client_->Task(task.id());
  EXPECT_EQ(stored.state(), "claimed");
  EXPECT_EQ(stored.assignee(), "li");
  EXPECT_EQ(stored.outcome(), "rejected");
  v1::Instance inst = client_->Instance(id);
  EXPECT_EQ(inst.state(), "active");  // the node is not done yet
  ASSERT_EQ(inst.current_nodes_size(), 1);
  EXPECT_EQ(inst.current_nodes(0), "decide");
  EXPECT_FALSE(json::parse(inst.variables()).contains("outcome"));
  auto to_li = client_->Notifications("li");
  ASSERT_EQ(to_li.size(), 2u);
  EXPECT_EQ(to_li[0].kind(), "task.created");
  EXPECT_EQ(to_li[1].kind(), "task.resolved");
  EXPECT_EQ(to_li[1].task_id(), task.id());
  EXPECT_NE(to_li[1].body().find("rejected"), std::string::npos) << to_li[1].body();

  // zhang is done with it; li now decides for real, and li's outcome is the one that routes.
  EXPECT_EQ(client_->Complete(task.id(), {"zhang"}, "rejected").error_code(),
            StatusCode::PERMISSION_DENIED);
  v1::Task done;
  ASSERT_TRUE(client_->Complete(task.id(), {"li"}, "approved", &done).ok());
  EXPECT_EQ(done.state(), "completed");
  EXPECT_EQ(done.completed_by(), "li");
  EXPECT_EQ(done.outcome(), "approved");
  EXPECT_EQ(client_->Instance(id).end_status(), "approved");
  EXPECT_EQ(client_->Complete(task.id(), {"li"}, "approved").error_code(),
            StatusCode::FAILED_PRECONDITION);
}

// ---- transfer (转办) -------------------------------------------------------------------------

TEST_F(TasksTest, TransferMovesTheTaskForGood) {
  client_->Deploy(kPersonalYaml);
  int64_t id = client_->Start("t-personal", {{"owner", "li"}}, kStarter);
  v1::Task task = client_->OnlyTask(id);

  EXPECT_EQ(client_->Transfer(task.id(), {"wu"}, "zhang").error_code(),
            StatusCode::PERMISSION_DENIED);
  grpc::Status empty = client_->Transfer(task.id(), {"li"}, "");
  EXPECT_EQ(empty.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(empty.error_message().find("to"), std::string::npos) << empty.error_message();

  v1::Task moved;
  ASSERT_TRUE(client_->Transfer(task.id(), {"li"}, "zhang", "", &moved).ok());
  EXPECT_EQ(moved.state(), "claimed");
  EXPECT_EQ(moved.assignee(), "zhang");
  EXPECT_EQ(moved.owner(), "");
  auto to_zhang = client_->Notifications("zhang");
  ASSERT_EQ(to_zhang.size(), 1u);
  EXPECT_EQ(to_zhang[0].kind(), "task.transferred");

  // The old assignee can no longer act on it.
  EXPECT_EQ(client_->Complete(task.id(), {"li"}, "approved").error_code(),
            StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(client_->Transfer(task.id(), {"li"}, "wu").error_code(), StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(client_->Delegate(task.id(), {"li"}, "wu", kDelegateComment).error_code(),
            StatusCode::PERMISSION_DENIED);

  v1::Task done;
  ASSERT_TRUE(client_->Complete(task.id(), {"zhang"}, "rejected", &done).ok());
  EXPECT_EQ(done.completed_by(), "zhang");
  EXPECT_EQ(client_->Instance(id).end_status(), "rejected");
}

// ---- return (退回) ---------------------------------------------------------------------------

TEST_F(TasksTest, ReturnGoesBackToAnEarlierStepOnly) {
  client_->Deploy(kTwoStepYaml);
  int64_t id = client_->Start("t-two-step", {{"author", "li"}}, kStarter);
  v1::Task draft = client_->OnlyTask(id);
  EXPECT_EQ(draft.node_id(), "draft");

  // From the first step there is nothing earlier: not the step itself, not a later one, not an
  // unknown one.
  for (const char* to : {"draft", "review", "nowhere"}) {
    grpc::Status s = client_->Return(draft.id(), {"li"}, to, kReturnComment);
    EXPECT_EQ(s.error_code(), StatusCode::INVALID_ARGUMENT) << to;
    EXPECT_NE(s.error_message().find("to_node"), std::string::npos) << s.error_message();
  }
  ASSERT_TRUE(client_->Complete(draft.id(), {"li"}, "").ok());
  v1::Task review = client_->OnlyTask(id);
  EXPECT_EQ(review.node_id(), "review");
  EXPECT_EQ(review.state(), "open");

  EXPECT_EQ(client_->Return(review.id(), {"zhao", "clerk"}, "draft", kReturnComment).error_code(),
            StatusCode::PERMISSION_DENIED);
  grpc::Status unknown =
      client_->Return(review.id(), {"wu", "reviewer"}, "nowhere", kReturnComment);
  EXPECT_EQ(unknown.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(unknown.error_message().find("to_node"), std::string::npos);

  v1::Task returned;
  grpc::Status s =
      client_->Return(review.id(), {"wu", "reviewer"}, "draft", kReturnComment, &returned);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(returned.id(), review.id());
  EXPECT_EQ(returned.state(), "cancelled");
  EXPECT_EQ(client_->Task(review.id()).state(), "cancelled");
  EXPECT_EQ(client_->Task(draft.id()).state(), "completed");  // the first draft stays as it was
  v1::Task redraft = client_->OnlyTask(id);
  EXPECT_NE(redraft.id(), draft.id());
  EXPECT_EQ(redraft.node_id(), "draft");
  EXPECT_EQ(redraft.state(), "claimed");
  EXPECT_EQ(redraft.assignee(), "li");
  v1::Instance inst = client_->Instance(id);
  EXPECT_EQ(inst.state(), "active");
  ASSERT_EQ(inst.current_nodes_size(), 1);
  EXPECT_EQ(inst.current_nodes(0), "draft");
  // The cancelled review can no longer be acted on.
  EXPECT_EQ(client_->Complete(review.id(), {"wu", "reviewer"}, "pass").error_code(),
            StatusCode::FAILED_PRECONDITION);

  // Back at draft, review is a later step again, even though it was visited before.
  grpc::Status later = client_->Return(redraft.id(), {"li"}, "review", kReturnComment);
  EXPECT_EQ(later.error_code(), StatusCode::INVALID_ARGUMENT) << later.error_message();
  EXPECT_NE(later.error_message().find("to_node"), std::string::npos);
  ASSERT_EQ(client_->Tasks(id).size(), 1u);
  EXPECT_EQ(client_->OnlyTask(id).id(), redraft.id());

  // The second round goes through.
  ASSERT_TRUE(client_->Complete(redraft.id(), {"li"}, "").ok());
  v1::Task review2 = client_->OnlyTask(id);
  EXPECT_EQ(review2.node_id(), "review");
  ASSERT_TRUE(client_->Complete(review2.id(), {"wu", "reviewer"}, "pass").ok());
  EXPECT_EQ(client_->Instance(id).state(), "completed");
}

// ---- countersign (会签) ----------------------------------------------------------------------

class CountersignTest : public TasksTest {
 protected:
  // Starts a countersign among li, wu, zhao; returns the instance id and its three tasks.
  int64_t StartSign(const std::string& completion, std::vector<v1::Task>* tasks) {
    const std::string id = "t-sign-" + std::to_string(++deployed_);
    client_->Deploy(CountersignYaml(id, completion));
    int64_t instance = client_->Start(id, {{"signers", {"li", "wu", "zhao"}}}, kStarter);
    *tasks = client_->Tasks(instance);
    EXPECT_EQ(tasks->size(), 3u);
    if (tasks->size() != 3) return instance;
    const std::vector<std::string> people = {"li", "wu", "zhao"};
    for (size_t i = 0; i < 3; ++i) {
      const v1::Task& t = (*tasks)[i];
      EXPECT_EQ(t.assignee(), people[i]);
      EXPECT_EQ(t.state(), "claimed");
      EXPECT_EQ(t.node_id(), "sign");
      EXPECT_EQ(t.group_id(), (*tasks)[0].id());  // one shared, non-zero group id
      EXPECT_NE(t.group_id(), 0);
    }
    return instance;
  }

  // The instance still waits at `sign` with `open` tasks there and none at `after`.
  void ExpectStillSigning(int64_t instance, size_t open) {
    v1::Instance inst = client_->Instance(instance);
    EXPECT_EQ(inst.state(), "active");
    ASSERT_EQ(inst.current_nodes_size(), 1);
    EXPECT_EQ(inst.current_nodes(0), "sign");
    EXPECT_FALSE(json::parse(inst.variables()).contains("votes"));
    auto tasks = client_->Tasks(instance);
    EXPECT_EQ(tasks.size(), open);
    for (const auto& t : tasks) EXPECT_EQ(t.node_id(), "sign");
  }

  // The node completed exactly once: one task at `after`, votes and outcome set.
  void ExpectSigned(int64_t instance, const json& votes, const std::string& outcome) {
    v1::Instance inst = client_->Instance(instance);
    ASSERT_EQ(inst.current_nodes_size(), 1);
    EXPECT_EQ(inst.current_nodes(0), "after");
    json vars = json::parse(inst.variables());
    EXPECT_EQ(vars["votes"], votes);
    EXPECT_EQ(vars["outcome"], outcome);
    auto tasks = client_->Tasks(instance);
    ASSERT_EQ(tasks.size(), 1u);
    EXPECT_EQ(tasks[0].node_id(), "after");
    EXPECT_EQ(tasks[0].group_id(), 0);
  }

  int deployed_ = 0;
};

TEST_F(CountersignTest, AllNeedsEveryone) {
  std::vector<v1::Task> t;
  int64_t id = StartSign("all", &t);
  ASSERT_EQ(t.size(), 3u);
  // One person votes for someone else's share: not theirs.
  EXPECT_EQ(client_->Complete(t[1].id(), {"li"}, "agree").error_code(),
            StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(client_->Complete(t[0].id(), {"li"}, "agree").ok());
  ExpectStillSigning(id, 2);
  ASSERT_TRUE(client_->Complete(t[1].id(), {"wu"}, "disagree").ok());
  ExpectStillSigning(id, 1);
  ASSERT_TRUE(client_->Complete(t[2].id(), {"zhao"}, "agree").ok());
  ExpectSigned(id, {{"agree", 2}, {"disagree", 1}}, "agree");
  for (const auto& task : t) EXPECT_EQ(client_->Task(task.id()).state(), "completed");
}

TEST_F(CountersignTest, AnyNeedsOne) {
  std::vector<v1::Task> t;
  int64_t id = StartSign("any", &t);
  ASSERT_EQ(t.size(), 3u);
  ASSERT_TRUE(client_->Complete(t[1].id(), {"wu"}, "disagree").ok());
  ExpectSigned(id, {{"disagree", 1}}, "disagree");
  EXPECT_EQ(client_->Task(t[0].id()).state(), "cancelled");
  EXPECT_EQ(client_->Task(t[1].id()).state(), "completed");
  EXPECT_EQ(client_->Task(t[2].id()).state(), "cancelled");
  // The others' shares were withdrawn: voting now is a wrong state and changes nothing.
  EXPECT_EQ(client_->Complete(t[0].id(), {"li"}, "agree").error_code(),
            StatusCode::FAILED_PRECONDITION);
  ExpectSigned(id, {{"disagree", 1}}, "disagree");
}

TEST_F(CountersignTest, TwoOfThree) {
  std::vector<v1::Task> t;
  int64_t id = StartSign("2/3", &t);
  ASSERT_EQ(t.size(), 3u);
  ASSERT_TRUE(client_->Complete(t[2].id(), {"zhao"}, "agree").ok());
  ExpectStillSigning(id, 2);
  ASSERT_TRUE(client_->Complete(t[0].id(), {"li"}, "agree").ok());
  ExpectSigned(id, {{"agree", 2}}, "agree");
  EXPECT_EQ(client_->Task(t[1].id()).state(), "cancelled");
  EXPECT_EQ(client_->Complete(t[1].id(), {"wu"}, "disagree").error_code(),
            StatusCode::FAILED_PRECONDITION);
  ExpectSigned(id, {{"agree", 2}}, "agree");
}

TEST_F(CountersignTest, MajorityOutcomeWithTwoOfThree) {
  std::vector<v1::Task> t;
  int64_t id = StartSign("2/3", &t);
  ASSERT_EQ(t.size(), 3u);
  ASSERT_TRUE(client_->Complete(t[0].id(), {"li"}, "disagree").ok());
  ExpectStillSigning(id, 2);
  ASSERT_TRUE(client_->Complete(t[1].id(), {"wu"}, "disagree").ok());
  ExpectSigned(id, {{"disagree", 2}}, "disagree");
}

// ---- due times, reminders, escalation ------------------------------------------------------

// Labour Day: due 5wd from Thursday 04-30 09:00 skips 05-01..05-05 and Sunday 05-10 but counts
// the make-up Saturday 05-09: Wed 06, Thu 07, Fri 08, Sat 09, Mon 11 -> due Monday 05-11 09:00.
// The -1wd reminder falls on the make-up Saturday 05-09; escalation one working day after due is
// Tuesday 05-12 09:00.
TEST_F(TasksTest, DueRemindersAndEscalationAcrossLabourDay) {
  client_->Deploy(DueYaml("t-due", "5wd"));
  client_->AdvanceTo(kBeforeLabourDay);
  int64_t id = client_->Start("t-due", {{"unit", "u1"}}, kStarter);
  v1::Task task = client_->OnlyTask(id);
  const int64_t due = kBeforeLabourDay + 11 * kDay;
  EXPECT_EQ(task.due_at_ms(), due);
  EXPECT_EQ(task.created_at_ms(), kBeforeLabourDay);
  EXPECT_EQ(task.escalation_role(), "district-admin");
  EXPECT_FALSE(task.escalated());
  EXPECT_EQ(Kinds(client_->Notifications("", "clerk")), (std::vector<std::string>{"task.created"}));

  // Nothing over the holiday, nor in the last minute before the reminder.
  client_->AdvanceTo(kBeforeLabourDay + 9 * kDay - kMinute);
  EXPECT_EQ(Kinds(client_->Notifications("", "clerk")), (std::vector<std::string>{"task.created"}));
  client_->AdvanceTo(kBeforeLabourDay + 9 * kDay);  // Saturday 05-09, a working day
  auto reminded = client_->Notifications("", "clerk");
  EXPECT_EQ(Kinds(reminded), (std::vector<std::string>{"task.created", "task.reminder"}));
  ASSERT_EQ(reminded.size(), 2u);
  EXPECT_EQ(reminded[1].created_at_ms(), kBeforeLabourDay + 9 * kDay);
  EXPECT_EQ(reminded[1].task_id(), task.id());
  EXPECT_EQ(reminded[1].unit(), "u1");

  client_->AdvanceTo(due - kMinute);
  EXPECT_EQ(client_->Notifications("", "clerk").size(), 2u);
  client_->AdvanceTo(due);
  auto due_now = client_->Notifications("", "clerk");
  EXPECT_EQ(Kinds(due_now),
            (std::vector<std::string>{"task.created", "task.reminder", "task.due"}));
  ASSERT_EQ(due_now.size(), 3u);
  EXPECT_EQ(due_now[2].created_at_ms(), due);
  EXPECT_TRUE(client_->Notifications("", "district-admin").empty());

  // Before escalation the district admin has no say.
  EXPECT_EQ(client_->Transfer(task.id(), {"zhou", "district-admin"}, "sun").error_code(),
            StatusCode::PERMISSION_DENIED);

  client_->Advance("PT23H59M");
  EXPECT_TRUE(client_->Notifications("", "district-admin").empty());
  EXPECT_FALSE(client_->Task(task.id()).escalated());
  EXPECT_EQ(client_->Advance("PT1M").now_ms(),
            kBeforeLabourDay + 12 * kDay);  // Tuesday 05-12 09:00
  auto escalated = client_->Notifications("", "district-admin");
  ASSERT_EQ(escalated.size(), 1u);
  EXPECT_EQ(escalated[0].kind(), "task.escalated");
  EXPECT_EQ(escalated[0].task_id(), task.id());
  EXPECT_EQ(escalated[0].created_at_ms(), kBeforeLabourDay + 12 * kDay);
  EXPECT_TRUE(client_->Task(task.id()).escalated());
  EXPECT_EQ(client_->Notifications("", "clerk").size(), 3u);  // the clerks got nothing new

  // Nothing more fires later.
  client_->Advance("P10D");
  EXPECT_EQ(client_->Notifications("", "clerk").size(), 3u);
  EXPECT_EQ(client_->Notifications("", "district-admin").size(), 1u);

  // The escalation role may now move the task; the new assignee completes it.
  EXPECT_EQ(client_->Transfer(task.id(), {"li", "clerk"}, "sun").error_code(),
            StatusCode::PERMISSION_DENIED);
  v1::Task moved;
  grpc::Status s = client_->Transfer(task.id(), {"zhou", "district-admin"}, "sun", "", &moved);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(moved.assignee(), "sun");
  EXPECT_EQ(moved.state(), "claimed");
  EXPECT_EQ(client_->Complete(task.id(), {"li", "clerk", "u1"}, "approved").error_code(),
            StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(client_->Complete(task.id(), {"sun"}, "approved").ok());
  EXPECT_EQ(client_->Instance(id).state(), "completed");
}

// Qingming: due 2wd from Thursday 04-02 09:00 skips the weekend and the Monday holiday: Fri 03,
// Tue 07 -> due Tuesday 04-07 09:00; the -1wd reminder is Friday 04-03 09:00, escalation Wednesday
// 04-08 09:00. A subscriber gets the backlog, then each notice live as the clock moves.
TEST_F(TasksTest, SubscribeGetsBacklogThenLiveRemindersAcrossQingming) {
  client_->Deploy(DueYaml("t-due", "2wd"));
  client_->AdvanceTo(kBeforeQingming);
  int64_t id = client_->Start("t-due", {{"unit", "u1"}}, kStarter);
  v1::Task task = client_->OnlyTask(id);
  const int64_t due = kBeforeQingming + 5 * kDay;
  EXPECT_EQ(task.due_at_ms(), due);

  grpc::ClientContext ctx;
  client_->Prepare(&ctx);
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  v1::SubscribeRequest req;
  req.set_recipient("li");
  req.add_roles("clerk");
  auto reader = client_->stubs.notifications->Subscribe(&ctx, req);
  v1::Notification n;
  ASSERT_TRUE(reader->Read(&n));  // the backlog
  EXPECT_EQ(n.kind(), "task.created");
  EXPECT_EQ(n.role(), "clerk");
  EXPECT_EQ(n.task_id(), task.id());
  const int64_t created_id = n.id();

  // Not yet: nothing is stored for the clerks until Friday 09:00.
  client_->AdvanceTo(kBeforeQingming + kDay - kMinute);
  EXPECT_EQ(client_->Notifications("", "clerk").size(), 1u);
  client_->AdvanceTo(kBeforeQingming + kDay);
  ASSERT_TRUE(reader->Read(&n));
  EXPECT_EQ(n.kind(), "task.reminder");
  EXPECT_EQ(n.created_at_ms(), kBeforeQingming + kDay);
  EXPECT_GT(n.id(), created_id);

  // The weekend and the Monday holiday pass quietly.
  client_->AdvanceTo(due - kMinute);
  EXPECT_EQ(client_->Notifications("", "clerk").size(), 2u);
  client_->AdvanceTo(due);
  ASSERT_TRUE(reader->Read(&n));
  EXPECT_EQ(n.kind(), "task.due");
  EXPECT_EQ(n.created_at_ms(), due);

  // li claims and completes it before the escalation: its timers go with it.
  ASSERT_TRUE(client_->Claim(task.id(), {"li", "clerk", "u1"}).ok());
  ASSERT_TRUE(client_->Complete(task.id(), {"li", "clerk", "u1"}, "approved").ok());
  client_->AdvanceTo(kBeforeQingming + 6 * kDay);
  client_->Advance("P3D");
  EXPECT_TRUE(client_->Notifications("", "district-admin").empty());
  EXPECT_EQ(client_->Notifications("", "clerk").size(), 3u);

  // The next thing the stream carries is the sentinel below: nothing else came in between.
  client_->Deploy(kPersonalYaml);
  int64_t sentinel = client_->Start("t-personal", {{"owner", "li"}}, kStarter);
  ASSERT_TRUE(reader->Read(&n));
  EXPECT_EQ(n.kind(), "task.created");
  EXPECT_EQ(n.recipient(), "li");
  EXPECT_EQ(n.instance_id(), sentinel);
  ctx.TryCancel();
}

TEST_F(TasksTest, SubscribeSkipsAcknowledgedBacklogAndNeedsAnAudience) {
  client_->Deploy(kPersonalYaml);
  int64_t first = client_->Start("t-personal", {{"owner", "li"}}, kStarter);
  int64_t second = client_->Start("t-personal", {{"owner", "li"}}, kStarter);
  auto mine = client_->Notifications("li");
  ASSERT_EQ(mine.size(), 2u);
  ASSERT_TRUE(client_->Ack(mine[0].id(), {"li"}).ok());

  grpc::ClientContext ctx;
  client_->Prepare(&ctx);
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  v1::SubscribeRequest req;
  req.set_recipient("li");
  auto reader = client_->stubs.notifications->Subscribe(&ctx, req);
  v1::Notification n;
  ASSERT_TRUE(reader->Read(&n));
  EXPECT_EQ(n.instance_id(), second);  // the acknowledged one is not sent again
  int64_t third = client_->Start("t-personal", {{"owner", "li"}}, kStarter);
  ASSERT_TRUE(reader->Read(&n));
  EXPECT_EQ(n.instance_id(), third);
  EXPECT_NE(first, third);
  ctx.TryCancel();

  grpc::ClientContext nobody;
  client_->Prepare(&nobody);
  v1::SubscribeRequest empty;
  auto refused = client_->stubs.notifications->Subscribe(&nobody, empty);
  EXPECT_FALSE(refused->Read(&n));
  grpc::Status s = refused->Finish();
  EXPECT_EQ(s.error_code(), StatusCode::INVALID_ARGUMENT);
}

// A community's clerks follow their own community's tasks, not the whole district's.
TEST_F(TasksTest, RoleNotificationsNarrowToOneUnit) {
  client_->Deploy(DueYaml("t-due", "2wd"));
  const int64_t other = client_->Start("t-due", {{"unit", "u1"}}, kStarter);
  const int64_t mine = client_->Start("t-due", {{"unit", "u2"}}, kStarter);

  v1::ListNotificationsRequest list;
  list.set_role("clerk");
  list.set_unit("u2");
  grpc::ClientContext lctx;
  client_->Prepare(&lctx);
  v1::ListNotificationsResponse listed;
  ASSERT_TRUE(client_->stubs.notifications->List(&lctx, list, &listed).ok());
  ASSERT_EQ(listed.notifications_size(), 1);
  EXPECT_EQ(listed.notifications(0).instance_id(), mine);
  EXPECT_EQ(client_->Notifications("", "clerk").size(), 2u);  // without a unit: both

  grpc::ClientContext ctx;
  client_->Prepare(&ctx);
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  v1::SubscribeRequest req;
  req.add_roles("clerk");
  req.set_unit("u2");
  auto reader = client_->stubs.notifications->Subscribe(&ctx, req);
  v1::Notification n;
  ASSERT_TRUE(reader->Read(&n));  // the backlog: u1's task is left out
  EXPECT_EQ(n.instance_id(), mine);
  EXPECT_EQ(n.unit(), "u2");
  // Live: u1's next task passes by; u2's arrives.
  EXPECT_NE(client_->Start("t-due", {{"unit", "u1"}}, kStarter), other);
  const int64_t next = client_->Start("t-due", {{"unit", "u2"}}, kStarter);
  ASSERT_TRUE(reader->Read(&n));
  EXPECT_EQ(n.instance_id(), next);
  ctx.TryCancel();
}

// ---- acknowledgement -----------------------------------------------------------------------

TEST_F(TasksTest, AckByTheRecipientIsIdempotent) {
  client_->Deploy(kPersonalYaml);
  client_->Deploy(kApproveYaml);
  client_->Start("t-personal", {{"owner", "li"}}, kStarter);
  client_->Start("t-approve", {{"unit", "u1"}}, kStarter);
  auto mine = client_->Notifications("li");
  ASSERT_EQ(mine.size(), 1u);
  const v1::Notification personal = mine[0];
  EXPECT_EQ(personal.kind(), "task.created");
  EXPECT_EQ(personal.acked_at_ms(), 0);
  auto clerks = client_->Notifications("", "clerk");
  ASSERT_EQ(clerks.size(), 1u);
  const v1::Notification to_role = clerks[0];

  // Someone else, or nobody in particular, may not acknowledge li's notice.
  EXPECT_EQ(client_->Ack(personal.id(), {"wu"}).error_code(), StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(client_->Ack(personal.id(), {"", "clerk"}).error_code(), StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(client_->Notifications("li").size(), 1u);

  ASSERT_TRUE(client_->Ack(personal.id(), {"li"}).ok());
  EXPECT_TRUE(client_->Notifications("li").empty());
  auto acked = client_->Notifications("li", "", /*include_acked=*/true);
  ASSERT_EQ(acked.size(), 1u);
  EXPECT_EQ(acked[0].acked_at_ms(), kMonday0900);
  EXPECT_EQ(acked[0].acked_by(), "li");

  // Again, later: still OK, and the first acknowledgement stands.
  client_->Advance("PT1H");
  ASSERT_TRUE(client_->Ack(personal.id(), {"li"}).ok());
  acked = client_->Notifications("li", "", true);
  ASSERT_EQ(acked.size(), 1u);
  EXPECT_EQ(acked[0].acked_at_ms(), kMonday0900);
  // A person who is not the recipient is still refused after it was acknowledged.
  EXPECT_EQ(client_->Ack(personal.id(), {"wu"}).error_code(), StatusCode::PERMISSION_DENIED);

  // A role's notice for a unit: a holder of the role in that unit may acknowledge it; another
  // role, or the role in another unit or in none, may not.
  EXPECT_EQ(client_->Ack(to_role.id(), {"wu", "auditor", "u1"}).error_code(),
            StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(client_->Ack(to_role.id(), {"wu", "clerk", "u2"}).error_code(),
            StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(client_->Ack(to_role.id(), {"wu", "clerk"}).error_code(),
            StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(client_->Ack(to_role.id(), {"wu", "clerk", "u1"}).ok());
  EXPECT_TRUE(client_->Notifications("", "clerk").empty());
  auto role_acked = client_->Notifications("", "clerk", true);
  ASSERT_EQ(role_acked.size(), 1u);
  EXPECT_EQ(role_acked[0].acked_by(), "wu");

  EXPECT_EQ(client_->Ack(999999, {"li"}).error_code(), StatusCode::NOT_FOUND);
}

// ---- Tasks/List ----------------------------------------------------------------------------

TEST_F(TasksTest, ListFiltersAndPages) {
  client_->Deploy(kApproveYaml);  // role clerk
  client_->Deploy(R"(
id: t-auditor
start: check
nodes:
  check: {type: user, role: auditor, unit: "${unit}", next: done}
  done: {type: end}
)");
  int64_t a1 = client_->Start("t-approve", {{"unit", "u1"}}, kStarter);
  int64_t a2 = client_->Start("t-approve", {{"unit", "u1"}}, kStarter);
  int64_t a3 = client_->Start("t-approve", {{"unit", "u2"}}, kStarter);
  int64_t b1 = client_->Start("t-auditor", {{"unit", "u1"}}, kStarter);
  int64_t b2 = client_->Start("t-auditor", {{"unit", "u2"}}, kStarter);
  const int64_t ta1 = client_->OnlyTask(a1).id(), ta2 = client_->OnlyTask(a2).id(),
                ta3 = client_->OnlyTask(a3).id();
  const int64_t tb1 = client_->OnlyTask(b1).id(), tb2 = client_->OnlyTask(b2).id();
  ASSERT_TRUE(client_->Claim(ta1, {"li", "clerk", "u1"}).ok());
  ASSERT_TRUE(client_->Complete(tb2, {"wu", "auditor", "u2"}, "").ok());

  auto ids = [](const std::vector<v1::Task>& tasks) {
    std::vector<int64_t> out;
    for (const auto& t : tasks) out.push_back(t.id());
    return out;
  };
  auto list = [&](const std::string& role, const std::string& assignee, const std::string& unit,
                  const std::string& state) {
    v1::ListTasksRequest req;
    req.set_role(role);
    req.set_assignee(assignee);
    req.set_unit(unit);
    req.set_state(state);
    return ids(client_->ListTasks(req));
  };
  using V = std::vector<int64_t>;
  EXPECT_EQ(list("", "", "", ""), (V{ta1, ta2, ta3, tb1}));  // not completed or cancelled
  EXPECT_EQ(list("clerk", "", "", ""), (V{ta1, ta2, ta3}));
  EXPECT_EQ(list("auditor", "", "", ""), (V{tb1}));
  EXPECT_EQ(list("", "", "u1", ""), (V{ta1, ta2, tb1}));
  EXPECT_EQ(list("clerk", "", "u1", ""), (V{ta1, ta2}));
  EXPECT_EQ(list("", "li", "", ""), (V{ta1}));
  EXPECT_EQ(list("", "", "", "claimed"), (V{ta1}));
  EXPECT_EQ(list("", "", "", "open"), (V{ta2, ta3, tb1}));
  EXPECT_EQ(list("", "", "", "completed"), (V{tb2}));
  EXPECT_EQ(list("auditor", "wu", "u2", "completed"), (V{tb2}));
  EXPECT_EQ(list("", "", "", "cancelled"), V{});
  EXPECT_EQ(list("nobody", "", "", ""), V{});
  EXPECT_EQ(list("clerk", "", "u3", ""), V{});

  // Pages of two, in id order, each task exactly once.
  v1::ListTasksRequest req;
  req.mutable_page()->set_page_size(2);
  V seen;
  std::string token;
  auto page = client_->ListTasks(req, &token);
  EXPECT_EQ(ids(page), (V{ta1, ta2}));
  ASSERT_FALSE(token.empty());
  int pages = 1;
  seen = ids(page);
  while (!token.empty() && pages < 10) {
    req.mutable_page()->set_page_token(token);
    page = client_->ListTasks(req, &token);
    for (int64_t t : ids(page)) seen.push_back(t);
    ++pages;
    if (pages == 2) {
      EXPECT_EQ(ids(page), (V{ta3, tb1}));
    }
  }
  EXPECT_EQ(seen, (V{ta1, ta2, ta3, tb1}));
  EXPECT_LE(pages, 3);

  // Paging composes with a filter.
  v1::ListTasksRequest clerks;
  clerks.set_role("clerk");
  clerks.mutable_page()->set_page_size(2);
  auto first = client_->ListTasks(clerks, &token);
  EXPECT_EQ(ids(first), (V{ta1, ta2}));
  clerks.mutable_page()->set_page_token(token);
  auto second = client_->ListTasks(clerks, &token);
  EXPECT_EQ(ids(second), (V{ta3}));
  EXPECT_TRUE(token.empty());
}

}  // namespace
}  // namespace shequ::testing
