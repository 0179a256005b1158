#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/core/calendar.h"

// Consolidation of inspections into joint visits (domain.md §5, seed 004: 统一部署, Fujian's
// 综合查一次): every approved occurrence of an inspection at a community must be visited on one
// allowed day inside its window; occurrences at the same community on the same day are one
// joint visit. Pure: occurrences, the calendar and the limits come in, the plan goes out.
//
// With windows only (and days ruled out: non-working days, the district's blackout dates, the
// community's own busy days) this is interval stabbing, solved optimally by the greedy of
// PlanVisits (docs/decisions/0016-inspection-consolidation.md says why it is optimal, and its
// answer carries the certificate: as many pairwise disjoint windows as visits).
namespace shequ::domain::inspections {

// One approved occurrence of an inspection at one community.
struct Occurrence {
  std::string id;          // unique in a plan, e.g. "civil-2026-q1/bh.whl.bg"
  std::string department;  // who asked
  std::string community;   // the unit visited
  std::string earliest;    // first day of the window, YYYY-MM-DD
  std::string latest;      // last day of the window, YYYY-MM-DD
};

// Days no visit may fall on, besides the calendar's non-working days.
struct DaysOff {
  std::set<std::string> blackout;                          // the whole district (YYYY-MM-DD)
  std::map<std::string, std::set<std::string>> busy;       // community → its own busy days
};

// One joint visit: a community on one day, for the occurrences it serves (ids, sorted).
struct Visit {
  std::string community;
  std::string day;
  std::vector<std::string> occurrences;
};

struct Plan {
  std::vector<Visit> visits;  // by community, then day
  // The windows-only lower bound: occurrences with pairwise disjoint allowed days, which no plan
  // can serve with fewer visits (their ids). A plan with as many visits is optimal.
  std::vector<std::string> disjoint;
  bool optimal() const { return visits.size() == disjoint.size(); }
};

// The fewest joint visits that serve every occurrence inside its window on an allowed day.
// INVALID_ARGUMENT naming the occurrence and the field for a bad date, a window that ends
// before it starts, an id given twice, or a window with no allowed day in it (and why: no
// working day, or every working day blacked out or busy) — nothing is dropped silently.
absl::StatusOr<Plan> PlanVisits(const std::vector<Occurrence>& occurrences,
                                const WorkCalendar& calendar, const DaysOff& days_off = {});

// A late occurrence: joins a planned visit of its community inside its window when there is one
// (the earliest such), otherwise adds a visit on the last allowed day of its window; other
// visits are not moved. Answers the index in `plan.visits` of the visit it joined or made.
// Errors as PlanVisits (and ALREADY_EXISTS for an id the plan serves already). The plan may
// then be larger than the optimum for all occurrences: re-plan when that matters.
absl::StatusOr<size_t> PlaceLate(Plan& plan, const Occurrence& occurrence,
                                 const WorkCalendar& calendar, const DaysOff& days_off = {});

}  // namespace shequ::domain::inspections
