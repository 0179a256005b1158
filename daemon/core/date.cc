#include "daemon/core/date.h"

#include "absl/strings/numbers.h"
#include "daemon/core/strings.h"

namespace shequ::date {
namespace {

namespace chr = std::chrono;

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

chr::year_month_day Clamp(chr::year_month_day d) {
  return d.ok() ? d : chr::year_month_day(chr::year_month_day_last(d.year(),
                                                                   chr::month_day_last(d.month())));
}

}  // namespace

std::optional<chr::year_month_day> Parse(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  int y = 0, m = 0, d = 0;
  if (!AllDigits(s.substr(0, 4)) || !AllDigits(s.substr(5, 2)) || !AllDigits(s.substr(8, 2)) ||
      !absl::SimpleAtoi(Sv(s.substr(0, 4)), &y) || !absl::SimpleAtoi(Sv(s.substr(5, 2)), &m) ||
      !absl::SimpleAtoi(Sv(s.substr(8, 2)), &d)) {
    return std::nullopt;
  }
  const chr::year_month_day ymd =
      chr::year(y) / chr::month(static_cast<unsigned>(m)) / chr::day(static_cast<unsigned>(d));
  if (!ymd.ok()) return std::nullopt;
  return ymd;
}

bool IsValid(std::string_view text) { return Parse(text).has_value(); }

std::string Format(chr::year_month_day d) {
  return Cat(absl::Dec(static_cast<int>(d.year()), absl::kZeroPad4), "-",
             absl::Dec(static_cast<unsigned>(d.month()), absl::kZeroPad2), "-",
             absl::Dec(static_cast<unsigned>(d.day()), absl::kZeroPad2));
}

std::string AddDays(std::string_view date, int days) {
  auto d = Parse(date);
  if (!d) return std::string(date);
  return Format(chr::year_month_day(chr::sys_days(*d) + chr::days(days)));
}

std::string AddMonths(std::string_view date, int months) {
  auto d = Parse(date);
  if (!d) return std::string(date);
  return Format(Clamp(*d + chr::months(months)));
}

std::string AddYears(std::string_view date, int years) {
  auto d = Parse(date);
  if (!d) return std::string(date);
  return Format(Clamp(*d + chr::years(years)));
}

int FullYearsBetween(std::string_view from, std::string_view to) {
  auto a = Parse(from), b = Parse(to);
  if (!a || !b) return 0;
  int years = static_cast<int>(b->year()) - static_cast<int>(a->year());
  const auto md = [](chr::year_month_day d) {
    return static_cast<unsigned>(d.month()) * 100 + static_cast<unsigned>(d.day());
  };
  if (years > 0 && md(*b) < md(*a)) --years;
  if (years < 0 && md(*b) > md(*a)) ++years;
  return years;
}

}  // namespace shequ::date
