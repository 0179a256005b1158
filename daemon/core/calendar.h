#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace shequ {

// Working-day calendar for China (法定节假日 and 调休). One YAML file per year, see
// config/calendar/2026.yaml:
//
//   year: 2026
//   utc_offset: "+08:00"        # day boundaries are local days in this offset
//   provisional: true           # optional; the official schedule is not yet published
//   holidays: [{date: 2026-01-01, name: 元旦}, ...]   # days off
//   workdays: [{date: 2026-01-04, name: 元旦调休}, ...]  # make-up working days on weekends
//
// A day is a working day if it is a listed make-up workday, else if it is Mon-Fri and not a
// holiday. Years without a file fall back to plain Mon-Fri; Covers() lets the daemon warn.
// Immutable after construction, so it may be shared between threads.
class WorkCalendar {
 public:
  // One calendar file: a name for error messages (the path) and its YAML text.
  struct Source {
    std::string name;
    std::string yaml;
  };

  // Loads every `*.yaml` in `dir` (sorted by name). A missing directory is an error; an empty one
  // gives a Mon-Fri calendar at +08:00.
  static absl::StatusOr<WorkCalendar> LoadDir(const std::string& dir);
  // Builds from in-memory files, with the same checks as LoadDir (for tests and tools).
  static absl::StatusOr<WorkCalendar> FromSources(const std::vector<Source>& sources);
  static absl::StatusOr<WorkCalendar> FromYaml(std::string_view yaml,
                                               std::string_view name = "<yaml>");
  // Mon-Fri only, +08:00, covers no year.
  static WorkCalendar Empty();

  bool IsWorkingDay(std::chrono::year_month_day day) const;
  // The holiday or make-up day's name (e.g. "春节"), or "" for an ordinary day.
  std::string_view DayName(std::chrono::year_month_day day) const;

  // n > 0: the same local time of day on the n-th working day after from's local day;
  // n < 0: the |n|-th working day before it; n == 0: from_ms unchanged. from's own day does not
  // count, whether or not it is a working day.
  int64_t AddWorkingDays(int64_t from_ms, int n) const;

  // The local calendar day containing `ms` (Unix epoch milliseconds).
  std::chrono::year_month_day LocalDay(int64_t ms) const;
  // Unix epoch milliseconds of local midnight starting `day`.
  int64_t StartOfDayMs(std::chrono::year_month_day day) const;

  bool Covers(int year) const;
  bool IsProvisional(int year) const;
  // Covered years, ascending.
  std::vector<int> Years() const;
  // Offset of local time from UTC, in minutes (480 for +08:00).
  int utc_offset_minutes() const { return utc_offset_minutes_; }

 private:
  struct Special {
    bool workday = false;  // else holiday
    std::string name;
  };

  WorkCalendar() = default;
  bool IsWorkingDayNumber(int64_t day) const;

  int utc_offset_minutes_ = 8 * 60;
  std::map<int, bool> years_;  // year -> provisional
  // Day number (days since 1970-01-01) -> holiday or make-up workday.
  std::map<int64_t, Special> specials_;
};

}  // namespace shequ
