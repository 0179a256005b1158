#include "daemon/domain/reviews/publication.h"

#include "daemon/core/date.h"
#include "daemon/core/status.h"

namespace shequ::domain::reviews {

std::string_view AppealStateName(AppealState s) {
  switch (s) {
    case AppealState::kFiled: return "filed";
    case AppealState::kUpheld: return "upheld";
    case AppealState::kRejected: return "rejected";
    case AppealState::kNone: break;
  }
  return "none";
}
namespace {

std::string N(int64_t v) { return std::to_string(v); }

std::string AfterWorkingDays(const WorkCalendar& calendar, std::chrono::year_month_day day, int n) {
  return date::Format(calendar.LocalDay(calendar.AddWorkingDays(calendar.StartOfDayMs(day), n)));
}

}  // namespace

absl::StatusOr<Publication> Publish(std::string_view published_on, const WorkCalendar& calendar,
                                    const ReviewPolicy& policy) {
  const auto day = date::Parse(published_on);
  if (!day) {
    return absl::InvalidArgumentError("published_on: '" + std::string(published_on) +
                                      "' is not a date (YYYY-MM-DD)");
  }
  Publication p;
  p.published = date::Format(*day);
  p.notice_until = AfterWorkingDays(calendar, *day, policy.notice_working_days);
  p.appeal_until = AfterWorkingDays(calendar, *day, policy.appeal_working_days);
  return p;
}

Outcome OutcomeOf(const RatingResult& result) {
  Outcome o;
  o.worker_id = result.worker_id;
  o.rating = result.rating;
  o.reasons = result.reasons;
  return o;
}

Outcome NotRatedOutcome(int64_t worker_id, std::string reason) {
  Outcome o;
  o.worker_id = worker_id;
  o.rating = Rating::kNotRated;
  o.reasons.push_back(std::move(reason));
  return o;
}

absl::Status FileAppeal(Outcome& o, const Publication& pub, std::string_view filed_on,
                        std::string grounds) {
  if (!date::IsValid(filed_on)) {
    return absl::InvalidArgumentError("filed_on: '" + std::string(filed_on) +
                                      "' is not a date (YYYY-MM-DD)");
  }
  if (grounds.empty()) return absl::InvalidArgumentError("grounds: required");
  if (o.appeal != AppealState::kNone) {
    return absl::AlreadyExistsError(
        "worker " + N(o.worker_id) + " appealed on " + o.appeal_filed_on +
        (o.appeal == AppealState::kFiled ? "" : "; the leading group's decision is final"));
  }
  if (filed_on < pub.published) {
    return absl::FailedPreconditionError("the results are published on " + pub.published);
  }
  if (filed_on > pub.appeal_until) {
    return absl::FailedPreconditionError("the appeal window closed on " + pub.appeal_until);
  }
  o.appeal = AppealState::kFiled;
  o.appeal_filed_on = std::string(filed_on);
  o.appeal_grounds = std::move(grounds);
  return absl::OkStatus();
}

absl::Status DecideAppeal(Outcome& o, bool upheld, std::optional<Rating> rating,
                          std::string reasons, std::string_view decided_on) {
  if (!date::IsValid(decided_on)) {
    return absl::InvalidArgumentError("decided_on: '" + std::string(decided_on) +
                                      "' is not a date (YYYY-MM-DD)");
  }
  if (reasons.empty()) return absl::InvalidArgumentError("reasons: required");
  if (o.appeal != AppealState::kFiled) {
    return absl::FailedPreconditionError("worker " + N(o.worker_id) +
                                         (o.appeal == AppealState::kNone
                                              ? " has no appeal pending"
                                              : ": the leading group's decision is final"));
  }
  if (decided_on < o.appeal_filed_on) {
    return absl::InvalidArgumentError("decided_on: " + std::string(decided_on) +
                                      " is before the appeal was filed (" + o.appeal_filed_on +
                                      ")");
  }
  if (upheld) {
    if (!rating) return absl::InvalidArgumentError("rating: an upheld appeal sets the rating");
    if (*rating == o.rating) {
      return absl::InvalidArgumentError("rating: the same as published; reject the appeal instead");
    }
    o.rating_before_appeal = o.rating;
    o.rating = *rating;
    o.reasons.push_back("appeal upheld by the leading group on " + std::string(decided_on) + ": " +
                        reasons);
  } else if (rating) {
    return absl::InvalidArgumentError("rating: a rejected appeal keeps the published rating");
  }
  o.appeal = upheld ? AppealState::kUpheld : AppealState::kRejected;
  o.appeal_decided_on = std::string(decided_on);
  o.appeal_decision = std::move(reasons);
  return absl::OkStatus();
}

bool IsFinal(const Outcome& o, const Publication& pub, std::string_view today) {
  switch (o.appeal) {
    case AppealState::kUpheld:
    case AppealState::kRejected:
      return true;
    case AppealState::kFiled:
      return false;
    case AppealState::kNone:
      break;
  }
  return today > pub.appeal_until;
}

}  // namespace shequ::domain::reviews
