// 民政局 (civil affairs bureau): care for the elderly at home, the old-age allowance and the
// minimum living allowance (低保) as a community carries them out.

#include <chrono>
#include <string>

#include "plugins/common/dictionary.h"
#include "plugins/common/inspection.h"
#include "plugins/sdk/shequ_plugin.hpp"

namespace shequ::plugins::civil_affairs {
namespace {

constexpr char kKey[] = "civil_affairs";
constexpr char kJob[] = "civil-affairs.elderly-care-check";

const json& ChecklistFields() {
  static const json fields = json::array({
      SharedField("community_name"),
      SharedField("inspection_date"),
      SharedField("household_count"),
      SharedField("elderly_over_60"),
      SharedField("elderly_over_80"),
      SharedField("low_income_households"),
      SharedField("disabled_persons"),
      SharedField("volunteers_count", false),
      SharedField("resident_roster", false),
      OwnField("old_age_allowance_recipients", "高龄津贴发放人数", "integer", "人"),
      OwnField("low_income_reviewed", "低保年度复核户数", "integer", "户"),
      OwnField("home_care_served", "居家养老服务对象", "integer", "人"),
      OwnField("care_station_area", "养老服务站面积", "decimal", "㎡"),
  });
  return fields;
}

json Descriptor() {
  return {
      {"name", kKey},
      {"department", "民政局 / civil affairs bureau"},
      {"version", "1.0.0"},
      {"protocol_version", 1},
      {"description",
       "Elderly care at home, old-age allowance and minimum living allowance in the community"},
      {"job_types",
       {{{"type", kJob},
         {"description",
          "Checks allowance coverage of residents over 80, the yearly review of every low-income "
          "household, home-care reach, and the over-80 count against the resident roster"},
         {"inputs", {"ledger", "period_months", "standards"}},
         {"outputs", {kKey}}}}},
      {"operations",
       {{{"name", "validate-ledger"},
         {"description", "Which of this checklist's fields the ledger lacks or has wrong"}}}},
      {"checklists",
       {{{"id", "civil-affairs-yearly"},
         {"title", "民政工作年度检查表 / civil affairs yearly checklist"},
         {"frequency", "yearly"},
         {"basis", "最低生活保障审核确认办法; 高龄津贴制度; 居家社区养老服务"},
         {"items",
          {{{"id", "allowance"},
            {"text", "高龄津贴应发尽发 / every resident over 80 receives the old-age allowance"},
            {"field_ids", {"elderly_over_80", "old_age_allowance_recipients"}}},
           {{"id", "low-income-review"},
            {"text", "低保对象年度复核全覆盖 / every low-income household reviewed this year"},
            {"field_ids", {"low_income_households", "low_income_reviewed"}}},
           {{"id", "home-care"},
            {"text", "居家养老服务覆盖 / home care reaches the elderly"},
            {"field_ids", {"elderly_over_60", "home_care_served", "care_station_area"}}}}},
         {"fields", ChecklistFields()}}}},
      {"ledger_fields",
       json::array({SharedField("low_income_households"), SharedField("elderly_over_80"),
                    OwnField("old_age_allowance_recipients", "高龄津贴发放人数", "integer", "人"),
                    OwnField("low_income_reviewed", "低保年度复核户数", "integer", "户"),
                    OwnField("home_care_served", "居家养老服务对象", "integer", "人")})},
      {"signboards",
       {{{"id", "home-care-station"},
         {"title", "社区居家养老服务站"},
         {"model", "民政统一式样"},
         {"size", "60cm × 40cm"},
         {"colour", "white characters on dark red"},
         {"placement", "indoors, at the door of the elderly day-care room"},
         {"photo_on_file_acceptable", true},
         {"funded_by", "区民政局"}}}},
      {"channels",
       {{{"id", "civil-affairs-platform"},
         {"kind", "platform"},
         {"description", "the bureau's case platform receives the shared results"}}}},
  };
}

// Years between a roster birth date and the inspection date (both YYYY-MM-DD).
int AgeOn(const std::string& birth, const std::string& on) {
  int by = std::stoi(birth.substr(0, 4)), oy = std::stoi(on.substr(0, 4));
  int age = oy - by;
  if (on.substr(5) < birth.substr(5)) --age;
  return age;
}

class CivilAffairs final : public sdk::Plugin {
 public:
  std::string ExecuteJob(const sdk::Job& job) override {
    if (job.type != kJob) {
      throw sdk::Error(SHEQU_NOT_FOUND, "job type '" + std::string(job.type) + "' is not mine");
    }
    Inspection in(job.variables_json, ChecklistFields(), kKey);
    in.Rate("old_age_allowance_coverage", "old_age_allowance_recipients", "elderly_over_80",
            in.Standard("old_age_allowance_coverage", 1.0),
            "高龄津贴未应发尽发 / residents over 80 without the old-age allowance");
    in.Rate("low_income_review_rate", "low_income_reviewed", "low_income_households",
            in.Standard("low_income_review_rate", 1.0),
            "低保对象年度复核未全覆盖 / low-income households not reviewed this year");
    in.Rate("home_care_reach", "home_care_served", "elderly_over_60",
            in.Standard("home_care_reach", 0.1),
            "居家养老服务覆盖不足 / home care reaches too few of the elderly");
    if (auto low = in.Number("low_income_households"), hh = in.Number("household_count");
        low && hh && *hh > 0) {
      in.Indicator("low_income_household_share", *low / *hh);
    }
    // One datum, one source: the over-80 count must agree with the roster it comes from.
    const auto& ledger = in.ledger();
    auto roster = ledger.find("resident_roster");
    auto date = ledger.find("inspection_date");
    auto over80 = in.Number("elderly_over_80");
    if (roster != ledger.end() && roster->is_array() && date != ledger.end() && date->is_string() &&
        over80) {
      int counted = 0;
      for (const auto& row : *roster) {
        auto b = row.find("birth_date");
        if (b != row.end() && b->is_string() && b->get<std::string>().size() == 10 &&
            AgeOn(b->get<std::string>(), date->get<std::string>()) >= 80) {
          ++counted;
        }
      }
      in.Indicator("elderly_over_80_in_roster", counted);
      if (counted != static_cast<int>(*over80)) {
        in.Finding("elderly_over_80_mismatch", "minor",
                   "80岁以上人数与居民花名册不一致 / the over-80 count (" +
                       std::to_string(static_cast<int>(*over80)) + ") differs from the roster (" +
                       std::to_string(counted) + ")");
      }
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
}  // namespace shequ::plugins::civil_affairs

SHEQU_PLUGIN(shequ::plugins::civil_affairs::CivilAffairs, "civil_affairs", "1.0.0",
             shequ::plugins::civil_affairs::DescriptorJson)
