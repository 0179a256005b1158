#pragma once

// Calendar dates as the daemon writes them: "YYYY-MM-DD" text, which sorts and compares as
// text once validated. The one place that parses, formats and moves such dates.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace shequ::date {

// Strict YYYY-MM-DD of a real day: refuses 2026-02-30, 2026-2-3 and " 2026-02-03".
std::optional<std::chrono::year_month_day> Parse(std::string_view text);
bool IsValid(std::string_view text);
std::string Format(std::chrono::year_month_day day);

// `date` moved by whole days, months or years; the end of a shorter month clamps (31 Jan + 1
// month is 28 or 29 Feb, 29 Feb + 1 year is 28 Feb). An invalid `date` comes back unchanged.
std::string AddDays(std::string_view date, int days);
std::string AddMonths(std::string_view date, int months);
std::string AddYears(std::string_view date, int years);

// Whole years from `from` to `to` (both valid); negative when `to` is before `from`, 0 when
// either is invalid.
int FullYearsBetween(std::string_view from, std::string_view to);

}  // namespace shequ::date
