#include "daemon/modules/identity/durable_directory.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "daemon/core/logging.h"
#include "daemon/core/status.h"
#include "daemon/modules/records.h"

namespace shequ::modules::identity {

using engine::json;

namespace {

constexpr std::string_view kPrincipalFields[] = {
    "name", "display_name", "kind", "roles", "unit", "disabled", "created_at_ms",
    "updated_at_ms"};
constexpr std::string_view kTokenFields[] = {
    "id", "principal", "secret_sha256", "description", "created_by", "created_at_ms",
    "expires_at_ms", "revoked_at_ms"};

absl::Status ValidName(const std::string& name) {
  if (name.empty() || name.size() > 128) {
    return absl::InvalidArgumentError("principal.name: 1 to 128 characters");
  }
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '_' && c != '-' && c != ':' && c != '@') {
      return absl::InvalidArgumentError(
          absl::StrCat("principal.name: '", name, "': letters, digits and . _ - : @ only"));
    }
  }
  return absl::OkStatus();
}

// Each change carries a fresh nonce in its answer: a reply whose nonce is not the call's own
// is a retry's replay of an earlier answer, which must not be applied again.
std::string Nonce() {
  auto n = auth::RandomHex(8);
  return n.ok() ? *n : "";
}

}  // namespace

std::string PrincipalBody(const auth::PrincipalRecord& p) {
  json roles = json::array();
  for (const auto& g : p.roles) roles.push_back({{"role", g.role}, {"expires_at_ms", g.expires_at_ms}});
  return json{{"name", p.name},
              {"display_name", p.display_name},
              {"kind", p.kind},
              {"roles", roles},
              {"unit", p.unit},
              {"disabled", p.disabled},
              {"created_at_ms", p.created_at_ms},
              {"updated_at_ms", p.updated_at_ms}}
      .dump();
}

std::string TokenBody(const auth::TokenRecord& t) {
  return json{{"id", t.id},
              {"principal", t.principal},
              {"secret_sha256", t.secret_sha256},
              {"description", t.description},
              {"created_by", t.created_by},
              {"created_at_ms", t.created_at_ms},
              {"expires_at_ms", t.expires_at_ms},
              {"revoked_at_ms", t.revoked_at_ms}}
      .dump();
}

absl::StatusOr<auth::PrincipalRecord> PrincipalFromRecord(const store::Record& r) {
  ASSIGN_OR_RETURN(json b, ReadBody(DurableDirectory::kPrincipals, r, kPrincipalFields));
  try {
    auth::PrincipalRecord p;
    p.name = b.at("name").get<std::string>();
    p.display_name = b.value("display_name", "");
    p.kind = b.value("kind", "person");
    for (const auto& g : b.at("roles")) {
      p.roles.push_back({g.at("role").get<std::string>(), g.value("expires_at_ms", int64_t{0})});
    }
    p.unit = b.value("unit", "");
    p.disabled = b.value("disabled", false);
    p.created_at_ms = b.value("created_at_ms", int64_t{0});
    p.updated_at_ms = b.value("updated_at_ms", int64_t{0});
    return p;
  } catch (const json::exception& e) {
    return absl::DataLossError(
        absl::StrCat(DurableDirectory::kPrincipals, " ", r.key, ": ", e.what()));
  }
}

absl::StatusOr<auth::TokenRecord> TokenFromRecord(const store::Record& r) {
  ASSIGN_OR_RETURN(json b, ReadBody(DurableDirectory::kTokens, r, kTokenFields));
  try {
    auth::TokenRecord t;
    t.id = b.at("id").get<std::string>();
    t.principal = b.at("principal").get<std::string>();
    t.secret_sha256 = b.at("secret_sha256").get<std::string>();
    t.description = b.value("description", "");
    t.created_by = b.value("created_by", "");
    t.created_at_ms = b.value("created_at_ms", int64_t{0});
    t.expires_at_ms = b.value("expires_at_ms", int64_t{0});
    t.revoked_at_ms = b.value("revoked_at_ms", int64_t{0});
    return t;
  } catch (const json::exception& e) {
    return absl::DataLossError(absl::StrCat(DurableDirectory::kTokens, " ", r.key, ": ", e.what()));
  }
}

