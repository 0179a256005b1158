#include "daemon/domain/reviews/eligibility.h"

#include <gtest/gtest.h>

#include "tests/unit/domain/reviews/reviews_test_util.h"

namespace shequ::domain::reviews {
namespace {

using testing::DefaultPolicy;
using testing::Fails;
using workforce::WorkerStatus;
using Code = absl::StatusCode;

ServiceRecord OnPostSince(std::string hired_on) {
  ServiceRecord w;
  w.worker_id = 7;
  w.home_unit_id = "bh.wuhu.c01";
  w.hired_on = std::move(hired_on);
  return w;
}

Eligibility Must(const ServiceRecord& w, int year = 2026) {
  auto e = EligibilityFor(w, year, DefaultPolicy());
  EXPECT_TRUE(e.ok()) << e.status();
  return e.ok() ? *e : Eligibility{};
}

TEST(ReviewEligibility, CycleKey) { EXPECT_EQ(CycleKey("bh.wuhu", 2026), "bh.wuhu/2026"); }

TEST(ReviewEligibility, WholeMonths) {
  EXPECT_EQ(WholeMonths("2026-01-01", "2026-12-31"), 12);
  EXPECT_EQ(WholeMonths("2026-07-01", "2026-12-31"), 6);
  EXPECT_EQ(WholeMonths("2026-07-02", "2026-12-31"), 5);
  EXPECT_EQ(WholeMonths("2026-03-15", "2026-04-14"), 1);
  EXPECT_EQ(WholeMonths("2026-03-15", "2026-04-13"), 0);
  EXPECT_EQ(WholeMonths("2026-03-15", "2026-03-15"), 0);
  EXPECT_EQ(WholeMonths("2026-05-01", "2026-04-30"), 0);
  EXPECT_EQ(WholeMonths("bad", "2026-04-30"), 0);
}

TEST(ReviewEligibility, AWorkerOnPostAllYearIsRatedAtHome) {
  const Eligibility e = Must(OnPostSince("2019-04-01"));
  EXPECT_EQ(e.participation, Participation::kRated);
  EXPECT_EQ(e.months_on_post, 12);
  EXPECT_EQ(e.reviewing_unit_id, "bh.wuhu.c01");
  EXPECT_EQ(e.informed_unit_id, "");
  EXPECT_EQ(e.reason, "");
}

TEST(ReviewEligibility, HiredDuringTheYearNeedsTheMinimumMonths) {
  // Exactly six whole months: rated.
  EXPECT_EQ(Must(OnPostSince("2026-07-01")).participation, Participation::kRated);
  // One day short of six months: not rated, with the reason.
  const Eligibility e = Must(OnPostSince("2026-07-02"));
  EXPECT_EQ(e.participation, Participation::kNotRated);
  EXPECT_EQ(e.months_on_post, 5);
  EXPECT_EQ(e.reason, "on post 5 whole months in 2026 (hired on 2026-07-02); rating needs 6");
  // The policy decides the line.
  ReviewPolicy p = DefaultPolicy();
  p.min_months_on_post = 3;
  EXPECT_EQ(EligibilityFor(OnPostSince("2026-07-02"), 2026, p)->participation,
            Participation::kRated);
}

TEST(ReviewEligibility, OutsideTheYearIsNotInTheCycle) {
  EXPECT_EQ(Must(OnPostSince("2027-01-04")).participation, Participation::kOutside);
  ServiceRecord gone = OnPostSince("2015-01-01");
  gone.status = WorkerStatus::kLeft;
  gone.left_on = "2025-11-30";
  const Eligibility e = Must(gone);
  EXPECT_EQ(e.participation, Participation::kOutside);
  EXPECT_EQ(e.reason, "not on post in 2026");
}

TEST(ReviewEligibility, LeftDuringTheYearIsNotRated) {
  ServiceRecord w = OnPostSince("2015-01-01");
  w.status = WorkerStatus::kLeft;
  w.left_on = "2026-10-31";
  const Eligibility e = Must(w);
  EXPECT_EQ(e.participation, Participation::kNotRated);
  EXPECT_EQ(e.months_on_post, 10);
  EXPECT_EQ(e.reason, "left the post on 2026-10-31");
  // Leaving next year does not matter to this year.
  w.left_on = "2027-02-01";
  w.status = WorkerStatus::kOnPost;
  EXPECT_EQ(Must(w).participation, Participation::kRated);
}

TEST(ReviewEligibility, RetiredInPlaceIsNotRated) {
  ServiceRecord w = OnPostSince("2000-01-01");
  w.status = WorkerStatus::kRetiredInPlace;
  const Eligibility e = Must(w);
  EXPECT_EQ(e.participation, Participation::kNotRated);
  EXPECT_EQ(e.reason, "retired in place (离岗退养)");
}

TEST(ReviewEligibility, SecondedWorkersAreReviewedByTheBodyServed) {
  ServiceRecord w = OnPostSince("2018-01-01");
  w.status = WorkerStatus::kSecondedStreet;
  w.secondments = {{"bh.wuhu", "2026-03-01", ""}};
  Eligibility e = Must(w);
  EXPECT_EQ(e.participation, Participation::kRated);
  EXPECT_EQ(e.reviewing_unit_id, "bh.wuhu");
  EXPECT_EQ(e.informed_unit_id, "bh.wuhu.c01");
  EXPECT_EQ(e.reason,
            "seconded to bh.wuhu for 10 months of 2026: reviewed by the body served, "
            "bh.wuhu.c01 informed");

  // Exactly the minimum (6 months) moves the review; one day less does not.
  w.secondments = {{"bh.wuhu", "2026-07-01", ""}};
  EXPECT_EQ(Must(w).reviewing_unit_id, "bh.wuhu");
  w.secondments = {{"bh.wuhu", "2026-07-02", ""}};
  e = Must(w);
  EXPECT_EQ(e.reviewing_unit_id, "bh.wuhu.c01");
  EXPECT_EQ(e.informed_unit_id, "");
  EXPECT_EQ(e.reason, "seconded to bh.wuhu for 5 months of 2026, under 6: reviewed at home");

  // A secondment that ended in the year still counts by its months.
  w.status = WorkerStatus::kOnPost;
  w.secondments = {{"bh.district.civil", "2025-06-01", "2026-08-31"}};
  EXPECT_EQ(Must(w).reviewing_unit_id, "bh.district.civil");

  // Two bodies: the one served longest; on equal months, the one served last.
  w.secondments = {{"bh.a", "2026-01-01", "2026-06-30"}, {"bh.b", "2026-07-01", ""}};
  EXPECT_EQ(Must(w).reviewing_unit_id, "bh.b");
  w.secondments = {{"bh.a", "2026-01-01", "2026-07-31"}, {"bh.b", "2026-08-01", ""}};
  EXPECT_EQ(Must(w).reviewing_unit_id, "bh.a");
  // Months at one body add up across its secondments.
  w.secondments = {{"bh.a", "2026-01-01", "2026-03-31"},
                   {"bh.b", "2026-04-01", "2026-08-31"},
                   {"bh.a", "2026-09-01", "2026-12-31"}};
  EXPECT_EQ(Must(w).reviewing_unit_id, "bh.a");
}

TEST(ReviewEligibility, BadRecordsNameTheField) {
  const ReviewPolicy p = DefaultPolicy();
  ServiceRecord w = OnPostSince("2026-02-30");
  EXPECT_TRUE(Fails(EligibilityFor(w, 2026, p).status(), Code::kInvalidArgument,
                    "hired_on: '2026-02-30' is not a date"));
  w = OnPostSince("2020-01-01");
  w.left_on = "2019-12-31";
  EXPECT_TRUE(Fails(EligibilityFor(w, 2026, p).status(), Code::kInvalidArgument,
                    "left_on: 2019-12-31 is before hired_on 2020-01-01"));
  w.left_on = "";
  w.status = WorkerStatus::kLeft;
  EXPECT_TRUE(Fails(EligibilityFor(w, 2026, p).status(), Code::kInvalidArgument,
                    "left_on: required for a worker who has left"));
  w.status = WorkerStatus::kSecondedDistrict;
  EXPECT_TRUE(Fails(EligibilityFor(w, 2026, p).status(), Code::kInvalidArgument,
                    "secondments: the worker is seconded but no secondment falls in 2026"));
  w.secondments = {{"", "2026-01-01", ""}};
  EXPECT_TRUE(Fails(EligibilityFor(w, 2026, p).status(), Code::kInvalidArgument,
                    "secondments[0].unit_id: required"));
  w.secondments = {{"bh.a", "2026-05-01", "2026-04-01"}};
  EXPECT_TRUE(Fails(EligibilityFor(w, 2026, p).status(), Code::kInvalidArgument,
                    "secondments[0].until: 2026-04-01 is before from 2026-05-01"));
  w.secondments = {{"bh.a", "2018-05-01", ""}};
  EXPECT_TRUE(Fails(EligibilityFor(w, 2026, p).status(), Code::kInvalidArgument,
                    "secondments[0].from: 2018-05-01 is outside the service"));
  w = OnPostSince("2020-01-01");
  w.home_unit_id = "";
  EXPECT_TRUE(
      Fails(EligibilityFor(w, 2026, p).status(), Code::kInvalidArgument, "home_unit_id: required"));
}

}  // namespace
}  // namespace shequ::domain::reviews
