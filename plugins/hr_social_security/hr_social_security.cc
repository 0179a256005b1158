// 人社局 (human resources and social security): employment services and social insurance in
// the community, through its employment and social security service station.

#include <string>

#include "plugins/common/dictionary.h"
#include "plugins/common/inspection.h"
#include "plugins/sdk/shequ_plugin.hpp"

namespace shequ::plugins::hr_social_security {
namespace {

constexpr char kKey[] = "hr_social_security";
constexpr char kJob[] = "hr.employment-check";

const json& ChecklistFields() {
  static const json fields = json::array({
      SharedField("community_name"),
      SharedField("inspection_date"),
      SharedField("household_count"),
      SharedField("resident_count"),
      SharedField("registered_unemployed"),
      SharedField("low_income_households"),
      SharedField("disabled_persons", false),
      OwnField("reemployed_in_period", "期内实现再就业", "integer", "人"),
      OwnField("zero_employment_families", "零就业家庭", "integer", "户"),
      OwnField("working_age_residents", "劳动年龄人口", "integer", "人"),
      OwnField("pension_insured", "参加基本养老保险", "integer", "人"),
      OwnField("medical_insured", "参加基本医疗保险", "integer", "人"),
      OwnField("employment_difficulty_assisted", "就业困难人员援助", "integer", "人", false),
  });
  return fields;
}

json Descriptor() {
  return {
      {"name", kKey},
      {"department", "区人力资源和社会保障局 / human resources and social security bureau"},
      {"version", "1.0.0"},
      {"protocol_version", 1},
      {"description", "Employment services and social insurance coverage in the community"},
      {"job_types",
       {{{"type", kJob},
         {"description",
          "Computes the re-employment rate of the registered unemployed and pension and medical "
          "insurance coverage, and flags zero-employment families (动态清零)"},
         {"inputs", {"ledger", "standards"}},
         {"outputs", {kKey}}}}},
      {"operations",
       {{{"name", "validate-ledger"},
         {"description", "Which of this checklist's fields the ledger lacks or has wrong"}},
        {{"name", "coverage"},
         {"description", "Insurance coverage rates from a ledger, without a job"}}}},
      {"checklists",
       {{{"id", "employment-social-security-yearly"},
         {"title",
          "就业和社会保障工作年度检查表 / employment and social security yearly checklist"},
         {"frequency", "yearly"},
         {"basis", "就业促进法; 社会保险法; 零就业家庭动态清零"},
         {"items",
          {{{"id", "reemployment"},
            {"text", "登记失业人员再就业 / the registered unemployed find work again"},
            {"field_ids", {"registered_unemployed", "reemployed_in_period"}}},
           {{"id", "zero-employment"},
            {"text", "零就业家庭动态清零 / no family without any employed member"},
            {"field_ids", {"zero_employment_families"}}},
           {{"id", "insurance"},
            {"text", "基本养老、医疗保险扩面 / pension and medical insurance coverage"},
            {"field_ids",
             {"working_age_residents", "pension_insured", "resident_count", "medical_insured"}}}}},
         {"fields", ChecklistFields()}}}},
      {"ledger_fields",
       json::array({SharedField("registered_unemployed"),
                    OwnField("reemployed_in_period", "期内实现再就业", "integer", "人"),
                    OwnField("zero_employment_families", "零就业家庭", "integer", "户"),
                    OwnField("pension_insured", "参加基本养老保险", "integer", "人")})},
      {"signboards",
       {{{"id", "employment-social-security-station"},
         {"title", "社区就业和社会保障服务站"},
         {"model", "人社统一式样"},
         {"size", "60cm × 40cm"},
         {"colour", "white on blue"},
         {"placement", "indoors, at the one-stop service counter"},
         {"photo_on_file_acceptable", true},
         {"funded_by", "区人力资源和社会保障局"}}}},
      {"channels",
       {{{"id", "hr-platform"},
         {"kind", "platform"},
         {"description", "the bureau's employment information system receives the results"}}}},
  };
}

class HrSocialSecurity final : public sdk::Plugin {
 public:
  std::string ExecuteJob(const sdk::Job& job) override {
    if (job.type != kJob) {
      throw sdk::Error(SHEQU_NOT_FOUND, "job type '" + std::string(job.type) + "' is not mine");
    }
    Inspection in(job.variables_json, ChecklistFields(), kKey);
    Check(in);
    return in.Result();
  }

  std::string Invoke(const sdk::Invocation& call) override {
    if (call.operation == "validate-ledger") {
      return ValidateLedger(call.input_json, ChecklistFields(), kKey);
    }
    if (call.operation == "coverage") {
      Inspection in(call.input_json, ChecklistFields(), kKey);
      Check(in);
      return json::parse(in.Result())[kKey]["indicators"].dump();
    }
    return sdk::Plugin::Invoke(call);
  }

 private:
  static void Check(Inspection& in) {
    if (auto unemployed = in.Number("registered_unemployed"); unemployed && *unemployed == 0) {
      in.Indicator("reemployment_rate", 1.0);
    } else {
      in.Rate("reemployment_rate", "reemployed_in_period", "registered_unemployed",
              in.Standard("reemployment_rate", 0.6),
              "再就业率未达标 / too few of the registered unemployed back in work");
    }
    if (auto zero = in.Number("zero_employment_families"); zero && *zero > 0) {
      in.Finding("zero_employment_families", "major",
                 "零就业家庭未动态清零 / " + std::to_string(static_cast<int>(*zero)) +
                     " families without any employed member");
    }
    in.Rate("pension_coverage", "pension_insured", "working_age_residents",
            in.Standard("pension_coverage", 0.9),
            "基本养老保险参保率未达标 / pension insurance coverage below the standard");
    in.Rate("medical_coverage", "medical_insured", "resident_count",
            in.Standard("medical_coverage", 0.95),
            "基本医疗保险参保率未达标 / medical insurance coverage below the standard");
  }
};

std::string DescriptorJson() { return Descriptor().dump(); }

}  // namespace
}  // namespace shequ::plugins::hr_social_security

SHEQU_PLUGIN(shequ::plugins::hr_social_security::HrSocialSecurity, "hr_social_security", "1.0.0",
             shequ::plugins::hr_social_security::DescriptorJson)
