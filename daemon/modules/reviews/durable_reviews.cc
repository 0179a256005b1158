#include "daemon/modules/reviews/durable_reviews.h"

#include <algorithm>
#include <future>
#include <mutex>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daemon/core/csv.h"
#include "daemon/core/date.h"
#include "daemon/core/logging.h"
#include "daemon/core/status.h"
#include "daemon/modules/records.h"

namespace shequ::modules::reviews {

using engine::json;
namespace wf = ::shequ::domain::workforce;

namespace {

std::string N(int64_t n) { return std::to_string(n); }

std::string SheetKey(const std::string& cycle_id, int64_t worker_id) {
  return cycle_id + "/" + NumberKey(worker_id);
}

json TallyJson(const rv::Tally& t) { return {t.counts[0], t.counts[1]}; }
rv::Tally TallyFrom(const json& j) {
  rv::Tally t;
  for (int k = 0; k < 2 && k < static_cast<int>(j.size()); ++k) {
    for (int c = 0; c < 4 && c < static_cast<int>(j[k].size()); ++c) {
      t.counts[k][c] = j[k][c].get<int>();
    }
  }
  return t;
}

json Opt(const std::optional<rv::Tenths>& v) { return v ? json(*v) : json(); }
std::optional<rv::Tenths> OptTenths(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  return it->get<rv::Tenths>();
}
std::string Rating(rv::Rating r) { return std::string(wf::EnglishName(r)); }
rv::Rating RatingFrom(const json& j, const char* key) {
  auto r = wf::ParseEnum<rv::Rating>(j.value(key, std::string("not_rated")));
  return r.value_or(rv::Rating::kNotRated);
}

json ResultJson(const rv::RatingResult& r) {
  return {{"appraisal", r.appraisal},
          {"satisfaction", r.satisfaction},
          {"target", r.target},
          {"composite", r.composite},
          {"by_score", Rating(r.by_score)},
          {"rating", Rating(r.rating)},
          {"appraisal_failed", r.appraisal_failed},
          {"grave_error", r.grave_error},
          {"reasons", r.reasons}};
}
rv::RatingResult ResultFrom(int64_t worker_id, const json& j) {
  rv::RatingResult r;
  r.worker_id = worker_id;
  r.appraisal = j.at("appraisal").get<rv::Tenths>();
  r.satisfaction = j.at("satisfaction").get<rv::Tenths>();
  r.target = j.at("target").get<rv::Tenths>();
  r.composite = j.at("composite").get<rv::Composite>();
  r.by_score = RatingFrom(j, "by_score");
  r.rating = RatingFrom(j, "rating");
  r.appraisal_failed = j.value("appraisal_failed", false);
  r.grave_error = j.value("grave_error", "");
  r.reasons = j.value("reasons", std::vector<std::string>{});
  return r;
}

rv::AppealState AppealFrom(const std::string& s) {
  for (auto a : {rv::AppealState::kFiled, rv::AppealState::kUpheld, rv::AppealState::kRejected}) {
    if (s == rv::AppealStateName(a)) return a;
  }
  return rv::AppealState::kNone;
}

json OutcomeJson(const rv::Outcome& o) {
  json j = {{"rating", Rating(o.rating)},          {"reasons", o.reasons},
            {"appeal", rv::AppealStateName(o.appeal)},      {"appeal_filed_on", o.appeal_filed_on},
            {"appeal_grounds", o.appeal_grounds},  {"appeal_decided_on", o.appeal_decided_on},
            {"appeal_decision", o.appeal_decision}};
  if (o.rating_before_appeal) j["rating_before_appeal"] = Rating(*o.rating_before_appeal);
  return j;
}
rv::Outcome OutcomeFrom(int64_t worker_id, const json& j) {
  rv::Outcome o;
  o.worker_id = worker_id;
  o.rating = RatingFrom(j, "rating");
  o.reasons = j.value("reasons", std::vector<std::string>{});
  o.appeal = AppealFrom(j.value("appeal", ""));
  o.appeal_filed_on = j.value("appeal_filed_on", "");
  o.appeal_grounds = j.value("appeal_grounds", "");
  o.appeal_decided_on = j.value("appeal_decided_on", "");
  o.appeal_decision = j.value("appeal_decision", "");
  if (j.contains("rating_before_appeal"))
    o.rating_before_appeal = RatingFrom(j, "rating_before_appeal");
  return o;
}

json SheetJson(const Sheet& s) {
  json j = {{"worker_id", s.worker_id},
            {"unit_id", s.unit_id},
            {"home_unit_id", s.home_unit_id},
            {"informed_unit_id", s.informed_unit_id},
            {"rated", s.rated},
            {"reason", s.reason},
            {"months_on_post", s.months_on_post},
            {"report", s.report},
            {"attachments", s.attachments},
            {"report_at_ms", s.report_at_ms},
            // Who voted and, apart, how many chose what: never a voter beside a choice.
            {"voters", s.box.Voters()},
            {"tally", TallyJson(s.box.tally())},
            {"box_closed", s.box.closed()},
            {"satisfaction", Opt(s.satisfaction)},
            {"target", Opt(s.target)},
            {"unexcused_absence_days",
             s.unexcused_absence_days ? json(*s.unexcused_absence_days) : json()},
            {"grave_error", s.grave_error},
            {"steps_done", s.steps_done},
            {"final", s.final},
            {"instance_id", s.instance_id},
            {"appeal_instance_id", s.appeal_instance_id}};
  if (s.result) j["result"] = ResultJson(*s.result);
  if (s.outcome) j["outcome"] = OutcomeJson(*s.outcome);
  return j;
}

absl::StatusOr<Sheet> SheetFrom(const json& j) {
  Sheet s;
  s.worker_id = j.at("worker_id").get<int64_t>();
  s.unit_id = j.value("unit_id", "");
  s.home_unit_id = j.value("home_unit_id", "");
  s.informed_unit_id = j.value("informed_unit_id", "");
  s.rated = j.value("rated", true);
  s.reason = j.value("reason", "");
  s.months_on_post = j.value("months_on_post", 0);
  s.report = j.value("report", "");
  s.attachments = j.value("attachments", std::vector<std::string>{});
  s.report_at_ms = j.value("report_at_ms", int64_t{0});
  ASSIGN_OR_RETURN(
      s.box, rv::BallotBox::Restore(s.worker_id, j.value("voters", std::vector<std::string>{}),
                                    TallyFrom(j.at("tally")), j.value("box_closed", false)));
  s.satisfaction = OptTenths(j, "satisfaction");
  s.target = OptTenths(j, "target");
  if (auto it = j.find("unexcused_absence_days"); it != j.end() && !it->is_null()) {
    s.unexcused_absence_days = it->get<int>();
  }
  s.grave_error = j.value("grave_error", "");
  for (const auto& step : j.value("steps_done", std::vector<std::string>{})) {
    s.steps_done.insert(step);
  }
  s.final = j.value("final", false);
  s.instance_id = j.value("instance_id", int64_t{0});
  s.appeal_instance_id = j.value("appeal_instance_id", int64_t{0});
  if (j.contains("result")) s.result = ResultFrom(s.worker_id, j["result"]);
  if (j.contains("outcome")) s.outcome = OutcomeFrom(s.worker_id, j["outcome"]);
  return s;
}

json CycleJson(const Cycle& c) {
  json j = {{"id", c.id},
            {"street_unit_id", c.street_unit_id},
            {"year", c.year},
            {"state", c.state},
            {"instance_id", c.instance_id},
            {"opened_at_ms", c.opened_at_ms},
            {"signed_off_by", c.signed_off_by},
            {"signed_off_at_ms", c.signed_off_at_ms}};
  if (c.publication) {
    j["publication"] = {{"published", c.publication->published},
                        {"notice_until", c.publication->notice_until},
                        {"appeal_until", c.publication->appeal_until}};
  }
  return j;
}

Cycle CycleFrom(const json& j) {
  Cycle c;
  c.id = j.at("id").get<std::string>();
  c.street_unit_id = j.value("street_unit_id", "");
  c.year = j.value("year", 0);
  c.state = j.value("state", "open");
  c.instance_id = j.value("instance_id", int64_t{0});
  c.opened_at_ms = j.value("opened_at_ms", int64_t{0});
  c.signed_off_by = j.value("signed_off_by", "");
  c.signed_off_at_ms = j.value("signed_off_at_ms", int64_t{0});
  if (auto p = j.find("publication"); p != j.end()) {
    c.publication = rv::Publication{p->value("published", ""), p->value("notice_until", ""),
                                    p->value("appeal_until", "")};
  }
  return c;
}

json FileJson(const WorkerFile& f) {
  json years = json::array();
  for (const auto& [_, y] : f.years) {
    years.push_back({{"year", y.year},
                     {"rating", Rating(y.rating)},
                     {"source", y.source},
                     {"cycle_id", y.cycle_id},
                     {"entries", y.entries}});
  }
  return {{"worker_id", f.worker_id},
          {"qualifying_years", f.qualifying_years},
          {"promotion_priority", f.promotion_priority},
          {"years", years}};
}

WorkerFile FileFrom(const json& j) {
  WorkerFile f;
  f.worker_id = j.at("worker_id").get<int64_t>();
  f.qualifying_years = j.value("qualifying_years", 0);
  f.promotion_priority = j.value("promotion_priority", false);
  for (const json& y : j.value("years", json::array())) {
    WorkerFile::Year year{y.at("year").get<int>(), RatingFrom(y, "rating"), y.value("source", ""),
                          y.value("cycle_id", ""), y.value("entries", std::vector<std::string>{})};
    f.years[year.year] = std::move(year);
  }
  return f;
}

// The step a workflow node stands for, in the answers (ListOverdue).
std::string StepOfNode(const std::string& node) {
  if (node.rfind("report", 0) == 0) return "report";
  if (node == "appraisal" || node == "scores") return node;
  if (node == "sign-off") return "sign_off";
  if (node == "decide") return "appeal";
  return node;
}

absl::Status Refusal(std::string what) { return absl::FailedPreconditionError(std::move(what)); }

}  // namespace

std::vector<store::TableSpec> DurableReviews::Tables() {
  return {{kCycles, {"street_unit_id", "year"}}, {kSheets, {"cycle_id"}}, {kFiles, {}}};
}

DurableReviews::DurableReviews(engine::Engine& engine, store::Store& store,
                               workforce::DurableRegistry& registry, rv::ReviewPolicy policy)
    : engine_(engine), store_(store), registry_(registry), policy_(std::move(policy)) {}

std::string DurableReviews::Today() const { return registry_.Today(); }

Cycle* DurableReviews::Find(const std::string& id) {
  auto it = cycles_.find(id);
  return it == cycles_.end() ? nullptr : &it->second;
}

absl::StatusOr<Sheet*> DurableReviews::FindSheet(const std::string& cycle_id, int64_t worker_id) {
  Cycle* c = Find(cycle_id);
  if (!c) return absl::NotFoundError("cycle_id: review cycle '" + cycle_id + "' not found");
  auto it = c->sheets.find(worker_id);
  if (it == c->sheets.end()) {
    return absl::NotFoundError("worker_id: worker " + N(worker_id) + " is not in cycle " +
                               cycle_id);
  }
  return &it->second;
}

void DurableReviews::Save(engine::Engine::DomainTx& tx, const Cycle& c) {
  tx.rows().records.push_back(
      PutRecord(kCycles, c.id, CycleJson(c).dump(), {c.street_unit_id, N(c.year)}));
}
void DurableReviews::Save(engine::Engine::DomainTx& tx, const Cycle& c, const Sheet& s) {
  tx.rows().records.push_back(
      PutRecord(kSheets, SheetKey(c.id, s.worker_id), SheetJson(s).dump(), {c.id}));
}
void DurableReviews::Save(engine::Engine::DomainTx& tx, const WorkerFile& f) {
  tx.rows().records.push_back(PutRecord(kFiles, NumberKey(f.worker_id), FileJson(f).dump()));
}

absl::Status DurableReviews::Recover() {
  std::unique_lock lock(mu_);
  RETURN_IF_ERROR(store::ForEachRecord(store_, {kCycles}, [&](store::Record&& r) -> absl::Status {
    json j = json::parse(r.body, nullptr, false);
    if (!j.is_object()) return absl::DataLossError("reviews_cycles " + r.key + ": not JSON");
    Cycle c = CycleFrom(j);
    cycles_[c.id] = std::move(c);
    return absl::OkStatus();
  }));
  RETURN_IF_ERROR(store::ForEachRecord(store_, {kSheets}, [&](store::Record&& r) -> absl::Status {
    json j = json::parse(r.body, nullptr, false);
    const std::string cycle_id = r.key.substr(0, r.key.rfind('/'));
    Cycle* c = Find(cycle_id);
    if (!j.is_object() || !c)
      return absl::DataLossError("reviews_sheets " + r.key + ": unreadable");
    auto sheet = SheetFrom(j);
    if (!sheet.ok()) {
      return absl::DataLossError("reviews_sheets " + r.key + ": " +
                                 std::string(sheet.status().message()));
    }
    c->sheets[sheet->worker_id] = *std::move(sheet);
    return absl::OkStatus();
  }));
  return store::ForEachRecord(store_, {kFiles}, [&](store::Record&& r) -> absl::Status {
    json j = json::parse(r.body, nullptr, false);
    if (!j.is_object()) return absl::DataLossError("reviews_files " + r.key + ": not JSON");
    WorkerFile f = FileFrom(j);
    files_[f.worker_id] = std::move(f);
    return absl::OkStatus();
  });
}

// ---- Opening a cycle -----------------------------------------------------------------------

absl::StatusOr<Cycle*> DurableReviews::Open(engine::Engine::DomainTx& tx, const std::string& street,
                                            int year, bool skip_empty) {
  const std::string id = rv::CycleKey(street, year);
  if (Find(id)) return absl::AlreadyExistsError("cycle " + id + " is open already");
  if (year < 2000 || year > 2100) {
    return absl::InvalidArgumentError("year: " + N(year) + " is not a review year");
  }
  const std::string today = Today();
  if (N(year) > today.substr(0, 4)) {
    return absl::InvalidArgumentError("year: " + N(year) + " has not begun (today is " + today +
                                      ")");
  }
  Cycle c;
  c.id = id;
  c.street_unit_id = street;
  c.year = year;
  c.opened_at_ms = tx.now();
  // Every worker of the street's units, and their part in the year.
  auto listed = registry_.Read([&](const wf::Registry& reg) -> absl::StatusOr<std::vector<Sheet>> {
    ASSIGN_OR_RETURN(wf::Unit unit, reg.GetUnit(street));
    if (!wf::IsStreetLevel(unit.kind)) {
      return absl::InvalidArgumentError("street_unit_id: " + street + " is not a street office");
    }
    ASSIGN_OR_RETURN(auto tree, reg.Tree(""));
    const std::string district = tree.empty() ? "" : tree.front().first.id;
    std::vector<Sheet> out;
    wf::WorkerFilter filter;
    filter.unit_id = street;
    for (int64_t after = 0;;) {
      ASSIGN_OR_RETURN(wf::WorkerPage page, reg.ListWorkers(filter, after, 1000));
      for (const wf::Worker& w : page.workers) {
        rv::ServiceRecord rec;
        rec.worker_id = w.id;
        rec.home_unit_id = w.unit_id;
        rec.hired_on = w.hired_on;
        rec.status = w.status;
        // Records from before status_since existed (and rosters imported as they were) do not
        // say since when: from the hire, as far as anyone can tell.
        const std::string since = std::max(w.status_since, w.hired_on);
        if (w.status == wf::WorkerStatus::kLeft) {
          rec.left_on = std::max(date::AddDays(since, -1), w.hired_on);
        }
        if (w.status == wf::WorkerStatus::kSecondedStreet ||
            w.status == wf::WorkerStatus::kSecondedDistrict) {
          // The body served: the street office, or the district's (seed 004).
          rec.secondments.push_back(
              {w.status == wf::WorkerStatus::kSecondedStreet ? street : district, since, ""});
        }
        auto e = rv::EligibilityFor(rec, year, policy_);
        if (!e.ok()) {
          // One inconsistent record does not hold up the street: listed, not rated, and why.
          Logger("reviews")->warn("cycle {}: worker {}: {}", rv::CycleKey(street, year), w.id,
                                  std::string(e.status().message()));
          e = rv::Eligibility{rv::Participation::kNotRated,
                              "the registry's record does not say when the worker served: " +
                                  std::string(e.status().message()),
                              0, w.unit_id, ""};
        }
        if (e->participation == rv::Participation::kOutside) continue;
        Sheet s;
        s.worker_id = w.id;
        s.unit_id = e->reviewing_unit_id.empty() ? w.unit_id : e->reviewing_unit_id;
        s.home_unit_id = w.unit_id;
        s.informed_unit_id = e->informed_unit_id;
        s.rated = e->participation == rv::Participation::kRated;
        s.reason = e->reason;
        s.months_on_post = e->months_on_post;
        s.box = rv::BallotBox(w.id);
        out.push_back(std::move(s));
      }
      if (page.next_after_id == 0) break;
      after = page.next_after_id;
    }
    return out;
  });
  if (!listed.ok()) return listed.status();
  if (skip_empty && listed->empty()) {
    return absl::FailedPreconditionError("no worker of " + street + " was on post in " + N(year));
  }
  json rated = json::array();
  for (Sheet& s : *listed) {
    if (s.rated) rated.push_back(s.worker_id);
    if (!s.informed_unit_id.empty()) {
      tx.Record("unit:" + s.informed_unit_id, s.informed_unit_id, "review.seconded_reviewed",
                {{"cycle_id", id}, {"worker_id", s.worker_id}, {"reviewed_by", s.unit_id}});
    }
    c.sheets.emplace(s.worker_id, std::move(s));
  }
  engine::StartArgs args;
  args.definition_id = kCycleWorkflow;
  args.business_key = id;
  args.unit = street;
  args.variables = {{"cycle_id", id}, {"street", street}, {"year", year}, {"workers", rated}};
  ASSIGN_OR_RETURN(c.instance_id, tx.StartInstance(std::move(args)));
  tx.Record("unit:" + street, street, "review.cycle_opened",
            {{"cycle_id", id}, {"workers", c.sheets.size()}, {"rated", rated.size()}});
  tx.AuditResource("review-cycle:" + id);
  Save(tx, c);
  for (const auto& [_, s] : c.sheets) Save(tx, c, s);
  auto [it, inserted] = cycles_.emplace(id, std::move(c));
  return &it->second;
}

void DurableReviews::OpenDueCycles() {
  const std::string today = Today();
  if (today.substr(5) < policy_.cycle_opens || opening_ > 0) return;
  const int year = std::stoi(today.substr(0, 4));
  std::vector<std::string> due;
  {
    std::shared_lock lock(mu_);
    registry_.Read([&](const wf::Registry& reg) {
      auto tree = reg.Tree("");
      if (!tree.ok()) return;
      for (const auto& [unit, depth] : *tree) {
        const std::string id = rv::CycleKey(unit.id, year);
        if (wf::IsStreetLevel(unit.kind) && !cycles_.count(id) && !not_opened_.count(id)) {
          due.push_back(unit.id);
        }
      }
    });
  }
  opening_ += static_cast<int>(due.size());
  for (const std::string& street : due) {
    engine_.ExecuteDomain(
        "reviews.OpenDue", "", engine::Caller{},
        [this, street, year](engine::Engine::DomainTx& tx) -> absl::StatusOr<json> {
          std::unique_lock lock(mu_);
          ASSIGN_OR_RETURN(Cycle * c, Open(tx, street, year, /*skip_empty=*/true));
          return json{{"cycle_id", c->id}};
        },
        [this, id = rv::CycleKey(street, year)](absl::StatusOr<json> r) {
          std::unique_lock lock(mu_);
          if (r.ok()) {
            Logger("reviews")->info("opened review cycle {}", id);
          } else if (not_opened_.insert(id).second) {
            // Not again until a restart: a street with no one on post, or a record the
            // eligibility rules refuse (the message names the worker).
            Logger("reviews")->warn("review cycle {} not opened: {}", id, r.status().ToString());
          }
          --opening_;
        });
  }
}

void DurableReviews::OpenCycle(const engine::Caller& caller, std::string street, int year,
                               std::string request_id, engine::Reply reply) {
  engine_.ExecuteDomain(
      "reviews.OpenCycle", std::move(request_id), caller,
      [this, street = std::move(street),
       year](engine::Engine::DomainTx& tx) -> absl::StatusOr<json> {
        std::unique_lock lock(mu_);
        ASSIGN_OR_RETURN(Cycle * c, Open(tx, street, year));
        return json{{"cycle_id", c->id}};
      },
      std::move(reply));
}

// ---- Sheet commands ------------------------------------------------------------------------

void DurableReviews::SheetCommand(
    const char* command, const engine::Caller& caller, std::string cycle_id, int64_t worker_id,
    SheetCheck check, std::string request_id,
    std::function<absl::StatusOr<json>(engine::Engine::DomainTx&, Cycle&, Sheet&)> change,
    engine::Reply reply) {
  engine_.ExecuteDomain(
      command, std::move(request_id), caller,
      [this, cycle_id = std::move(cycle_id), worker_id, check = std::move(check),
       change = std::move(change)](engine::Engine::DomainTx& tx) -> absl::StatusOr<json> {
        std::unique_lock lock(mu_);
        ASSIGN_OR_RETURN(Sheet * s, FindSheet(cycle_id, worker_id));
        RETURN_IF_ERROR(check(*s));
        Cycle& c = *Find(cycle_id);
        // The change works on a copy: a refusal halfway leaves the sheet as it was.
        Sheet changed = *s;
        ASSIGN_OR_RETURN(json answer, change(tx, c, changed));
        *s = std::move(changed);
        tx.AuditResource("review:" + SheetKey(cycle_id, worker_id));
        Save(tx, c, *s);
        return answer;
      },
      std::move(reply));
}

void DurableReviews::SubmitReport(const engine::Caller& caller, std::string cycle_id,
                                  int64_t worker_id, std::string text,
                                  std::vector<std::string> attachments, SheetCheck check,
                                  std::string request_id, engine::Reply reply) {
  SheetCommand(
      "reviews.SubmitReport", caller, std::move(cycle_id), worker_id, std::move(check),
      std::move(request_id),
      [text = std::move(text), attachments = std::move(attachments)](
          engine::Engine::DomainTx& tx, Cycle& c, Sheet& s) -> absl::StatusOr<json> {
        if (!s.rated) return Refusal("worker " + N(s.worker_id) + " is not rated: " + s.reason);
        if (s.steps_done.count("report")) {
          return Refusal("report: the report step of worker " + N(s.worker_id) + " is finished");
        }
        if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
          return absl::InvalidArgumentError("text: the report is empty");
        }
        for (size_t i = 0; i < attachments.size(); ++i) {
          if (attachments[i].empty()) {
            return absl::InvalidArgumentError("attachments[" + N(i) + "]: empty reference");
          }
        }
        s.report = text;
        s.attachments = attachments;
        s.report_at_ms = tx.now();
        return json::object();
      },
      std::move(reply));
}

