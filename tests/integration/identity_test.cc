// Authentication against the real daemon in token mode (auth: tokens): the administrator made at
// first start, API tokens issued, refused without, revoked (closing an open stream), expired;
// and the rules of headers mode.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "shequ/v1/principals.grpc.pb.h"
#include "tests/integration/client.h"
#include "tests/integration/daemon_process.h"

namespace shequ::testing {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The shipped calendar and workflows, with `auth` as given.
std::string WriteConfig(const std::string& dir, const std::string& auth) {
  const std::string src = SHEQU_SOURCE_DIR;
  const std::string path = dir + "/shequd.yaml";
  std::ofstream(path) << "listen: 127.0.0.1:0\nhttp: 127.0.0.1:0\n"
                      << "calendar_dir: " << src << "/config/calendar\n"
                      << "workflows_dir: " << src << "/config/workflows\n"
                      << "policy_dir: " << src << "/config/policy\n"
                      << auth;
  return path;
}

void Bearer(grpc::ClientContext* ctx, const std::string& token) {
  if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
}

class IdentityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("shequ-identity");
    config_ = WriteConfig(dir_, "auth:\n  mode: tokens\n  token_ttl: P30D\n");
    Start();
  }
  void Start() {
    DaemonProcess::Options o;
    o.data_dir = dir_ + "/data";
    std::filesystem::create_directories(o.data_dir);  // for its log from the first moment
    o.config = config_;
    std::string error;
    daemon_ = DaemonProcess::Start(o, &error);
    ASSERT_TRUE(daemon_) << error;
    principals_ = v1::Principals::NewStub(daemon_->channel());
    admin_ = ReadFile(dir_ + "/data/admin.token");
    while (!admin_.empty() && admin_.back() == '\n') admin_.pop_back();
  }

  grpc::Status WhoAmI(const std::string& token, v1::Principal* out) {
    grpc::ClientContext ctx;
    Bearer(&ctx, token);
    return principals_->WhoAmI(&ctx, v1::WhoAmIRequest(), out);
  }
  void Put(const std::string& name, const std::string& role, const std::string& unit,
           int64_t migration_until = 0) {
    grpc::ClientContext ctx;
    Bearer(&ctx, admin_);
    v1::PutPrincipalRequest req;
    req.mutable_principal()->set_name(name);
    req.mutable_principal()->set_unit(unit);
    req.mutable_principal()->add_roles()->set_role(role);
    if (migration_until) {
      auto* g = req.mutable_principal()->add_roles();
      g->set_role("roster-migration");
      g->set_expires_at_ms(migration_until);
    }
    v1::Principal out;
    auto s = principals_->Put(&ctx, req, &out);
    ASSERT_TRUE(s.ok()) << Describe(s);
  }
  grpc::Status CreateToken(const std::string& as, const std::string& principal,
                           const std::string& expires_in, v1::CreateTokenResponse* out) {
    grpc::ClientContext ctx;
    Bearer(&ctx, as);
    v1::CreateTokenRequest req;
    req.set_principal(principal);
    req.set_expires_in(expires_in);
    req.set_description("identity_test");
    return principals_->CreateToken(&ctx, req, out);
  }
  v1::CreateTokenResponse Token(const std::string& principal, const std::string& expires_in = "") {
    v1::CreateTokenResponse out;
    auto s = CreateToken(admin_, principal, expires_in, &out);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return out;
  }
  grpc::Status Revoke(const std::string& as, const std::string& id) {
    grpc::ClientContext ctx;
    Bearer(&ctx, as);
    v1::RevokeTokenRequest req;
    req.set_id(id);
    v1::RevokeTokenResponse out;
    return principals_->RevokeToken(&ctx, req, &out);
  }
  void ExpectUnauthenticated(const std::string& token, const std::string& why) {
    v1::Principal p;
    auto s = WhoAmI(token, &p);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << Describe(s);
    EXPECT_TRUE(absl::StrContains(s.error_message(), why)) << Describe(s);
  }

  std::string dir_, config_, admin_;
  std::unique_ptr<DaemonProcess> daemon_;
  std::unique_ptr<v1::Principals::Stub> principals_;
};

