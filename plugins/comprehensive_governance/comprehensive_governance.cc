// 政法委 / 综治 (comprehensive governance): grid management, dispute mediation and the care of
// key groups. Only counts reach the ledger: who is in a key group is personal data and stays
// in the department's own system.

#include <cmath>
#include <string>

#include "plugins/common/dictionary.h"
#include "plugins/common/inspection.h"
#include "plugins/sdk/shequ_plugin.hpp"

namespace shequ::plugins::comprehensive_governance {
namespace {

constexpr char kKey[] = "comprehensive_governance";
constexpr char kJob[] = "governance.grid-check";

const json& ChecklistFields() {
  static const json fields = json::array({
      SharedField("community_name"),
      SharedField("inspection_date"),
      SharedField("household_count"),
      SharedField("resident_count"),
      SharedField("floating_population"),
      SharedField("grid_count"),
      SharedField("resident_roster", false),
      OwnField("grid_workers", "专兼职网格员", "integer", "人"),
      OwnField("disputes_received", "受理矛盾纠纷", "integer", "件"),
      OwnField("disputes_resolved", "调解成功", "integer", "件"),
      OwnField("key_population", "重点人群（计数）", "integer", "人"),
      OwnField("key_population_visited", "期内走访重点人群", "integer", "人"),
      ChoiceField("governance_centre_status", "综治中心运行情况",
                  {"规范运行", "基本运行", "未运行"}),
  });
  return fields;
}

json Descriptor() {
  return {
      {"name", kKey},
      {"department", "区委政法委（综治办） / political-legal committee, comprehensive governance"},
      {"version", "1.0.0"},
      {"protocol_version", 1},
      {"description", "Grid management, dispute mediation and key-group care in the community"},
      {"job_types",
       {{{"type", kJob},
         {"description",
          "Checks households per grid and grid workers per grid, the mediation success rate and "
          "the visits to key groups in the period"},
         {"inputs", {"ledger", "standards"}},
         {"outputs", {kKey}}}}},
      {"operations",
       {{{"name", "validate-ledger"},
         {"description", "Which of this checklist's fields the ledger lacks or has wrong"}}}},
      {"checklists",
       {{{"id", "grid-governance-half-yearly"},
         {"title", "综治网格化管理半年检查表 / grid governance half-yearly checklist"},
         {"frequency", "half-yearly"},
         {"basis", "城乡社区网格化服务管理规范; 人民调解法"},
         {"items",
          {{{"id", "grids"},
            {"text", "网格划分合理、网格员配齐 / grids of a workable size, each with a worker"},
            {"field_ids", {"household_count", "grid_count", "grid_workers"}}},
           {{"id", "mediation"},
            {"text", "矛盾纠纷及时调处 / disputes mediated"},
            {"field_ids", {"disputes_received", "disputes_resolved"}}},
           {{"id", "key-groups"},
            {"text", "重点人群走访全覆盖 / every key-group member visited"},
            {"field_ids", {"key_population", "key_population_visited"}}}}},
         {"fields", ChecklistFields()}}}},
      {"ledger_fields", json::array({SharedField("grid_count"), SharedField("floating_population"),
                                     OwnField("grid_workers", "专兼职网格员", "integer", "人"),
                                     OwnField("disputes_received", "受理矛盾纠纷", "integer", "件"),
                                     OwnField("disputes_resolved", "调解成功", "integer", "件")})},
      {"signboards",
       {{{"id", "governance-centre"},
         {"title", "社区综治中心"},
         {"model", "政法委统一式样"},
         {"size", "60cm × 40cm"},
         {"colour", "white on dark blue"},
         {"placement", "indoors, in the grid management room"},
         {"photo_on_file_acceptable", false},
         {"funded_by", "区委政法委"}},
        {{"id", "grid-station"},
         {"title", "网格化服务管理工作站"},
         {"model", "政法委统一式样"},
         {"size", "40cm × 30cm"},
         {"colour", "white on dark blue"},
         {"placement", "indoors, in the grid management room"},
         {"photo_on_file_acceptable", true},
         {"funded_by", "区委政法委"}}}},
      {"channels",
       {{{"id", "grid-platform"},
         {"kind", "platform"},
         {"description", "the district grid platform receives findings as cases"}}}},
  };
}

class Governance final : public sdk::Plugin {
 public:
  std::string ExecuteJob(const sdk::Job& job) override {
    if (job.type != kJob) {
      throw sdk::Error(SHEQU_NOT_FOUND, "job type '" + std::string(job.type) + "' is not mine");
    }
    Inspection in(job.variables_json, ChecklistFields(), kKey);
    auto hh = in.Number("household_count");
    auto grids = in.Number("grid_count");
    auto workers = in.Number("grid_workers");
    if (hh && grids) {
      if (*grids <= 0) {
        in.Finding("grid_count", "major", "未划分网格 / the community has no grids");
      } else {
        const double per_grid = *hh / *grids;
        in.Indicator("households_per_grid", per_grid);
        const double most = in.Standard("max_households_per_grid", 500);
        if (per_grid > most) {
          in.Finding("households_per_grid", "major",
                     "网格过大 / " + std::to_string(static_cast<int>(std::lround(per_grid))) +
                         " households per grid, the standard is at most " +
                         std::to_string(static_cast<int>(most)) + "; " +
                         std::to_string(static_cast<int>(std::ceil(*hh / most))) +
                         " grids would be needed");
        }
        if (workers && *workers < *grids) {
          in.Finding("grid_workers", "major",
                     "网格员未配齐 / " + std::to_string(static_cast<int>(*grids - *workers)) +
                         " grids without a grid worker");
        }
      }
    }
    if (auto received = in.Number("disputes_received"); received && *received == 0) {
      in.Indicator("mediation_success_rate", 1.0);
    } else {
      in.Rate("mediation_success_rate", "disputes_resolved", "disputes_received",
              in.Standard("mediation_success_rate", 0.95),
              "矛盾纠纷调解成功率未达标 / too few disputes mediated");
    }
    in.Rate("key_population_visit_rate", "key_population_visited", "key_population",
            in.Standard("key_population_visit_rate", 1.0),
            "重点人群未走访全覆盖 / key-group members not visited");
    auto status = in.ledger().find("governance_centre_status");
    if (status != in.ledger().end() && *status == "未运行") {
      in.Finding("governance_centre_status", "major", "综治中心未运行 / centre not operating");
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
}  // namespace shequ::plugins::comprehensive_governance

SHEQU_PLUGIN(shequ::plugins::comprehensive_governance::Governance, "comprehensive_governance",
             "1.0.0", shequ::plugins::comprehensive_governance::DescriptorJson)
