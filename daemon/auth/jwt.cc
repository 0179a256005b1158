#include "daemon/auth/jwt.h"

#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace shequ::auth {
namespace {

using json = nlohmann::json;

absl::Status Refused(std::string_view why) {
  return absl::UnauthenticatedError(absl::StrCat("JWT refused: ", std::string(why)));
}

absl::StatusOr<std::string> B64Url(const json& v, const std::string& what) {
  std::string out;
  if (!v.is_string() || !absl::WebSafeBase64Unescape(v.get<std::string>(), &out) || out.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": not base64url"));
  }
  return out;
}

// OpenSSL objects freed on every path.
struct Free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
  void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(jwt_t* p) const { jwt_free(p); }
};
template <typename T>
using Ptr = std::unique_ptr<T, Free>;

// A public key from OSSL parameters, as PEM (what libjwt takes).
absl::StatusOr<std::string> PemFromParams(const char* type, OSSL_PARAM_BLD* bld,
                                          const std::string& what) {
  Ptr<OSSL_PARAM> params(OSSL_PARAM_BLD_to_param(bld));
  Ptr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1 || !raw) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": not a valid ", type, " public key"));
  }
  Ptr<EVP_PKEY> key(raw);
  Ptr<BIO> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key.get()) != 1) {
    return absl::InternalError(absl::StrCat(what, ": cannot write the key as PEM"));
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  if (len <= 0 || !data) return absl::InternalError(absl::StrCat(what, ": empty PEM"));
  return std::string(data, static_cast<size_t>(len));
}

absl::StatusOr<std::string> RsaPem(const json& jwk, const std::string& what) {
  auto n = B64Url(jwk.value("n", json()), what + ".n");
  if (!n.ok()) return n.status();
  auto e = B64Url(jwk.value("e", json()), what + ".e");
  if (!e.ok()) return e.status();
  Ptr<BIGNUM> bn_n(BN_bin2bn(reinterpret_cast<const unsigned char*>(n->data()),
                             static_cast<int>(n->size()), nullptr));
  Ptr<BIGNUM> bn_e(BN_bin2bn(reinterpret_cast<const unsigned char*>(e->data()),
                             static_cast<int>(e->size()), nullptr));
  Ptr<OSSL_PARAM_BLD> bld(OSSL_PARAM_BLD_new());
  if (!bn_n || !bn_e || !bld ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    return absl::InternalError(absl::StrCat(what, ": cannot build the RSA key"));
  }
  if (BN_num_bits(bn_n.get()) < 2048) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": RSA keys under 2048 bits are refused"));
  }
  return PemFromParams("RSA", bld.get(), what);
}

absl::StatusOr<std::string> EcPem(const json& jwk, const std::string& what) {
  auto x = B64Url(jwk.value("x", json()), what + ".x");
  if (!x.ok()) return x.status();
  auto y = B64Url(jwk.value("y", json()), what + ".y");
  if (!y.ok()) return y.status();
  if (x->size() != 32 || y->size() != 32) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": x and y must be 32 bytes (P-256)"));
  }
  const std::string point = absl::StrCat(std::string(1, '\x04'), *x, *y);  // uncompressed
  Ptr<OSSL_PARAM_BLD> bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) !=
          1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return absl::InternalError(absl::StrCat(what, ": cannot build the EC key"));
  }
  return PemFromParams("EC", bld.get(), what);
}

// The claim as strings: a string, or an array of strings.
std::vector<std::string> Strings(const json& v) {
  std::vector<std::string> out;
  if (v.is_string()) out.push_back(v.get<std::string>());
  if (v.is_array()) {
    for (const auto& e : v) {
      if (e.is_string()) out.push_back(e.get<std::string>());
    }
  }
  return out;
}

std::string Utc(int64_t s) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(s), absl::UTCTimeZone());
}

}  // namespace

absl::StatusOr<std::unique_ptr<JwtVerifier>> JwtVerifier::FromJwks(std::string_view text,
                                                                   AuthConfig::Jwt config) {
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("keys") || !doc["keys"].is_array()) {
    return absl::InvalidArgumentError("JWKS: expected {\"keys\": [...]}");
  }
  std::unique_ptr<JwtVerifier> v(new JwtVerifier(std::move(config)));
  size_t i = 0;
  for (const json& jwk : doc["keys"]) {
    const std::string what = absl::StrCat("JWKS keys[", i++, "]");
    if (!jwk.is_object()) return absl::InvalidArgumentError(what + ": not an object");
    const std::string kty = jwk.value("kty", "");
    const std::string kid = jwk.value("kid", "");
    if (kid.empty()) return absl::InvalidArgumentError(what + ": no kid");
    if (jwk.value("use", "sig") != "sig") continue;
    Key key;
    if (kty == "RSA") {
      auto pem = RsaPem(jwk, what);
      if (!pem.ok()) return pem.status();
      key = {"RS256", *std::move(pem)};
    } else if (kty == "EC" && jwk.value("crv", "") == "P-256") {
      auto pem = EcPem(jwk, what);
      if (!pem.ok()) return pem.status();
      key = {"ES256", *std::move(pem)};
    } else {
      continue;  // another type or curve: not ours to verify with
    }
    const std::string alg = jwk.value("alg", key.alg);
    if (alg != key.alg) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": alg ", alg, " with a ", kty,
                                                     " key (RS256 and ES256 are accepted)"));
    }
    if (!v->keys_.emplace(kid, std::move(key)).second) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": kid '", kid, "' twice"));
    }
  }
  if (v->keys_.empty()) return absl::InvalidArgumentError("JWKS: no RS256 or ES256 key");
  return v;
}

