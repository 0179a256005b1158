// shequctl audit verify, audit list.

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "clients/cli/cli.h"
#include "clients/cli/table.h"
#include "daemon/auth/audit_chain.h"
#include "daemon/auth/audit_verify.h"
#include "shequ/v1/audit.grpc.pb.h"

namespace shequ::cli {
namespace {

// Milliseconds since the epoch, or a date YYYY-MM-DD (its midnight in China Standard Time).
std::optional<int64_t> ParseWhen(const std::string& text) {
  int64_t ms = 0;
  if (absl::SimpleAtoi(text, &ms) && ms >= 0) return ms;
  int y = 0, m = 0, d = 0;
  char tail = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(m),
                                        std::chrono::day(d)};
  if (!ymd.ok()) return std::nullopt;
  const int64_t days = std::chrono::sys_days(ymd).time_since_epoch().count();
  return days * 86'400'000 - 8 * 3'600'000;
}

int PrintVerdict(Cli& cli, bool ok, int64_t entries, int64_t checkpoints, int64_t first,
                 int64_t last, const std::string& problem, const std::string& note) {
  if (cli.json()) {
    v1::VerifyAuditResponse resp;
    resp.set_ok(ok);
    resp.set_entries(entries);
    resp.set_checkpoints(checkpoints);
    resp.set_first_seq(first);
    resp.set_last_seq(last);
    resp.set_problem(problem);
    cli.PrintJson(resp);
  } else if (ok) {
    std::cout << "ok: " << entries << " entries";
    if (entries > 0) std::cout << " (seq " << first << " to " << last << ")";
    std::cout << ", " << checkpoints << " signed checkpoints" << note << "\n";
  } else {
    std::cout << "BROKEN: " << problem << "\n";
  }
  return ok ? kOk : kOther;
}

int Verify(Cli& cli, const Args& args) {
  if (!args.Has("db")) {
    if (args.Has("witness") || args.Has("public-key")) {
      return cli.Usage("audit verify", "--witness and --public-key go with --db");
    }
    // The live database, checked by the daemon.
    grpc::ClientContext ctx;
    cli.Prepare(&ctx);
    v1::VerifyAuditResponse resp;
    auto s = v1::Audit::NewStub(cli.channel())->Verify(&ctx, v1::VerifyAuditRequest(), &resp);
    if (!s.ok()) return cli.Fail(s);
    return PrintVerdict(cli, resp.ok(), resp.entries(), resp.checkpoints(), resp.first_seq(),
                        resp.last_seq(), resp.problem(), "");
  }
  auth::AuditVerifyOptions opts;
  opts.db = args.Get("db");
  if (!std::filesystem::exists(opts.db)) {
    return cli.Fail(grpc::StatusCode::NOT_FOUND, "--db " + opts.db + ": no such file");
  }
  opts.witness = args.Get("witness");
  std::string note;
  // The public key: given, or the one the daemon wrote next to its database.
  std::string key_file = args.Get("public-key");
  if (key_file.empty()) {
    auto beside = std::filesystem::path(opts.db).parent_path() / "audit-signing.pub";
    if (std::filesystem::exists(beside)) key_file = beside.string();
  }
  if (key_file.empty()) {
    note = "; signatures NOT checked (no --public-key)";
  } else {
    auto key = auth::audit::ReadPublicKeyFile(key_file);
    if (!key.ok()) {
      return cli.Fail(grpc::StatusCode::INVALID_ARGUMENT, std::string(key.status().message()));
    }
    opts.public_key = *key;
    if (!args.Has("public-key")) note = "; signatures checked with " + key_file;
  }
  if (opts.witness.empty()) note += "; no --witness: a truncated tail after the last checkpoint "
                                    "kept in the database is not detectable";
  auto r = auth::VerifyAuditTrail(opts);
  if (!r.ok()) {
    return cli.Fail(static_cast<grpc::StatusCode>(r.status().code()),
                    std::string(r.status().message()));
  }
  return PrintVerdict(cli, r->ok, r->entries, r->checkpoints, r->first_seq, r->last_seq,
                      r->problem, note);
}

int List(Cli& cli, const Args& args) {
  v1::ListAuditRequest req;
  req.set_principal(args.Get("principal"));
  req.set_resource(args.Get("resource"));
  req.set_method(args.Get("method"));
  for (const char* flag : {"from", "to"}) {
    if (!args.Has(flag)) continue;
    auto when = ParseWhen(args.Get(flag));
    if (!when) {
      return cli.Usage("audit list",
                       std::string("--") + flag + " takes YYYY-MM-DD or milliseconds since 1970");
    }
    flag == std::string("from") ? req.set_from_ms(*when) : req.set_to_ms(*when);
  }
  int64_t limit = 0;
  if (args.Has("limit") && (!absl::SimpleAtoi(args.Get("limit"), &limit) || limit <= 0)) {
    return cli.Usage("audit list", "--limit must be a positive number");
  }
  auto stub = v1::Audit::NewStub(cli.channel());
  Table t({"SEQ", "TIME", "PRINCIPAL", "METHOD", "OUTCOME", "RESOURCES", "DETAIL"});
  t.AlignRight(0);
  int64_t shown = 0;
  do {
    grpc::ClientContext ctx;
    cli.Prepare(&ctx);
    v1::ListAuditResponse resp;
    auto s = stub->List(&ctx, req, &resp);
    if (!s.ok()) return cli.Fail(s);
    for (const auto& e : resp.entries()) {
      if (limit > 0 && shown == limit) break;
      ++shown;
      if (cli.json()) {
        cli.PrintJson(e);
        continue;
      }
      t.Add({std::to_string(e.seq()), FormatTime(e.at_ms()), e.principal(), e.method(),
             e.outcome(), absl::StrJoin(e.resources(), " "), e.detail()});
    }
    req.mutable_page()->set_page_token(resp.next_page_token());
  } while (!req.page().page_token().empty() && (limit == 0 || shown < limit));
  if (cli.json()) return kOk;
  if (t.empty()) {
    std::cout << "no audit entries\n";
  } else {
    t.Print(std::cout);
  }
  return kOk;
}

}  // namespace

