// A module that only a test registers (tests/modules/tally/) runs in a real daemon: its table is
// created by its own migration, its built-in step writes a record in the workflow's
// transaction, and a restarted daemon recovers it. Nothing under daemon/store/ knows it.

#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "daemon/server/daemon.h"
#include "shequ/v1/instances.grpc.pb.h"
#include "tests/modules/tally/tally.h"

namespace shequ::testing::tally {
namespace {

constexpr char kWorkflow[] = R"(id: tally
name: tally
start: add
nodes:
  add: {type: service, job: tally.add, next: done}
  done: {type: end}
)";

class TallyModuleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "tally_module_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    std::filesystem::create_directories(dir_ + "/workflows");
    std::ofstream(dir_ + "/workflows/tally.yaml") << kWorkflow;
    config_.listen = "127.0.0.1:0";
    config_.http = "127.0.0.1:0";
    config_.data_dir = dir_ + "/data";
    config_.calendar_dir = std::string(SHEQU_SOURCE_DIR) + "/config/calendar";
    config_.workflows_dir = dir_ + "/workflows";
    config_.auth.mode = "headers";  // development mode: the calls below name their caller
  }

  // A daemon running the tally module alone.
  void StartDaemon() {
    auto module = std::make_unique<TallyModule>();
    tally_ = module.get();
    modules::ModuleList list;
    list.push_back(std::move(module));
    auto d = server::Daemon::Start(config_, std::move(list));
    ASSERT_TRUE(d.ok()) << d.status();
    daemon_ = *std::move(d);
    stub_ = v1::Instances::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(daemon_->grpc_port()), grpc::InsecureChannelCredentials()));
  }

  int64_t StartTally(const std::string& counter) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-shequ-user", "operator");
    ctx.AddMetadata("x-shequ-roles", "district-admin");
    v1::StartRequest req;
    req.set_definition_id("tally");
    req.set_variables(R"({"counter":")" + counter + R"("})");
    v1::StartResponse resp;
    grpc::Status s = stub_->Start(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.instance_id();
  }

  std::string State(int64_t id) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-shequ-user", "operator");
    ctx.AddMetadata("x-shequ-roles", "district-admin");
    v1::GetInstanceRequest req;
    req.set_id(id);
    v1::Instance resp;
    EXPECT_TRUE(stub_->Get(&ctx, req, &resp).ok());
    return resp.state();
  }

  std::string dir_;
  Config config_;
  TallyModule* tally_ = nullptr;
  std::unique_ptr<server::Daemon> daemon_;
  std::unique_ptr<v1::Instances::Stub> stub_;
};

TEST_F(TallyModuleTest, ItsStepWritesARecordThatARestartRecovers) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  const int64_t first = StartTally("visits");
  StartTally("visits");
  StartTally("calls");
  EXPECT_EQ(State(first), "completed");  // the step ran in the start's transaction
  EXPECT_EQ(tally_->count("visits"), 2);
  EXPECT_EQ(tally_->count("calls"), 1);
  daemon_->Shutdown();
  daemon_.reset();

  ASSERT_NO_FATAL_FAILURE(StartDaemon());  // a fresh module: what it knows comes from its records
  EXPECT_EQ(tally_->count("visits"), 2);
  EXPECT_EQ(tally_->count("calls"), 1);
  StartTally("visits");
  EXPECT_EQ(tally_->count("visits"), 3);
}

}  // namespace
}  // namespace shequ::testing::tally
