// The annual review through gRPC on the fake clock: one street office's whole cycle — reports,
// secret ballots, scores, reminders and the overdue list, sign-off with the excellent cap,
// publication, an appeal, the final ratings and their consequences in the registry (an
// admonishment, a dismissal after two incompetent years, promotion priority after three
// excellent ones, a grade step on 1 January after the third competent year), a worker hired in
// November not rated — with kill -9 in the middle; and the bad input each call refuses.

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <thread>

#include "nlohmann/json.hpp"
#include "shequ/v1/personal_data.grpc.pb.h"
#include "shequ/v1/reviews.grpc.pb.h"
#include "tests/integration/client.h"

namespace shequ::testing {
namespace {

using nlohmann::json;

const Caller kStreet{"li.clerk", "street-office", "bh.hp"};
const Caller kOtherStreet{"wu.clerk", "street-office", "bh.xx"};
const Caller kLeadingGroup{"chen.lg", "leading-group", ""};
const Caller kPersonnel{"zhou.hr", "personnel", ""};
const Caller kMigration{"migration", "roster-migration", ""};
const Caller kAdmin{"root", "district-admin", ""};

Caller Voter(int i, bool resident) {
  return {"voter-" + std::to_string(i), resident ? "resident-representative" : "party-member",
          "bh.hp.xf"};
}

// How each rated worker fares: ballots all of one choice, then satisfaction and target.
struct Plan {
  std::string choice;
  std::string satisfaction, target;
};

class ReviewsTest : public DaemonTest {
 protected:
  ReviewsTest() : DaemonTest("reviews") {}

  void SetUp() override {
    DaemonTest::SetUp();
    ASSERT_TRUE(client_->CreateUnit("bh", "", "包河区", "district").ok());
    ASSERT_TRUE(client_->CreateUnit("bh.hp", "bh", "和平街道", "street", "", 0, 1).ok());
    ASSERT_TRUE(client_->CreateUnit("bh.xx", "bh", "新兴街道", "street", "", 0, 1).ok());
    ASSERT_TRUE(
        client_->CreateUnit("bh.hp.xf", "bh.hp", "幸福里社区", "community", "城市社区", 6000).ok());
    ASSERT_TRUE(client_->ReviseQuota("bh.hp.xf", 12).ok());
  }

  v1::Reviews::Stub& rv() { return *client_->stubs.reviews; }

  int64_t Worker(int n, const std::string& hired_on) {
    v1::CreateWorkerRequest req;
    v1::Worker* w = req.mutable_worker();
    const std::string seq = std::to_string(100 + n);
    w->set_name("工作者" + seq);
    w->set_id_number(ValidIdNumber("34011119900101" + seq));
    w->set_phone("13900000" + seq);
    w->set_education("bachelor");
    w->set_employment("contract");
    w->set_post("officer");
    w->set_grade(5);
    w->set_unit_id("bh.hp.xf");
    w->set_hired_on(hired_on);
    w->set_number("W" + seq);
    grpc::ClientContext ctx;
    client_->Prepare(&ctx, kMigration);
    v1::Worker out;
    grpc::Status s = client_->stubs.workforce->CreateWorker(&ctx, req, &out);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return out.id();
  }
  static Caller Self(int n) { return {"W" + std::to_string(100 + n), "worker", "bh.hp.xf"}; }

  // Every answer of the service goes through here: none may name a voter.
  template <typename Resp>
  grpc::Status Call(const Caller& as, const std::function<grpc::Status(grpc::ClientContext*)>& call,
                    const Resp& resp) {
    grpc::ClientContext ctx;
    client_->Prepare(&ctx, as);
    grpc::Status s = call(&ctx);
    const std::string text = resp.DebugString() + s.error_message();
    EXPECT_EQ(text.find("voter-"), std::string::npos) << "an answer names a voter: " << text;
    return s;
  }

