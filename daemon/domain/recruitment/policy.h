#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daemon/domain/workforce/model.h"

// District policy for open recruitment and onboarding (domain.md §2–§3), parsed from YAML text
// (config/policy/recruitment.yaml documents every key and where each number comes from).
// Unknown keys and bad values are refused with INVALID_ARGUMENT naming the key path, e.g.
// "recruitment.yaml: composite.written_weight: …".
namespace shequ::domain::recruitment {

// Where an applicant comes from (domain.md §2 "Sources").
enum class Source { kGraduate, kVeteran, kLaidOff, kResident, kGovernmentStaff, kOther };
inline constexpr int kSourceCount = 6;

// Scores and points are whole tenths (one decimal place) so that sums, ties and the order are
// exact: 87.5 is 875.
using Tenths = int64_t;
// "87.5" / "87" / " 87.0 " → 875. Refuses more than one decimal, signs, exponents and junk.
std::optional<Tenths> ParseTenths(std::string_view text);
std::string FormatTenths(Tenths v);  // 875 → "87.5", 870 → "87"

// A tie-break key after the composite (the ranking order is composite, then these).
enum class TieKey {
  kWritten,                // higher written score first
  kInterview,              // higher interview score first
  kSocialWorkCertificate,  // holder of a social-work certificate (any level) first
  kBonus,                  // larger bonus first
  kAppliedAt,              // earlier application time first
  kApplicationId,          // lower application id first (unique: makes the order total)
};

// A named policy category that earns bonus points once verified at eligibility review, e.g.
// 在本区社区工作满2年.
struct BonusCategory {
  std::string id;
  std::string name;
  Tenths points = 0;
};

// Labour Contract Law art. 19 ceilings, as bands of the contract term.
struct ProbationBand {
  std::optional<int> term_under_months;  // band applies to terms below this; none: the rest
  int max_probation_months = 0;
};

// The law's own table (劳动合同法 第十九条), what the file is checked against: term under 3
// months no probation; 3 months to under 1 year at most 1 month; 1 to under 3 years at most 2;
// 3 years or more and open-ended at most 6.
const std::vector<ProbationBand>& LawProbationBands();
inline constexpr int kOpenEndedTerm = -1;  // 无固定期限劳动合同

enum class MilestoneKind {
  kContract,
  kArchive,
  kPersonnelAgency,
  kSocialInsurance,
  kGrade,
  kTraining,
  kProbationReview,
  kConversion,
  kOther,
};
enum class MilestoneAnchor { kHire, kProbationEnd };

// One onboarding step for the workflow: a task or a job due `due_days` after its anchor
// (negative: before it), reminded `remind_days_before` its due date.
struct Milestone {
  std::string id;
  std::string name;
  MilestoneKind kind = MilestoneKind::kOther;
  std::string owner;  // actor id, e.g. "street_office", "hr_bureau", "talent_centre"
  MilestoneAnchor anchor = MilestoneAnchor::kHire;
  int due_days = 0;
  int remind_days_before = 0;
  std::vector<std::string> insurance;  // social insurance kinds, for kSocialInsurance
  std::string basis;                   // the rule it comes from, if any
};

struct EligibilityDefaults {
  int min_age = 18;
  int max_age = 35;
  workforce::Education min_education = workforce::Education::kCollege;
};

struct RecruitmentPolicy {
  int min_applicants_per_post = 3;  // eligible applicants per post before the written exam
  int shortlist_ratio = 3;          // interviewees per post, from the written ranking
  int written_weight = 50;          // percent; written + interview = 100
  int interview_weight = 50;
  Tenths score_min = 0;
  Tenths score_max = 1000;
  // Largest applicable bonus wins (never the sum).
  std::map<std::string, Tenths, std::less<>> certificate_bonus;  // by certificate id
  std::array<Tenths, kSourceCount> source_bonus{};               // by Source
  std::vector<BonusCategory> categories;
  std::vector<TieKey> tie_break;  // after the composite; ends with kApplicationId
  int notice_working_days = 5;
  EligibilityDefaults eligibility;
  std::string probation_basis;  // the law cited
  std::vector<ProbationBand> probation;
  std::vector<Milestone> onboarding;

  const BonusCategory* FindCategory(std::string_view id) const;
  // The largest probation (months) allowed for a term (months, or kOpenEndedTerm).
  int MaxProbation(int term_months) const;
};

absl::StatusOr<RecruitmentPolicy> ParseRecruitmentPolicy(std::string_view yaml_text);

// Checks a contract's probation against the policy (which never exceeds art. 19).
// INVALID_ARGUMENT naming the field: contract_term_months must be > 0 or kOpenEndedTerm;
// probation_months ≥ 0 and within the band's limit.
absl::Status ValidateProbation(int contract_term_months, int probation_months,
                               const RecruitmentPolicy& policy);

}  // namespace shequ::domain::recruitment

namespace shequ::domain::workforce {
template <>
std::span<const EnumSpelling<recruitment::Source>> Spellings<recruitment::Source>();
template <>
std::span<const EnumSpelling<recruitment::TieKey>> Spellings<recruitment::TieKey>();
template <>
std::span<const EnumSpelling<recruitment::MilestoneKind>> Spellings<recruitment::MilestoneKind>();
}  // namespace shequ::domain::workforce
