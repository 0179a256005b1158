#include "daemon/core/calendar.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>
#include <system_error>
#include <type_traits>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "daemon/core/date.h"
#include "daemon/core/status.h"
#include "daemon/core/strings.h"

namespace shequ {
namespace {

namespace chr = std::chrono;

constexpr int64_t kMsPerDay = 86'400'000;
constexpr int kMinYear = 1900;
constexpr int kMaxYear = 9999;

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

int64_t DayNumber(chr::year_month_day day) { return chr::sys_days(day).time_since_epoch().count(); }

chr::year_month_day FromDayNumber(int64_t day) {
  return chr::year_month_day(chr::sys_days(chr::days(day)));
}

bool IsWeekend(int64_t day) {
  const unsigned wd = chr::weekday(chr::sys_days(chr::days(day))).c_encoding();
  return wd == 0 || wd == 6;
}

std::string FormatOffset(int minutes) {
  const char sign = minutes < 0 ? '-' : '+';
  const int abs = minutes < 0 ? -minutes : minutes;
  return Cat(std::string(1, sign), absl::Dec(abs / 60, absl::kZeroPad2), ":",
             absl::Dec(abs % 60, absl::kZeroPad2));
}

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "+08:00", "-05:30", "+00:00".
bool ParseOffset(std::string_view s, int* minutes) {
  if (s.size() != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':') return false;
  int h = 0, m = 0;
  if (!AllDigits(s.substr(1, 2)) || !AllDigits(s.substr(4, 2)) ||
      !absl::SimpleAtoi(Sv(s.substr(1, 2)), &h) || !absl::SimpleAtoi(Sv(s.substr(4, 2)), &m) ||
      h > 14 || m > 59) {
    return false;
  }
  *minutes = (s[0] == '-' ? -1 : 1) * (h * 60 + m);
  return true;
}

// "file.yaml:12: " — the line helps people find the entry in a long file.
std::string Where(std::string_view file, const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  if (mark.line < 0) return Cat(file, ": ");
  return Cat(file, ":", mark.line + 1, ": ");
}

absl::Status Bad(std::string_view file, const YAML::Node& node, std::string_view what) {
  return absl::InvalidArgumentError(Cat("calendar ", Where(file, node), what));
}

struct ParsedEntry {
  chr::year_month_day date;
  std::string name;
  std::string label;  // "holidays[3] (2026-02-30)" for messages
};

struct ParsedFile {
  int year = 0;
  int utc_offset_minutes = 0;
  bool provisional = false;
  std::vector<ParsedEntry> holidays;
  std::vector<ParsedEntry> workdays;
};

absl::Status ParseEntries(std::string_view file, const YAML::Node& list, std::string_view key,
                          int year, std::vector<ParsedEntry>* out) {
  if (list.IsNull()) return absl::OkStatus();  // "holidays:" with nothing under it
  if (!list.IsSequence()) {
    return Bad(file, list, Cat("'", key, "' must be a list of {date, name} entries"));
  }
  for (size_t i = 0; i < list.size(); ++i) {
    const YAML::Node entry = list[i];
    std::string label = Cat(key, "[", i, "]");
    if (!entry.IsMap()) {
      return Bad(file, entry,
                 Cat(label, ": expected a map like {date: ", year, "-01-01, name: 元旦}"));
    }
    ParsedEntry parsed;
    bool has_date = false;
    for (const auto& kv : entry) {
      const std::string k = kv.first.as<std::string>();
      if (k == "date") {
        if (!kv.second.IsScalar()) return Bad(file, entry, Cat(label, ": bad date"));
        const std::string text = kv.second.Scalar();
        label = Cat(key, "[", i, "] (", text, ")");
        if (auto d = date::Parse(text)) {
          parsed.date = *d;
        } else {
          return Bad(file, entry, Cat(label, ": '", text, "' is not a valid date (YYYY-MM-DD)"));
        }
        has_date = true;
      } else if (k == "name") {
        if (!kv.second.IsScalar()) {
          return Bad(file, entry, Cat(label, ": 'name' must be a string"));
        }
        parsed.name = kv.second.Scalar();
      } else {
        return Bad(file, entry, Cat(label, ": unknown key '", k, "' (expected 'date' and 'name')"));
      }
    }
    if (!has_date) return Bad(file, entry, Cat(label, ": missing 'date'"));
    if (static_cast<int>(parsed.date.year()) != year) {
      return Bad(file, entry, Cat(label, ": date is outside the file's year ", year));
    }
    parsed.label = std::move(label);
    out->push_back(std::move(parsed));
  }
  return absl::OkStatus();
}

absl::StatusOr<ParsedFile> ParseFile(std::string_view file, std::string_view yaml) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(Cat("calendar ", file, ": not valid YAML: ", e.what()));
  }
  if (!root.IsMap()) {
    return absl::InvalidArgumentError(
        Cat("calendar ", file, ": expected a map with 'year', 'utc_offset', 'holidays'"));
  }
  ParsedFile out;
  bool has_year = false;
  bool has_offset = false;
  YAML::Node holidays;
  YAML::Node workdays;
  try {
    for (const auto& kv : root) {
      const std::string key = kv.first.as<std::string>();
      const YAML::Node& value = kv.second;
      if (key == "year") {
        if (!value.IsScalar() || !AllDigits(value.Scalar()) ||
            !absl::SimpleAtoi(Sv(value.Scalar()), &out.year) || out.year < kMinYear ||
            out.year > kMaxYear) {
          return Bad(file, value,
                     Cat("'year' must be a year between ", kMinYear, " and ", kMaxYear));
        }
        has_year = true;
      } else if (key == "utc_offset") {
        if (!value.IsScalar() || !ParseOffset(value.Scalar(), &out.utc_offset_minutes)) {
          return Bad(file, value, "'utc_offset' must look like \"+08:00\"");
        }
        has_offset = true;
      } else if (key == "provisional") {
        if (!value.IsScalar() || (value.Scalar() != "true" && value.Scalar() != "false")) {
          return Bad(file, value, "'provisional' must be true or false");
        }
        out.provisional = value.Scalar() == "true";
      } else if (key == "holidays") {
        holidays = value;
      } else if (key == "workdays") {
        workdays = value;
      } else {
        return Bad(file, kv.first,
                   Cat("unknown key '", key,
                       "' (expected year, utc_offset, provisional, holidays, workdays)"));
      }
    }
    if (!has_year) return Bad(file, root, "missing 'year'");
    if (!has_offset) return Bad(file, root, "missing 'utc_offset' (e.g. \"+08:00\")");
    if (holidays)
      RETURN_IF_ERROR(ParseEntries(file, holidays, "holidays", out.year, &out.holidays));
    if (workdays)
      RETURN_IF_ERROR(ParseEntries(file, workdays, "workdays", out.year, &out.workdays));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(Cat("calendar ", file, ": ", e.what()));
  }
  return out;
}

}  // namespace

