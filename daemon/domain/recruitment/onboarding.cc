#include "daemon/domain/recruitment/onboarding.h"

#include "daemon/core/date.h"
#include "daemon/core/status.h"

namespace shequ::domain::recruitment {

std::string AddDays(std::string_view date, int days) { return ::shequ::date::AddDays(date, days); }

std::string AddMonths(std::string_view date, int months) {
  return ::shequ::date::AddMonths(date, months);
}

absl::StatusOr<int> GradeAtHire(const workforce::Registry& registry, std::string_view post,
                                std::string_view community_since, std::string_view hired_on,
                                workforce::Education education) {
  if (!workforce::IsValidDate(hired_on)) {
    return absl::InvalidArgumentError("hired_on: not a date (YYYY-MM-DD)");
  }
  int years = 0;
  if (!community_since.empty()) {
    if (!workforce::IsValidDate(community_since)) {
      return absl::InvalidArgumentError("community_since: not a date (YYYY-MM-DD)");
    }
    if (community_since > hired_on) {
      return absl::InvalidArgumentError("community_since: is after hired_on");
    }
    years = workforce::FullYearsBetween(community_since, hired_on);
  }
  return registry.SuggestGrade(post, years, education);
}

absl::StatusOr<std::vector<PlannedStep>> PlanOnboarding(const RecruitmentPolicy& policy,
                                                        std::string_view hired_on,
                                                        int contract_term_months,
                                                        int probation_months) {
  if (!workforce::IsValidDate(hired_on)) {
    return absl::InvalidArgumentError("hired_on: not a date (YYYY-MM-DD)");
  }
  RETURN_IF_ERROR(ValidateProbation(contract_term_months, probation_months, policy));
  const std::string probation_end = AddMonths(hired_on, probation_months);
  std::vector<PlannedStep> out;
  for (const Milestone& m : policy.onboarding) {
    if (m.anchor == MilestoneAnchor::kProbationEnd && probation_months == 0) continue;
    const std::string& anchor =
        m.anchor == MilestoneAnchor::kHire ? std::string(hired_on) : probation_end;
    PlannedStep s{m, AddDays(anchor, m.due_days), ""};
    s.remind_on = AddDays(s.due_on, -m.remind_days_before);
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace shequ::domain::recruitment
