// shequctl whoami, principals put|list, tokens create|list|revoke: who may call the daemon and
// their API tokens (shequ.v1.Principals, docs/security.md).

#include <ctime>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "clients/cli/cli.h"
#include "clients/cli/table.h"
#include "shequ/v1/principals.grpc.pb.h"

namespace shequ::cli {
namespace {

std::unique_ptr<v1::Principals::Stub> Stub(Cli& cli) {
  return v1::Principals::NewStub(cli.channel());
}

// "leading-group", or "roster-migration (until 2026-06-30 24:00:00)".
std::string RoleText(const v1::RoleGrant& g) {
  if (g.expires_at_ms() == 0) return g.role();
  return absl::StrCat(g.role(), " (until ", FormatTime(g.expires_at_ms()), ")");
}

std::string Roles(const v1::Principal& p) {
  std::vector<std::string> roles;
  for (const auto& g : p.roles()) roles.push_back(RoleText(g));
  return absl::StrJoin(roles, ", ");
}

// The end of day YYYY-MM-DD in Beijing time (UTC+8), in ms since the epoch; nullopt if the date
// is malformed.
std::optional<int64_t> EndOfDay(const std::string& date) {
  std::vector<std::string> parts = absl::StrSplit(date, '-');
  int y = 0, m = 0, d = 0;
  if (parts.size() != 3 || parts[0].size() != 4 || parts[1].size() != 2 || parts[2].size() != 2 ||
      !absl::SimpleAtoi(parts[0], &y) || !absl::SimpleAtoi(parts[1], &m) ||
      !absl::SimpleAtoi(parts[2], &d) || m < 1 || m > 12 || d < 1 || d > 31) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = m - 1;
  tm.tm_mday = d + 1;  // midnight ending the day; timegm normalises the month's end
  const int64_t utc = timegm(&tm);
  return (utc - 8 * 3600) * 1000;
}

int WhoAmI(Cli& cli, const Args&) {
  grpc::ClientContext ctx;
  cli.Prepare(&ctx);
  v1::Principal p;
  if (auto s = Stub(cli)->WhoAmI(&ctx, v1::WhoAmIRequest(), &p); !s.ok()) return cli.Fail(s);
  if (cli.json()) {
    cli.PrintJson(p);
    return kOk;
  }
  Table t;
  t.Add({"name", p.name()});
  if (!p.display_name().empty()) t.Add({"display name", p.display_name()});
  t.Add({"kind", p.kind()});
  t.Add({"roles", Roles(p)});
  t.Add({"unit", p.unit().empty() ? "(all)" : p.unit()});
  t.Add({"via", p.via()});
  t.Print(std::cout);
  return kOk;
}

int PutPrincipal(Cli& cli, const Args& args) {
  v1::PutPrincipalRequest req;
  v1::Principal* p = req.mutable_principal();
  p->set_name(args.positional[0]);
  p->set_kind(args.Get("kind", "person"));
  if (p->kind() != "person" && p->kind() != "system") {
    return cli.Usage("principals put", "--kind is person or system");
  }
  p->set_display_name(args.Get("display-name"));
  p->set_unit(args.Get("unit"));
  p->set_disabled(args.Has("disabled"));
  for (const std::string& role : args.All("role")) {
    const auto at = role.find('@');
    v1::RoleGrant* g = p->add_roles();
    g->set_role(role.substr(0, at));
    if (g->role().empty()) return cli.Usage("principals put", "--role: a role name is missing");
    if (at != std::string::npos) {
      auto until = EndOfDay(role.substr(at + 1));
      if (!until) {
        return cli.Usage("principals put",
                         absl::StrCat("--role ", role, ": the date after @ is not YYYY-MM-DD"));
      }
      g->set_expires_at_ms(*until);
    }
  }
  req.set_reason(args.Get("reason"));
  req.set_request_id(args.Get("request-id"));
  grpc::ClientContext ctx;
  cli.Prepare(&ctx);
  v1::Principal resp;
  if (auto s = Stub(cli)->Put(&ctx, req, &resp); !s.ok()) return cli.Fail(s);
  if (cli.json()) {
    cli.PrintJson(resp);
  } else {
    std::cout << "principal " << resp.name() << " (" << resp.kind() << "): roles "
              << (resp.roles().empty() ? "none" : Roles(resp)) << "; unit "
              << (resp.unit().empty() ? "(all)" : resp.unit())
              << (resp.disabled() ? "; disabled" : "") << "\n";
  }
  return kOk;
}

int ListPrincipals(Cli& cli, const Args& args) {
  v1::ListPrincipalsRequest req;
  req.set_unit(args.Get("unit"));
  req.set_role(args.Get("role"));
  grpc::ClientContext ctx;
  cli.Prepare(&ctx);
  v1::ListPrincipalsResponse resp;
  if (auto s = Stub(cli)->List(&ctx, req, &resp); !s.ok()) return cli.Fail(s);
  if (cli.json()) {
    cli.PrintJson(resp);
    return kOk;
  }
  Table t({"NAME", "KIND", "UNIT", "ROLES", "DISABLED", "UPDATED", "DISPLAY NAME"});
  for (const auto& p : resp.principals()) {
    t.Add({p.name(), p.kind(), p.unit(), Roles(p), p.disabled() ? "yes" : "",
           FormatTime(p.updated_at_ms()), p.display_name()});
  }
  t.Print(std::cout);
  return kOk;
}

int CreateToken(Cli& cli, const Args& args) {
  v1::CreateTokenRequest req;
  req.set_principal(args.positional[0]);
  req.set_description(args.Get("description"));
  req.set_expires_in(args.Get("expires-in"));
  req.set_request_id(args.Get("request-id"));
  grpc::ClientContext ctx;
  cli.Prepare(&ctx);
  v1::CreateTokenResponse resp;
  if (auto s = Stub(cli)->CreateToken(&ctx, req, &resp); !s.ok()) return cli.Fail(s);
  // The secret alone on stdout (so `$(shequctl tokens create ...)` captures it), the rest on
  // stderr.
  if (cli.json()) {
    cli.PrintJson(resp);
  } else {
    std::cout << resp.secret() << std::endl;
  }
  std::cerr << "token " << resp.token().id() << " for " << resp.token().principal()
            << (resp.token().expires_at_ms()
                    ? absl::StrCat(", expires ", FormatTime(resp.token().expires_at_ms()))
                    : "")
            << ".\nThis is the only time the token is shown: store it now (the daemon keeps "
               "only its hash).\nSend it as `authorization: Bearer <token>`: shequctl --token, "
               "or SHEQU_TOKEN.\n";
  return kOk;
}

int ListTokens(Cli& cli, const Args& args) {
  v1::ListTokensRequest req;
  req.set_principal(args.Get("principal"));
  req.set_include_revoked(args.Has("all"));
  grpc::ClientContext ctx;
  cli.Prepare(&ctx);
  v1::ListTokensResponse resp;
  if (auto s = Stub(cli)->ListTokens(&ctx, req, &resp); !s.ok()) return cli.Fail(s);
  if (cli.json()) {
    cli.PrintJson(resp);
    return kOk;
  }
  Table t({"ID", "PRINCIPAL", "CREATED", "EXPIRES", "REVOKED", "LAST USED", "CREATED BY",
           "DESCRIPTION"});
  for (const auto& k : resp.tokens()) {
    t.Add({k.id(), k.principal(), FormatTime(k.created_at_ms()), FormatTime(k.expires_at_ms()),
           FormatTime(k.revoked_at_ms()), FormatTime(k.last_used_at_ms()), k.created_by(),
           k.description()});
  }
  t.Print(std::cout);
  return kOk;
}

int RevokeToken(Cli& cli, const Args& args) {
  v1::RevokeTokenRequest req;
  req.set_id(args.positional[0]);
  req.set_reason(args.Get("reason"));
  req.set_request_id(args.Get("request-id"));
  grpc::ClientContext ctx;
  cli.Prepare(&ctx);
  v1::RevokeTokenResponse resp;
  if (auto s = Stub(cli)->RevokeToken(&ctx, req, &resp); !s.ok()) return cli.Fail(s);
  if (cli.json()) {
    cli.PrintJson(resp);
  } else {
    std::cout << "revoked token " << resp.token().id() << " of " << resp.token().principal()
              << " at " << FormatTime(resp.token().revoked_at_ms()) << "\n";
  }
  return kOk;
}

const Flag kRequestId = {"request-id", "ID", "makes a retry safe: the same id, the same answer"};

}  // namespace

std::vector<Command> PrincipalCommands() {
  return {
      {"whoami",
       "",
       "Who the daemon takes you for: name, roles, unit scope, and how you were authenticated",
       "",
       {},
       0,
       0,
       WhoAmI},
      {"principals put",
       "NAME [--role ROLE[@YYYY-MM-DD] ...] [--unit UNIT] [--kind person|system]",
       "Creates or updates a principal (a person or a department system)",
       "Every put replaces the principal's roles, unit and display name with those given.\n"
       "--role ROLE@YYYY-MM-DD grants a role until the end of that day (Beijing time), e.g.\n"
       "roster-migration@2026-06-30. --unit: the principal acts for this unit and the units\n"
       "under it (none: district-wide). Then `shequctl tokens create NAME` issues its token.",
       {{"role", "ROLE[@DATE]", "a role it holds (until DATE)", true},
        {"unit", "UNIT", "its unit scope (this command's own --unit)"},
        {"kind", "KIND", "person (default) or system"},
        {"display-name", "TEXT", "a readable name (王力)"},
        {"disabled", "", "refuse its tokens from now on"},
        {"reason", "TEXT", "why (kept in the audit trail)"},
        kRequestId},
       1,
       1,
       PutPrincipal},
      {"principals list",
       "[--unit UNIT] [--role ROLE]",
       "Lists the principals, or those of a unit or holding a role",
       "",
       {{"unit", "UNIT", "only principals scoped to this unit (this command's own --unit)"},
        {"role", "ROLE", "only principals holding this role"}},
       0,
       0,
       ListPrincipals},
      {"tokens create",
       "PRINCIPAL [--description TEXT] [--expires-in DURATION]",
       "Issues an API token for a principal and prints it — the only time it is shown",
       "The token alone goes to stdout (TOKEN=$(shequctl tokens create ...)), what it is to\n"
       "stderr. --expires-in: a duration such as P90D (default: the daemon's configured one).",
       {{"description", "TEXT", "what it is for (\"civil affairs roster sync\")"},
        {"expires-in", "DURATION", "P90D, PT12H, ... (default: the daemon's)"},
        kRequestId},
       1,
       1,
       CreateToken},
      {"tokens list",
       "[--principal NAME] [--all]",
       "Lists the API tokens (never their secrets)",
       "",
       {{"principal", "NAME", "only this principal's tokens"},
        {"all", "", "include revoked tokens"}},
       0,
       0,
       ListTokens},
      {"tokens revoke",
       "TOKEN-ID [--reason TEXT]",
       "Revokes a token at once: its calls are refused, its open streams closed",
       "TOKEN-ID is the id `tokens list` shows (not the secret).",
       {{"reason", "TEXT", "why (kept in the audit trail)"}, kRequestId},
       1,
       1,
       RevokeToken},
  };
}

}  // namespace shequ::cli
