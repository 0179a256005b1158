// 文体 (culture and sports): the community's culture and sports room, its library corner and
// regular activities for residents.

#include <string>

#include "plugins/common/dictionary.h"
#include "plugins/common/inspection.h"
#include "plugins/sdk/shequ_plugin.hpp"

namespace shequ::plugins::culture_sports {
namespace {

constexpr char kKey[] = "culture_sports";
constexpr char kJob[] = "culture.facilities-check";

const json& ChecklistFields() {
  static const json fields = json::array({
      SharedField("community_name"),
      SharedField("inspection_date"),
      SharedField("resident_count"),
      SharedField("elderly_over_60", false),
      SharedField("volunteers_count"),
      SharedField("service_space_area"),
      OwnField("activity_room_area", "文体活动室面积", "decimal", "㎡"),
      OwnField("activities_held", "期内文体活动场次", "integer", "场"),
      OwnField("participants", "参与活动人次", "integer", "人次"),
      OwnField("books", "社区书屋藏书", "integer", "册"),
      OwnField("fitness_equipment_sets", "健身器材", "integer", "套"),
      ChoiceField("room_opening", "活动室开放", {"每天", "每周五天以上", "不定期"}),
  });
  return fields;
}

json Descriptor() {
  return {
      {"name", kKey},
      {"department", "区文化和旅游体育局 / culture, tourism and sports bureau"},
      {"version", "1.0.0"},
      {"protocol_version", 1},
      {"description", "Culture and sports room, community library and residents' activities"},
      {"job_types",
       {{{"type", kJob},
         {"description",
          "Checks the activity room's share of the service building, monthly activities over the "
          "period, books per resident and the room's opening"},
         {"inputs", {"ledger", "period_months", "standards"}},
         {"outputs", {kKey}}}}},
      {"operations",
       {{{"name", "validate-ledger"},
         {"description", "Which of this checklist's fields the ledger lacks or has wrong"}}}},
      {"checklists",
       {{{"id", "culture-sports-yearly"},
         {"title", "社区文体工作年度检查表 / community culture and sports yearly checklist"},
         {"frequency", "yearly"},
         {"basis", "基层综合性文化服务中心建设; 全民健身条例"},
         {"items",
          {{{"id", "room"},
            {"text", "文体活动室面积与开放 / the room's area and opening hours"},
            {"field_ids", {"activity_room_area", "service_space_area", "room_opening"}}},
           {{"id", "activities"},
            {"text", "每月至少一场文体活动 / at least one activity a month"},
            {"field_ids", {"activities_held", "participants"}}},
           {{"id", "library"},
            {"text", "社区书屋人均藏书 / books per resident"},
            {"field_ids", {"books", "resident_count"}}}}},
         {"fields", ChecklistFields()}}}},
      {"ledger_fields",
       json::array({SharedField("service_space_area"), SharedField("volunteers_count"),
                    OwnField("activity_room_area", "文体活动室面积", "decimal", "㎡"),
                    OwnField("activities_held", "期内文体活动场次", "integer", "场")})},
      {"signboards",
       {{{"id", "culture-sports-room"},
         {"title", "文体活动室"},
         {"model", "文体统一式样"},
         {"size", "40cm × 30cm"},
         {"colour", "white on green"},
         {"placement", "indoors, on the activity room's door"},
         {"photo_on_file_acceptable", true},
         {"funded_by", "区文化和旅游体育局"}},
        {{"id", "community-library"},
         {"title", "社区书屋"},
         {"model", "文体统一式样"},
         {"size", "30cm × 20cm"},
         {"colour", "white on green"},
         {"placement", "indoors, in the reading corner"},
         {"photo_on_file_acceptable", true},
         {"funded_by", "区文化和旅游体育局"}}}},
      {"channels",
       {{{"id", "culture-platform"},
         {"kind", "platform"},
         {"description", "the bureau's public culture service platform"}}}},
  };
}

class CultureSports final : public sdk::Plugin {
 public:
  std::string ExecuteJob(const sdk::Job& job) override {
    if (job.type != kJob) {
      throw sdk::Error(SHEQU_NOT_FOUND, "job type '" + std::string(job.type) + "' is not mine");
    }
    Inspection in(job.variables_json, ChecklistFields(), kKey);
    auto room = in.Number("activity_room_area");
    auto building = in.Number("service_space_area");
    if (room && building) {
      if (*room > *building) {
        in.Finding("activity_room_area", "major",
                   "活动室面积大于服务设施总面积 / the room is larger than the building");
      } else if (*building > 0) {
        in.Indicator("activity_room_share", *room / *building);
      }
      if (*room < in.Standard("min_activity_room_area", 60)) {
        in.Finding("activity_room_area", "minor",
                   "文体活动室面积偏小 / " + std::to_string(static_cast<int>(*room)) + " ㎡");
      }
    }
    const int months = in.PeriodMonths();
    if (auto held = in.Number("activities_held")) {
      const int required = static_cast<int>(in.Standard("activities_per_month", 1) * months);
      in.Indicator("activities_required", required);
      if (*held < required) {
        in.Finding("activities_held", "major",
                   "文体活动不足 / " + std::to_string(static_cast<int>(*held)) + " held, " +
                       std::to_string(required) + " required in " + std::to_string(months) +
                       " months");
      }
      if (auto people = in.Number("participants"); people && *held > 0) {
        in.Indicator("participants_per_activity", *people / *held);
      }
    }
    if (auto books = in.Number("books"), res = in.Number("resident_count");
        books && res && *res > 0) {
      const double per = *books / *res;
      in.Indicator("books_per_resident", per);
      if (per < in.Standard("books_per_resident", 0.5)) {
        in.Finding("books", "minor", "社区书屋人均藏书不足 / too few books per resident");
      }
    }
    auto opening = in.ledger().find("room_opening");
    if (opening != in.ledger().end() && *opening == "不定期") {
      in.Finding("room_opening", "major", "活动室未定期开放 / the room has no regular opening");
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
}  // namespace shequ::plugins::culture_sports

SHEQU_PLUGIN(shequ::plugins::culture_sports::CultureSports, "culture_sports", "1.0.0",
             shequ::plugins::culture_sports::DescriptorJson)
