#pragma once

// The directory of principals and API tokens made durable: the in-memory auth::Directory that
// authenticates calls, plus its records in the identity module's tables (migrations/).
//
// Changes run as engine transactions (Engine::ExecuteDomain) that write the records; the
// in-memory directory takes a change only once its commit succeeded, so a token is never
// accepted before it is durable, and a revocation is in force as soon as its call returns.

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/auth/sessions.h"
#include "daemon/auth/tokens.h"
#include "daemon/engine/engine.h"
#include "daemon/store/store.h"

namespace shequ::modules::identity {

class DurableDirectory {
 public:
  static constexpr char kPrincipals[] = "identity_principals";  // by name; unit
  static constexpr char kTokens[] = "identity_tokens";          // by id; principal
  static std::vector<store::TableSpec> Tables();

  DurableDirectory(engine::Engine& engine, store::Store& store, const Clock& clock)
      : engine_(engine), store_(store), clock_(clock) {}

  // Loads every principal and token. Once, before serving.
  absl::Status Recover();

  const auth::Directory& directory() const { return directory_; }
  const Clock& clock() const { return clock_; }

  // The streams tokens hold open; revoking a token, or disabling its principal, ends them.
  // Revocations and disabled principals end the streams `sessions` tracks.
  void SetSessions(auth::Sessions* sessions);

  template <typename T>
  using Done = std::function<void(absl::StatusOr<T>)>;

  // Creates or replaces a principal (its created_at_ms is kept). Names are 1-128 characters of
  // letters, digits and . _ - : @.
  void PutPrincipal(const engine::Caller& by, std::string request_id, auth::PrincipalRecord p,
                    Done<auth::PrincipalRecord> done);

  // Issues a token for `principal`, expiring after `ttl_ms` (0 = never). The answer's text is
  // the only copy of the secret. A retry with the same request_id is ALREADY_EXISTS: the secret
  // cannot be shown twice.
  void CreateToken(const engine::Caller& by, std::string request_id, std::string principal,
                   std::string description, int64_t ttl_ms, Done<auth::IssuedToken> done);

  // Revokes a token; the streams it opened are closed. Revoking a revoked token answers it as
  // it is.
  void RevokeToken(const engine::Caller& by, std::string request_id, std::string id,
                   Done<auth::TokenRecord> done);

 private:
  void Commit(const char* command, const std::string& actor, std::string request_id,
              std::vector<store::RecordWrite> records, engine::Reply reply);

  engine::Engine& engine_;
  store::Store& store_;
  const Clock& clock_;
  auth::Directory directory_;
  auth::Sessions* sessions_ = nullptr;
};

// JSON bodies of the module's records.
std::string PrincipalBody(const auth::PrincipalRecord& p);
std::string TokenBody(const auth::TokenRecord& t);
absl::StatusOr<auth::PrincipalRecord> PrincipalFromRecord(const store::Record& r);
absl::StatusOr<auth::TokenRecord> TokenFromRecord(const store::Record& r);

}  // namespace shequ::modules::identity
