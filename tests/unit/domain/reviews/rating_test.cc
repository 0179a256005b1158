#include "daemon/domain/reviews/rating.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"

#include <string>
#include <vector>

#include "tests/unit/domain/reviews/reviews_test_util.h"

namespace shequ::domain::reviews {
namespace {

using testing::DefaultPolicy;
using testing::Fails;
using Code = absl::StatusCode;

// A valid appraisal: 8 party members and 8 residents' representatives all choosing `choice`.
Tally Unanimous(Rating choice) {
  Tally t;
  t.counts[static_cast<int>(VoterKind::kPartyMember)][static_cast<int>(choice)] = 8;
  t.counts[static_cast<int>(VoterKind::kResident)][static_cast<int>(choice)] = 8;
  return t;
}

// A complete sheet: appraisal all `choice`, the given satisfaction and target (tenths).
ReviewSheet Sheet(int64_t id, Rating choice, Tenths satisfaction, Tenths target) {
  ReviewSheet s;
  s.worker_id = id;
  s.self_report = true;
  s.appraisal = Unanimous(choice);
  s.satisfaction = satisfaction;
  s.target = target;
  s.unexcused_absence_days = 0;
  return s;
}

RatingResult Rate(const ReviewSheet& s, const ReviewPolicy& p = DefaultPolicy()) {
  auto r = RateWorker(s, p);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : RatingResult{};
}

TEST(ReviewRating, CompositeIsExact) {
  const ReviewPolicy p = DefaultPolicy();             // 0.3 appraisal, 0.3 satisfaction, 0.4 target
  EXPECT_EQ(CompositeOf(1000, 850, 900, p), 915000);  // 30 + 25.5 + 36
  EXPECT_EQ(FormatComposite(915000), "91.5");
  EXPECT_EQ(FormatComposite(CompositeOf(933, 701, 699, p)), "76.98");
  EXPECT_EQ(FormatComposite(CompositeOf(1, 0, 0, p)), "0.03");
  EXPECT_EQ(FormatComposite(0), "0");
  const RatingResult r = Rate(Sheet(1, Rating::kExcellent, 850, 900));
  EXPECT_EQ(r.appraisal, 1000);
  EXPECT_EQ(r.composite, 915000);
  EXPECT_EQ(r.rating, Rating::kExcellent);
  EXPECT_TRUE(r.reasons.empty());
}

TEST(ReviewRating, ExactlyAtAThresholdReachesIt) {
  // 30 + 30 + 0.4 × 75 = 90 exactly: excellent; 74.9 gives 89.96: competent.
  EXPECT_EQ(Rate(Sheet(1, Rating::kExcellent, 1000, 750)).rating, Rating::kExcellent);
  EXPECT_EQ(Rate(Sheet(1, Rating::kExcellent, 1000, 749)).rating, Rating::kCompetent);
  // 24 + 21 + 25 = 70 exactly: competent.
  EXPECT_EQ(Rate(Sheet(1, Rating::kCompetent, 700, 625)).rating, Rating::kCompetent);
  EXPECT_EQ(Rate(Sheet(1, Rating::kCompetent, 700, 624)).rating, Rating::kBasicallyCompetent);
  // 18 + 18 + 24 = 60 exactly: basically competent (satisfaction 60 is at the floor, not under).
  const RatingResult basic = Rate(Sheet(1, Rating::kBasicallyCompetent, 600, 600));
  EXPECT_EQ(basic.rating, Rating::kBasicallyCompetent);
  EXPECT_TRUE(basic.reasons.empty());
  const RatingResult low = Rate(Sheet(1, Rating::kBasicallyCompetent, 600, 599));
  EXPECT_EQ(low.by_score, Rating::kIncompetent);
  EXPECT_EQ(low.rating, Rating::kIncompetent);
  EXPECT_TRUE(low.reasons.empty());  // no override: the score did it
  const ReviewPolicy p = DefaultPolicy();
  EXPECT_EQ(RatingFor(900 * kCompositePerTenth, p), Rating::kExcellent);
  EXPECT_EQ(RatingFor(900 * kCompositePerTenth - 1, p), Rating::kCompetent);
}

TEST(ReviewRating, SatisfactionBelowTheFloorIsIncompetent) {
  const RatingResult r = Rate(Sheet(1, Rating::kExcellent, 599, 1000));
  EXPECT_EQ(r.by_score, Rating::kCompetent);  // 30 + 17.97 + 40 = 87.97
  EXPECT_EQ(r.rating, Rating::kIncompetent);
  ASSERT_EQ(r.reasons.size(), 1u);
  EXPECT_EQ(r.reasons[0], "resident satisfaction 59.9 is below the floor 60");
}

TEST(ReviewRating, UnexcusedAbsenceBeyondTheLimitIsIncompetent) {
  ReviewSheet s = Sheet(1, Rating::kExcellent, 950, 950);
  s.unexcused_absence_days = 5;  // the limit itself is allowed
  EXPECT_EQ(Rate(s).rating, Rating::kExcellent);
  s.unexcused_absence_days = 6;
  const RatingResult r = Rate(s);
  EXPECT_EQ(r.rating, Rating::kIncompetent);
  EXPECT_EQ(r.reasons, std::vector<std::string>{"6 days of unexcused absence, more than 5"});
}

TEST(ReviewRating, AGraveErrorIsIncompetentAndEveryReasonIsKept) {
  ReviewSheet s = Sheet(1, Rating::kExcellent, 500, 950);
  s.unexcused_absence_days = 9;
  s.grave_error = "lost the low-income household files (低保档案遗失)";
  const RatingResult r = Rate(s);
  EXPECT_EQ(r.rating, Rating::kIncompetent);
  EXPECT_EQ(r.grave_error, s.grave_error);
  EXPECT_EQ(r.reasons,
            (std::vector<std::string>{
                "resident satisfaction 50 is below the floor 60",
                "9 days of unexcused absence, more than 5",
                "grave error (重大失误): lost the low-income household files (低保档案遗失)",
            }));
}

TEST(ReviewRating, AFailedAppraisalIsRecordedAndOverridesOnlyWhenThePolicySaysSo) {
  ReviewSheet s = Sheet(1, Rating::kExcellent, 950, 950);
  s.appraisal = Tally{};
  s.appraisal->counts[1][static_cast<int>(Rating::kIncompetent)] = 9;
  s.appraisal->counts[0][static_cast<int>(Rating::kExcellent)] = 8;  // 9 of 17: more than half
  ReviewPolicy p = DefaultPolicy();
  RatingResult r = Rate(s, p);
  EXPECT_TRUE(r.appraisal_failed);
  EXPECT_EQ(r.rating, r.by_score);
  p.failed_appraisal_incompetent = true;
  r = Rate(s, p);
  EXPECT_EQ(r.rating, Rating::kIncompetent);
  EXPECT_EQ(r.reasons, std::vector<std::string>{
                           "failed the democratic appraisal: 9 of 17 ballots incompetent"});
}

TEST(ReviewRating, MissingScoresAreListed) {
  const ReviewPolicy p = DefaultPolicy();
  ReviewSheet s;
  s.worker_id = 4;
  EXPECT_TRUE(
      Fails(RateWorker(s, p).status(), Code::kFailedPrecondition,
            "scores missing: worker 4 self_report (no report (述职) recorded); worker 4 "
            "appraisal (the democratic appraisal is not closed); worker 4 satisfaction (no "
            "resident satisfaction); worker 4 target (no target assessment score); worker 4 "
            "attendance (no attendance record for the year)"));
  // Too few ballots is not a score either.
  ReviewSheet few = Sheet(5, Rating::kCompetent, 800, 800);
  few.appraisal->counts[0][static_cast<int>(Rating::kCompetent)] = 6;  // 6 + 8 = 14 ballots
  const std::vector<Missing> m = MissingItems({Sheet(3, Rating::kCompetent, 800, 800), few}, p);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].worker_id, 5);
  EXPECT_EQ(m[0].item, "appraisal");
  EXPECT_EQ(m[0].detail, "14 ballots, the policy needs 15");
  // Scores outside 0–100.
  ReviewSheet high = Sheet(6, Rating::kCompetent, 1001, 800);
  EXPECT_TRUE(Fails(RateWorker(high, p).status(), Code::kInvalidArgument,
                    "worker 6: satisfaction: 100.1 is outside 0–100"));
}

