#include "daemon/auth/chain.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"

namespace shequ::auth {
namespace {

TEST(ChainTest, LoopbackAddresses) {
  for (const char* h : {"127.0.0.1", "127.1.2.3", "::1", "localhost"}) EXPECT_TRUE(IsLoopback(h));
  for (const char* h : {"0.0.0.0", "10.0.0.1", "::", "", "example.org", "128.0.0.1"}) {
    EXPECT_FALSE(IsLoopback(h)) << h;
  }
}

TEST(ChainTest, HeadersModeOnlyOnALoopbackListener) {
  ManualClock clock(0);
  Config c;
  c.auth.mode = "headers";
  for (const char* listen : {"127.0.0.1:7070", "[::1]:7070", "localhost:0"}) {
    c.listen = listen;
    EXPECT_TRUE(BuildAuthenticator(c, nullptr, clock).ok()) << listen;
  }
  for (const char* listen : {"0.0.0.0:7070", "[::]:7070", "10.1.2.3:7070"}) {
    c.listen = listen;
    auto a = BuildAuthenticator(c, nullptr, clock);
    ASSERT_FALSE(a.ok()) << listen;
    EXPECT_TRUE(absl::StrContains(a.status().message(), "loopback")) << a.status();
  }
  // The HTTP port takes the same headers, so it must be loopback too.
  c.listen = "127.0.0.1:7070";
  c.http = "0.0.0.0:7071";
  auto a = BuildAuthenticator(c, nullptr, clock);
  ASSERT_FALSE(a.ok());
  EXPECT_TRUE(absl::StrContains(a.status().message(), "http is 0.0.0.0:7071")) << a.status();
  // Tokens are for any listener.
  c.auth.mode = "tokens";
  EXPECT_TRUE(BuildAuthenticator(c, nullptr, clock).ok());
}

TEST(ChainTest, MissingJwksFileIsRefusedAtStart) {
  ManualClock clock(0);
  Config c;
  c.auth.jwt.jwks_file = "/nonexistent/sso-jwks.json";
  c.auth.jwt.issuer = "https://sso";
  c.auth.jwt.audiences = {"shequd"};
  auto a = BuildAuthenticator(c, nullptr, clock);
  ASSERT_FALSE(a.ok());
  EXPECT_TRUE(absl::StrContains(a.status().message(), "jwks_file")) << a.status();
}

TEST(ChainTest, BearerCredentialsGoWhereTheirShapeSays) {
  ManualClock clock(1'000);
  Directory dir;
  PrincipalRecord p;
  p.name = "li";
  p.roles = {{"leading-group", 0}};
  dir.Put(p);
  auto t = IssueToken();
  ASSERT_TRUE(t.ok());
  t->record.principal = "li";
  dir.Put(t->record);
  ChainAuthenticator chain(clock, {.directory = &dir});
  auto ok = chain.AuthenticateBearer(t->text);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->name, "li");
  EXPECT_TRUE(absl::StrContains(chain.AuthenticateBearer("a.b.c").status().message(),
                                "no single sign-on keys"));
  EXPECT_TRUE(absl::StrContains(chain.AuthenticateBearer("whatever").status().message(),
                                "neither an API token"));
  ChainAuthenticator without(clock, {});
  EXPECT_TRUE(absl::StrContains(without.AuthenticateBearer(t->text).status().message(),
                                "not available"));
}

}  // namespace
}  // namespace shequ::auth
