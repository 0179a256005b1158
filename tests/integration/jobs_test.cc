// Service nodes and external workers: Jobs/Activate, Complete and Fail through the real gRPC API,
// with retries, exponential back-off, lock time-outs and incidents on the fake clock.

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "nlohmann/json.hpp"
#include "tests/integration/client.h"

namespace shequ::testing {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int64_t kDefaultLockMs = 300'000;

// An ISO 8601 duration for AdvanceClock: 9000 -> "PT9S".
std::string Seconds(int64_t ms) { return "PT" + std::to_string(ms / 1000) + "S"; }

constexpr char kJobFlow[] = R"(
id: job-flow
start: work
nodes:
  work: {type: service, job: test.work, retries: 4, backoff: PT10S, next: check}
  check:
    type: exclusive
    branches:
      - {when: "ok == true", next: done}
      - {next: bad}
  done: {type: end, status: ok}
  bad: {type: end, status: bad}
)";

// A worker on Jobs/Activate. A reader thread queues what the stream delivers, so the test can
// wait for the next job with a deadline instead of sleeping.
class Worker {
 public:
  Worker(v1::Jobs::Stub& stub, std::vector<std::string> types, const std::string& name,
         int64_t timeout_ms = 0) {
    ctx_.set_deadline(std::chrono::system_clock::now() + seconds(120));
    v1::ActivateRequest req;
    for (const auto& t : types) req.add_types(t);
    req.set_worker(name);
    req.set_timeout_ms(timeout_ms);
    Identify(&ctx_, name, kJobWorker.roles, "");
    reader_ = stub.Activate(&ctx_, req);
    thread_ = std::thread([this] {
      v1::Job job;
      while (reader_->Read(&job)) {
        std::lock_guard lock(mu_);
        jobs_.push_back(job);
        cv_.notify_all();
      }
      std::lock_guard lock(mu_);
      ended_ = true;
      cv_.notify_all();
    });
  }
  ~Worker() {
    ctx_.TryCancel();
    thread_.join();
    reader_->Finish();
  }

  // The next job, waiting at most `wait` for it.
  std::optional<v1::Job> Next(milliseconds wait = seconds(15)) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, wait, [&] { return !jobs_.empty() || ended_; });
    if (jobs_.empty()) return std::nullopt;
    v1::Job job = jobs_.front();
    jobs_.pop_front();
    return job;
  }
  // Jobs received and not yet taken, without waiting.
  size_t Queued() {
    std::lock_guard lock(mu_);
    return jobs_.size();
  }

 private:
  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReader<v1::Job>> reader_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<v1::Job> jobs_;
  bool ended_ = false;
};

constexpr char kFailure[] = "upstream system down";

class JobsTest : public DaemonTest {
 protected:
  JobsTest() : DaemonTest("jobs", {{"worker-host"}, seconds(30)}) {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(DaemonTest::SetUp());
    client_->Deploy(kJobFlow);
  }

  std::unique_ptr<Worker> NewWorker(const std::string& type, const std::string& name,
                                    int64_t timeout_ms = 0) {
    return std::make_unique<Worker>(*client_->stubs.jobs, std::vector<std::string>{type}, name,
                                    timeout_ms);
  }

  static std::vector<v1::Event> OfType(const std::vector<v1::Event>& events,
                                       const std::string& type) {
    std::vector<v1::Event> out;
    for (const auto& e : events) {
      if (e.type() == type) out.push_back(e);
    }
    return out;
  }
};

TEST_F(JobsTest, ActivatedJobCarriesItsContextAndCompleteMovesOn) {
  int64_t id = client_->Start("job-flow", {{"case", "c-1"}});
  auto worker = NewWorker("test.work", "w-1");
  std::optional<v1::Job> job = worker->Next();
  ASSERT_TRUE(job.has_value());
  EXPECT_GT(job->id(), 0);
  EXPECT_EQ(job->type(), "test.work");
  EXPECT_EQ(job->instance_id(), id);
  EXPECT_EQ(job->node_id(), "work");
  EXPECT_EQ(job->definition_id(), "job-flow");
  EXPECT_EQ(job->retries_left(), 4);
  EXPECT_EQ(job->attempt(), 1);
  EXPECT_EQ(job->deadline_ms(), kMonday0900 + kDefaultLockMs);
  EXPECT_EQ(json::parse(job->variables()), (json{{"case", "c-1"}}));
  EXPECT_EQ(client_->Instance(id).state(), "active");

  ASSERT_TRUE(client_->CompleteJob(job->id(), json{{"ok", true}, {"score", 7}}.dump()).ok());
  v1::Instance inst = client_->Instance(id);
  EXPECT_EQ(inst.state(), "completed");
  EXPECT_EQ(inst.end_status(), "ok");
  EXPECT_EQ(json::parse(inst.variables()), (json{{"case", "c-1"}, {"ok", true}, {"score", 7}}));
  auto history = client_->History(id);
  auto activated = OfType(history, "job.activated");
  ASSERT_EQ(activated.size(), 1u);
  EXPECT_EQ(json::parse(activated[0].data())["worker"], "w-1");
  EXPECT_EQ(OfType(history, "job.completed").size(), 1u);
}