void DurableReviews::CastBallot(const engine::Caller& caller, std::string cycle_id,
                                int64_t worker_id, rv::VoterKind kind, rv::Rating choice,
                                SheetCheck check, std::string request_id, engine::Reply reply) {
  SheetCommand(
      "reviews.CastBallot", caller, std::move(cycle_id), worker_id, std::move(check),
      std::move(request_id),
      [kind, choice, voter = caller.user](engine::Engine::DomainTx& tx, Cycle& c,
                                          Sheet& s) -> absl::StatusOr<json> {
        if (!s.rated) {
          return Refusal("worker " + N(s.worker_id) + " is not rated: " + s.reason);
        }
        if (c.state != "open") return Refusal("cycle " + c.id + " is " + c.state);
        RETURN_IF_ERROR(s.box.Cast(voter, kind, choice));
        // The answer (kept for retries) holds the count, never the choice.
        return json{{"ballots", s.box.tally().Ballots()}};
      },
      std::move(reply));
}

void DurableReviews::RecordScores(const engine::Caller& caller, std::string cycle_id,
                                  int64_t worker_id, Scores scores, SheetCheck check,
                                  std::string request_id, engine::Reply reply) {
  SheetCommand(
      "reviews.RecordScores", caller, std::move(cycle_id), worker_id, std::move(check),
      std::move(request_id),
      [scores = std::move(scores)](engine::Engine::DomainTx& tx, Cycle& c,
                                   Sheet& s) -> absl::StatusOr<json> {
        if (!s.rated) {
          return Refusal("worker " + N(s.worker_id) + " is not rated: " + s.reason);
        }
        if (c.state != "open") {
          return Refusal("cycle " + c.id + " is " + c.state + ": scores are fixed");
        }
        if (scores.unexcused_absence_days && *scores.unexcused_absence_days < 0) {
          return absl::InvalidArgumentError(
              "unexcused_absence_days: " + N(*scores.unexcused_absence_days) + " is negative");
        }
        if (scores.unexcused_absence_days && *scores.unexcused_absence_days > 366) {
          return absl::InvalidArgumentError(
              "unexcused_absence_days: " + N(*scores.unexcused_absence_days) +
              " is more days than a year has");
        }
        if (scores.satisfaction) s.satisfaction = scores.satisfaction;
        if (scores.target) s.target = scores.target;
        if (scores.unexcused_absence_days) {
          s.unexcused_absence_days = scores.unexcused_absence_days;
        }
        if (scores.grave_error) s.grave_error = *scores.grave_error;
        return json::object();
      },
      std::move(reply));
}