std::vector<store::TableSpec> DurableDirectory::Tables() {
  return {{kPrincipals, {"unit"}}, {kTokens, {"principal"}}};
}

absl::Status DurableDirectory::Recover() {
  RETURN_IF_ERROR(store::ForEachRecord(
      store_, {.table = kPrincipals}, [this](store::Record&& r) -> absl::Status {
        ASSIGN_OR_RETURN(auth::PrincipalRecord p, PrincipalFromRecord(r));
        directory_.Put(std::move(p));
        return absl::OkStatus();
      }));
  size_t tokens = 0;
  RETURN_IF_ERROR(store::ForEachRecord(
      store_, {.table = kTokens}, [this, &tokens](store::Record&& r) -> absl::Status {
        ASSIGN_OR_RETURN(auth::TokenRecord t, TokenFromRecord(r));
        directory_.Put(std::move(t));
        ++tokens;
        return absl::OkStatus();
      }));
  Logger("identity")->info("directory: {} principals, {} API tokens",
                           directory_.principal_count(), tokens);
  return absl::OkStatus();
}

void DurableDirectory::SetSessions(auth::Sessions* sessions) {
  sessions_ = sessions;
  sessions_->SetCheck([this](const std::string& id) -> absl::Status {
    auto token = directory_.GetToken(id);
    if (!token || token->revoked_at_ms != 0) return absl::UnauthenticatedError("token revoked");
    auto principal = directory_.GetPrincipal(token->principal);
    if (!principal || principal->disabled) {
      return absl::UnauthenticatedError(absl::StrCat("principal ", token->principal, " disabled"));
    }
    return absl::OkStatus();
  });
}

void DurableDirectory::PutPrincipal(const engine::Caller& by, std::string request_id,
                                    auth::PrincipalRecord p, Done<auth::PrincipalRecord> done) {
  if (auto s = ValidName(p.name); !s.ok()) return done(s);
  if (p.kind.empty()) p.kind = "person";
  if (p.kind != "person" && p.kind != "system") {
    return done(absl::InvalidArgumentError(
        absl::StrCat("principal.kind: '", p.kind, "' is not person or system")));
  }
  for (const auto& g : p.roles) {
    if (g.role.empty()) return done(absl::InvalidArgumentError("principal.roles: a role is empty"));
    if (g.expires_at_ms < 0) {
      return done(absl::InvalidArgumentError("principal.roles: expires_at_ms is negative"));
    }
  }
  const std::string nonce = Nonce();
  engine_.ExecuteDomain(
      "Principals.Put", std::move(request_id), by,
      [this, p, nonce](engine::Engine::DomainTx& tx) -> absl::StatusOr<json> {
        auth::PrincipalRecord rec = p;
        const auto old = directory_.GetPrincipal(p.name);
        rec.created_at_ms = old ? old->created_at_ms : tx.now();
        rec.updated_at_ms = tx.now();
        tx.rows().records.push_back(PutRecord(kPrincipals, rec.name, PrincipalBody(rec), {rec.unit}));
        return json{{"nonce", nonce}, {"name", rec.name}, {"body", PrincipalBody(rec)}};
      },
      [this, nonce, name = p.name, done](absl::StatusOr<json> a) {
        if (!a.ok()) return done(a.status());
        if (a->value("nonce", "") == nonce) {
          auto rec = PrincipalFromRecord({name, a->at("body").get<std::string>()});
          if (!rec.ok()) return done(rec.status());
          const bool disabled = rec->disabled;
          directory_.Put(*rec);
          if (disabled && sessions_) {
            for (const auto& t : directory_.Tokens(name)) {
              sessions_->Revoke(t.id, absl::StrCat("principal ", name, " disabled"));
            }
          }
        }
        auto current = directory_.GetPrincipal(name);
        if (!current) return done(absl::NotFoundError(absl::StrCat("no principal '", name, "'")));
        done(*current);
      });
}

