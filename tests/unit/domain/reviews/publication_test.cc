#include "daemon/domain/reviews/publication.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/domain/reviews/reviews_test_util.h"

namespace shequ::domain::reviews {
namespace {

using testing::DefaultPolicy;
using testing::Fails;
using Code = absl::StatusCode;

WorkCalendar Calendar() {
  auto cal = WorkCalendar::LoadDir(std::string(SHEQU_SOURCE_DIR) + "/config/calendar");
  EXPECT_TRUE(cal.ok()) << cal.status();
  return cal.ok() ? *cal : WorkCalendar::Empty();
}

Publication Published(const std::string& on) {
  auto p = Publish(on, Calendar(), DefaultPolicy());
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? *p : Publication{};
}

Outcome Competent(int64_t id) {
  Outcome o;
  o.worker_id = id;
  o.rating = Rating::kCompetent;
  return o;
}

TEST(ReviewPublication, NoticeAndAppealCountWorkingDays) {
  // Thursday 24 Sep 2026: the Mid-Autumn and National Day holidays fall inside; Sat 10 Oct is a
  // make-up working day.
  Publication p = Published("2026-09-24");
  EXPECT_EQ(p.published, "2026-09-24");
  EXPECT_EQ(p.notice_until, "2026-10-09");  // 28, 29, 30 Sep, 8, 9 Oct
  EXPECT_EQ(p.appeal_until, "2026-10-15");  // 10 (Sat), 12, 13, 14, 15 Oct
  // Across the new year into 2027.
  p = Published("2026-12-28");
  EXPECT_EQ(p.notice_until, "2027-01-05");
  EXPECT_EQ(p.appeal_until, "2027-01-12");
  // Published on a weekend: the publication day itself never counts.
  p = Published("2026-11-14");
  EXPECT_EQ(p.notice_until, "2026-11-20");
  EXPECT_TRUE(Fails(Publish("2026-13-01", Calendar(), DefaultPolicy()).status(),
                    Code::kInvalidArgument, "published_on: '2026-13-01' is not a date"));
}

TEST(ReviewPublication, AppealWithinTheWindow) {
  const Publication p = Published("2026-09-24");
  Outcome o = Competent(7);
  EXPECT_TRUE(Fails(FileAppeal(o, p, "2026-09-23", "scores misread"), Code::kFailedPrecondition,
                    "the results are published on 2026-09-24"));
  EXPECT_TRUE(Fails(FileAppeal(o, p, "2026-10-16", "scores misread"), Code::kFailedPrecondition,
                    "the appeal window closed on 2026-10-15"));
  EXPECT_TRUE(
      Fails(FileAppeal(o, p, "2026-10-15", ""), Code::kInvalidArgument, "grounds: required"));
  EXPECT_TRUE(Fails(FileAppeal(o, p, "15 Oct", "x"), Code::kInvalidArgument, "filed_on"));
  EXPECT_EQ(o.appeal, AppealState::kNone);
  // The last day is still in time.
  ASSERT_TRUE(FileAppeal(o, p, "2026-10-15", "target score omitted the flood duty").ok());
  EXPECT_EQ(o.appeal, AppealState::kFiled);
  EXPECT_TRUE(Fails(FileAppeal(o, p, "2026-10-15", "again"), Code::kAlreadyExists,
                    "worker 7 appealed on 2026-10-15"));
  EXPECT_FALSE(IsFinal(o, p, "2026-12-01"));  // pending
}

TEST(ReviewPublication, TheLeadingGroupDecidesOnceAndForAll) {
  const Publication p = Published("2026-09-24");
  Outcome o = Competent(7);
  EXPECT_TRUE(Fails(DecideAppeal(o, false, std::nullopt, "no grounds", "2026-10-20"),
                    Code::kFailedPrecondition, "worker 7 has no appeal pending"));
  ASSERT_TRUE(FileAppeal(o, p, "2026-09-28", "flood duty not counted").ok());
  EXPECT_TRUE(Fails(DecideAppeal(o, true, std::nullopt, "counted", "2026-10-20"),
                    Code::kInvalidArgument, "rating: an upheld appeal sets the rating"));
  EXPECT_TRUE(Fails(DecideAppeal(o, true, Rating::kCompetent, "counted", "2026-10-20"),
                    Code::kInvalidArgument, "rating: the same as published"));
  EXPECT_TRUE(Fails(DecideAppeal(o, false, Rating::kExcellent, "no", "2026-10-20"),
                    Code::kInvalidArgument, "rating: a rejected appeal keeps"));
  EXPECT_TRUE(Fails(DecideAppeal(o, true, Rating::kExcellent, "", "2026-10-20"),
                    Code::kInvalidArgument, "reasons: required"));
  EXPECT_TRUE(Fails(DecideAppeal(o, true, Rating::kExcellent, "counted", "2026-09-27"),
                    Code::kInvalidArgument, "decided_on: 2026-09-27 is before the appeal"));
  ASSERT_TRUE(
      DecideAppeal(o, true, Rating::kExcellent, "flood duty adds 5 target points", "2026-10-20")
          .ok());
  EXPECT_EQ(o.appeal, AppealState::kUpheld);
  EXPECT_EQ(o.rating, Rating::kExcellent);
  EXPECT_EQ(o.rating_before_appeal, Rating::kCompetent);
  EXPECT_EQ(o.reasons.back(),
            "appeal upheld by the leading group on 2026-10-20: flood duty adds 5 target points");
  EXPECT_TRUE(IsFinal(o, p, "2026-10-20"));
  // Final: no second decision and no second appeal.
  EXPECT_TRUE(Fails(DecideAppeal(o, false, std::nullopt, "changed our mind", "2026-10-21"),
                    Code::kFailedPrecondition, "the leading group's decision is final"));
  EXPECT_TRUE(Fails(FileAppeal(o, p, "2026-10-12", "more"), Code::kAlreadyExists,
                    "the leading group's decision is final"));

  Outcome r = Competent(8);
  ASSERT_TRUE(FileAppeal(r, p, "2026-09-28", "too low").ok());
  ASSERT_TRUE(DecideAppeal(r, false, std::nullopt, "scores confirmed", "2026-10-20").ok());
  EXPECT_EQ(r.appeal, AppealState::kRejected);
  EXPECT_EQ(r.rating, Rating::kCompetent);
  EXPECT_TRUE(r.reasons.empty());
  EXPECT_EQ(r.appeal_decision, "scores confirmed");
}

TEST(ReviewPublication, OutcomesFromResults) {
  RatingResult r;
  r.worker_id = 3;
  r.rating = Rating::kCompetent;
  r.reasons = {"excellent cap of the street"};
  const Outcome o = OutcomeOf(r);
  EXPECT_EQ(o.worker_id, 3);
  EXPECT_EQ(o.rating, Rating::kCompetent);
  EXPECT_EQ(o.reasons, r.reasons);
  EXPECT_EQ(o.appeal, AppealState::kNone);
  const Outcome n = NotRatedOutcome(4, "left the post on 2026-10-31");
  EXPECT_EQ(n.rating, Rating::kNotRated);
  EXPECT_EQ(n.reasons, std::vector<std::string>{"left the post on 2026-10-31"});
}

TEST(ReviewPublication, WithoutAnAppealFinalAfterTheDeadline) {
  const Publication p = Published("2026-09-24");
  const Outcome o = Competent(7);
  EXPECT_FALSE(IsFinal(o, p, "2026-10-09"));  // the notice's last day
  EXPECT_FALSE(IsFinal(o, p, "2026-10-15"));  // the appeal's last day
  EXPECT_TRUE(IsFinal(o, p, "2026-10-16"));
}

}  // namespace
}  // namespace shequ::domain::reviews