void DurableReviews::FileAppeal(const engine::Caller& caller, std::string cycle_id,
                                int64_t worker_id, std::string grounds, SheetCheck check,
                                std::string request_id, engine::Reply reply) {
  SheetCommand(
      "reviews.FileAppeal", caller, std::move(cycle_id), worker_id, std::move(check),
      std::move(request_id),
      [this, grounds = std::move(grounds)](engine::Engine::DomainTx& tx, Cycle& c,
                                           Sheet& s) -> absl::StatusOr<json> {
        if (!c.publication || !s.outcome) {
          return Refusal("cycle " + c.id + ": the results are not published yet");
        }
        RETURN_IF_ERROR(rv::FileAppeal(*s.outcome, *c.publication, Today(), grounds));
        engine::StartArgs args;
        args.definition_id = kAppealWorkflow;
        args.business_key = SheetKey(c.id, s.worker_id);
        args.unit = c.street_unit_id;
        args.variables = {{"cycle_id", c.id},
                          {"worker_id", s.worker_id},
                          {"street", c.street_unit_id},
                          {"rating", Rating(s.outcome->rating)}};
        ASSIGN_OR_RETURN(s.appeal_instance_id, tx.StartInstance(std::move(args)));
        tx.Record("worker:" + N(s.worker_id), s.unit_id, "review.appeal_filed",
                  {{"cycle_id", c.id}, {"filed_on", s.outcome->appeal_filed_on}});
        return json{{"instance_id", s.appeal_instance_id}};
      },
      std::move(reply));
}

