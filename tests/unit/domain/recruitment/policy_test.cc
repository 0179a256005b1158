#include "daemon/domain/recruitment/policy.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/unit/domain/recruitment/recruitment_test_util.h"

namespace shequ::domain::recruitment {
namespace {

using testing::DefaultPolicy;
using testing::ReadSource;
using testing::SecondPolicy;
using workforce::testing::Fails;
using Code = absl::StatusCode;

std::string Edited(const std::string& from, const std::string& to) {
  std::string text = ReadSource("config/policy/recruitment.yaml");
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(RecruitmentPolicy, DefaultsFromTheFile) {
  const RecruitmentPolicy p = DefaultPolicy();
  EXPECT_EQ(p.min_applicants_per_post, 3);
  EXPECT_EQ(p.shortlist_ratio, 3);
  EXPECT_EQ(p.written_weight, 50);
  EXPECT_EQ(p.interview_weight, 50);
  EXPECT_EQ(p.score_min, 0);
  EXPECT_EQ(p.score_max, 1000);
  EXPECT_EQ(p.certificate_bonus.at("social_worker"), 20);
  EXPECT_EQ(p.source_bonus[static_cast<int>(Source::kVeteran)], 20);
  EXPECT_EQ(p.source_bonus[static_cast<int>(Source::kGraduate)], 0);
  ASSERT_NE(p.FindCategory("community_experience"), nullptr);
  EXPECT_EQ(p.tie_break.front(), TieKey::kWritten);
  EXPECT_EQ(p.tie_break.back(), TieKey::kApplicationId);
  EXPECT_EQ(p.notice_working_days, 5);
  EXPECT_EQ(p.eligibility.min_education, workforce::Education::kCollege);
  EXPECT_EQ(p.onboarding.size(), 8u);
  EXPECT_EQ(p.onboarding[3].insurance.size(), 5u);
}

TEST(RecruitmentPolicy, SecondDistrict) {
  const RecruitmentPolicy p = SecondPolicy();
  EXPECT_EQ(p.written_weight, 40);
  EXPECT_EQ(p.certificate_bonus.at("assistant_social_worker"), 15);  // by Chinese name
  EXPECT_EQ(p.source_bonus[static_cast<int>(Source::kLaidOff)], 5);
  EXPECT_EQ(p.tie_break.size(), 4u);
  EXPECT_EQ(p.MaxProbation(24), 1);
  EXPECT_EQ(p.MaxProbation(kOpenEndedTerm), 3);
}

TEST(RecruitmentPolicy, ProbationBandsFollowArticle19) {
  const RecruitmentPolicy p = DefaultPolicy();
  // Under 3 months: none.
  EXPECT_TRUE(ValidateProbation(2, 0, p).ok());
  EXPECT_TRUE(Fails(ValidateProbation(2, 1, p), Code::kInvalidArgument,
                    "probation_months: 1 exceeds the limit of 0 for a 2-month contract (no "
                    "probation may be agreed)"));
  // 3 months to under 1 year: 1.
  EXPECT_TRUE(ValidateProbation(3, 1, p).ok());
  EXPECT_TRUE(ValidateProbation(11, 1, p).ok());
  EXPECT_TRUE(Fails(ValidateProbation(11, 2, p), Code::kInvalidArgument, "limit of 1"));
  // 1 to under 3 years: 2.
  EXPECT_TRUE(ValidateProbation(12, 2, p).ok());
  EXPECT_TRUE(Fails(ValidateProbation(35, 3, p), Code::kInvalidArgument, "limit of 2"));
  // 3 years or more, and open-ended: 6.
  EXPECT_TRUE(ValidateProbation(36, 6, p).ok());
  EXPECT_TRUE(Fails(ValidateProbation(60, 7, p), Code::kInvalidArgument,
                    "limit of 6 for a 60-month contract"));
  EXPECT_TRUE(ValidateProbation(kOpenEndedTerm, 6, p).ok());
  EXPECT_TRUE(Fails(ValidateProbation(kOpenEndedTerm, 7, p), Code::kInvalidArgument,
                    "open-ended contract"));
  EXPECT_TRUE(Fails(ValidateProbation(0, 0, p), Code::kInvalidArgument, "contract_term_months"));
  EXPECT_TRUE(Fails(ValidateProbation(12, -1, p), Code::kInvalidArgument, "probation_months"));
  // The message cites the law.
  EXPECT_TRUE(Fails(ValidateProbation(12, 3, p), Code::kInvalidArgument, "第十九条"));
}

TEST(RecruitmentPolicy, AFileExceedingTheLawIsRefused) {
  EXPECT_TRUE(Fails(ParseRecruitmentPolicy(Edited("{term_under_months: 36, max_months: 2}",
                                                  "{term_under_months: 36, max_months: 3}"))
                        .status(),
                    Code::kInvalidArgument,
                    "recruitment.yaml: probation.bands: allows 3 months of probation for a "
                    "12-month contract; the Labour Contract Law art. 19 allows at most 2"));
  EXPECT_TRUE(Fails(ParseRecruitmentPolicy(Edited("{term_under_months: 3, max_months: 0}",
                                                  "{term_under_months: 3, max_months: 1}"))
                        .status(),
                    Code::kInvalidArgument, "for a 1-month contract"));
  EXPECT_TRUE(Fails(ParseRecruitmentPolicy(Edited("{max_months: 6}", "{max_months: 7}")).status(),
                    Code::kInvalidArgument, "for a 36-month contract"));
  // Moving a band boundary up loosens the law too.
  EXPECT_TRUE(Fails(ParseRecruitmentPolicy(Edited("{term_under_months: 36, max_months: 2}",
                                                  "{term_under_months: 24, max_months: 2}"))
                        .status(),
                    Code::kInvalidArgument, "24-month contract"));
}

TEST(RecruitmentPolicy, BadFilesNameTheKey) {
  EXPECT_TRUE(Fails(ParseRecruitmentPolicy(Edited("shortlist_ratio: 3",
                                                  "shortlist_ratio: 3\n"
                                                  "shortlist_ration: 4"))
                        .status(),
                    Code::kInvalidArgument, "recruitment.yaml: shortlist_ration: unknown key"));
  EXPECT_TRUE(Fails(
      ParseRecruitmentPolicy(Edited("  interview_weight: 50", "  interview_weight: 40")).status(),
      Code::kInvalidArgument,
      "composite.interview_weight: written_weight + interview_weight must be 100"));
  EXPECT_TRUE(Fails(ParseRecruitmentPolicy(Edited("veteran: 2 ", "veteran: 2.25 ")).status(),
                    Code::kInvalidArgument,
                    "bonus.sources.veteran: 2.25 has more than one decimal place"));
  EXPECT_TRUE(Fails(ParseRecruitmentPolicy(Edited("veteran: 2 ", "veterans: 2 ")).status(),
                    Code::kInvalidArgument, "bonus.sources.veterans: unknown key"));
  EXPECT_TRUE(Fails(
      ParseRecruitmentPolicy(Edited("applied_at, application_id]", "application_id, applied_at]"))
          .status(),
      Code::kInvalidArgument, "tie_break: must end with application_id"));
  EXPECT_TRUE(
      Fails(ParseRecruitmentPolicy(Edited("[written, interview,", "[written, written,")).status(),
            Code::kInvalidArgument, "tie_break[1]: \"written\" is listed twice"));
  EXPECT_TRUE(Fails(ParseRecruitmentPolicy(Edited("    insurance: [pension, medical, unemployment,",
                                                  "    insurance: [pension, medical,"))
                        .status(),
                    Code::kInvalidArgument, "no social_insurance step enrols unemployment"));
  EXPECT_TRUE(
      Fails(ParseRecruitmentPolicy(Edited("    kind: grade\n", "    kind: other\n")).status(),
            Code::kInvalidArgument, "onboarding: has no step of kind grade"));
  EXPECT_TRUE(
      Fails(ParseRecruitmentPolicy(Edited("min_education: college", "min_education: phd")).status(),
            Code::kInvalidArgument, "eligibility.min_education: 'phd' is not one of"));
  EXPECT_TRUE(Fails(ParseRecruitmentPolicy("[1, 2]").status(), Code::kInvalidArgument,
                    "must be a mapping"));
}

TEST(RecruitmentPolicy, Tenths) {
  EXPECT_EQ(ParseTenths("87.5"), 875);
  EXPECT_EQ(ParseTenths(" 87 "), 870);
  EXPECT_EQ(ParseTenths("87.50"), 875);
  EXPECT_EQ(ParseTenths("0"), 0);
  EXPECT_FALSE(ParseTenths("87.55"));
  EXPECT_FALSE(ParseTenths("-1"));
  EXPECT_FALSE(ParseTenths("8e1"));
  EXPECT_FALSE(ParseTenths("87."));
  EXPECT_FALSE(ParseTenths(""));
  EXPECT_EQ(FormatTenths(875), "87.5");
  EXPECT_EQ(FormatTenths(870), "87");
}

}  // namespace
}  // namespace shequ::domain::recruitment
