#include "plugins/common/inspection.h"

#include <cmath>
#include <regex>

#include "plugins/sdk/shequ_plugin.hpp"

namespace shequ::plugins {
namespace {

bool IsDate(const json& v) {
  static const std::regex kDate("\\d{4}-\\d{2}-\\d{2}");
  return v.is_string() && std::regex_match(v.get<std::string>(), kDate);
}

// Whether `v` fits field `f`; rosters check each row's columns.
bool Fits(const json& f, const json& v) {
  const std::string type = f.value("type", "");
  if (type == "text") return v.is_string();
  if (type == "integer") {
    return v.is_number_integer() ||
           (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>());
  }
  if (type == "decimal") return v.is_number();
  if (type == "boolean") return v.is_boolean();
  if (type == "date") return IsDate(v);
  if (type == "choice") {
    if (!v.is_string()) return false;
    for (const auto& c : f.value("choices", json::array())) {
      if (c == v) return true;
    }
    return false;
  }
  if (type == "roster") {
    if (!v.is_array()) return false;
    for (const auto& row : v) {
      if (!row.is_object()) return false;
      for (const auto& col : f.value("columns", json::array())) {
        auto it = row.find(col.value("id", ""));
        if (it != row.end() && !it->is_null() && !Fits(col, *it)) return false;
      }
    }
    return true;
  }
  return false;
}

}  // namespace

Inspection::Inspection(std::string_view variables_json, const json& fields, std::string key)
    : key_(std::move(key)) {
  vars_ = json::parse(variables_json, nullptr, /*allow_exceptions=*/false);
  if (vars_.is_discarded() || !vars_.is_object()) {
    throw sdk::InvalidInput("variables: not a JSON object");
  }
  auto it = vars_.find("ledger");
  if (it == vars_.end() || !it->is_object()) {
    throw sdk::InvalidInput(
        "variables.ledger: the community's ledger (a JSON object of fields) "
        "is required");
  }
  ledger_ = *it;
  for (const auto& f : fields) {
    const std::string id = f.value("id", "");
    auto v = ledger_.find(id);
    if (v == ledger_.end() || v->is_null()) {
      if (f.value("required", false)) missing_.push_back(id);
    } else if (!Fits(f, *v)) {
      invalid_.push_back({{"field", id}, {"expected", f.value("type", "")}});
    }
  }
}

std::optional<double> Inspection::Number(const std::string& id) const {
  auto v = ledger_.find(id);
  if (v == ledger_.end() || !v->is_number()) return std::nullopt;
  return v->get<double>();
}

std::optional<double> Inspection::Rate(const std::string& indicator, const std::string& numerator,
                                       const std::string& denominator, double target,
                                       const std::string& finding) {
  auto n = Number(numerator);
  auto d = Number(denominator);
  if (!n || !d || *d <= 0) return std::nullopt;
  const double rate = *n / *d;
  Indicator(indicator, rate);
  if (rate + 1e-9 < target) {
    char text[64];
    std::snprintf(text, sizeof text, " (%.1f%%, standard %.1f%%)", rate * 100, target * 100);
    Finding(indicator, "major", finding + text);
  }
  return rate;
}

void Inspection::Indicator(const std::string& name, double value) {
  indicators_[name] = std::round(value * 10000) / 10000;
}

void Inspection::Finding(const std::string& code, const std::string& severity,
                         const std::string& text) {
  findings_.push_back({{"code", code}, {"severity", severity}, {"text", text}});
}

double Inspection::Standard(const std::string& name, double fallback) const {
  auto s = vars_.find("standards");
  if (s == vars_.end() || !s->is_object()) return fallback;
  auto mine = s->find(key_);
  if (mine == s->end() || !mine->is_object()) return fallback;
  auto v = mine->find(name);
  return v != mine->end() && v->is_number() ? v->get<double>() : fallback;
}

int Inspection::PeriodMonths() const {
  auto p = vars_.find("period_months");
  if (p == vars_.end() || !p->is_number_integer()) return 12;
  const int months = p->get<int>();
  if (months < 1 || months > 36) throw sdk::InvalidInput("variables.period_months: 1 to 36");
  return months;
}

std::string Inspection::Result() const {
  bool major = false;
  for (const auto& f : findings_) major = major || f.value("severity", "") == "major";
  json r = {{"passed", !major && missing_.empty() && invalid_.empty()},
            {"indicators", indicators_},
            {"findings", findings_},
            {"missing", missing_},
            {"invalid", invalid_}};
  return json{{key_, r}}.dump();
}

json Inspection::Completeness() const {
  return {{"complete", missing_.empty() && invalid_.empty()},
          {"missing", missing_},
          {"invalid", invalid_}};
}

std::string ValidateLedger(std::string_view input_json, const json& fields,
                           const std::string& key) {
  return Inspection(input_json, fields, key).Completeness().dump();
}

}  // namespace shequ::plugins