// ---- Import of earlier years ----------------------------------------------------------------

void DurableReviews::ImportRatings(const engine::Caller& caller, std::string csv,
                                   std::string request_id, engine::Reply reply) {
  engine_.ExecuteDomain(
      "reviews.ImportRatings", std::move(request_id), caller,
      [this, csv = std::move(csv)](engine::Engine::DomainTx& tx) -> absl::StatusOr<json> {
        auto bad = [](size_t row, const char* column, const std::string& what) {
          return absl::InvalidArgumentError(
              absl::StrCat("csv: row ", row, ", column ", column, ": ", what));
        };
        ASSIGN_OR_RETURN(auto rows, csv::ReadAll(csv));
        const std::vector<std::string> header = {"worker_id", "year", "rating", "qualifying_years"};
        const size_t columns = rows.empty() ? 0 : rows[0].size();
        if ((columns != 3 && columns != 4) ||
            !std::equal(rows[0].begin(), rows[0].end(), header.begin())) {
          return absl::InvalidArgumentError(
              "csv: row 1: the header must be worker_id,year,rating[,qualifying_years]");
        }
        if (rows.size() == 1) return absl::InvalidArgumentError("csv: no rows after the header");
        const int this_year = std::stoi(Today().substr(0, 4));
        std::unique_lock lock(mu_);
        std::map<int64_t, WorkerFile> changed;
        for (size_t i = 1; i < rows.size(); ++i) {
          const auto& r = rows[i];
          const size_t row = i + 1;
          if (r.size() != columns) {
            return bad(row, "-", "expected " + N(columns) + " fields, got " + N(r.size()));
          }
          int64_t worker_id = 0;
          int year = 0;
          if (!absl::SimpleAtoi(r[0], &worker_id) || worker_id <= 0) {
            return bad(row, "worker_id", "'" + r[0] + "' is not a worker id");
          }
          auto known = registry_.Read(
              [&](const wf::Registry& reg) { return reg.GetWorker(worker_id).ok(); });
          if (!known) return bad(row, "worker_id", "worker " + r[0] + " not found");
          if (!absl::SimpleAtoi(r[1], &year) || year < 1990 || year >= this_year) {
            return bad(row, "year",
                       "'" + r[1] + "' is not a past year (before " + N(this_year) + ")");
          }
          auto rating = wf::ParseEnum<rv::Rating>(r[2]);
          if (!rating) {
            return bad(row, "rating",
                       "'" + r[2] + "' is not one of " + wf::EnumChoices<rv::Rating>());
          }
          auto [it, fresh] = changed.try_emplace(worker_id);
          if (fresh) {
            auto f = files_.find(worker_id);
            it->second = f != files_.end() ? f->second : WorkerFile{worker_id};
          }
          WorkerFile& f = it->second;
          if (auto y = f.years.find(year); y != f.years.end()) {
            return bad(row, "year",
                       "worker " + r[0] + " has a rating for " + r[1] + " already (" +
                           y->second.source + ")");
          }
          f.years[year] = {year, *rating, "import", "", {}};
          // Competent-or-better years since the worker's last grade step, as of this year.
          if (columns == 4 && !r[3].empty()) {
            int q = -1;
            if (!absl::SimpleAtoi(r[3], &q) || q < 0 || q >= policy_.grade_step_years) {
              return bad(
                  row, "qualifying_years",
                  "'" + r[3] + "' is not a count from 0 to " + N(policy_.grade_step_years - 1));
            }
            f.qualifying_years = q;
          }
        }
        for (auto& [id, f] : changed) {
          Save(tx, f);
          tx.Record("worker:" + N(id), "", "review.ratings_imported", {{"years", f.years.size()}});
        }
        const int64_t imported = static_cast<int64_t>(rows.size() - 1);
        for (auto& [id, f] : changed) files_[id] = std::move(f);
        return json{{"imported", imported}};
      },
      std::move(reply));
}

