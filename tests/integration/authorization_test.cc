// Every RPC of the authorisation table, called on the real daemon by a principal the table
// allows (anything but PERMISSION_DENIED or UNAUTHENTICATED) and by one it does not
// (PERMISSION_DENIED; UNAUTHENTICATED for methods open to any authenticated principal).

#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/message.h>
#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>

#include <future>
#include <set>

#include "absl/strings/str_split.h"
#include "daemon/auth/authorization.h"
#include "shequ/v1/audit.pb.h"
#include "shequ/v1/personal_data.pb.h"
#include "shequ/v1/plugins.pb.h"
#include "shequ/v1/principals.pb.h"
#include "shequ/v1/recruitment.pb.h"
#include "shequ/v1/workforce.pb.h"
#include "tests/integration/client.h"

namespace shequ::testing {
namespace {

namespace pb = google::protobuf;
using auth::Access;
using auth::Rule;

// Sets the string at `path` ("worker.unit_id") of `m`.
void SetField(pb::Message* m, std::string_view path, const std::string& value) {
  std::vector<std::string> parts = absl::StrSplit(std::string(path), '.');
  for (size_t i = 0; i < parts.size(); ++i) {
    const auto* field = m->GetDescriptor()->FindFieldByName(parts[i]);
    ASSERT_NE(field, nullptr) << path;
    if (i + 1 == parts.size()) {
      m->GetReflection()->SetString(m, field, value);
    } else {
      m = m->GetReflection()->MutableMessage(m, field);
    }
  }
}

class AuthorizationTest : public DaemonTest {
 protected:
  AuthorizationTest() : DaemonTest("authz") {}

  // One call of `method` with `request`, as `as` (user, roles, unit; nothing sent if empty).
  grpc::Status CallAs(const std::string& method, const pb::Message& request, const Caller& as) {
    std::string bytes;
    request.SerializeToString(&bytes);
    grpc::Slice slice(bytes);
    grpc::ByteBuffer req(&slice, 1), resp;
    grpc::GenericStub stub(daemon_->channel());
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    Identify(&ctx, as.user, as.roles, as.unit);
    std::promise<grpc::Status> done;
    stub.UnaryCall(&ctx, "/" + method, grpc::StubOptions(), &req, &resp,
                   [&done](grpc::Status s) { done.set_value(std::move(s)); });
    return done.get_future().get();
  }

