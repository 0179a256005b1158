#pragma once

// API tokens and the principals they prove (docs/security.md "Authentication").
//
// A token reads `shq_<id>_<secret>`: the id (16 hex digits) names it in listings and logs, the
// secret (32 random bytes, 64 hex digits) proves it. The daemon keeps only the SHA-256 of the
// secret. The Directory holds every principal and token in memory, so that authenticating a
// call (on gRPC's threads) never touches the store; the identity module
// (daemon/modules/identity) keeps it current after each commit.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/auth/principal.h"

namespace shequ::auth {

inline constexpr char kTokenPrefix[] = "shq_";

struct RoleGrant {
  std::string role;
  int64_t expires_at_ms = 0;  // 0 = does not expire
};

struct PrincipalRecord {
  std::string name;
  std::string display_name;
  std::string kind = "person";  // "person" or "system"
  std::vector<RoleGrant> roles;
  std::string unit;
  bool disabled = false;
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;

  // The roles that count at `now_ms`: a grant past its expiry does not.
  std::vector<std::string> ActiveRoles(int64_t now_ms) const;
};

struct TokenRecord {
  std::string id;
  std::string principal;
  std::string secret_sha256;  // hex
  std::string description;
  std::string created_by;
  int64_t created_at_ms = 0;
  int64_t expires_at_ms = 0;  // 0 = never
  int64_t revoked_at_ms = 0;  // 0 = not revoked
  // When it last proved a call since the daemon started (0 = not since); kept in memory only,
  // so that authenticating writes nothing.
  int64_t last_used_at_ms = 0;
};

// A freshly issued token: the text is shown once, the record is what is kept.
struct IssuedToken {
  std::string text;  // shq_<id>_<secret>
  TokenRecord record;
};

// Draws a new id and secret from OpenSSL's RAND_bytes; INTERNAL when the generator fails.
absl::StatusOr<IssuedToken> IssueToken();

// The id and secret of token text; INVALID_ARGUMENT saying what is malformed.
struct TokenParts {
  std::string id;
  std::string secret;
};
absl::StatusOr<TokenParts> ParseToken(std::string_view text);

std::string Sha256Hex(std::string_view data);
// `bytes` random bytes from RAND_bytes, as hex; INTERNAL when the generator fails.
absl::StatusOr<std::string> RandomHex(size_t bytes);

// Every principal and token, in memory. Thread-safe: readers share a lock.
class Directory {
 public:
  void Put(PrincipalRecord principal);
  void Put(TokenRecord token);

  std::optional<PrincipalRecord> GetPrincipal(std::string_view name) const;
  std::optional<TokenRecord> GetToken(std::string_view id) const;
  // In name order.
  std::vector<PrincipalRecord> Principals() const;
  // In id order; `principal` "" = every principal's.
  std::vector<TokenRecord> Tokens(std::string_view principal) const;
  size_t principal_count() const;

  // The principal an API token proves at `now_ms`. UNAUTHENTICATED names why not: malformed,
  // unknown, revoked, expired, wrong secret, principal disabled or gone.
  absl::StatusOr<Principal> AuthenticateToken(std::string_view text, int64_t now_ms) const;

  // A principal proven by another credential (an mTLS certificate naming it): its record's
  // roles and unit. UNAUTHENTICATED when there is no such principal or it is disabled.
  absl::StatusOr<Principal> Resolve(std::string_view name, std::string via, int64_t now_ms) const;

 private:
  TokenRecord WithLastUse(const TokenRecord& t) const;  // requires mu_
  absl::StatusOr<Principal> FromRecordLocked(std::string_view name, std::string via,
                                             int64_t now_ms) const;
  mutable std::shared_mutex mu_;
  std::map<std::string, PrincipalRecord, std::less<>> principals_;
  std::map<std::string, TokenRecord, std::less<>> tokens_;
  // By token id, beside tokens_: stored to under the shared lock by AuthenticateToken.
  mutable std::map<std::string, std::atomic<int64_t>, std::less<>> last_used_;
};

}  // namespace shequ::auth