std::vector<Command> AuditCommands() {
  return {
      {"audit verify",
       "[--db FILE [--witness FILE] [--public-key FILE]]",
       "Checks the audit trail's hash chain and signed checkpoints",
       "With --db, checks a database file (the daemon's, or a backup copy) here, without the\n"
       "daemon: recomputes every entry's hash, checks each checkpoint's Ed25519 signature and\n"
       "that it matches the chain, and compares the witness file's checkpoints, so that a\n"
       "truncated tail is found too. The public key defaults to audit-signing.pub next to the\n"
       "file. Without --db, the daemon checks its live database. Prints the first broken link\n"
       "and exits 1 when the trail was tampered with.",
       {{"db", "FILE", "the SQLite database (shequd.db)"},
        {"witness", "FILE", "the checkpoints' copy (audit-checkpoints.log)"},
        {"public-key", "FILE", "the signing key's public half (audit-signing.pub)"}},
       0,
       0,
       Verify},
      {"audit list",
       "[--principal P] [--resource R] [--method M] [--from T] [--to T]",
       "Lists audit entries: who did what, when",
       "T is YYYY-MM-DD (midnight, China Standard Time) or milliseconds since 1970; --to is\n"
       "exclusive. A resource is named like task:12, instance:5, worker:3.",
       {{"principal", "P", "entries of this principal"},
        {"resource", "R", "entries that name this resource"},
        {"method", "M", "entries of this call, e.g. shequ.v1.Tasks/Complete"},
        {"from", "T", "from this time"},
        {"to", "T", "before this time"},
        {"limit", "N", "at most N entries"}},
       0,
       0,
       List},
  };
}

}  // namespace shequ::cli
