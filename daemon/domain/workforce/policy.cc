#include "daemon/domain/workforce/policy.h"

#include <cmath>
#include <string>

#include "absl/status/status.h"
#include "daemon/core/status.h"
#include "daemon/core/yaml_json.h"
#include "daemon/domain/policy_object.h"
#include "yaml-cpp/yaml.h"

namespace shequ::domain::workforce {
namespace {

using nlohmann::json;

// A mapping of a policy file, plus the rounding setting only this file has.
class Obj : public PolicyObject {
 public:
  using PolicyObject::PolicyObject;

  absl::Status Round(std::string_view key, Rounding* out) {
    std::string s;
    RETURN_IF_ERROR(Str(key, false, &s));
    if (s.empty()) return absl::OkStatus();
    if (s == "half_up") {
      *out = Rounding::kHalfUp;
    } else if (s == "floor") {
      *out = Rounding::kFloor;
    } else if (s == "ceil") {
      *out = Rounding::kCeil;
    } else {
      return Err(key, "'" + s + "' is not one of half_up, floor, ceil");
    }
    return absl::OkStatus();
  }
};

absl::StatusOr<json> LoadYaml(std::string_view text, const std::string& file) {
  try {
    YAML::Node node = YAML::Load(std::string(text));
    json j = YamlToJson(node);
    if (!j.is_object()) return absl::InvalidArgumentError(file + ": must be a mapping");
    return j;
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(file + ": " + e.what());
  }
}

}  // namespace

int64_t RoundBy(double x, Rounding r) {
  constexpr double kEps = 1e-9;
  switch (r) {
    case Rounding::kFloor:
      return static_cast<int64_t>(std::floor(x + kEps));
    case Rounding::kCeil:
      return static_cast<int64_t>(std::ceil(x - kEps));
    case Rounding::kHalfUp:
      break;
  }
  return static_cast<int64_t>(std::floor(x + 0.5 + kEps));
}

int QuotaPolicy::WorkstationPosts(int64_t households) const {
  for (const HouseholdBand& b : workstation_posts) {
    if (!b.max_households || households <= *b.max_households) return b.posts;
  }
  return 0;
}

const PostDef* GradePolicy::FindPost(std::string_view id_or_name) const {
  for (const PostDef& p : posts) {
    if (MatchesSpelling(id_or_name, p.id, p.name, "")) return &p;
  }
  return nullptr;
}

const Pay* GradePolicy::PayFor(int grade) const {
  if (grade < 1 || grade > static_cast<int>(pay.size())) return nullptr;
  return &pay[grade - 1];
}

absl::StatusOr<QuotaPolicy> ParseQuotaPolicy(std::string_view yaml_text) {
  const std::string file = "quota.yaml";
  ASSIGN_OR_RETURN(const json root, LoadYaml(yaml_text, file));
  Obj top(file, "", root);
  QuotaPolicy p;

  const json* bases = top.Find("bases");
  if (!bases) return top.Err("bases", "required");
  {
    Obj o(file, "bases", *bases);
    RETURN_IF_ERROR(o.CheckObject());
    for (std::string_view key : kQuotaBaseKeys) {
      int v = 0;
      RETURN_IF_ERROR(o.Int(key, true, 1, 100000, &v));
      p.bases.emplace(std::string(key), v);
    }
    RETURN_IF_ERROR(o.NoUnknownKeys());
  }

  const json* coeff = top.Find("class_coefficients");
  if (!coeff) return top.Err("class_coefficients", "required");
  {
    Obj o(file, "class_coefficients", *coeff);
    RETURN_IF_ERROR(o.CheckObject());
    for (int c = 1; c <= 3; ++c) {
      RETURN_IF_ERROR(o.Num(std::to_string(c), true, 0.01, 10.0, &p.class_coefficients[c]));
    }
    RETURN_IF_ERROR(o.NoUnknownKeys());
  }

  RETURN_IF_ERROR(top.Round("rounding", &p.rounding));

  const json* bands = top.Find("workstation_posts");
  if (!bands) return top.Err("workstation_posts", "required");
  if (!bands->is_array() || bands->empty()) {
    return top.Err("workstation_posts", "must be a non-empty list of bands");
  }
  for (size_t i = 0; i < bands->size(); ++i) {
    const std::string path = "workstation_posts[" + std::to_string(i) + "]";
    Obj o(file, path, (*bands)[i]);
    RETURN_IF_ERROR(o.CheckObject());
    HouseholdBand band;
    const bool last = i + 1 == bands->size();
    int64_t max = 0;
    RETURN_IF_ERROR(o.Int("max_households", !last, 0, int64_t{1} << 40, &max));
    if (o.Find("max_households")) {
      if (last) return o.Err("max_households", "the last band is open-ended: leave it out");
      if (!p.workstation_posts.empty() && max <= *p.workstation_posts.back().max_households) {
        return o.Err("max_households", "bands must ascend");
      }
      band.max_households = max;
    }
    RETURN_IF_ERROR(o.Int("posts", true, 0, 1000, &band.posts));
    RETURN_IF_ERROR(o.NoUnknownKeys());
    p.workstation_posts.push_back(band);
  }

  RETURN_IF_ERROR(top.Int("review_years", true, 1, 20, &p.review_years));

  const json* in_quota = top.Find("in_quota");
  if (!in_quota) return top.Err("in_quota", "required");
  if (!in_quota->is_array()) return top.Err("in_quota", "must be a list of employment kinds");
  for (size_t i = 0; i < in_quota->size(); ++i) {
    const json& e = (*in_quota)[i];
    const std::string path = "in_quota[" + std::to_string(i) + "]";
    std::optional<Employment> kind;
    if (e.is_string()) kind = ParseEnum<Employment>(e.get<std::string>());
    if (!kind) {
      return absl::InvalidArgumentError(file + ": " + path + ": " + e.dump() +
                                        " is not an employment kind (" + EnumChoices<Employment>() +
                                        ")");
    }
    p.in_quota[static_cast<int>(*kind)] = true;
  }

  const json* conv = top.Find("dispatch_conversion");
  if (!conv) return top.Err("dispatch_conversion", "required");
  {
    Obj o(file, "dispatch_conversion", *conv);
    RETURN_IF_ERROR(o.CheckObject());
    auto& d = p.dispatch_conversion;
    RETURN_IF_ERROR(o.Int("min_years", true, 0, 50, &d.min_years));
    RETURN_IF_ERROR(o.Num("max_share", true, 0.0, 1.0, &d.max_share));
    RETURN_IF_ERROR(o.Round("rounding", &d.rounding));
    RETURN_IF_ERROR(o.NoUnknownKeys());
  }
  if (p.InQuota(Employment::kDispatch)) {
    return top.Err("in_quota",
                   "dispatch cannot count against the quota: conversion moves "
                   "dispatch staff into it");
  }
  if (!p.InQuota(Employment::kContract)) {
    return top.Err("in_quota", "contract must count against the quota (conversion targets it)");
  }
  RETURN_IF_ERROR(top.NoUnknownKeys());
  return p;
}

absl::StatusOr<GradePolicy> ParseGradePolicy(std::string_view yaml_text) {
  const std::string file = "grades.yaml";
  ASSIGN_OR_RETURN(const json root, LoadYaml(yaml_text, file));
  Obj top(file, "", root);
  GradePolicy p;
  RETURN_IF_ERROR(top.Int("grades", true, 1, 100, &p.grades));
  RETURN_IF_ERROR(top.Int("years_per_grade", true, 1, 50, &p.years_per_grade));

  const json* posts = top.Find("posts");
  if (!posts) return top.Err("posts", "required");
  if (!posts->is_array() || posts->empty()) return top.Err("posts", "must be a non-empty list");
  for (size_t i = 0; i < posts->size(); ++i) {
    Obj o(file, "posts[" + std::to_string(i) + "]", (*posts)[i]);
    RETURN_IF_ERROR(o.CheckObject());
    PostDef d;
    RETURN_IF_ERROR(o.Str("id", true, &d.id));
    for (char c : d.id) {
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
        return o.Err("id", "'" + d.id + "' must be lower-case letters, digits and _");
      }
    }
    RETURN_IF_ERROR(o.Str("name", true, &d.name));
    RETURN_IF_ERROR(o.Int("min_grade", true, 1, p.grades, &d.min_grade));
    RETURN_IF_ERROR(o.Int("max_grade", true, 1, p.grades, &d.max_grade));
    if (d.max_grade < d.min_grade) return o.Err("max_grade", "is below min_grade");
    RETURN_IF_ERROR(o.NoUnknownKeys());
    if (p.FindPost(d.id) || p.FindPost(d.name)) {
      return o.Err("id", "post '" + d.id + "' (" + d.name + ") is listed twice");
    }
    p.posts.push_back(std::move(d));
  }