absl::StatusOr<std::unique_ptr<JwtVerifier>> JwtVerifier::Load(const AuthConfig::Jwt& config) {
  std::ifstream in(config.jwks_file);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("auth.jwt.jwks_file: cannot read ", config.jwks_file));
  }
  std::stringstream text;
  text << in.rdbuf();
  auto v = FromJwks(text.str(), config);
  if (!v.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(config.jwks_file, ": ", std::string(v.status().message())));
  }
  return v;
}

absl::StatusOr<Principal> JwtVerifier::Verify(const std::string& token, int64_t now_ms) const {
  // The header only routes the token to its key; libjwt decodes and verifies it.
  const std::vector<std::string> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3 || parts[0].empty() || parts[1].empty() || parts[2].empty()) {
    return Refused("malformed: expected header.payload.signature");
  }
  std::string header_text;
  if (!absl::WebSafeBase64Unescape(parts[0], &header_text)) return Refused("malformed header");
  const json header = json::parse(header_text, nullptr, false);
  if (!header.is_object()) return Refused("malformed header");
  const std::string alg = header.value("alg", "");
  const std::string kid = header.value("kid", "");
  if (alg != "RS256" && alg != "ES256") {
    return Refused(absl::StrCat("algorithm '", alg, "' is not accepted (RS256, ES256)"));
  }
  auto key = keys_.find(kid);
  if (key == keys_.end()) return Refused(absl::StrCat("unknown key id '", kid, "'"));
  if (key->second.alg != alg) {
    return Refused(absl::StrCat("key '", kid, "' is for ", key->second.alg, ", not ", alg));
  }
  jwt_t* raw = nullptr;
  const int rc = jwt_decode(&raw, token.c_str(),
                            reinterpret_cast<const unsigned char*>(key->second.pem.data()),
                            static_cast<int>(key->second.pem.size()));
  Ptr<jwt_t> jwt(raw);
  if (rc != 0 || !jwt) return Refused("bad signature");
  if (jwt_get_alg(jwt.get()) != jwt_str_alg(alg.c_str())) return Refused("bad signature");

  char* grants_text = jwt_get_grants_json(jwt.get(), nullptr);
  json claims = grants_text ? json::parse(grants_text, nullptr, false) : json();
  free(grants_text);
  if (!claims.is_object()) return Refused("malformed claims");

  const int64_t now_s = now_ms / 1000;
  const json& exp = claims.value("exp", json());
  if (!exp.is_number()) return Refused("no exp claim");
  if (now_s > exp.get<int64_t>() + config_.leeway_s) {
    return Refused(absl::StrCat("expired at ", Utc(exp.get<int64_t>())));
  }
  if (const json& nbf = claims.value("nbf", json()); nbf.is_number()) {
    if (now_s + config_.leeway_s < nbf.get<int64_t>()) {
      return Refused(absl::StrCat("not yet valid: not before ", Utc(nbf.get<int64_t>())));
    }
  }
  const std::string iss = claims.value("iss", json()).is_string() ? claims["iss"].get<std::string>()
                                                                   : "";
  if (iss != config_.issuer) return Refused(absl::StrCat("unknown issuer '", iss, "'"));
  const std::vector<std::string> aud = Strings(claims.value("aud", json()));
  const bool ours = std::any_of(aud.begin(), aud.end(), [&](const std::string& a) {
    return std::find(config_.audiences.begin(), config_.audiences.end(), a) !=
           config_.audiences.end();
  });
  if (!ours) return Refused("wrong audience");

  Principal p;
  p.via = "jwt";
  p.expires_at_ms = exp.get<int64_t>() * 1000;
  const json& name = claims.value(config_.name_claim, json());
  if (!name.is_string() || name.get<std::string>().empty()) {
    return Refused(absl::StrCat("no '", config_.name_claim, "' claim naming the caller"));
  }
  p.name = name.get<std::string>();
  for (const std::string& claimed : Strings(claims.value(config_.roles_claim, json()))) {
    auto it = config_.role_map.find(claimed);
    if (it == config_.role_map.end()) continue;
    for (const auto& role : it->second) {
      if (!p.HasRole(role)) p.roles.push_back(role);
    }
  }
  if (const json& unit = claims.value(config_.unit_claim, json()); unit.is_string()) {
    p.unit = unit.get<std::string>();
  }
  return p;
}

}  // namespace shequ::auth
