#include "daemon/domain/reviews/policy.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/unit/domain/reviews/reviews_test_util.h"

namespace shequ::domain::reviews {
namespace {

using testing::DefaultPolicy;
using testing::Edited;
using testing::Fails;
using Code = absl::StatusCode;

absl::Status ParseEdited(const std::string& from, const std::string& to) {
  return ParseReviewPolicy(Edited(from, to)).status();
}

TEST(ReviewPolicy, DefaultsFromTheFile) {
  const ReviewPolicy p = DefaultPolicy();
  EXPECT_EQ(p.min_months_on_post, 6);
  EXPECT_EQ(p.secondment_min_months, 6);
  EXPECT_EQ(p.min_ballots, 15);
  EXPECT_EQ(p.min_resident_share, 500);
  EXPECT_EQ(p.PointsFor(Rating::kExcellent), 1000);
  EXPECT_EQ(p.PointsFor(Rating::kCompetent), 800);
  EXPECT_EQ(p.PointsFor(Rating::kBasicallyCompetent), 600);
  EXPECT_EQ(p.PointsFor(Rating::kIncompetent), 0);
  EXPECT_EQ(p.appraisal_fail_share, 500);
  EXPECT_FALSE(p.failed_appraisal_incompetent);
  EXPECT_EQ(p.weight_appraisal, 300);
  EXPECT_EQ(p.weight_satisfaction, 300);
  EXPECT_EQ(p.weight_target, 400);
  EXPECT_EQ(p.excellent_from, 900);
  EXPECT_EQ(p.competent_from, 700);
  EXPECT_EQ(p.basically_competent_from, 600);
  EXPECT_EQ(p.satisfaction_floor, 600);
  EXPECT_EQ(p.max_unexcused_absence_days, 5);
  EXPECT_EQ(p.excellent_cap_share, 150);
  EXPECT_EQ(p.excellent_cap_rounding, workforce::Rounding::kFloor);
  ASSERT_EQ(p.cap_tie_break.size(), 4u);
  EXPECT_EQ(p.cap_tie_break.front(), CapTieKey::kTarget);
  EXPECT_EQ(p.cap_tie_break.back(), CapTieKey::kWorkerId);
  EXPECT_EQ(p.notice_working_days, 5);
  EXPECT_EQ(p.appeal_working_days, 10);
  // Seed 003: every three competent years a grade; three excellent in a row; two incompetent.
  EXPECT_EQ(p.grade_step_years, 3);
  EXPECT_EQ(p.promotion_excellent_years, 3);
  EXPECT_EQ(p.termination_incompetent_years, 2);
}

TEST(ReviewPolicy, ExcellentPlacesRoundAsTheFileSays) {
  ReviewPolicy p = DefaultPolicy();
  EXPECT_EQ(p.ExcellentPlaces(20), 3);  // 15% of 20
  EXPECT_EQ(p.ExcellentPlaces(19), 2);  // 2.85 rounded down
  EXPECT_EQ(p.ExcellentPlaces(6), 0);
  EXPECT_EQ(p.ExcellentPlaces(7), 1);  // 1.05
  EXPECT_EQ(p.ExcellentPlaces(0), 0);
  p.excellent_cap_rounding = workforce::Rounding::kHalfUp;
  EXPECT_EQ(p.ExcellentPlaces(19), 3);  // 2.85
  EXPECT_EQ(p.ExcellentPlaces(10), 2);  // 1.5 exactly goes up
  p.excellent_cap_rounding = workforce::Rounding::kCeil;
  EXPECT_EQ(p.ExcellentPlaces(7), 2);
  EXPECT_EQ(p.ExcellentPlaces(20), 3);  // exactly 3: no rounding up
  p.excellent_cap_share.reset();
  EXPECT_EQ(p.ExcellentPlaces(20), std::nullopt);
}

TEST(ReviewPolicy, NoCapWhenTheShareIsLeftOut) {
  auto p = ParseReviewPolicy(Edited("  share: 0.15\n", ""));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_FALSE(p->excellent_cap_share.has_value());
}

TEST(ReviewPolicy, WeightsMustAddUpToOne) {
  EXPECT_TRUE(Fails(ParseEdited("  target: 0.4 ", "  target: 0.3 "), Code::kInvalidArgument,
                    "review.yaml: weights: must add up to 1, got 0.9"));
  EXPECT_TRUE(Fails(ParseEdited("  target: 0.4 ", "  target: 0.5 "), Code::kInvalidArgument,
                    "weights: must add up to 1, got 1.1"));
  // Floating-point 0.1 + 0.2 + 0.7 is not exactly 1 in binary; thousandths make it exact.
  std::string text = Edited("  appraisal: 0.3 ", "  appraisal: 0.1 ");
  text.replace(text.find("  satisfaction: 0.3 "), 20, "  satisfaction: 0.2 ");
  text.replace(text.find("  target: 0.4 "), 14, "  target: 0.7 ");
  auto p = ParseReviewPolicy(text);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->weight_target, 700);
  EXPECT_TRUE(Fails(ParseEdited("  target: 0.4 ", "  target: 0.4001 "), Code::kInvalidArgument,
                    "weights.target: 0.4001 has more than 3 decimal places"));
  EXPECT_TRUE(Fails(ParseEdited("  target: 0.4 ", "  target: -0.4 "), Code::kInvalidArgument,
                    "weights.target: -0.4 is outside 0–1"));
  EXPECT_TRUE(Fails(ParseEdited("  target: 0.4 ", "  targets: 0.4 "), Code::kInvalidArgument,
                    "weights.target: required"));
}

TEST(ReviewPolicy, ThresholdsMustBeOrdered) {
  EXPECT_TRUE(Fails(ParseEdited("  competent: 70\n", "  competent: 90\n"), Code::kInvalidArgument,
                    "ratings.competent: must be below excellent"));
  EXPECT_TRUE(Fails(ParseEdited("  basically_competent: 60\n", "  basically_competent: 75\n"),
                    Code::kInvalidArgument,
                    "ratings.basically_competent: must be below competent"));
  EXPECT_TRUE(Fails(ParseEdited("  excellent: 90\n", "  excellent: 101\n"), Code::kInvalidArgument,
                    "ratings.excellent: 101 is outside 0–100"));
  EXPECT_TRUE(Fails(ParseEdited("  excellent: 90\n", "  excellent: 89.95\n"),
                    Code::kInvalidArgument, "ratings.excellent: 89.95 has more than 1 decimal"));
}

TEST(ReviewPolicy, SharesLieBetweenZeroAndOne) {
  EXPECT_TRUE(Fails(ParseEdited("min_resident_share: 0.5", "min_resident_share: 1.5"),
                    Code::kInvalidArgument, "appraisal.min_resident_share: 1.5 is outside 0–1"));
  EXPECT_TRUE(Fails(ParseEdited("fail_share: 0.5", "fail_share: -0.1"), Code::kInvalidArgument,
                    "appraisal.fail_share: -0.1 is outside"));
  EXPECT_TRUE(Fails(ParseEdited("  share: 0.15", "  share: 2"), Code::kInvalidArgument,
                    "excellent_cap.share: 2 is outside 0–1"));
  EXPECT_TRUE(Fails(ParseEdited("  share: 0.15", "  share: fifteen"), Code::kInvalidArgument,
                    "excellent_cap.share: must be a number"));
}

TEST(ReviewPolicy, BadFilesNameTheKey) {
  EXPECT_TRUE(Fails(ParseEdited("notice_working_days: 5", "notice_working_days: 5\nnotice: 3"),
                    Code::kInvalidArgument, "review.yaml: notice: unknown key"));
  EXPECT_TRUE(Fails(ParseEdited("  min_ballots: 15", "  min_ballots: 0"), Code::kInvalidArgument,
                    "appraisal.min_ballots: 0 is outside 1–100000"));
  EXPECT_TRUE(Fails(ParseEdited("  min_ballots: 15", "  min_ballot: 15"), Code::kInvalidArgument,
                    "appraisal.min_ballots: required"));
  EXPECT_TRUE(Fails(ParseEdited("  min_months_on_post: 6", "  min_months_on_post: 13"),
                    Code::kInvalidArgument, "eligibility.min_months_on_post: 13 is outside 0–12"));
  EXPECT_TRUE(Fails(
      ParseEdited("    basically_competent: 60   #", "    basically_competent: 85   #"),
      Code::kInvalidArgument, "appraisal.points.basically_competent: must not be above competent"));
  EXPECT_TRUE(Fails(
      ParseEdited("failed_appraisal_incompetent: false", "failed_appraisal_incompetent: no way"),
      Code::kInvalidArgument, "appraisal.failed_appraisal_incompetent: must be true or false"));
  EXPECT_TRUE(Fails(ParseEdited("satisfaction_floor: 60", "satisfaction_floor: 60.25"),
                    Code::kInvalidArgument, "overrides.satisfaction_floor: 60.25 has more"));
  EXPECT_TRUE(Fails(ParseEdited("max_unexcused_absence_days: 5", "max_unexcused_absence_days: -1"),
                    Code::kInvalidArgument, "overrides.max_unexcused_absence_days: -1 is outside"));
  EXPECT_TRUE(Fails(ParseEdited("rounding: floor", "rounding: nearest"), Code::kInvalidArgument,
                    "excellent_cap.rounding: 'nearest' is not one of half_up, floor, ceil"));
  EXPECT_TRUE(Fails(ParseEdited("appeal_working_days: 10", "appeal_working_days: 3"),
                    Code::kInvalidArgument,
                    "appeal_working_days: must not be shorter than notice_working_days (5)"));
  EXPECT_TRUE(Fails(ParseEdited("  grade_step_years: 3", "  grade_step_years: 0"),
                    Code::kInvalidArgument, "consequences.grade_step_years: 0 is outside 1–20"));
  EXPECT_TRUE(Fails(ParseEdited("eligibility:", "eligibilty:"), Code::kInvalidArgument,
                    "review.yaml: eligibility: required"));
  EXPECT_TRUE(Fails(ParseEdited("ratings:\n", "ratings: [90, 70, 60]\nx:\n"),
                    Code::kInvalidArgument, "review.yaml: ratings: must be a mapping"));
  EXPECT_TRUE(Fails(ParseReviewPolicy("[1, 2]").status(), Code::kInvalidArgument,
                    "review.yaml: must be a mapping"));
  EXPECT_TRUE(
      Fails(ParseReviewPolicy("weights: [").status(), Code::kInvalidArgument, "review.yaml"));
}

TEST(ReviewPolicy, CapTieBreakIsTotal) {
  EXPECT_TRUE(Fails(ParseEdited("appraisal, worker_id]", "worker_id, appraisal]"),
                    Code::kInvalidArgument, "excellent_cap.tie_break: must end with worker_id"));
  EXPECT_TRUE(Fails(ParseEdited("[target, satisfaction,", "[target, target,"),
                    Code::kInvalidArgument,
                    "excellent_cap.tie_break[1]: \"target\" is listed twice"));
  EXPECT_TRUE(Fails(ParseEdited("[target, satisfaction,", "[target, seniority,"),
                    Code::kInvalidArgument,
                    "excellent_cap.tie_break[1]: \"seniority\" is not one"));
  // worker_id alone is enough.
  auto p = ParseReviewPolicy(Edited("[target, satisfaction, appraisal, worker_id]", "[worker_id]"));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->cap_tie_break.size(), 1u);
}

