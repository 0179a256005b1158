#include "daemon/auth/jwt.h"

#include <gtest/gtest.h>
#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdlib>
#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "nlohmann/json.hpp"

namespace shequ::auth {
namespace {

using json = nlohmann::json;

constexpr int64_t kNowS = 1'772'413'200;
constexpr int64_t kNowMs = kNowS * 1000;

// A key pair made with OpenSSL for the test: its private PEM (to sign) and its JWK (to verify).
struct TestKey {
  std::string private_pem;
  json jwk;
};

std::string B64Url(const std::string& bytes) {
  std::string out;
  absl::WebSafeBase64Escape(bytes, &out);  // no padding
  return out;
}

std::string PrivatePem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  EXPECT_EQ(PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr), 1);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(len));
  BIO_free(bio);
  return pem;
}

std::string BnBytes(EVP_PKEY* key, const char* name) {
  BIGNUM* bn = nullptr;
  EXPECT_EQ(EVP_PKEY_get_bn_param(key, name, &bn), 1);
  std::string out(static_cast<size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  BN_free(bn);
  return out;
}

TestKey RsaKey(const std::string& kid) {
  EVP_PKEY* key = EVP_RSA_gen(2048);
  EXPECT_NE(key, nullptr);
  TestKey k{PrivatePem(key),
            {{"kty", "RSA"}, {"kid", kid}, {"use", "sig"}, {"alg", "RS256"},
             {"n", B64Url(BnBytes(key, OSSL_PKEY_PARAM_RSA_N))},
             {"e", B64Url(BnBytes(key, OSSL_PKEY_PARAM_RSA_E))}}};
  EVP_PKEY_free(key);
  return k;
}

TestKey EcKey(const std::string& kid) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  EXPECT_NE(key, nullptr);
  unsigned char point[65];
  size_t len = 0;
  EXPECT_EQ(EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point),
                                            &len),
            1);
  EXPECT_EQ(len, 65u);
  const std::string p(reinterpret_cast<char*>(point), len);
  TestKey k{PrivatePem(key),
            {{"kty", "EC"}, {"kid", kid}, {"crv", "P-256"},
             {"x", B64Url(p.substr(1, 32))}, {"y", B64Url(p.substr(33, 32))}}};
  EVP_PKEY_free(key);
  return k;
}

// Signs `claims` with libjwt.
std::string Mint(const TestKey& key, jwt_alg_t alg, const std::string& kid, const json& claims) {
  jwt_t* jwt = nullptr;
  EXPECT_EQ(jwt_new(&jwt), 0);
  EXPECT_EQ(jwt_add_grants_json(jwt, claims.dump().c_str()), 0);
  EXPECT_EQ(jwt_add_header(jwt, "kid", kid.c_str()), 0);
  EXPECT_EQ(jwt_set_alg(jwt, alg, reinterpret_cast<const unsigned char*>(key.private_pem.data()),
                        static_cast<int>(key.private_pem.size())),
            0);
  char* text = jwt_encode_str(jwt);
  EXPECT_NE(text, nullptr);
  std::string out = text ? text : "";
  free(text);
  jwt_free(jwt);
  return out;
}

class JwtTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    rsa_ = new TestKey(RsaKey("rsa-1"));
    ec_ = new TestKey(EcKey("ec-1"));
    stranger_ = new TestKey(RsaKey("rsa-1"));  // same kid, another key
  }
  void SetUp() override {
    AuthConfig::Jwt c;
    c.issuer = "https://sso.bh.gov.cn";
    c.audiences = {"shequd"};
    c.leeway_s = 60;
    c.name_claim = "preferred_username";
    c.roles_claim = "groups";
    c.unit_claim = "org";
    c.role_map = {{"lg-office", {"leading-group"}}, {"hr", {"personnel", "district-admin"}}};
    json jwks = {{"keys", {rsa_->jwk, ec_->jwk}}};
    auto v = JwtVerifier::FromJwks(jwks.dump(), c);
    ASSERT_TRUE(v.ok()) << v.status();
    verifier_ = *std::move(v);
  }
  json Claims() const {
    return {{"iss", "https://sso.bh.gov.cn"}, {"aud", "shequd"},
            {"preferred_username", "chen"},   {"groups", {"lg-office", "canteen"}},
            {"org", "bh"},                    {"iat", kNowS - 10},
            {"nbf", kNowS - 10},              {"exp", kNowS + 3600}};
  }
  void ExpectRefused(const std::string& token, const std::string& why) {
    auto p = verifier_->Verify(token, kNowMs);
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(p.status().code(), absl::StatusCode::kUnauthenticated);
    EXPECT_TRUE(absl::StrContains(p.status().message(), why)) << p.status();
  }
  static TestKey* rsa_;
  static TestKey* ec_;
  static TestKey* stranger_;
  std::unique_ptr<JwtVerifier> verifier_;
};
TestKey* JwtTest::rsa_ = nullptr;
TestKey* JwtTest::ec_ = nullptr;
TestKey* JwtTest::stranger_ = nullptr;