// ---- Reads ---------------------------------------------------------------------------------

absl::StatusOr<Cycle> DurableReviews::GetCycle(const std::string& id) const {
  std::shared_lock lock(mu_);
  auto it = cycles_.find(id);
  if (it == cycles_.end())
    return absl::NotFoundError("cycle_id: review cycle '" + id + "' not found");
  return it->second;
}

absl::StatusOr<CycleInfo> DurableReviews::GetCycleInfo(const std::string& id) const {
  std::shared_lock lock(mu_);
  auto it = cycles_.find(id);
  if (it == cycles_.end())
    return absl::NotFoundError("cycle_id: review cycle '" + id + "' not found");
  return static_cast<const CycleInfo&>(it->second);
}

absl::StatusOr<CycleSummary> DurableReviews::Summary(const std::string& id) const {
  std::shared_lock lock(mu_);
  auto it = cycles_.find(id);
  if (it == cycles_.end())
    return absl::NotFoundError("cycle_id: review cycle '" + id + "' not found");
  CycleSummary out{it->second};
  for (const auto& [_, s] : it->second.sheets) {
    ++out.workers;
    out.rated += s.rated;
    out.reports += s.steps_done.count("report");
    out.appraisals += s.steps_done.count("appraisal");
    out.scores += s.steps_done.count("scores");
    if (!s.outcome) continue;
    if (s.outcome->appeal == rv::AppealState::kFiled) ++out.appeals_pending;
    ++out.ratings[Rating(s.outcome->rating)];
  }
  return out;
}

