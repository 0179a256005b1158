#include "daemon/core/duration.h"

#include <limits>
#include <type_traits>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "daemon/core/strings.h"

namespace shequ {
namespace {

constexpr int64_t kMsPerSecond = 1000;

constexpr int64_t kMsPerMinute = 60 * kMsPerSecond;
constexpr int64_t kMsPerHour = 60 * kMsPerMinute;
constexpr int64_t kMsPerDay = 24 * kMsPerHour;
constexpr int64_t kMsPerWeek = 7 * kMsPerDay;

constexpr std::string_view kAccepted =
    "expected working days like \"5wd\" or \"-2wd\", an ISO 8601 duration like \"P3D\", "
    "\"PT4H\", \"P1DT2H30M\", \"P2W\" or \"-PT1H\", or \"0\"";

absl::Status Invalid(std::string_view text, std::string_view why) {
  return absl::InvalidArgumentError(Cat("invalid duration \"", text, "\": ", why));
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Reads digits at s[*pos] into *value; false on none or overflow.
bool ReadDigits(std::string_view s, size_t* pos, int64_t* value) {
  const size_t start = *pos;
  int64_t v = 0;
  while (*pos < s.size() && IsDigit(s[*pos])) {
    if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, s[*pos] - '0', &v)) {
      return false;
    }
    ++*pos;
  }
  *value = v;
  return *pos > start;
}

// The part after 'P' of an ISO 8601 duration, without sign. Returns milliseconds.
absl::StatusOr<int64_t> ParseIso(std::string_view full, std::string_view s) {
  // Designators in the order they must appear; months/years are caught separately.
  struct Unit {
    char designator;
    bool time;  // after 'T'
    int64_t ms;
  };
  static constexpr Unit kUnits[] = {{'W', false, kMsPerWeek},
                                    {'D', false, kMsPerDay},
                                    {'H', true, kMsPerHour},
                                    {'M', true, kMsPerMinute},
                                    {'S', true, kMsPerSecond}};
  size_t pos = 1;  // past 'P'
  size_t next_unit = 0;
  bool in_time = false;
  bool any = false;
  bool any_time = false;
  int64_t total = 0;
  while (pos < s.size()) {
    if (s[pos] == 'T') {
      if (in_time) return Invalid(full, "'T' appears twice");
      in_time = true;
      ++pos;
      while (next_unit < std::size(kUnits) && !kUnits[next_unit].time) ++next_unit;
      continue;
    }
    int64_t value = 0;
    if (!ReadDigits(s, &pos, &value)) {
      if (pos < s.size() && IsDigit(s[pos])) return Invalid(full, "number too large");
      return Invalid(full, kAccepted);
    }
    int64_t fraction_ms = 0;
    bool has_fraction = false;
    if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
      has_fraction = true;
      ++pos;
      int digits = 0;
      int64_t scale = 100;
      while (pos < s.size() && IsDigit(s[pos])) {
        if (++digits > 3) return Invalid(full, "at most millisecond precision (3 decimals)");
        fraction_ms += (s[pos] - '0') * scale;
        scale /= 10;
        ++pos;
      }
      if (digits == 0) return Invalid(full, "a decimal point must be followed by digits");
    }
    if (pos >= s.size()) return Invalid(full, "a number must be followed by a unit");
    const char designator = s[pos++];
    if (!in_time && (designator == 'Y' || designator == 'M')) {
      return Invalid(full,
                     "years and months have no fixed length; use days (\"P365D\") or working "
                     "days (\"250wd\")");
    }
    if (!in_time && (designator == 'H' || designator == 'S')) {
      return Invalid(full, "hours, minutes and seconds go after 'T', e.g. \"PT4H\"");
    }
    if (in_time && (designator == 'W' || designator == 'D')) {
      return Invalid(full, "weeks and days go before 'T', e.g. \"P1DT2H\"");
    }
    size_t u = next_unit;
    while (u < std::size(kUnits) &&
           !(kUnits[u].designator == designator && kUnits[u].time == in_time)) {
      ++u;
    }
    if (u == std::size(kUnits)) {
      bool known = false;
      for (const Unit& unit : kUnits)
        known |= unit.designator == designator && unit.time == in_time;
      if (known) return Invalid(full, "units must appear once each, in the order W D T H M S");
      return Invalid(full,
                     Cat("unknown unit '", std::string_view(&s[pos - 1], 1), "'; ", kAccepted));
    }
    if (has_fraction && kUnits[u].designator != 'S') {
      return Invalid(full, "only seconds may have a fraction (e.g. \"PT1.5S\")");
    }
    int64_t part = 0;
    if (__builtin_mul_overflow(value, kUnits[u].ms, &part) ||
        __builtin_add_overflow(part, fraction_ms, &part) ||
        __builtin_add_overflow(total, part, &total)) {
      return Invalid(full, "too large");
    }
    next_unit = u + 1;
    any = true;
    any_time |= in_time;
  }
  if (in_time && !any_time)
    return Invalid(full, "'T' must be followed by hours, minutes or seconds");
  if (!any) return Invalid(full, "no amount after 'P'; expected e.g. \"P3D\" or \"PT4H\"");
  return total;
}

}  // namespace