TEST_F(IdentityTest, FirstStartMakesAnAdministratorWithAPrivateTokenFile) {
  ASSERT_TRUE(absl::StartsWith(admin_, "shq_")) << admin_;
  struct stat st{};
  ASSERT_EQ(stat((dir_ + "/data/admin.token").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  // The log says where the token is, never the token.
  EXPECT_TRUE(absl::StrContains(daemon_->Log(), "admin.token"));
  EXPECT_FALSE(absl::StrContains(daemon_->Log(), admin_.substr(admin_.rfind('_') + 1)));
  v1::Principal me;
  auto s = WhoAmI(admin_, &me);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(me.name(), "admin");
  EXPECT_EQ(me.via(), "token");
  ASSERT_EQ(me.roles_size(), 1);
  EXPECT_EQ(me.roles(0).role(), "district-admin");
}

TEST_F(IdentityTest, NoTokenMalformedOrHeadersAloneAreUnauthenticated) {
  ExpectUnauthenticated("", "no credentials: send authorization: Bearer <token>");
  ExpectUnauthenticated("shq_garbage", "malformed API token");
  ExpectUnauthenticated("shq_0123456789abcdef_" + std::string(64, '0'), "unknown API token");
  ExpectUnauthenticated("not-a-token", "malformed bearer credential");
  // In token mode the x-shequ-* metadata prove nothing.
  grpc::ClientContext ctx;
  Identify(&ctx, "admin", "district-admin", "bh");
  v1::Principal p;
  auto s = principals_->WhoAmI(&ctx, v1::WhoAmIRequest(), &p);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << Describe(s);
  // So does a stream.
  grpc::ClientContext sctx;
  v1::SubscribeRequest sub;
  sub.add_roles("street-office");
  auto reader = Stubs(daemon_->channel()).notifications->Subscribe(&sctx, sub);
  v1::Notification n;
  EXPECT_FALSE(reader->Read(&n));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(IdentityTest, TokenProvesItsPrincipalAndOnlyAdministratorsIssueThem) {
  Put("wang.street", "street-office", "bh.whl");
  auto t = Token("wang.street");
  ASSERT_TRUE(absl::StartsWith(t.secret(), "shq_" + t.token().id() + "_"));
  EXPECT_EQ(t.token().expires_at_ms(), t.token().created_at_ms() + 30 * kDay);  // token_ttl
  v1::Principal me;
  auto s = WhoAmI(t.secret(), &me);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(me.name(), "wang.street");
  EXPECT_EQ(me.unit(), "bh.whl");

  v1::CreateTokenResponse other;
  s = CreateToken(t.secret(), "wang.street", "", &other);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(s);

  // A token's holder lists its own tokens, never their secrets.
  grpc::ClientContext ctx;
  Bearer(&ctx, t.secret());
  v1::ListTokensResponse list;
  s = principals_->ListTokens(&ctx, v1::ListTokensRequest(), &list);
  ASSERT_TRUE(s.ok()) << Describe(s);
  ASSERT_EQ(list.tokens_size(), 1);
  EXPECT_EQ(list.tokens(0).id(), t.token().id());
}

TEST_F(IdentityTest, RevokedTokenIsRefusedAndItsOpenStreamClosed) {
  Put("wang.street", "street-office", "bh.whl");
  auto t = Token("wang.street");
  auto keep = Token("wang.street");

  grpc::ClientContext sctx;
  Bearer(&sctx, t.secret());
  v1::SubscribeRequest sub;
  sub.add_roles("street-office");
  auto reader = Stubs(daemon_->channel()).notifications->Subscribe(&sctx, sub);
  grpc::ClientContext kctx;
  Bearer(&kctx, keep.secret());
  auto kept = Stubs(daemon_->channel()).notifications->Subscribe(&kctx, sub);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // both streams are open

  ASSERT_TRUE(Revoke(admin_, t.token().id()).ok());
  v1::Notification n;
  const auto before = std::chrono::steady_clock::now();
  while (reader->Read(&n)) {
  }
  auto s = reader->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << Describe(s);
  EXPECT_EQ(s.error_message(), "token revoked");
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(5));
  ExpectUnauthenticated(t.secret(), "revoked");

  // The other token's stream stays open, and the token works.
  v1::Principal me;
  EXPECT_TRUE(WhoAmI(keep.secret(), &me).ok());
  kctx.TryCancel();
  while (kept->Read(&n)) {
  }
  EXPECT_EQ(kept->Finish().error_code(), grpc::StatusCode::CANCELLED);

  // Its holder may revoke their own token, not anyone else's.
  Put("li", "leading-group", "bh");
  auto li = Token("li");
  EXPECT_EQ(Revoke(keep.secret(), li.token().id()).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(Revoke(keep.secret(), keep.token().id()).ok());
  ExpectUnauthenticated(keep.secret(), "revoked");
}

TEST_F(IdentityTest, ExpiredTokenAndExpiredRoleGrantStopCounting) {
  Client client(daemon_->channel());
  Put("migrator", "personnel", "bh", kMonday0900 + kHour);
  auto t = Token("migrator", "PT2H");
  v1::Principal me;
  ASSERT_TRUE(WhoAmI(t.secret(), &me).ok());
  EXPECT_EQ(me.roles_size(), 2);  // personnel, roster-migration

  client.Advance("PT90M");
  ASSERT_TRUE(WhoAmI(t.secret(), &me).ok());
  ASSERT_EQ(me.roles_size(), 1);
  EXPECT_EQ(me.roles(0).role(), "personnel");

  client.Advance("PT1H");
  ExpectUnauthenticated(t.secret(), "expired");
}

TEST_F(IdentityTest, TokensAndRevocationsSurviveARestart) {
  Put("wang.street", "street-office", "bh.whl");
  auto live = Token("wang.street");
  auto gone = Token("wang.street");
  ASSERT_TRUE(Revoke(admin_, gone.token().id()).ok());
  const std::string admin = admin_;
  daemon_.reset();
  Start();
  EXPECT_EQ(admin_, admin);  // not made again
  v1::Principal me;
  EXPECT_TRUE(WhoAmI(live.secret(), &me).ok());
  ExpectUnauthenticated(gone.secret(), "revoked");
  // Nothing the daemon stored holds a secret.
  const std::string db = ReadFile(dir_ + "/data/shequd.db") + ReadFile(dir_ + "/data/shequd.db-wal");
  EXPECT_FALSE(absl::StrContains(db, live.secret().substr(live.secret().rfind('_') + 1)));
}

TEST(HeadersModeTest, AcceptedOnLoopbackWithAWarningAndRefusedElsewhere) {
  const std::string dir = MakeTempDir("shequ-headers");
  const std::string config = WriteConfig(dir, "auth: headers\n");
  DaemonProcess::Options o;
  o.data_dir = dir + "/data";
  std::filesystem::create_directories(o.data_dir);
  o.config = config;
  std::string error;
  auto d = DaemonProcess::Start(o, &error);
  ASSERT_TRUE(d) << error;
  EXPECT_TRUE(absl::StrContains(d->Log(), "development mode")) << d->Log();
  auto stub = v1::Principals::NewStub(d->channel());
  grpc::ClientContext ctx;
  Identify(&ctx, "li", "leading-group", "bh");
  v1::Principal me;
  auto s = stub->WhoAmI(&ctx, v1::WhoAmIRequest(), &me);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(me.name(), "li");
  EXPECT_EQ(me.via(), "headers");
  d.reset();

  o.data_dir = dir + "/data2";
  std::filesystem::create_directories(o.data_dir);
  o.extra_args = {"--listen", "0.0.0.0:0"};
  auto refused = DaemonProcess::Start(o, &error);
  EXPECT_FALSE(refused);
  EXPECT_TRUE(absl::StrContains(error, "only on a loopback listener")) << error;
}

}  // namespace
}  // namespace shequ::testing
