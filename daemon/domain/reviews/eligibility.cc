#include "daemon/domain/reviews/eligibility.h"

#include <algorithm>
#include <map>

#include "daemon/core/date.h"
#include "daemon/core/status.h"

namespace shequ::domain::reviews {
namespace {

using workforce::WorkerStatus;

std::string N(int64_t v) { return std::to_string(v); }

absl::Status CheckDate(std::string_view field, std::string_view value, bool required) {
  if (value.empty()) {
    return required ? absl::InvalidArgumentError(std::string(field) + ": required")
                    : absl::OkStatus();
  }
  if (!date::IsValid(value)) {
    return absl::InvalidArgumentError(std::string(field) + ": '" + std::string(value) +
                                      "' is not a date (YYYY-MM-DD)");
  }
  return absl::OkStatus();
}

std::string Later(const std::string& a, const std::string& b) { return a < b ? b : a; }
std::string Earlier(const std::string& a, const std::string& b) { return a < b ? a : b; }

}  // namespace

std::string CycleKey(std::string_view street_unit_id, int year) {
  return std::string(street_unit_id) + "/" + N(year);
}

int WholeMonths(std::string_view from, std::string_view to) {
  if (!date::IsValid(from) || !date::IsValid(to) || to < from) return 0;
  // The day after `to` closes the span: a month counts when the same day of month is reached.
  const std::string end = date::AddDays(to, 1);
  int months = 0;
  while (date::AddMonths(from, months + 1) <= end) ++months;
  return months;
}

absl::StatusOr<Eligibility> EligibilityFor(const ServiceRecord& w, int year,
                                           const ReviewPolicy& policy) {
  RETURN_IF_ERROR(CheckDate("hired_on", w.hired_on, true));
  RETURN_IF_ERROR(CheckDate("left_on", w.left_on, false));
  if (!w.left_on.empty() && w.left_on < w.hired_on) {
    return absl::InvalidArgumentError("left_on: " + w.left_on + " is before hired_on " +
                                      w.hired_on);
  }
  if (w.status == WorkerStatus::kLeft && w.left_on.empty()) {
    return absl::InvalidArgumentError("left_on: required for a worker who has left");
  }
  if (w.home_unit_id.empty()) return absl::InvalidArgumentError("home_unit_id: required");
  for (size_t i = 0; i < w.secondments.size(); ++i) {
    const Secondment& s = w.secondments[i];
    const std::string f = "secondments[" + N(static_cast<int64_t>(i)) + "]";
    if (s.unit_id.empty()) return absl::InvalidArgumentError(f + ".unit_id: required");
    RETURN_IF_ERROR(CheckDate(f + ".from", s.from, true));
    RETURN_IF_ERROR(CheckDate(f + ".until", s.until, false));
    if (!s.until.empty() && s.until < s.from) {
      return absl::InvalidArgumentError(f + ".until: " + s.until + " is before from " + s.from);
    }
    if (s.from < w.hired_on || (!w.left_on.empty() && s.from > w.left_on)) {
      return absl::InvalidArgumentError(f + ".from: " + s.from + " is outside the service");
    }
  }

  const std::string year_start = N(year) + "-01-01", year_end = N(year) + "-12-31";
  const std::string start = Later(w.hired_on, year_start);
  const std::string end = w.left_on.empty() ? year_end : Earlier(w.left_on, year_end);
  Eligibility e;
  e.reviewing_unit_id = w.home_unit_id;
  if (end < start) {
    e.reason = "not on post in " + N(year);
    return e;
  }
  e.months_on_post = WholeMonths(start, end);

  // Months served per body in the year; the body served longest reviews when it reaches the
  // policy's minimum (on equal months, the one served last).
  std::map<std::string, int> months_by_unit;
  std::map<std::string, std::string> last_day_by_unit;
  for (const Secondment& s : w.secondments) {
    const std::string from = Later(s.from, start);
    const std::string until = s.until.empty() ? end : Earlier(s.until, end);
    if (until < from) continue;
    months_by_unit[s.unit_id] += WholeMonths(from, until);
    last_day_by_unit[s.unit_id] = Later(last_day_by_unit[s.unit_id], until);
  }
  const bool seconded_now =
      w.status == WorkerStatus::kSecondedStreet || w.status == WorkerStatus::kSecondedDistrict;
  if (seconded_now && last_day_by_unit.empty()) {
    return absl::InvalidArgumentError(
        "secondments: the worker is seconded but no secondment "
        "falls in " +
        N(year));
  }
  std::string body;
  for (const auto& [unit, months] : months_by_unit) {
    if (body.empty() || months > months_by_unit[body] ||
        (months == months_by_unit[body] && last_day_by_unit[unit] > last_day_by_unit[body])) {
      body = unit;
    }
  }

  e.participation = Participation::kNotRated;
  if (w.status == WorkerStatus::kRetiredInPlace) {
    e.reason = "retired in place (离岗退养)";
    return e;
  }
  if (!w.left_on.empty() && w.left_on <= year_end) {
    e.reason = "left the post on " + w.left_on;
    return e;
  }
  if (e.months_on_post < policy.min_months_on_post) {
    e.reason = "on post " + N(e.months_on_post) + " whole months in " + N(year) + " (hired on " +
               w.hired_on + "); rating needs " + N(policy.min_months_on_post);
    return e;
  }
  e.participation = Participation::kRated;
  if (!body.empty()) {
    const int months = months_by_unit[body];
    if (months >= policy.secondment_min_months) {
      e.reviewing_unit_id = body;
      e.informed_unit_id = w.home_unit_id;
      e.reason = "seconded to " + body + " for " + N(months) + " months of " + N(year) +
                 ": reviewed by the body served, " + w.home_unit_id + " informed";
    } else {
      e.reason = "seconded to " + body + " for " + N(months) + " months of " + N(year) +
                 ", under " + N(policy.secondment_min_months) + ": reviewed at home";
    }
  }
  return e;
}

}  // namespace shequ::domain::reviews
