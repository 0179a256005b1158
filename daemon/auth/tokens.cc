#include "daemon/auth/tokens.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace shequ::auth {
namespace {

constexpr size_t kIdBytes = 8;
constexpr size_t kSecretBytes = 32;

bool IsLowerHex(std::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isdigit(c) && (c < 'a' || c > 'f')) return false;
  }
  return true;
}

std::string Utc(int64_t ms) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixMillis(ms), absl::UTCTimeZone());
}

absl::Status Unauthenticated(std::string_view why) {
  return absl::UnauthenticatedError(std::string(why));
}

}  // namespace

std::vector<std::string> PrincipalRecord::ActiveRoles(int64_t now_ms) const {
  std::vector<std::string> out;
  for (const auto& g : roles) {
    if (g.expires_at_ms == 0 || now_ms < g.expires_at_ms) out.push_back(g.role);
  }
  return out;
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // EVP_Digest fails only when the library itself is broken; an empty digest then matches
  // nothing (stored digests are 64 hex digits).
  if (EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr) != 1) return "";
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), len));
}

absl::StatusOr<std::string> RandomHex(size_t bytes) {
  std::string buf(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(buf.data()), static_cast<int>(bytes)) != 1) {
    return absl::InternalError("RAND_bytes failed: no token issued");
  }
  return absl::BytesToHexString(buf);
}

absl::StatusOr<IssuedToken> IssueToken() {
  auto id = RandomHex(kIdBytes);
  if (!id.ok()) return id.status();
  auto secret = RandomHex(kSecretBytes);
  if (!secret.ok()) return secret.status();
  IssuedToken t;
  t.text = absl::StrCat(kTokenPrefix, *id, "_", *secret);
  t.record.id = *id;
  t.record.secret_sha256 = Sha256Hex(*secret);
  if (t.record.secret_sha256.empty()) return absl::InternalError("SHA-256 failed: no token issued");
  return t;
}

absl::StatusOr<TokenParts> ParseToken(std::string_view text) {
  constexpr char kShape[] = "malformed API token: expected shq_<id>_<secret>";
  const std::string_view prefix = kTokenPrefix;
  if (text.substr(0, prefix.size()) != prefix) return absl::InvalidArgumentError(kShape);
  text.remove_prefix(prefix.size());
  const size_t sep = text.find('_');
  if (sep == std::string_view::npos) return absl::InvalidArgumentError(kShape);
  TokenParts p{std::string(text.substr(0, sep)), std::string(text.substr(sep + 1))};
  if (p.id.size() != 2 * kIdBytes || !IsLowerHex(p.id)) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed API token: the id is not ", 2 * kIdBytes, " hex digits"));
  }
  if (p.secret.size() != 2 * kSecretBytes || !IsLowerHex(p.secret)) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed API token: the secret is not ", 2 * kSecretBytes, " hex digits"));
  }
  return p;
}

void Directory::Put(PrincipalRecord principal) {
  std::unique_lock lock(mu_);
  std::string name = principal.name;
  principals_[std::move(name)] = std::move(principal);
}

void Directory::Put(TokenRecord token) {
  std::unique_lock lock(mu_);
  last_used_.try_emplace(token.id, 0);
  std::string id = token.id;
  tokens_[std::move(id)] = std::move(token);
}

std::optional<PrincipalRecord> Directory::GetPrincipal(std::string_view name) const {
  std::shared_lock lock(mu_);
  auto it = principals_.find(name);
  if (it == principals_.end()) return std::nullopt;
  return it->second;
}

TokenRecord Directory::WithLastUse(const TokenRecord& t) const {
  TokenRecord out = t;
  auto used = last_used_.find(t.id);
  if (used != last_used_.end()) out.last_used_at_ms = used->second.load(std::memory_order_relaxed);
  return out;
}

std::optional<TokenRecord> Directory::GetToken(std::string_view id) const {
  std::shared_lock lock(mu_);
  auto it = tokens_.find(id);
  if (it == tokens_.end()) return std::nullopt;
  return WithLastUse(it->second);
}

std::vector<PrincipalRecord> Directory::Principals() const {
  std::shared_lock lock(mu_);
  std::vector<PrincipalRecord> out;
  out.reserve(principals_.size());
  for (const auto& [name, p] : principals_) out.push_back(p);
  return out;
}

std::vector<TokenRecord> Directory::Tokens(std::string_view principal) const {
  std::shared_lock lock(mu_);
  std::vector<TokenRecord> out;
  for (const auto& [id, t] : tokens_) {
    if (principal.empty() || t.principal == principal) out.push_back(WithLastUse(t));
  }
  return out;
}

size_t Directory::principal_count() const {
  std::shared_lock lock(mu_);
  return principals_.size();
}

absl::StatusOr<Principal> Directory::FromRecordLocked(std::string_view name, std::string via,
                                                      int64_t now_ms) const {
  auto it = principals_.find(name);
  if (it == principals_.end()) {
    return Unauthenticated(absl::StrCat("no principal '", std::string(name), "'"));
  }
  const PrincipalRecord& r = it->second;
  if (r.disabled) return Unauthenticated(absl::StrCat("principal '", std::string(name), "' is disabled"));
  Principal p;
  p.name = r.name;
  p.roles = r.ActiveRoles(now_ms);
  p.unit = r.unit;
  p.via = std::move(via);
  return p;
}

absl::StatusOr<Principal> Directory::AuthenticateToken(std::string_view text,
                                                       int64_t now_ms) const {
  auto parts = ParseToken(text);
  if (!parts.ok()) return Unauthenticated(std::string(parts.status().message()));
  // Hashed before the lookup, so that an unknown id costs what a known one does.
  const std::string presented = Sha256Hex(parts->secret);
  std::shared_lock lock(mu_);
  auto it = tokens_.find(parts->id);
  if (it == tokens_.end()) {
    return Unauthenticated(absl::StrCat("unknown API token ", parts->id));
  }
  const TokenRecord& t = it->second;
  // Constant time: how much of the digest matches must not show in how long the answer takes.
  if (presented.size() != t.secret_sha256.size() ||
      CRYPTO_memcmp(presented.data(), t.secret_sha256.data(), presented.size()) != 0) {
    return Unauthenticated(absl::StrCat("API token ", t.id, ": wrong secret"));
  }
  if (t.revoked_at_ms != 0) {
    return Unauthenticated(
        absl::StrCat("API token ", t.id, " was revoked at ", Utc(t.revoked_at_ms)));
  }
  if (t.expires_at_ms != 0 && now_ms >= t.expires_at_ms) {
    return Unauthenticated(
        absl::StrCat("API token ", t.id, " expired at ", Utc(t.expires_at_ms)));
  }
  auto p = FromRecordLocked(t.principal, "token", now_ms);
  if (!p.ok()) return Unauthenticated(absl::StrCat("API token ", t.id, ": ", p.status().message()));
  p->credential = t.id;
  p->expires_at_ms = t.expires_at_ms;
  last_used_.find(t.id)->second.store(now_ms, std::memory_order_relaxed);
  return p;
}

absl::StatusOr<Principal> Directory::Resolve(std::string_view name, std::string via,
                                             int64_t now_ms) const {
  std::shared_lock lock(mu_);
  return FromRecordLocked(name, std::move(via), now_ms);
}

}  // namespace shequ::auth
