// shequctl workforce ...: units, quotas, workers, roster import and export, reports.

#include <unistd.h>

#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "clients/cli/cli.h"
#include "clients/cli/table.h"
#include "shequ/v1/workforce.grpc.pb.h"

namespace shequ::cli {
namespace {

constexpr size_t kChunk = 64 << 10;  // bytes per ImportRoster chunk

std::unique_ptr<v1::Workforce::Stub> Stub(Cli& cli) {
  return v1::Workforce::NewStub(cli.channel());
}

std::string Num(int64_t v) { return std::to_string(v); }

// ---- units

void PrintUnits(const v1::UnitTreeResponse& tree, bool as_tree) {
  std::map<std::string, int> depth;
  Table t(as_tree ? std::vector<std::string>{"UNIT", "ID", "KIND", "CLASS", "HOUSEHOLDS", "QUOTA"}
                  : std::vector<std::string>{"ID", "NAME", "KIND", "TYPE", "CLASS", "HOUSEHOLDS",
                                             "RESIDENTS", "AREA", "QUOTA"});
  for (const auto& u : tree.units()) {
    auto parent = depth.find(u.parent_id());
    const int d = parent == depth.end() ? 0 : parent->second + 1;
    depth[u.id()] = d;
    const std::string cls = u.unit_class()        ? Num(u.unit_class())
                            : u.effective_class() ? absl::StrCat("(", u.effective_class(), ")")
                                                  : "";
    if (as_tree) {
      t.Add({std::string(2 * d, ' ') + u.name(), u.id(), u.kind(), cls, Num(u.households()),
             Num(u.approved_quota())});
    } else {
      t.Add({u.id(), u.name(), u.kind(), u.community_type(), cls, Num(u.households()),
             Num(u.residents()), absl::StrFormat("%.1f", u.area_km2()), Num(u.approved_quota())});
    }
  }
  for (size_t c : as_tree ? std::vector<size_t>{4, 5} : std::vector<size_t>{5, 6, 7, 8}) {
    t.AlignRight(c);
  }
  if (t.empty()) {
    std::cout << "no units\n";
  } else {
    t.Print(std::cout);
  }
}

int Units(Cli& cli, const Args& args, bool as_tree) {
  v1::UnitTreeRequest req;
  if (!args.positional.empty()) req.set_root_id(args.positional[0]);
  return Unary(
      cli, &v1::Workforce::Stub::UnitTree, req,
      [as_tree](const v1::UnitTreeResponse& r) { PrintUnits(r, as_tree); });
}

// ---- quota

int Quota(Cli& cli, const Args& args) {
  auto stub = Stub(cli);
  v1::ComputeQuotaRequest creq;
  creq.set_unit_id(args.positional[0]);
  v1::QuotaComputation q;
  {
    grpc::ClientContext ctx;
    cli.Prepare(&ctx);
    if (auto s = stub->ComputeQuota(&ctx, creq, &q); !s.ok()) return cli.Fail(s);
  }
  v1::QuotaHistoryRequest hreq;
  hreq.set_unit_id(args.positional[0]);
  v1::QuotaHistoryResponse history;
  {
    grpc::ClientContext ctx;
    cli.Prepare(&ctx);
    if (auto s = stub->QuotaHistory(&ctx, hreq, &history); !s.ok()) return cli.Fail(s);
  }
  if (cli.json()) {
    cli.PrintJson(q);
    cli.PrintJson(history);
    return kOk;
  }
  Table kv;
  kv.Add({"unit", q.unit_id()});
  kv.Add({"policy quota", Num(q.staff_quota())});
  if (q.workstation_posts() > 0) kv.Add({"workstation posts", Num(q.workstation_posts())});
  kv.Add({"basis", q.basis()});
  kv.Print(std::cout);
  std::cout << "\n";
  if (history.revisions().empty()) {
    std::cout << "no approved revisions\n";
    return kOk;
  }
  Table t({"ID", "APPROVED", "COMPUTED", "FROM", "APPROVED BY", "RECORDED", "REASON"});
  t.AlignRight(1);
  t.AlignRight(2);
  for (const auto& r : history.revisions()) {
    t.Add({Num(r.id()), Num(r.approved()), r.computed() ? Num(r.computed()) : "",
           r.effective_from(), r.approved_by(), r.recorded_on(), r.reason()});
  }
  t.Print(std::cout);
  return kOk;
}

int Revise(Cli& cli, const Args& args) {
  v1::ReviseQuotaRequest req;
  req.set_unit_id(args.positional[0]);
  int approved = 0;
  if (!absl::SimpleAtoi(args.positional[1], &approved) || approved < 0) {
    return cli.Usage("workforce revise", "APPROVED must be a number of posts");
  }
  req.set_approved(approved);
  req.set_effective_from(args.Get("from"));
  req.set_reason(args.Get("reason"));
  req.set_approved_by(args.Get("approved-by"));
  req.set_request_id(args.Get("request-id"));
  return Unary(
      cli, &v1::Workforce::Stub::ReviseQuota, req, [](const v1::QuotaRevision& r) {
        std::cout << "revision " << r.id() << ": " << r.unit_id() << " approved " << r.approved()
                  << " from " << r.effective_from() << "\n";
      });
}

// ---- workers

void PrintWorker(const v1::Worker& w) {
  Table t;
  t.Add({"id", Num(w.id())});
  if (!w.number().empty()) t.Add({"number", w.number()});
  t.Add({"name", w.name() + (w.masked() ? "  (masked)" : "")});
  t.Add({"ID number", w.id_number()});
  t.Add({"phone", w.phone()});
  t.Add({"gender", w.gender()});
  if (!w.birth_date().empty()) t.Add({"born", w.birth_date()});
  t.Add({"unit", w.unit_id()});
  t.Add({"post", absl::StrCat(w.post(), ", grade ", w.grade())});
  t.Add({"employment", w.employment()});
  t.Add({"status", w.status()});
  t.Add({"education", w.education()});
  if (w.certificates_size() > 0) t.Add({"certificates", absl::StrJoin(w.certificates(), ", ")});
  t.Add({"hired on", w.hired_on()});
  if (!w.probation_until().empty()) t.Add({"probation until", w.probation_until()});
  if (!w.regular_on().empty()) t.Add({"regular since", w.regular_on()});
  if (!w.community_since().empty()) {
    t.Add({"community work",
           absl::StrCat("since ", w.community_since(), " (", w.years_of_service(), " years)")});
  }
  if (w.reserve_cadre()) t.Add({"reserve cadre", "yes"});
  if (w.has_pay()) {
    t.Add({"pay", absl::StrCat(w.pay().base(), " + ", w.pay().performance(), " yuan/month")});
  }
  for (const auto& x : w.transfers()) {
    t.Add({"transfer", absl::StrCat(x.date(), " ", x.from_unit(), " → ", x.to_unit(), " (",
                                    x.reason(), ", ", x.by(), ")")});
  }
  t.Print(std::cout);
}

int WorkerCmd(Cli& cli, const Args& args) {
  auto id = Cli::ParseId(args.positional[0]);
  if (!id) return cli.Usage("workforce worker", "WORKER must be a positive number");
  v1::GetWorkerRequest req;
  req.set_id(*id);
  return Unary(cli, &v1::Workforce::Stub::GetWorker, req,
                                                 PrintWorker);
}

int Workers(Cli& cli, const Args& args) {
  v1::ListWorkersRequest req;
  req.set_unit_id(args.Get("unit"));
  req.set_status(args.Get("status"));
  req.set_post(args.Get("post"));
  req.set_employment(args.Get("employment"));
  req.set_reserve_cadre_only(args.Has("reserve-cadre"));
  req.set_search(args.Get("search"));
  int64_t limit = 0;
  if (args.Has("limit") && (!absl::SimpleAtoi(args.Get("limit"), &limit) || limit <= 0)) {
    return cli.Usage("workforce workers", "--limit must be a positive number");
  }
  req.mutable_page()->set_page_size(limit > 0 && limit < 1000 ? static_cast<int>(limit) : 1000);
  auto stub = Stub(cli);
  Table t({"ID", "NUMBER", "NAME", "ID NUMBER", "UNIT", "POST", "GRADE", "EMPLOYMENT", "STATUS"});
  t.AlignRight(0);
  t.AlignRight(6);
  int64_t shown = 0;
  do {
    grpc::ClientContext ctx;
    cli.Prepare(&ctx);
    v1::ListWorkersResponse resp;
    if (auto s = stub->ListWorkers(&ctx, req, &resp); !s.ok()) return cli.Fail(s);
    for (const auto& w : resp.workers()) {
      if (limit > 0 && shown >= limit) break;
      ++shown;
      if (cli.json()) {
        cli.PrintJson(w);  // one worker per line, across pages
      } else {
        t.Add({Num(w.id()), w.number(), w.name(), w.id_number(), w.unit_id(), w.post(),
               Num(w.grade()), w.employment(), w.status()});
      }
    }
    req.mutable_page()->set_page_token(resp.next_page_token());
  } while (!req.page().page_token().empty() && (limit == 0 || shown < limit));
  if (cli.json()) return kOk;
  if (t.empty()) {
    std::cout << "no workers\n";
  } else {
    t.Print(std::cout);
  }
  return kOk;
}

int Transfer(Cli& cli, const Args& args) {
  auto id = Cli::ParseId(args.positional[0]);
  if (!id) return cli.Usage("workforce transfer", "WORKER must be a positive number");
  v1::TransferWorkerRequest req;
  req.set_worker_id(*id);
  req.set_to_unit(args.positional[1]);
  req.set_reason(args.Get("reason"));
  req.set_date(args.Get("date"));
  req.set_request_id(args.Get("request-id"));
  return Unary(
      cli, &v1::Workforce::Stub::TransferWorker, req, [](const v1::Worker& w) {
        std::cout << "transferred worker " << w.id() << " (" << w.name() << ") to " << w.unit_id()
                  << "\n";
      });
}

int Status(Cli& cli, const Args& args) {
  auto id = Cli::ParseId(args.positional[0]);
  if (!id) return cli.Usage("workforce status", "WORKER must be a positive number");
  v1::ChangeWorkerStatusRequest req;
  req.set_worker_id(*id);
  req.set_status(args.positional[1]);
  req.set_reason(args.Get("reason"));
  req.set_date(args.Get("date"));
  req.set_request_id(args.Get("request-id"));
  return Unary(
      cli, &v1::Workforce::Stub::ChangeWorkerStatus, req, [](const v1::Worker& w) {
        std::cout << "worker " << w.id() << " (" << w.name() << ") is now " << w.status() << "\n";
      });
}

// ---- import and export

// "[#########.........]  45%  1.2 / 2.6 MiB" on a terminal's stderr, redrawn in place.
class ProgressBar {
 public:
  ProgressBar(std::string label, size_t total)
      : label_(std::move(label)), total_(total), on_(isatty(STDERR_FILENO) && total > kChunk) {}

