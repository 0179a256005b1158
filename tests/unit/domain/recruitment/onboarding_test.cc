#include "daemon/domain/recruitment/onboarding.h"

#include <gtest/gtest.h>

#include "tests/unit/domain/recruitment/recruitment_test_util.h"

namespace shequ::domain::recruitment {
namespace {

using testing::DefaultPolicy;
using workforce::Education;
using workforce::testing::DefaultGrades;
using workforce::testing::DefaultQuota;
using workforce::testing::Fails;
using Code = absl::StatusCode;

TEST(Onboarding, GradeAtHireWithAndWithoutADegree) {
  const workforce::Registry reg(DefaultQuota(), DefaultGrades());
  // Assistant 1–12; 3 years per grade; bonus college 1, bachelor 2, high school 0.
  EXPECT_EQ(*GradeAtHire(reg, "assistant", "", "2026-06-01", Education::kHighSchool), 1);
  EXPECT_EQ(*GradeAtHire(reg, "assistant", "", "2026-06-01", Education::kCollege), 2);
  EXPECT_EQ(*GradeAtHire(reg, "assistant", "", "2026-06-01", Education::kBachelor), 3);
  // Seven years of earlier community work add two grades.
  EXPECT_EQ(*GradeAtHire(reg, "assistant", "2019-05-01", "2026-06-01", Education::kHighSchool), 3);
  EXPECT_EQ(*GradeAtHire(reg, "assistant", "2019-05-01", "2026-06-01", Education::kBachelor), 5);
  EXPECT_EQ(*GradeAtHire(reg, "主办", "", "2026-06-01", Education::kMaster), 6);
  EXPECT_TRUE(
      Fails(GradeAtHire(reg, "assistant", "2027-01-01", "2026-06-01", Education::kCollege).status(),
            Code::kInvalidArgument, "community_since"));
  EXPECT_TRUE(Fails(GradeAtHire(reg, "boss", "", "2026-06-01", Education::kCollege).status(),
                    Code::kInvalidArgument, "post"));
}

TEST(Onboarding, PlanDatesEveryStep) {
  const RecruitmentPolicy p = DefaultPolicy();
  auto plan = PlanOnboarding(p, "2026-06-01", 36, 6);
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->size(), 8u);
  EXPECT_EQ((*plan)[0].step.kind, MilestoneKind::kContract);
  EXPECT_EQ((*plan)[0].due_on, "2026-07-01");
  EXPECT_EQ((*plan)[0].remind_on, "2026-06-24");
  // Probation ends 2026-12-01: review due 5 days before, reminded 10 days before that.
  EXPECT_EQ((*plan)[6].step.kind, MilestoneKind::kProbationReview);
  EXPECT_EQ((*plan)[6].due_on, "2026-11-26");
  EXPECT_EQ((*plan)[6].remind_on, "2026-11-16");
  EXPECT_EQ((*plan)[7].due_on, "2026-12-01");
  // Without probation there is no review or conversion step.
  EXPECT_EQ(PlanOnboarding(p, "2026-06-01", 2, 0)->size(), 6u);
  // The law is checked first.
  EXPECT_TRUE(Fails(PlanOnboarding(p, "2026-06-01", 24, 3).status(), Code::kInvalidArgument,
                    "probation_months: 3 exceeds the limit of 2"));
  EXPECT_EQ(AddMonths("2026-01-31", 1), "2026-02-28");
  EXPECT_EQ(AddDays("2026-02-27", 2), "2026-03-01");
}

}  // namespace
}  // namespace shequ::domain::recruitment
