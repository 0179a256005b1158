#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daemon/domain/reviews/policy.h"

// Democratic appraisal (民主评议, domain.md §4, seed 000): party members and residents'
// representatives vote on a worker after the worker's report (述职). Each voter votes once per
// worker; the minimum ballots and the minimum share of residents' representatives come from the
// policy. Ballots are secret: the box keeps who has voted and, apart from that, how many ballots
// of each kind chose each rating — never which voter chose what. The worker and the street office
// see the tally only.
namespace shequ::domain::reviews {

// Counts of one worker's appraisal, with no voter identities.
struct Tally {
  // counts[kind][choice]: kind by VoterKind, choice by Rating (excellent … incompetent).
  std::array<std::array<int, 4>, 2> counts{};

  int Ballots() const;
  int Ballots(VoterKind kind) const;
  int Choosing(Rating choice) const;
  // Share of the ballots from residents' representatives, in thousandths rounded down (0 if none).
  Milli ResidentShare() const;
  // The average points of the ballots, to one decimal (half up); 0 with no ballots.
  Tenths Score(const ReviewPolicy& policy) const;
  // Why the appraisal does not count yet ("" when it does): too few ballots, or too few from
  // residents' representatives.
  std::string Shortfall(const ReviewPolicy& policy) const;
  bool Valid(const ReviewPolicy& policy) const { return Shortfall(policy).empty(); }
  // More "incompetent" ballots than the policy's fail share (评议不合格).
  bool Failed(const ReviewPolicy& policy) const;
};

// One worker's ballot box. Not thread-safe; the owner serialises calls.
class BallotBox {
 public:
  explicit BallotBox(int64_t worker_id) : worker_id_(worker_id) {}
  // A box as stored: who has voted and the counts (a store keeps exactly these two, never a
  // voter beside a choice). INVALID_ARGUMENT when the counts do not match the voters, or a voter
  // is empty or listed twice.
  static absl::StatusOr<BallotBox> Restore(int64_t worker_id, std::vector<std::string> voters,
                                           const Tally& tally, bool closed);

  // Casts `voter_id`'s ballot. INVALID_ARGUMENT naming the field for an empty voter id or a
  // choice that is not a rating (kNotRated); FAILED_PRECONDITION once the box is closed;
  // ALREADY_EXISTS when the voter has voted on this worker.
  absl::Status Cast(std::string_view voter_id, VoterKind kind, Rating choice);
  // Closes the box: no ballot after this. Answers the tally.
  Tally Close();

  bool HasVoted(std::string_view voter_id) const;
  // Who has voted, sorted (for storing the box; says nothing of their choices).
  std::vector<std::string> Voters() const;
  bool closed() const { return closed_; }
  int64_t worker_id() const { return worker_id_; }
  const Tally& tally() const { return tally_; }

 private:
  int64_t worker_id_;
  bool closed_ = false;
  std::unordered_set<std::string> voted_;  // who voted: not linked to what they chose
  Tally tally_;
};

}  // namespace shequ::domain::reviews
