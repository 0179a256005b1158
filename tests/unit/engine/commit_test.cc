// The commit pipeline (daemon/engine/commit.cc): request ids, refused commands, and reads
// through pending writes and the cache.

#include "tests/unit/engine/engine_fixture.h"

namespace shequ::engine {
namespace {

using CommitTest = EngineFixture;

constexpr char kReview[] = R"(
id: review
start: review
nodes:
  review: {type: user, assignees: [zhang], outcomes: [ok, redo], next: done}
  done: {type: end, status: reviewed}
)";

TEST_F(CommitTest, ARequestIdAnswersItsRetryAndOnlyForTheSameCommand) {
  ASSERT_TRUE(Deploy(kReview).ok());
  auto start = [&](const std::string& request_id) {
    return Run([&](Reply r) {
      engine_->Start({"tester"}, {{"review", 0, "", "", json::object()}, request_id}, std::move(r));
    });
  };
  auto first = start("req-1");
  ASSERT_TRUE(first.ok()) << first.status();
  auto again = start("req-1");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *first);  // the first answer, no second instance
  EXPECT_FALSE(Must(store_->GetInstance((*first)["instance_id"].get<int64_t>() + 1)).has_value());
  // The same id on another command is another request.
  auto cancel = Run([&](Reply r) {
    engine_->Cancel({"tester"}, {(*first)["instance_id"].get<int64_t>(), "done", "req-1"},
                    std::move(r));
  });
  ASSERT_TRUE(cancel.ok()) << cancel.status();
  EXPECT_EQ(cancel->dump(), "{}");
}

TEST_F(CommitTest, ARequestIdIsScopedToTheCaller) {
  ASSERT_TRUE(Deploy(kReview).ok());
  auto start = [&](const std::string& user, const std::string& request_id) {
    return Run([&](Reply r) {
      engine_->Start({user}, {{"review", 0, "", "", json::object()}, request_id}, std::move(r));
    });
  };
  auto mine = start("wang", "req-1");
  ASSERT_TRUE(mine.ok()) << mine.status();
  // Another caller reusing the id runs its own call and is not given wang's answer.
  auto theirs = start("li", "req-1");
  ASSERT_TRUE(theirs.ok()) << theirs.status();
  EXPECT_NE((*theirs)["instance_id"], (*mine)["instance_id"]);
  const int64_t li_instance = (*theirs)["instance_id"].get<int64_t>();
  EXPECT_TRUE(Must(store_->GetInstance(li_instance)).has_value());
  // Each caller's retry gets its own first answer.
  EXPECT_EQ(*start("wang", "req-1"), *mine);
  EXPECT_EQ(*start("li", "req-1"), *theirs);
  EXPECT_FALSE(Must(store_->GetInstance(li_instance + 1)).has_value());
  // Names cannot be confused by where the separator falls.
  auto a = start("a:1", "x");
  auto b = start("a", "1:x");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE((*a)["instance_id"], (*b)["instance_id"]);
}

TEST_F(CommitTest, ARefusedCommandLeavesNoTraceAndTheNextOneSeesCommittedState) {
  ASSERT_TRUE(Deploy(kReview).ok());
  auto id = Start("review");
  ASSERT_TRUE(id.ok());
  const int64_t task = Get(*id).tokens.at(0).tasks.at(0);
  const size_t events = Must(store_->History(*id, 0, 100)).size();
  auto refused = Run([&](Reply r) {
    engine_->CompleteTask({"zhang"}, {task, "maybe", {{"x", 1}}, "", "req-2"}, std::move(r));
  });
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Must(store_->History(*id, 0, 100)).size(), events);
  // A refused command stores no answer: the retry with a right outcome is a new attempt.
  auto done = Run([&](Reply r) {
    engine_->CompleteTask({"zhang"}, {task, "ok", {{"x", 1}}, "", "req-2"}, std::move(r));
  });
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(Get(*id).end_status, "reviewed");
  EXPECT_EQ(Get(*id).variables["x"], 1);
}

}  // namespace
}  // namespace shequ::engine