// A whole street with nothing in yet: the message names the first twenty items, counts the rest.
TEST(ReviewRating, ALongListOfMissingItemsIsCut) {
  std::vector<ReviewSheet> empty(30);
  for (int i = 0; i < 30; ++i) empty[i].worker_id = i + 1;
  const absl::Status s = CheckComplete(empty, DefaultPolicy());
  EXPECT_EQ(s.code(), Code::kFailedPrecondition);
  EXPECT_TRUE(absl::EndsWith(s.message(), "; … and 130 more")) << s.message();
  EXPECT_NE(s.message().find("worker 4 target"), std::string::npos);
  EXPECT_EQ(s.message().find("worker 5 "), std::string::npos);
}

// Twenty workers: 1–5 excellent by score (composites 95, 94, 93, 93, 93 with ties), the rest
// competent. 15% of 20 is 3 places.
std::vector<ReviewSheet> Street() {
  std::vector<ReviewSheet> sheets;
  sheets.push_back(Sheet(1, Rating::kExcellent, 1000, 875));  // 30 + 30 + 35 = 95
  sheets.push_back(Sheet(2, Rating::kExcellent, 1000, 850));  // 94
  sheets.push_back(Sheet(9, Rating::kExcellent, 1000, 825));  // 93, target 82.5
  // 93 with a higher target: 30 + 0.3 × S + 0.4 × 90 = 93 → S = 90.
  sheets.push_back(Sheet(7, Rating::kExcellent, 900, 900));
  sheets.push_back(Sheet(3, Rating::kExcellent, 1000, 825));  // 93, the same as 9 in every key
  for (int64_t id = 10; id < 25; ++id) sheets.push_back(Sheet(id, Rating::kCompetent, 800, 800));
  return sheets;
}

