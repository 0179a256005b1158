#include "daemon/auth/tokens.h"

#include <gtest/gtest.h>

#include <memory>
#include <set>

#include "absl/strings/match.h"
#include "daemon/auth/sessions.h"

namespace shequ::auth {
namespace {

constexpr int64_t kNow = 1'772'413'200'000;
constexpr int64_t kHour = 3'600'000;

class DirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    PrincipalRecord p;
    p.name = "wang.street";
    p.roles = {{"street-office", 0}, {"roster-migration", kNow + kHour}};
    p.unit = "bh.whl";
    dir_.Put(p);
  }
  // A token of wang.street, expiring at `expires` (0 = never).
  std::string Issue(int64_t expires = 0) {
    auto t = IssueToken();
    EXPECT_TRUE(t.ok()) << t.status();
    t->record.principal = "wang.street";
    t->record.created_at_ms = kNow;
    t->record.expires_at_ms = expires;
    id_ = t->record.id;
    dir_.Put(t->record);
    return t->text;
  }
  void ExpectRefused(const std::string& text, int64_t now, const std::string& why) {
    auto p = dir_.AuthenticateToken(text, now);
    ASSERT_FALSE(p.ok()) << text;
    EXPECT_EQ(p.status().code(), absl::StatusCode::kUnauthenticated);
    EXPECT_TRUE(absl::StrContains(p.status().message(), why)) << p.status();
  }
  Directory dir_;
  std::string id_;
};

TEST(TokenTest, IssuedTokenHasItsShapeAndParsesBack) {
  auto t = IssueToken();
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(absl::StartsWith(t->text, "shq_"));
  EXPECT_EQ(t->text.size(), 4 + 16 + 1 + 64);
  auto parts = ParseToken(t->text);
  ASSERT_TRUE(parts.ok()) << parts.status();
  EXPECT_EQ(parts->id, t->record.id);
  // Only the digest is kept, never the secret.
  EXPECT_EQ(t->record.secret_sha256, Sha256Hex(parts->secret));
  EXPECT_FALSE(absl::StrContains(t->record.secret_sha256, parts->secret));
  auto other = IssueToken();
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->text, t->text);
}

