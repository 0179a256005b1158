#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/domain/recruitment/policy.h"
#include "daemon/domain/workforce/registry.h"

// Onboarding rules (domain.md §3): the grade at hire and the dated onboarding steps a workflow
// runs for each hire. Pure: dates are parameters.
namespace shequ::domain::recruitment {

// The grade at hire from the registry's ladder (Registry::SuggestGrade): whole years of
// community work from `community_since` to `hired_on` ("" when the hire has none), plus the
// education bonus.
absl::StatusOr<int> GradeAtHire(const workforce::Registry& registry, std::string_view post,
                                std::string_view community_since, std::string_view hired_on,
                                workforce::Education education);

struct PlannedStep {
  Milestone step;
  std::string due_on;     // YYYY-MM-DD
  std::string remind_on;  // YYYY-MM-DD (= due_on when no reminder)
};

// The policy's onboarding steps dated for one hire. The probation is checked first
// (ValidateProbation); without a probation the probation-anchored steps (review, conversion)
// are left out: the worker is regular from the hire.
absl::StatusOr<std::vector<PlannedStep>> PlanOnboarding(const RecruitmentPolicy& policy,
                                                        std::string_view hired_on,
                                                        int contract_term_months,
                                                        int probation_months);

// `date` plus whole days / months (the day clamps to the month's end: 01-31 + 1 month = 02-28).
std::string AddDays(std::string_view date, int days);
std::string AddMonths(std::string_view date, int months);

}  // namespace shequ::domain::recruitment
