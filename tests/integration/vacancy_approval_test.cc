// The shipped vacancy-approval workflow, end to end through gRPC on the fake clock.

#include <gtest/gtest.h>

#include <fstream>

#include "nlohmann/json.hpp"
#include "tests/integration/client.h"

namespace shequ::testing {
namespace {

using nlohmann::json;

class VacancyApprovalTest : public DaemonTest {
 protected:
  VacancyApprovalTest() : DaemonTest("vacancy") {}

  // community-7 of street-1, 3 approved posts, nobody on them: 3 vacancies in the registry.
  void SetUp() override {
    DaemonTest::SetUp();
    ASSERT_TRUE(CreateUnit("bh", "", "包河区", "district").ok());
    ASSERT_TRUE(CreateUnit("street-1", "bh", "和平街道", "street").ok());
    ASSERT_TRUE(CreateUnit("community-7", "street-1", "幸福里社区", "community").ok());
    grpc::Status s = client_->ReviseQuota("community-7", 3);
    ASSERT_TRUE(s.ok()) << Describe(s);
  }

  grpc::Status CreateUnit(const std::string& id, const std::string& parent,
                          const std::string& name, const std::string& kind) {
    v1::CreateUnitRequest req;
    req.mutable_unit()->set_id(id);
    req.mutable_unit()->set_parent_id(parent);
    req.mutable_unit()->set_name(name);
    req.mutable_unit()->set_kind(kind);
    if (kind == "community") req.mutable_unit()->set_community_type("城市社区");
    grpc::ClientContext ctx;
    client_->Prepare(&ctx, {"root", "district-admin", ""});
    v1::Unit out;
    return client_->stubs.workforce->CreateUnit(&ctx, req, &out);
  }

  // `vacancies` is what the caller claims; the workflow reads the registry's instead.
  int64_t StartRequest(int posts, int vacancies = 0, const std::string& request_id = "") {
    v1::StartRequest req;
    req.set_definition_id("vacancy-approval");
    req.set_business_key("community-7");
    req.set_unit("community-7");
    req.set_variables(json{{"community", "community-7"}, {"street", "street-1"},
                           {"posts", posts}, {"vacancies", vacancies}}.dump());
    req.set_request_id(request_id);
    return client_->Start(req, {"wang", "street-office", "street-1"});
  }
};

TEST_F(VacancyApprovalTest, DeployedAtStartUp) {
  v1::Definition def;
  ASSERT_TRUE(client_->GetDefinition("vacancy-approval", &def).ok());
  EXPECT_EQ(def.version(), 1);
  EXPECT_NE(def.yaml().find("leading-group"), std::string::npos);
}

TEST_F(VacancyApprovalTest, OverQuotaIsRefusedAtOnce) {
  // 4 posts asked for, 3 vacant in the registry: claiming 99 vacancies changes nothing.
  int64_t id = StartRequest(/*posts=*/4, /*vacancies=*/99);
  v1::Instance inst = client_->Instance(id);
  EXPECT_EQ(inst.state(), "completed");
  EXPECT_EQ(inst.end_status(), "over-quota");
  EXPECT_EQ(json::parse(inst.variables())["vacancies"], 3);
  EXPECT_TRUE(client_->Tasks(id).empty());
}

TEST_F(VacancyApprovalTest, TheVacanciesComeFromTheRegistry) {
  // Claiming none does not refuse a request the registry has room for.
  int64_t id = StartRequest(/*posts=*/3, /*vacancies=*/0);
  EXPECT_EQ(json::parse(client_->Instance(id).variables())["vacancies"], 3);
  EXPECT_EQ(client_->Tasks(id).size(), 1u);
}

TEST_F(VacancyApprovalTest, AStreetOfficeAsksOnlyForItsCommunities) {
  v1::StartRequest req;
  req.set_definition_id("vacancy-approval");
  req.set_unit("community-7");
  req.set_variables(json{{"community", "community-7"}, {"posts", 1}}.dump());
  grpc::Status s = client_->TryStart(req, nullptr, {"zhao", "street-office", "street-2"});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(s);
  EXPECT_EQ(s.error_message(),
            "street office street-2 may act only for its communities: unit community-7 is outside");
}

TEST_F(VacancyApprovalTest, RemindersEscalationAndApproval) {
  int64_t id = StartRequest(2, 3);
  auto tasks = client_->Tasks(id);
  ASSERT_EQ(tasks.size(), 1u);
  const v1::Task& task = tasks[0];
  EXPECT_EQ(task.role(), "leading-group");
  EXPECT_EQ(task.state(), "open");
  // Started Monday 2026-03-02 09:00; five working days later is Monday 2026-03-09 09:00.
  EXPECT_EQ(task.due_at_ms(), kMonday0900 + 7 * kDay);
  auto created = client_->Notifications("", "leading-group");
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0].kind(), "task.created");

  client_->Advance("3wd");  // Thursday: due in 2 working days -> first reminder
  auto after3 = client_->Notifications("", "leading-group");
  ASSERT_EQ(after3.size(), 2u);
  EXPECT_EQ(after3[1].kind(), "task.reminder");
  client_->Advance("2wd");  // due now: the -1wd reminder and the due notice
  auto after5 = client_->Notifications("", "leading-group");
  ASSERT_EQ(after5.size(), 4u);
  EXPECT_EQ(after5[3].kind(), "task.due");
  EXPECT_TRUE(client_->Notifications("", "district-admin").empty());
  client_->Advance("1wd");  // one working day overdue -> escalated to the district admin
  auto escalated = client_->Notifications("", "district-admin");
  ASSERT_EQ(escalated.size(), 1u);
  EXPECT_EQ(escalated[0].kind(), "task.escalated");

