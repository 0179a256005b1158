#include "daemon/domain/workforce/policy.h"

#include <gtest/gtest.h>

#include "tests/unit/domain/workforce/workforce_test_util.h"

namespace shequ::domain::workforce {
namespace {

using testing::DefaultGrades;
using testing::DefaultQuota;
using testing::Fails;
using testing::ReadSource;

TEST(QuotaPolicy, DefaultsFromSeeds) {
  const QuotaPolicy p = DefaultQuota();
  EXPECT_EQ(p.bases.at("street_organ"), 75);
  EXPECT_EQ(p.bases.at("administrative_village"), 12);
  EXPECT_EQ(p.bases.at("urban_community"), 16);
  EXPECT_EQ(p.bases.at("village_to_community"), 20);
  EXPECT_EQ(p.bases.at("factory_community"), 16);
  EXPECT_DOUBLE_EQ(p.class_coefficients[1], 1.2);
  EXPECT_DOUBLE_EQ(p.class_coefficients[3], 0.8);
  EXPECT_EQ(p.rounding, Rounding::kHalfUp);
  EXPECT_EQ(p.WorkstationPosts(0), 4);
  EXPECT_EQ(p.WorkstationPosts(1999), 4);
  EXPECT_EQ(p.WorkstationPosts(2000), 5);
  EXPECT_EQ(p.WorkstationPosts(3000), 5);
  EXPECT_EQ(p.WorkstationPosts(3001), 6);
  EXPECT_EQ(p.review_years, 3);
  EXPECT_TRUE(p.InQuota(Employment::kContract));
  EXPECT_TRUE(p.InQuota(Employment::kElected));
  EXPECT_FALSE(p.InQuota(Employment::kDispatch));
  EXPECT_FALSE(p.InQuota(Employment::kSelfHired));
  EXPECT_FALSE(p.InQuota(Employment::kSecondedCadre));
  EXPECT_EQ(p.dispatch_conversion.min_years, 3);
  EXPECT_DOUBLE_EQ(p.dispatch_conversion.max_share, 0.10);
  EXPECT_EQ(p.dispatch_conversion.rounding, Rounding::kFloor);
}

TEST(QuotaPolicy, SecondDistrict) {
  auto p = ParseQuotaPolicy(ReadSource("tests/fixtures/policy/quota-second.yaml"));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->bases.at("street_organ"), 60);
  EXPECT_EQ(p->rounding, Rounding::kFloor);
  EXPECT_EQ(p->WorkstationPosts(1499), 3);
  EXPECT_EQ(p->WorkstationPosts(4000), 7);
  EXPECT_TRUE(p->InQuota(Employment::kSecondedCadre));
  EXPECT_EQ(p->review_years, 5);
}

TEST(QuotaPolicy, RefusesUnknownKeysAndBadValuesNamingThePath) {
  const std::string good = ReadSource("config/policy/quota.yaml");
  EXPECT_TRUE(Fails(ParseQuotaPolicy(good + "\nextra: 1\n").status(),
                    absl::StatusCode::kInvalidArgument, "quota.yaml: extra: unknown key"));
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    const size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return s.replace(at, from.size(), to);
  };
  EXPECT_TRUE(
      Fails(ParseQuotaPolicy(replace("urban_community: 16", "urban_community: -3")).status(),
            absl::StatusCode::kInvalidArgument, "bases.urban_community: -3 is outside"));
  EXPECT_TRUE(Fails(ParseQuotaPolicy(replace("urban_community: 16", "urban_comunity: 16")).status(),
                    absl::StatusCode::kInvalidArgument, "bases.urban_community: required"));
  EXPECT_TRUE(Fails(ParseQuotaPolicy(replace("2: 1.0", "2: lots")).status(),
                    absl::StatusCode::kInvalidArgument, "class_coefficients.2: must be a number"));
  EXPECT_TRUE(
      Fails(ParseQuotaPolicy(replace("{posts: 6}", "{max_households: 2500, posts: 6}")).status(),
            absl::StatusCode::kInvalidArgument, "workstation_posts[2].max_households"));
  EXPECT_TRUE(
      Fails(ParseQuotaPolicy(replace("[contract, elected]", "[contract, volunteer]")).status(),
            absl::StatusCode::kInvalidArgument, "in_quota[1]"));
  EXPECT_TRUE(Fails(ParseQuotaPolicy(replace("rounding: half_up", "rounding: nearest")).status(),
                    absl::StatusCode::kInvalidArgument, "rounding: 'nearest'"));
  EXPECT_TRUE(
      Fails(ParseQuotaPolicy(replace("max_share: 0.10", "max_share: 0.10\n  cap: 3")).status(),
            absl::StatusCode::kInvalidArgument, "dispatch_conversion.cap: unknown key"));
  EXPECT_TRUE(Fails(ParseQuotaPolicy("bases: [").status(), absl::StatusCode::kInvalidArgument,
                    "quota.yaml"));
}

