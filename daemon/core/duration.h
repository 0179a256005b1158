#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "daemon/core/calendar.h"

namespace shequ {

// A span of time in a definition (`due: 5wd`, `after: P30D`). Exactly one part is non-zero, or
// both are zero: working days depend on the calendar, so they are kept apart from fixed time.
struct Duration {
  int64_t ms = 0;
  int working_days = 0;

  bool IsZero() const { return ms == 0 && working_days == 0; }
  friend bool operator==(const Duration&, const Duration&) = default;
};

// Accepts, with an optional leading sign:
//   "5wd", "-2wd", "+1wd"      working days (on the WorkCalendar)
//   "0"                        zero
//   "P3D", "P2W", "PT4H", "P1DT2H30M", "PT90S", "PT0.5S", "-PT1H"   ISO 8601 (weeks, days,
//                              hours, minutes, seconds with up to 3 decimals; D is 24 hours)
// Refuses years and months (no fixed length), fractions other than of seconds, and anything else,
// quoting the text in the error.
absl::StatusOr<Duration> ParseDuration(std::string_view text);

// from_ms plus the duration; working days via calendar.AddWorkingDays. Saturates instead of
// overflowing.
int64_t ApplyDuration(int64_t from_ms, const Duration& d, const WorkCalendar& calendar);

// "5wd", "-2wd", "0", "P1DT2H30M", "-PT1H", "PT0.5S"; ParseDuration reads it back to the same
// value.
std::string FormatDuration(const Duration& d);

}  // namespace shequ
