#include "daemon/domain/reviews/consequences.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/domain/reviews/reviews_test_util.h"

namespace shequ::domain::reviews {
namespace {

using testing::DefaultPolicy;
using testing::Fails;
using Code = absl::StatusCode;

Consequences Of(Rating rating, const WorkerFile& file, bool failed_appraisal = false,
                std::string grave_error = "") {
  YearRating y{2026, rating, failed_appraisal, std::move(grave_error)};
  auto c = ConsequencesOf(y, file, DefaultPolicy());
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? *c : Consequences{};
}

WorkerFile File(int grade, int qualifying, std::vector<PastYear> history = {}) {
  WorkerFile f;
  f.grade = grade;
  f.max_grade = 12;
  f.qualifying_years = qualifying;
  f.history = std::move(history);
  return f;
}

TEST(ReviewConsequences, OnlyCompetentOrBetterYearsCountTowardAGrade) {
  Consequences c = Of(Rating::kCompetent, File(4, 0));
  EXPECT_TRUE(c.counts_toward_grade);
  EXPECT_EQ(c.qualifying_years, 1);
  EXPECT_FALSE(c.grade_step);
  EXPECT_EQ(c.new_grade, 4);
  EXPECT_EQ(c.entries,
            (std::vector<std::string>{"annual review 2026 competent (称职)",
                                      "counts toward the next grade step: 1 of 3 years"}));
  c = Of(Rating::kBasicallyCompetent, File(4, 2));
  EXPECT_FALSE(c.counts_toward_grade);
  EXPECT_EQ(c.qualifying_years, 2);  // kept, not added to
  EXPECT_FALSE(c.grade_step);
  EXPECT_EQ(c.entries.back(), "does not count toward a grade step (2 of 3 years so far)");
}

TEST(ReviewConsequences, TheThirdQualifyingYearStepsAGradeUp) {
  Consequences c = Of(Rating::kExcellent, File(4, 2));
  EXPECT_TRUE(c.grade_step);
  EXPECT_EQ(c.new_grade, 5);
  EXPECT_EQ(c.qualifying_years, 0);
  EXPECT_EQ(c.entries.back(), "3 years competent or better: grade 4 → 5");
  // At the post's top grade the step is due but the grade stays.
  c = Of(Rating::kCompetent, File(12, 2));
  EXPECT_TRUE(c.grade_step);
  EXPECT_EQ(c.new_grade, 12);
  EXPECT_EQ(c.entries.back(),
            "3 years competent or better: grade step due, but grade 12 is the post's top grade");
}

TEST(ReviewConsequences, ThreeExcellentYearsInARowGivePriorityForPromotion) {
  Consequences c =
      Of(Rating::kExcellent, File(4, 0, {{2025, Rating::kExcellent}, {2024, Rating::kExcellent}}));
  EXPECT_TRUE(c.promotion_priority);
  EXPECT_EQ(c.entries.back(), "3 years excellent in a row: priority for promotion");
  // A gap (a year not rated, or missing) breaks the run.
  c = Of(Rating::kExcellent,
         File(4, 0,
              {{2025, Rating::kExcellent}, {2024, Rating::kNotRated}, {2023, Rating::kExcellent}}));
  EXPECT_FALSE(c.promotion_priority);
  c = Of(Rating::kExcellent, File(4, 0, {{2025, Rating::kExcellent}, {2023, Rating::kExcellent}}));
  EXPECT_FALSE(c.promotion_priority);
  c = Of(Rating::kCompetent, File(4, 0, {{2025, Rating::kExcellent}, {2024, Rating::kExcellent}}));
  EXPECT_FALSE(c.promotion_priority);
}

TEST(ReviewConsequences, FirstIncompetentYearIsAnAdmonishment) {
  Consequences c = Of(Rating::kIncompetent, File(4, 1, {{2025, Rating::kCompetent}}));
  EXPECT_TRUE(c.admonishment);
  EXPECT_FALSE(c.termination);
  EXPECT_FALSE(c.counts_toward_grade);
  EXPECT_EQ(c.entries.back(),
            "incompetent: admonishment talk (诫勉谈话) and circulated criticism (通报批评)");
  // Not in a row: an admonishment again.
  c = Of(Rating::kIncompetent,
         File(4, 1, {{2025, Rating::kCompetent}, {2024, Rating::kIncompetent}}));
  EXPECT_TRUE(c.admonishment);
  EXPECT_FALSE(c.termination);
}

TEST(ReviewConsequences, TwoIncompetentYearsInARowOrAGraveErrorEndTheContract) {
  Consequences c = Of(Rating::kIncompetent, File(4, 1, {{2025, Rating::kIncompetent}}));
  EXPECT_TRUE(c.termination);
  EXPECT_FALSE(c.admonishment);
  EXPECT_EQ(c.entries.back(), "2 years incompetent in a row: dismissal, contract terminated");
  c = Of(Rating::kIncompetent, File(4, 1), false, "forged ledger entries");
  EXPECT_TRUE(c.termination);
  EXPECT_FALSE(c.admonishment);
  EXPECT_EQ(c.entries.back(),
            "grave error (forged ledger entries): dismissal, contract terminated");
}

TEST(ReviewConsequences, AFailedAppraisalAdvisesResignation) {
  const Consequences c = Of(Rating::kCompetent, File(4, 0), true);
  EXPECT_TRUE(c.advised_to_resign);
  EXPECT_TRUE(c.counts_toward_grade);  // the rating still counts; the advice is separate
  EXPECT_EQ(c.entries.back(), "failed the democratic appraisal: advised to resign (引咎辞职)");
}

TEST(ReviewConsequences, NotRatedChangesNothing) {
  const Consequences c = Of(Rating::kNotRated, File(4, 2));
  EXPECT_FALSE(c.counts_toward_grade);
  EXPECT_EQ(c.qualifying_years, 2);
  EXPECT_EQ(c.new_grade, 4);
  EXPECT_FALSE(c.admonishment || c.termination || c.promotion_priority || c.grade_step);
  EXPECT_EQ(c.entries, (std::vector<std::string>{"annual review 2026 not_rated (不确定等次)",
                                                 "not rated: counts toward no grade step"}));
}

TEST(ReviewConsequences, BadFilesNameTheField) {
  const ReviewPolicy p = DefaultPolicy();
  const YearRating y{2026, Rating::kCompetent, false, ""};
  EXPECT_TRUE(Fails(ConsequencesOf(y, File(13, 0), p).status(), Code::kInvalidArgument,
                    "grade: 13 is outside 1–12"));
  EXPECT_TRUE(Fails(ConsequencesOf(y, File(4, -1), p).status(), Code::kInvalidArgument,
                    "qualifying_years: must be ≥ 0"));
  EXPECT_TRUE(Fails(ConsequencesOf(y, File(4, 0, {{2026, Rating::kCompetent}}), p).status(),
                    Code::kInvalidArgument, "history[0].year: 2026 is not before 2026"));
  EXPECT_TRUE(Fails(
      ConsequencesOf(y, File(4, 0, {{2025, Rating::kCompetent}, {2025, Rating::kExcellent}}), p)
          .status(),
      Code::kInvalidArgument, "history[1].year: 2025 is listed twice"));
}

TEST(ReviewConsequences, ThePolicyCountsTheYears) {
  ReviewPolicy p = DefaultPolicy();
  p.termination_incompetent_years = 3;
  p.grade_step_years = 2;
  auto c = ConsequencesOf({2026, Rating::kIncompetent, false, ""},
                          File(4, 0, {{2025, Rating::kIncompetent}}), p);
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->termination);
  EXPECT_TRUE(c->admonishment);
  c = ConsequencesOf({2026, Rating::kCompetent, false, ""}, File(4, 1), p);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->grade_step);
}

}  // namespace
}  // namespace shequ::domain::reviews
