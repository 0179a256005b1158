#include "daemon/modules/reviews/service.h"

#include "absl/strings/str_cat.h"
#include "daemon/auth/authorization.h"
#include "daemon/core/csv.h"
#include "daemon/core/status.h"
#include "daemon/engine/model.h"
#include "daemon/server/reactors.h"
#include "daemon/server/step_tasks.h"

namespace shequ::modules::reviews {

using engine::json;
using server::Answer;
using server::OnReader;
using server::Refuse;
using server::ToGrpc;
namespace wf = ::shequ::domain::workforce;

namespace {

std::string Rating(rv::Rating r) { return std::string(wf::EnglishName(r)); }
std::string Score(const std::optional<rv::Tenths>& t) { return t ? rv::FormatTenths(*t) : ""; }

// A score from the API: "" is absent; anything else must be 0–100 with one decimal at most.
absl::StatusOr<std::optional<rv::Tenths>> ParseScore(const std::string& text, const char* field) {
  if (text.empty()) return std::nullopt;
  auto t = rv::ParseTenths(text);
  if (!t || *t < 0 || *t > rv::kMaxScore) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": '", text, "' is not a score from 0 to 100 with at most one decimal"));
  }
  return t;
}

void TallyToProto(const Sheet& s, const rv::ReviewPolicy& policy, v1::Tally* out) {
  const rv::Tally& t = s.box.tally();
  out->set_ballots(t.Ballots());
  out->set_party_members(t.Ballots(rv::VoterKind::kPartyMember));
  out->set_residents(t.Ballots(rv::VoterKind::kResident));
  out->set_excellent(t.Choosing(rv::Rating::kExcellent));
  out->set_competent(t.Choosing(rv::Rating::kCompetent));
  out->set_basically_competent(t.Choosing(rv::Rating::kBasicallyCompetent));
  out->set_incompetent(t.Choosing(rv::Rating::kIncompetent));
  if (t.Ballots() > 0) out->set_score(rv::FormatTenths(t.Score(policy)));
  out->set_shortfall(t.Shortfall(policy));
  out->set_closed(s.box.closed());
  out->set_failed(t.Ballots() > 0 && t.Failed(policy));
}

void ResultToProto(const rv::RatingResult& r, v1::Result* out) {
  out->set_appraisal(rv::FormatTenths(r.appraisal));
  out->set_satisfaction(rv::FormatTenths(r.satisfaction));
  out->set_target(rv::FormatTenths(r.target));
  out->set_composite(rv::FormatComposite(r.composite));
  out->set_by_score(Rating(r.by_score));
  out->set_rating(Rating(r.rating));
  for (const auto& reason : r.reasons) out->add_reasons(reason);
  out->set_appraisal_failed(r.appraisal_failed);
}

std::string AppealState(const std::optional<rv::Outcome>& o) {
  return std::string(rv::AppealStateName(o ? o->appeal : rv::AppealState::kNone));
}

}  // namespace

// ---- Scope ---------------------------------------------------------------------------------

absl::Status ReviewsService::RequireCycleScope(const engine::Caller& caller,
                                               const std::string& cycle_id) const {
  ASSIGN_OR_RETURN(CycleInfo c, rev_.GetCycleInfo(cycle_id));
  return c_.gate.RequireScope(caller, "cycle_id", c.street_unit_id);
}

absl::Status ReviewsService::SheetScope(const engine::Caller& caller, const Sheet& s,
                                        bool reading) const {
  const bool staff = std::any_of(caller.roles.begin(), caller.roles.end(),
                                 [](const std::string& r) { return r != auth::kWorker; });
  if (!staff) {
    // A worker: their own sheet only (the principal's name is the employee number).
    const bool own = registry_.Read([&](const wf::Registry& reg) {
      auto w = reg.GetWorker(s.worker_id);
      return w.ok() && !w->number.empty() && w->number == caller.user;
    });
    if (own) return absl::OkStatus();
    return absl::PermissionDeniedError(
        absl::StrCat("worker_id: ", caller.user, " may act only on their own review, not worker ",
                     s.worker_id, "'s"));
  }
  if (c_.gate.ActsFor(caller, s.unit_id)) return absl::OkStatus();
  if (reading && !s.informed_unit_id.empty() && c_.gate.ActsFor(caller, s.informed_unit_id)) {
    return absl::OkStatus();
  }
  return c_.gate.RequireScope(caller, "worker_id", s.unit_id);
}