TEST(TokenTest, Sha256OfKnownInput) {
  EXPECT_EQ(Sha256Hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(TokenTest, MalformedTextIsRefusedSayingWhat) {
  for (const char* bad : {"", "shq_", "abc", "shq_0123456789abcdef", "shq_xyz_0123",
                          "shq_0123456789abcdeF_" /* upper-case hex */,
                          "tok_0123456789abcdef_00"}) {
    auto p = ParseToken(bad);
    EXPECT_FALSE(p.ok()) << bad;
    EXPECT_TRUE(absl::StrContains(p.status().message(), "malformed API token")) << bad;
  }
  auto short_secret = ParseToken("shq_0123456789abcdef_00ff");
  EXPECT_TRUE(absl::StrContains(short_secret.status().message(), "secret")) << short_secret.status();
}

TEST_F(DirectoryTest, ValidTokenProvesItsPrincipal) {
  const std::string text = Issue(kNow + 24 * kHour);
  auto p = dir_.AuthenticateToken(text, kNow);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->name, "wang.street");
  EXPECT_EQ(p->unit, "bh.whl");
  EXPECT_EQ(p->via, "token");
  EXPECT_EQ(p->credential, id_);
  EXPECT_EQ(p->expires_at_ms, kNow + 24 * kHour);
  EXPECT_TRUE(p->HasRole("street-office"));
  EXPECT_TRUE(p->HasRole("roster-migration"));
}

TEST_F(DirectoryTest, RoleGrantStopsCountingWhenItExpires) {
  const std::string text = Issue();
  auto later = dir_.AuthenticateToken(text, kNow + kHour);
  ASSERT_TRUE(later.ok());
  EXPECT_TRUE(later->HasRole("street-office"));
  EXPECT_FALSE(later->HasRole("roster-migration"));
}

TEST_F(DirectoryTest, ExpiredTokenIsRefused) {
  const std::string text = Issue(kNow + kHour);
  EXPECT_TRUE(dir_.AuthenticateToken(text, kNow + kHour - 1).ok());
  ExpectRefused(text, kNow + kHour, "expired");
}

TEST_F(DirectoryTest, RevokedTokenIsRefused) {
  const std::string text = Issue();
  auto rec = *dir_.GetToken(id_);
  rec.revoked_at_ms = kNow;
  dir_.Put(rec);
  ExpectRefused(text, kNow, "revoked");
}

TEST_F(DirectoryTest, UnknownAndMalformedTokensAreRefused) {
  ExpectRefused("shq_0123456789abcdef_" + std::string(64, 'a'), kNow, "unknown API token");
  ExpectRefused("shq_nope", kNow, "malformed");
  ExpectRefused("Bearer shq_x", kNow, "malformed");
}

TEST_F(DirectoryTest, WrongSecretIsRefusedWhateverItShares) {
  const std::string text = Issue();
  // The right id with a secret that differs in its last digit only, and in its first only:
  // both are compared in full (CRYPTO_memcmp on the digests) and refused alike.
  std::string last = text;
  last.back() = last.back() == '0' ? '1' : '0';
  std::string first = text;
  const size_t at = text.rfind('_') + 1;
  first[at] = first[at] == '0' ? '1' : '0';
  ExpectRefused(last, kNow, "wrong secret");
  ExpectRefused(first, kNow, "wrong secret");
  // A revoked token with a wrong secret says nothing about its revocation.
  auto rec = *dir_.GetToken(id_);
  rec.revoked_at_ms = kNow;
  dir_.Put(rec);
  ExpectRefused(last, kNow, "wrong secret");
}

TEST_F(DirectoryTest, DisabledOrMissingPrincipalIsRefused) {
  const std::string text = Issue();
  auto p = *dir_.GetPrincipal("wang.street");
  p.disabled = true;
  dir_.Put(p);
  ExpectRefused(text, kNow, "disabled");

  auto orphan = IssueToken();
  orphan->record.principal = "nobody";
  dir_.Put(orphan->record);
  ExpectRefused(orphan->text, kNow, "no principal");
}

TEST_F(DirectoryTest, ResolveGivesTheRecordsRoles) {
  auto p = dir_.Resolve("wang.street", "mtls", kNow);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->via, "mtls");
  EXPECT_TRUE(p->credential.empty());
  EXPECT_TRUE(p->HasRole("street-office"));
  EXPECT_EQ(dir_.Resolve("stranger", "mtls", kNow).status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(DirectoryTest, ListsTokensByPrincipal) {
  Issue();
  Issue();
  EXPECT_EQ(dir_.Tokens("wang.street").size(), 2u);
  EXPECT_EQ(dir_.Tokens("").size(), 2u);
  EXPECT_TRUE(dir_.Tokens("li").empty());
}

TEST(SessionsTest, RevokeClosesTheCredentialsLiveStreamsOnly) {
  Sessions sessions;
  int closed_a = 0, closed_b = 0;
  std::string why;
  auto a1 = std::make_shared<int>(1);
  auto a2 = std::make_shared<int>(2);
  auto b = std::make_shared<int>(3);
  auto close_a = [&](const absl::Status& s) {
    ++closed_a;
    why = std::string(s.message());
    EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
  };
  sessions.Track("tok-a", a1, close_a);
  sessions.Track("tok-a", a2, close_a);
  sessions.Track("tok-b", b, [&](const absl::Status&) { ++closed_b; });
  sessions.Track("", b, [&](const absl::Status&) { ADD_FAILURE() << "untracked"; });
  a2.reset();  // that stream ended on its own
  EXPECT_EQ(sessions.Revoke("tok-a", "token revoked"), 1u);
  EXPECT_EQ(closed_a, 1);
  EXPECT_EQ(why, "token revoked");
  EXPECT_EQ(closed_b, 0);
  EXPECT_EQ(sessions.Revoke("tok-a", "token revoked"), 0u);  // already gone
  EXPECT_EQ(sessions.open(), 1u);
  b.reset();
  EXPECT_EQ(sessions.open(), 0u);
}

// A stream admitted just before its token was revoked, but tracked after Revoke swept.
TEST(SessionsTest, AStreamTrackedAfterItsRevocationSweptIsClosedAtOnce) {
  Sessions sessions;
  std::set<std::string> revoked;
  sessions.SetCheck([&](const std::string& credential) {
    return revoked.count(credential) ? absl::UnauthenticatedError("token revoked")
                                     : absl::OkStatus();
  });
  auto stream = std::make_shared<int>(1);
  std::string why;
  revoked.insert("tok-a");
  EXPECT_EQ(sessions.Revoke("tok-a", "token revoked"), 0u);  // nothing tracked yet
  sessions.Track("tok-a", stream, [&](const absl::Status& s) { why = std::string(s.message()); });
  EXPECT_EQ(why, "token revoked");
  sessions.Track("tok-b", stream, [&](const absl::Status&) { ADD_FAILURE() << "still valid"; });
}

}  // namespace
}  // namespace shequ::auth