TEST(RoundBy, RoundingRules) {
  EXPECT_EQ(RoundBy(75 * 1.2, Rounding::kHalfUp), 90);
  EXPECT_EQ(RoundBy(75 * 1.2, Rounding::kFloor), 90);  // 89.99999… is 90
  EXPECT_EQ(RoundBy(12.8, Rounding::kHalfUp), 13);
  EXPECT_EQ(RoundBy(12.5, Rounding::kHalfUp), 13);
  EXPECT_EQ(RoundBy(12.8, Rounding::kFloor), 12);
  EXPECT_EQ(RoundBy(12.2, Rounding::kCeil), 13);
  EXPECT_EQ(RoundBy(0.1 * 30, Rounding::kFloor), 3);
}

TEST(GradePolicy, DefaultLadder) {
  const GradePolicy p = DefaultGrades();
  EXPECT_EQ(p.grades, 18);
  ASSERT_EQ(p.posts.size(), 4u);
  const PostDef* officer = p.FindPost("officer");
  ASSERT_NE(officer, nullptr);
  EXPECT_EQ(officer->name, "主办");
  EXPECT_EQ(officer->min_grade, 3);
  EXPECT_EQ(officer->max_grade, 14);
  EXPECT_EQ(p.FindPost("主管")->id, "head");
  EXPECT_EQ(p.FindPost("副主管")->min_grade, 5);
  EXPECT_EQ(p.FindPost("助理")->max_grade, 12);
  EXPECT_EQ(p.FindPost("clerk"), nullptr);
  EXPECT_EQ(p.education_bonus[static_cast<int>(Education::kSecondary)], 0);
  EXPECT_EQ(p.education_bonus[static_cast<int>(Education::kCollege)], 1);
  EXPECT_EQ(p.education_bonus[static_cast<int>(Education::kDoctor)], 5);
  ASSERT_EQ(p.pay.size(), 18u);
  EXPECT_EQ(p.PayFor(1)->base, 2600);
  EXPECT_EQ(p.PayFor(18)->total(), 5150 + 2360);
  EXPECT_EQ(p.PayFor(19), nullptr);
  EXPECT_DOUBLE_EQ(p.parity_tolerance, 0.05);
}

TEST(GradePolicy, ThreePostLadderOfAnotherDistrict) {
  auto p = ParseGradePolicy(ReadSource("tests/fixtures/policy/grades-three-posts.yaml"));
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_EQ(p->posts.size(), 3u);
  EXPECT_EQ(p->FindPost("head")->min_grade, 7);
  EXPECT_EQ(p->FindPost("deputy")->min_grade, 4);
  EXPECT_EQ(p->FindPost("deputy")->max_grade, 15);
  EXPECT_EQ(p->FindPost("工作人员")->id, "staff");
  EXPECT_EQ(p->FindPost("officer"), nullptr);
  EXPECT_EQ(p->years_per_grade, 2);
  EXPECT_EQ(p->PayFor(1)->base, 3000);
}

TEST(GradePolicy, RefusesBadLadders) {
  const std::string good = ReadSource("config/policy/grades.yaml");
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    const size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return s.replace(at, from.size(), to);
  };
  EXPECT_TRUE(
      Fails(ParseGradePolicy(replace("min_grade: 3, max_grade: 14", "min_grade: 15, max_grade: 14"))
                .status(),
            absl::StatusCode::kInvalidArgument, "posts[2].max_grade: is below min_grade"));
  EXPECT_TRUE(Fails(ParseGradePolicy(replace("max_grade: 18}", "max_grade: 19}")).status(),
                    absl::StatusCode::kInvalidArgument, "posts[0].max_grade: 19 is outside 1–18"));
  EXPECT_TRUE(Fails(ParseGradePolicy(replace("{id: deputy", "{id: head")).status(),
                    absl::StatusCode::kInvalidArgument, "listed twice"));
  EXPECT_TRUE(Fails(
      ParseGradePolicy(replace("  - {grade:  5, base: 3200, performance: 1320}\n", "")).status(),
      absl::StatusCode::kInvalidArgument, "pay: grade 5 is missing"));
  EXPECT_TRUE(Fails(ParseGradePolicy(replace("doctor: 5", "doctorate: 5")).status(),
                    absl::StatusCode::kInvalidArgument, "education_bonus.doctorate: unknown key"));
  EXPECT_TRUE(Fails(ParseGradePolicy(replace("{id: head,", "{id: head, rank: 1,")).status(),
                    absl::StatusCode::kInvalidArgument, "posts[0].rank: unknown key"));
}

}  // namespace
}  // namespace shequ::domain::workforce