absl::StatusOr<Duration> ParseDuration(std::string_view text) {
  const absl::string_view trimmed = absl::StripAsciiWhitespace(Sv(text));
  const std::string_view s0(trimmed.data(), trimmed.size());
  if (s0.empty()) return Invalid(text, Cat("empty; ", kAccepted));
  std::string_view s = s0;
  bool negative = false;
  if (s[0] == '+' || s[0] == '-') {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  Duration d;
  if (s == "0") return d;
  if (s.size() > 2 && s.substr(s.size() - 2) == "wd") {
    size_t pos = 0;
    int64_t n = 0;
    const std::string_view digits = s.substr(0, s.size() - 2);
    if (!ReadDigits(digits, &pos, &n) || pos != digits.size()) {
      if (pos == digits.size()) return Invalid(text, "number too large");
      return Invalid(text, kAccepted);
    }
    if (n > std::numeric_limits<int>::max()) return Invalid(text, "number too large");
    d.working_days = static_cast<int>(negative ? -n : n);
    return d;
  }
  if (!s.empty() && s[0] == 'P') {
    auto ms = ParseIso(text, s);
    if (!ms.ok()) return ms.status();
    d.ms = negative ? -*ms : *ms;
    return d;
  }
  return Invalid(text, kAccepted);
}

int64_t ApplyDuration(int64_t from_ms, const Duration& d, const WorkCalendar& calendar) {
  int64_t out = calendar.AddWorkingDays(from_ms, d.working_days);
  if (__builtin_add_overflow(out, d.ms, &out)) {
    out = d.ms > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
  }
  return out;
}

std::string FormatDuration(const Duration& d) {
  std::string out;
  if (d.working_days != 0) absl::StrAppend(&out, d.working_days, "wd");
  if (d.ms != 0) {
    if (!out.empty()) out += d.ms < 0 ? " " : " +";  // not a valid Duration; still say it all
    // Unsigned so that INT64_MIN negates safely.
    uint64_t rest = d.ms < 0 ? 0 - static_cast<uint64_t>(d.ms) : static_cast<uint64_t>(d.ms);
    if (d.ms < 0) out += '-';
    out += 'P';
    const uint64_t days = rest / kMsPerDay;
    rest %= kMsPerDay;
    if (days > 0) absl::StrAppend(&out, days, "D");
    if (rest > 0) {
      out += 'T';
      const uint64_t hours = rest / kMsPerHour;
      const uint64_t minutes = rest % kMsPerHour / kMsPerMinute;
      const uint64_t seconds = rest % kMsPerMinute / kMsPerSecond;
      const uint64_t millis = rest % kMsPerSecond;
      if (hours > 0) absl::StrAppend(&out, hours, "H");
      if (minutes > 0) absl::StrAppend(&out, minutes, "M");
      if (seconds > 0 || millis > 0) {
        absl::StrAppend(&out, seconds);
        if (millis > 0) {
          std::string frac = Cat(absl::Dec(millis, absl::kZeroPad3));
          while (frac.back() == '0') frac.pop_back();
          absl::StrAppend(&out, ".", frac);
        }
        out += 'S';
      }
    }
  }
  if (out.empty()) return std::string("0");
  return out;
}

}  // namespace shequ
