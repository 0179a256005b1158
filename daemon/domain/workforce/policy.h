#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/domain/workforce/model.h"

// District policy for the workforce registry, parsed from YAML text (config/policy/quota.yaml and
// config/policy/grades.yaml; the files document every key). Numbers that come from one
// district's practice live there, not in code. Unknown keys and bad values are refused with
// INVALID_ARGUMENT naming the key path, e.g. "quota.yaml: bases.urban_community: must be > 0".
namespace shequ::domain::workforce {

enum class Rounding { kHalfUp, kFloor, kCeil };
// Rounds x by `r`, with a small tolerance so that 75 * 1.2 is 90, not 89.999….
int64_t RoundBy(double x, Rounding r);

// The quota base keys. Street-level units (street office, town, large community) use
// "street_organ"; communities use their community type's name.
inline constexpr std::array<std::string_view, 5> kQuotaBaseKeys = {
    "street_organ", "administrative_village", "urban_community", "village_to_community",
    "factory_community"};

struct HouseholdBand {
  std::optional<int64_t> max_households;  // inclusive upper bound; none on the last band
  int posts = 0;
};

struct DispatchConversionPolicy {
  int min_years = 3;        // whole years at the current street-level unit
  double max_share = 0.10;  // of that unit's dispatch staff, per calendar year
  Rounding rounding = Rounding::kFloor;
};

struct QuotaPolicy {
  std::map<std::string, int, std::less<>> bases;  // by kQuotaBaseKeys
  std::array<double, 4> class_coefficients{};     // [1]..[3]; [0] unused
  Rounding rounding = Rounding::kHalfUp;
  std::vector<HouseholdBand> workstation_posts;  // ascending bands
  int review_years = 3;
  std::array<bool, kEmploymentCount> in_quota{};  // by Employment
  DispatchConversionPolicy dispatch_conversion;

  bool InQuota(Employment e) const { return in_quota[static_cast<int>(e)]; }
  // Workstation posts for a community of `households` households.
  int WorkstationPosts(int64_t households) const;
};

struct PostDef {
  std::string id;    // e.g. "officer"
  std::string name;  // e.g. 主办
  int min_grade = 1;
  int max_grade = 1;
};

struct GradePolicy {
  int grades = 18;
  std::vector<PostDef> posts;            // in ladder order, highest first as the file lists them
  std::array<int, 6> education_bonus{};  // by Education; grades added at equal years
  int years_per_grade = 3;               // years of community work per grade step
  std::vector<Pay> pay;                  // pay[g - 1] for grade g
  double parity_tolerance = 0.05;        // relative to the table's total for the grade

  const PostDef* FindPost(std::string_view id_or_name) const;  // id (any case) or Chinese name
  const Pay* PayFor(int grade) const;
};

absl::StatusOr<QuotaPolicy> ParseQuotaPolicy(std::string_view yaml_text);
absl::StatusOr<GradePolicy> ParseGradePolicy(std::string_view yaml_text);

}  // namespace shequ::domain::workforce
