// 卫健委 / 计生 (health and family planning): the quarterly family-planning check, the
// registration of the floating population and the health management of the elderly.
// Family planning alone inspects at three levels, quarterly, half-yearly and yearly (seed 004),
// which is why its checklist is the first to be merged into the joint inspection.

#include <string>

#include "plugins/common/dictionary.h"
#include "plugins/common/inspection.h"
#include "plugins/sdk/shequ_plugin.hpp"

namespace shequ::plugins::health_family_planning {
namespace {

constexpr char kKey[] = "health_family_planning";
constexpr char kJob[] = "health.family-planning-check";

const json& ChecklistFields() {
  static const json fields = json::array({
      SharedField("community_name"),
      SharedField("inspection_date"),
      SharedField("household_count"),
      SharedField("resident_count"),
      SharedField("floating_population"),
      SharedField("elderly_over_60"),
      SharedField("resident_roster", false),
      OwnField("women_childbearing_age", "育龄妇女人数", "integer", "人"),
      OwnField("births_in_period", "期内出生数", "integer", "人"),
      OwnField("policy_compliant_births", "政策内出生数", "integer", "人"),
      OwnField("floating_population_registered", "流动人口计生服务登记数", "integer", "人"),
      OwnField("elderly_health_managed", "老年人健康管理人数", "integer", "人"),
      OwnField("fp_association_members", "计划生育协会会员数", "integer", "人", false),
  });
  return fields;
}

json Descriptor() {
  return {
      {"name", kKey},
      {"department", "区卫生健康委员会（计划生育） / health and family planning commission"},
      {"version", "1.0.0"},
      {"protocol_version", 1},
      {"description", "Family planning services, floating population, elderly health management"},
      {"job_types",
       {{{"type", kJob},
         {"description",
          "Computes the policy-compliant birth rate, the floating population's registration rate "
          "and the elderly health management rate, and flags what falls short"},
         {"inputs", {"ledger", "standards"}},
         {"outputs", {kKey}}}}},
      {"operations",
       {{{"name", "validate-ledger"},
         {"description", "Which of this checklist's fields the ledger lacks or has wrong"}}}},
      {"checklists",
       {{{"id", "family-planning-quarterly"},
         {"title", "计划生育工作季度检查表 / family planning quarterly checklist"},
         {"frequency", "quarterly"},
         {"basis", "人口与计划生育法; 流动人口计划生育工作条例; 国家基本公共卫生服务规范"},
         {"items",
          {{{"id", "births"},
            {"text", "出生登记与政策符合 / births registered and within policy"},
            {"field_ids", {"births_in_period", "policy_compliant_births"}}},
           {{"id", "floating"},
            {"text", "流动人口计生服务登记 / floating population registered for services"},
            {"field_ids", {"floating_population", "floating_population_registered"}}},
           {{"id", "elderly-health"},
            {"text", "老年人健康管理 / health management of residents over 60"},
            {"field_ids", {"elderly_over_60", "elderly_health_managed"}}}}},
         {"fields", ChecklistFields()}}}},
      {"ledger_fields",
       json::array({SharedField("resident_count"), SharedField("floating_population"),
                    OwnField("women_childbearing_age", "育龄妇女人数", "integer", "人"),
                    OwnField("births_in_period", "期内出生数", "integer", "人"),
                    OwnField("policy_compliant_births", "政策内出生数", "integer", "人")})},
      {"signboards",
       {{{"id", "family-planning-association"},
         {"title", "社区计划生育协会"},
         {"model", "卫健统一式样"},
         {"size", "40cm × 30cm"},
         {"colour", "white on blue"},
         {"placement", "indoors, in the health service room"},
         {"photo_on_file_acceptable", true},
         {"funded_by", "区卫生健康委员会"}},
        {{"id", "family-planning-service-room"},
         {"title", "计划生育服务室"},
         {"model", "卫健统一式样"},
         {"size", "30cm × 20cm"},
         {"colour", "white on blue"},
         {"placement", "indoors, on the service room's door"},
         {"photo_on_file_acceptable", true},
         {"funded_by", "区卫生健康委员会"}}}},
      {"channels",
       {{{"id", "health-sms"},
         {"kind", "sms"},
         {"description", "reminds the community's family-planning officer of a due check"}}}},
  };
}

class HealthFamilyPlanning final : public sdk::Plugin {
 public:
  std::string ExecuteJob(const sdk::Job& job) override {
    if (job.type != kJob) {
      throw sdk::Error(SHEQU_NOT_FOUND, "job type '" + std::string(job.type) + "' is not mine");
    }
    Inspection in(job.variables_json, ChecklistFields(), kKey);
    if (auto births = in.Number("births_in_period"); births && *births == 0) {
      in.Indicator("policy_compliant_birth_rate", 1.0);  // no births: nothing out of policy
    } else {
      in.Rate("policy_compliant_birth_rate", "policy_compliant_births", "births_in_period",
              in.Standard("policy_compliant_birth_rate", 0.95),
              "政策符合率未达标 / births outside policy above the standard");
    }
    in.Rate("floating_registration_rate", "floating_population_registered", "floating_population",
            in.Standard("floating_registration_rate", 0.9),
            "流动人口计生服务登记率未达标 / floating population not registered");
    in.Rate("elderly_health_management_rate", "elderly_health_managed", "elderly_over_60",
            in.Standard("elderly_health_management_rate", 0.7),
            "老年人健康管理率未达标 / too few residents over 60 under health management");
    if (auto women = in.Number("women_childbearing_age"), res = in.Number("resident_count");
        women && res && *women > *res) {
      in.Finding("women_childbearing_age", "major",
                 "育龄妇女人数大于常住人口 / more women of childbearing age than residents");
    }
    return in.Result();
  }

  std::string Invoke(const sdk::Invocation& call) override {
    if (call.operation == "validate-ledger") {
      return ValidateLedger(call.input_json, ChecklistFields(), kKey);
    }
    return sdk::Plugin::Invoke(call);
  }
};

std::string DescriptorJson() { return Descriptor().dump(); }

}  // namespace
}  // namespace shequ::plugins::health_family_planning

SHEQU_PLUGIN(shequ::plugins::health_family_planning::HealthFamilyPlanning, "health_family_planning",
             "1.0.0", shequ::plugins::health_family_planning::DescriptorJson)
