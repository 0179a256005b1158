// The shipped vacancy-approval workflow, end to end through gRPC on the fake clock.

#include <gtest/gtest.h>

#include "nlohmann/json.hpp"
#include "tests/integration/daemon_process.h"

namespace shequ::testing {
namespace {

using nlohmann::json;

class VacancyApprovalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    daemon_ = DaemonProcess::Start({MakeTempDir("vacancy")}, &error);
    ASSERT_NE(daemon_, nullptr) << error;
    stubs_ = std::make_unique<Stubs>(daemon_->channel());
  }

  int64_t StartRequest(int posts, int vacancies, const std::string& request_id = "") {
    grpc::ClientContext ctx;
    Identify(&ctx, "wang", "street-office", "street-1");
    v1::StartRequest req;
    req.set_definition_id("vacancy-approval");
    req.set_business_key("community-7");
    req.set_unit("community-7");
    req.set_variables(json{{"community", "community-7"}, {"street", "street-1"},
                           {"posts", posts}, {"vacancies", vacancies}}.dump());
    req.set_request_id(request_id);
    v1::StartResponse resp;
    grpc::Status s = stubs_->instances->Start(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.instance_id();
  }

  v1::Instance GetInstance(int64_t id) {
    grpc::ClientContext ctx;
    v1::GetInstanceRequest req;
    req.set_id(id);
    v1::Instance inst;
    EXPECT_TRUE(stubs_->instances->Get(&ctx, req, &inst).ok());
    return inst;
  }

  std::vector<v1::Task> OpenTasks(int64_t instance_id) {
    grpc::ClientContext ctx;
    v1::ListTasksRequest req;
    req.set_instance_id(instance_id);
    v1::ListTasksResponse resp;
    EXPECT_TRUE(stubs_->tasks->List(&ctx, req, &resp).ok());
    return {resp.tasks().begin(), resp.tasks().end()};
  }

  std::vector<v1::Notification> Notifications(const std::string& role) {
    grpc::ClientContext ctx;
    v1::ListNotificationsRequest req;
    req.set_role(role);
    v1::ListNotificationsResponse resp;
    EXPECT_TRUE(stubs_->notifications->List(&ctx, req, &resp).ok());
    return {resp.notifications().begin(), resp.notifications().end()};
  }

  void Advance(const std::string& by) {
    grpc::ClientContext ctx;
    v1::AdvanceClockRequest req;
    req.set_by(by);
    v1::AdvanceClockResponse resp;
    grpc::Status s = stubs_->admin->AdvanceClock(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  grpc::Status Complete(int64_t task, const std::string& user, const std::string& roles,
                        const std::string& outcome) {
    grpc::ClientContext ctx;
    Identify(&ctx, user, roles);
    v1::CompleteRequest req;
    req.set_task_id(task);
    req.set_outcome(outcome);
    v1::TaskResponse resp;
    return stubs_->tasks->Complete(&ctx, req, &resp);
  }

  std::unique_ptr<DaemonProcess> daemon_;
  std::unique_ptr<Stubs> stubs_;
};

TEST_F(VacancyApprovalTest, DeployedAtStartUp) {
  grpc::ClientContext ctx;
  v1::GetDefinitionRequest req;
  req.set_id("vacancy-approval");
  v1::Definition def;
  ASSERT_TRUE(stubs_->definitions->Get(&ctx, req, &def).ok());
  EXPECT_EQ(def.version(), 1);
  EXPECT_NE(def.yaml().find("leading-group"), std::string::npos);
}

TEST_F(VacancyApprovalTest, OverQuotaIsRefusedAtOnce) {
  int64_t id = StartRequest(/*posts=*/3, /*vacancies=*/2);
  v1::Instance inst = GetInstance(id);
  EXPECT_EQ(inst.state(), "completed");
  EXPECT_EQ(inst.end_status(), "over-quota");
  EXPECT_TRUE(OpenTasks(id).empty());
}

TEST_F(VacancyApprovalTest, RemindersEscalationAndApproval) {
  int64_t id = StartRequest(2, 3);
  auto tasks = OpenTasks(id);
  ASSERT_EQ(tasks.size(), 1u);
  const v1::Task& task = tasks[0];
  EXPECT_EQ(task.role(), "leading-group");
  EXPECT_EQ(task.state(), "open");
  // Started Monday 2026-03-02 09:00; five working days later is Monday 2026-03-09 09:00.
  EXPECT_EQ(task.due_at_ms(), kMonday0900 + 7 * kDay);
  auto created = Notifications("leading-group");
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0].kind(), "task.created");

  Advance("3wd");  // Thursday: due in 2 working days -> first reminder
  auto after3 = Notifications("leading-group");
  ASSERT_EQ(after3.size(), 2u);
  EXPECT_EQ(after3[1].kind(), "task.reminder");
  Advance("2wd");  // due now: the -1wd reminder and the due notice
  auto after5 = Notifications("leading-group");
  ASSERT_EQ(after5.size(), 4u);
  EXPECT_EQ(after5[3].kind(), "task.due");
  EXPECT_TRUE(Notifications("district-admin").empty());
  Advance("1wd");  // one working day overdue -> escalated to the district admin
  auto escalated = Notifications("district-admin");
  ASSERT_EQ(escalated.size(), 1u);
  EXPECT_EQ(escalated[0].kind(), "task.escalated");

  // Someone without the role may not decide; an invalid outcome names the field.
  EXPECT_EQ(Complete(task.id(), "zhao", "street-office", "approved").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  grpc::Status bad = Complete(task.id(), "li", "leading-group", "maybe");
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(bad.error_message().find("outcome"), std::string::npos);

  ASSERT_TRUE(Complete(task.id(), "li", "leading-group", "approved").ok());
  v1::Instance inst = GetInstance(id);
  EXPECT_EQ(inst.state(), "completed");
  EXPECT_EQ(inst.end_status(), "approved");
  EXPECT_EQ(json::parse(inst.variables())["approved_posts"], 2);
  // Completing it again is a wrong state, not a second effect.
  EXPECT_EQ(Complete(task.id(), "li", "leading-group", "approved").error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(VacancyApprovalTest, RejectionRoutesToRejected) {
  int64_t id = StartRequest(1, 1);
  auto tasks = OpenTasks(id);
  ASSERT_EQ(tasks.size(), 1u);
  ASSERT_TRUE(Complete(tasks[0].id(), "li", "leading-group", "rejected").ok());
  EXPECT_EQ(GetInstance(id).end_status(), "rejected");
}

TEST_F(VacancyApprovalTest, RequestIdMakesStartIdempotent) {
  int64_t a = StartRequest(1, 2, "req-42");
  int64_t b = StartRequest(1, 2, "req-42");
  EXPECT_EQ(a, b);
  grpc::ClientContext ctx;
  v1::ListInstancesRequest req;
  req.set_definition_id("vacancy-approval");
  v1::ListInstancesResponse resp;
  ASSERT_TRUE(stubs_->instances->List(&ctx, req, &resp).ok());
  EXPECT_EQ(resp.instances_size(), 1);
}

}  // namespace
}  // namespace shequ::testing

namespace shequ::testing {
namespace {

// `make run` uses config/shequd.yaml, which starts the demo instances once.
TEST(DemoTest, ShippedConfigStartsDemoInstancesOnce) {
  DaemonProcess::Options opts{MakeTempDir("demo")};
  opts.config = std::string(SHEQU_SOURCE_DIR) + "/config/shequd.yaml";
  for (int run = 0; run < 2; ++run) {
    std::string error;
    auto daemon = DaemonProcess::Start(opts, &error);
    ASSERT_NE(daemon, nullptr) << error;
    Stubs stubs(daemon->channel());
    grpc::ClientContext ctx;
    v1::ListInstancesRequest req;
    req.set_definition_id("vacancy-approval");
    v1::ListInstancesResponse resp;
    ASSERT_TRUE(stubs.instances->List(&ctx, req, &resp).ok());
    ASSERT_EQ(resp.instances_size(), 3) << "run " << run;
    EXPECT_EQ(resp.instances(2).end_status(), "over-quota");
    EXPECT_EQ(resp.instances(0).state(), "active");
  }
}

}  // namespace
}  // namespace shequ::testing