  grpc::Status Open(int year, v1::Cycle* out, const Caller& as = kStreet) {
    v1::OpenCycleRequest req;
    req.set_street_unit_id("bh.hp");
    req.set_year(year);
    return Call(
        as, [&](auto* ctx) { return rv().OpenCycle(ctx, req, out); }, *out);
  }
  grpc::Status Report(int64_t worker, const Caller& as, const std::string& text = "述职报告") {
    v1::SubmitReportRequest req;
    req.set_cycle_id(cycle_);
    req.set_worker_id(worker);
    req.set_text(text);
    req.add_attachments("doc:report-" + std::to_string(worker));
    v1::WorkerReview out;
    return Call(
        as, [&](auto* ctx) { return rv().SubmitReport(ctx, req, &out); }, out);
  }
  grpc::Status Ballot(int64_t worker, const Caller& voter, const std::string& choice,
                      v1::BallotReceipt* receipt = nullptr) {
    v1::CastBallotRequest req;
    req.set_cycle_id(cycle_);
    req.set_worker_id(worker);
    req.set_choice(choice);
    v1::BallotReceipt ignored;
    v1::BallotReceipt* out = receipt ? receipt : &ignored;
    grpc::ClientContext ctx;
    client_->Prepare(&ctx, voter);
    grpc::Status s = rv().CastBallot(&ctx, req, out);
    // The receipt names the voter to themselves, and never the choice.
    EXPECT_EQ(out->DebugString().find(choice + "\""), std::string::npos);
    return s;
  }
  grpc::Status Scores(int64_t worker, const std::string& satisfaction, const std::string& target,
                      std::optional<int> absence = 0, std::optional<std::string> grave = {}) {
    v1::RecordScoresRequest req;
    req.set_cycle_id(cycle_);
    req.set_worker_id(worker);
    req.set_satisfaction(satisfaction);
    req.set_target(target);
    if (absence) req.set_unexcused_absence_days(*absence);
    if (grave) req.set_grave_error(*grave);
    v1::WorkerReview out;
    return Call(
        kStreet, [&](auto* ctx) { return rv().RecordScores(ctx, req, &out); }, out);
  }
  grpc::Status Finish(int64_t worker, const std::string& step, const Caller& as = kStreet) {
    v1::FinishStepRequest req;
    req.set_cycle_id(cycle_);
    req.set_worker_id(worker);
    req.set_step(step);
    v1::WorkerReview out;
    return Call(
        as, [&](auto* ctx) { return rv().FinishStep(ctx, req, &out); }, out);
  }
  v1::WorkerReview Review(int64_t worker, const Caller& as = kStreet) {
    v1::GetReviewRequest req;
    req.set_cycle_id(cycle_);
    req.set_worker_id(worker);
    v1::WorkerReview out;
    grpc::Status s = Call(
        as, [&](auto* ctx) { return rv().GetReview(ctx, req, &out); }, out);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return out;
  }
  v1::Cycle GetCycle() {
    v1::GetCycleRequest req;
    req.set_cycle_id(cycle_);
    v1::Cycle out;
    grpc::Status s = Call(
        kStreet, [&](auto* ctx) { return rv().GetCycle(ctx, req, &out); }, out);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return out;
  }
  grpc::Status SignOff(v1::Cycle* out) {
    v1::SignOffRequest req;
    req.set_cycle_id(cycle_);
    return Call(
        kStreet, [&](auto* ctx) { return rv().SignOff(ctx, req, out); }, *out);
  }
  v1::WorkerHistoryResponse History(int64_t worker) {
    v1::WorkerHistoryRequest req;
    req.set_worker_id(worker);
    v1::WorkerHistoryResponse out;
    grpc::Status s = Call(
        kPersonnel, [&](auto* ctx) { return rv().WorkerHistory(ctx, req, &out); }, out);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return out;
  }
  grpc::Status Import(const std::string& csv, v1::ImportRatingsResponse* out) {
    v1::ImportRatingsRequest req;
    req.set_csv(csv);
    return Call(
        kPersonnel, [&](auto* ctx) { return rv().ImportRatings(ctx, req, out); }, *out);
  }
  v1::Worker GetWorker(int64_t id) {
    v1::GetWorkerRequest req;
    req.set_id(id);
    v1::Worker out;
    grpc::ClientContext ctx;
    client_->Prepare(&ctx, kPersonnel);
    grpc::Status s = client_->stubs.workforce->GetWorker(&ctx, req, &out);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return out;
  }
  // The open tasks of the instances of `definition` whose name mentions worker `id`.
  std::vector<v1::Task> OpenTasks(const std::string& definition) {
    std::vector<v1::Task> out;
    for (const auto& inst : client_->Instances(definition)) {
      for (auto& t : client_->Tasks(inst.id())) out.push_back(t);
    }
    return out;
  }

