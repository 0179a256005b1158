// shequctl reviews ...: the annual review (年度考核) of the community workers — cycles, each
// worker's review and steps, ballots, scores, the results and their export, appeals, the
// overdue steps, a worker's ratings by year and the import of earlier years' ratings.

#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "clients/cli/cli.h"
#include "clients/cli/table.h"
#include "shequ/v1/reviews.grpc.pb.h"

namespace shequ::cli {
namespace {

std::unique_ptr<v1::Reviews::Stub> Stub(Cli& cli) { return v1::Reviews::NewStub(cli.channel()); }

std::string Num(int64_t v) { return std::to_string(v); }

// A map of counts by id, in the order of `first` and then by id: "excellent 1, competent 6".
std::string Counts(const google::protobuf::Map<std::string, int32_t>& counts,
                   const std::vector<std::string>& first) {
  std::vector<std::string> parts;
  for (const std::string& id : first) {
    if (auto it = counts.find(id); it != counts.end()) {
      parts.push_back(absl::StrCat(id, " ", it->second));
    }
  }
  std::map<std::string, int32_t> sorted;
  for (const auto& kv : counts) sorted[kv.first] = kv.second;
  for (const auto& [id, n] : sorted) {
    bool listed = false;
    for (const std::string& f : first) listed = listed || f == id;
    if (!listed) parts.push_back(absl::StrCat(id, " ", n));
  }
  return absl::StrJoin(parts, ", ");
}

const std::vector<std::string>& RatingOrder() {
  static const std::vector<std::string> order = {"excellent", "competent", "basically_competent",
                                                 "incompetent", "not_rated"};
  return order;
}

// ---- cycles

void PrintCycle(const v1::Cycle& c) {
  Table t;
  t.Add({"cycle", c.id()});
  t.Add({"street", c.street_unit_id()});
  t.Add({"year", Num(c.year())});
  t.Add({"state", c.state()});
  if (c.instance_id() != 0) t.Add({"workflow", absl::StrCat("instance ", c.instance_id())});
  if (c.opened_at_ms() != 0) t.Add({"opened", FormatTime(c.opened_at_ms())});
  t.Add({"workers",
         absl::StrCat(c.workers(), " (", c.rated(), " rated, ", c.not_rated(), " not rated)")});
  t.Add({"steps done",
         absl::StrCat("reports ", c.reports_done(), ", appraisals ", c.appraisals_done(),
                      ", scores ", c.scores_done(), " (of ", c.rated(), ")")});
  if (!c.signed_off_by().empty()) {
    t.Add({"signed off", absl::StrCat(c.signed_off_by(), ", ", FormatTime(c.signed_off_at_ms()))});
  }
  if (!c.published_on().empty()) t.Add({"published", c.published_on()});
  if (!c.notice_until().empty()) t.Add({"notice until", c.notice_until()});
  if (!c.appeal_until().empty()) t.Add({"appeals until", c.appeal_until()});
  if (c.appeals_pending() != 0) t.Add({"appeals pending", Num(c.appeals_pending())});
  if (!c.ratings().empty()) t.Add({"ratings", Counts(c.ratings(), RatingOrder())});
  t.Print(std::cout);
}

int Open(Cli& cli, const Args& args) {
  int year = 0;
  if (!absl::SimpleAtoi(args.positional[1], &year) || year <= 0) {
    return cli.Usage("reviews open", "YEAR must be a year (2026)");
  }
  v1::OpenCycleRequest req;
  req.set_street_unit_id(args.positional[0]);
  req.set_year(year);
  req.set_request_id(args.Get("request-id"));
  return Unary(
      cli, &v1::Reviews::Stub::OpenCycle, req, [](const v1::Cycle& c) {
        std::cout << "opened cycle " << c.id() << ": " << c.workers() << " workers, " << c.rated()
                  << " rated, " << c.not_rated() << " not rated\n";
      });
}

int GetCycle(Cli& cli, const Args& args) {
  v1::GetCycleRequest req;
  req.set_cycle_id(args.positional[0]);
  return Unary(cli, &v1::Reviews::Stub::GetCycle, req, PrintCycle);
}

int ListCycles(Cli& cli, const Args& args) {
  v1::ListCyclesRequest req;
  req.set_street_unit_id(args.Get("street"));
  if (args.Has("year")) {
    int year = 0;
    if (!absl::SimpleAtoi(args.Get("year"), &year) || year <= 0) {
      return cli.Usage("reviews list", "--year must be a year (2026)");
    }
    req.set_year(year);
  }
  auto stub = Stub(cli);
  grpc::ClientContext ctx;
  cli.Prepare(&ctx);
  v1::ListCyclesResponse resp;
  if (auto s = stub->ListCycles(&ctx, req, &resp); !s.ok()) return cli.Fail(s);
  if (cli.json()) {
    for (const auto& c : resp.cycles()) cli.PrintJson(c);
    return kOk;
  }
  if (resp.cycles().empty()) {
    std::cout << "no cycles\n";
    return kOk;
  }
  Table t({"CYCLE", "STREET", "YEAR", "STATE", "WORKERS", "RATED", "REPORTS", "APPRAISALS",
           "SCORES", "APPEALS"});
  for (size_t col : {2, 4, 5, 6, 7, 8, 9}) t.AlignRight(col);
  for (const auto& c : resp.cycles()) {
    t.Add({c.id(), c.street_unit_id(), Num(c.year()), c.state(), Num(c.workers()), Num(c.rated()),
           Num(c.reports_done()), Num(c.appraisals_done()), Num(c.scores_done()),
           Num(c.appeals_pending())});
  }
  t.Print(std::cout);
  return kOk;
}

// ---- workers' reviews

std::string TallyText(const v1::Tally& y) {
  std::string text = absl::StrCat(y.ballots(), " ballots (", y.party_members(), " party members, ",
                                  y.residents(), " residents): excellent ", y.excellent(),
                                  ", competent ", y.competent(), ", basically competent ",
                                  y.basically_competent(), ", incompetent ", y.incompetent());
  if (!y.score().empty()) absl::StrAppend(&text, "; score ", y.score());
  if (y.closed()) absl::StrAppend(&text, "; box closed");
  if (y.failed()) absl::StrAppend(&text, "; FAILED (评议不合格)");
  return text;
}

void PrintReview(const v1::WorkerReview& r) {
  Table t;
  t.Add({"cycle", r.cycle_id()});
  t.Add({"worker", Num(r.worker_id())});
  t.Add({"reviewed in", r.unit_id()});
  if (!r.home_unit_id().empty() && r.home_unit_id() != r.unit_id()) {
    t.Add({"home unit", r.home_unit_id()});
  }
  if (!r.informed_unit_id().empty()) t.Add({"informed", r.informed_unit_id()});
  t.Add({"participation", r.reason().empty()
                              ? r.participation()
                              : absl::StrCat(r.participation(), " (", r.reason(), ")")});
  t.Add({"months on post", Num(r.months_on_post())});
  t.Add({"steps done",
         r.steps_done().empty() ? std::string("none") : absl::StrJoin(r.steps_done(), ", ")});
  if (!r.report().empty()) {
    t.Add({"report", r.report_at_ms() != 0
                         ? absl::StrCat(r.report(), "  (", FormatTime(r.report_at_ms()), ")")
                         : r.report()});
  }
  if (!r.attachments().empty()) t.Add({"attachments", absl::StrJoin(r.attachments(), ", ")});
  if (r.has_tally()) {
    t.Add({"appraisal", TallyText(r.tally())});
    if (!r.tally().shortfall().empty()) t.Add({"not counted yet", r.tally().shortfall()});
  }
  t.Add({"satisfaction", r.satisfaction()});
  t.Add({"target", r.target()});
  t.Add({"unexcused absence", r.unexcused_absence_days() < 0
                                  ? std::string("not recorded")
                                  : absl::StrCat(r.unexcused_absence_days(), " days")});
  if (!r.grave_error().empty()) t.Add({"grave error", r.grave_error()});
  if (r.has_result() && !r.result().rating().empty()) {
    const v1::Result& x = r.result();
    t.Add({"rating", absl::StrCat(x.rating(), r.final() ? " (final)" : "")});
    t.Add({"by score",
           absl::StrCat(x.by_score(), " (composite ", x.composite(), ": appraisal ", x.appraisal(),
                        ", satisfaction ", x.satisfaction(), ", target ", x.target(), ")")});
    if (x.appraisal_failed()) t.Add({"appraisal failed", "yes"});
    for (const auto& reason : x.reasons()) t.Add({"because", reason});
  }
  if (r.has_appeal() && !r.appeal().state().empty() && r.appeal().state() != "none") {
    const v1::Appeal& a = r.appeal();
    t.Add({"appeal", absl::StrCat(a.state(), ", filed ", a.filed_on(), ": ", a.grounds())});
    if (!a.decided_on().empty()) {
      t.Add({"decision", absl::StrCat(a.decided_on(), ": ", a.decision(),
                                      a.rating_before().empty()
                                          ? std::string()
                                          : absl::StrCat(" (was ", a.rating_before(), ")"))});
    }
  }
  if (r.instance_id() != 0) t.Add({"workflow", absl::StrCat("instance ", r.instance_id())});
  t.Print(std::cout);
}

int Worker(Cli& cli, const Args& args) {
  auto id = Cli::ParseId(args.positional[1]);
  if (!id) return cli.Usage("reviews worker", "WORKER_ID must be a positive number");
  v1::GetReviewRequest req;
  req.set_cycle_id(args.positional[0]);
  req.set_worker_id(*id);
  return Unary(cli, &v1::Reviews::Stub::GetReview, req,
                                                       PrintReview);
}

int Workers(Cli& cli, const Args& args) {
  v1::ListReviewsRequest req;
  req.set_cycle_id(args.positional[0]);
  req.set_unit_id(args.Get("unit"));
  req.set_limit(1000);
  auto stub = Stub(cli);
  Table t({"WORKER", "UNIT", "PARTICIPATION", "STEPS DONE", "BALLOTS", "SATISFACTION", "TARGET",
           "RATING", "APPEAL"});
  t.AlignRight(0);
  t.AlignRight(4);
  do {
    grpc::ClientContext ctx;
    cli.Prepare(&ctx);
    v1::ListReviewsResponse resp;
    if (auto s = stub->ListReviews(&ctx, req, &resp); !s.ok()) return cli.Fail(s);
    for (const auto& r : resp.reviews()) {
      if (cli.json()) {
        cli.PrintJson(r);  // one review per line, across pages
        continue;
      }
      const std::string& state = r.appeal().state();
      const std::string appeal = state == "none" ? std::string() : state;
      t.Add({Num(r.worker_id()), r.unit_id(), r.participation(), absl::StrJoin(r.steps_done(), ","),
             Num(r.tally().ballots()), r.satisfaction(), r.target(), r.result().rating(), appeal});
    }
    req.set_after_worker_id(resp.next_after_worker_id());
  } while (req.after_worker_id() != 0);
  if (cli.json()) return kOk;
  if (t.empty()) {
    std::cout << "no reviews\n";
  } else {
    t.Print(std::cout);
  }
  return kOk;
}

// ---- the steps

int Report(Cli& cli, const Args& args) {
  auto id = Cli::ParseId(args.positional[1]);
  if (!id) return cli.Usage("reviews report", "WORKER_ID must be a positive number");
  if (!args.Has("text")) return cli.Usage("reviews report", "--text is required");
  v1::SubmitReportRequest req;
  req.set_cycle_id(args.positional[0]);
  req.set_worker_id(*id);
  req.set_text(args.Get("text"));
  for (const std::string& a : args.All("attachment")) req.add_attachments(a);
  req.set_request_id(args.Get("request-id"));
  return Unary(
      cli, &v1::Reviews::Stub::SubmitReport, req, [](const v1::WorkerReview& r) {
        std::cout << "report of worker " << r.worker_id() << " in " << r.cycle_id() << " saved ("
                  << r.attachments_size() << " attachments); finish it with `shequctl reviews "
                  << "finish " << r.cycle_id() << " " << r.worker_id() << " report`\n";
      });
}

int Ballot(Cli& cli, const Args& args) {
  auto id = Cli::ParseId(args.positional[1]);
  if (!id) return cli.Usage("reviews ballot", "WORKER_ID must be a positive number");
  v1::CastBallotRequest req;
  req.set_cycle_id(args.positional[0]);
  req.set_worker_id(*id);
  req.set_choice(args.positional[2]);
  req.set_request_id(args.Get("request-id"));
  return Unary(
      cli, &v1::Reviews::Stub::CastBallot, req, [](const v1::BallotReceipt& r) {
        std::cout << "ballot of " << r.voter() << " on worker " << r.worker_id() << " in "
                  << r.cycle_id() << " cast (" << r.ballots() << " in the box)\n";
      });
}

int Scores(Cli& cli, const Args& args) {
  auto id = Cli::ParseId(args.positional[1]);
  if (!id) return cli.Usage("reviews scores", "WORKER_ID must be a positive number");
  v1::RecordScoresRequest req;
  req.set_cycle_id(args.positional[0]);
  req.set_worker_id(*id);
  req.set_satisfaction(args.Get("satisfaction"));
  req.set_target(args.Get("target"));
  if (args.Has("absence")) {
    int days = 0;
    if (!absl::SimpleAtoi(args.Get("absence"), &days)) {
      return cli.Usage("reviews scores", "--absence must be a number of days");
    }
    req.set_unexcused_absence_days(days);
  }
  if (args.Has("grave-error")) req.set_grave_error(args.Get("grave-error"));
  req.set_request_id(args.Get("request-id"));
  return Unary(
      cli, &v1::Reviews::Stub::RecordScores, req, [](const v1::WorkerReview& r) {
        std::cout << "scores of worker " << r.worker_id() << " in " << r.cycle_id()
                  << ": satisfaction "
                  << (r.satisfaction().empty() ? std::string("-") : r.satisfaction()) << ", target "
                  << (r.target().empty() ? std::string("-") : r.target()) << ", unexcused absence "
                  << (r.unexcused_absence_days() < 0 ? std::string("-")
                                                     : Num(r.unexcused_absence_days()))
                  << (r.grave_error().empty() ? std::string()
                                              : absl::StrCat(", grave error: ", r.grave_error()))
                  << "\n";
      });
}

int Finish(Cli& cli, const Args& args) {
  auto id = Cli::ParseId(args.positional[1]);
  if (!id) return cli.Usage("reviews finish", "WORKER_ID must be a positive number");
  v1::FinishStepRequest req;
  req.set_cycle_id(args.positional[0]);
  req.set_worker_id(*id);
  req.set_step(args.positional[2]);
  req.set_comment(args.Get("comment"));
  req.set_request_id(args.Get("request-id"));
  return Unary(
      cli, &v1::Reviews::Stub::FinishStep, req, [](const v1::WorkerReview& r) {
        std::cout << "worker " << r.worker_id() << " in " << r.cycle_id() << ": steps done "
                  << (r.steps_done().empty() ? std::string("none")
                                             : absl::StrJoin(r.steps_done(), ", "))
                  << "\n";
      });
}

// ---- results

void PrintResults(const v1::CycleResults& r) {
  std::cout << "cycle " << r.cycle_id() << ", excellent places: "
            << (r.excellent_places() < 0 ? std::string("no cap") : Num(r.excellent_places()))
            << "\n";
  if (r.results().empty()) {
    std::cout << "no workers\n";
    return;
  }
  Table t({"WORKER", "UNIT", "PARTICIPATION", "APPRAISAL", "SATISFACTION", "TARGET", "COMPOSITE",
           "BY SCORE", "RATING", "FINAL", "APPEAL", "REASONS"});
  for (size_t col : {0, 3, 4, 5, 6}) t.AlignRight(col);
  for (const auto& x : r.results()) {
    const v1::Result& res = x.result();
    std::string reasons = absl::StrJoin(res.reasons(), "; ");
    if (!x.reason().empty()) reasons = reasons.empty() ? x.reason() : x.reason() + "; " + reasons;
    t.Add({Num(x.worker_id()), x.unit_id(), x.participation(), res.appraisal(), res.satisfaction(),
           res.target(), res.composite(), res.by_score(),
           res.appraisal_failed() ? res.rating() + " (appraisal failed)" : res.rating(),
           x.final_rating(), x.appeal() == "none" ? std::string() : x.appeal(), reasons});
  }
  t.Print(std::cout);
}

int Calibrate(Cli& cli, const Args& args) {
  v1::GetCycleRequest req;
  req.set_cycle_id(args.positional[0]);
  return Unary(cli, &v1::Reviews::Stub::Calibrate, req,
                                                      PrintResults);
}

int Results(Cli& cli, const Args& args) {
  v1::GetCycleRequest req;
  req.set_cycle_id(args.positional[0]);
  return Unary(cli, &v1::Reviews::Stub::GetResults, req,
                                                      PrintResults);
}

int SignOff(Cli& cli, const Args& args) {
  v1::SignOffRequest req;
  req.set_cycle_id(args.positional[0]);
  req.set_comment(args.Get("comment"));
  req.set_request_id(args.Get("request-id"));
  return Unary(
      cli, &v1::Reviews::Stub::SignOff, req, [](const v1::Cycle& c) {
        std::cout << "cycle " << c.id() << " is " << c.state() << "; notice until "
                  << c.notice_until() << ", appeals until " << c.appeal_until() << "\n";
      });
}

int Export(Cli& cli, const Args& args) {
  v1::GetCycleRequest req;
  req.set_cycle_id(args.positional[0]);
  auto stub = Stub(cli);
  grpc::ClientContext ctx;
  cli.Prepare(&ctx);
  v1::ExportResultsResponse resp;
  if (auto s = stub->ExportResults(&ctx, req, &resp); !s.ok()) return cli.Fail(s);
  if (!args.Has("output")) {
    if (cli.json()) {
      cli.PrintJson(resp);
    } else {
      std::cout << resp.csv() << std::flush;
    }
    return kOk;
  }
  const std::string path = args.Get("output");
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << resp.csv();
  out.close();
  if (!out) return cli.Fail(grpc::StatusCode::UNKNOWN, absl::StrCat(path, ": cannot write"));
  if (!cli.json()) {
    std::cout << "wrote the results of " << req.cycle_id() << " to " << path << " ("
              << resp.csv().size() << " bytes)\n";
  }
  return kOk;
}

// ---- appeals

int FileAppeal(Cli& cli, const Args& args) {
  auto id = Cli::ParseId(args.positional[1]);
  if (!id) return cli.Usage("reviews appeal", "WORKER_ID must be a positive number");
  if (!args.Has("grounds")) return cli.Usage("reviews appeal", "--grounds is required");
  v1::FileAppealRequest req;
  req.set_cycle_id(args.positional[0]);
  req.set_worker_id(*id);
  req.set_grounds(args.Get("grounds"));
  req.set_request_id(args.Get("request-id"));
  return Unary(
      cli, &v1::Reviews::Stub::FileAppeal, req, [](const v1::WorkerReview& r) {
        std::cout << "appeal of worker " << r.worker_id() << " in " << r.cycle_id() << ": "
                  << r.appeal().state() << "\n";
      });
}

int DecideAppeal(Cli& cli, const Args& args) {
  const std::string command = "reviews decide-appeal";
  auto id = Cli::ParseId(args.positional[1]);
  if (!id) return cli.Usage(command, "WORKER_ID must be a positive number");
  if (args.Has("uphold") == args.Has("reject")) {
    return cli.Usage(command, "give either --uphold RATING or --reject");
  }
  if (!args.Has("reasons")) return cli.Usage(command, "--reasons is required");
  v1::DecideAppealRequest req;
  req.set_cycle_id(args.positional[0]);
  req.set_worker_id(*id);
  req.set_upheld(args.Has("uphold"));
  req.set_rating(args.Get("uphold"));
  req.set_reasons(args.Get("reasons"));
  req.set_request_id(args.Get("request-id"));
  return Unary(
      cli, &v1::Reviews::Stub::DecideAppeal, req, [](const v1::WorkerReview& r) {
        std::cout << "appeal of worker " << r.worker_id() << " in " << r.cycle_id() << ": "
                  << r.appeal().state() << "; rating " << r.result().rating()
                  << (r.final() ? " (final)" : "") << "\n";
      });
}

// ---- oversight and records

int Overdue(Cli& cli, const Args& args) {
  v1::GetCycleRequest req;
  req.set_cycle_id(args.positional[0]);
  return Unary(
      cli, &v1::Reviews::Stub::ListOverdue, req, [](const v1::ListOverdueResponse& r) {
        if (r.steps().empty()) {
          std::cout << "nothing overdue\n";
          return;
        }
        Table t({"STEP", "WORKER", "TASK", "ASSIGNEE", "ROLE", "UNIT", "DUE", "ESCALATED"});
        t.AlignRight(1);
        t.AlignRight(2);
        for (const auto& s : r.steps()) {
          t.Add({s.step(), s.worker_id() != 0 ? Num(s.worker_id()) : std::string(),
                 Num(s.task_id()), s.assignee(), s.role(), s.unit_id(),
                 s.due_at_ms() != 0 ? FormatTime(s.due_at_ms()) : std::string(),
                 s.escalated() ? "yes" : ""});
        }
        t.Print(std::cout);
        std::cout << "overdue: "
                  << Counts(r.per_step(), {"report", "appraisal", "scores", "sign_off", "appeal"})
                  << "\n";
      });
}

int History(Cli& cli, const Args& args) {
  auto id = Cli::ParseId(args.positional[0]);
  if (!id) return cli.Usage("reviews history", "WORKER_ID must be a positive number");
  v1::WorkerHistoryRequest req;
  req.set_worker_id(*id);
  return Unary(
      cli, &v1::Reviews::Stub::WorkerHistory, req, [](const v1::WorkerHistoryResponse& r) {
        if (r.years().empty()) {
          std::cout << "no ratings of worker " << r.worker_id() << "\n";
        } else {
          Table t({"YEAR", "RATING", "SOURCE", "CYCLE", "RECORDED"});
          for (const auto& y : r.years()) {
            t.Add({Num(y.year()), y.rating(), y.source(), y.cycle_id(),
                   absl::StrJoin(y.entries(), "; ")});
          }
          t.Print(std::cout);
        }
        std::cout << "qualifying years since the last grade step: " << r.qualifying_years()
                  << "; promotion priority: " << (r.promotion_priority() ? "yes" : "no") << "\n";
      });
}

int ImportRatings(Cli& cli, const Args& args) {
  const std::string& path = args.positional[0];
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return cli.Fail(grpc::StatusCode::NOT_FOUND, absl::StrCat(path, ": cannot read the file"));
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  v1::ImportRatingsRequest req;
  req.set_csv(buffer.str());
  req.set_request_id(args.Get("request-id"));
  return Unary(
      cli, &v1::Reviews::Stub::ImportRatings, req, [](const v1::ImportRatingsResponse& r) {
        std::cout << "imported " << r.imported() << " ratings\n";
      });
}

}  // namespace

std::vector<Command> ReviewCommands() {
  const Flag request_id{"request-id", "ID",
                        "makes a retry safe: the same id returns the first answer"};
  const Flag comment{"comment", "TEXT", "a comment kept with the step"};
  return {
      {"reviews open",
       "STREET YEAR",
       "Opens a street office's cycle for YEAR now",
       "Every worker on post in the year is listed; those rated get their steps (report,\n"
       "appraisal, scores). Cycles also open by themselves on the policy's day. The cycle's id\n"
       "is STREET/YEAR (bh.hp/2026).",
       {request_id},
       2,
       2,
       Open},
      {"reviews get",
       "CYCLE",
       "Shows a cycle: state, counts of workers and finished steps, windows, ratings",
       "",
       {},
       1,
       1,
       GetCycle},
      {"reviews list",
       "[--street UNIT] [--year YEAR]",
       "Lists the cycles",
       "",
       {{"street", "UNIT", "cycles of this street office (default: every street you act for)"},
        {"year", "YEAR", "cycles of this year"}},
       0,
       0,
       ListCycles},
      {"reviews worker",
       "CYCLE WORKER_ID",
       "Shows one worker's review: steps, report, tally, scores, result, appeal",
       "Ballots are secret: the tally is shown, never who chose what.",
       {},
       2,
       2,
       Worker},
      {"reviews workers",
       "CYCLE [--unit UNIT]",
       "Lists the workers' reviews of a cycle (all pages)",
       "",
       {{"unit", "UNIT", "the workers reviewed in this unit or under it"}},
       1,
       1,
       Workers},
      {"reviews report",
       "CYCLE WORKER_ID --text TEXT [--attachment REF ...]",
       "Submits a worker's report (述职), until the report step is finished",
       "",
       {{"text", "TEXT", "the report"},
        {"attachment", "REF", "a reference to an attachment (document id, URL)", true},
        request_id},
       2,
       2,
       Report},
      {"reviews ballot",
       "CYCLE WORKER_ID CHOICE",
       "Casts your ballot on a worker (democratic appraisal, 民主评议)",
       "CHOICE: excellent 优秀, competent 称职, basically_competent 基本称职, incompetent 不称职.\n"
       "Your voter kind comes from your role (party-member or resident-representative). A\n"
       "second ballot is refused (exit 5), as is one after the box closed.",
       {request_id},
       3,
       3,
       Ballot},
      {"reviews scores",
       "CYCLE WORKER_ID [flags]",
       "Records a worker's scores (street office), until sign-off",
       "Scores are decimal text, 0–100, at most one decimal place (87.5). A flag left out\n"
       "leaves that value as it was; --grave-error \"\" clears it.",
       {{"satisfaction", "SCORE", "resident satisfaction"},
        {"target", "SCORE", "the target assessment"},
        {"absence", "DAYS", "days of unexcused absence (旷工) in the year"},
        {"grave-error", "TEXT", "a grave error (重大失误) in the year: what it was"},
        request_id},
       2,
       2,
       Scores},
      {"reviews finish",
       "CYCLE WORKER_ID STEP",
       "Finishes a worker's step: report, appraisal or scores",
       "report (the worker) needs the report; appraisal (street office) closes the ballot box\n"
       "and needs the policy's ballots and share of residents; scores (street office) needs\n"
       "satisfaction, target and absence. A step that cannot be done yet is refused (exit 5)\n"
       "naming what is missing.",
       {comment, request_id},
       3,
       3,
       Finish},
      {"reviews calibrate",
       "CYCLE",
       "The ratings as sign-off would fix them now, changing nothing",
       "Refused (exit 5) listing every missing item while anything is missing.",
       {},
       1,
       1,
       Calibrate},
      {"reviews sign-off",
       "CYCLE",
       "Signs the results off (street office): published at once, appeals open",
       "",
       {comment, request_id},
       1,
       1,
       SignOff},
      {"reviews results",
       "CYCLE",
       "The signed-off results per worker, with the final ratings once final",
       "",
       {},
       1,
       1,
       Results},
      {"reviews export",
       "CYCLE [-o FILE]",
       "The cycle's results as CSV",
       "Writes the CSV to stdout, or to FILE with -o.",
       {{"output", "FILE", "write to FILE instead of stdout", false, 'o'}},
       1,
       1,
       Export},
      {"reviews appeal",
       "CYCLE WORKER_ID --grounds TEXT",
       "Files a worker's appeal (申诉) within the appeal window",
       "",
       {{"grounds", "TEXT", "why the rating is wrong"}, request_id},
       2,
       2,
       FileAppeal},
      {"reviews decide-appeal",
       "CYCLE WORKER_ID (--uphold RATING | --reject) --reasons TEXT",
       "Decides an appeal (leading group), finally",
       "",
       {{"uphold", "RATING", "uphold the appeal: the worker's new rating"},
        {"reject", "", "reject the appeal: the rating stands"},
        {"reasons", "TEXT", "the decision's reasons (required)"},
        request_id},
       2,
       2,
       DecideAppeal},
      {"reviews overdue",
       "CYCLE",
       "The open steps past their due time, per step and person",
       "",
       {},
       1,
       1,
       Overdue},
      {"reviews history",
       "WORKER_ID",
       "A worker's ratings by year, with what they led to",
       "",
       {},
       1,
       1,
       History},
      {"reviews import-ratings",
       "FILE.csv",
       "Imports earlier years' final ratings (all rows or none)",
       "The CSV has the header worker_id,year,rating. A bad row rejects the whole file, naming\n"
       "its row and column (exit 3).",
       {request_id},
       1,
       1,
       ImportRatings},
  };
}

}  // namespace shequ::cli