absl::StatusOr<WorkCalendar> WorkCalendar::FromSources(const std::vector<Source>& sources) {
  WorkCalendar cal;
  std::map<int, std::string> year_files;
  std::string offset_file;
  for (const Source& src : sources) {
    ASSIGN_OR_RETURN(ParsedFile parsed, ParseFile(src.name, src.yaml));
    if (auto it = year_files.find(parsed.year); it != year_files.end()) {
      return absl::InvalidArgumentError(Cat("calendar ", src.name, ": duplicate year ", parsed.year,
                                            ", already defined in ", it->second));
    }
    // One offset for everything: per-year offsets would make days at year ends ambiguous.
    if (offset_file.empty()) {
      cal.utc_offset_minutes_ = parsed.utc_offset_minutes;
      offset_file = src.name;
    } else if (parsed.utc_offset_minutes != cal.utc_offset_minutes_) {
      return absl::InvalidArgumentError(
          Cat("calendar ", src.name, ": utc_offset ", FormatOffset(parsed.utc_offset_minutes),
              " differs from ", FormatOffset(cal.utc_offset_minutes_), " in ", offset_file,
              "; all calendar files must use the same offset"));
    }
    year_files[parsed.year] = src.name;
    cal.years_[parsed.year] = parsed.provisional;

    std::map<int64_t, std::string> seen;  // day -> label, within this file
    for (bool workday : {false, true}) {
      for (ParsedEntry& e : workday ? parsed.workdays : parsed.holidays) {
        const int64_t day = DayNumber(e.date);
        if (auto it = seen.find(day); it != seen.end()) {
          const bool other_workday = cal.specials_[day].workday;
          if (other_workday != workday) {
            return absl::InvalidArgumentError(
                Cat("calendar ", src.name, ": ", e.label, ": ", date::Format(e.date),
                    " is both a holiday and a workday (see ", it->second, ")"));
          }
          return absl::InvalidArgumentError(Cat("calendar ", src.name, ": ", e.label, ": ",
                                                date::Format(e.date), " is listed twice (see ",
                                                it->second, ")"));
        }
        // A make-up day on a weekday changes nothing, so it is almost surely a wrong date.
        if (workday && !IsWeekend(day)) {
          return absl::InvalidArgumentError(
              Cat("calendar ", src.name, ": ", e.label, ": ", date::Format(e.date),
                  " is a weekday; 'workdays' lists make-up working days on weekends"));
        }
        seen[day] = e.label;
        cal.specials_[day] = Special{workday, std::move(e.name)};
      }
    }
  }
  return cal;
}