  std::string cycle_ = "bh.hp/2026";
};

TEST_F(ReviewsTest, AStreetsWholeCycle) {
  // Seven rated workers and one hired in November (not rated).
  std::vector<int64_t> w;
  for (int i = 0; i < 7; ++i) w.push_back(Worker(i, "2020-05-01"));
  // The street office opens its cycle in mid-November, before the schedule would (12-01).
  client_->Advance("P259D");  // 2026-03-02 → 2026-11-16
  const int64_t newcomer = Worker(7, "2026-11-02");
  // Earlier years: w0 excellent twice (a third makes promotion priority), w5 incompetent in
  // 2025 (a second makes dismissal).
  v1::ImportRatingsResponse imported;
  // w2 has two competent years since its last grade step: a third makes one grade up.
  const auto id = [&](int i) { return std::to_string(w[i]); };
  grpc::Status s =
      Import("worker_id,year,rating,qualifying_years\n" + id(0) + ",2024,excellent,\n" + id(0) +
                 ",2025,优秀,\n" + id(5) + ",2025,incompetent,\n" + id(2) + ",2025,competent,2\n",
             &imported);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(imported.imported(), 4);
  EXPECT_EQ(History(w[2]).qualifying_years(), 2);
  s = Import("worker_id,year,rating,qualifying_years\n" + id(3) + ",2025,competent,3\n", &imported);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("row 2, column qualifying_years"), std::string::npos)
      << s.error_message();
  // All or nothing: a bad row names its row and column, and nothing of the file is kept.
  s = Import("worker_id,year,rating\n" + std::to_string(w[1]) + ",2024,competent\n" +
                 std::to_string(w[1]) + ",2025,good\n",
             &imported);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("row 3, column rating"), std::string::npos) << s.error_message();
  EXPECT_TRUE(History(w[1]).years().empty());

