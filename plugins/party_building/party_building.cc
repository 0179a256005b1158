// 组织部 (organisation department): party building in the community — the regular meetings of
// the branch (三会一课), party members' contact with households, and reserve cadres (3 to 7 per
// community, seed 002).

#include <cmath>
#include <string>

#include "plugins/common/dictionary.h"
#include "plugins/common/inspection.h"
#include "plugins/sdk/shequ_plugin.hpp"

namespace shequ::plugins::party_building {
namespace {

constexpr char kKey[] = "party_building";
constexpr char kJob[] = "party.organisation-check";

const json& ChecklistFields() {
  static const json fields = json::array({
      SharedField("community_name"),
      SharedField("inspection_date"),
      SharedField("household_count"),
      SharedField("party_members"),
      SharedField("volunteers_count", false),
      SharedField("service_space_area"),
      OwnField("branch_general_meetings", "支部党员大会次数", "integer", "次"),
      OwnField("branch_committee_meetings", "支委会次数", "integer", "次"),
      OwnField("group_meetings", "党小组会次数", "integer", "次"),
      OwnField("party_lectures", "党课次数", "integer", "次"),
      OwnField("reserve_cadres", "后备干部", "integer", "人"),
      OwnField("members_contacting_households", "联系服务群众党员", "integer", "人"),
      OwnField("secretary_trained", "书记参加区级培训", "boolean"),
  });
  return fields;
}

json Descriptor() {
  return {
      {"name", kKey},
      {"department", "区委组织部 / organisation department"},
      {"version", "1.0.0"},
      {"protocol_version", 1},
      {"description", "Party organisation life, reserve cadres and the secretary's training"},
      {"job_types",
       {{{"type", kJob},
         {"description",
          "Compares the branch's meetings with what 三会一课 requires for the period, checks "
          "reserve cadres (3-7), households per contacting member and the secretary's yearly "
          "district training"},
         {"inputs", {"ledger", "period_months", "standards"}},
         {"outputs", {kKey}}}}},
      {"operations",
       {{{"name", "validate-ledger"},
         {"description", "Which of this checklist's fields the ledger lacks or has wrong"}}}},
      {"checklists",
       {{{"id", "party-building-yearly"},
         {"title", "社区党建工作年度检查表 / community party building yearly checklist"},
         {"frequency", "yearly"},
         {"basis", "中国共产党支部工作条例（试行）; 三会一课制度"},
         {"items",
          {{{"id", "meetings"},
            {"text", "三会一课按期召开 / branch meetings and lectures held on time"},
            {"field_ids",
             {"branch_general_meetings", "branch_committee_meetings", "group_meetings",
              "party_lectures"}}},
           {{"id", "reserve"},
            {"text", "后备干部3至7名 / three to seven reserve cadres"},
            {"field_ids", {"reserve_cadres"}}},
           {{"id", "contact"},
            {"text", "党员联系服务群众 / members in contact with households"},
            {"field_ids", {"household_count", "party_members", "members_contacting_households"}}},
           {{"id", "training"},
            {"text", "书记每年参加区级培训 / the secretary attended district training"},
            {"field_ids", {"secretary_trained"}}}}},
         {"fields", ChecklistFields()}}}},
      {"ledger_fields",
       json::array({SharedField("party_members"),
                    OwnField("branch_general_meetings", "支部党员大会次数", "integer", "次"),
                    OwnField("branch_committee_meetings", "支委会次数", "integer", "次"),
                    OwnField("party_lectures", "党课次数", "integer", "次"),
                    OwnField("reserve_cadres", "后备干部", "integer", "人")})},
      {"signboards",
       {{{"id", "party-members-room"},
         {"title", "党员活动室"},
         {"model", "组织部统一式样"},
         {"size", "40cm × 30cm"},
         {"colour", "gold on red"},
         {"placement", "indoors, on the activity room's door"},
         {"photo_on_file_acceptable", true},
         {"funded_by", "区委组织部"}},
        {{"id", "party-service-centre"},
         {"title", "党群服务中心"},
         {"model", "组织部统一式样"},
         {"size", "80cm × 50cm"},
         {"colour", "gold on red"},
         {"placement", "indoors, in the service hall (社区党组织 hangs outside already)"},
         {"photo_on_file_acceptable", false},
         {"funded_by", "区委组织部"}}}},
      {"channels",
       {{{"id", "party-platform"},
         {"kind", "platform"},
         {"description", "the organisation department's party-building platform"}}}},
  };
}

class PartyBuilding final : public sdk::Plugin {
 public:
  std::string ExecuteJob(const sdk::Job& job) override {
    if (job.type != kJob) {
      throw sdk::Error(SHEQU_NOT_FOUND, "job type '" + std::string(job.type) + "' is not mine");
    }
    Inspection in(job.variables_json, ChecklistFields(), kKey);
    const int months = in.PeriodMonths();
    // 三会一课: general meeting and lecture each quarter, committee and group meetings monthly.
    const int quarters = (months + 2) / 3;
    struct Rule {
      const char* field;
      int required;
      const char* text;
    };
    const Rule rules[] = {
        {"branch_general_meetings", quarters, "支部党员大会 / branch general meetings"},
        {"branch_committee_meetings", months, "支委会 / branch committee meetings"},
        {"group_meetings", months, "党小组会 / party group meetings"},
        {"party_lectures", quarters, "党课 / party lectures"},
    };
    for (const auto& r : rules) {
      auto held = in.Number(r.field);
      if (!held) continue;
      in.Indicator(std::string(r.field) + "_required", r.required);
      if (*held < r.required) {
        in.Finding(r.field, "major",
                   std::string(r.text) + ": " + std::to_string(static_cast<int>(*held)) +
                       " held, " + std::to_string(r.required) + " required in " +
                       std::to_string(months) + " months");
      }
    }
    if (auto reserve = in.Number("reserve_cadres"); reserve) {
      const double low = in.Standard("min_reserve_cadres", 3);
      const double high = in.Standard("max_reserve_cadres", 7);
      if (*reserve < low || *reserve > high) {
        in.Finding("reserve_cadres", *reserve < low ? "major" : "minor",
                   "后备干部" + std::to_string(static_cast<int>(*reserve)) + "名，应为" +
                       std::to_string(static_cast<int>(low)) + "至" +
                       std::to_string(static_cast<int>(high)) + "名 / reserve cadres out of range");
      }
    }
    if (auto hh = in.Number("household_count"),
        contacting = in.Number("members_contacting_households");
        hh && contacting) {
      if (*contacting <= 0) {
        in.Finding("members_contacting_households", "major",
                   "无党员联系服务群众 / no member keeps contact with households");
      } else {
        const double per_member = *hh / *contacting;
        in.Indicator("households_per_contacting_member", per_member);
        if (per_member > in.Standard("max_households_per_member", 30)) {
          in.Finding("members_contacting_households", "minor",
                     "党员联系户过多 / " +
                         std::to_string(static_cast<int>(std::lround(per_member))) +
                         " households per contacting member");
        }
      }
    }
    in.Rate("contacting_member_share", "members_contacting_households", "party_members",
            in.Standard("contacting_member_share", 0.5),
            "联系服务群众党员比例不足 / too few members keep contact with households");
    auto trained = in.ledger().find("secretary_trained");
    if (trained != in.ledger().end() && *trained == false) {
      in.Finding("secretary_trained", "major",
                 "书记未参加年度区级培训 / the secretary missed this year's district training");
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
}  // namespace shequ::plugins::party_building

SHEQU_PLUGIN(shequ::plugins::party_building::PartyBuilding, "party_building", "1.0.0",
             shequ::plugins::party_building::DescriptorJson)
