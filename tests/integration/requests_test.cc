// Request validation and request_id idempotency through gRPC on the real daemon: bad requests
// name the field at fault with an honest code, and a retry with the same request_id returns the
// first answer without a second effect.

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>

#include "nlohmann/json.hpp"
#include "tests/integration/daemon_process.h"

namespace shequ::testing {
namespace {

using grpc::StatusCode;
using nlohmann::json;

constexpr char kApproveYaml[] = R"(
id: r-approve
start: approve
nodes:
  approve:
    type: user
    role: clerk
    outcomes: [approved, rejected]
    next: done
  done: {type: end}
)";

constexpr char kPersonalYaml[] = R"(
id: r-personal
start: decide
nodes:
  decide: {type: user, assignees: ["${owner}"], next: done}
  done: {type: end}
)";

constexpr char kTwoStepYaml[] = R"(
id: r-two-step
start: draft
nodes:
  draft: {type: user, assignees: ["${author}"], next: review}
  review: {type: user, assignees: ["${reviewer}"], next: done}
  done: {type: end}
)";

constexpr char kMessageYaml[] = R"(
id: r-message
start: wait
nodes:
  wait: {type: message, name: paid, correlate: "${order}", next: done}
  done: {type: end}
)";

constexpr char kJobYaml[] = R"(
id: r-job
start: work
nodes:
  work: {type: service, job: r.work, retries: 3, next: done}
  done: {type: end}
)";

// Says what a status was, for failure messages.
std::string Describe(const grpc::Status& s) {
  return std::to_string(s.error_code()) + " " + s.error_message();
}

// The call failed with `code` and its message names `field`.
#define EXPECT_FIELD_ERROR(status, code, field)                                     \
  do {                                                                              \
    const grpc::Status s_ = (status);                                               \
    EXPECT_EQ(s_.error_code(), (code)) << Describe(s_);                             \
    EXPECT_NE(s_.error_message().find(field), std::string::npos) << Describe(s_);   \
  } while (0)

class RequestsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    data_dir_ = MakeTempDir("requests");
    ASSERT_FALSE(data_dir_.empty());
    daemon_ = DaemonProcess::Start({data_dir_}, &error);
    ASSERT_NE(daemon_, nullptr) << error;
    stubs_ = std::make_unique<Stubs>(daemon_->channel());
  }

  void TearDown() override {
    stubs_.reset();
    daemon_.reset();
    // Keep the data and the daemon's log of a failed test for a look.
    if (!HasFailure() && !data_dir_.empty()) std::filesystem::remove_all(data_dir_);
  }

  grpc::Status Deploy(const std::string& yaml, const std::string& request_id = "",
                      v1::DeployResponse* out = nullptr) {
    grpc::ClientContext ctx;
    v1::DeployRequest req;
    req.set_yaml(yaml);
    req.set_request_id(request_id);
    v1::DeployResponse resp;
    grpc::Status s = stubs_->definitions->Deploy(&ctx, req, &resp);
    if (out) *out = resp;
    return s;
  }

  grpc::Status StartRaw(const v1::StartRequest& req, v1::StartResponse* out = nullptr) {
    grpc::ClientContext ctx;
    Identify(&ctx, "starter", "street-office");
    v1::StartResponse resp;
    grpc::Status s = stubs_->instances->Start(&ctx, req, &resp);
    if (out) *out = resp;
    return s;
  }

  int64_t Start(const std::string& definition, const json& variables,
                const std::string& request_id = "") {
    v1::StartRequest req;
    req.set_definition_id(definition);
    req.set_variables(variables.dump());
    req.set_request_id(request_id);
    v1::StartResponse resp;
    grpc::Status s = StartRaw(req, &resp);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return resp.instance_id();
  }

  v1::Instance GetInstance(int64_t id) {
    grpc::ClientContext ctx;
    v1::GetInstanceRequest req;
    req.set_id(id);
    v1::Instance inst;
    grpc::Status s = stubs_->instances->Get(&ctx, req, &inst);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return inst;
  }

  std::vector<v1::Instance> Instances(const std::string& definition) {
    grpc::ClientContext ctx;
    v1::ListInstancesRequest req;
    req.set_definition_id(definition);
    req.set_state("");
    v1::ListInstancesResponse resp;
    grpc::Status s = stubs_->instances->List(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return {resp.instances().begin(), resp.instances().end()};
  }

  std::vector<v1::Task> TasksOf(int64_t instance_id, const std::string& state = "") {
    grpc::ClientContext ctx;
    v1::ListTasksRequest req;
    req.set_instance_id(instance_id);
    req.set_state(state);
    v1::ListTasksResponse resp;
    grpc::Status s = stubs_->tasks->List(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return {resp.tasks().begin(), resp.tasks().end()};
  }

  v1::Task OnlyTask(int64_t instance_id) {
    auto tasks = TasksOf(instance_id);
    EXPECT_EQ(tasks.size(), 1u);
    return tasks.empty() ? v1::Task() : tasks[0];
  }

  grpc::Status Cancel(int64_t id, const std::string& request_id = "") {
    grpc::ClientContext ctx;
    Identify(&ctx, "admin", "district-admin");
    v1::CancelRequest req;
    req.set_id(id);
    req.set_reason("withdrawn");
    req.set_request_id(request_id);
    v1::CancelResponse resp;
    return stubs_->instances->Cancel(&ctx, req, &resp);
  }

  grpc::Status Claim(int64_t task, const std::string& user, const std::string& roles,
                     const std::string& request_id, v1::Task* out = nullptr) {
    grpc::ClientContext ctx;
    Identify(&ctx, user, roles);
    v1::ClaimRequest req;
    req.set_task_id(task);
    req.set_request_id(request_id);
    v1::TaskResponse resp;
    grpc::Status s = stubs_->tasks->Claim(&ctx, req, &resp);
    if (out) *out = resp.task();
    return s;
  }

  grpc::Status Complete(int64_t task, const std::string& user, const std::string& roles,
                        const std::string& outcome, const std::string& request_id = "",
                        v1::Task* out = nullptr, const std::string& variables = "") {
    grpc::ClientContext ctx;
    Identify(&ctx, user, roles);
    v1::CompleteRequest req;
    req.set_task_id(task);
    req.set_outcome(outcome);
    req.set_variables(variables);
    req.set_request_id(request_id);
    v1::TaskResponse resp;
    grpc::Status s = stubs_->tasks->Complete(&ctx, req, &resp);
    if (out) *out = resp.task();
    return s;
  }

  grpc::Status Publish(const std::string& correlation, const std::string& request_id,
                       v1::PublishMessageResponse* out, const std::string& variables = "") {
    grpc::ClientContext ctx;
    Identify(&ctx, "bank");
    v1::PublishMessageRequest req;
    req.set_name("paid");
    req.set_correlation(correlation);
    req.set_variables(variables);
    req.set_request_id(request_id);
    return stubs_->instances->PublishMessage(&ctx, req, out);
  }

  std::vector<v1::Notification> Notifications(const std::string& recipient, bool include_acked) {
    grpc::ClientContext ctx;
    v1::ListNotificationsRequest req;
    req.set_recipient(recipient);
    req.set_include_acked(include_acked);
    v1::ListNotificationsResponse resp;
    grpc::Status s = stubs_->notifications->List(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return {resp.notifications().begin(), resp.notifications().end()};
  }

  grpc::Status Ack(int64_t id, const std::string& user, const std::string& request_id) {
    grpc::ClientContext ctx;
    Identify(&ctx, user);
    v1::AckRequest req;
    req.set_id(id);
    req.set_request_id(request_id);
    v1::AckResponse resp;
    return stubs_->notifications->Ack(&ctx, req, &resp);
  }

  void AdvanceBy(const std::string& by) {
    grpc::ClientContext ctx;
    v1::AdvanceClockRequest req;
    req.set_by(by);
    v1::AdvanceClockResponse resp;
    grpc::Status s = stubs_->admin->AdvanceClock(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << Describe(s);
  }

  // Activates one job of `type`; its id, or 0.
  v1::Job ActivateOne(const std::string& type) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    v1::ActivateRequest req;
    req.add_types(type);
    req.set_worker("worker-1");
    req.set_max_jobs(1);
    auto reader = stubs_->jobs->Activate(&ctx, req);
    v1::Job job;
    EXPECT_TRUE(reader->Read(&job));
    v1::Job extra;
    EXPECT_FALSE(reader->Read(&extra));
    grpc::Status s = reader->Finish();
    EXPECT_TRUE(s.ok()) << Describe(s);
    return job;
  }

  std::string data_dir_;
  std::unique_ptr<DaemonProcess> daemon_;
  std::unique_ptr<Stubs> stubs_;
};

// ---- bad requests --------------------------------------------------------------------------

TEST_F(RequestsTest, StartNamesTheFieldAtFault) {
  ASSERT_TRUE(Deploy(kApproveYaml).ok());
  v1::StartRequest req;
  req.set_definition_id("");
  EXPECT_FIELD_ERROR(StartRaw(req), StatusCode::INVALID_ARGUMENT, "definition_id");

  req.set_definition_id("no-such-workflow");
  EXPECT_FIELD_ERROR(StartRaw(req), StatusCode::NOT_FOUND, "no-such-workflow");

  req.set_definition_id("r-approve");
  req.set_version(7);
  EXPECT_FIELD_ERROR(StartRaw(req), StatusCode::NOT_FOUND, "version");
  req.set_version(-1);
  EXPECT_FIELD_ERROR(StartRaw(req), StatusCode::INVALID_ARGUMENT, "version");
  req.set_version(0);

  for (const char* bad : {"{not json", "{\"a\": 1", "nul"}) {
    req.set_variables(bad);
    EXPECT_FIELD_ERROR(StartRaw(req), StatusCode::INVALID_ARGUMENT, "variables");
  }
  for (const char* not_object : {"[1, 2]", "42", "\"text\"", "null", "true"}) {
    req.set_variables(not_object);
    EXPECT_FIELD_ERROR(StartRaw(req), StatusCode::INVALID_ARGUMENT, "variables");
  }
  // Just over 1 MiB of JSON text.
  req.set_variables(json{{"blob", std::string(1 << 20, 'x')}}.dump());
  EXPECT_FIELD_ERROR(StartRaw(req), StatusCode::RESOURCE_EXHAUSTED, "variables");
  EXPECT_TRUE(Instances("r-approve").empty());  // nothing of that started anything

  // Just under the limit is fine.
  req.set_variables(json{{"blob", std::string((1 << 20) - 100, 'x')}}.dump());
  v1::StartResponse resp;
  grpc::Status ok = StartRaw(req, &resp);
  ASSERT_TRUE(ok.ok()) << Describe(ok);
  EXPECT_EQ(resp.definition_version(), 1);
  EXPECT_EQ(Instances("r-approve").size(), 1u);
}

TEST_F(RequestsTest, CompleteRefusesBadAndOversizeVariables) {
  ASSERT_TRUE(Deploy(kApproveYaml).ok());
  int64_t id = Start("r-approve", {{"blob", std::string(600 << 10, 'a')}});
  v1::Task task = OnlyTask(id);
  EXPECT_FIELD_ERROR(Complete(task.id(), "li", "clerk", "approved", "", nullptr, "[]"),
                     StatusCode::INVALID_ARGUMENT, "variables");
  EXPECT_FIELD_ERROR(Complete(task.id(), "li", "clerk", "approved", "", nullptr, "{oops"),
                     StatusCode::INVALID_ARGUMENT, "variables");
  // Each part is under 1 MiB; merged into the instance they would not be.
  EXPECT_FIELD_ERROR(Complete(task.id(), "li", "clerk", "approved", "", nullptr,
                              json{{"more", std::string(600 << 10, 'b')}}.dump()),
                     StatusCode::RESOURCE_EXHAUSTED, "variables");
  EXPECT_EQ(OnlyTask(id).state(), "open");
  EXPECT_EQ(GetInstance(id).state(), "active");
}

TEST_F(RequestsTest, PagingIsChecked) {
  auto check = [&](const std::string& what, const std::function<grpc::Status(v1::PageRequest)>& call) {
    SCOPED_TRACE(what);
    v1::PageRequest page;
    page.set_page_size(1001);
    EXPECT_FIELD_ERROR(call(page), StatusCode::INVALID_ARGUMENT, "page_size");
    page.set_page_size(-1);
    EXPECT_FIELD_ERROR(call(page), StatusCode::INVALID_ARGUMENT, "page_size");
    page.set_page_size(1000);
    EXPECT_TRUE(call(page).ok()) << what;
    page.set_page_size(0);
    for (const char* token : {"not-a-token", "12abc", " "}) {
      SCOPED_TRACE(token);
      page.set_page_token(token);
      EXPECT_FIELD_ERROR(call(page), StatusCode::INVALID_ARGUMENT, "page_token");
    }
  };
  check("Instances/List", [&](v1::PageRequest p) {
    grpc::ClientContext ctx;
    v1::ListInstancesRequest req;
    *req.mutable_page() = p;
    v1::ListInstancesResponse resp;
    return stubs_->instances->List(&ctx, req, &resp);
  });
  check("Tasks/List", [&](v1::PageRequest p) {
    grpc::ClientContext ctx;
    v1::ListTasksRequest req;
    *req.mutable_page() = p;
    v1::ListTasksResponse resp;
    return stubs_->tasks->List(&ctx, req, &resp);
  });
  check("Notifications/List", [&](v1::PageRequest p) {
    grpc::ClientContext ctx;
    v1::ListNotificationsRequest req;
    req.set_role("clerk");
    *req.mutable_page() = p;
    v1::ListNotificationsResponse resp;
    return stubs_->notifications->List(&ctx, req, &resp);
  });
  check("Incidents/List", [&](v1::PageRequest p) {
    grpc::ClientContext ctx;
    v1::ListIncidentsRequest req;
    *req.mutable_page() = p;
    v1::ListIncidentsResponse resp;
    return stubs_->incidents->List(&ctx, req, &resp);
  });

  // Notifications/List needs an audience.
  grpc::ClientContext ctx;
  v1::ListNotificationsRequest req;
  v1::ListNotificationsResponse resp;
  grpc::Status s = stubs_->notifications->List(&ctx, req, &resp);
  EXPECT_FIELD_ERROR(s, StatusCode::INVALID_ARGUMENT, "recipient");
}

TEST_F(RequestsTest, UnknownStateFiltersAreRefused) {
  {
    grpc::ClientContext ctx;
    v1::ListInstancesRequest req;
    req.set_state("running");
    v1::ListInstancesResponse resp;
    EXPECT_FIELD_ERROR(stubs_->instances->List(&ctx, req, &resp), StatusCode::INVALID_ARGUMENT,
                       "state");
  }
  {
    grpc::ClientContext ctx;
    v1::ListTasksRequest req;
    req.set_state("done");
    v1::ListTasksResponse resp;
    EXPECT_FIELD_ERROR(stubs_->tasks->List(&ctx, req, &resp), StatusCode::INVALID_ARGUMENT,
                       "state");
  }
  {
    grpc::ClientContext ctx;
    v1::ListIncidentsRequest req;
    req.set_state("bogus");
    v1::ListIncidentsResponse resp;
    EXPECT_FIELD_ERROR(stubs_->incidents->List(&ctx, req, &resp), StatusCode::INVALID_ARGUMENT,
                       "state");
  }
  // The known ones are accepted.
  for (const char* state : {"", "active", "completed", "cancelled", "failed"}) {
    grpc::ClientContext ctx;
    v1::ListInstancesRequest req;
    req.set_state(state);
    v1::ListInstancesResponse resp;
    EXPECT_TRUE(stubs_->instances->List(&ctx, req, &resp).ok()) << state;
  }
  for (const char* state : {"", "open", "claimed", "delegated", "completed", "cancelled"}) {
    grpc::ClientContext ctx;
    v1::ListTasksRequest req;
    req.set_state(state);
    v1::ListTasksResponse resp;
    EXPECT_TRUE(stubs_->tasks->List(&ctx, req, &resp).ok()) << state;
  }
  for (const char* state : {"", "open", "resolved", "closed"}) {
    grpc::ClientContext ctx;
    v1::ListIncidentsRequest req;
    req.set_state(state);
    v1::ListIncidentsResponse resp;
    EXPECT_TRUE(stubs_->incidents->List(&ctx, req, &resp).ok()) << state;
  }
}

TEST_F(RequestsTest, ZeroIdsNameTheField) {
  for (int64_t id : {int64_t{0}, int64_t{-3}}) {
    SCOPED_TRACE(id);
    {
      grpc::ClientContext ctx;
      v1::GetInstanceRequest req;
      req.set_id(id);
      v1::Instance resp;
      EXPECT_FIELD_ERROR(stubs_->instances->Get(&ctx, req, &resp), StatusCode::INVALID_ARGUMENT,
                         "id");
    }
    EXPECT_FIELD_ERROR(Cancel(id), StatusCode::INVALID_ARGUMENT, "id");
    {
      grpc::ClientContext ctx;
      v1::HistoryRequest req;
      req.set_instance_id(id);
      v1::HistoryResponse resp;
      EXPECT_FIELD_ERROR(stubs_->instances->History(&ctx, req, &resp),
                         StatusCode::INVALID_ARGUMENT, "instance_id");
    }
    {
      grpc::ClientContext ctx;
      v1::GetTaskRequest req;
      req.set_id(id);
      v1::Task resp;
      EXPECT_FIELD_ERROR(stubs_->tasks->Get(&ctx, req, &resp), StatusCode::INVALID_ARGUMENT,
                         "id");
    }
    EXPECT_FIELD_ERROR(Claim(id, "li", "clerk", ""), StatusCode::INVALID_ARGUMENT, "task_id");
    EXPECT_FIELD_ERROR(Complete(id, "li", "clerk", "approved"), StatusCode::INVALID_ARGUMENT,
                       "task_id");
    {
      grpc::ClientContext ctx;
      Identify(&ctx, "li");
      v1::DelegateRequest req;
      req.set_task_id(id);
      req.set_to("wu");
      v1::TaskResponse resp;
      EXPECT_FIELD_ERROR(stubs_->tasks->Delegate(&ctx, req, &resp), StatusCode::INVALID_ARGUMENT,
                         "task_id");
    }
    {
      grpc::ClientContext ctx;
      Identify(&ctx, "li");
      v1::TransferRequest req;
      req.set_task_id(id);
      req.set_to("wu");
      v1::TaskResponse resp;
      EXPECT_FIELD_ERROR(stubs_->tasks->Transfer(&ctx, req, &resp), StatusCode::INVALID_ARGUMENT,
                         "task_id");
    }
    {
      grpc::ClientContext ctx;
      Identify(&ctx, "li");
      v1::ReturnRequest req;
      req.set_task_id(id);
      req.set_to_node("draft");
      v1::TaskResponse resp;
      EXPECT_FIELD_ERROR(stubs_->tasks->Return(&ctx, req, &resp), StatusCode::INVALID_ARGUMENT,
                         "task_id");
    }
    EXPECT_FIELD_ERROR(Ack(id, "li", ""), StatusCode::INVALID_ARGUMENT, "id");
    {
      grpc::ClientContext ctx;
      v1::CompleteJobRequest req;
      req.set_job_id(id);
      v1::CompleteJobResponse resp;
      EXPECT_FIELD_ERROR(stubs_->jobs->Complete(&ctx, req, &resp), StatusCode::INVALID_ARGUMENT,
                         "job_id");
    }
    {
      grpc::ClientContext ctx;
      v1::FailJobRequest req;
      req.set_job_id(id);
      v1::FailJobResponse resp;
      EXPECT_FIELD_ERROR(stubs_->jobs->Fail(&ctx, req, &resp), StatusCode::INVALID_ARGUMENT,
                         "job_id");
    }
    {
      grpc::ClientContext ctx;
      v1::ResolveIncidentRequest req;
      req.set_id(id);
      v1::ResolveIncidentResponse resp;
      EXPECT_FIELD_ERROR(stubs_->incidents->Resolve(&ctx, req, &resp),
                         StatusCode::INVALID_ARGUMENT, "id");
    }
  }
  // Ids that are well formed but unknown are NOT_FOUND.
  EXPECT_EQ(Cancel(424242).error_code(), StatusCode::NOT_FOUND);
  EXPECT_EQ(Claim(424242, "li", "clerk", "").error_code(), StatusCode::NOT_FOUND);
  EXPECT_EQ(Ack(424242, "li", "").error_code(), StatusCode::NOT_FOUND);
}

TEST_F(RequestsTest, DeployNamesTheFieldAtFault) {
  EXPECT_FIELD_ERROR(Deploy(""), StatusCode::INVALID_ARGUMENT, "yaml");
  grpc::Status dangling = Deploy(R"(
id: r-bad
start: a
nodes:
  a: {type: user, role: clerk, next: nowhere}
)");
  EXPECT_FIELD_ERROR(dangling, StatusCode::INVALID_ARGUMENT, "next");
  EXPECT_NE(dangling.error_message().find("'a'"), std::string::npos) << Describe(dangling);
  grpc::ClientContext ctx;
  v1::GetDefinitionRequest req;
  req.set_id("r-bad");
  v1::Definition def;
  EXPECT_EQ(stubs_->definitions->Get(&ctx, req, &def).error_code(), StatusCode::NOT_FOUND);
}

// ---- cancel --------------------------------------------------------------------------------

TEST_F(RequestsTest, CancelOfAnEndedInstanceIsAWrongState) {
  ASSERT_TRUE(Deploy(kApproveYaml).ok());
  int64_t done = Start("r-approve", json::object());
  ASSERT_TRUE(Complete(OnlyTask(done).id(), "li", "clerk", "approved").ok());
  ASSERT_EQ(GetInstance(done).state(), "completed");
  grpc::Status s = Cancel(done);
  EXPECT_EQ(s.error_code(), StatusCode::FAILED_PRECONDITION) << Describe(s);
  EXPECT_NE(s.error_message().find("completed"), std::string::npos) << Describe(s);
  EXPECT_EQ(GetInstance(done).state(), "completed");

  int64_t live = Start("r-approve", json::object());
  v1::Task task = OnlyTask(live);
  ASSERT_TRUE(Cancel(live).ok());
  v1::Instance inst = GetInstance(live);
  EXPECT_EQ(inst.state(), "cancelled");
  EXPECT_EQ(inst.ended_at_ms(), kMonday0900);
  EXPECT_EQ(inst.current_nodes_size(), 0);
  EXPECT_TRUE(TasksOf(live).empty());
  ASSERT_EQ(TasksOf(live, "cancelled").size(), 1u);
  EXPECT_EQ(TasksOf(live, "cancelled")[0].id(), task.id());
  EXPECT_EQ(Cancel(live).error_code(), StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Complete(task.id(), "li", "clerk", "approved").error_code(),
            StatusCode::FAILED_PRECONDITION);
}

// ---- request_id idempotency ----------------------------------------------------------------

TEST_F(RequestsTest, StartRetryReturnsTheFirstInstance) {
  ASSERT_TRUE(Deploy(kApproveYaml).ok());
  int64_t a = Start("r-approve", {{"n", 1}}, "start-1");
  int64_t b = Start("r-approve", {{"n", 2}}, "start-1");  // a retry, even if the body differs
  EXPECT_EQ(a, b);
  int64_t c = Start("r-approve", {{"n", 1}}, "start-2");
  EXPECT_NE(c, a);
  auto all = Instances("r-approve");
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(json::parse(GetInstance(a).variables())["n"], 1);
  EXPECT_EQ(TasksOf(a).size(), 1u);  // one task, not two
}

TEST_F(RequestsTest, DeployRetryReturnsTheFirstAnswer) {
  v1::DeployResponse first, retry, plain;
  ASSERT_TRUE(Deploy(kApproveYaml, "deploy-1", &first).ok());
  EXPECT_EQ(first.id(), "r-approve");
  EXPECT_EQ(first.version(), 1);
  EXPECT_TRUE(first.changed());
  // Without a request id, the same text again is "unchanged"; the retry gets the first answer.
  ASSERT_TRUE(Deploy(kApproveYaml, "deploy-1", &retry).ok());
  EXPECT_EQ(retry.version(), 1);
  EXPECT_TRUE(retry.changed());
  ASSERT_TRUE(Deploy(kApproveYaml, "", &plain).ok());
  EXPECT_EQ(plain.version(), 1);
  EXPECT_FALSE(plain.changed());
  // A retry whose text differs still deploys nothing new.
  std::string changed = std::string(kApproveYaml) + "# edited\n";
  ASSERT_TRUE(Deploy(changed, "deploy-1", &retry).ok());
  EXPECT_EQ(retry.version(), 1);
  grpc::ClientContext ctx;
  v1::GetDefinitionRequest req;
  req.set_id("r-approve");
  v1::Definition def;
  ASSERT_TRUE(stubs_->definitions->Get(&ctx, req, &def).ok());
  EXPECT_EQ(def.version(), 1);
  EXPECT_EQ(def.yaml(), kApproveYaml);
}

TEST_F(RequestsTest, ClaimAndCompleteRetriesReturnTheFirstAnswer) {
  ASSERT_TRUE(Deploy(kApproveYaml).ok());
  int64_t id = Start("r-approve", json::object());
  v1::Task task = OnlyTask(id);

  v1::Task claimed, retried;
  ASSERT_TRUE(Claim(task.id(), "li", "clerk", "claim-1", &claimed).ok());
  EXPECT_EQ(claimed.state(), "claimed");
  v1::Task done;
  ASSERT_TRUE(Complete(task.id(), "li", "clerk", "approved", "complete-1", &done).ok());
  EXPECT_EQ(done.state(), "completed");
  EXPECT_EQ(GetInstance(id).state(), "completed");

  // Both retries answer as the first time, not FAILED_PRECONDITION for a completed task.
  grpc::Status s = Claim(task.id(), "li", "clerk", "claim-1", &retried);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(retried.id(), task.id());
  EXPECT_EQ(retried.state(), "claimed");
  EXPECT_EQ(retried.assignee(), "li");
  s = Complete(task.id(), "li", "clerk", "rejected", "complete-1", &retried);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(retried.state(), "completed");
  EXPECT_EQ(retried.outcome(), "approved");
  EXPECT_EQ(retried.completed_by(), "li");
  // ... with no second effect.
  v1::Task stored = TasksOf(id, "completed").at(0);
  EXPECT_EQ(stored.outcome(), "approved");
  EXPECT_EQ(json::parse(GetInstance(id).variables())["outcome"], "approved");
  // Without the request id it is the wrong state it is.
  EXPECT_EQ(Complete(task.id(), "li", "clerk", "approved").error_code(),
            StatusCode::FAILED_PRECONDITION);
}

TEST_F(RequestsTest, CompleteRetryDoesNotCompleteTheNextStep) {
  ASSERT_TRUE(Deploy(kTwoStepYaml).ok());
  int64_t id = Start("r-two-step", {{"author", "li"}, {"reviewer", "li"}});
  v1::Task draft = OnlyTask(id);
  v1::Task first, retry;
  ASSERT_TRUE(Complete(draft.id(), "li", "", "", "step", &first).ok());
  v1::Task review = OnlyTask(id);
  EXPECT_EQ(review.node_id(), "review");
  ASSERT_TRUE(Complete(draft.id(), "li", "", "", "step", &retry).ok());
  EXPECT_EQ(retry.id(), draft.id());
  EXPECT_EQ(OnlyTask(id).id(), review.id());  // the review is still open
  EXPECT_EQ(GetInstance(id).state(), "active");
}

TEST_F(RequestsTest, DelegateTransferReturnRetriesReturnTheFirstAnswer) {
  ASSERT_TRUE(Deploy(kTwoStepYaml).ok());
  int64_t id = Start("r-two-step", {{"author", "li"}, {"reviewer", "wu"}});
  v1::Task draft = OnlyTask(id);

  auto delegate = [&](const std::string& user, const std::string& to, v1::Task* out) {
    grpc::ClientContext ctx;
    Identify(&ctx, user);
    v1::DelegateRequest req;
    req.set_task_id(draft.id());
    req.set_to(to);
    req.set_request_id("delegate-1");
    v1::TaskResponse resp;
    grpc::Status s = stubs_->tasks->Delegate(&ctx, req, &resp);
    *out = resp.task();
    return s;
  };
  v1::Task a, b;
  ASSERT_TRUE(delegate("li", "zhang", &a).ok());
  EXPECT_EQ(a.assignee(), "zhang");
  // The retry does not delegate zhang's task a second time (which would be refused).
  grpc::Status s = delegate("li", "zhang", &b);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(b.state(), "delegated");
  EXPECT_EQ(b.owner(), "li");
  ASSERT_EQ(Notifications("zhang", true).size(), 1u);  // told once

  ASSERT_TRUE(Complete(draft.id(), "zhang", "", "", "").ok());  // back to li
  ASSERT_TRUE(Complete(draft.id(), "li", "", "", "").ok());
  v1::Task review = OnlyTask(id);

  auto transfer = [&](const std::string& to, v1::Task* out) {
    grpc::ClientContext ctx;
    Identify(&ctx, "wu");
    v1::TransferRequest req;
    req.set_task_id(review.id());
    req.set_to(to);
    req.set_request_id("transfer-1");
    v1::TaskResponse resp;
    grpc::Status st = stubs_->tasks->Transfer(&ctx, req, &resp);
    *out = resp.task();
    return st;
  };
  ASSERT_TRUE(transfer("zhao", &a).ok());
  s = transfer("zhao", &b);  // wu no longer holds it, yet the retry answers as the first time
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(b.assignee(), "zhao");
  EXPECT_EQ(Notifications("zhao", true).size(), 1u);

  auto ret = [&](v1::Task* out) {
    grpc::ClientContext ctx;
    Identify(&ctx, "zhao");
    v1::ReturnRequest req;
    req.set_task_id(review.id());
    req.set_to_node("draft");
    req.set_request_id("return-1");
    v1::TaskResponse resp;
    grpc::Status st = stubs_->tasks->Return(&ctx, req, &resp);
    *out = resp.task();
    return st;
  };
  ASSERT_TRUE(ret(&a).ok());
  auto drafts = TasksOf(id);
  ASSERT_EQ(drafts.size(), 1u);
  s = ret(&b);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(b.state(), "cancelled");
  // One new draft task, not two.
  auto after = TasksOf(id);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].id(), drafts[0].id());
}