std::vector<CycleInfo> DurableReviews::ListCycles(const std::string& street, int year) const {
  std::shared_lock lock(mu_);
  std::vector<CycleInfo> out;
  for (const auto& [_, c] : cycles_) {
    if ((street.empty() || c.street_unit_id == street) && (year == 0 || c.year == year)) {
      out.push_back(c);
    }
  }
  return out;
}

absl::StatusOr<Sheet> DurableReviews::GetSheet(const std::string& cycle_id,
                                               int64_t worker_id) const {
  std::shared_lock lock(mu_);
  auto s = const_cast<DurableReviews*>(this)->FindSheet(cycle_id, worker_id);
  if (!s.ok()) return s.status();
  return **s;
}

absl::StatusOr<std::vector<Sheet>> DurableReviews::ListSheets(
    const std::string& cycle_id, int64_t after_worker, int limit,
    const std::function<bool(const Sheet&)>& keep) const {
  std::shared_lock lock(mu_);
  auto it = cycles_.find(cycle_id);
  if (it == cycles_.end()) {
    return absl::NotFoundError("cycle_id: review cycle '" + cycle_id + "' not found");
  }
  std::vector<Sheet> out;
  for (auto s = it->second.sheets.upper_bound(after_worker);
       s != it->second.sheets.end() && static_cast<int>(out.size()) < limit; ++s) {
    if (keep(s->second)) out.push_back(s->second);
  }
  return out;
}

namespace {
rv::ReviewSheet ReviewSheetOf(const Sheet& s) {
  rv::ReviewSheet r;
  r.worker_id = s.worker_id;
  r.self_report = s.steps_done.count("report") > 0;
  if (s.box.closed()) r.appraisal = s.box.tally();
  r.satisfaction = s.satisfaction;
  r.target = s.target;
  r.unexcused_absence_days = s.unexcused_absence_days;
  r.grave_error = s.grave_error;
  return r;
}
std::vector<rv::ReviewSheet> RatedSheets(const Cycle& c) {
  std::vector<rv::ReviewSheet> out;
  for (const auto& [_, s] : c.sheets) {
    if (s.rated) out.push_back(ReviewSheetOf(s));
  }
  return out;
}
}  // namespace

absl::StatusOr<std::vector<rv::RatingResult>> DurableReviews::Calibrate(
    const std::string& cycle_id) const {
  std::shared_lock lock(mu_);
  auto it = cycles_.find(cycle_id);
  if (it == cycles_.end()) {
    return absl::NotFoundError("cycle_id: review cycle '" + cycle_id + "' not found");
  }
  return rv::Calibrate(RatedSheets(it->second), policy_);
}

bool DurableReviews::IsFinal(const CycleInfo& cycle, const Sheet& sheet) const {
  if (sheet.final) return true;
  if (!cycle.publication || !sheet.outcome) return false;
  return rv::IsFinal(*sheet.outcome, *cycle.publication, Today());
}