  std::unique_ptr<pb::Message> RequestOf(const std::string& method) {
    const auto slash = method.find('/');
    const auto* service =
        pb::DescriptorPool::generated_pool()->FindServiceByName(method.substr(0, slash));
    if (service == nullptr) return nullptr;
    const auto* m = service->FindMethodByName(method.substr(slash + 1));
    if (m == nullptr) return nullptr;
    const pb::Message* prototype =
        pb::MessageFactory::generated_factory()->GetPrototype(m->input_type());
    return std::unique_ptr<pb::Message>(prototype->New());
  }
};

bool Refused(const grpc::Status& s) {
  return s.error_code() == grpc::StatusCode::PERMISSION_DENIED ||
         s.error_code() == grpc::StatusCode::UNAUTHENTICATED;
}

TEST_F(AuthorizationTest, EachRpcAdmitsWhomTheTableAllowsAndRefusesTheRest) {
  // Link in the descriptors of the files the client does not use otherwise.
  for (const auto* d : {v1::ListAuditRequest::descriptor(), v1::InvokePluginRequest::descriptor(),
                        v1::WhoAmIRequest::descriptor(), v1::ApplyRequest::descriptor(),
                        v1::ReviseQuotaRequest::descriptor(),
                        v1::ExportPersonalDataRequest::descriptor()}) {
    ASSERT_NE(d, nullptr);
  }
  int checked = 0;
  std::set<std::string> unserved;
  for (const Rule& rule : auth::AuthorizationTable()) {
    // HTTP routes ("GET /metrics"): health_metrics_test calls them.
    if (rule.method.find(' ') != std::string_view::npos) continue;
    const std::string method(rule.method);
    SCOPED_TRACE(method);
    auto request = RequestOf(method);
    ASSERT_NE(request, nullptr) << "not in the descriptor pool";
    // A service this daemon does not serve (yet) answers UNIMPLEMENTED to anyone.
    if (CallAs(method, *request, {"tester", "district-admin", ""}).error_code() ==
        grpc::StatusCode::UNIMPLEMENTED) {
      unserved.insert(method.substr(0, method.find('/')));
      continue;
    }
    ++checked;
    if (rule.access == Access::kAuthenticated) {
      grpc::Status allowed = CallAs(method, *request, {"tester", "district-admin", ""});
      EXPECT_FALSE(Refused(allowed)) << Describe(allowed);
      grpc::Status nobody = CallAs(method, *request, {});
      EXPECT_EQ(nobody.error_code(), grpc::StatusCode::UNAUTHENTICATED) << Describe(nobody);
      continue;
    }
    const std::string role(rule.roles.front());
    const bool district = auth::IsDistrictWide(role);
    Caller allowed_caller{"tester", role, district ? "" : "bh.t"};
    if (!rule.unit_field.empty() && !district) SetField(request.get(), rule.unit_field, "bh.t");
    grpc::Status allowed = CallAs(method, *request, allowed_caller);
    EXPECT_FALSE(Refused(allowed)) << role << ": " << Describe(allowed);
    grpc::Status denied = CallAs(method, *request, {"tester", "no-such-role", ""});
    EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(denied);
    EXPECT_NE(denied.error_message().find(method), std::string::npos) << Describe(denied);
    if (!rule.unit_field.empty() && !district) {
      // The same role for another unit.
      grpc::Status elsewhere = CallAs(method, *request, {"tester", role, "bh.other"});
      EXPECT_EQ(elsewhere.error_code(), grpc::StatusCode::PERMISSION_DENIED)
          << Describe(elsewhere);
    }
  }
  EXPECT_GT(checked, 60);
  // Principals (identity) and Audit are served once their modules are wired in.
  for (const auto& service : unserved) {
    EXPECT_TRUE(service == "shequ.v1.Principals" || service == "shequ.v1.Audit") << service;
  }
}

// The fake clock moves only for the administrator (and only with --fake-clock: a daemon on the
// real clock answers FAILED_PRECONDITION, health_metrics_test).
// What the request does not say: the unit of the stored instance or task.
TEST_F(AuthorizationTest, UnitBoundCallersReadOnlyTheirUnitsRecords) {
  client_->Deploy(R"(
id: unit-check
start: check
nodes:
  check: {type: user, role: clerk, unit: "${unit}", next: done}
  done: {type: end}
)");
  auto start = [&](const std::string& unit) {
    v1::StartRequest req;
    req.set_definition_id("unit-check");
    req.set_unit(unit);
    req.set_variables(nlohmann::json{{"unit", unit}}.dump());
    return client_->Start(req);
  };
  const int64_t mine = start("bh.whl.c1"), other = start("bh.hp.c2");
  const int64_t other_task = client_->OnlyTask(other).id();
  // Calls `rpc(ctx)` as `who`.
  auto as = [&](const Caller& who, auto rpc) {
    grpc::ClientContext ctx;
    client_->Prepare(&ctx, who);
    return rpc(&ctx);
  };
  const Caller community{"c1", "community,clerk", "bh.whl.c1"};
  auto& instances = *client_->stubs.instances;
  auto& tasks = *client_->stubs.tasks;
  v1::GetInstanceRequest get;
  v1::Instance instance;

  get.set_id(mine);
  grpc::Status s = as(community, [&](auto* ctx) { return instances.Get(ctx, get, &instance); });
  EXPECT_TRUE(s.ok()) << Describe(s);
  get.set_id(other);
  s = as(community, [&](auto* ctx) { return instances.Get(ctx, get, &instance); });
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(s);
  EXPECT_NE(s.error_message().find("community bh.whl.c1 may act only for itself"),
            std::string::npos)
      << Describe(s);
  v1::HistoryRequest history;
  history.set_instance_id(other);
  v1::HistoryResponse events;
  s = as(community, [&](auto* ctx) { return instances.History(ctx, history, &events); });
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(s);
  v1::GetTaskRequest get_task;
  get_task.set_id(other_task);
  v1::Task task;
  s = as(community, [&](auto* ctx) { return tasks.Get(ctx, get_task, &task); });
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(s);
  // No unit named: the caller's own unit tree.
  v1::ListTasksResponse listed;
  s = as(community, [&](auto* ctx) { return tasks.List(ctx, v1::ListTasksRequest(), &listed); });
  ASSERT_TRUE(s.ok()) << Describe(s);
  ASSERT_EQ(listed.tasks_size(), 1);
  EXPECT_EQ(listed.tasks(0).instance_id(), mine);
  // A district-wide role reads every unit's.
  s = as(Caller{"audit", "auditor", ""},
         [&](auto* ctx) { return instances.Get(ctx, get, &instance); });
  EXPECT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(instance.unit(), "bh.hp.c2");
}

TEST_F(AuthorizationTest, OnlyTheAdministratorMovesTheFakeClock) {
  v1::AdvanceClockRequest req;
  req.set_by("PT1H");
  v1::AdvanceClockResponse resp;
  for (const Caller& who : {Caller{"li", "leading-group", ""}, Caller{"wang", "street-office", "bh"},
                            Caller{"w", "job-worker", ""}}) {
    grpc::ClientContext ctx;
    client_->Prepare(&ctx, who);
    grpc::Status s = client_->stubs.admin->AdvanceClock(&ctx, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(s);
    EXPECT_EQ(s.error_message(), "shequ.v1.Admin/AdvanceClock needs role district-admin");
  }
  grpc::ClientContext ctx;
  client_->Prepare(&ctx, {"root", "district-admin", ""});
  grpc::Status s = client_->stubs.admin->AdvanceClock(&ctx, req, &resp);
  EXPECT_TRUE(s.ok()) << Describe(s);
}

}  // namespace
}  // namespace shequ::testing
