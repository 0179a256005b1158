// The authorisation table against the API (every method of every shequ.v1 service has an entry)
// and against docs/security.md; the gate's refusals.

#include <google/protobuf/descriptor.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "daemon/auth/authorization.h"
#include "daemon/auth/gate.h"
#include "shequ/v1/admin.pb.h"
#include "shequ/v1/audit.pb.h"
#include "shequ/v1/common.pb.h"
#include "shequ/v1/definitions.pb.h"
#include "shequ/v1/incidents.pb.h"
#include "shequ/v1/instances.pb.h"
#include "shequ/v1/jobs.pb.h"
#include "shequ/v1/notifications.pb.h"
#include "shequ/v1/personal_data.pb.h"
#include "shequ/v1/plugins.pb.h"
#include "shequ/v1/principals.pb.h"
#include "shequ/v1/recruitment.pb.h"
#include "shequ/v1/reviews.pb.h"
#include "shequ/v1/tasks.pb.h"
#include "shequ/v1/workforce.pb.h"

namespace shequ::auth {
namespace {

namespace fs = std::filesystem;
namespace pb = google::protobuf;

// One message of each API file, so that its descriptors are linked in and registered.
std::vector<const pb::FileDescriptor*> ApiFiles() {
  return {v1::AdvanceClockRequest::descriptor()->file(),
          v1::ListAuditRequest::descriptor()->file(),
          v1::PageRequest::descriptor()->file(),
          v1::DeployRequest::descriptor()->file(),
          v1::ListIncidentsRequest::descriptor()->file(),
          v1::StartRequest::descriptor()->file(),
          v1::ActivateRequest::descriptor()->file(),
          v1::SubscribeRequest::descriptor()->file(),
          v1::ExportPersonalDataRequest::descriptor()->file(),
          v1::InvokePluginRequest::descriptor()->file(),
          v1::WhoAmIRequest::descriptor()->file(),
          v1::CreateCampaignRequest::descriptor()->file(),
          v1::ClaimRequest::descriptor()->file(),
          v1::ReviseQuotaRequest::descriptor()->file(),
          v1::OpenCycleRequest::descriptor()->file()};
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(AuthorizationTable, EveryApiFileIsChecked) {
  std::set<std::string> linked;
  for (const auto* f : ApiFiles()) linked.insert(f->name());
  for (const auto& e : fs::directory_iterator(fs::path(SHEQU_SOURCE_DIR) / "proto/shequ/v1")) {
    if (e.path().extension() != ".proto") continue;
    const std::string name = "shequ/v1/" + e.path().filename().string();
    EXPECT_TRUE(linked.count(name))
        << name << ": add one of its messages to ApiFiles() so its services are checked";
  }
}

TEST(AuthorizationTable, EveryMethodOfEveryServiceHasAnEntry) {
  int methods = 0;
  for (const auto* file : ApiFiles()) {
    ASSERT_EQ(file->package(), "shequ.v1");
    ASSERT_EQ(pb::DescriptorPool::generated_pool()->FindFileByName(file->name()), file);
    for (int s = 0; s < file->service_count(); ++s) {
      const pb::ServiceDescriptor* service = file->service(s);
      for (int m = 0; m < service->method_count(); ++m) {
        const std::string method = service->full_name() + "/" + service->method(m)->name();
        ++methods;
        EXPECT_NE(FindRule(method), nullptr) << method << " has no authorisation rule";
      }
    }
  }
  EXPECT_GT(methods, 70);
}

TEST(AuthorizationTable, EveryEntryNamesAMethodOrARoute) {
  std::set<std::string_view> seen;
  for (const Rule& rule : AuthorizationTable()) {
    EXPECT_TRUE(seen.insert(rule.method).second) << rule.method << " twice";
    if (rule.method.rfind("GET /", 0) == 0) continue;
    const auto slash = rule.method.find('/');
    ASSERT_NE(slash, std::string_view::npos) << rule.method;
    const auto* service = pb::DescriptorPool::generated_pool()->FindServiceByName(
        std::string(rule.method.substr(0, slash)));
    ASSERT_NE(service, nullptr) << rule.method << ": no such service";
    EXPECT_NE(service->FindMethodByName(std::string(rule.method.substr(slash + 1))), nullptr)
        << rule.method << ": no such method";
    if (rule.access == Access::kRoles) {
      EXPECT_FALSE(rule.roles.empty()) << rule.method;
      for (auto role : rule.roles) {
        bool known = false;
        for (const auto& r : Roles()) known = known || r.name == role;
        EXPECT_TRUE(known) << rule.method << ": role " << role << " is not documented in Roles()";
      }
    }
    // Only health and metrics are public.
    EXPECT_NE(rule.access, Access::kPublic) << rule.method;
  }
}

// docs/security.md "Authorisation" shows the table as AuthorizationMarkdown() renders it.
// SHEQU_UPDATE_DOCS=1 rewrites it there.
TEST(AuthorizationTable, SecurityDocShowsTheTable) {
  const fs::path doc = fs::path(SHEQU_SOURCE_DIR) / "docs/security.md";
  std::string text = ReadFile(doc);
  const std::string begin = "<!-- authorisation table: generated -->\n";
  const std::string end = "<!-- end of the authorisation table -->\n";
  const auto b = text.find(begin);
  const auto e = text.find(end);
  ASSERT_NE(b, std::string::npos) << doc << " lacks " << begin;
  ASSERT_NE(e, std::string::npos) << doc << " lacks " << end;
  const std::string shown = text.substr(b + begin.size(), e - b - begin.size());
  const std::string want = AuthorizationMarkdown();
  if (shown != want && std::getenv("SHEQU_UPDATE_DOCS") != nullptr) {
    text.replace(b + begin.size(), e - b - begin.size(), want);
    std::ofstream(doc) << text;
    return;
  }
  EXPECT_EQ(shown, want) << "docs/security.md is behind the table: run this test with "
                            "SHEQU_UPDATE_DOCS=1";
}

// ---- The gate ----------------------------------------------------------------------------

class Tree final : public engine::UnitTree {
 public:
  bool Covers(std::string_view scope, std::string_view unit) const override {
    // bh > bh.whl > bh.whl.c1; bh > bh.hp
    return unit == scope || (unit.size() > scope.size() && unit.substr(0, scope.size()) == scope &&
                             unit[scope.size()] == '.');
  }
  std::vector<std::string> Subtree(std::string_view) const override { return {}; }
};

class NoAuthenticator final : public Authenticator {
 public:
  absl::StatusOr<Principal> Authenticate(const Credentials&) const override {
    return absl::UnauthenticatedError("none");
  }
};

class GateTest : public ::testing::Test {
 protected:
  Principal Who(std::string name, std::vector<std::string> roles, std::string unit = "") {
    Principal p;
    p.name = std::move(name);
    p.roles = std::move(roles);
    p.unit = std::move(unit);
    p.credential = "tok-1";
    return p;
  }
  NoAuthenticator none_;
  Tree tree_;
  Gate gate_{none_, &tree_};
};

TEST_F(GateTest, DeniesAMethodWithoutARule) {
  auto c = gate_.AdmitPrincipal(Who("a", {"district-admin"}), "shequ.v1.Nothing/Here",
                                v1::StatsRequest());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(c.status().message(), "no authorisation rule for shequ.v1.Nothing/Here");
}

TEST_F(GateTest, NamesTheRoleAMethodNeeds) {
  v1::ReviseQuotaRequest req;
  req.set_unit_id("bh.whl.c1");
  auto c = gate_.AdmitPrincipal(Who("li", {"leading-group", "district-admin"}),
                                "shequ.v1.Workforce/ReviseQuota", req);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(c.status().message(),
            "shequ.v1.Workforce/ReviseQuota needs role establishment-committee");
  auto ok = gate_.AdmitPrincipal(Who("bian", {"establishment-committee"}),
                                 "shequ.v1.Workforce/ReviseQuota", req);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->user, "bian");
  EXPECT_EQ(ok->call, "shequ.v1.Workforce/ReviseQuota");
  EXPECT_EQ(ok->credential, "tok-1");
  EXPECT_EQ(ok->roles, std::vector<std::string>{"establishment-committee"});
}

TEST_F(GateTest, UnauthenticatedWithoutAName) {
  auto c = gate_.AdmitPrincipal(Who("", {}), "shequ.v1.Definitions/List",
                                v1::ListDefinitionsRequest());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(GateTest, AStreetOfficeActsOnlyForItsCommunities) {
  v1::ListWorkersRequest req;
  req.set_unit_id("bh.whl.c1");
  const Principal street = Who("zhao", {"street-office"}, "bh.whl");
  EXPECT_TRUE(gate_.AdmitPrincipal(street, "shequ.v1.Workforce/ListWorkers", req).ok());
  req.set_unit_id("bh.hp.c2");
  auto c = gate_.AdmitPrincipal(street, "shequ.v1.Workforce/ListWorkers", req);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(c.status().message(),
            "street office bh.whl may act only for its communities: unit_id bh.hp.c2 is outside");
  // The whole district is wider than its communities.
  req.set_unit_id("");
  EXPECT_EQ(gate_.AdmitPrincipal(street, "shequ.v1.Workforce/ListWorkers", req).status().code(),
            absl::StatusCode::kPermissionDenied);
  // A nested field: the worker's unit.
  v1::CreateWorkerRequest create;
  create.mutable_worker()->set_unit_id("bh.hp.c2");
  EXPECT_EQ(gate_.AdmitPrincipal(street, "shequ.v1.Workforce/CreateWorker", create)
                .status().code(),
            absl::StatusCode::kPermissionDenied);
  create.mutable_worker()->set_unit_id("bh.whl.c1");
  EXPECT_TRUE(gate_.AdmitPrincipal(street, "shequ.v1.Workforce/CreateWorker", create).ok());
  // A street-office role without a unit acts for nothing.
  EXPECT_FALSE(gate_.AdmitPrincipal(Who("x", {"street-office"}), "shequ.v1.Workforce/CreateWorker",
                                    create).ok());
}

TEST_F(GateTest, DistrictWideRolesActForTheDistrictOrTheirUnit) {
  v1::ListWorkersRequest req;
  req.set_unit_id("bh.hp.c2");
  EXPECT_TRUE(gate_.AdmitPrincipal(Who("hr", {"personnel"}), "shequ.v1.Workforce/ListWorkers", req)
                  .ok());
  // Given a unit, the same role is held to it.
  EXPECT_FALSE(gate_.AdmitPrincipal(Who("hr", {"personnel"}, "bh.whl"),
                                    "shequ.v1.Workforce/ListWorkers", req)
                   .ok());
  // Another role's district scope does not widen the one that admits the call.
  EXPECT_FALSE(gate_.AdmitPrincipal(Who("z", {"street-office", "auditor"}, "bh.whl"),
                                    "shequ.v1.Workforce/TransferWorker", [] {
                                      v1::TransferWorkerRequest t;
                                      t.set_to_unit("bh.hp.c2");
                                      return t;
                                    }())
                   .ok());
}

TEST_F(GateTest, NotificationsOfOthersAreNotRead) {
  v1::ListNotificationsRequest req;
  req.set_recipient("wang");
  EXPECT_TRUE(gate_.AdmitPrincipal(Who("wang", {}), "shequ.v1.Notifications/List", req).ok());
  auto c = gate_.AdmitPrincipal(Who("li", {}), "shequ.v1.Notifications/List", req);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kPermissionDenied);
  req.clear_recipient();
  req.set_role("leading-group");
  EXPECT_FALSE(gate_.AdmitPrincipal(Who("li", {"street-office"}, "bh.whl"),
                                    "shequ.v1.Notifications/List", req)
                   .ok());
  EXPECT_TRUE(gate_.AdmitPrincipal(Who("li", {"leading-group"}), "shequ.v1.Notifications/List",
                                   req)
                  .ok());
}

TEST_F(GateTest, TokensAreListedByTheirOwner) {
  v1::ListTokensRequest req;
  req.set_principal("wang");
  EXPECT_TRUE(gate_.AdmitPrincipal(Who("wang", {}), "shequ.v1.Principals/ListTokens", req).ok());
  EXPECT_FALSE(gate_.AdmitPrincipal(Who("li", {}), "shequ.v1.Principals/ListTokens", req).ok());
  EXPECT_TRUE(
      gate_.AdmitPrincipal(Who("root", {"district-admin"}), "shequ.v1.Principals/ListTokens", req)
          .ok());
}

TEST_F(GateTest, HealthIsPublic) {
  auto c = gate_.AdmitPrincipal(Who("", {}), "GET /healthz", v1::StatsRequest());
  EXPECT_TRUE(c.ok()) << c.status();
}

}  // namespace
}  // namespace shequ::auth