TEST_F(JobsTest, JobGoesOnlyToAWorkerOfItsType) {
  auto other = NewWorker("test.other", "w-other");
  auto right = NewWorker("test.work", "w-right");
  int64_t id = client_->Start("job-flow");
  std::optional<v1::Job> job = right->Next();
  ASSERT_TRUE(job.has_value());
  EXPECT_EQ(job->instance_id(), id);
  auto activated = OfType(client_->History(id), "job.activated");
  ASSERT_EQ(activated.size(), 1u);
  EXPECT_EQ(json::parse(activated[0].data())["worker"], "w-right");
  EXPECT_EQ(other->Queued(), 0u);
}

TEST_F(JobsTest, FailRetriesWithExponentialBackoffThenIncidentThenResolve) {
  int64_t id = client_->Start("job-flow");
  auto worker = NewWorker("test.work", "w-1");
  int64_t now = kMonday0900;
  int64_t delay = 10'000;  // backoff: PT10S, doubling
  std::optional<v1::Job> job = worker->Next();
  ASSERT_TRUE(job.has_value());
  const int64_t job_id = job->id();
  for (int attempt = 1; attempt <= 3; ++attempt) {
    SCOPED_TRACE(attempt);
    ASSERT_TRUE(job.has_value());
    EXPECT_EQ(job->id(), job_id);
    EXPECT_EQ(job->attempt(), attempt);
    EXPECT_EQ(job->retries_left(), 5 - attempt);
    v1::FailJobResponse failed;
    ASSERT_TRUE(client_->FailJob(job_id, kFailure, &failed).ok());
    EXPECT_FALSE(failed.incident());
    EXPECT_EQ(failed.retry_at_ms(), now + delay);

    // Not handed out again before the back-off has passed...
    EXPECT_EQ(client_->Advance(Seconds(delay - 1000)).timers_fired(), 0);
    EXPECT_EQ(worker->Queued(), 0u);
    // ...and handed out once it has.
    EXPECT_EQ(client_->Advance("PT1S").timers_fired(), 1);
    now += delay;
    job = worker->Next();
    ASSERT_TRUE(job.has_value());
    EXPECT_EQ(job->deadline_ms(), now + kDefaultLockMs);  // activated at retry_at, not before
    delay *= 2;
  }
  // The fourth attempt fails with no retries left: an incident, no more activations.
  EXPECT_EQ(job->attempt(), 4);
  EXPECT_EQ(job->retries_left(), 1);
  v1::FailJobResponse failed;
  ASSERT_TRUE(client_->FailJob(job_id, kFailure, &failed).ok());
  EXPECT_TRUE(failed.incident());
  EXPECT_EQ(failed.retry_at_ms(), 0);
  auto incidents = client_->Incidents(id);
  ASSERT_EQ(incidents.size(), 1u);
  EXPECT_EQ(incidents[0].kind(), "job-failed");
  EXPECT_EQ(incidents[0].job_id(), job_id);
  EXPECT_EQ(incidents[0].node_id(), "work");
  EXPECT_NE(incidents[0].message().find("upstream system down"), std::string::npos);
  EXPECT_EQ(client_->Instance(id).state(), "active");
  EXPECT_EQ(client_->Advance("P1D").timers_fired(), 0);
  EXPECT_EQ(worker->Queued(), 0u);

  // Resolve: new retries, fixed data, and the job is activated again.
  ASSERT_TRUE(client_->Resolve(incidents[0].id(), {{"ok", true}}, 2).ok());
  job = worker->Next();
  ASSERT_TRUE(job.has_value());
  EXPECT_EQ(job->id(), job_id);
  EXPECT_EQ(job->attempt(), 5);
  EXPECT_EQ(job->retries_left(), 2);
  EXPECT_EQ(json::parse(job->variables())["ok"], true);
  EXPECT_TRUE(client_->Incidents(id).empty());
  ASSERT_TRUE(client_->CompleteJob(job_id, "").ok());
  EXPECT_EQ(client_->Instance(id).end_status(), "ok");
  EXPECT_EQ(OfType(client_->History(id), "job.failed").size(), 4u);
}

