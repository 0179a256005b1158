#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/core/calendar.h"
#include "daemon/domain/reviews/policy.h"
#include "daemon/domain/reviews/rating.h"

// After sign-off (domain.md §4): the results are published for a notice period (公示) counted in
// working days of the district calendar; a worker may appeal (申诉) to the leading group until
// the appeal deadline; the leading group's decision is final. Pure over dates ("YYYY-MM-DD")
// and the calendar.
namespace shequ::domain::reviews {

struct Publication {
  std::string published;     // the day the results went up
  std::string notice_until;  // the notice's last day: the notice_working_days-th working day after
  std::string appeal_until;  // the last day an appeal is accepted
};

// INVALID_ARGUMENT naming published_on when it is not a date.
absl::StatusOr<Publication> Publish(std::string_view published_on, const WorkCalendar& calendar,
                                    const ReviewPolicy& policy);

enum class AppealState { kNone, kFiled, kUpheld, kRejected };
// none, filed, upheld, rejected (the API's and the store's spelling).
std::string_view AppealStateName(AppealState s);

// One worker's published result and its appeal.
struct Outcome {
  int64_t worker_id = 0;
  Rating rating = Rating::kNotRated;
  std::vector<std::string> reasons;
  AppealState appeal = AppealState::kNone;
  std::string appeal_filed_on;
  std::string appeal_grounds;
  std::string appeal_decided_on;
  std::string appeal_decision;  // the leading group's reasons
  std::optional<Rating> rating_before_appeal;
};

// The published result of a calibrated worker, or of one not rated with its reason.
Outcome OutcomeOf(const RatingResult& result);
Outcome NotRatedOutcome(int64_t worker_id, std::string reason);

// Files the worker's appeal on `filed_on`. INVALID_ARGUMENT naming the field for a bad date or
// empty grounds; FAILED_PRECONDITION before publication or after the deadline; ALREADY_EXISTS
// when an appeal was filed already (one per worker per year; a decided one is final).
absl::Status FileAppeal(Outcome& outcome, const Publication& publication, std::string_view filed_on,
                        std::string grounds);

// The leading group's decision on a filed appeal: upheld with the rating it sets, or rejected.
// INVALID_ARGUMENT naming the field (a decision needs reasons; upheld needs a rating other than
// the published one); FAILED_PRECONDITION when no appeal is pending (a decision is final).
absl::Status DecideAppeal(Outcome& outcome, bool upheld, std::optional<Rating> rating,
                          std::string reasons, std::string_view decided_on);

// The result is final on `today`: its appeal was decided, or none was filed and the deadline
// has passed.
bool IsFinal(const Outcome& outcome, const Publication& publication, std::string_view today);

}  // namespace shequ::domain::reviews