  if (const json* bonus = top.Find("education_bonus")) {
    Obj o(file, "education_bonus", *bonus);
    RETURN_IF_ERROR(o.CheckObject());
    for (const auto& s : Spellings<Education>()) {
      RETURN_IF_ERROR(
          o.Int(s.en, false, 0, p.grades, &p.education_bonus[static_cast<int>(s.value)]));
    }
    RETURN_IF_ERROR(o.NoUnknownKeys());
  }

  const json* pay = top.Find("pay");
  if (!pay) return top.Err("pay", "required");
  if (!pay->is_array()) return top.Err("pay", "must be a list of {grade, base, performance}");
  p.pay.assign(p.grades, Pay{-1, -1});
  for (size_t i = 0; i < pay->size(); ++i) {
    Obj o(file, "pay[" + std::to_string(i) + "]", (*pay)[i]);
    RETURN_IF_ERROR(o.CheckObject());
    int grade = 0;
    RETURN_IF_ERROR(o.Int("grade", true, 1, p.grades, &grade));
    Pay row;
    RETURN_IF_ERROR(o.Int("base", true, 0, 10'000'000, &row.base));
    RETURN_IF_ERROR(o.Int("performance", true, 0, 10'000'000, &row.performance));
    RETURN_IF_ERROR(o.NoUnknownKeys());
    if (p.pay[grade - 1].base >= 0)
      return o.Err("grade", "grade " + std::to_string(grade) + " is listed twice");
    p.pay[grade - 1] = row;
  }
  for (int g = 1; g <= p.grades; ++g) {
    if (p.pay[g - 1].base < 0) return top.Err("pay", "grade " + std::to_string(g) + " is missing");
  }

  RETURN_IF_ERROR(top.Num("parity_tolerance", true, 0.0, 1.0, &p.parity_tolerance));
  RETURN_IF_ERROR(top.NoUnknownKeys());
  return p;
}

}  // namespace shequ::domain::workforce
