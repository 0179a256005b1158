#pragma once

// A department's check of one community's shared ledger, as run by a job handler: reads the
// ledger from the job's variables, checks the checklist's fields are present and well typed,
// computes the department's indicators against its standards, and collects findings.
//
// Job variables: {"ledger": {field id: value, ...}, "period_months": 12,
//                 "standards": {"<department key>": {"<standard>": number}}}
// Standards have defaults in each plugin (from the public practice it cites); a district
// overrides them per instance through `standards`, without rebuilding the plugin.

#include <optional>
#include <string>
#include <string_view>

#include "nlohmann/json.hpp"

namespace shequ::plugins {

using nlohmann::json;

class Inspection {
 public:
  // Throws shequ::sdk::Error(SHEQU_INVALID_INPUT) when the variables are not a JSON object with
  // a `ledger` object: retrying cannot help, an operator has to supply it.
  Inspection(std::string_view variables_json, const json& checklist_fields, std::string key);

  const json& ledger() const { return ledger_; }
  const json& variables() const { return vars_; }

  // A figure of the ledger; nullopt when absent or invalid (both already recorded).
  std::optional<double> Number(const std::string& id) const;
  // numerator / denominator; records the indicator, and a finding when below `target`.
  // nullopt (nothing recorded) when either figure is missing or the denominator is zero.
  std::optional<double> Rate(const std::string& indicator, const std::string& numerator,
                             const std::string& denominator, double target,
                             const std::string& finding);
  void Indicator(const std::string& name, double value);
  void Finding(const std::string& code, const std::string& severity, const std::string& text);
  double Standard(const std::string& name, double fallback) const;
  int PeriodMonths() const;

  // {"<key>": {"passed", "indicators", "findings", "missing", "invalid"}} as JSON text.
  std::string Result() const;
  // {"complete", "missing", "invalid"}: the ledger against the fields, nothing computed.
  json Completeness() const;

 private:
  std::string key_;
  json vars_;
  json ledger_;
  json indicators_ = json::object();
  json findings_ = json::array();
  json missing_ = json::array();
  json invalid_ = json::array();
};

// The "validate-ledger" operation every department plugin offers: input {"ledger": {...}}.
std::string ValidateLedger(std::string_view input_json, const json& checklist_fields,
                           const std::string& key);

}  // namespace shequ::plugins