void DurableDirectory::CreateToken(const engine::Caller& by, std::string request_id,
                                   std::string principal, std::string description, int64_t ttl_ms,
                                   Done<auth::IssuedToken> done) {
  auto issued = auth::IssueToken();
  if (!issued.ok()) return done(issued.status());
  issued->record.principal = principal;
  issued->record.description = std::move(description);
  issued->record.created_by = by.user;
  // Copied before the call: its two lambdas' captures are made in no fixed order.
  auth::TokenRecord record = issued->record;
  engine_.ExecuteDomain(
      "Principals.CreateToken", std::move(request_id), by,
      [this, rec = std::move(record), ttl_ms](engine::Engine::DomainTx& tx) -> absl::StatusOr<json> {
        const auto p = directory_.GetPrincipal(rec.principal);
        if (!p) {
          return absl::NotFoundError(absl::StrCat("principal: no principal '", rec.principal, "'"));
        }
        if (p->disabled) {
          return absl::FailedPreconditionError(
              absl::StrCat("principal: '", rec.principal, "' is disabled"));
        }
        auth::TokenRecord t = rec;
        t.created_at_ms = tx.now();
        t.expires_at_ms = ttl_ms > 0 ? tx.now() + ttl_ms : 0;
        tx.rows().records.push_back(PutRecord(kTokens, t.id, TokenBody(t), {t.principal}));
        // The answer (kept for retries) holds the digest's record, never the secret.
        return json{{"id", t.id}, {"body", TokenBody(t)}};
      },
      [this, issued = *std::move(issued), done](absl::StatusOr<json> a) mutable {
        if (!a.ok()) return done(a.status());
        if (a->value("id", "") != issued.record.id) {
          return done(absl::AlreadyExistsError(absl::StrCat(
              "request_id: API token ", a->value("id", ""),
              " was issued by the first call with this request_id; its secret is shown only "
              "once (revoke it and create another)")));
        }
        auto rec = TokenFromRecord({issued.record.id, a->at("body").get<std::string>()});
        if (!rec.ok()) return done(rec.status());
        directory_.Put(*rec);
        issued.record = *std::move(rec);
        Logger("identity")->info("API token {} issued to {} by {}", issued.record.id,
                                 issued.record.principal, issued.record.created_by);
        done(std::move(issued));
      });
}

void DurableDirectory::RevokeToken(const engine::Caller& by, std::string request_id,
                                   std::string id, Done<auth::TokenRecord> done) {
  const std::string nonce = Nonce();
  engine_.ExecuteDomain(
      "Principals.RevokeToken", std::move(request_id), by,
      [this, id, nonce](engine::Engine::DomainTx& tx) -> absl::StatusOr<json> {
        auto t = directory_.GetToken(id);
        if (!t) return absl::NotFoundError(absl::StrCat("id: no API token ", id));
        if (t->revoked_at_ms != 0) return json{{"nonce", ""}};  // already revoked: no change
        t->revoked_at_ms = tx.now();
        tx.rows().records.push_back(PutRecord(kTokens, t->id, TokenBody(*t), {t->principal}));
        return json{{"nonce", nonce}, {"body", TokenBody(*t)}};
      },
      [this, id, nonce, actor = by.user, done](absl::StatusOr<json> a) {
        if (!a.ok()) return done(a.status());
        if (a->value("nonce", "") == nonce) {
          auto rec = TokenFromRecord({id, a->at("body").get<std::string>()});
          if (!rec.ok()) return done(rec.status());
          directory_.Put(*rec);
          size_t closed = sessions_ ? sessions_->Revoke(id, "token revoked") : 0;
          Logger("identity")->info("API token {} of {} revoked by {}; {} open streams closed", id,
                                   rec->principal, actor, closed);
        }
        auto current = directory_.GetToken(id);
        if (!current) return done(absl::NotFoundError(absl::StrCat("id: no API token ", id)));
        done(*current);
      });
}

}  // namespace shequ::modules::identity
