#include "daemon/domain/workforce/policy.h"

#include <cmath>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "daemon/core/status.h"
#include "daemon/core/yaml_json.h"
#include "yaml-cpp/yaml.h"

namespace shequ::domain::workforce {
namespace {

using nlohmann::json;

// Walks one JSON object with a key path for messages and refuses keys nobody asked for.
class Obj {
 public:
  Obj(std::string file, std::string path, const json& j) : file_(file), path_(path), j_(j) {}

  absl::Status CheckObject() const {
    if (!j_.is_object()) return Err("", "must be a mapping");
    return absl::OkStatus();
  }
  std::string Path(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }
  absl::Status Err(std::string_view key, std::string_view what) const {
    const std::string p = key.empty() ? path_ : Path(key);
    return absl::InvalidArgumentError(file_ + ": " + (p.empty() ? "" : p + ": ") +
                                      std::string(what));
  }
  const json* Find(std::string_view key) {
    used_.insert(std::string(key));
    auto it = j_.find(std::string(key));
    if (it == j_.end() || it->is_null()) return nullptr;
    return &*it;
  }
  absl::Status Int(std::string_view key, bool required, int64_t min, int64_t max, int64_t* out) {
    const json* v = Find(key);
    if (!v) return required ? Err(key, "required") : absl::OkStatus();
    if (!v->is_number_integer()) return Err(key, "must be a whole number, got " + v->dump());
    const int64_t x = v->get<int64_t>();
    if (x < min || x > max) {
      return Err(key, std::to_string(x) + " is outside " + std::to_string(min) + "–" +
                          std::to_string(max));
    }
    *out = x;
    return absl::OkStatus();
  }
  absl::Status Int(std::string_view key, bool required, int64_t min, int64_t max, int* out) {
    int64_t x = *out;
    RETURN_IF_ERROR(Int(key, required, min, max, &x));
    *out = static_cast<int>(x);
    return absl::OkStatus();
  }
  absl::Status Num(std::string_view key, bool required, double min, double max, double* out) {
    const json* v = Find(key);
    if (!v) return required ? Err(key, "required") : absl::OkStatus();
    if (!v->is_number()) return Err(key, "must be a number, got " + v->dump());
    const double x = v->get<double>();
    if (!(x >= min && x <= max)) {
      return Err(key, v->dump() + " is outside " + json(min).dump() + "–" + json(max).dump());
    }
    *out = x;
    return absl::OkStatus();
  }
  absl::Status Str(std::string_view key, bool required, std::string* out) {
    const json* v = Find(key);
    if (!v) return required ? Err(key, "required") : absl::OkStatus();
    if (!v->is_string() || v->get<std::string>().empty()) {
      return Err(key, "must be non-empty text, got " + v->dump());
    }
    *out = v->get<std::string>();
    return absl::OkStatus();
  }
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
  // Call last: any key present but never looked up is a typo or an unsupported setting.
  absl::Status NoUnknownKeys() const {
    for (auto it = j_.begin(); it != j_.end(); ++it) {
      if (!used_.count(it.key())) return Err(it.key(), "unknown key");
    }
    return absl::OkStatus();
  }
  const std::string& file() const { return file_; }

 private:
  std::string file_;
  std::string path_;
  const json& j_;
  std::set<std::string> used_;
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