TEST_F(JobsTest, FailWithoutRetriesLeftFollowsTheNodesRetries) {
  // A Fail that leaves retries_left out means what -1 does: the node's `retries: 4` counts
  // down, rather than proto3's 0 ("none left") raising an incident at the first failure.
  int64_t id = client_->Start("job-flow");
  auto worker = NewWorker("test.work", "w-1");
  std::optional<v1::Job> job = worker->Next();
  ASSERT_TRUE(job.has_value());
  int64_t delay = 10'000;
  for (int attempt = 1; attempt <= 4; ++attempt) {
    SCOPED_TRACE(attempt);
    ASSERT_TRUE(job.has_value());
    EXPECT_EQ(job->retries_left(), 5 - attempt);
    v1::FailJobResponse failed;
    ASSERT_TRUE(client_->FailJob(job->id(), kFailure, &failed, std::nullopt).ok());
    if (attempt == 4) {
      EXPECT_TRUE(failed.incident());
      break;
    }
    EXPECT_FALSE(failed.incident());
    EXPECT_TRUE(client_->Incidents(id).empty());
    EXPECT_EQ(client_->Advance(Seconds(delay)).timers_fired(), 1);
    job = worker->Next();
    delay *= 2;
  }
  auto incidents = client_->Incidents(id);
  ASSERT_EQ(incidents.size(), 1u);
  EXPECT_EQ(incidents[0].kind(), "job-failed");
  EXPECT_EQ(OfType(client_->History(id), "job.failed").size(), 4u);

  // An explicit 0 still gives up at once.
  int64_t other = client_->Start("job-flow");
  job = worker->Next();
  ASSERT_TRUE(job.has_value());
  EXPECT_EQ(job->instance_id(), other);
  v1::FailJobResponse failed;
  ASSERT_TRUE(client_->FailJob(job->id(), kFailure, &failed, 0).ok());
  EXPECT_TRUE(failed.incident());
}

