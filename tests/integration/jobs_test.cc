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
#include "tests/integration/daemon_process.h"

namespace shequ::testing {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int64_t kDefaultLockMs = 300'000;

void Prepare(grpc::ClientContext* ctx, const std::string& user = "worker-host") {
  ctx->set_deadline(std::chrono::system_clock::now() + seconds(30));
  Identify(ctx, user);
}

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

class JobsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    daemon_ = DaemonProcess::Start({MakeTempDir("jobs")}, &error);
    ASSERT_NE(daemon_, nullptr) << error;
    stubs_ = std::make_unique<Stubs>(daemon_->channel());
    grpc::ClientContext ctx;
    Prepare(&ctx);
    v1::DeployRequest req;
    req.set_yaml(kJobFlow);
    v1::DeployResponse resp;
    grpc::Status s = stubs_->definitions->Deploy(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  std::unique_ptr<Worker> NewWorker(const std::string& type, const std::string& name,
                                    int64_t timeout_ms = 0) {
    return std::make_unique<Worker>(*stubs_->jobs, std::vector<std::string>{type}, name,
                                    timeout_ms);
  }

  int64_t Start(const json& vars = json::object()) {
    grpc::ClientContext ctx;
    Prepare(&ctx);
    v1::StartRequest req;
    req.set_definition_id("job-flow");
    req.set_variables(vars.dump());
    v1::StartResponse resp;
    grpc::Status s = stubs_->instances->Start(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.instance_id();
  }

  v1::Instance Get(int64_t id) {
    grpc::ClientContext ctx;
    Prepare(&ctx);
    v1::GetInstanceRequest req;
    req.set_id(id);
    v1::Instance inst;
    grpc::Status s = stubs_->instances->Get(&ctx, req, &inst);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return inst;
  }

  grpc::Status Complete(int64_t job, const std::string& variables,
                        const std::string& request_id = "") {
    grpc::ClientContext ctx;
    Prepare(&ctx);
    v1::CompleteJobRequest req;
    req.set_job_id(job);
    req.set_variables(variables);
    req.set_request_id(request_id);
    v1::CompleteJobResponse resp;
    return stubs_->jobs->Complete(&ctx, req, &resp);
  }

  grpc::Status Fail(int64_t job, v1::FailJobResponse* resp, const std::string& request_id = "",
                    int retries_left = -1) {
    grpc::ClientContext ctx;
    Prepare(&ctx);
    v1::FailJobRequest req;
    req.set_job_id(job);
    req.set_error("upstream system down");
    req.set_retries_left(retries_left);
    req.set_request_id(request_id);
    return stubs_->jobs->Fail(&ctx, req, resp);
  }

  v1::AdvanceClockResponse Advance(const std::string& by) {
    grpc::ClientContext ctx;
    Prepare(&ctx);
    v1::AdvanceClockRequest req;
    req.set_by(by);
    v1::AdvanceClockResponse resp;
    grpc::Status s = stubs_->admin->AdvanceClock(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  std::vector<v1::Incident> Incidents(int64_t instance_id) {
    grpc::ClientContext ctx;
    Prepare(&ctx);
    v1::ListIncidentsRequest req;
    req.set_instance_id(instance_id);
    v1::ListIncidentsResponse resp;
    grpc::Status s = stubs_->incidents->List(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return {resp.incidents().begin(), resp.incidents().end()};
  }

  grpc::Status Resolve(int64_t incident, int retries, const json& vars) {
    grpc::ClientContext ctx;
    Prepare(&ctx);
    v1::ResolveIncidentRequest req;
    req.set_id(incident);
    req.set_retries(retries);
    req.set_variables(vars.dump());
    v1::ResolveIncidentResponse resp;
    return stubs_->incidents->Resolve(&ctx, req, &resp);
  }

  std::vector<v1::Event> History(int64_t id) {
    grpc::ClientContext ctx;
    Prepare(&ctx);
    v1::HistoryRequest req;
    req.set_instance_id(id);
    v1::HistoryResponse resp;
    grpc::Status s = stubs_->instances->History(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return {resp.events().begin(), resp.events().end()};
  }

  static std::vector<v1::Event> OfType(const std::vector<v1::Event>& events,
                                       const std::string& type) {
    std::vector<v1::Event> out;
    for (const auto& e : events) {
      if (e.type() == type) out.push_back(e);
    }
    return out;
  }

  std::unique_ptr<DaemonProcess> daemon_;
  std::unique_ptr<Stubs> stubs_;
};

TEST_F(JobsTest, ActivatedJobCarriesItsContextAndCompleteMovesOn) {
  int64_t id = Start({{"case", "c-1"}});
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
  EXPECT_EQ(Get(id).state(), "active");

  ASSERT_TRUE(Complete(job->id(), json{{"ok", true}, {"score", 7}}.dump()).ok());
  v1::Instance inst = Get(id);
  EXPECT_EQ(inst.state(), "completed");
  EXPECT_EQ(inst.end_status(), "ok");
  EXPECT_EQ(json::parse(inst.variables()), (json{{"case", "c-1"}, {"ok", true}, {"score", 7}}));
  auto history = History(id);
  auto activated = OfType(history, "job.activated");
  ASSERT_EQ(activated.size(), 1u);
  EXPECT_EQ(json::parse(activated[0].data())["worker"], "w-1");
  EXPECT_EQ(OfType(history, "job.completed").size(), 1u);
}

TEST_F(JobsTest, JobGoesOnlyToAWorkerOfItsType) {
  auto other = NewWorker("test.other", "w-other");
  auto right = NewWorker("test.work", "w-right");
  int64_t id = Start();
  std::optional<v1::Job> job = right->Next();
  ASSERT_TRUE(job.has_value());
  EXPECT_EQ(job->instance_id(), id);
  auto activated = OfType(History(id), "job.activated");
  ASSERT_EQ(activated.size(), 1u);
  EXPECT_EQ(json::parse(activated[0].data())["worker"], "w-right");
  EXPECT_EQ(other->Queued(), 0u);
}

TEST_F(JobsTest, FailRetriesWithExponentialBackoffThenIncidentThenResolve) {
  int64_t id = Start();
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
    ASSERT_TRUE(Fail(job_id, &failed).ok());
    EXPECT_FALSE(failed.incident());
    EXPECT_EQ(failed.retry_at_ms(), now + delay);

    // Not handed out again before the back-off has passed...
    EXPECT_EQ(Advance(Seconds(delay - 1000)).timers_fired(), 0);
    EXPECT_EQ(worker->Queued(), 0u);
    // ...and handed out once it has.
    EXPECT_EQ(Advance("PT1S").timers_fired(), 1);
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
  ASSERT_TRUE(Fail(job_id, &failed).ok());
  EXPECT_TRUE(failed.incident());
  EXPECT_EQ(failed.retry_at_ms(), 0);
  auto incidents = Incidents(id);
  ASSERT_EQ(incidents.size(), 1u);
  EXPECT_EQ(incidents[0].kind(), "job-failed");
  EXPECT_EQ(incidents[0].job_id(), job_id);
  EXPECT_EQ(incidents[0].node_id(), "work");
  EXPECT_NE(incidents[0].message().find("upstream system down"), std::string::npos);
  EXPECT_EQ(Get(id).state(), "active");
  EXPECT_EQ(Advance("P1D").timers_fired(), 0);
  EXPECT_EQ(worker->Queued(), 0u);

  // Resolve: new retries, fixed data, and the job is activated again.
  ASSERT_TRUE(Resolve(incidents[0].id(), 2, {{"ok", true}}).ok());
  job = worker->Next();
  ASSERT_TRUE(job.has_value());
  EXPECT_EQ(job->id(), job_id);
  EXPECT_EQ(job->attempt(), 5);
  EXPECT_EQ(job->retries_left(), 2);
  EXPECT_EQ(json::parse(job->variables())["ok"], true);
  EXPECT_TRUE(Incidents(id).empty());
  ASSERT_TRUE(Complete(job_id, "").ok());
  EXPECT_EQ(Get(id).end_status(), "ok");
  EXPECT_EQ(OfType(History(id), "job.failed").size(), 4u);
}

TEST_F(JobsTest, JobWhoseLockExpiresIsHandedOutAgain) {
  int64_t id = Start();
  auto worker = NewWorker("test.work", "w-slow", /*timeout_ms=*/60'000);
  std::optional<v1::Job> job = worker->Next();
  ASSERT_TRUE(job.has_value());
  EXPECT_EQ(job->deadline_ms(), kMonday0900 + 60'000);
  EXPECT_EQ(Advance("PT59S").timers_fired(), 0);
  EXPECT_EQ(worker->Queued(), 0u);
  EXPECT_EQ(Advance("PT1S").timers_fired(), 1);
  std::optional<v1::Job> again = worker->Next();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->id(), job->id());
  EXPECT_EQ(again->attempt(), 2);
  EXPECT_EQ(again->retries_left(), 4);  // a lost lock is not a failure
  EXPECT_EQ(again->deadline_ms(), kMonday0900 + 120'000);
  EXPECT_EQ(OfType(History(id), "job.timed-out").size(), 1u);
  ASSERT_TRUE(Complete(again->id(), R"({"ok": false})").ok());
  EXPECT_EQ(Get(id).end_status(), "bad");
}

TEST_F(JobsTest, CompleteAndFailRefuseBadRequests) {
  int64_t id = Start();
  // A job nobody activated yet is not the caller's to complete.
  auto created = OfType(History(id), "job.created");
  ASSERT_EQ(created.size(), 1u);
  const int64_t job_id = json::parse(created[0].data())["job"];
  EXPECT_EQ(Complete(job_id, "").error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  auto worker = NewWorker("test.work", "w-1");
  std::optional<v1::Job> job = worker->Next();
  ASSERT_TRUE(job.has_value());
  ASSERT_EQ(job->id(), job_id);

  EXPECT_EQ(Complete(424242, "").error_code(), grpc::StatusCode::NOT_FOUND);
  v1::FailJobResponse failed;
  EXPECT_EQ(Fail(424242, &failed).error_code(), grpc::StatusCode::NOT_FOUND);

  grpc::Status s = Complete(0, "");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("job_id"), std::string::npos) << s.error_message();
  s = Fail(0, &failed);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("job_id"), std::string::npos) << s.error_message();
  s = Fail(job_id, &failed, "", /*retries_left=*/-2);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("retries_left"), std::string::npos) << s.error_message();

  s = Complete(job_id, "{not json");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("variables"), std::string::npos) << s.error_message();
  s = Complete(job_id, "[1, 2]");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("variables"), std::string::npos) << s.error_message();
  s = Complete(job_id, json{{"blob", std::string((1 << 20) + 16, 'x')}}.dump());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(s.error_message().find("variables"), std::string::npos) << s.error_message();
  // None of that touched the job or the instance.
  EXPECT_EQ(Get(id).state(), "active");
  EXPECT_EQ(json::parse(Get(id).variables()), json::object());

  ASSERT_TRUE(Complete(job_id, R"({"ok": true})").ok());
  EXPECT_EQ(Get(id).end_status(), "ok");
  // Completed already: a wrong state, not an unknown job, and not a second effect.
  EXPECT_EQ(Complete(job_id, R"({"ok": false})").error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Fail(job_id, &failed).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(json::parse(Get(id).variables())["ok"], true);
  EXPECT_EQ(OfType(History(id), "job.completed").size(), 1u);
}

TEST_F(JobsTest, ActivateWithoutTypesNamesTheField) {
  grpc::ClientContext ctx;
  Prepare(&ctx);
  v1::ActivateRequest req;
  req.set_worker("w-1");
  auto reader = stubs_->jobs->Activate(&ctx, req);
  v1::Job job;
  EXPECT_FALSE(reader->Read(&job));
  grpc::Status s = reader->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("types"), std::string::npos) << s.error_message();
}

TEST_F(JobsTest, RequestIdMakesCompleteAndFailIdempotent) {
  int64_t first = Start();
  auto worker = NewWorker("test.work", "w-1");
  std::optional<v1::Job> job = worker->Next();
  ASSERT_TRUE(job.has_value());

  // A retried Fail returns the first answer and counts down once.
  v1::FailJobResponse a, b;
  ASSERT_TRUE(Fail(job->id(), &a, "fail-1").ok());
  ASSERT_TRUE(Fail(job->id(), &b, "fail-1").ok());
  EXPECT_EQ(a.retry_at_ms(), kMonday0900 + 10'000);
  EXPECT_EQ(b.retry_at_ms(), a.retry_at_ms());
  EXPECT_FALSE(b.incident());
  EXPECT_EQ(OfType(History(first), "job.failed").size(), 1u);
  Advance("PT10S");
  job = worker->Next();
  ASSERT_TRUE(job.has_value());
  EXPECT_EQ(job->retries_left(), 3);

  // A retried Complete returns OK again, and the instance moves on once.
  ASSERT_TRUE(Complete(job->id(), R"({"ok": true})", "done-1").ok());
  ASSERT_TRUE(Complete(job->id(), R"({"ok": false})", "done-1").ok());
  v1::Instance inst = Get(first);
  EXPECT_EQ(inst.end_status(), "ok");
  EXPECT_EQ(json::parse(inst.variables())["ok"], true);
  auto history = History(first);
  EXPECT_EQ(OfType(history, "job.completed").size(), 1u);
  EXPECT_EQ(OfType(history, "instance.completed").size(), 1u);
  // Another request id is another attempt: the job is done.
  EXPECT_EQ(Complete(job->id(), R"({"ok": true})", "done-2").error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

}  // namespace
}  // namespace shequ::testing
