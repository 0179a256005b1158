// The audit trail through the real daemon: an answer that reveals personal data waits for its
// entry, shequ.v1.Audit lists and verifies the trail, and retention runs on the fake clock.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "shequ/v1/audit.grpc.pb.h"
#include "tests/integration/client.h"

namespace shequ::testing {
namespace {

const Caller kClerk{"li.clerk", "street-office", "bh.hp"};  // sees personal data masked
const Caller kPersonnel{"zhou.hr", "personnel", ""};         // sees it in the clear
const Caller kAdmin{"zhang.admin", "district-admin", ""};  // units; reads the trail
const Caller kEstablishment{"bianwei", "establishment-committee", ""};  // quota revisions

class AuditTest : public DaemonTest {
 protected:
  AuditTest() : DaemonTest("audit") { start_in_setup_ = false; }

  void SetUp() override {
    DaemonTest::SetUp();
    // The fixture's configuration with the shortest retention allowed.
    config_ = dir_ + "/shequd.yaml";
    const std::string root = SHEQU_SOURCE_DIR;
    std::ofstream(config_) << "auth: headers\nlisten: 127.0.0.1:0\nhttp: 127.0.0.1:0\n"
                           << "calendar_dir: " << root << "/config/calendar\n"
                           << "workflows_dir: " << root << "/config/workflows\n"
                           << "policy_dir: " << root << "/config/policy\n"
                           << "audit:\n  retention_days: 183\n";
    Start();
  }
  void Start() {
    DaemonProcess::Options options;
    options.config = config_;
    StartDaemon(options);
    audit_ = v1::Audit::NewStub(daemon_->channel());
  }

  grpc::Status Call(const Caller& as, auto method, const auto& req, auto* resp) {
    grpc::ClientContext ctx;
    client_->Prepare(&ctx, as);
    return method(&ctx, req, resp);
  }
  v1::ListAuditResponse List(const std::string& method = "") {
    v1::ListAuditRequest req;
    req.set_method(method);
    v1::ListAuditResponse resp;
    grpc::ClientContext ctx;
    client_->Prepare(&ctx, kAdmin);
    auto s = audit_->List(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return resp;
  }
  v1::VerifyAuditResponse Verify() {
    v1::VerifyAuditResponse resp;
    grpc::ClientContext ctx;
    client_->Prepare(&ctx, kAdmin);
    auto s = audit_->Verify(&ctx, v1::VerifyAuditRequest(), &resp);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return resp;
  }
  grpc::Status GetWorker(int64_t id, const Caller& as) {
    v1::GetWorkerRequest req;
    req.set_id(id);
    v1::Worker w;
    grpc::ClientContext ctx;
    client_->Prepare(&ctx, as);
    return client_->stubs.workforce->GetWorker(&ctx, req, &w);
  }

  std::string config_;
  std::unique_ptr<v1::Audit::Stub> audit_;
};

TEST_F(AuditTest, RevealsAreAuditedAndRetentionRunsOnTheFakeClock) {
  auto& wf = *client_->stubs.workforce;
  for (auto [id, parent, kind] : {std::tuple{"bh", "", "district"},
                                  std::tuple{"bh.hp", "bh", "street"},
                                  std::tuple{"bh.hp.xf", "bh.hp", "community"}}) {
    v1::CreateUnitRequest req;
    req.mutable_unit()->set_id(id);
    req.mutable_unit()->set_parent_id(parent);
    req.mutable_unit()->set_name(id);
    req.mutable_unit()->set_kind(kind);
    if (std::string(kind) == "community") {
      req.mutable_unit()->set_community_type("城市社区");
      req.mutable_unit()->set_households(2400);
    }
    v1::Unit out;
    grpc::ClientContext ctx;
    client_->Prepare(&ctx, kAdmin);
    ASSERT_TRUE(wf.CreateUnit(&ctx, req, &out).ok());
  }
  v1::ReviseQuotaRequest quota;
  quota.set_unit_id("bh.hp.xf");
  quota.set_approved(2);
  quota.set_effective_from("2026-01-01");
  quota.set_reason("初始核定");
  quota.set_approval_document("区编委〔2026〕1号");
  v1::QuotaRevision revision;
  grpc::ClientContext quota_ctx;
  client_->Prepare(&quota_ctx, kEstablishment);
  ASSERT_TRUE(wf.ReviseQuota(&quota_ctx, quota, &revision).ok());
  v1::CreateWorkerRequest create;
  auto* w = create.mutable_worker();
  w->set_name("王芳");
  w->set_id_number("340111199001010010");  // a valid check character
  w->set_phone("13900000001");
  w->set_education("bachelor");
  w->set_employment("dispatch");
  w->set_post("officer");
  w->set_grade(5);
  w->set_unit_id("bh.hp.xf");
  w->set_hired_on("2020-05-01");
  v1::Worker worker;
  grpc::ClientContext create_ctx;
  client_->Prepare(&create_ctx, kClerk);
  auto created = wf.CreateWorker(&create_ctx, create, &worker);
  ASSERT_TRUE(created.ok()) << Describe(created);
  const std::string resource = "worker:" + std::to_string(worker.id());

  // Masked: nothing revealed, nothing recorded. Unmasked: one entry, durable before the answer.
  ASSERT_TRUE(GetWorker(worker.id(), kClerk).ok());
  EXPECT_EQ(List("shequ.v1.Workforce/GetWorker").entries_size(), 0);
  ASSERT_TRUE(GetWorker(worker.id(), kPersonnel).ok());
  auto listed = List("shequ.v1.Workforce/GetWorker");
  ASSERT_EQ(listed.entries_size(), 1);
  const auto& e = listed.entries(0);
  EXPECT_EQ(e.principal(), "zhou.hr");
  EXPECT_EQ(e.outcome(), "ok");
  EXPECT_EQ(e.detail(), "personal data unmasked");
  ASSERT_EQ(e.resources_size(), 1);
  EXPECT_EQ(e.resources(0), resource);
  const int64_t first = e.seq();

  // An hour later a checkpoint is signed; the trail verifies with it and the witness.
  client_->Advance("PT1H");
  auto verified = Verify();
  EXPECT_TRUE(verified.ok()) << verified.problem();
  EXPECT_EQ(verified.last_seq(), first);
  EXPECT_GE(verified.checkpoints(), 2);  // in the database and in the witness

  // After 183 days the entry goes, up to that checkpoint, which anchors the chain.
  client_->Advance("P200D");
  EXPECT_EQ(List().entries_size(), 0);
  ASSERT_TRUE(GetWorker(worker.id(), kPersonnel).ok());
  verified = Verify();
  EXPECT_TRUE(verified.ok()) << verified.problem();
  EXPECT_EQ(verified.first_seq(), first + 1);
  EXPECT_EQ(verified.entries(), 1);

  // The chain's head survives a restart.
  ASSERT_EQ(StopDaemon(), 0);
  Start();
  ASSERT_TRUE(GetWorker(worker.id(), kPersonnel).ok());
  verified = Verify();
  EXPECT_TRUE(verified.ok()) << verified.problem();
  EXPECT_EQ(verified.last_seq(), first + 2);
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/audit-signing.pub"));
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/audit-checkpoints.log"));
}

}  // namespace
}  // namespace shequ::testing
