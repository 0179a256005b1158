// Authentication against the real daemon in token mode (auth: tokens): the administrator made at
// first start, API tokens issued, refused without, revoked (closing an open stream), expired;
// and the rules of headers mode.

#include <gtest/gtest.h>
#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "nlohmann/json.hpp"
#include "shequ/v1/principals.grpc.pb.h"
#include "tests/integration/client.h"
#include "tests/integration/daemon_process.h"

namespace shequ::testing {
namespace {

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
    DaemonProcess::Options o = DaemonProcess::In(dir_, config_);
    std::string error;
    daemon_ = DaemonProcess::Start(o, &error);
    ASSERT_TRUE(daemon_) << error;
    principals_ = v1::Principals::NewStub(daemon_->channel());
    admin_ = AdminToken(dir_ + "/data");
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
  // The listing shows when the token last proved a call.
  grpc::ClientContext ctx;
  Bearer(&ctx, admin_);
  v1::ListTokensResponse tokens;
  s = principals_->ListTokens(&ctx, v1::ListTokensRequest(), &tokens);
  ASSERT_TRUE(s.ok()) << Describe(s);
  ASSERT_EQ(tokens.tokens_size(), 1);
  EXPECT_GT(tokens.tokens(0).last_used_at_ms(), 0);
}

TEST(IdentityStartTest, AnAdministratorTokenThatCannotBeWrittenStopsTheStart) {
  const std::string dir = MakeTempDir("shequ-identity-start");
  const std::string config =
      WriteConfig(dir, "auth:\n  admin_token_file: " + dir + "/missing/admin.token\n");
  DaemonProcess::Options o = DaemonProcess::In(dir, config);
  std::string error;
  EXPECT_FALSE(DaemonProcess::Start(o, &error));
  EXPECT_TRUE(absl::StrContains(error, dir + "/missing/admin.token")) << error;
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
  ClientOptions as_admin;
  as_admin.token = admin_;
  Client client(daemon_->channel(), as_admin);
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

TEST(DemoTest, DemoPrincipalsGetTokensInAPrivateFileOnce) {
  const std::string dir = MakeTempDir("shequ-demo-tokens");
  const std::string config =
      WriteConfig(dir, "demo: " + std::string(SHEQU_SOURCE_DIR) + "/config/demo\n");
  DaemonProcess::Options o = DaemonProcess::In(dir, config);
  o.fake_clock = false;  // the demo roster holds hires of dates after the harness's fake Monday
  std::string error;
  auto d = DaemonProcess::Start(o, &error);
  ASSERT_TRUE(d) << error;
  const std::string path = o.data_dir + "/demo-tokens.txt";
  struct stat st{};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  // <name> <roles> <unit> <token>, one line per principal; li is the tour's leading group.
  std::map<std::string, std::vector<std::string>> lines;
  std::istringstream in(ReadFile(path));
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::vector<std::string> f(4);
    fields >> f[0] >> f[1] >> f[2] >> f[3];
    lines[f[0]] = f;
  }
  ASSERT_TRUE(lines.count("li"));
  ASSERT_TRUE(lines.count("wang.street"));
  EXPECT_EQ(lines["wang.street"][1], "street-office");
  EXPECT_EQ(lines["wang.street"][2], "bh.whl");
  auto stub = v1::Principals::NewStub(d->channel());
  grpc::ClientContext ctx;
  Bearer(&ctx, lines["li"][3]);
  v1::Principal me;
  auto s = stub->WhoAmI(&ctx, v1::WhoAmIRequest(), &me);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(me.name(), "li");
  EXPECT_EQ(me.unit(), "bh");
  ASSERT_EQ(me.roles_size(), 1);
  EXPECT_EQ(me.roles(0).role(), "leading-group");
  // A restart keeps the file and the tokens.
  const std::string before = ReadFile(path);
  d.reset();
  d = DaemonProcess::Start(o, &error);
  ASSERT_TRUE(d) << error;
  EXPECT_EQ(ReadFile(path), before);
}

// An SSO's RSA key, made for the test: its private PEM signs, its JWK goes in the JWKS file.
struct SsoKey {
  std::string private_pem;
  nlohmann::json jwk;
};
SsoKey MakeSsoKey() {
  EVP_PKEY* key = EVP_RSA_gen(2048);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  SsoKey k{std::string(data, static_cast<size_t>(len)), {{"kty", "RSA"}, {"kid", "sso-1"}}};
  for (auto [name, field] : {std::pair{OSSL_PKEY_PARAM_RSA_N, "n"},
                             std::pair{OSSL_PKEY_PARAM_RSA_E, "e"}}) {
    BIGNUM* bn = nullptr;
    EVP_PKEY_get_bn_param(key, name, &bn);
    std::string bytes(static_cast<size_t>(BN_num_bytes(bn)), '\0');
    BN_bn2bin(bn, reinterpret_cast<unsigned char*>(bytes.data()));
    BN_free(bn);
    std::string b64;
    absl::WebSafeBase64Escape(bytes, &b64);
    k.jwk[field] = b64;
  }
  BIO_free(bio);
  EVP_PKEY_free(key);
  return k;
}

std::string MintJwt(const SsoKey& key, const nlohmann::json& claims) {
  jwt_t* jwt = nullptr;
  jwt_new(&jwt);
  jwt_add_grants_json(jwt, claims.dump().c_str());
  jwt_add_header(jwt, "kid", "sso-1");
  jwt_set_alg(jwt, JWT_ALG_RS256, reinterpret_cast<const unsigned char*>(key.private_pem.data()),
              static_cast<int>(key.private_pem.size()));
  char* text = jwt_encode_str(jwt);
  std::string out = text ? text : "";
  free(text);
  jwt_free(jwt);
  return out;
}

TEST(JwtTest, SsoTokenAcceptedWithMappedRolesAndRefusedWhenWrong) {
  const std::string dir = MakeTempDir("shequ-jwt");
  const SsoKey key = MakeSsoKey();
  std::ofstream(dir + "/jwks.json") << nlohmann::json{{"keys", {key.jwk}}}.dump();
  const std::string config = WriteConfig(dir, R"(auth:
  jwt:
    jwks_file: jwks.json
    issuer: https://sso.bh.gov.cn
    audience: shequd
    claims: {name: preferred_username, roles: groups, unit: org}
    roles: {sqgz-lg: leading-group}
)");
  DaemonProcess::Options o = DaemonProcess::In(dir, config);
  std::string error;
  auto d = DaemonProcess::Start(o, &error);
  ASSERT_TRUE(d) << error;
  auto stub = v1::Principals::NewStub(d->channel());
  const int64_t now_s = kMonday0900 / 1000;  // the daemon's fake clock
  nlohmann::json claims = {{"iss", "https://sso.bh.gov.cn"}, {"aud", "shequd"},
                           {"preferred_username", "chen"}, {"groups", {"sqgz-lg", "other"}},
                           {"org", "bh"}, {"nbf", now_s - 5}, {"exp", now_s + 600}};
  auto who = [&](const std::string& token, v1::Principal* me) {
    grpc::ClientContext ctx;
    Bearer(&ctx, token);
    return stub->WhoAmI(&ctx, v1::WhoAmIRequest(), me);
  };
  v1::Principal me;
  auto s = who(MintJwt(key, claims), &me);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(me.name(), "chen");
  EXPECT_EQ(me.via(), "jwt");
  EXPECT_EQ(me.unit(), "bh");
  ASSERT_EQ(me.roles_size(), 1);
  EXPECT_EQ(me.roles(0).role(), "leading-group");

  auto refused = [&](nlohmann::json c, const std::string& why) {
    v1::Principal p;
    auto st = who(MintJwt(key, c), &p);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED) << Describe(st);
    EXPECT_TRUE(absl::StrContains(st.error_message(), why)) << Describe(st);
  };
  auto c = claims;
  c["aud"] = "another";
  refused(c, "wrong audience");
  c = claims;
  c["iss"] = "https://elsewhere";
  refused(c, "unknown issuer");
  c = claims;
  c["exp"] = now_s - 3600;
  refused(c, "expired");
  // Signed by another key under the same kid.
  const SsoKey other = MakeSsoKey();
  s = who(MintJwt(other, claims), &me);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << Describe(s);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "bad signature")) << Describe(s);
}

TEST(HeadersModeTest, AcceptedOnLoopbackWithAWarningAndRefusedElsewhere) {
  const std::string dir = MakeTempDir("shequ-headers");
  const std::string config = WriteConfig(dir, "auth: headers\n");
  DaemonProcess::Options o = DaemonProcess::In(dir, config);
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
  EXPECT_TRUE(absl::StrContains(error, "only on loopback listeners")) << error;
}

}  // namespace
}  // namespace shequ::testing