DurableReviews::SheetCheck ReviewsService::ScopeCheck(const engine::Caller& caller) const {
  return [this, caller](const Sheet& s) { return SheetScope(caller, s, false); };
}

// ---- Answers -------------------------------------------------------------------------------

absl::Status ReviewsService::FillCycle(const std::string& id, v1::Cycle* out) const {
  ASSIGN_OR_RETURN(CycleSummary sum, rev_.Summary(id));
  const CycleInfo& c = sum.info;
  out->set_id(c.id);
  out->set_street_unit_id(c.street_unit_id);
  out->set_year(c.year);
  out->set_state(c.state);
  out->set_instance_id(c.instance_id);
  out->set_opened_at_ms(c.opened_at_ms);
  out->set_workers(sum.workers);
  out->set_rated(sum.rated);
  out->set_not_rated(sum.workers - sum.rated);
  out->set_reports_done(sum.reports);
  out->set_appraisals_done(sum.appraisals);
  out->set_scores_done(sum.scores);
  out->set_signed_off_by(c.signed_off_by);
  out->set_signed_off_at_ms(c.signed_off_at_ms);
  if (c.publication) {
    out->set_published_on(c.publication->published);
    out->set_notice_until(c.publication->notice_until);
    out->set_appeal_until(c.publication->appeal_until);
  }
  out->set_appeals_pending(sum.appeals_pending);
  for (const auto& [rating, n] : sum.ratings) (*out->mutable_ratings())[rating] = n;
  return absl::OkStatus();
}

absl::Status ReviewsService::FillReview(const std::string& cycle_id, int64_t worker_id,
                                        v1::WorkerReview* out) const {
  ASSIGN_OR_RETURN(CycleInfo c, rev_.GetCycleInfo(cycle_id));
  ASSIGN_OR_RETURN(Sheet s, rev_.GetSheet(cycle_id, worker_id));
  FillReview(c, s, out);
  return absl::OkStatus();
}

void ReviewsService::FillReview(const CycleInfo& c, const Sheet& s, v1::WorkerReview* out) const {
  out->set_cycle_id(c.id);
  out->set_worker_id(s.worker_id);
  out->set_unit_id(s.unit_id);
  out->set_home_unit_id(s.home_unit_id);
  out->set_informed_unit_id(s.informed_unit_id);
  out->set_participation(s.rated ? "rated" : "not_rated");
  out->set_reason(s.reason);
  out->set_months_on_post(s.months_on_post);
  out->set_report(s.report);
  for (const auto& a : s.attachments) out->add_attachments(a);
  out->set_report_at_ms(s.report_at_ms);
  // The tally only: who voted is never answered, nor what anyone chose.
  TallyToProto(s, rev_.policy(), out->mutable_tally());
  out->set_satisfaction(Score(s.satisfaction));
  out->set_target(Score(s.target));
  out->set_unexcused_absence_days(s.unexcused_absence_days.value_or(-1));
  out->set_grave_error(s.grave_error);
  for (const auto& step : s.steps_done) out->add_steps_done(step);
  if (s.result) ResultToProto(*s.result, out->mutable_result());
  if (s.outcome) {
    v1::Appeal* a = out->mutable_appeal();
    a->set_state(AppealState(s.outcome));
    a->set_filed_on(s.outcome->appeal_filed_on);
    a->set_grounds(s.outcome->appeal_grounds);
    a->set_decided_on(s.outcome->appeal_decided_on);
    a->set_decision(s.outcome->appeal_decision);
    if (s.outcome->rating_before_appeal) {
      a->set_rating_before(Rating(*s.outcome->rating_before_appeal));
    }
    a->set_instance_id(s.appeal_instance_id);
    // The rating as it stands (an upheld appeal changed it).
    out->mutable_result()->set_rating(Rating(s.outcome->rating));
  }
  out->set_final(rev_.IsFinal(c, s));
  out->set_instance_id(s.instance_id);
}