TEST_F(JwtTest, Rs256AndEs256MapClaimsToThePrincipal) {
  for (auto [key, alg, kid] : {std::tuple{rsa_, JWT_ALG_RS256, "rsa-1"},
                               std::tuple{ec_, JWT_ALG_ES256, "ec-1"}}) {
    auto p = verifier_->Verify(Mint(*key, alg, kid, Claims()), kNowMs);
    ASSERT_TRUE(p.ok()) << kid << ": " << p.status();
    EXPECT_EQ(p->name, "chen");
    EXPECT_EQ(p->via, "jwt");
    EXPECT_EQ(p->unit, "bh");
    EXPECT_EQ(p->roles, std::vector<std::string>{"leading-group"});  // "canteen" maps to nothing
    EXPECT_EQ(p->expires_at_ms, (kNowS + 3600) * 1000);
  }
  json c = Claims();
  c["groups"] = "hr";  // a single string
  c["aud"] = {"other", "shequd"};
  auto p = verifier_->Verify(Mint(*rsa_, JWT_ALG_RS256, "rsa-1", c), kNowMs);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->roles, (std::vector<std::string>{"personnel", "district-admin"}));
}

TEST_F(JwtTest, ExpiryAndNotBeforeWithLeeway) {
  json c = Claims();
  c["exp"] = kNowS - 30;  // inside the leeway
  EXPECT_TRUE(verifier_->Verify(Mint(*rsa_, JWT_ALG_RS256, "rsa-1", c), kNowMs).ok());
  c["exp"] = kNowS - 61;
  ExpectRefused(Mint(*rsa_, JWT_ALG_RS256, "rsa-1", c), "expired");
  c = Claims();
  c["nbf"] = kNowS + 61;
  ExpectRefused(Mint(*ec_, JWT_ALG_ES256, "ec-1", c), "not yet valid");
  c.erase("exp");
  c["nbf"] = kNowS;
  ExpectRefused(Mint(*ec_, JWT_ALG_ES256, "ec-1", c), "no exp");
}

TEST_F(JwtTest, IssuerAudienceAndNameAreChecked) {
  json c = Claims();
  c["iss"] = "https://evil.example";
  ExpectRefused(Mint(*rsa_, JWT_ALG_RS256, "rsa-1", c), "unknown issuer");
  c = Claims();
  c["aud"] = "another-service";
  ExpectRefused(Mint(*rsa_, JWT_ALG_RS256, "rsa-1", c), "wrong audience");
  c = Claims();
  c.erase("preferred_username");
  ExpectRefused(Mint(*rsa_, JWT_ALG_RS256, "rsa-1", c), "preferred_username");
}

TEST_F(JwtTest, WrongKeyUnknownKidAndWrongAlgorithmAreRefused) {
  // Signed by a key the JWKS does not hold, under a kid it does: the signature fails.
  ExpectRefused(Mint(*stranger_, JWT_ALG_RS256, "rsa-1", Claims()), "bad signature");
  ExpectRefused(Mint(*rsa_, JWT_ALG_RS256, "rsa-9", Claims()), "unknown key id 'rsa-9'");
  // An EC-signed token that names the RSA key.
  ExpectRefused(Mint(*ec_, JWT_ALG_ES256, "rsa-1", Claims()), "is for RS256");
  // HS256 "signed" with the public key as the secret: never accepted.
  jwt_t* jwt = nullptr;
  ASSERT_EQ(jwt_new(&jwt), 0);
  jwt_add_grants_json(jwt, Claims().dump().c_str());
  jwt_add_header(jwt, "kid", "rsa-1");
  const std::string secret = "public key bytes";
  jwt_set_alg(jwt, JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(secret.data()),
              static_cast<int>(secret.size()));
  char* hs = jwt_encode_str(jwt);
  ExpectRefused(hs, "algorithm 'HS256' is not accepted");
  free(hs);
  jwt_free(jwt);
}

TEST_F(JwtTest, TamperedAndMalformedTokensAreRefused) {
  std::string t = Mint(*rsa_, JWT_ALG_RS256, "rsa-1", Claims());
  // Another payload under the same signature.
  json c = Claims();
  c["groups"] = {"hr"};
  const std::string forged = Mint(*rsa_, JWT_ALG_RS256, "rsa-1", c);
  const auto dot1 = t.find('.'), dot2 = t.rfind('.');
  const std::string spliced =
      t.substr(0, dot1) + forged.substr(forged.find('.'), forged.rfind('.') - forged.find('.')) +
      t.substr(dot2);
  ExpectRefused(spliced, "bad signature");
  ExpectRefused("a.b", "malformed");
  ExpectRefused("!!!.e30.sig", "malformed header");
  ExpectRefused(t.substr(0, dot2) + ".", "malformed");
}

TEST(JwksTest, BadDocumentsAreRefusedNamingTheKey) {
  AuthConfig::Jwt c;
  EXPECT_FALSE(JwtVerifier::FromJwks("not json", c).ok());
  EXPECT_FALSE(JwtVerifier::FromJwks(R"({"keys": []})", c).ok());
  auto s = JwtVerifier::FromJwks(R"({"keys": [{"kty": "RSA", "kid": "k", "n": "!!", "e": "AQAB"}]})", c);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(absl::StrContains(s.status().message(), "keys[0].n")) << s.status();
  s = JwtVerifier::FromJwks(R"({"keys": [{"kty": "EC", "kid": "k", "crv": "P-256", "x": "AQAB", "y": "AQAB"}]})", c);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(absl::StrContains(s.status().message(), "32 bytes")) << s.status();
}

}  // namespace
}  // namespace shequ::auth