TEST(ReviewPolicy, FormatMilli) {
  EXPECT_EQ(FormatMilli(150), "0.15");
  EXPECT_EQ(FormatMilli(1000), "1");
  EXPECT_EQ(FormatMilli(1100), "1.1");
  EXPECT_EQ(FormatMilli(5), "0.005");
  EXPECT_EQ(FormatMilli(0), "0");
  EXPECT_EQ(FormatFixed(-1050, 3), "-1.05");
  EXPECT_EQ(FormatFixed(873333, 4), "87.3333");
  EXPECT_EQ(FormatFixed(7, 0), "7");
}

TEST(ReviewPolicy, RatingSpellings) {
  EXPECT_EQ(workforce::ParseEnum<Rating>("优秀"), Rating::kExcellent);
  EXPECT_EQ(workforce::ParseEnum<Rating>("不合格"), Rating::kIncompetent);
  EXPECT_EQ(workforce::ParseEnum<Rating>("basically_competent"), Rating::kBasicallyCompetent);
  EXPECT_EQ(workforce::ParseEnum<VoterKind>("居民代表"), VoterKind::kResident);
  EXPECT_TRUE(CompetentOrBetter(Rating::kExcellent));
  EXPECT_TRUE(CompetentOrBetter(Rating::kCompetent));
  EXPECT_FALSE(CompetentOrBetter(Rating::kBasicallyCompetent));
  EXPECT_FALSE(CompetentOrBetter(Rating::kNotRated));
}

}  // namespace
}  // namespace shequ::domain::reviews
