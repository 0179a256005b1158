#include "daemon/domain/reviews/policy.h"

#include <cmath>
#include <set>

#include "daemon/core/date.h"
#include "daemon/core/status.h"
#include "daemon/core/yaml_json.h"
#include "daemon/domain/policy_object.h"
#include "yaml-cpp/yaml.h"

namespace shequ::domain::workforce {
namespace {
using reviews::CapTieKey;
using reviews::Rating;
using reviews::VoterKind;
constexpr std::array<EnumSpelling<Rating>, 5> kRatings{{
    {Rating::kExcellent, "excellent", "优秀"},
    {Rating::kCompetent, "competent", "称职"},
    {Rating::kBasicallyCompetent, "basically_competent", "基本称职"},
    {Rating::kIncompetent, "incompetent", "不称职", "不合格"},
    {Rating::kNotRated, "not_rated", "不确定等次", "不定等次"},
}};
constexpr std::array<EnumSpelling<VoterKind>, 2> kVoterKinds{{
    {VoterKind::kPartyMember, "party_member", "党员"},
    {VoterKind::kResident, "resident", "居民代表", "居民"},
}};
constexpr std::array<EnumSpelling<CapTieKey>, 4> kCapTieKeys{{
    {CapTieKey::kTarget, "target", "目标管理考核"},
    {CapTieKey::kSatisfaction, "satisfaction", "居民满意度"},
    {CapTieKey::kAppraisal, "appraisal", "民主评议"},
    {CapTieKey::kWorkerId, "worker_id", "工作人员编号"},
}};
}  // namespace

template <>
std::span<const EnumSpelling<Rating>> Spellings<Rating>() {
  return kRatings;
}
template <>
std::span<const EnumSpelling<VoterKind>> Spellings<VoterKind>() {
  return kVoterKinds;
}
template <>
std::span<const EnumSpelling<CapTieKey>> Spellings<CapTieKey>() {
  return kCapTieKeys;
}
}  // namespace shequ::domain::workforce

namespace shequ::domain::reviews {
namespace {

using nlohmann::json;
using workforce::EnumChoices;
using workforce::ParseEnum;
using workforce::Rounding;

constexpr char kFile[] = "review.yaml";
std::string N(int64_t v) { return std::to_string(v); }

// Fixed-point reading of a decimal: `scale` (10 or kWhole) units per 1, refusing finer values.
absl::Status Fixed(const PolicyObject& o, std::string_view key, const json& v, int64_t scale,
                   int decimals, int64_t min, int64_t max, int64_t* out) {
  if (!v.is_number()) return o.Err(key, "must be a number, got " + v.dump());
  const double x = v.get<double>() * static_cast<double>(scale);
  const double r = std::round(x);
  if (std::abs(x - r) > 1e-6) {
    return o.Err(key, v.dump() + " has more than " + N(decimals) + " decimal place" +
                          (decimals == 1 ? "" : "s"));
  }
  if (r < static_cast<double>(min) || r > static_cast<double>(max)) {
    auto f = [&](int64_t x) { return scale == 10 ? FormatTenths(x) : FormatMilli(x); };
    return o.Err(key, v.dump() + " is outside " + f(min) + "–" + f(max));
  }
  *out = static_cast<int64_t>(r);
  return absl::OkStatus();
}

// A mapping of review.yaml, plus the value kinds only this file has.
class Obj : public PolicyObject {
 public:
  Obj(std::string path, const json& j) : PolicyObject(kFile, std::move(path), j) {}

