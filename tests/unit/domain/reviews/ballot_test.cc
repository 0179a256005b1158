#include "daemon/domain/reviews/ballot.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/domain/reviews/reviews_test_util.h"

namespace shequ::domain::reviews {
namespace {

using testing::DefaultPolicy;
using testing::Fails;
using Code = absl::StatusCode;

// Casts `n` ballots of `kind` choosing `choice`, voters named prefix0, prefix1, …
void CastMany(BallotBox& box, const std::string& prefix, int n, VoterKind kind, Rating choice) {
  for (int i = 0; i < n; ++i) {
    ASSERT_TRUE(box.Cast(prefix + std::to_string(i), kind, choice).ok());
  }
}

TEST(ReviewBallots, OneBallotPerVoterPerWorker) {
  BallotBox box(7);
  ASSERT_TRUE(box.Cast("p-1", VoterKind::kPartyMember, Rating::kExcellent).ok());
  EXPECT_TRUE(Fails(box.Cast("p-1", VoterKind::kPartyMember, Rating::kCompetent),
                    Code::kAlreadyExists, "voter_id: this voter has already voted on worker 7"));
  // Another kind does not make it another voter.
  EXPECT_TRUE(Fails(box.Cast("p-1", VoterKind::kResident, Rating::kCompetent), Code::kAlreadyExists,
                    "already voted"));
  // The refused ballots changed nothing.
  EXPECT_EQ(box.tally().Ballots(), 1);
  EXPECT_EQ(box.tally().Choosing(Rating::kExcellent), 1);
  // The same voter votes on another worker in that worker's box.
  BallotBox other(8);
  EXPECT_TRUE(other.Cast("p-1", VoterKind::kPartyMember, Rating::kCompetent).ok());
  EXPECT_TRUE(box.HasVoted("p-1"));
  EXPECT_FALSE(box.HasVoted("r-1"));
}

TEST(ReviewBallots, RefusesBadBallotsAndBallotsAfterClosing) {
  BallotBox box(7);
  EXPECT_TRUE(Fails(box.Cast("", VoterKind::kResident, Rating::kCompetent), Code::kInvalidArgument,
                    "voter_id: required"));
  EXPECT_TRUE(Fails(box.Cast("r-1", VoterKind::kResident, Rating::kNotRated),
                    Code::kInvalidArgument, "choice: not_rated is not a ballot choice"));
  ASSERT_TRUE(box.Cast("r-1", VoterKind::kResident, Rating::kCompetent).ok());
  const Tally t = box.Close();
  EXPECT_TRUE(box.closed());
  EXPECT_EQ(t.Ballots(), 1);
  EXPECT_TRUE(Fails(box.Cast("r-2", VoterKind::kResident, Rating::kCompetent),
                    Code::kFailedPrecondition, "the appraisal of worker 7 is closed"));
}

TEST(ReviewBallots, TheTallyKeepsCountsOnly) {
  BallotBox box(7);
  CastMany(box, "p", 3, VoterKind::kPartyMember, Rating::kExcellent);
  CastMany(box, "r", 4, VoterKind::kResident, Rating::kCompetent);
  ASSERT_TRUE(box.Cast("x", VoterKind::kResident, Rating::kIncompetent).ok());
  const Tally t = box.Close();
  EXPECT_EQ(t.Ballots(), 8);
  EXPECT_EQ(t.Ballots(VoterKind::kPartyMember), 3);
  EXPECT_EQ(t.Ballots(VoterKind::kResident), 5);
  EXPECT_EQ(t.counts[static_cast<int>(VoterKind::kResident)][static_cast<int>(Rating::kCompetent)],
            4);
  EXPECT_EQ(t.Choosing(Rating::kIncompetent), 1);
  EXPECT_EQ(t.Choosing(Rating::kNotRated), 0);
  // The tally is the whole answer: a copy equal in counts to one from other voters who chose
  // the same is indistinguishable, so it cannot name a voter.
  BallotBox other(9);
  CastMany(other, "a", 3, VoterKind::kPartyMember, Rating::kExcellent);
  ASSERT_TRUE(other.Cast("b", VoterKind::kResident, Rating::kIncompetent).ok());
  CastMany(other, "c", 4, VoterKind::kResident, Rating::kCompetent);
  EXPECT_EQ(other.tally().counts, t.counts);
}

TEST(ReviewBallots, ScoreIsTheAveragePointsHalfUp) {
  const ReviewPolicy p = DefaultPolicy();
  Tally t;
  EXPECT_EQ(t.Score(p), 0);
  t.counts[0][static_cast<int>(Rating::kExcellent)] = 2;    // 2 × 100
  t.counts[1][static_cast<int>(Rating::kCompetent)] = 1;    // 1 × 80
  EXPECT_EQ(t.Score(p), 933);                               // 280 / 3 = 93.33 → 93.3
  t.counts[1][static_cast<int>(Rating::kIncompetent)] = 1;  // 280 / 4 = 70
  EXPECT_EQ(t.Score(p), 700);
  Tally half;  // (100 + 60 + 60 + 0 + 0 + 0 + 0 + 0) / 8 = 27.5 exactly
  half.counts[1][static_cast<int>(Rating::kExcellent)] = 1;
  half.counts[1][static_cast<int>(Rating::kBasicallyCompetent)] = 2;
  half.counts[1][static_cast<int>(Rating::kIncompetent)] = 5;
  EXPECT_EQ(half.Score(p), 275);
  Tally up;  // 100 + 100 + 0 = 200 / 3 = 66.666… → 66.7
  up.counts[0][0] = 2;
  up.counts[0][3] = 1;
  EXPECT_EQ(up.Score(p), 667);
  // Exactly half a tenth goes up: (100 + 80.5) / 2 = 90.25 → 90.3.
  ReviewPolicy odd = p;
  odd.points[static_cast<int>(Rating::kCompetent)] = 805;
  Tally two;
  two.counts[0][static_cast<int>(Rating::kExcellent)] = 1;
  two.counts[1][static_cast<int>(Rating::kCompetent)] = 1;
  EXPECT_EQ(two.Score(odd), 903);
}

TEST(ReviewBallots, TooFewBallotsOrTooFewResidents) {
  const ReviewPolicy p = DefaultPolicy();  // 15 ballots, half from residents
  BallotBox box(7);
  CastMany(box, "r", 7, VoterKind::kResident, Rating::kCompetent);
  CastMany(box, "p", 7, VoterKind::kPartyMember, Rating::kCompetent);
  EXPECT_EQ(box.tally().Shortfall(p), "14 ballots, the policy needs 15");
  EXPECT_FALSE(box.tally().Valid(p));
  // The 15th ballot from a party member: enough ballots, but 7 of 15 residents is under half.
  ASSERT_TRUE(box.Cast("p7", VoterKind::kPartyMember, Rating::kCompetent).ok());
  EXPECT_EQ(box.tally().Shortfall(p),
            "7 of 15 ballots from residents' representatives, the policy needs a share of 0.5");
  EXPECT_EQ(box.tally().ResidentShare(), 466);
  // Exactly half is enough.
  ASSERT_TRUE(box.Cast("r7", VoterKind::kResident, Rating::kCompetent).ok());
  EXPECT_EQ(box.tally().ResidentShare(), 500);
  EXPECT_TRUE(box.tally().Valid(p));
}

TEST(ReviewBallots, FailingTheAppraisalNeedsMoreThanTheShare) {
  const ReviewPolicy p = DefaultPolicy();  // more than half incompetent
  Tally t;
  t.counts[1][static_cast<int>(Rating::kIncompetent)] = 10;
  t.counts[1][static_cast<int>(Rating::kCompetent)] = 10;
  EXPECT_FALSE(t.Failed(p));  // exactly half
  t.counts[0][static_cast<int>(Rating::kIncompetent)] = 1;
  EXPECT_TRUE(t.Failed(p));
  EXPECT_FALSE(Tally{}.Failed(p));
}

TEST(ReviewBallots, ABoxComesBackFromVotersAndCounts) {
  BallotBox box(7);
  CastMany(box, "r", 2, VoterKind::kResident, Rating::kCompetent);
  ASSERT_TRUE(box.Cast("p0", VoterKind::kPartyMember, Rating::kExcellent).ok());
  EXPECT_EQ(box.Voters(), (std::vector<std::string>{"p0", "r0", "r1"}));
  auto back = BallotBox::Restore(7, box.Voters(), box.tally(), false);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->tally().counts, box.tally().counts);
  EXPECT_TRUE(Fails(back->Cast("r1", VoterKind::kResident, Rating::kIncompetent),
                    Code::kAlreadyExists, "already voted"));
  EXPECT_TRUE(back->Cast("r2", VoterKind::kResident, Rating::kIncompetent).ok());
  auto closed = BallotBox::Restore(7, box.Voters(), box.tally(), true);
  ASSERT_TRUE(closed.ok());
  EXPECT_TRUE(Fails(closed->Cast("r9", VoterKind::kResident, Rating::kCompetent),
                    Code::kFailedPrecondition, "closed"));
  EXPECT_TRUE(Fails(BallotBox::Restore(7, {"p0", "r0"}, box.tally(), false).status(),
                    Code::kInvalidArgument, "tally: 3 ballots for 2 voters"));
  EXPECT_TRUE(Fails(BallotBox::Restore(7, {"p0", "r0", "r0"}, box.tally(), false).status(),
                    Code::kInvalidArgument, "voters: a voter is listed twice"));
  EXPECT_TRUE(Fails(BallotBox::Restore(7, {"p0", "", "r0"}, box.tally(), false).status(),
                    Code::kInvalidArgument, "voters: an empty voter id"));
}

}  // namespace
}  // namespace shequ::domain::reviews