std::optional<WorkerFile> DurableReviews::File(int64_t worker_id) const {
  std::shared_lock lock(mu_);
  auto it = files_.find(worker_id);
  if (it == files_.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<std::vector<Overdue>> DurableReviews::ListOverdue(
    const std::string& cycle_id) const {
  // The cycle's workflows: its own, each worker's and each appeal's.
  std::map<int64_t, int64_t> worker_of;
  std::vector<std::string> units;
  {
    std::shared_lock lock(mu_);
    auto it = cycles_.find(cycle_id);
    if (it == cycles_.end()) {
      return absl::NotFoundError("cycle_id: review cycle '" + cycle_id + "' not found");
    }
    worker_of[it->second.instance_id] = 0;
    for (const auto& [id, s] : it->second.sheets) {
      if (s.instance_id) worker_of[s.instance_id] = id;
      if (s.appeal_instance_id) worker_of[s.appeal_instance_id] = id;
    }
    units = registry_.Subtree(it->second.street_unit_id);
  }
  const int64_t now = engine_.clock().NowMs();
  std::vector<Overdue> out;
  store::TaskFilter f;
  f.units = units;
  for (int64_t after = 0;;) {
    ASSIGN_OR_RETURN(auto rows, store_.ListTasks(f, {after, 1000}));
    for (const auto& row : rows) {
      engine::Task t = engine::FromRow(row);
      after = t.id;
      auto w = worker_of.find(t.instance_id);
      if (w == worker_of.end() || t.due_at_ms == 0 || t.due_at_ms > now) continue;
      out.push_back({StepOfNode(t.node), w->second, std::move(t)});
    }
    if (rows.size() < 1000) break;
  }
  return out;
}

// ---- Personal data --------------------------------------------------------------------------

json DurableReviews::PersonalDataOf(const std::vector<int64_t>& workers) const {
  std::shared_lock lock(mu_);
  json sheets = json::array();
  json files = json::array();
  for (int64_t id : workers) {
    for (const auto& [cycle_id, c] : cycles_) {
      auto s = c.sheets.find(id);
      if (s == c.sheets.end()) continue;
      json j = SheetJson(s->second);
      j.erase("voters");  // other people, and no part of this worker's data
      j["cycle_id"] = cycle_id;
      sheets.push_back(std::move(j));
    }
    if (auto f = files_.find(id); f != files_.end()) files.push_back(FileJson(f->second));
  }
  if (sheets.empty() && files.empty()) return json();
  return json{{"sheets", std::move(sheets)}, {"files", std::move(files)}};
}

std::pair<int64_t, std::function<void()>> DurableReviews::Erase(
    engine::Engine::DomainTx& tx, const std::vector<int64_t>& workers) {
  constexpr char kErased[] = "[erased]";
  std::vector<std::pair<std::string, Sheet>> changed;
  {
    std::shared_lock lock(mu_);
    for (int64_t id : workers) {
      for (const auto& [cycle_id, c] : cycles_) {
        auto it = c.sheets.find(id);
        if (it == c.sheets.end()) continue;
        Sheet s = it->second;
        if (!s.report.empty()) s.report = kErased;
        s.attachments.clear();
        if (s.outcome && !s.outcome->appeal_grounds.empty()) s.outcome->appeal_grounds = kErased;
        Save(tx, c, s);
        changed.emplace_back(cycle_id, std::move(s));
      }
    }
  }
  const auto n = static_cast<int64_t>(changed.size());
  return {n, [this, changed = std::move(changed)]() mutable {
            std::unique_lock lock(mu_);
            for (auto& [cycle_id, s] : changed) {
              Cycle* c = Find(cycle_id);
              if (c) c->sheets[s.worker_id] = std::move(s);
            }
          }};
}

// ---- The workflows' built-in steps ---------------------------------------------------------

absl::StatusOr<Cycle*> DurableReviews::CycleOf(const engine::Engine::HandlerCall& call) {
  const std::string id = call.variables.value("cycle_id", "");
  Cycle* c = Find(id);
  if (!c) return absl::NotFoundError("review cycle '" + id + "' not found");
  return c;
}

absl::StatusOr<Sheet*> DurableReviews::SheetOf(const engine::Engine::HandlerCall& call) {
  ASSIGN_OR_RETURN(Cycle * c, CycleOf(call));
  return FindSheet(c->id, call.variables.value("worker_id", int64_t{0}));
}

void DurableReviews::RegisterHandlers() {
  using Tx = engine::Engine::DomainTx;
  using Call = engine::Engine::HandlerCall;

  // One worker's review: who reports, and where.
  engine_.RegisterHandler("review.worker",
                          [this](Tx& tx, const Call& call) -> absl::StatusOr<json> {
                            std::unique_lock lock(mu_);
                            ASSIGN_OR_RETURN(Sheet * s, SheetOf(call));
                            s->instance_id = call.instance_id;
                            Save(tx, *Find(call.variables.value("cycle_id", "")), *s);
                            auto number = registry_.Read([&](const wf::Registry& reg) {
                              auto w = reg.GetWorker(s->worker_id);
                              return w.ok() ? w->number : std::string();
                            });
                            return json{{"unit", s->unit_id}, {"report_by", number}};
                          });

  // The guards of the worker's steps: each refuses while its data is missing.
  auto step = [this](const char* name, std::function<absl::Status(Cycle&, Sheet&)> finish) {
    engine_.RegisterHandler(
        name, [this, name, finish](Tx& tx, const Call& call) -> absl::StatusOr<json> {
          std::unique_lock lock(mu_);
          ASSIGN_OR_RETURN(Sheet * s, SheetOf(call));
          Cycle& c = *Find(call.variables.value("cycle_id", ""));
          Sheet changed = *s;
          changed.instance_id = call.instance_id;
          RETURN_IF_ERROR(finish(c, changed));
          *s = std::move(changed);
          Save(tx, c, *s);
          tx.Record("worker:" + N(s->worker_id), s->unit_id, name, {{"cycle_id", c.id}});
          return json::object();
        });
  };
  step("review.report", [](Cycle&, Sheet& s) -> absl::Status {
    if (s.report.empty()) {
      return Refusal("report: worker " + N(s.worker_id) + " has not submitted the report (述职)");
    }
    s.steps_done.insert("report");
    return absl::OkStatus();
  });
  step("review.appraisal", [this](Cycle&, Sheet& s) -> absl::Status {
    const std::string shortfall = s.box.tally().Shortfall(policy_);
    if (!shortfall.empty()) {
      return Refusal("appraisal: worker " + N(s.worker_id) + ": " + shortfall);
    }
    s.box.Close();
    s.steps_done.insert("appraisal");
    return absl::OkStatus();
  });
  step("review.scores", [](Cycle&, Sheet& s) -> absl::Status {
    std::vector<std::string> missing;
    if (!s.satisfaction) missing.push_back("satisfaction");
    if (!s.target) missing.push_back("target");
    if (!s.unexcused_absence_days) missing.push_back("unexcused_absence_days");
    if (!missing.empty()) {
      return Refusal("scores: worker " + N(s.worker_id) + " has no " +
                     absl::StrJoin(missing, ", "));
    }
    s.steps_done.insert("scores");
    return absl::OkStatus();
  });

  // Sign-off (the street office's task): calibration fixes the ratings, publication follows.
  engine_.RegisterHandler(
      "review.sign-off", [this](Tx& tx, const Call& call) -> absl::StatusOr<json> {
        std::unique_lock lock(mu_);
        ASSIGN_OR_RETURN(Cycle * c, CycleOf(call));
        if (c->state != "open") return Refusal("cycle " + c->id + " is " + c->state + " already");
        ASSIGN_OR_RETURN(auto results, rv::Calibrate(RatedSheets(*c), policy_));
        ASSIGN_OR_RETURN(rv::Publication pub, rv::Publish(Today(), engine_.calendar(), policy_));
        Cycle next = *c;
        for (const auto& r : results) {
          Sheet& s = next.sheets.at(r.worker_id);
          s.result = r;
          s.outcome = rv::OutcomeOf(r);
        }
        for (auto& [_, s] : next.sheets) {
          if (!s.rated) s.outcome = rv::NotRatedOutcome(s.worker_id, s.reason);
        }
        next.state = "signed_off";
        next.signed_off_by = tx.actor();
        next.signed_off_at_ms = tx.now();
        next.publication = pub;
        *c = std::move(next);
        Save(tx, *c);
        for (const auto& [_, s] : c->sheets) Save(tx, *c, s);
        tx.Record("unit:" + c->street_unit_id, c->street_unit_id, "review.published",
                  {{"cycle_id", c->id},
                   {"signed_off_by", c->signed_off_by},
                   {"notice_until", pub.notice_until},
                   {"appeal_until", pub.appeal_until}});
        tx.AuditResource("review-cycle:" + c->id);
        // The appeal window ends with appeal_until: the cycle goes on the next morning.
        return json{{"appeal_closes", date::AddDays(pub.appeal_until, 1)}};
      });

  // The leading group's decision on an appeal (its task's guard).
  engine_.RegisterHandler(
      "review.decide-appeal", [this](Tx& tx, const Call& call) -> absl::StatusOr<json> {
        std::unique_lock lock(mu_);
        ASSIGN_OR_RETURN(Sheet * s, SheetOf(call));
        if (!s->outcome) return Refusal("worker " + N(s->worker_id) + " has no published result");
        const std::string outcome = call.variables.value("outcome", "");
        std::optional<rv::Rating> rating;
        if (outcome == "upheld") {
          const std::string text = call.variables.value("new_rating", "");
          rating = wf::ParseEnum<rv::Rating>(text);
          if (!rating || *rating == rv::Rating::kNotRated) {
            return absl::InvalidArgumentError("rating: '" + text +
                                              "' is not one of excellent, "
                                              "competent, basically_competent, incompetent");
          }
        }
        rv::Outcome decided = *s->outcome;
        RETURN_IF_ERROR(rv::DecideAppeal(decided, outcome == "upheld", rating,
                                         call.variables.value("reasons", ""), Today()));
        s->outcome = std::move(decided);
        Cycle& c = *Find(call.variables.value("cycle_id", ""));
        Save(tx, c, *s);
        tx.Record("worker:" + N(s->worker_id), s->unit_id, "review.appeal_decided",
                  {{"cycle_id", c.id},
                   {"upheld", outcome == "upheld"},
                   {"rating", Rating(s->outcome->rating)}});
        return json::object();
      });

  engine_.RegisterHandler("review.finalize",
                          [this](Tx& tx, const Call& call) -> absl::StatusOr<json> {
                            std::unique_lock lock(mu_);
                            ASSIGN_OR_RETURN(Cycle * c, CycleOf(call));
                            return Finalize(tx, *c);
                          });

  // One consequence, once decided (termination) or due (a grade step).
  engine_.RegisterHandler("review.apply", [this](Tx& tx, const Call& call) -> absl::StatusOr<json> {
    const json& k = call.variables.at("consequence");
    const int64_t worker_id = k.at("worker_id").get<int64_t>();
    const std::string kind = k.at("kind").get<std::string>();
    const std::string reason = k.value("reason", "");
    if (kind == "termination") {
      if (call.variables.value("outcome", "") != "approved") {
        tx.Record("worker:" + N(worker_id), "", "review.termination_rejected",
                  {{"cycle_id", call.variables.value("cycle_id", "")}});
        return json::object();
      }
      auto changed = registry_.Apply(tx, [&](wf::Registry& reg, const std::string& today) {
        return reg.ChangeStatus(worker_id, wf::WorkerStatus::kLeft, reason, today);
      });
      if (!changed.ok()) return json{{"refused", std::string(changed.status().message())}};
      return json::object();
    }
    if (kind == "grade_step") {
      const int grade = k.at("grade").get<int>();
      auto changed = registry_.Apply(tx, [&](wf::Registry& reg, const std::string& today) {
        wf::WorkerPatch patch;
        patch.grade = grade;
        return reg.UpdateWorker(worker_id, patch, today, reason);
      });
      if (!changed.ok()) return json{{"refused", std::string(changed.status().message())}};
      return json::object();
    }
    // Talks and advice: what the street office reported having done.
    tx.Record("worker:" + N(worker_id), "", "review." + kind + "_done",
              {{"cycle_id", call.variables.value("cycle_id", "")},
               {"comment", call.variables.value("comment", "")}});
    return json::object();
  });
}

absl::StatusOr<json> DurableReviews::Finalize(engine::Engine::DomainTx& tx, Cycle& c) {
  int pending = 0;
  for (const auto& [_, s] : c.sheets) {
    if (s.outcome && s.outcome->appeal == rv::AppealState::kFiled) ++pending;
  }
  if (pending > 0) return json{{"pending_appeals", pending}};
  if (c.state == "final") return json{{"pending_appeals", 0}, {"consequences", json::array()}};
  json consequences = json::array();
  const std::string next_january = N(c.year + 1) + "-01-01";
  // Staged, and changed in memory only once every worker's file is done.
  std::map<int64_t, WorkerFile> files;
  for (const auto& [id, s] : c.sheets) {
    const rv::Rating rating = s.outcome ? s.outcome->rating : rv::Rating::kNotRated;
    auto known = files_.find(id);
    WorkerFile file = known != files_.end() ? known->second : WorkerFile{id};
    auto worker = registry_.Read([&](const wf::Registry& reg) -> absl::StatusOr<rv::WorkerFile> {
      ASSIGN_OR_RETURN(wf::Worker w, reg.GetWorker(id));
      rv::WorkerFile f;
      f.grade = std::max(1, w.grade);
      f.max_grade = reg.grade_policy().grades;
      for (const auto& p : reg.grade_policy().posts) {
        if (p.id == w.post) f.max_grade = p.max_grade;
      }
      f.grade = std::min(f.grade, f.max_grade);
      return f;
    });
    if (!worker.ok()) return worker.status();
    rv::WorkerFile in = *worker;
    in.qualifying_years = file.qualifying_years;
    for (const auto& [year, y] : file.years) {
      if (year < c.year) in.history.push_back({year, y.rating});
    }
    rv::YearRating yr{c.year, rating, s.result && s.result->appraisal_failed,
                      s.result ? s.result->grave_error : ""};
    ASSIGN_OR_RETURN(rv::Consequences k, rv::ConsequencesOf(yr, in, policy_));
    file.years[c.year] = {c.year, rating, "review", c.id, k.entries};
    file.qualifying_years = k.qualifying_years;
    if (k.promotion_priority) file.promotion_priority = true;
    Save(tx, file);
    tx.Record(
        "worker:" + N(id), s.unit_id, "review.rated",
        {{"cycle_id", c.id}, {"year", c.year}, {"rating", Rating(rating)}, {"entries", k.entries}});
    const std::string reason = absl::StrJoin(k.entries, "; ");
    auto add = [&](const char* kind, json extra = json::object()) {
      json item = {{"worker_id", id}, {"kind", kind}, {"unit", s.unit_id}, {"reason", reason}};
      item.update(extra);
      consequences.push_back(std::move(item));
    };
    if (k.termination) {
      add("termination");
    } else {
      if (k.admonishment) add("admonishment");
      if (k.advised_to_resign) add("resign_advice");
      if (k.grade_step) add("grade_step", {{"grade", k.new_grade}, {"effective", next_january}});
    }
    files[id] = std::move(file);
  }
  for (auto& [id, f] : files) files_[id] = std::move(f);
  for (auto& [_, s] : c.sheets) {
    s.final = true;
    Save(tx, c, s);
  }
  c.state = "final";
  Save(tx, c);
  tx.Record("unit:" + c.street_unit_id, c.street_unit_id, "review.final",
            {{"cycle_id", c.id}, {"consequences", consequences.size()}});
  return json{{"pending_appeals", 0}, {"consequences", std::move(consequences)}};
}

}  // namespace shequ::modules::reviews