absl::StatusOr<WorkCalendar> WorkCalendar::FromYaml(std::string_view yaml, std::string_view name) {
  return FromSources({Source{std::string(name), std::string(yaml)}});
}

absl::StatusOr<WorkCalendar> WorkCalendar::LoadDir(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return absl::NotFoundError(Cat("calendar directory ", dir, " does not exist"));
  }
  std::vector<fs::path> paths;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".yaml" && it->is_regular_file(ec)) paths.push_back(it->path());
  }
  if (ec) {
    return absl::UnavailableError(Cat("listing calendar directory ", dir, ": ", ec.message()));
  }
  std::sort(paths.begin(), paths.end());
  std::vector<Source> sources;
  for (const fs::path& p : paths) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in) {
      return absl::UnavailableError(Cat("calendar ", p.string(), ": cannot read file"));
    }
    sources.push_back(Source{p.string(), text.str()});
  }
  return FromSources(sources);
}

WorkCalendar WorkCalendar::Empty() { return WorkCalendar(); }

bool WorkCalendar::IsWorkingDayNumber(int64_t day) const {
  if (auto it = specials_.find(day); it != specials_.end()) return it->second.workday;
  return !IsWeekend(day);
}

bool WorkCalendar::IsWorkingDay(chr::year_month_day day) const {
  return IsWorkingDayNumber(DayNumber(day));
}

std::string_view WorkCalendar::DayName(chr::year_month_day day) const {
  auto it = specials_.find(DayNumber(day));
  return it == specials_.end() ? std::string_view() : std::string_view(it->second.name);
}

int64_t WorkCalendar::AddWorkingDays(int64_t from_ms, int n) const {
  if (n == 0) return from_ms;
  const int64_t offset_ms = int64_t{utc_offset_minutes_} * 60'000;
  const int64_t local_ms = from_ms + offset_ms;
  int64_t day = FloorDiv(local_ms, kMsPerDay);
  const int64_t time_of_day = local_ms - day * kMsPerDay;
  const int step = n > 0 ? 1 : -1;
  int64_t remaining = n > 0 ? int64_t{n} : -int64_t{n};
  while (remaining > 0) {
    // Between special days every 7 consecutive days hold exactly 5 working days, so whole weeks
    // can be skipped; this keeps huge n cheap.
    int64_t plain_days;  // days strictly after `day` (in the direction of travel) before a special
    if (step > 0) {
      auto it = specials_.upper_bound(day);
      plain_days =
          it == specials_.end() ? std::numeric_limits<int32_t>::max() : it->first - day - 1;
    } else {
      auto it = specials_.lower_bound(day);
      plain_days = it == specials_.begin() ? std::numeric_limits<int32_t>::max()
                                           : day - std::prev(it)->first - 1;
    }
    const int64_t weeks = std::min((remaining - 1) / 5, plain_days / 7);
    if (weeks > 0) {
      day += step * 7 * weeks;
      remaining -= 5 * weeks;
      continue;
    }
    day += step;
    if (IsWorkingDayNumber(day)) --remaining;
  }
  return day * kMsPerDay + time_of_day - offset_ms;
}

chr::year_month_day WorkCalendar::LocalDay(int64_t ms) const {
  return FromDayNumber(FloorDiv(ms + int64_t{utc_offset_minutes_} * 60'000, kMsPerDay));
}

int64_t WorkCalendar::StartOfDayMs(chr::year_month_day day) const {
  return DayNumber(day) * kMsPerDay - int64_t{utc_offset_minutes_} * 60'000;
}

bool WorkCalendar::Covers(int year) const { return years_.count(year) > 0; }

bool WorkCalendar::IsProvisional(int year) const {
  auto it = years_.find(year);
  return it != years_.end() && it->second;
}

std::vector<int> WorkCalendar::Years() const {
  std::vector<int> out;
  out.reserve(years_.size());
  for (const auto& [year, provisional] : years_) out.push_back(year);
  return out;
}

}  // namespace shequ
