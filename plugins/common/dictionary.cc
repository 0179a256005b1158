#include "plugins/common/dictionary.h"

#include <map>
#include <stdexcept>

namespace shequ::plugins {
namespace {

const std::map<std::string, json>& Dictionary() {
  static const std::map<std::string, json> kFields = [] {
    std::map<std::string, json> m;
    auto add = [&](const std::string& id, const std::string& label, const std::string& type,
                   const std::string& unit, const std::string& description) {
      m[id] = {{"id", id},
               {"label", label},
               {"type", type},
               {"unit", unit},
               {"description", description}};
    };
    add("community_name", "社区名称", "text", "", "community (社区) the ledger belongs to");
    add("inspection_date", "检查日期", "date", "", "the day the figures stand at");
    add("household_count", "户数", "integer", "户", "households living in the community");
    add("resident_count", "常住人口", "integer", "人", "resident population");
    add("floating_population", "流动人口", "integer", "人", "residents registered elsewhere");
    add("elderly_over_60", "60岁以上老年人", "integer", "人", "residents aged 60 or more");
    add("elderly_over_80", "80岁以上高龄老人", "integer", "人", "residents aged 80 or more");
    add("low_income_households", "低保户数", "integer", "户",
        "households receiving the minimum living allowance (最低生活保障)");
    add("disabled_persons", "残疾人数", "integer", "人", "holders of a disability certificate");
    add("registered_unemployed", "登记失业人员", "integer", "人",
        "residents registered as unemployed");
    add("party_members", "党员人数", "integer", "人", "party members whose membership is here");
    add("volunteers_count", "注册志愿者", "integer", "人", "registered volunteers");
    add("service_space_area", "社区综合服务设施面积", "decimal", "㎡",
        "floor area of the community's service building, shared by every room in it");
    add("grid_count", "网格数", "integer", "个", "grids of the grid-management system");
    json roster = {{"id", "resident_roster"},
                   {"label", "居民花名册"},
                   {"type", "roster"},
                   {"description", "one row per resident; personal data, kept in the ledger only"}};
    roster["columns"] = json::array({
        {{"id", "household_no"}, {"label", "户号"}, {"type", "text"}},
        {{"id", "name"}, {"label", "姓名"}, {"type", "text"}},
        {{"id", "gender"}, {"label", "性别"}, {"type", "choice"}, {"choices", {"男", "女"}}},
        {{"id", "birth_date"}, {"label", "出生日期"}, {"type", "date"}},
        {{"id", "relation"},
         {"label", "与户主关系"},
         {"type", "choice"},
         {"choices", {"户主", "配偶", "子女", "父母", "其他"}}},
        {{"id", "residence"},
         {"label", "户籍类型"},
         {"type", "choice"},
         {"choices", {"户籍", "流动"}}},
        {{"id", "low_income"}, {"label", "低保对象"}, {"type", "boolean"}},
    });
    m["resident_roster"] = roster;
    return m;
  }();
  return kFields;
}

}  // namespace

json SharedField(const std::string& id, bool required) {
  json f = Dictionary().at(id);
  f["required"] = required;
  return f;
}

json OwnField(const std::string& id, const std::string& label, const std::string& type,
              const std::string& unit, bool required) {
  json f = {{"id", id}, {"label", label}, {"type", type}, {"required", required}};
  if (!unit.empty()) f["unit"] = unit;
  return f;
}

json ChoiceField(const std::string& id, const std::string& label,
                 const std::vector<std::string>& choices, bool required) {
  return {{"id", id},
          {"label", label},
          {"type", "choice"},
          {"choices", choices},
          {"required", required}};
}

std::vector<std::string> SharedFieldIds() {
  std::vector<std::string> ids;
  for (const auto& [id, f] : Dictionary()) ids.push_back(id);
  return ids;
}

}  // namespace shequ::plugins
