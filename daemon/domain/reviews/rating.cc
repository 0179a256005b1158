#include "daemon/domain/reviews/rating.h"

#include <algorithm>
#include <set>

#include "daemon/core/status.h"

namespace shequ::domain::reviews {
namespace {

using workforce::ChineseName;
using workforce::EnglishName;

std::string N(int64_t v) { return std::to_string(v); }

std::string Named(Rating r) {
  return std::string(EnglishName(r)) + " (" + std::string(ChineseName(r)) + ")";
}

absl::Status CheckScore(std::string_view field, int64_t worker_id, Tenths v) {
  if (v < 0 || v > kMaxScore) {
    return absl::InvalidArgumentError("worker " + N(worker_id) + ": " + std::string(field) + ": " +
                                      FormatTenths(v) + " is outside 0–100");
  }
  return absl::OkStatus();
}

void AddMissing(const ReviewSheet& s, const ReviewPolicy& policy, std::vector<Missing>& out) {
  if (!s.self_report) out.push_back({s.worker_id, "self_report", "no report (述职) recorded"});
  if (!s.appraisal) {
    out.push_back({s.worker_id, "appraisal", "the democratic appraisal is not closed"});
  } else if (std::string why = s.appraisal->Shortfall(policy); !why.empty()) {
    out.push_back({s.worker_id, "appraisal", why});
  }
  if (!s.satisfaction) out.push_back({s.worker_id, "satisfaction", "no resident satisfaction"});
  if (!s.target) out.push_back({s.worker_id, "target", "no target assessment score"});
  if (!s.unexcused_absence_days) {
    out.push_back({s.worker_id, "attendance", "no attendance record for the year"});
  }
}

// A street of hundreds of workers can miss hundreds of items: the message names the first ones
// (an error travels in a gRPC trailer, which has a size limit) and counts the rest.
constexpr size_t kMaxListed = 20;

absl::Status MissingError(const std::vector<Missing>& missing) {
  std::string msg = "scores missing: ";
  for (size_t i = 0; i < missing.size() && i < kMaxListed; ++i) {
    if (i > 0) msg += "; ";
    msg += "worker " + N(missing[i].worker_id) + " " + missing[i].item + " (" + missing[i].detail +
           ")";
  }
  if (missing.size() > kMaxListed) msg += "; … and " + N(missing.size() - kMaxListed) + " more";
  return absl::FailedPreconditionError(msg);
}

Tenths TieValue(const RatingResult& r, CapTieKey key) {
  switch (key) {
    case CapTieKey::kTarget:
      return r.target;
    case CapTieKey::kSatisfaction:
      return r.satisfaction;
    case CapTieKey::kAppraisal:
      return r.appraisal;
    case CapTieKey::kWorkerId:
      break;
  }
  return 0;
}

}  // namespace

// Tenths × thousandths: four decimal places of a point.
std::string FormatComposite(Composite c) { return FormatFixed(c, 4); }

std::vector<Missing> MissingItems(const std::vector<ReviewSheet>& sheets,
                                  const ReviewPolicy& policy) {
  std::vector<Missing> out;
  for (const ReviewSheet& s : sheets) AddMissing(s, policy, out);
  return out;
}

absl::Status CheckComplete(const std::vector<ReviewSheet>& sheets, const ReviewPolicy& policy) {
  const std::vector<Missing> missing = MissingItems(sheets, policy);
  return missing.empty() ? absl::OkStatus() : MissingError(missing);
}

Composite CompositeOf(Tenths appraisal, Tenths satisfaction, Tenths target,
                      const ReviewPolicy& policy) {
  return appraisal * policy.weight_appraisal + satisfaction * policy.weight_satisfaction +
         target * policy.weight_target;
}

Rating RatingFor(Composite c, const ReviewPolicy& policy) {
  if (c >= policy.excellent_from * kCompositePerTenth) return Rating::kExcellent;
  if (c >= policy.competent_from * kCompositePerTenth) return Rating::kCompetent;
  if (c >= policy.basically_competent_from * kCompositePerTenth) {
    return Rating::kBasicallyCompetent;
  }
  return Rating::kIncompetent;
}

absl::StatusOr<RatingResult> RateWorker(const ReviewSheet& s, const ReviewPolicy& policy) {
  std::vector<Missing> missing;
  AddMissing(s, policy, missing);
  if (!missing.empty()) return MissingError(missing);
  RETURN_IF_ERROR(CheckScore("satisfaction", s.worker_id, *s.satisfaction));
  RETURN_IF_ERROR(CheckScore("target", s.worker_id, *s.target));
  if (*s.unexcused_absence_days < 0) {
    return absl::InvalidArgumentError("worker " + N(s.worker_id) +
                                      ": unexcused_absence_days: must be ≥ 0");
  }

  RatingResult r;
  r.worker_id = s.worker_id;
  r.appraisal = s.appraisal->Score(policy);
  r.satisfaction = *s.satisfaction;
  r.target = *s.target;
  r.composite = CompositeOf(r.appraisal, r.satisfaction, r.target, policy);
  r.by_score = r.rating = RatingFor(r.composite, policy);
  r.appraisal_failed = s.appraisal->Failed(policy);
  r.grave_error = s.grave_error;

  auto incompetent = [&](std::string why) {
    r.rating = Rating::kIncompetent;
    r.reasons.push_back(std::move(why));
  };
  if (r.satisfaction < policy.satisfaction_floor) {
    incompetent("resident satisfaction " + FormatTenths(r.satisfaction) + " is below the floor " +
                FormatTenths(policy.satisfaction_floor));
  }
  if (*s.unexcused_absence_days > policy.max_unexcused_absence_days) {
    incompetent(N(*s.unexcused_absence_days) + " days of unexcused absence, more than " +
                N(policy.max_unexcused_absence_days));
  }
  if (!s.grave_error.empty()) incompetent("grave error (重大失误): " + s.grave_error);
  if (r.appraisal_failed && policy.failed_appraisal_incompetent) {
    incompetent(
        "failed the democratic appraisal: " + N(s.appraisal->Choosing(Rating::kIncompetent)) +
        " of " + N(s.appraisal->Ballots()) + " ballots incompetent");
  }
  return r;
}

absl::StatusOr<std::vector<RatingResult>> Calibrate(const std::vector<ReviewSheet>& sheets,
                                                    const ReviewPolicy& policy) {
  RETURN_IF_ERROR(CheckComplete(sheets, policy));
  std::set<int64_t> ids;
  std::vector<RatingResult> results;
  results.reserve(sheets.size());
  for (const ReviewSheet& s : sheets) {
    if (!ids.insert(s.worker_id).second) {
      return absl::InvalidArgumentError("worker " + N(s.worker_id) + " is listed twice");
    }
    ASSIGN_OR_RETURN(RatingResult r, RateWorker(s, policy));
    results.push_back(std::move(r));
  }

  const std::optional<int> places = policy.ExcellentPlaces(static_cast<int>(results.size()));
  if (!places) return results;
  std::vector<RatingResult*> excellent;
  for (RatingResult& r : results) {
    if (r.rating == Rating::kExcellent) excellent.push_back(&r);
  }
  if (static_cast<int>(excellent.size()) <= *places) return results;
  std::sort(excellent.begin(), excellent.end(), [&](const RatingResult* a, const RatingResult* b) {
    if (a->composite != b->composite) return a->composite > b->composite;
    for (CapTieKey k : policy.cap_tie_break) {
      if (k == CapTieKey::kWorkerId) return a->worker_id < b->worker_id;
      if (TieValue(*a, k) != TieValue(*b, k)) return TieValue(*a, k) > TieValue(*b, k);
    }
    return a->worker_id < b->worker_id;
  });
  for (size_t i = *places; i < excellent.size(); ++i) {
    RatingResult& r = *excellent[i];
    r.rating = Rating::kCompetent;
    r.reasons.push_back("excellent cap of the street: " + N(*places) + " places for " +
                        N(static_cast<int64_t>(results.size())) + " rated (share " +
                        FormatMilli(*policy.excellent_cap_share) + "); ranked " +
                        N(static_cast<int64_t>(i + 1)) + " of " +
                        N(static_cast<int64_t>(excellent.size())) + " excellent");
  }
  return results;
}

absl::Status CheckSignOff(const std::vector<ReviewSheet>& sheets,
                          const std::vector<RatingResult>& results, const ReviewPolicy& policy) {
  ASSIGN_OR_RETURN(const std::vector<RatingResult> expected, Calibrate(sheets, policy));
  if (expected.size() != results.size()) {
    return absl::FailedPreconditionError("the results list " + N(results.size()) +
                                         " workers, the cycle " + N(expected.size()) +
                                         ": calibrate again");
  }
  for (size_t i = 0; i < expected.size(); ++i) {
    const RatingResult& want = expected[i];
    const RatingResult& got = results[i];
    if (got.worker_id != want.worker_id || got.rating != want.rating ||
        got.composite != want.composite) {
      return absl::FailedPreconditionError("worker " + N(want.worker_id) +
                                           ": the results differ from the scores now recorded (" +
                                           Named(want.rating) + "): calibrate again");
    }
  }
  return absl::OkStatus();
}

}  // namespace shequ::domain::reviews
