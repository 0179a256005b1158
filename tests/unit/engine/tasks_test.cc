// User tasks (daemon/engine/tasks.cc): who may take a task, delegation, return, countersign.

#include "tests/unit/engine/engine_fixture.h"

namespace shequ::engine {
namespace {

using TasksTest = EngineFixture;

constexpr char kTwoSteps[] = R"(
id: two-steps
start: draft
nodes:
  draft: {type: user, assignees: [zhang], next: review}
  review: {type: user, role: clerk, unit: "${unit}", outcomes: [ok, redo], next: done}
  done: {type: end}
)";

absl::StatusOr<json> Claim(EngineFixture& f, Engine& e, Caller c, int64_t task) {
  return f.Run([&](Reply r) { e.ClaimTask(std::move(c), {task, ""}, std::move(r)); });
}

TEST_F(TasksTest, ARoleTaskScopedToAUnitIsForThatUnitsHolders) {
  ASSERT_TRUE(Deploy(kTwoSteps).ok());
  auto id = Start("two-steps", {{"unit", "u1"}});
  ASSERT_TRUE(id.ok());
  const int64_t draft = Get(*id).tokens.at(0).tasks.at(0);
  ASSERT_TRUE(Run([&](Reply r) {
                engine_->CompleteTask({"zhang"}, {draft, "", json::object(), "", ""}, std::move(r));
              }).ok());
  const int64_t review = Get(*id).tokens.at(0).tasks.at(0);
  EXPECT_EQ(Claim(*this, *engine_, {"li", {"clerk"}, "u2"}, review).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Claim(*this, *engine_, {"li", {"other"}, "u1"}, review).status().code(),
            absl::StatusCode::kPermissionDenied);
  auto claimed = Claim(*this, *engine_, {"li", {"clerk"}, "u1"}, review);
  ASSERT_TRUE(claimed.ok()) << claimed.status();
  EXPECT_EQ((*claimed)["task"]["assignee"], "li");
  // Claimed by li: wang, with the same role, no longer may.
  EXPECT_EQ(Claim(*this, *engine_, {"wang", {"clerk"}, "u1"}, review).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(TasksTest, ADelegatesAnswerGoesBackToTheOwnerAndReturnGoesBack) {
  ASSERT_TRUE(Deploy(kTwoSteps).ok());
  auto id = Start("two-steps", {{"unit", "u1"}});
  ASSERT_TRUE(id.ok());
  const int64_t draft = Get(*id).tokens.at(0).tasks.at(0);
  auto delegated = Run([&](Reply r) {
    engine_->DelegateTask({"zhang"}, {draft, "zhao", "please draft", ""}, std::move(r));
  });
  ASSERT_TRUE(delegated.ok()) << delegated.status();
  auto answered = Run([&](Reply r) {
    engine_->CompleteTask({"zhao"}, {draft, "", {{"text", "v1"}}, "", ""}, std::move(r));
  });
  ASSERT_TRUE(answered.ok()) << answered.status();
  EXPECT_EQ((*answered)["task"]["assignee"], "zhang");  // back to the owner, still open
  EXPECT_EQ((*answered)["task"]["state"], "claimed");
  ASSERT_TRUE(Run([&](Reply r) {
                engine_->CompleteTask({"zhang"}, {draft, "", json::object(), "", ""}, std::move(r));
              }).ok());
  const int64_t review = Get(*id).tokens.at(0).tasks.at(0);
  auto returned = Run([&](Reply r) {
    engine_->ReturnTask({"li", {"clerk"}, "u1"}, {review, "draft", "redo it", ""}, std::move(r));
  });
  ASSERT_TRUE(returned.ok()) << returned.status();
  const Instance inst = Get(*id);
  ASSERT_EQ(inst.tokens.size(), 1u);
  EXPECT_EQ(inst.tokens[0].node, "draft");
  EXPECT_EQ(FromRow(*Must(store_->GetTask(review))).state, "cancelled");
}

}  // namespace
}  // namespace shequ::engine