  void Update(size_t sent) {
    if (!on_) return;
    constexpr int kWidth = 30;
    const double f = total_ ? static_cast<double>(sent) / static_cast<double>(total_) : 1;
    const int filled = static_cast<int>(f * kWidth);
    std::cerr << absl::StrFormat("\r%s [%s%s] %3d%%  %.1f / %.1f MiB", label_,
                                 std::string(filled, '#'), std::string(kWidth - filled, '.'),
                                 static_cast<int>(f * 100), sent / 1048576.0, total_ / 1048576.0)
              << std::flush;
  }
  void Done() {
    if (on_) std::cerr << "\n";
  }

 private:
  std::string label_;
  size_t total_;
  bool on_;
};

int Import(Cli& cli, const Args& args) {
  const std::string& path = args.positional[0];
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return cli.Fail(grpc::StatusCode::NOT_FOUND, absl::StrCat(path, ": cannot read the file"));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  const std::string data = buffer.str();

  auto stub = Stub(cli);
  grpc::ClientContext ctx;
  cli.Prepare(&ctx);
  v1::ImportRosterResponse resp;
  auto writer = stub->ImportRoster(&ctx, &resp);
  ProgressBar bar("import " + path, data.size());
  size_t at = 0;
  do {  // at least one chunk, so an empty file gets the daemon's answer
    v1::ImportRosterChunk chunk;
    if (at == 0) {
      chunk.set_request_id(args.Get("request-id"));
      chunk.set_dry_run(args.Has("dry-run"));
    }
    chunk.set_data(data.substr(at, kChunk));
    if (!writer->Write(chunk)) break;  // the daemon answered early: Finish says why
    at += chunk.data().size();
    bar.Update(at);
  } while (at < data.size());
  writer->WritesDone();
  grpc::Status s = writer->Finish();
  bar.Done();
  if (!s.ok()) return cli.Fail(s);
  if (cli.json()) {
    cli.PrintJson(resp);
  } else if (resp.dry_run()) {
    std::cout << "dry run: " << resp.rows() << " rows are valid; nothing was stored\n";
  } else {
    std::cout << "imported " << resp.rows() << " workers (ids " << resp.first_worker_id() << "–"
              << resp.last_worker_id() << ")\n";
  }
  return kOk;
}

int Export(Cli& cli, const Args& args) {
  v1::ExportRequest req;
  req.set_what(args.positional[0]);
  req.set_unit_id(args.Get("unit"));
  auto stub = Stub(cli);
  grpc::ClientContext ctx;
  cli.Prepare(&ctx);
  auto reader = stub->Export(&ctx, req);
  std::string csv;
  v1::CsvChunk chunk;
  while (reader->Read(&chunk)) csv += chunk.data();
  if (grpc::Status s = reader->Finish(); !s.ok()) return cli.Fail(s);
  if (!args.Has("output")) {
    std::cout << csv << std::flush;
    return kOk;
  }
  const std::string path = args.Get("output");
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << csv;
  out.close();
  if (!out) return cli.Fail(grpc::StatusCode::UNKNOWN, absl::StrCat(path, ": cannot write"));
  if (!cli.json())
    std::cout << "wrote " << req.what() << " to " << path << " (" << csv.size() << " bytes)\n";
  return kOk;
}

// ---- reports

int Occupancy(Cli& cli, const Args& args) {
  v1::OccupancyRequest req;
  req.set_unit_id(args.Get("unit"));
  req.set_date(args.Get("date"));
  return Unary(
      cli, &v1::Workforce::Stub::Occupancy, req, [](const v1::OccupancyReport& r) {
        std::cout << "occupancy on " << r.date() << "\n";
        Table t({"UNIT", "ID", "APPROVED", "OCCUPIED", "ON POST", "VACANT", "OVER", "HOLLOW",
                 "OUTSIDE"});
        for (size_t c = 2; c <= 8; ++c) t.AlignRight(c);
        for (const auto& row : r.rows()) {
          const auto& f = row.subtree();
          t.Add({std::string(2 * row.depth(), ' ') + row.unit_name(), row.unit_id(),
                 Num(f.approved()), Num(f.occupied()), Num(f.on_post()), Num(f.vacant()),
                 Num(f.over_quota()), Num(f.hollow()), Num(f.outside_quota())});
        }
        t.Print(std::cout);
      });
}

int PayParity(Cli& cli, const Args&) {
  return Unary(
      cli, &v1::Workforce::Stub::PayParity, v1::PayParityRequest(),
      [](const v1::PayParityReport& r) {
        Table t({"POST", "GRADE", "TABLE", "STREET", "WORKERS", "AVERAGE", "MIN", "MAX", "FLAG"});
        for (size_t c : {1, 2, 4, 5, 6, 7}) t.AlignRight(c);
        for (const auto& row : r.rows()) {
          bool first = true;
          for (const auto& s : row.streets()) {
            std::string flag = s.off_table() ? "off table" : "";
            if (first && row.different_pay()) {
              flag = absl::StrCat(flag.empty() ? "" : flag + ", ", "different pay (gap ", row.gap(),
                                  ")");
            }
            t.Add({first ? row.post() : "", first ? Num(row.grade()) : "",
                   first ? Num(row.table()) : "", s.street_name(), Num(s.workers()),
                   Num(s.average()), Num(s.min()), Num(s.max()), flag});
            first = false;
          }
        }
        t.Print(std::cout);
        std::cout << r.flagged() << " flagged (tolerance "
                  << absl::StrFormat("%g", r.tolerance() * 100) << "%)\n";
      });
}

int History(Cli& cli, const Args& args) {
  v1::WorkforceHistoryRequest req;
  if (args.Has("worker")) {
    auto id = Cli::ParseId(args.Get("worker"));
    if (!id) return cli.Usage("workforce history", "--worker must be a positive number");
    req.set_worker_id(*id);
  }
  req.set_unit_id(args.Get("unit"));
  int64_t after = 0;
  int limit = 0;
  if (args.Has("after") && !absl::SimpleAtoi(args.Get("after"), &after)) {
    return cli.Usage("workforce history", "--after must be a sequence number");
  }
  if (args.Has("limit") && !absl::SimpleAtoi(args.Get("limit"), &limit)) {
    return cli.Usage("workforce history", "--limit must be a number");
  }
  req.set_after_seq(after);
  req.set_limit(limit);
  return Unary(
      cli, &v1::Workforce::Stub::History, req, [](const v1::WorkforceHistoryResponse& r) {
        Table t({"SEQ", "TIME", "TYPE", "SUBJECT", "UNIT", "ACTOR", "REASON", "CHANGE"});
        t.AlignRight(0);
        for (const auto& c : r.changes()) {
          t.Add({Num(c.seq()), FormatTime(c.at_ms()), c.type(), c.subject(), c.unit_id(), c.actor(),
                 c.reason(), c.data() == "{}" ? "" : c.data()});
        }
        if (t.empty()) {
          std::cout << "no changes\n";
        } else {
          t.Print(std::cout);
        }
      });
}

}  // namespace

std::vector<Command> WorkforceCommands() {
  const Flag request_id{"request-id", "ID",
                        "makes a retry safe: the same id returns the first answer"};
  const Flag reason{"reason", "TEXT", "why (required; kept in the history)"};
  const Flag date{"date", "YYYY-MM-DD", "effective date (default: today)"};
  return {
      {"workforce units",
       "[ROOT]",
       "Lists the units below ROOT (default: the district)",
       "CLASS in parentheses is inherited; QUOTA is today's approved quota.",
       {},
       0,
       1,
       [](Cli& c, const Args& a) { return Units(c, a, false); }},
      {"workforce tree",
       "[ROOT]",
       "Shows the units below ROOT as a tree",
       "",
       {},
       0,
       1,
       [](Cli& c, const Args& a) { return Units(c, a, true); }},
      {"workforce quota",
       "UNIT",
       "The quota the policy gives UNIT, and its approved revisions",
       "",
       {},
       1,
       1,
       Quota},
      {"workforce revise",
       "UNIT APPROVED --from DATE --reason TEXT",
       "Records an approved quota revision",
       "",
       {{"from", "YYYY-MM-DD", "the date it takes effect"},
        reason,
        {"approved-by", "WHO", "e.g. 区委编委"},
        request_id},
       2,
       2,
       Revise},
      {"workforce workers",
       "[flags]",
       "Lists workers (all pages, or --limit)",
       "Personal data is masked unless your --roles include a personal-data role.",
       {{"unit", "UNIT", "this unit and everything below it"},
        {"status", "STATUS", "on_post, seconded_street, on_leave, left, ... (or 在岗, ...)"},
        {"post", "POST", "head, deputy, officer, assistant"},
        {"employment", "KIND", "contract, dispatch, elected, ... (or 聘用合同, ...)"},
        {"reserve-cadre", "", "reserve cadres only"},
        {"search", "TEXT", "employee number (or name, if you may see names)"},
        {"limit", "N", "at most N workers"}},
       0,
       0,
       Workers},
      {"workforce worker", "WORKER", "Shows one worker", "", {}, 1, 1, WorkerCmd},
      {"workforce transfer",
       "WORKER TO_UNIT --reason TEXT",
       "Transfers a worker (inside the target's quota)",
       "",
       {reason, date, request_id},
       2,
       2,
       Transfer},
      {"workforce status",
       "WORKER STATUS --reason TEXT",
       "Changes a worker's status",
       "STATUS: on_post 在岗, seconded_street 借调街道, seconded_district 借调区级,\n"
       "retired_in_place 离岗退养, on_leave 休假, left 离职.",
       {reason, date, request_id},
       2,
       2,
       Status},
      {"workforce import",
       "FILE [--dry-run]",
       "Imports a roster CSV (all rows or none)",
       "A bad row rejects the whole file, naming its row and column (exit 3). The file is sent\n"
       "in 64 KiB chunks; on a terminal a progress bar on stderr shows the bytes sent.",
       {{"dry-run", "", "validate everything, store nothing"}, request_id},
       1,
       1,
       Import},
      {"workforce export",
       "WHAT [--unit UNIT] [-o FILE]",
       "Exports roster, occupancy or pay_parity as CSV",
       "Writes the CSV to stdout, or to FILE with -o. Personal data in the roster is masked as\n"
       "for any other read.",
       {{"unit", "UNIT", "this unit and below (default: the district)"},
        {"output", "FILE", "write to FILE instead of stdout", false, 'o'}},
       1,
       1,
       Export},
      {"workforce occupancy",
       "[--unit UNIT] [--date DATE]",
       "Approved, occupied, vacant, over-quota and hollow posts",
       "",
       {{"unit", "UNIT", "report from this unit down (default: the district)"},
        {"date", "YYYY-MM-DD", "report date (default: today)"}},
       0,
       0,
       Occupancy},
      {"workforce pay-parity",
       "",
       "Pay by post and grade across street offices",
       "",
       {},
       0,
       0,
       PayParity},
      {"workforce history",
       "--worker ID | --unit UNIT",
       "Who changed what, when and why",
       "",
       {{"worker", "ID", "changes of this worker"},
        {"unit", "UNIT", "changes of this unit"},
        {"after", "SEQ", "only changes after this sequence number"},
        {"limit", "N", "at most N changes (default 100)"}},
       0,
       0,
       History},
  };
}

}  // namespace shequ::cli