TEST(ReviewCalibration, TheExcellentCapGoesByCompositeThenTheTieBreak) {
  auto results = Calibrate(Street(), DefaultPolicy());
  ASSERT_TRUE(results.ok()) << results.status();
  ASSERT_EQ(results->size(), 20u);
  auto of = [&](int64_t id) -> const RatingResult& {
    for (const RatingResult& r : *results) {
      if (r.worker_id == id) return r;
    }
    ADD_FAILURE() << id;
    return results->front();
  };
  EXPECT_EQ(of(1).rating, Rating::kExcellent);  // 95
  EXPECT_EQ(of(2).rating, Rating::kExcellent);  // 94
  // Three at 93: 7 has the higher target and takes the last place; 3 and 9 tie on every score
  // and go by worker id, both beyond the cap.
  EXPECT_EQ(of(7).rating, Rating::kExcellent);
  EXPECT_EQ(of(3).rating, Rating::kCompetent);
  EXPECT_EQ(of(3).by_score, Rating::kExcellent);
  EXPECT_EQ(of(3).reasons,
            std::vector<std::string>{"excellent cap of the street: 3 places for 20 rated (share "
                                     "0.15); ranked 4 of 5 excellent"});
  EXPECT_EQ(of(9).rating, Rating::kCompetent);
  EXPECT_EQ(of(9).reasons.back(),
            "excellent cap of the street: 3 places for 20 rated (share 0.15); ranked 5 of 5 "
            "excellent");
  EXPECT_EQ(of(10).rating, Rating::kCompetent);
  EXPECT_TRUE(of(10).reasons.empty());
  // Results keep the sheets' order.
  EXPECT_EQ((*results)[2].worker_id, 9);
}

TEST(ReviewCalibration, TieBreakByWorkerIdAlone) {
  ReviewPolicy p = DefaultPolicy();
  p.cap_tie_break = {CapTieKey::kWorkerId};
  auto results = Calibrate(Street(), p);
  ASSERT_TRUE(results.ok()) << results.status();
  // At 93: 3, 7 and 9 by id; 3 takes the last place.
  EXPECT_EQ((*results)[4].worker_id, 3);
  EXPECT_EQ((*results)[4].rating, Rating::kExcellent);
  EXPECT_EQ((*results)[3].worker_id, 7);
  EXPECT_EQ((*results)[3].rating, Rating::kCompetent);
}