  // A 0–100 score with at most one decimal place, in tenths.
  absl::Status Score(std::string_view key, Tenths* out) {
    const json* v = Find(key);
    if (!v) return Err(key, "required");
    return Fixed(*this, key, *v, 10, 1, 0, kMaxScore, out);
  }
  // A share or weight in [0, 1] with at most three decimals, in thousandths.
  absl::Status Share(std::string_view key, bool required, Milli* out) {
    const json* v = Find(key);
    if (!v) return required ? Err(key, "required") : absl::OkStatus();
    return Fixed(*this, key, *v, kWhole, 3, 0, kWhole, out);
  }
  absl::Status Bool(std::string_view key, bool* out) {
    const json* v = Find(key);
    if (!v) return Err(key, "required");
    if (!v->is_boolean()) return Err(key, "must be true or false, got " + v->dump());
    *out = v->get<bool>();
    return absl::OkStatus();
  }
  // A required sub-mapping.
  absl::StatusOr<Obj> Sub(std::string_view key) {
    const json* v = Find(key);
    if (!v) return Err(key, "required");
    Obj o(Path(key), *v);
    RETURN_IF_ERROR(o.CheckObject());
    return o;
  }
};

absl::Status ParseEligibility(Obj& top, ReviewPolicy& p) {
  ASSIGN_OR_RETURN(Obj o, top.Sub("eligibility"));
  RETURN_IF_ERROR(o.Int("min_months_on_post", true, 0, 12, &p.min_months_on_post));
  RETURN_IF_ERROR(o.Int("secondment_min_months", true, 1, 12, &p.secondment_min_months));
  return o.NoUnknownKeys();
}

absl::Status ParseAppraisal(Obj& top, ReviewPolicy& p) {
  ASSIGN_OR_RETURN(Obj o, top.Sub("appraisal"));
  RETURN_IF_ERROR(o.Int("min_ballots", true, 1, 100000, &p.min_ballots));
  RETURN_IF_ERROR(o.Share("min_resident_share", true, &p.min_resident_share));
  {
    ASSIGN_OR_RETURN(Obj pts, o.Sub("points"));
    for (Rating r : {Rating::kExcellent, Rating::kCompetent, Rating::kBasicallyCompetent,
                     Rating::kIncompetent}) {
      RETURN_IF_ERROR(pts.Score(workforce::EnglishName(r), &p.points[static_cast<int>(r)]));
    }
    RETURN_IF_ERROR(pts.NoUnknownKeys());
    // A better choice may not score less than a worse one, or the appraisal would reward the
    // worse vote.
    for (int i = 1; i < 4; ++i) {
      if (p.points[i] > p.points[i - 1]) {
        return pts.Err(
            workforce::EnglishName(static_cast<Rating>(i)),
            "must not be above " + std::string(workforce::EnglishName(static_cast<Rating>(i - 1))));
      }
    }
  }
  RETURN_IF_ERROR(o.Share("fail_share", true, &p.appraisal_fail_share));
  RETURN_IF_ERROR(o.Bool("failed_appraisal_incompetent", &p.failed_appraisal_incompetent));
  return o.NoUnknownKeys();
}

absl::Status ParseWeights(Obj& top, ReviewPolicy& p) {
  ASSIGN_OR_RETURN(Obj o, top.Sub("weights"));
  RETURN_IF_ERROR(o.Share("appraisal", true, &p.weight_appraisal));
  RETURN_IF_ERROR(o.Share("satisfaction", true, &p.weight_satisfaction));
  RETURN_IF_ERROR(o.Share("target", true, &p.weight_target));
  RETURN_IF_ERROR(o.NoUnknownKeys());
  const Milli sum = p.weight_appraisal + p.weight_satisfaction + p.weight_target;
  if (sum != kWhole) return o.Err("", "must add up to 1, got " + FormatMilli(sum));
  return absl::OkStatus();
}

absl::Status ParseRatings(Obj& top, ReviewPolicy& p) {
  ASSIGN_OR_RETURN(Obj o, top.Sub("ratings"));
  RETURN_IF_ERROR(o.Score("excellent", &p.excellent_from));
  RETURN_IF_ERROR(o.Score("competent", &p.competent_from));
  RETURN_IF_ERROR(o.Score("basically_competent", &p.basically_competent_from));
  RETURN_IF_ERROR(o.NoUnknownKeys());
  if (p.competent_from >= p.excellent_from) return o.Err("competent", "must be below excellent");
  if (p.basically_competent_from >= p.competent_from) {
    return o.Err("basically_competent", "must be below competent");
  }
  return absl::OkStatus();
}

absl::Status ParseOverrides(Obj& top, ReviewPolicy& p) {
  ASSIGN_OR_RETURN(Obj o, top.Sub("overrides"));
  RETURN_IF_ERROR(o.Score("satisfaction_floor", &p.satisfaction_floor));
  RETURN_IF_ERROR(o.Int("max_unexcused_absence_days", true, 0, 366, &p.max_unexcused_absence_days));
  return o.NoUnknownKeys();
}

absl::Status ParseCap(Obj& top, ReviewPolicy& p) {
  ASSIGN_OR_RETURN(Obj o, top.Sub("excellent_cap"));
  Milli share = 0;
  if (o.Find("share")) {
    RETURN_IF_ERROR(o.Share("share", true, &share));
    p.excellent_cap_share = share;
  }
  std::string rounding = "floor";
  RETURN_IF_ERROR(o.Str("rounding", false, &rounding));
  if (rounding == "floor") {
    p.excellent_cap_rounding = Rounding::kFloor;
  } else if (rounding == "half_up") {
    p.excellent_cap_rounding = Rounding::kHalfUp;
  } else if (rounding == "ceil") {
    p.excellent_cap_rounding = Rounding::kCeil;
  } else {
    return o.Err("rounding", "'" + rounding + "' is not one of half_up, floor, ceil");
  }
  const json* tie = o.Find("tie_break");
  if (!tie || !tie->is_array() || tie->empty()) {
    return o.Err("tie_break", "required: a list of keys after the composite");
  }
  for (size_t i = 0; i < tie->size(); ++i) {
    const json& k = (*tie)[i];
    std::optional<CapTieKey> key;
    if (k.is_string()) key = ParseEnum<CapTieKey>(k.get<std::string>());
    const std::string path = "tie_break[" + N(static_cast<int64_t>(i)) + "]";
    if (!key) return o.Err(path, k.dump() + " is not one of " + EnumChoices<CapTieKey>());
    for (CapTieKey seen : p.cap_tie_break) {
      if (seen == *key) return o.Err(path, k.dump() + " is listed twice");
    }
    p.cap_tie_break.push_back(*key);
  }
  if (p.cap_tie_break.back() != CapTieKey::kWorkerId) {
    return o.Err("tie_break", "must end with worker_id (unique), so the order is total");
  }
  return o.NoUnknownKeys();
}

absl::Status ParseConsequences(Obj& top, ReviewPolicy& p) {
  ASSIGN_OR_RETURN(Obj o, top.Sub("consequences"));
  RETURN_IF_ERROR(o.Int("grade_step_years", true, 1, 20, &p.grade_step_years));
  RETURN_IF_ERROR(o.Int("promotion_excellent_years", true, 1, 20, &p.promotion_excellent_years));
  RETURN_IF_ERROR(
      o.Int("termination_incompetent_years", true, 1, 20, &p.termination_incompetent_years));
  return o.NoUnknownKeys();
}

}  // namespace

bool CompetentOrBetter(Rating r) { return r == Rating::kExcellent || r == Rating::kCompetent; }

std::string FormatFixed(int64_t v, int decimals) {
  int64_t unit = 1;
  for (int i = 0; i < decimals; ++i) unit *= 10;
  std::string s = v < 0 ? "-" : "";
  if (v < 0) v = -v;
  s += N(v / unit);
  if (v % unit != 0) {
    std::string frac = N(v % unit);
    frac.insert(0, decimals - frac.size(), '0');
    while (frac.back() == '0') frac.pop_back();
    s += "." + frac;
  }
  return s;
}

std::string FormatMilli(Milli v) { return FormatFixed(v, 3); }

std::optional<int> ReviewPolicy::ExcellentPlaces(int rated) const {
  if (!excellent_cap_share) return std::nullopt;
  const int64_t x = *excellent_cap_share * std::max(rated, 0);  // in thousandths of a place
  switch (excellent_cap_rounding) {
    case Rounding::kFloor:
      return static_cast<int>(x / kWhole);
    case Rounding::kCeil:
      return static_cast<int>((x + kWhole - 1) / kWhole);
    case Rounding::kHalfUp:
      break;
  }
  return static_cast<int>((x + kWhole / 2) / kWhole);
}

absl::StatusOr<ReviewPolicy> ParseReviewPolicy(std::string_view yaml_text) {
  json root;
  try {
    root = YamlToJson(YAML::Load(std::string(yaml_text)));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(std::string(kFile) + ": " + e.what());
  }
  if (!root.is_object()) {
    return absl::InvalidArgumentError(std::string(kFile) + ": must be a mapping");
  }
  Obj top("", root);
  ReviewPolicy p;
  RETURN_IF_ERROR(ParseEligibility(top, p));
  RETURN_IF_ERROR(ParseAppraisal(top, p));
  RETURN_IF_ERROR(ParseWeights(top, p));
  RETURN_IF_ERROR(ParseRatings(top, p));
  RETURN_IF_ERROR(ParseOverrides(top, p));
  RETURN_IF_ERROR(ParseCap(top, p));
  RETURN_IF_ERROR(top.Str("cycle_opens", false, &p.cycle_opens));
  if (p.cycle_opens.size() != 5 || !date::IsValid("2025-" + p.cycle_opens)) {
    return top.Err("cycle_opens", "'" + p.cycle_opens + "' is not a day of every year (MM-DD)");
  }
  RETURN_IF_ERROR(top.Int("notice_working_days", true, 1, 60, &p.notice_working_days));
  RETURN_IF_ERROR(top.Int("appeal_working_days", true, 1, 120, &p.appeal_working_days));
  if (p.appeal_working_days < p.notice_working_days) {
    return top.Err("appeal_working_days", "must not be shorter than notice_working_days (" +
                                              N(p.notice_working_days) +
                                              "): an appeal is open for the whole notice");
  }
  RETURN_IF_ERROR(ParseConsequences(top, p));
  RETURN_IF_ERROR(top.NoUnknownKeys());
  return p;
}

}  // namespace shequ::domain::reviews
