#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "daemon/domain/workforce/model.h"

// Report values produced by Registry and written as CSV by roster.h.
namespace shequ::domain::workforce {

// Occupancy figures of one unit or a subtree (seed 004's shape). "In quota" means an employment
// kind that counts against the quota (policy in_quota); "held" means status other than left.
struct OccupancyFigures {
  int64_t approved = 0;           // approved quota on the report date
  int64_t workstation_posts = 0;  // by household band, communities only
  int64_t occupied = 0;           // in quota, held
  int64_t on_post = 0;            // the occupied, split by status …
  int64_t seconded_street = 0;
  int64_t seconded_district = 0;
  int64_t retired_in_place = 0;
  int64_t on_leave = 0;
  int64_t reserved = 0;       // posts reserved for open recruitment campaigns, not yet hired
  int64_t vacant = 0;         // max(approved - occupied - reserved, 0); summed per unit in subtree
  int64_t over_quota = 0;     // max(occupied - approved, 0); summed per unit in a subtree
  int64_t hollow = 0;         // seconded (street + district) + retired in place: 在编不在岗
  int64_t outside_quota = 0;  // held, employment not in quota (self-hired, dispatch, …)
  int64_t dispatch = 0;       // held, labour dispatch (also counted in outside_quota)

  void Add(const OccupancyFigures& o);
};

struct OccupancyRow {
  std::string unit_id;
  std::string name;
  UnitKind kind = UnitKind::kCommunity;
  int depth = 0;             // 0 for the report's root
  OccupancyFigures own;      // people placed at this unit itself
  OccupancyFigures subtree;  // this unit and everything below it
};

struct OccupancyReport {
  std::string date;
  std::vector<OccupancyRow> rows;  // pre-order from the requested root; rows[0].subtree = total
};

// Pay by (post, grade) across street-level units: "same work, same pay" (同城同工同酬).
struct PayParityStreet {
  std::string street_id;  // the street-level unit the workers belong to
  std::string street_name;
  int64_t count = 0;
  double average = 0;  // base + performance, yuan per month
  int64_t min = 0;
  int64_t max = 0;
  bool off_table = false;  // |average - table| > tolerance × table
};

struct PayParityGroup {
  std::string post;
  int grade = 0;
  int64_t table = 0;                     // the grade table's base + performance
  std::vector<PayParityStreet> streets;  // by street id
  double gap = 0;                        // max - min of the streets' averages
  bool different_pay = false;            // gap > tolerance × table ("same work, different pay")
};

struct PayParityReport {
  double tolerance = 0;
  std::vector<PayParityGroup> groups;  // by post (ladder order), then grade
  int64_t flagged_groups = 0;          // groups with different_pay or any off_table street
};

}  // namespace shequ::domain::workforce
