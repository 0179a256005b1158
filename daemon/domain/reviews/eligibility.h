#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/domain/reviews/policy.h"
#include "daemon/domain/workforce/model.h"

// Who takes part in a street office's review cycle for a year, and who reviews them
// (domain.md §4; the "every worker on post is reviewed"). Pure: the worker's service in
// the year comes in as values ("YYYY-MM-DD" dates), the answer goes out as values.
namespace shequ::domain::reviews {

// One cycle per street office per year: its key, e.g. "bh.wuhu/2026".
std::string CycleKey(std::string_view street_unit_id, int year);

// A secondment (借调, seed 004): the worker serves `unit_id` from `from` to `until` (inclusive;
// "" while it lasts).
struct Secondment {
  std::string unit_id;
  std::string from;
  std::string until;
};

// What eligibility needs to know of a worker.
struct ServiceRecord {
  int64_t worker_id = 0;
  std::string home_unit_id;  // the unit holding the worker's post
  std::string hired_on;      // first day on post
  std::string left_on;       // last day on post, "" if still employed
  workforce::WorkerStatus status = workforce::WorkerStatus::kOnPost;  // at the end of the year
  std::vector<Secondment> secondments;
};

enum class Participation {
  kRated,     // reviewed and rated this year
  kNotRated,  // in the cycle's list but not rated (不确定等次): `reason` says why
  kOutside,   // not on post at any time in the year: not in the cycle at all
};

struct Eligibility {
  Participation participation = Participation::kOutside;
  std::string reason;             // why not rated, or why reviewed elsewhere
  int months_on_post = 0;         // whole months on post in the year
  std::string reviewing_unit_id;  // who reviews: the home unit, or the body served
  std::string informed_unit_id;  // the home unit when a body it lent the worker to reviews; else ""
};

// Whole months from `from` to `to` inclusive: 2026-07-01..2026-12-31 is 6, 2026-07-02..12-31
// is 5. 0 when `to` is before `from`.
int WholeMonths(std::string_view from, std::string_view to);

// The worker's part in the year's cycle. INVALID_ARGUMENT naming the field for a bad date, a
// departure before the hire, a secondment outside the service or a seconded status with no
// secondment in the year.
absl::StatusOr<Eligibility> EligibilityFor(const ServiceRecord& worker, int year,
                                           const ReviewPolicy& policy);

}  // namespace shequ::domain::reviews
