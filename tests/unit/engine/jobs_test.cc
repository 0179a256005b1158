// Service jobs (daemon/engine/jobs.cc): hand-out with credits, fail and retry with back-off,
// answers fenced by attempt, and the lock timer.

#include <deque>
#include <mutex>
#include <optional>

#include "tests/unit/engine/engine_fixture.h"

namespace shequ::engine {
namespace {

constexpr char kWork[] = R"(
id: work
start: work
nodes:
  work: {type: service, job: unit.work, retries: 2, backoff: PT10S, next: done}
  done: {type: end, status: worked}
)";

class JobsTest : public EngineFixture {
 protected:
  void SetUp() override {
    EngineFixture::SetUp();
    ASSERT_TRUE(Deploy(kWork).ok());
    activation_ = engine_->OpenActivation({"unit.work"}, "w1", 60'000,
                                          [this](const Job& job, const json&) {
                                            std::lock_guard lock(mu_);
                                            jobs_.push_back(job);
                                            return true;
                                          });
  }
  // Gives the worker one credit and waits (on the strand) until it is spent.
  std::optional<Job> Next() {
    engine_->RequestJob(activation_);
    Advance(0);  // the hand-out commits before this step's answer
    std::lock_guard lock(mu_);
    if (jobs_.empty()) return std::nullopt;
    Job job = jobs_.front();
    jobs_.pop_front();
    return job;
  }
  absl::StatusOr<json> Fail(JobRef job, std::optional<int> retries_left = std::nullopt) {
    return Run([&](Reply r) {
      engine_->FailJob({"w1"}, {job, "boom", retries_left.value_or(-1), ""}, std::move(r));
    });
  }

  int64_t activation_ = 0;
  std::mutex mu_;
  std::deque<Job> jobs_;
};

TEST_F(JobsTest, FailRetriesAfterTheBackoffThenRaisesAnIncident) {
  auto id = Start("work");
  ASSERT_TRUE(id.ok());
  std::optional<Job> job = Next();
  ASSERT_TRUE(job.has_value());
  EXPECT_EQ(job->attempt, 1);
  EXPECT_EQ(job->retries_left, 2);
  auto failed = Fail({job->id, job->attempt});
  ASSERT_TRUE(failed.ok()) << failed.status();
  EXPECT_EQ((*failed)["incident"], false);
  EXPECT_EQ((*failed)["retry_at_ms"], kMonday0900 + 10'000);
  EXPECT_FALSE(Next().has_value());  // not before the back-off
  Advance(10'000);
  job = Next();
  ASSERT_TRUE(job.has_value());
  EXPECT_EQ(job->attempt, 2);
  failed = Fail({job->id, job->attempt});
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ((*failed)["incident"], true);
  auto incidents = Must(store_->ListIncidents({}, {}));
  ASSERT_EQ(incidents.size(), 1u);
  EXPECT_EQ(FromRow(incidents[0]).kind, "job-failed");
}

TEST_F(JobsTest, AnAnswerForAnEarlierHandOutIsRefused) {
  auto id = Start("work");
  ASSERT_TRUE(id.ok());
  std::optional<Job> first = Next();
  ASSERT_TRUE(first.has_value());
  Advance(60'000);  // the lock expires: handed out again
  std::optional<Job> second = Next();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->id, first->id);
  EXPECT_EQ(second->attempt, 2);
  auto late = Run([&](Reply r) {
    engine_->CompleteJob({"w1"}, {{first->id, first->attempt}, json::object(), ""}, std::move(r));
  });
  EXPECT_EQ(late.status().code(), absl::StatusCode::kFailedPrecondition);
  auto done = Run([&](Reply r) {
    engine_->CompleteJob({"w1"}, {{second->id, second->attempt}, {{"ok", true}}, ""},
                         std::move(r));
  });
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(Get(*id).end_status, "worked");
  EXPECT_EQ(Get(*id).variables["ok"], true);
}

TEST_F(JobsTest, ExplicitZeroRetriesLeftRaisesTheIncidentAtOnce) {
  auto id = Start("work");
  ASSERT_TRUE(id.ok());
  std::optional<Job> job = Next();
  ASSERT_TRUE(job.has_value());
  auto failed = Fail({job->id, job->attempt}, 0);
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ((*failed)["incident"], true);
}

}  // namespace
}  // namespace shequ::engine
