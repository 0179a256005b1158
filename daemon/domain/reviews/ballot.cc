#include "daemon/domain/reviews/ballot.h"

#include <algorithm>

namespace shequ::domain::reviews {
namespace {
std::string N(int64_t v) { return std::to_string(v); }
}  // namespace

int Tally::Ballots() const {
  return Ballots(VoterKind::kPartyMember) + Ballots(VoterKind::kResident);
}

int Tally::Ballots(VoterKind kind) const {
  int n = 0;
  for (int c : counts[static_cast<int>(kind)]) n += c;
  return n;
}

int Tally::Choosing(Rating choice) const {
  const int i = static_cast<int>(choice);
  if (i < 0 || i >= 4) return 0;
  return counts[0][i] + counts[1][i];
}

Milli Tally::ResidentShare() const {
  const int total = Ballots();
  if (total == 0) return 0;
  return int64_t{Ballots(VoterKind::kResident)} * kWhole / total;
}

Tenths Tally::Score(const ReviewPolicy& policy) const {
  const int total = Ballots();
  if (total == 0) return 0;
  int64_t sum = 0;
  for (int i = 0; i < 4; ++i) sum += int64_t{Choosing(static_cast<Rating>(i))} * policy.points[i];
  return (2 * sum + total) / (2 * total);  // half up
}

std::string Tally::Shortfall(const ReviewPolicy& policy) const {
  const int total = Ballots();
  if (total < policy.min_ballots) {
    return N(total) + " ballots, the policy needs " + N(policy.min_ballots);
  }
  // Exact: residents × 1000 ≥ share × total, with no rounding of the share.
  const int residents = Ballots(VoterKind::kResident);
  if (int64_t{residents} * kWhole < policy.min_resident_share * total) {
    return N(residents) + " of " + N(total) +
           " ballots from residents' representatives, the policy needs a share of " +
           FormatMilli(policy.min_resident_share);
  }
  return "";
}

bool Tally::Failed(const ReviewPolicy& policy) const {
  const int total = Ballots();
  return total > 0 &&
         int64_t{Choosing(Rating::kIncompetent)} * kWhole > policy.appraisal_fail_share * total;
}

absl::Status BallotBox::Cast(std::string_view voter_id, VoterKind kind, Rating choice) {
  if (voter_id.empty()) return absl::InvalidArgumentError("voter_id: required");
  if (choice == Rating::kNotRated) {
    return absl::InvalidArgumentError("choice: not_rated is not a ballot choice");
  }
  if (closed_) {
    return absl::FailedPreconditionError("the appraisal of worker " + N(worker_id_) + " is closed");
  }
  if (!voted_.insert(std::string(voter_id)).second) {
    return absl::AlreadyExistsError("voter_id: this voter has already voted on worker " +
                                    N(worker_id_));
  }
  ++tally_.counts[static_cast<int>(kind)][static_cast<int>(choice)];
  return absl::OkStatus();
}

Tally BallotBox::Close() {
  closed_ = true;
  return tally_;
}

absl::StatusOr<BallotBox> BallotBox::Restore(int64_t worker_id, std::vector<std::string> voters,
                                             const Tally& tally, bool closed) {
  BallotBox box(worker_id);
  for (const auto& kind : tally.counts) {
    for (int c : kind) {
      if (c < 0) return absl::InvalidArgumentError("tally: a count is negative");
    }
  }
  if (tally.Ballots() != static_cast<int>(voters.size())) {
    return absl::InvalidArgumentError("tally: " + N(tally.Ballots()) + " ballots for " +
                                      N(static_cast<int64_t>(voters.size())) + " voters");
  }
  for (std::string& v : voters) {
    if (v.empty()) return absl::InvalidArgumentError("voters: an empty voter id");
    if (!box.voted_.insert(std::move(v)).second) {
      return absl::InvalidArgumentError("voters: a voter is listed twice");
    }
  }
  box.tally_ = tally;
  box.closed_ = closed;
  return box;
}

std::vector<std::string> BallotBox::Voters() const {
  std::vector<std::string> out(voted_.begin(), voted_.end());
  std::sort(out.begin(), out.end());
  return out;
}

bool BallotBox::HasVoted(std::string_view voter_id) const {
  return voted_.count(std::string(voter_id)) > 0;
}

}  // namespace shequ::domain::reviews