absl::Status ReviewsService::FillResults(const std::string& cycle_id, v1::CycleResults* out) const {
  ASSIGN_OR_RETURN(Cycle c, rev_.GetCycle(cycle_id));
  if (!c.publication) {
    return absl::FailedPreconditionError("cycle " + cycle_id +
                                         " is not signed off: Calibrate shows the ratings so far");
  }
  out->set_cycle_id(cycle_id);
  int rated = 0;
  for (const auto& [_, s] : c.sheets) rated += s.rated;
  out->set_excellent_places(rev_.policy().ExcellentPlaces(rated).value_or(-1));
  for (const auto& [_, s] : c.sheets) {
    v1::CycleResult* r = out->add_results();
    r->set_worker_id(s.worker_id);
    r->set_unit_id(s.unit_id);
    r->set_participation(s.rated ? "rated" : "not_rated");
    r->set_reason(s.reason);
    if (s.result) ResultToProto(*s.result, r->mutable_result());
    if (s.outcome) r->mutable_result()->set_rating(Rating(s.outcome->rating));
    if (rev_.IsFinal(c, s) && s.outcome) r->set_final_rating(Rating(s.outcome->rating));
    r->set_appeal(AppealState(s.outcome));
  }
  return absl::OkStatus();
}

// ---- Cycles --------------------------------------------------------------------------------

grpc::ServerUnaryReactor* ReviewsService::OpenCycle(Ctx* ctx, const v1::OpenCycleRequest* req,
                                                    v1::Cycle* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Reviews/OpenCycle", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  if (req->street_unit_id().empty()) {
    return Refuse(ctx, absl::InvalidArgumentError("street_unit_id: required"));
  }
  auto* r = ctx->DefaultReactor();
  rev_.OpenCycle(*caller, req->street_unit_id(), req->year(), req->request_id(),
                 Answer(r, [this, resp](const json& a) -> absl::Status {
                   return FillCycle(a.at("cycle_id").get<std::string>(), resp);
                 }));
  return r;
}

grpc::ServerUnaryReactor* ReviewsService::GetCycle(Ctx* ctx, const v1::GetCycleRequest* req,
                                                   v1::Cycle* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Reviews/GetCycle", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  return OnReader(c_.readers, ctx, [this, caller = *caller, req, resp]() -> absl::Status {
    RETURN_IF_ERROR(RequireCycleScope(caller, req->cycle_id()));
    return FillCycle(req->cycle_id(), resp);
  });
}

grpc::ServerUnaryReactor* ReviewsService::ListCycles(Ctx* ctx, const v1::ListCyclesRequest* req,
                                                     v1::ListCyclesResponse* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Reviews/ListCycles", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  return OnReader(c_.readers, ctx, [this, caller = *caller, req, resp]() -> absl::Status {
    for (const CycleInfo& c : rev_.ListCycles(req->street_unit_id(), req->year())) {
      if (!c_.gate.ActsFor(caller, c.street_unit_id)) continue;
      RETURN_IF_ERROR(FillCycle(c.id, resp->add_cycles()));
    }
    return absl::OkStatus();
  });
}

// ---- Workers -------------------------------------------------------------------------------

