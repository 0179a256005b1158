#include "daemon/domain/inspections/consolidation.h"

#include <algorithm>
#include <chrono>
#include <tuple>

#include "daemon/core/date.h"
#include "daemon/core/status.h"

namespace shequ::domain::inspections {

namespace chr = std::chrono;

namespace {

absl::Status Invalid(const Occurrence& o, std::string_view field, const std::string& what) {
  return absl::InvalidArgumentError("occurrence " + o.id + ": " + std::string(field) + ": " +
                                    what);
}

absl::Status CheckOccurrence(const Occurrence& o) {
  if (o.id.empty()) return absl::InvalidArgumentError("occurrence: id: required");
  if (o.community.empty()) return Invalid(o, "community", "required");
  if (!date::IsValid(o.earliest)) return Invalid(o, "earliest", "'" + o.earliest + "' is not a date");
  if (!date::IsValid(o.latest)) return Invalid(o, "latest", "'" + o.latest + "' is not a date");
  if (o.latest < o.earliest) {
    return Invalid(o, "latest", o.latest + " is before earliest " + o.earliest);
  }
  return absl::OkStatus();
}

bool Allowed(const std::string& community, const std::string& day, chr::year_month_day ymd,
             const WorkCalendar& calendar, const DaysOff& off) {
  if (!calendar.IsWorkingDay(ymd) || off.blackout.count(day)) return false;
  auto busy = off.busy.find(community);
  return busy == off.busy.end() || !busy->second.count(day);
}

// The allowed days from `from` to `to` (inclusive), ascending.
std::vector<std::string> AllowedDays(const std::string& community, const std::string& from,
                                     const std::string& to, const WorkCalendar& calendar,
                                     const DaysOff& off) {
  std::vector<std::string> out;
  const chr::sys_days last{*date::Parse(to)};
  for (chr::sys_days d{*date::Parse(from)}; d <= last; d += chr::days(1)) {
    const chr::year_month_day ymd{d};
    const std::string day = date::Format(ymd);
    if (Allowed(community, day, ymd, calendar, off)) out.push_back(day);
  }
  return out;
}

// Why a window has no allowed day.
absl::Status NoDay(const Occurrence& o, const WorkCalendar& calendar) {
  const chr::sys_days last{*date::Parse(o.latest)};
  for (chr::sys_days d{*date::Parse(o.earliest)}; d <= last; d += chr::days(1)) {
    if (calendar.IsWorkingDay(chr::year_month_day{d})) {
      return Invalid(o, "window", o.earliest + " – " + o.latest +
                                      ": every working day in it is a blackout date or a busy "
                                      "day of " + o.community);
    }
  }
  return Invalid(o, "window", o.earliest + " – " + o.latest + " has no working day");
}

}  // namespace

absl::StatusOr<Plan> PlanVisits(const std::vector<Occurrence>& occurrences,
                                const WorkCalendar& calendar, const DaysOff& days_off) {
  std::set<std::string> ids;
  std::map<std::string, std::vector<const Occurrence*>> by_community;
  for (const Occurrence& o : occurrences) {
    RETURN_IF_ERROR(CheckOccurrence(o));
    if (!ids.insert(o.id).second) return Invalid(o, "id", "given twice");
    by_community[o.community].push_back(&o);
  }
  Plan plan;
  for (const auto& [community, list] : by_community) {
    std::string from = list.front()->earliest, to = list.front()->latest;
    for (const Occurrence* o : list) {
      from = std::min(from, o->earliest);
      to = std::max(to, o->latest);
    }
    // Each window as an interval of indices into the community's allowed days: blackout and
    // busy days drop out of the line, so stabbing stays interval stabbing.
    const std::vector<std::string> days = AllowedDays(community, from, to, calendar, days_off);
    struct Window {
      int first, last;
      const Occurrence* occurrence;
    };
    std::vector<Window> windows;
    for (const Occurrence* o : list) {
      const int first = static_cast<int>(
          std::lower_bound(days.begin(), days.end(), o->earliest) - days.begin());
      const int last = static_cast<int>(
          std::upper_bound(days.begin(), days.end(), o->latest) - days.begin()) - 1;
      if (first > last) return NoDay(*o, calendar);
      windows.push_back({first, last, o});
    }
    // Earliest end first; each window not yet served gets a visit on its own last day, which
    // serves every later window that reaches back to it.
    std::sort(windows.begin(), windows.end(), [](const Window& a, const Window& b) {
      return std::tie(a.last, a.first, a.occurrence->id) <
             std::tie(b.last, b.first, b.occurrence->id);
    });
    int day = -1;
    for (const Window& w : windows) {
      if (day < w.first) {  // not served by the last visit: a new one, and a disjoint window
        day = w.last;
        plan.visits.push_back({community, days[day], {}});
        plan.disjoint.push_back(w.occurrence->id);
      }
      plan.visits.back().occurrences.push_back(w.occurrence->id);
    }
  }
  for (Visit& v : plan.visits) std::sort(v.occurrences.begin(), v.occurrences.end());
  return plan;
}

absl::StatusOr<size_t> PlaceLate(Plan& plan, const Occurrence& o, const WorkCalendar& calendar,
                                 const DaysOff& days_off) {
  RETURN_IF_ERROR(CheckOccurrence(o));
  for (const Visit& v : plan.visits) {
    if (std::binary_search(v.occurrences.begin(), v.occurrences.end(), o.id)) {
      return absl::AlreadyExistsError("occurrence " + o.id + " is planned already (" +
                                      v.community + " on " + v.day + ")");
    }
  }
  const std::vector<std::string> days =
      AllowedDays(o.community, o.earliest, o.latest, calendar, days_off);
  if (days.empty()) return NoDay(o, calendar);
  for (size_t i = 0; i < plan.visits.size(); ++i) {
    Visit& v = plan.visits[i];
    if (v.community == o.community && std::binary_search(days.begin(), days.end(), v.day)) {
      v.occurrences.insert(std::upper_bound(v.occurrences.begin(), v.occurrences.end(), o.id),
                           o.id);
      return i;
    }
  }
  Visit visit{o.community, days.back(), {o.id}};
  auto at = std::upper_bound(plan.visits.begin(), plan.visits.end(), visit,
                             [](const Visit& a, const Visit& b) {
                               return std::tie(a.community, a.day) < std::tie(b.community, b.day);
                             });
  return static_cast<size_t>(plan.visits.insert(at, std::move(visit)) - plan.visits.begin());
}

}  // namespace shequ::domain::inspections