  // Someone without the role may not decide; an invalid outcome names the field.
  EXPECT_EQ(client_->Complete(task.id(), {"zhao", "street-office"}, "approved").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  grpc::Status bad = client_->Complete(task.id(), {"li", "leading-group"}, "maybe");
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(bad.error_message().find("outcome"), std::string::npos);

  ASSERT_TRUE(client_->Complete(task.id(), {"li", "leading-group"}, "approved").ok());
  v1::Instance inst = client_->Instance(id);
  EXPECT_EQ(inst.state(), "completed");
  EXPECT_EQ(inst.end_status(), "approved");
  EXPECT_EQ(json::parse(inst.variables())["approved_posts"], 2);
  // Completing it again is a wrong state, not a second effect.
  EXPECT_EQ(client_->Complete(task.id(), {"li", "leading-group"}, "approved").error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(VacancyApprovalTest, RejectionRoutesToRejected) {
  int64_t id = StartRequest(1, 1);
  auto tasks = client_->Tasks(id);
  ASSERT_EQ(tasks.size(), 1u);
  ASSERT_TRUE(client_->Complete(tasks[0].id(), {"li", "leading-group"}, "rejected").ok());
  EXPECT_EQ(client_->Instance(id).end_status(), "rejected");
}

TEST_F(VacancyApprovalTest, RequestIdMakesStartIdempotent) {
  int64_t a = StartRequest(1, 2, "req-42");
  int64_t b = StartRequest(1, 2, "req-42");
  EXPECT_EQ(a, b);
  grpc::ClientContext ctx;
  client_->Prepare(&ctx);
  v1::ListInstancesRequest req;
  req.set_definition_id("vacancy-approval");
  v1::ListInstancesResponse resp;
  ASSERT_TRUE(client_->stubs.instances->List(&ctx, req, &resp).ok());
  EXPECT_EQ(resp.instances_size(), 1);
}

}  // namespace
}  // namespace shequ::testing

namespace shequ::testing {
namespace {

class DemoTest : public DaemonTest {
 protected:
  DemoTest() : DaemonTest("demo") { start_in_setup_ = false; }
};

// `make run` uses config/shequd.yaml, which loads the demo district and starts the demo
// instances once. The district is described as on 2026-11-01, so the clock starts after it.
TEST_F(DemoTest, ShippedConfigLoadsTheDemoOnce) {
  DaemonProcess::Options opts;
  opts.config = std::string(SHEQU_SOURCE_DIR) + "/config/shequd.yaml";
  opts.fake_clock_start_ms = 1795395600000;  // Monday 2026-11-23 09:00
  for (int run = 0; run < 2; ++run) {
    ASSERT_NO_FATAL_FAILURE(StartDaemon(opts));
    // The shipped config is in token mode: the administrator's token from the first start.
    const std::string token = AdminToken(dir_);
    auto as_admin = [&token](grpc::ClientContext* c) {
      c->AddMetadata("authorization", "Bearer " + token);
    };
    grpc::ClientContext ctx;
    as_admin(&ctx);
    v1::ListInstancesRequest req;
    req.set_definition_id("vacancy-approval");
    v1::ListInstancesResponse resp;
    ASSERT_TRUE(client_->stubs.instances->List(&ctx, req, &resp).ok());
    ASSERT_EQ(resp.instances_size(), 3) << "run " << run;
    EXPECT_EQ(resp.instances(2).end_status(), "over-quota");
    EXPECT_EQ(resp.instances(0).state(), "active");

    grpc::ClientContext wctx;
    as_admin(&wctx);
    v1::OccupancyReport report;
    ASSERT_TRUE(client_->stubs.workforce->Occupancy(&wctx, v1::OccupancyRequest(), &report).ok());
    const auto& total = report.rows(0).subtree();
    EXPECT_EQ(report.rows_size(), 86);  // the district, 5 street-level units, 80 communities
    EXPECT_EQ(total.approved(), 520);   // after the 2026 revisions (district/README.md)
    EXPECT_EQ(total.occupied(), 349);
    EXPECT_EQ(total.over_quota(), 2);   // 徽州社区 after the re-zoning
    EXPECT_GT(total.hollow(), 0);
    EXPECT_GT(total.outside_quota(), 0);
    grpc::ClientContext pctx;
    as_admin(&pctx);
    v1::PayParityReport parity;
    ASSERT_TRUE(client_->stubs.workforce->PayParity(&pctx, v1::PayParityRequest(), &parity).ok());
    EXPECT_GT(parity.flagged(), 0);  // 大圩镇 pays less performance for the same grade
    EXPECT_EQ(total.reserved(), 3);  // the demo recruitment campaign's posts

    grpc::ClientContext cctx;
    as_admin(&cctx);
    v1::ListCampaignsResponse campaigns;
    ASSERT_TRUE(
        client_->stubs.recruitment->ListCampaigns(&cctx, v1::ListCampaignsRequest(), &campaigns)
            .ok());
    ASSERT_EQ(campaigns.campaigns_size(), 1) << "run " << run;
    EXPECT_EQ(campaigns.campaigns(0).state(), "draft");  // waiting for the leading group
  }
}

}  // namespace
}  // namespace shequ::testing
