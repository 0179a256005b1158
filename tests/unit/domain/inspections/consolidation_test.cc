#include "daemon/domain/inspections/consolidation.h"

#include <gtest/gtest.h>

#include <random>

#include "daemon/core/date.h"

namespace shequ::domain::inspections {
namespace {

using Code = absl::StatusCode;

// 2026: Mon–Fri, with the National Day week off and its make-up Saturday (2026-10-10).
WorkCalendar Calendar() {
  auto cal = WorkCalendar::FromYaml(R"(
year: 2026
utc_offset: "+08:00"
holidays:
  - {date: 2026-10-01, name: 国庆节}
  - {date: 2026-10-02, name: 国庆节}
  - {date: 2026-10-05, name: 国庆节}
  - {date: 2026-10-06, name: 国庆节}
  - {date: 2026-10-07, name: 国庆节}
workdays:
  - {date: 2026-10-10, name: 国庆节调休}
)");
  EXPECT_TRUE(cal.ok()) << cal.status();
  return cal.ok() ? *cal : WorkCalendar::Empty();
}

Occurrence Occ(std::string id, std::string community, std::string from, std::string to) {
  return {std::move(id), "dept", std::move(community), std::move(from), std::move(to)};
}

// Every occurrence is served once, by a visit of its community on an allowed day in its window.
void ExpectServes(const Plan& plan, const std::vector<Occurrence>& occurrences,
                  const WorkCalendar& cal, const DaysOff& off = {}) {
  std::map<std::string, int> served;
  for (const Visit& v : plan.visits) {
    EXPECT_TRUE(cal.IsWorkingDay(*date::Parse(v.day))) << v.day;
    EXPECT_FALSE(off.blackout.count(v.day)) << v.day;
    for (const std::string& id : v.occurrences) {
      ++served[id];
      auto o = std::find_if(occurrences.begin(), occurrences.end(),
                            [&](const Occurrence& x) { return x.id == id; });
      ASSERT_NE(o, occurrences.end());
      EXPECT_EQ(o->community, v.community);
      EXPECT_LE(o->earliest, v.day) << id;
      EXPECT_GE(o->latest, v.day) << id;
      if (auto b = off.busy.find(v.community); b != off.busy.end()) {
        EXPECT_FALSE(b->second.count(v.day)) << v.day;
      }
    }
  }
  for (const Occurrence& o : occurrences) EXPECT_EQ(served[o.id], 1) << o.id;
}

TEST(Consolidation, OverlappingWindowsShareOneVisit) {
  const WorkCalendar cal = Calendar();
  const std::vector<Occurrence> occ = {
      Occ("civil", "c1", "2026-03-02", "2026-03-31"),
      Occ("health", "c1", "2026-03-16", "2026-04-15"),
      Occ("safety", "c1", "2026-03-20", "2026-03-27"),
      Occ("stats", "c1", "2026-04-20", "2026-04-30"),
      Occ("civil", "c2", "2026-03-02", "2026-03-06"),  // same id: refused
  };
  auto dup = PlanVisits(occ, cal);
  EXPECT_EQ(dup.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(dup.status().message(), "occurrence civil: id: given twice");

  const std::vector<Occurrence> ok(occ.begin(), occ.end() - 1);
  auto plan = PlanVisits(ok, cal);
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->visits.size(), 2u);
  // civil, health, safety meet on the last day of safety's window (Friday 2026-03-27).
  EXPECT_EQ(plan->visits[0].day, "2026-03-27");
  EXPECT_EQ(plan->visits[0].occurrences, (std::vector<std::string>{"civil", "health", "safety"}));
  EXPECT_EQ(plan->visits[1].day, "2026-04-30");
  EXPECT_TRUE(plan->optimal());
  ExpectServes(*plan, ok, cal);
}

TEST(Consolidation, OnlyAllowedDays) {
  const WorkCalendar cal = Calendar();
  // The window ends in the National Day holiday: the last working day before it, 2026-09-30.
  auto plan = PlanVisits({Occ("a", "c1", "2026-09-28", "2026-10-05")}, cal);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->visits[0].day, "2026-09-30");
  // The make-up Saturday is a working day.
  plan = PlanVisits({Occ("b", "c1", "2026-10-08", "2026-10-11")}, cal);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->visits[0].day, "2026-10-10");
  // Blackout and the community's busy days move the visit earlier.
  DaysOff off;
  off.blackout = {"2026-10-10"};
  off.busy["c1"] = {"2026-10-09"};
  plan = PlanVisits({Occ("b", "c1", "2026-10-08", "2026-10-11")}, cal, off);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->visits[0].day, "2026-10-08");
  // c1's busy day is not c2's; the district's blackout is.
  plan = PlanVisits({Occ("b", "c2", "2026-10-08", "2026-10-11")}, cal, off);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->visits[0].day, "2026-10-09");
}