TEST_F(JobsTest, JobWhoseLockExpiresIsHandedOutAgain) {
  int64_t id = client_->Start("job-flow");
  auto worker = NewWorker("test.work", "w-slow", /*timeout_ms=*/60'000);
  std::optional<v1::Job> job = worker->Next();
  ASSERT_TRUE(job.has_value());
  EXPECT_EQ(job->deadline_ms(), kMonday0900 + 60'000);
  EXPECT_EQ(client_->Advance("PT59S").timers_fired(), 0);
  EXPECT_EQ(worker->Queued(), 0u);
  EXPECT_EQ(client_->Advance("PT1S").timers_fired(), 1);
  std::optional<v1::Job> again = worker->Next();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->id(), job->id());
  EXPECT_EQ(again->attempt(), 2);
  EXPECT_EQ(again->retries_left(), 4);  // a lost lock is not a failure
  EXPECT_EQ(again->deadline_ms(), kMonday0900 + 120'000);
  EXPECT_EQ(OfType(client_->History(id), "job.timed-out").size(), 1u);
  // The first hand-out's late answer is refused; the second's is taken.
  grpc::Status late = client_->CompleteJob(job->id(), R"({"ok": true})", "", job->attempt());
  EXPECT_EQ(late.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(late.error_message().find("attempt: job"), std::string::npos) << late.error_message();
  ASSERT_TRUE(client_->CompleteJob(again->id(), R"({"ok": false})", "", again->attempt()).ok());
  EXPECT_EQ(client_->Instance(id).end_status(), "bad");
}

TEST_F(JobsTest, CompleteAndFailRefuseBadRequests) {
  int64_t id = client_->Start("job-flow");
  // A job nobody activated yet is not the caller's to complete.
  auto created = OfType(client_->History(id), "job.created");
  ASSERT_EQ(created.size(), 1u);
  const int64_t job_id = json::parse(created[0].data())["job"];
  EXPECT_EQ(client_->CompleteJob(job_id, "").error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  auto worker = NewWorker("test.work", "w-1");
  std::optional<v1::Job> job = worker->Next();
  ASSERT_TRUE(job.has_value());
  ASSERT_EQ(job->id(), job_id);

  EXPECT_EQ(client_->CompleteJob(424242, "").error_code(), grpc::StatusCode::NOT_FOUND);
  v1::FailJobResponse failed;
  EXPECT_EQ(client_->FailJob(424242, kFailure, &failed).error_code(), grpc::StatusCode::NOT_FOUND);

  grpc::Status s = client_->CompleteJob(0, "");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("job_id"), std::string::npos) << s.error_message();
  s = client_->FailJob(0, kFailure, &failed);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("job_id"), std::string::npos) << s.error_message();
  s = client_->FailJob(job_id, kFailure, &failed, /*retries_left=*/-2);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("retries_left"), std::string::npos) << s.error_message();

  s = client_->CompleteJob(job_id, "{not json");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("variables"), std::string::npos) << s.error_message();
  s = client_->CompleteJob(job_id, "[1, 2]");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("variables"), std::string::npos) << s.error_message();
  s = client_->CompleteJob(job_id, json{{"blob", std::string((1 << 20) + 16, 'x')}}.dump());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(s.error_message().find("variables"), std::string::npos) << s.error_message();
  // None of that touched the job or the instance.
  EXPECT_EQ(client_->Instance(id).state(), "active");
  EXPECT_EQ(json::parse(client_->Instance(id).variables()), json::object());

  ASSERT_TRUE(client_->CompleteJob(job_id, R"({"ok": true})").ok());
  EXPECT_EQ(client_->Instance(id).end_status(), "ok");
  // Completed already: a wrong state, not an unknown job, and not a second effect.
  EXPECT_EQ(client_->CompleteJob(job_id, R"({"ok": false})").error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(client_->FailJob(job_id, kFailure, &failed).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(json::parse(client_->Instance(id).variables())["ok"], true);
  EXPECT_EQ(OfType(client_->History(id), "job.completed").size(), 1u);
}

TEST_F(JobsTest, ActivateWithoutTypesNamesTheField) {
  grpc::ClientContext ctx;
  client_->Prepare(&ctx, kJobWorker);
  v1::ActivateRequest req;
  req.set_worker("w-1");
  auto reader = client_->stubs.jobs->Activate(&ctx, req);
  v1::Job job;
  EXPECT_FALSE(reader->Read(&job));
  grpc::Status s = reader->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("types"), std::string::npos) << s.error_message();
}

TEST_F(JobsTest, RequestIdMakesCompleteAndFailIdempotent) {
  int64_t first = client_->Start("job-flow");
  auto worker = NewWorker("test.work", "w-1");
  std::optional<v1::Job> job = worker->Next();
  ASSERT_TRUE(job.has_value());

  // A retried Fail returns the first answer and counts down once.
  v1::FailJobResponse a, b;
  ASSERT_TRUE(client_->FailJob(job->id(), kFailure, &a, -1, "fail-1").ok());
  ASSERT_TRUE(client_->FailJob(job->id(), kFailure, &b, -1, "fail-1").ok());
  EXPECT_EQ(a.retry_at_ms(), kMonday0900 + 10'000);
  EXPECT_EQ(b.retry_at_ms(), a.retry_at_ms());
  EXPECT_FALSE(b.incident());
  EXPECT_EQ(OfType(client_->History(first), "job.failed").size(), 1u);
  client_->Advance("PT10S");
  job = worker->Next();
  ASSERT_TRUE(job.has_value());
  EXPECT_EQ(job->retries_left(), 3);

  // A retried Complete returns OK again, and the instance moves on once.
  ASSERT_TRUE(client_->CompleteJob(job->id(), R"({"ok": true})", "done-1").ok());
  ASSERT_TRUE(client_->CompleteJob(job->id(), R"({"ok": false})", "done-1").ok());
  v1::Instance inst = client_->Instance(first);
  EXPECT_EQ(inst.end_status(), "ok");
  EXPECT_EQ(json::parse(inst.variables())["ok"], true);
  auto history = client_->History(first);
  EXPECT_EQ(OfType(history, "job.completed").size(), 1u);
  EXPECT_EQ(OfType(history, "instance.completed").size(), 1u);
  // Another request id is another attempt: the job is done.
  EXPECT_EQ(client_->CompleteJob(job->id(), R"({"ok": true})", "done-2").error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

}  // namespace
}  // namespace shequ::testing