TEST_F(RequestsTest, CancelRetryReturnsOk) {
  ASSERT_TRUE(Deploy(kApproveYaml).ok());
  int64_t id = Start("r-approve", json::object());
  ASSERT_TRUE(Cancel(id, "cancel-1").ok());
  grpc::Status retry = Cancel(id, "cancel-1");
  EXPECT_TRUE(retry.ok()) << Describe(retry);
  EXPECT_EQ(Cancel(id).error_code(), StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Cancel(id, "cancel-2").error_code(), StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(GetInstance(id).state(), "cancelled");
  // Exactly one cancellation in the history.
  grpc::ClientContext ctx;
  v1::HistoryRequest req;
  req.set_instance_id(id);
  v1::HistoryResponse resp;
  ASSERT_TRUE(stubs_->instances->History(&ctx, req, &resp).ok());
  int cancelled = 0;
  for (const auto& e : resp.events()) cancelled += e.type() == "instance.cancelled";
  EXPECT_EQ(cancelled, 1);
}

TEST_F(RequestsTest, PublishMessageRetryDoesNotDeliverTwice) {
  ASSERT_TRUE(Deploy(kMessageYaml).ok());
  int64_t first = Start("r-message", {{"order", "o-1"}});
  int64_t second = Start("r-message", {{"order", "o-1"}});
  v1::PublishMessageResponse a, b, c;
  ASSERT_TRUE(Publish("o-1", "pay-1", &a, R"({"amount": 5})").ok());
  EXPECT_EQ(a.delivered_to(), first);
  EXPECT_FALSE(a.buffered());
  ASSERT_TRUE(Publish("o-1", "pay-1", &b, R"({"amount": 5})").ok());
  EXPECT_EQ(b.delivered_to(), first);  // the first answer again
  EXPECT_EQ(GetInstance(first).state(), "completed");
  EXPECT_EQ(GetInstance(second).state(), "active");  // not delivered a second time
  ASSERT_TRUE(Publish("o-1", "pay-2", &c).ok());
  EXPECT_EQ(c.delivered_to(), second);
  EXPECT_EQ(GetInstance(second).state(), "completed");
  EXPECT_EQ(json::parse(GetInstance(first).variables())["amount"], 5);

  // A buffered message is buffered once: the retry does not add a second copy.
  v1::PublishMessageResponse d, e;
  {
    grpc::ClientContext ctx;
    v1::PublishMessageRequest req;
    req.set_name("paid");
    req.set_correlation("o-3");
    req.set_ttl_ms(kHour);
    req.set_request_id("pay-4");
    ASSERT_TRUE(stubs_->instances->PublishMessage(&ctx, req, &d).ok());
    grpc::ClientContext ctx2;
    ASSERT_TRUE(stubs_->instances->PublishMessage(&ctx2, req, &e).ok());
  }
  EXPECT_TRUE(d.buffered());
  EXPECT_TRUE(e.buffered());
  int64_t third = Start("r-message", {{"order", "o-3"}});
  int64_t fourth = Start("r-message", {{"order", "o-3"}});
  EXPECT_EQ(GetInstance(third).state(), "completed");
  EXPECT_EQ(GetInstance(fourth).state(), "active");  // there was only one buffered copy
}

TEST_F(RequestsTest, AckRetryReturnsTheFirstAnswer) {
  ASSERT_TRUE(Deploy(kPersonalYaml).ok());
  Start("r-personal", {{"owner", "li"}});
  auto mine = Notifications("li", false);
  ASSERT_EQ(mine.size(), 1u);
  ASSERT_TRUE(Ack(mine[0].id(), "li", "ack-1").ok());
  AdvanceBy("PT1H");
  ASSERT_TRUE(Ack(mine[0].id(), "li", "ack-1").ok());
  auto acked = Notifications("li", true);
  ASSERT_EQ(acked.size(), 1u);
  EXPECT_EQ(acked[0].acked_at_ms(), kMonday0900);
  EXPECT_EQ(acked[0].acked_by(), "li");
}

TEST_F(RequestsTest, JobCompleteAndFailRetriesReturnTheFirstAnswer) {
  ASSERT_TRUE(Deploy(kJobYaml).ok());
  int64_t id = Start("r-job", json::object());
  v1::Job job = ActivateOne("r.work");
  ASSERT_GT(job.id(), 0);
  EXPECT_EQ(job.instance_id(), id);
  EXPECT_EQ(job.retries_left(), 3);

  auto fail = [&](v1::FailJobResponse* out) {
    grpc::ClientContext ctx;
    v1::FailJobRequest req;
    req.set_job_id(job.id());
    req.set_error("printer on fire");
    req.set_retries_left(-1);
    req.set_request_id("fail-1");
    return stubs_->jobs->Fail(&ctx, req, out);
  };
  v1::FailJobResponse f1, f2;
  ASSERT_TRUE(fail(&f1).ok());
  EXPECT_FALSE(f1.incident());
  EXPECT_GT(f1.retry_at_ms(), kMonday0900);
  ASSERT_TRUE(fail(&f2).ok());  // the job is no longer active; the retry answers as before
  EXPECT_EQ(f2.retry_at_ms(), f1.retry_at_ms());

  AdvanceBy("PT2H");  // past the back-off
  v1::Job again = ActivateOne("r.work");
  EXPECT_EQ(again.id(), job.id());
  EXPECT_EQ(again.retries_left(), 2);  // counted down once, not twice
  EXPECT_EQ(again.attempt(), 2);

  auto complete = [&]() {
    grpc::ClientContext ctx;
    v1::CompleteJobRequest req;
    req.set_job_id(job.id());
    req.set_variables(R"({"printed": true})");
    req.set_request_id("done-1");
    v1::CompleteJobResponse resp;
    return stubs_->jobs->Complete(&ctx, req, &resp);
  };
  ASSERT_TRUE(complete().ok());
  EXPECT_EQ(GetInstance(id).state(), "completed");
  grpc::Status retry = complete();
  EXPECT_TRUE(retry.ok()) << Describe(retry);
}

// A request id is a retry of the same call only: reusing one on another kind of call must not
// hand that call a foreign answer (or take the daemon down).
TEST_F(RequestsTest, RequestIdsDoNotCrossCalls) {
  ASSERT_TRUE(Deploy(kApproveYaml).ok());
  int64_t id = Start("r-approve", json::object(), "shared-1");
  ASSERT_GT(id, 0);

  // Cancel with that id really cancels.
  ASSERT_TRUE(Cancel(id, "shared-1").ok());
  EXPECT_EQ(GetInstance(id).state(), "cancelled");

  // Deploy with that id deploys, and answers with a definition.
  v1::DeployResponse deployed;
  grpc::Status s = Deploy(kPersonalYaml, "shared-1", &deployed);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(deployed.id(), "r-personal");
  EXPECT_EQ(deployed.version(), 1);

  // Claim with it answers with a task.
  int64_t other = Start("r-approve", json::object());
  v1::Task task = OnlyTask(other);
  v1::Task claimed;
  s = Claim(task.id(), "li", "clerk", "shared-1", &claimed);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(claimed.id(), task.id());
  EXPECT_EQ(claimed.assignee(), "li");

  // And the original call's retry still gets its own first answer.
  EXPECT_EQ(Start("r-approve", json::object(), "shared-1"), id);
  // The daemon is still serving.
  grpc::ClientContext ctx;
  v1::StatsRequest req;
  v1::StatsResponse stats;
  EXPECT_TRUE(stubs_->admin->Stats(&ctx, req, &stats).ok());
}

}  // namespace
}  // namespace shequ::testing
