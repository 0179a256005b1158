#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/domain/recruitment/policy.h"
#include "daemon/domain/workforce/model.h"
#include "daemon/domain/workforce/policy.h"

// District policy for the annual review (年度考核, domain.md §4), parsed from YAML text
// (config/policy/review.yaml documents every key and where each number comes from). Unknown keys
// and bad values are refused with INVALID_ARGUMENT naming the key path, e.g.
// "review.yaml: weights: must add up to 1, got 0.9".
namespace shequ::domain::reviews {

// Scores are on a 0–100 scale in whole tenths, as in recruitment: 87.5 is 875.
using recruitment::FormatTenths;
using recruitment::ParseTenths;
using recruitment::Tenths;
inline constexpr Tenths kMaxScore = 1000;

// The rating of a year (考核等次), best first. kNotRated: the worker took part in no rating this
// year (hired too late, left, retired in place); the reason is kept beside it.
enum class Rating { kExcellent, kCompetent, kBasicallyCompetent, kIncompetent, kNotRated };
// True for excellent and competent: the years that count toward a grade step (seed 003).
bool CompetentOrBetter(Rating r);

// Who casts a democratic-appraisal ballot (民主评议): party members (党员) and residents'
// representatives (居民代表), the ordinary residents of the minimum share.
enum class VoterKind { kPartyMember, kResident };

// A key that orders workers of equal composite when the excellent cap falls among them.
enum class CapTieKey {
  kTarget,        // higher target assessment first
  kSatisfaction,  // higher resident satisfaction first
  kAppraisal,     // higher democratic-appraisal score first
  kWorkerId,      // lower worker id first (unique: makes the order total)
};

// Shares and weights are read with at most three decimals and kept in thousandths, so sums and
// comparisons are exact (0.15 is 150).
using Milli = int64_t;
inline constexpr Milli kWhole = 1000;
// A fixed-point number of `decimals` places, without trailing zeros: (150, 3) → "0.15".
std::string FormatFixed(int64_t v, int decimals);
std::string FormatMilli(Milli v);  // 150 → "0.15", 1000 → "1"

struct ReviewPolicy {
  // Eligibility (参加考核).
  int min_months_on_post = 6;     // whole months on post in the year to be rated
  int secondment_min_months = 6;  // months seconded in the year for the body served to review

  // Democratic appraisal (民主评议).
  int min_ballots = 15;              // ballots a worker needs for a valid appraisal
  Milli min_resident_share = 500;    // of those ballots, from residents' representatives
  std::array<Tenths, 4> points{};    // appraisal points per ballot choice, by Rating
  Milli appraisal_fail_share = 500;  // "incompetent" ballots above this share: failed (不合格)
  bool failed_appraisal_incompetent = false;  // does a failed appraisal also rate incompetent?

  // Composite (综合得分) = appraisal × w + satisfaction × w + target × w; weights add up to 1.
  Milli weight_appraisal = 300;
  Milli weight_satisfaction = 300;
  Milli weight_target = 400;
  // Lowest composite for each rating (at or above it); below basically_competent: incompetent.
  Tenths excellent_from = 900;
  Tenths competent_from = 700;
  Tenths basically_competent_from = 600;

  // Overriding rules: each makes the year incompetent, with its reason.
  Tenths satisfaction_floor = 600;     // satisfaction below it
  int max_unexcused_absence_days = 5;  // unexcused absence (旷工) beyond it
  // A recorded grave error (重大失误) always does (seed 000); no number to set.

  // Excellent cap per street (优秀比例): none when absent.
  std::optional<Milli> excellent_cap_share;
  workforce::Rounding excellent_cap_rounding = workforce::Rounding::kFloor;
  std::vector<CapTieKey> cap_tie_break;  // after the composite; ends with kWorkerId

  // The day (MM-DD) each year's cycles open by themselves, one per street office.
  std::string cycle_opens = "12-01";

  // Publication and appeal (公示, 申诉), in working days of the district calendar.
  int notice_working_days = 5;
  int appeal_working_days = 10;

  // Consequences (seeds 000, 003).
  int grade_step_years = 3;               // competent-or-better years per grade up
  int promotion_excellent_years = 3;      // excellent years in a row: priority for promotion
  int termination_incompetent_years = 2;  // incompetent years in a row: contract terminated

  Tenths PointsFor(Rating choice) const { return points[static_cast<int>(choice)]; }
  // Excellent places in a street whose cycle rates `rated` workers; none: no cap.
  std::optional<int> ExcellentPlaces(int rated) const;
};

absl::StatusOr<ReviewPolicy> ParseReviewPolicy(std::string_view yaml_text);

}  // namespace shequ::domain::reviews

namespace shequ::domain::workforce {
template <>
std::span<const EnumSpelling<reviews::Rating>> Spellings<reviews::Rating>();
template <>
std::span<const EnumSpelling<reviews::VoterKind>> Spellings<reviews::VoterKind>();
template <>
std::span<const EnumSpelling<reviews::CapTieKey>> Spellings<reviews::CapTieKey>();
}  // namespace shequ::domain::workforce