TEST(Consolidation, BadWindowsNameTheOccurrence) {
  const WorkCalendar cal = Calendar();
  auto s = PlanVisits({Occ("a", "c1", "2026-03-10", "2026-03-09")}, cal).status();
  EXPECT_EQ(s.message(), "occurrence a: latest: 2026-03-09 is before earliest 2026-03-10");
  s = PlanVisits({Occ("a", "c1", "2026-02-30", "2026-03-09")}, cal).status();
  EXPECT_EQ(s.message(), "occurrence a: earliest: '2026-02-30' is not a date");
  s = PlanVisits({Occ("w", "c1", "2026-10-03", "2026-10-04")}, cal).status();
  EXPECT_EQ(s.message(), "occurrence w: window: 2026-10-03 – 2026-10-04 has no working day");
  DaysOff off;
  off.busy["c1"] = {"2026-03-09"};
  s = PlanVisits({Occ("m", "c1", "2026-03-07", "2026-03-09")}, cal, off).status();
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_NE(s.message().find("blackout date or a busy day of c1"), std::string::npos);
  EXPECT_EQ(PlanVisits({Occ("", "c1", "2026-03-02", "2026-03-09")}, cal).status().message(),
            "occurrence: id: required");
}

// The greedy against an exhaustive search on small random instances: never more visits than
// the optimum, and the disjoint windows it names really are pairwise disjoint (so no plan can
// do with fewer).
TEST(Consolidation, TheGreedyIsOptimalAgainstExhaustiveSearch) {
  const WorkCalendar cal = Calendar();
  std::mt19937 rng(20261207);
  const std::string start = "2026-09-21";  // three weeks around the National Day holiday
  for (int round = 0; round < 300; ++round) {
    std::vector<Occurrence> occ;
    const int n = 1 + static_cast<int>(rng() % 8);
    for (int i = 0; i < n; ++i) {
      const int a = static_cast<int>(rng() % 21), len = static_cast<int>(rng() % 8);
      std::string id = "o";  // not "o" + …: GCC 12 warns falsely (-Wrestrict) on it
      id += std::to_string(i);
      occ.push_back(Occ(id, "c1", date::AddDays(start, a),
                        date::AddDays(start, a + len)));
    }
    DaysOff off;
    if (round % 3 == 0) off.blackout.insert(date::AddDays(start, static_cast<int>(rng() % 21)));
    auto plan = PlanVisits(occ, cal, off);
    if (!plan.ok()) {
      EXPECT_EQ(plan.status().code(), Code::kInvalidArgument);
      continue;  // a window with no allowed day
    }
    ExpectServes(*plan, occ, cal, off);
    // Exhaustive: the smallest set of allowed days stabbing every window.
    std::vector<std::string> days;
    for (int d = 0; d < 30; ++d) {
      const std::string day = date::AddDays(start, d);
      if (cal.IsWorkingDay(*date::Parse(day)) && !off.blackout.count(day)) days.push_back(day);
    }
    size_t best = days.size() + 1;
    for (uint32_t mask = 0; mask < (1u << days.size()); ++mask) {
      const size_t k = static_cast<size_t>(__builtin_popcount(mask));
      if (k >= best) continue;
      bool all = true;
      for (const Occurrence& o : occ) {
        bool hit = false;
        for (size_t i = 0; i < days.size() && !hit; ++i) {
          hit = (mask >> i & 1) && o.earliest <= days[i] && days[i] <= o.latest;
        }
        all = all && hit;
      }
      if (all) best = k;
    }
    EXPECT_EQ(plan->visits.size(), best) << "round " << round;
    EXPECT_TRUE(plan->optimal());
    // The certificate: no allowed day lies in two of the named windows.
    for (const std::string& day : days) {
      int in = 0;
      for (const std::string& id : plan->disjoint) {
        const Occurrence& o = *std::find_if(occ.begin(), occ.end(),
                                            [&](const Occurrence& x) { return x.id == id; });
        in += o.earliest <= day && day <= o.latest;
      }
      EXPECT_LE(in, 1) << "round " << round << " day " << day;
    }
  }
}

TEST(Consolidation, ALateOccurrenceJoinsAVisitOrGetsItsOwn) {
  const WorkCalendar cal = Calendar();
  auto plan = PlanVisits({Occ("a", "c1", "2026-03-02", "2026-03-13"),
                          Occ("b", "c1", "2026-04-01", "2026-04-10"),
                          Occ("c", "c2", "2026-03-02", "2026-03-13")},
                         cal);
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->visits.size(), 3u);
  // Joins c1's visit of 2026-03-13 (its window covers it); nothing else moves.
  auto at = PlaceLate(*plan, Occ("late", "c1", "2026-03-10", "2026-03-20"), cal);
  ASSERT_TRUE(at.ok()) << at.status();
  EXPECT_EQ(plan->visits[*at].day, "2026-03-13");
  EXPECT_EQ(plan->visits[*at].occurrences, (std::vector<std::string>{"a", "late"}));
  EXPECT_EQ(PlaceLate(*plan, Occ("late", "c1", "2026-03-10", "2026-03-20"), cal).status().code(),
            Code::kAlreadyExists);
  // No visit of c2 in its window: a visit of its own, on its last working day, in order.
  at = PlaceLate(*plan, Occ("late2", "c2", "2026-05-11", "2026-05-16"), cal);
  ASSERT_TRUE(at.ok());
  EXPECT_EQ(*at, 3u);
  EXPECT_EQ(plan->visits[3].community, "c2");
  EXPECT_EQ(plan->visits[3].day, "2026-05-15");
  EXPECT_EQ(plan->visits.size(), 4u);
  EXPECT_FALSE(plan->optimal());  // the bound was for the first three
}

}  // namespace
}  // namespace shequ::domain::inspections