TEST(ReviewCalibration, OverriddenWorkersTakeNoPlaceAndNoCapMeansNone) {
  std::vector<ReviewSheet> sheets = Street();
  sheets[0].grave_error = "forged ledger entries";  // worker 1 falls out of the excellent
  auto results = Calibrate(sheets, DefaultPolicy());
  ASSERT_TRUE(results.ok()) << results.status();
  EXPECT_EQ((*results)[0].rating, Rating::kIncompetent);
  EXPECT_EQ((*results)[3].rating, Rating::kExcellent);  // 7
  EXPECT_EQ((*results)[4].rating, Rating::kExcellent);  // 3: the place 1 left
  EXPECT_EQ((*results)[2].rating, Rating::kCompetent);  // 9

  ReviewPolicy p = DefaultPolicy();
  p.excellent_cap_share.reset();
  results = Calibrate(Street(), p);
  ASSERT_TRUE(results.ok()) << results.status();
  for (int i = 0; i < 5; ++i) EXPECT_EQ((*results)[i].rating, Rating::kExcellent) << i;
}

TEST(ReviewCalibration, ASmallStreetUnderTheCapKeepsItsExcellent) {
  // 7 rated: 15% is 1.05 → 1 place; with 2 excellent one is moved down; at 6 rated none.
  std::vector<ReviewSheet> sheets = Street();
  sheets.resize(7);
  auto results = Calibrate(sheets, DefaultPolicy());
  ASSERT_TRUE(results.ok());
  int excellent = 0;
  for (const RatingResult& r : *results) excellent += r.rating == Rating::kExcellent;
  EXPECT_EQ(excellent, 1);
  sheets.resize(6);
  results = Calibrate(sheets, DefaultPolicy());
  ASSERT_TRUE(results.ok());
  for (const RatingResult& r : *results) EXPECT_NE(r.rating, Rating::kExcellent);
}

TEST(ReviewCalibration, RefusedWhileAnyScoreIsMissing) {
  std::vector<ReviewSheet> sheets = Street();
  sheets[7].target.reset();
  sheets[12].self_report = false;
  EXPECT_TRUE(Fails(Calibrate(sheets, DefaultPolicy()).status(), Code::kFailedPrecondition,
                    "scores missing: worker 12 target (no target assessment score); worker 17 "
                    "self_report (no report (述职) recorded)"));
  sheets = Street();
  sheets.push_back(sheets[0]);
  EXPECT_TRUE(Fails(Calibrate(sheets, DefaultPolicy()).status(), Code::kInvalidArgument,
                    "worker 1 is listed twice"));
  auto none = Calibrate({}, DefaultPolicy());
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(ReviewSignOff, NeedsEveryScoreAndTheCurrentResults) {
  const ReviewPolicy p = DefaultPolicy();
  std::vector<ReviewSheet> sheets = Street();
  auto results = Calibrate(sheets, p);
  ASSERT_TRUE(results.ok());
  EXPECT_TRUE(CheckSignOff(sheets, *results, p).ok());
  // A score changed after calibration: calibrate again.
  sheets[6].target = 300;  // 24 + 24 + 12 = 60
  EXPECT_TRUE(
      Fails(CheckSignOff(sheets, *results, p), Code::kFailedPrecondition,
            "worker 11: the results differ from the scores now recorded (basically_competent "
            "(基本称职)): calibrate again"));
  // A score removed: the list of what is missing.
  sheets[6].satisfaction.reset();
  EXPECT_TRUE(Fails(CheckSignOff(sheets, *results, p), Code::kFailedPrecondition,
                    "scores missing: worker 11 satisfaction"));
  sheets = Street();
  results->pop_back();
  EXPECT_TRUE(Fails(CheckSignOff(sheets, *results, p), Code::kFailedPrecondition,
                    "the results list 19 workers, the cycle 20"));
}

}  // namespace
}  // namespace shequ::domain::reviews