  v1::Cycle cycle;
  s = Open(2026, &cycle);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(cycle.id(), cycle_);
  EXPECT_EQ(cycle.workers(), 8);
  EXPECT_EQ(cycle.rated(), 7);
  EXPECT_EQ(cycle.not_rated(), 1);
  EXPECT_EQ(Open(2026, &cycle).error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(Open(2026, &cycle, kOtherStreet).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  const v1::WorkerReview late = Review(newcomer);
  EXPECT_EQ(late.participation(), "not_rated");
  EXPECT_NE(late.reason(), "");
  EXPECT_EQ(Report(newcomer, kStreet).error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  // Reports: each worker their own (the task is theirs); another's is refused.
  EXPECT_EQ(Report(w[0], Self(1)).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Report(w[0], Self(0), " ").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Finish(w[0], "report", Self(0)).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  for (int i = 0; i < 7; ++i) {
    ASSERT_TRUE(Report(w[i], Self(i)).ok());
    ASSERT_TRUE(Finish(w[i], "report", Self(i)).ok()) << i;
  }
  EXPECT_EQ(Report(w[0], Self(0)).error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  // Reminders before the due dates: advance past the appraisal's first reminder.
  client_->Advance("12wd");
  EXPECT_FALSE(client_->Notifications("", "street-office").empty());

  // Ballots: 15 per worker, 8 from residents' representatives.
  const std::vector<Plan> plans = {
      {"excellent", "95", "95"},    // w0: excellent (the one place of the cap)
      {"excellent", "92", "92"},    // w1: excellent by score, competent by the cap
      {"competent", "80", "80"},    // w2
      {"competent", "80", "80"},    // w3
      {"competent", "50", "80"},    // w4: satisfaction below the floor → incompetent
      {"incompetent", "70", "40"},  // w5: incompetent, and failed the appraisal
      {"competent", "85", "75"},    // w6: competent, appeals anyway
  };
  for (int i = 0; i < 7; ++i) {
    for (int v = 0; v < 15; ++v) {
      v1::BallotReceipt receipt;
      ASSERT_TRUE(Ballot(w[i], Voter(v, v < 8), plans[i].choice, &receipt).ok()) << i << "/" << v;
      EXPECT_EQ(receipt.ballots(), v + 1);
    }
  }
  // A second ballot by the same voter; a choice outside the four; a voter of another street.
  EXPECT_EQ(Ballot(w[0], Voter(0, true), "competent").error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(Ballot(w[0], Voter(99, true), "not_rated").error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Ballot(w[0], {"voter-x", "resident-representative", "bh.xx"}, "competent").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // The tally, for the street office and for the worker: counts only.
  const v1::WorkerReview tallied = Review(w[5], Self(5));
  EXPECT_EQ(tallied.tally().ballots(), 15);
  EXPECT_EQ(tallied.tally().residents(), 8);
  EXPECT_EQ(tallied.tally().incompetent(), 15);
  EXPECT_TRUE(tallied.tally().failed());

  // kill -9 with the ballots in: all kept, and a voter still cannot vote twice.
  daemon_->Kill();
  StartDaemon();
  EXPECT_EQ(Review(w[0]).tally().ballots(), 15);
  EXPECT_EQ(Ballot(w[0], Voter(3, true), "incompetent").error_code(),
            grpc::StatusCode::ALREADY_EXISTS);

  // Scores: out of range refused naming the field; then every worker's.
  s = Scores(w[0], "101", "90");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("satisfaction"), std::string::npos);
  EXPECT_EQ(Scores(w[0], "90", "90", -5).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  ASSERT_TRUE(Scores(w[0], "", "", {}).ok());
  s = Finish(w[0], "scores");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(s.error_message().find("satisfaction, target, unexcused_absence_days"),
            std::string::npos)
      << s.error_message();
  for (int i = 0; i < 7; ++i)
    ASSERT_TRUE(Scores(w[i], plans[i].satisfaction, plans[i].target).ok());

  // Past the due dates nothing is finished yet but the reports: the overdue list.
  client_->Advance("6wd");
  v1::GetCycleRequest by_cycle;
  by_cycle.set_cycle_id(cycle_);
  v1::ListOverdueResponse overdue;
  s = Call(
      kStreet, [&](auto* ctx) { return rv().ListOverdue(ctx, by_cycle, &overdue); }, overdue);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(overdue.per_step().at("appraisal"), 7);
  EXPECT_EQ(overdue.per_step().at("scores"), 7);
  EXPECT_EQ(overdue.per_step().count("report"), 0u);
  // Escalated to the leading group, who was told.
  EXPECT_FALSE(client_->Notifications("", "leading-group").empty());

  // Sign-off waits for every worker's steps.
  EXPECT_EQ(SignOff(&cycle).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  for (int i = 0; i < 7; ++i) {
    ASSERT_TRUE(Finish(w[i], "appraisal").ok()) << i;
    ASSERT_TRUE(Finish(w[i], "scores").ok()) << i;
  }
  // A closed box takes no ballot.
  EXPECT_EQ(Ballot(w[1], Voter(50, true), "competent").error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  // Calibration shows the ratings; sign-off fixes and publishes them.
  v1::CycleResults preview;
  s = Call(
      kStreet, [&](auto* ctx) { return rv().Calibrate(ctx, by_cycle, &preview); }, preview);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(preview.excellent_places(), 1);
  s = SignOff(&cycle);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(cycle.state(), "signed_off");
  EXPECT_NE(cycle.appeal_until(), "");
  EXPECT_EQ(Review(w[0]).result().rating(), "excellent");
  const v1::WorkerReview capped = Review(w[1]);
  EXPECT_EQ(capped.result().by_score(), "excellent");
  EXPECT_EQ(capped.result().rating(), "competent");
  ASSERT_EQ(capped.result().reasons_size(), 1);
  EXPECT_NE(capped.result().reasons(0).find("excellent cap"), std::string::npos);
  EXPECT_EQ(Review(w[4]).result().rating(), "incompetent");
  EXPECT_EQ(Review(w[5]).result().rating(), "incompetent");
  EXPECT_TRUE(Review(w[5]).result().appraisal_failed());
  // Scores are fixed now.
  EXPECT_EQ(Scores(w[2], "99", "99").error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  // An appeal by w6; the leading group may not set a rating outside the four.
  v1::FileAppealRequest appeal;
  appeal.set_cycle_id(cycle_);
  appeal.set_worker_id(w[6]);
  appeal.set_grounds("目标考核分数计算有误");
  v1::WorkerReview appealed;
  s = Call(
      Self(6), [&](auto* ctx) { return rv().FileAppeal(ctx, appeal, &appealed); }, appealed);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(appealed.appeal().state(), "filed");
  v1::DecideAppealRequest decide;
  decide.set_cycle_id(cycle_);
  decide.set_worker_id(w[6]);
  decide.set_upheld(true);
  decide.set_rating("outstanding");
  decide.set_reasons("复核");
  v1::WorkerReview decided;
  s = Call(
      kLeadingGroup, [&](auto* ctx) { return rv().DecideAppeal(ctx, decide, &decided); }, decided);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("rating"), std::string::npos);
  decide.set_upheld(false);
  decide.set_rating("");
  decide.set_reasons("经复核，目标考核分数无误");
  s = Call(
      kLeadingGroup, [&](auto* ctx) { return rv().DecideAppeal(ctx, decide, &decided); }, decided);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(decided.appeal().state(), "rejected");
  EXPECT_TRUE(decided.final());

  // After the appeal window: a late appeal is refused, the ratings are final and applied.
  client_->Advance("11wd");
  appeal.set_worker_id(w[2]);
  s = Call(
      Self(2), [&](auto* ctx) { return rv().FileAppeal(ctx, appeal, &appealed); }, appealed);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(GetCycle().state(), "final");

  const auto h0 = History(w[0]);
  ASSERT_EQ(h0.years_size(), 3);
  EXPECT_EQ(h0.years(2).rating(), "excellent");
  EXPECT_TRUE(h0.promotion_priority());
  EXPECT_FALSE(History(w[1]).promotion_priority());
  EXPECT_EQ(History(w[1]).qualifying_years(), 1);
  EXPECT_EQ(History(w[2]).qualifying_years(), 0);  // the step takes the three years

  // Consequences: admonishment for w4 (a first incompetent year), dismissal for w5 (two in a
  // row), which the leading group approves: the contract ends, the post falls vacant.
  int admonishments = 0;
  int64_t dismissal = 0;
  for (const auto& t : OpenTasks("annual-review-consequence")) {
    if (t.name().find("诫勉谈话") != std::string::npos) ++admonishments;
    if (t.name().find("辞退") != std::string::npos) dismissal = t.id();
  }
  EXPECT_EQ(admonishments, 1);
  ASSERT_NE(dismissal, 0);
  s = client_->Complete(dismissal, kLeadingGroup, "approved");
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(GetWorker(w[5]).status(), "left");
  EXPECT_EQ(GetWorker(w[4]).status(), "on_post");
  // w2's grade step waits for 1 January.
  EXPECT_EQ(GetWorker(w[2]).grade(), 5);
  client_->Advance("P30D");
  EXPECT_EQ(GetWorker(w[2]).grade(), 6);
  EXPECT_EQ(GetWorker(w[3]).grade(), 5);

  // What is held about the dismissed worker includes the review, without anyone's ballot; the
  // erasure blanks their own words and keeps the rating.
  const std::string id5 = ValidIdNumber("34011119900101" + std::to_string(105));
  auto pd = v1::PersonalData::NewStub(daemon_->channel());
  v1::ExportPersonalDataRequest export_req;
  export_req.set_id_number(id5);
  v1::ExportPersonalDataResponse doc;
  s = Call(
      kPersonnel, [&](auto* ctx) { return pd->Export(ctx, export_req, &doc); }, doc);
  ASSERT_TRUE(s.ok()) << Describe(s);
  const json held = json::parse(doc.document());
  ASSERT_TRUE(held.contains("reviews")) << held.dump();
  EXPECT_EQ(held["reviews"]["sheets"][0]["report"], "述职报告");
  v1::ErasePersonalDataRequest erase;
  erase.set_id_number(id5);
  erase.set_justification("本人申请");
  v1::ErasePersonalDataResponse erased;
  s = Call(
      kPersonnel, [&](auto* ctx) { return pd->Erase(ctx, erase, &erased); }, erased);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(Review(w[5]).report(), "[erased]");
  EXPECT_EQ(Review(w[5]).result().rating(), "incompetent");

  // The street's results as CSV.
  v1::ExportResultsResponse exported;
  s = Call(
      kStreet, [&](auto* ctx) { return rv().ExportResults(ctx, by_cycle, &exported); }, exported);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(exported.csv().rfind("worker_id,unit_id,participation", 0), 0u);
  EXPECT_NE(exported.csv().find(std::to_string(newcomer) + ",bh.hp.xf,not_rated"),
            std::string::npos);
  // Another street office sees nothing of it.
  s = Call(
      kOtherStreet, [&](auto* ctx) { return rv().ExportResults(ctx, by_cycle, &exported); },
      exported);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

// Sign-off refuses while anything is missing, naming each item; the guard leaves the task open.
TEST_F(ReviewsTest, SignOffRefusedWhileScoresMissingThenOpensOnDemandOnly) {
  const int64_t a = Worker(0, "2020-05-01");
  v1::Cycle cycle;
  ASSERT_TRUE(Open(2026, &cycle).ok());
  EXPECT_EQ(Open(2027, &cycle).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  v1::GetCycleRequest by_cycle;
  by_cycle.set_cycle_id(cycle_);
  v1::CycleResults preview;
  grpc::Status s = Call(
      kStreet, [&](auto* ctx) { return rv().Calibrate(ctx, by_cycle, &preview); }, preview);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(s.error_message().find("satisfaction"), std::string::npos) << s.error_message();
  // Too few ballots: the appraisal step says how many.
  ASSERT_TRUE(Ballot(a, Voter(1, true), "competent").ok());
  s = Finish(a, "appraisal");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(s.error_message().find("15"), std::string::npos) << s.error_message();
  EXPECT_EQ(Review(a).steps_done_size(), 0);
}

// Status changes carry their date: a worker seconded to the street office since January is
// reviewed by it and the home community is told; one who left in May is listed, not rated; one
// who left the year before is not in the cycle.
TEST_F(ReviewsTest, SecondedAndDepartedWorkers) {
  const int64_t seconded = Worker(0, "2020-05-01");
  const int64_t left_this_year = Worker(1, "2020-05-01");
  const int64_t left_last_year = Worker(2, "2020-05-01");
  auto change = [&](int64_t id, const std::string& status, const std::string& date) {
    v1::ChangeWorkerStatusRequest req;
    req.set_worker_id(id);
    req.set_status(status);
    req.set_date(date);
    req.set_reason("工作需要");
    grpc::ClientContext ctx;
    client_->Prepare(&ctx, kStreet);
    v1::Worker out;
    grpc::Status s = client_->stubs.workforce->ChangeWorkerStatus(&ctx, req, &out);
    EXPECT_TRUE(s.ok()) << Describe(s);
    EXPECT_EQ(out.status_since(), date);
  };
  change(seconded, "seconded_street", "2026-01-15");
  change(left_this_year, "left", "2026-05-01");
  change(left_last_year, "left", "2025-06-01");
  v1::Cycle cycle;
  ASSERT_TRUE(Open(2026, &cycle).ok());
  EXPECT_EQ(cycle.workers(), 2);
  EXPECT_EQ(cycle.rated(), 1);
  const v1::WorkerReview s = Review(seconded);
  EXPECT_EQ(s.participation(), "rated");
  EXPECT_EQ(s.unit_id(), "bh.hp");
  EXPECT_EQ(s.home_unit_id(), "bh.hp.xf");
  EXPECT_EQ(s.informed_unit_id(), "bh.hp.xf");
  const v1::WorkerReview left = Review(left_this_year);
  EXPECT_EQ(left.participation(), "not_rated");
  EXPECT_NE(left.reason().find("left"), std::string::npos) << left.reason();
  v1::GetReviewRequest gone;
  gone.set_cycle_id(cycle_);
  gone.set_worker_id(left_last_year);
  v1::WorkerReview none;
  EXPECT_EQ(Call(kStreet, [&](auto* ctx) { return rv().GetReview(ctx, gone, &none); }, none)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  // The home community's history says who reviews its seconded worker.
  v1::WorkforceHistoryRequest history;
  history.set_unit_id("bh.hp.xf");
  history.set_limit(100);
  v1::WorkforceHistoryResponse changes;
  grpc::ClientContext ctx;
  client_->Prepare(&ctx, kStreet);
  ASSERT_TRUE(client_->stubs.workforce->History(&ctx, history, &changes).ok());
  bool told = false;
  for (const auto& c : changes.changes()) told = told || c.type() == "review.seconded_reviewed";
  EXPECT_TRUE(told);
}

// The daemon opens the cycle of every street office with workers on review.yaml's day (12-01).
TEST_F(ReviewsTest, CyclesOpenByThemselvesOnTheConfiguredDay) {
  Worker(0, "2020-05-01");
  v1::ListCyclesRequest req;
  v1::ListCyclesResponse none;
  ASSERT_TRUE(Call(
                  kAdmin, [&](auto* ctx) { return rv().ListCycles(ctx, req, &none); }, none)
                  .ok());
  EXPECT_EQ(none.cycles_size(), 0);
  client_->Advance("P274D");  // 2026-03-02 → 2026-12-01
  // The daemon checks the day every second under the fake clock.
  v1::ListCyclesResponse opened;
  for (int i = 0; i < 50 && opened.cycles_size() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    opened.Clear();
    ASSERT_TRUE(Call(
                    kAdmin, [&](auto* ctx) { return rv().ListCycles(ctx, req, &opened); }, opened)
                    .ok());
  }
  // 和平街道's; 新兴街道 has no one on post, so no cycle.
  ASSERT_EQ(opened.cycles_size(), 1);
  EXPECT_EQ(opened.cycles(0).id(), "bh.hp/2026");
  EXPECT_EQ(opened.cycles(0).rated(), 1);
  // A street office lists its own; another street's is refused.
  v1::ListCyclesResponse own;
  req.set_street_unit_id("bh.hp");
  grpc::Status s = Call(
      kStreet, [&](auto* ctx) { return rv().ListCycles(ctx, req, &own); }, own);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(own.cycles_size(), 1);
  EXPECT_EQ(own.cycles(0).state(), "open");
  req.set_street_unit_id("bh.xx");
  EXPECT_EQ(Call(
                kStreet, [&](auto* ctx) { return rv().ListCycles(ctx, req, &own); }, own)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

}  // namespace
}  // namespace shequ::testing
