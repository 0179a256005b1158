#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/domain/reviews/ballot.h"
#include "daemon/domain/reviews/policy.h"

// One year's rating of the workers of a street office's cycle (domain.md §4): the composite of
// the democratic appraisal, resident satisfaction and the street office's target assessment
// with the policy's weights; the rating by the policy's thresholds; the overriding rules; the
// excellent cap per street. Pure: the scores come in as values.
namespace shequ::domain::reviews {

// Composites are exact: tenths of a point × weights in thousandths, i.e. 1/10000 of a point
// (87.5 × 0.4 is 350000).
using Composite = int64_t;
inline constexpr Composite kCompositePerTenth = kWhole;
std::string FormatComposite(Composite c);  // 875000 → "87.5", 873333 → "87.3333"

// What the cycle holds of one rated worker.
struct ReviewSheet {
  int64_t worker_id = 0;
  bool self_report = false;                   // the report (述职) was given
  std::optional<Tally> appraisal;             // the closed ballot box's tally
  std::optional<Tenths> satisfaction;         // resident satisfaction, 0–100
  std::optional<Tenths> target;               // the street office's target assessment, 0–100
  std::optional<int> unexcused_absence_days;  // attendance record of the year
  std::string grave_error;  // a recorded grave error (重大失误): what it was; "" for none
};

// Something that keeps a worker's rating from being calculated.
struct Missing {
  int64_t worker_id = 0;
  std::string item;    // self_report, appraisal, satisfaction, target, attendance
  std::string detail;  // e.g. "12 ballots, the policy needs 15"
};
// What is missing or not yet valid on each sheet, in sheet order then item order.
std::vector<Missing> MissingItems(const std::vector<ReviewSheet>& sheets,
                                  const ReviewPolicy& policy);
// FAILED_PRECONDITION listing every missing item (what calibration and sign-off answer), or OK.
absl::Status CheckComplete(const std::vector<ReviewSheet>& sheets, const ReviewPolicy& policy);

// The rating of one worker, with its reasons.
struct RatingResult {
  int64_t worker_id = 0;
  Tenths appraisal = 0;
  Tenths satisfaction = 0;
  Tenths target = 0;
  Composite composite = 0;
  Rating by_score = Rating::kIncompetent;  // from the composite alone
  Rating rating = Rating::kIncompetent;    // after overrides and the cap
  bool appraisal_failed = false;           // 评议不合格 (advised to resign)
  std::string grave_error;
  std::vector<std::string> reasons;  // every override or cap that changed the rating, in order
};

// The composite of three scores (each 0–100, in tenths) with the policy's weights.
Composite CompositeOf(Tenths appraisal, Tenths satisfaction, Tenths target,
                      const ReviewPolicy& policy);
// The rating a composite reaches: at or above a threshold reaches it.
Rating RatingFor(Composite composite, const ReviewPolicy& policy);

// One worker: composite, rating by score, then the overriding rules (satisfaction below the
// floor, unexcused absence beyond the limit, a grave error, and a failed appraisal when the
// policy says so), each recorded in `reasons`. FAILED_PRECONDITION listing what is missing.
absl::StatusOr<RatingResult> RateWorker(const ReviewSheet& sheet, const ReviewPolicy& policy);

// The whole street's cycle (校准): every worker rated, then the excellent cap. The excellent are
// ordered by composite (higher first), then the policy's tie-break keys; those beyond the cap
// become competent, with the reason. Refused (FAILED_PRECONDITION listing every missing item)
// while any score is missing; INVALID_ARGUMENT for a worker listed twice. Results in sheet order.
absl::StatusOr<std::vector<RatingResult>> Calibrate(const std::vector<ReviewSheet>& sheets,
                                                    const ReviewPolicy& policy);

// Sign-off (审核签字) by the street office: refused like calibration while anything is missing,
// and when the results are not those of calibrating these sheets (FAILED_PRECONDITION naming
// the worker).
absl::Status CheckSignOff(const std::vector<ReviewSheet>& sheets,
                          const std::vector<RatingResult>& results, const ReviewPolicy& policy);

}  // namespace shequ::domain::reviews