grpc::ServerUnaryReactor* ReviewsService::GetReview(Ctx* ctx, const v1::GetReviewRequest* req,
                                                    v1::WorkerReview* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Reviews/GetReview", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  return OnReader(c_.readers, ctx, [this, caller = *caller, req, resp]() -> absl::Status {
    ASSIGN_OR_RETURN(CycleInfo c, rev_.GetCycleInfo(req->cycle_id()));
    ASSIGN_OR_RETURN(Sheet s, rev_.GetSheet(req->cycle_id(), req->worker_id()));
    RETURN_IF_ERROR(SheetScope(caller, s, true));
    FillReview(c, s, resp);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ReviewsService::ListReviews(Ctx* ctx, const v1::ListReviewsRequest* req,
                                                      v1::ListReviewsResponse* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Reviews/ListReviews", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  if (req->limit() < 0 || req->limit() > 1000) {
    return Refuse(ctx, absl::InvalidArgumentError("limit: at most 1000"));
  }
  return OnReader(c_.readers, ctx, [this, caller = *caller, req, resp]() -> absl::Status {
    const int limit = req->limit() == 0 ? 100 : req->limit();
    const std::string unit = req->unit_id();
    auto keep = [&](const Sheet& s) {
      if (!unit.empty() && !c_.units->Covers(unit, s.unit_id) && s.unit_id != unit) return false;
      return SheetScope(caller, s, true).ok();
    };
    ASSIGN_OR_RETURN(CycleInfo c, rev_.GetCycleInfo(req->cycle_id()));
    ASSIGN_OR_RETURN(auto sheets,
                     rev_.ListSheets(req->cycle_id(), req->after_worker_id(), limit, keep));
    for (const Sheet& s : sheets) FillReview(c, s, resp->add_reviews());
    if (static_cast<int>(sheets.size()) == limit) {
      resp->set_next_after_worker_id(sheets.back().worker_id);
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ReviewsService::SubmitReport(Ctx* ctx, const v1::SubmitReportRequest* req,
                                                       v1::WorkerReview* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Reviews/SubmitReport", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  auto* r = ctx->DefaultReactor();
  rev_.SubmitReport(*caller, req->cycle_id(), req->worker_id(), req->text(),
                    {req->attachments().begin(), req->attachments().end()}, ScopeCheck(*caller),
                    req->request_id(), Answer(r, [this, req, resp](const json&) {
                      return FillReview(req->cycle_id(), req->worker_id(), resp);
                    }));
  return r;
}

grpc::ServerUnaryReactor* ReviewsService::CastBallot(Ctx* ctx, const v1::CastBallotRequest* req,
                                                     v1::BallotReceipt* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Reviews/CastBallot", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  auto choice = wf::ParseEnum<rv::Rating>(req->choice());
  if (!choice || *choice == rv::Rating::kNotRated) {
    return Refuse(ctx,
                  absl::InvalidArgumentError(absl::StrCat(
                      "choice: '", req->choice(),
                      "' is not one of excellent, competent, basically_competent, incompetent")));
  }
  // The voter's kind is their role, not something the ballot claims.
  const rv::VoterKind kind = caller->HasRole(std::string(auth::kPartyMember))
                                 ? rv::VoterKind::kPartyMember
                                 : rv::VoterKind::kResident;
  auto* r = ctx->DefaultReactor();
  rev_.CastBallot(
      *caller, req->cycle_id(), req->worker_id(), kind, *choice,
      [this, caller = *caller](const Sheet& s) {
        return c_.gate.RequireScope(caller, "worker_id", s.unit_id);
      },
      req->request_id(), Answer(r, [req, resp, voter = caller->user](const json& a) {
        resp->set_cycle_id(req->cycle_id());
        resp->set_worker_id(req->worker_id());
        resp->set_voter(voter);
        resp->set_ballots(a.value("ballots", 0));
      }));
  return r;
}

grpc::ServerUnaryReactor* ReviewsService::RecordScores(Ctx* ctx, const v1::RecordScoresRequest* req,
                                                       v1::WorkerReview* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Reviews/RecordScores", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  DurableReviews::Scores scores;
  auto satisfaction = ParseScore(req->satisfaction(), "satisfaction");
  if (!satisfaction.ok()) return Refuse(ctx, satisfaction.status());
  auto target = ParseScore(req->target(), "target");
  if (!target.ok()) return Refuse(ctx, target.status());
  scores.satisfaction = *satisfaction;
  scores.target = *target;
  if (req->has_unexcused_absence_days() && req->unexcused_absence_days() != -1) {
    scores.unexcused_absence_days = req->unexcused_absence_days();
  }
  if (req->has_grave_error()) scores.grave_error = req->grave_error();
  auto* r = ctx->DefaultReactor();
  rev_.RecordScores(*caller, req->cycle_id(), req->worker_id(), std::move(scores),
                    ScopeCheck(*caller), req->request_id(),
                    Answer(r, [this, req, resp](const json&) {
                      return FillReview(req->cycle_id(), req->worker_id(), resp);
                    }));
  return r;
}

grpc::ServerUnaryReactor* ReviewsService::FinishStep(Ctx* ctx, const v1::FinishStepRequest* req,
                                                     v1::WorkerReview* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Reviews/FinishStep", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  std::vector<std::string> nodes;
  if (req->step() == "report") {
    nodes = {"report", "report-community"};
  } else if (req->step() == "appraisal" || req->step() == "scores") {
    nodes = {req->step()};
  } else {
    return Refuse(ctx, absl::InvalidArgumentError(absl::StrCat(
                           "step: '", req->step(), "' is not one of report, appraisal, scores")));
  }
  auto sheet = rev_.GetSheet(req->cycle_id(), req->worker_id());
  if (!sheet.ok()) return Refuse(ctx, sheet.status());
  auto* r = ctx->DefaultReactor();
  server::CompleteStepTask(
      c_, r, *caller, sheet->instance_id, std::move(nodes),
      absl::StrCat("the ", req->step(), " step of worker ", req->worker_id()),
      {0, "", json::object(), req->comment(), req->request_id()},
      [this, req, resp] { return FillReview(req->cycle_id(), req->worker_id(), resp); });
  return r;
}

// ---- Results -------------------------------------------------------------------------------

grpc::ServerUnaryReactor* ReviewsService::Calibrate(Ctx* ctx, const v1::GetCycleRequest* req,
                                                    v1::CycleResults* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Reviews/Calibrate", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  return OnReader(c_.readers, ctx, [this, caller = *caller, req, resp]() -> absl::Status {
    RETURN_IF_ERROR(RequireCycleScope(caller, req->cycle_id()));
    ASSIGN_OR_RETURN(auto results, rev_.Calibrate(req->cycle_id()));
    ASSIGN_OR_RETURN(Cycle c, rev_.GetCycle(req->cycle_id()));
    resp->set_cycle_id(c.id);
    resp->set_excellent_places(
        rev_.policy().ExcellentPlaces(static_cast<int>(results.size())).value_or(-1));
    for (const auto& res : results) {
      v1::CycleResult* out = resp->add_results();
      out->set_worker_id(res.worker_id);
      out->set_unit_id(c.sheets.at(res.worker_id).unit_id);
      out->set_participation("rated");
      ResultToProto(res, out->mutable_result());
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ReviewsService::SignOff(Ctx* ctx, const v1::SignOffRequest* req,
                                                  v1::Cycle* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Reviews/SignOff", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  auto cycle = rev_.GetCycleInfo(req->cycle_id());
  if (!cycle.ok()) return Refuse(ctx, cycle.status());
  auto* r = ctx->DefaultReactor();
  server::CompleteStepTask(
      c_, r, *caller, cycle->instance_id, {"sign-off"},
      absl::StrCat("the sign-off of cycle ", req->cycle_id(), " (every worker's steps come first)"),
      {0, "", json::object(), req->comment(), req->request_id()},
      [this, req, resp] { return FillCycle(req->cycle_id(), resp); });
  return r;
}

grpc::ServerUnaryReactor* ReviewsService::GetResults(Ctx* ctx, const v1::GetCycleRequest* req,
                                                     v1::CycleResults* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Reviews/GetResults", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  return OnReader(c_.readers, ctx, [this, caller = *caller, req, resp]() -> absl::Status {
    RETURN_IF_ERROR(RequireCycleScope(caller, req->cycle_id()));
    return FillResults(req->cycle_id(), resp);
  });
}

grpc::ServerUnaryReactor* ReviewsService::ExportResults(Ctx* ctx, const v1::GetCycleRequest* req,
                                                        v1::ExportResultsResponse* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Reviews/ExportResults", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  return OnReader(c_.readers, ctx, [this, caller = *caller, req, resp]() -> absl::Status {
    RETURN_IF_ERROR(RequireCycleScope(caller, req->cycle_id()));
    v1::CycleResults results;
    RETURN_IF_ERROR(FillResults(req->cycle_id(), &results));
    std::string out;
    csv::AppendRecord(&out, {"worker_id", "unit_id", "participation", "appraisal", "satisfaction",
                             "target", "composite", "rating", "reasons", "appeal", "final_rating"});
    for (const auto& r : results.results()) {
      std::string reasons;
      for (const auto& reason : r.result().reasons()) {
        absl::StrAppend(&reasons, reasons.empty() ? "" : "; ", reason);
      }
      const std::string rating =
          r.participation() == "rated" ? r.result().rating() : std::string("not_rated");
      csv::AppendRecord(
          &out,
          {std::to_string(r.worker_id()), r.unit_id(), r.participation(), r.result().appraisal(),
           r.result().satisfaction(), r.result().target(), r.result().composite(), rating,
           r.participation() == "rated" ? reasons : r.reason(), r.appeal(), r.final_rating()});
    }
    resp->set_csv(std::move(out));
    return absl::OkStatus();
  });
}

// ---- Appeals -------------------------------------------------------------------------------

grpc::ServerUnaryReactor* ReviewsService::FileAppeal(Ctx* ctx, const v1::FileAppealRequest* req,
                                                     v1::WorkerReview* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Reviews/FileAppeal", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  auto* r = ctx->DefaultReactor();
  rev_.FileAppeal(*caller, req->cycle_id(), req->worker_id(), req->grounds(), ScopeCheck(*caller),
                  req->request_id(), Answer(r, [this, req, resp](const json&) {
                    return FillReview(req->cycle_id(), req->worker_id(), resp);
                  }));
  return r;
}

grpc::ServerUnaryReactor* ReviewsService::DecideAppeal(Ctx* ctx, const v1::DecideAppealRequest* req,
                                                       v1::WorkerReview* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Reviews/DecideAppeal", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  auto sheet = rev_.GetSheet(req->cycle_id(), req->worker_id());
  if (!sheet.ok()) return Refuse(ctx, sheet.status());
  auto* r = ctx->DefaultReactor();
  server::CompleteStepTask(
      c_, r, *caller, sheet->appeal_instance_id, {"decide"},
      absl::StrCat("an appeal of worker ", req->worker_id()),
      {0, req->upheld() ? "upheld" : "rejected",
       json{{"new_rating", req->rating()}, {"reasons", req->reasons()}}, req->reasons(),
       req->request_id()},
      [this, req, resp] { return FillReview(req->cycle_id(), req->worker_id(), resp); });
  return r;
}

// ---- Reminders, files ----------------------------------------------------------------------

grpc::ServerUnaryReactor* ReviewsService::ListOverdue(Ctx* ctx, const v1::GetCycleRequest* req,
                                                      v1::ListOverdueResponse* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Reviews/ListOverdue", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  return OnReader(c_.readers, ctx, [this, caller = *caller, req, resp]() -> absl::Status {
    RETURN_IF_ERROR(RequireCycleScope(caller, req->cycle_id()));
    ASSIGN_OR_RETURN(auto overdue, rev_.ListOverdue(req->cycle_id()));
    for (const Overdue& o : overdue) {
      v1::OverdueStep* s = resp->add_steps();
      s->set_step(o.step);
      s->set_worker_id(o.worker_id);
      s->set_task_id(o.task.id);
      s->set_assignee(o.task.assignee);
      s->set_role(o.task.role);
      s->set_unit_id(o.task.unit);
      s->set_due_at_ms(o.task.due_at_ms);
      s->set_escalated(o.task.escalated);
      (*resp->mutable_per_step())[o.step]++;
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ReviewsService::WorkerHistory(Ctx* ctx,
                                                        const v1::WorkerHistoryRequest* req,
                                                        v1::WorkerHistoryResponse* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Reviews/WorkerHistory", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  return OnReader(c_.readers, ctx, [this, caller = *caller, req, resp]() -> absl::Status {
    auto worker =
        registry_.Read([&](const wf::Registry& reg) { return reg.GetWorker(req->worker_id()); });
    if (!worker.ok()) return worker.status();
    Sheet probe;
    probe.worker_id = worker->id;
    probe.unit_id = worker->unit_id;
    RETURN_IF_ERROR(SheetScope(caller, probe, true));
    resp->set_worker_id(worker->id);
    if (auto f = rev_.File(worker->id)) {
      resp->set_qualifying_years(f->qualifying_years);
      resp->set_promotion_priority(f->promotion_priority);
      for (const auto& [year, y] : f->years) {
        v1::YearRating* out = resp->add_years();
        out->set_year(year);
        out->set_rating(Rating(y.rating));
        out->set_source(y.source);
        out->set_cycle_id(y.cycle_id);
        for (const auto& e : y.entries) out->add_entries(e);
      }
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ReviewsService::ImportRatings(Ctx* ctx,
                                                        const v1::ImportRatingsRequest* req,
                                                        v1::ImportRatingsResponse* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Reviews/ImportRatings", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  auto* r = ctx->DefaultReactor();
  rev_.ImportRatings(*caller, req->csv(), req->request_id(), Answer(r, [resp](const json& a) {
    resp->set_imported(a.value("imported", 0));
  }));
  return r;
}

}  // namespace shequ::modules::reviews
