// The six department plugins' descriptors, and the checks every descriptor passes: known field
// types, one type per shared field across departments, job types unique. The handlers are
// called directly on a sample ledger to show they compute from it.

#include "daemon/plugin/descriptor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "daemon/plugin/native.h"
#include "nlohmann/json.hpp"

namespace shequ::plugin {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

const std::vector<std::string> kDepartments = {"health_family_planning", "comprehensive_governance",
                                               "civil_affairs",          "hr_social_security",
                                               "party_building",         "culture_sports"};

std::unique_ptr<NativePlugin> Load(const std::string& dept) {
  auto p = NativePlugin::Load(std::string(SHEQU_BINARY_DIR) + "/plugins/libshequ_" + dept + ".so");
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? *std::move(p) : nullptr;
}

void AllFields(const google::protobuf::RepeatedPtrField<pb::Field>& fields,
               std::vector<const pb::Field*>* out) {
  for (const auto& f : fields) {
    out->push_back(&f);
    AllFields(f.columns(), out);
  }
}

// A community's shared ledger, filled once and read by every department.
json SampleLedger() {
  return {{"community_name", "芜湖路社区"},
          {"inspection_date", "2026-03-02"},
          {"household_count", 2400},
          {"resident_count", 7000},
          {"floating_population", 800},
          {"elderly_over_60", 1500},
          {"elderly_over_80", 100},
          {"low_income_households", 40},
          {"disabled_persons", 90},
          {"registered_unemployed", 50},
          {"party_members", 160},
          {"volunteers_count", 300},
          {"service_space_area", 650.5},
          {"grid_count", 4},
          {"old_age_allowance_recipients", 90},
          {"low_income_reviewed", 40},
          {"home_care_served", 200},
          {"care_station_area", 120}};
}

TEST(DepartmentPluginsTest, EachDescriptorIsValidAndComplete) {
  for (const auto& dept : kDepartments) {
    SCOPED_TRACE(dept);
    auto p = Load(dept);
    ASSERT_TRUE(p);
    const pb::Descriptor& d = p->descriptor();
    EXPECT_TRUE(ValidateDescriptor(d).ok());
    EXPECT_EQ(d.name(), dept);
    EXPECT_FALSE(d.department().empty());
    EXPECT_EQ(d.protocol_version(), kProtocolVersion);
    EXPECT_GE(d.job_types_size(), 1);
    ASSERT_GE(d.checklists_size(), 1);
    EXPECT_GE(d.checklists(0).items_size(), 1);
    EXPECT_GE(d.ledger_fields_size(), 1);
    EXPECT_GE(d.signboards_size(), 1);
    EXPECT_GE(d.channels_size(), 1);
    std::vector<const pb::Field*> fields;
    for (const auto& c : d.checklists()) AllFields(c.fields(), &fields);
    AllFields(d.ledger_fields(), &fields);
    for (const pb::Field* f : fields) {
      EXPECT_TRUE(IsFieldType(f->type())) << f->id() << ": " << f->type();
      EXPECT_FALSE(f->label().empty()) << f->id();
    }
    for (const auto& s : d.signboards()) EXPECT_FALSE(s.funded_by().empty()) << s.id();
  }
}

TEST(DepartmentPluginsTest, SharedFieldsAgreeAndJobTypesAreUnique) {
  std::vector<pb::Descriptor> all;
  std::map<std::string, std::set<std::string>> used_by;  // field id -> departments
  for (const auto& dept : kDepartments) {
    auto p = Load(dept);
    ASSERT_TRUE(p);
    all.push_back(p->descriptor());
    for (const auto& c : p->descriptor().checklists()) {
      for (const auto& f : c.fields()) used_by[f.id()].insert(dept);
    }
  }
  EXPECT_THAT(CrossCheck(all), ::testing::IsEmpty());
  // "One datum, one source, many uses": several fields are read by several departments.
  int shared = 0;
  for (const auto& [id, depts] : used_by) shared += depts.size() >= 2;
  EXPECT_GE(shared, 6);
  EXPECT_GE(used_by["household_count"].size(), 4u);
  EXPECT_GE(used_by["resident_count"].size(), 4u);
  for (const auto& dept : kDepartments) {
    int mine_shared = 0;
    for (const auto& [id, depts] : used_by) mine_shared += depts.count(dept) && depts.size() >= 2;
    EXPECT_GE(mine_shared, 3) << dept;
  }
  std::set<std::string> types;
  for (const auto& d : all) {
    for (const auto& jt : d.job_types()) EXPECT_TRUE(types.insert(jt.type()).second) << jt.type();
  }
}

TEST(DepartmentPluginsTest, HandlersComputeFromTheLedger) {
  auto civil = Load("civil_affairs");
  ASSERT_TRUE(civil);
  pb::ExecuteJobRequest job;
  job.set_type("civil-affairs.elderly-care-check");
  json ledger = SampleLedger();
  ledger["resident_roster"] = json::array({{{"name", "甲"}, {"birth_date", "1940-01-01"}},
                                           {{"name", "乙"}, {"birth_date", "1990-05-01"}}});
  job.set_variables(json{{"ledger", ledger}}.dump());
  auto out = civil->ExecuteJob(job);
  ASSERT_TRUE(out.ok()) << out.status();
  json r = json::parse(*out)["civil_affairs"];
  EXPECT_EQ(r["passed"], false);
  EXPECT_DOUBLE_EQ(r["indicators"]["old_age_allowance_coverage"].get<double>(), 0.9);
  EXPECT_DOUBLE_EQ(r["indicators"]["low_income_review_rate"].get<double>(), 1.0);
  EXPECT_EQ(r["indicators"]["elderly_over_80_in_roster"], 1);
  std::set<std::string> codes;
  for (const auto& f : r["findings"]) codes.insert(f["code"]);
  EXPECT_TRUE(codes.count("old_age_allowance_coverage"));
  EXPECT_TRUE(codes.count("elderly_over_80_mismatch"));
  EXPECT_FALSE(codes.count("low_income_review_rate"));

  // Raising the allowance to everyone over 80 clears that finding.
  ledger["old_age_allowance_recipients"] = 100;
  job.set_variables(json{{"ledger", ledger}}.dump());
  r = json::parse(*civil->ExecuteJob(job))["civil_affairs"];
  for (const auto& f : r["findings"]) EXPECT_NE(f["code"], "old_age_allowance_coverage");

  auto governance = Load("comprehensive_governance");
  ASSERT_TRUE(governance);
  job.set_type("governance.grid-check");
  job.set_variables(json{{"ledger", SampleLedger()}}.dump());
  r = json::parse(*governance->ExecuteJob(job))["comprehensive_governance"];
  EXPECT_DOUBLE_EQ(r["indicators"]["households_per_grid"].get<double>(), 600);
  EXPECT_THAT(r["missing"].dump(), HasSubstr("grid_workers"));  // not in the sample ledger
  EXPECT_EQ(r["passed"], false);
}

TEST(DepartmentPluginsTest, AJobWithoutALedgerIsWrongInput) {
  for (const auto& dept : kDepartments) {
    auto p = Load(dept);
    ASSERT_TRUE(p);
    pb::ExecuteJobRequest job;
    job.set_type(p->descriptor().job_types(0).type());
    job.set_variables(R"({"community": "c-1"})");
    auto out = p->ExecuteJob(job);
    EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument) << dept;
    EXPECT_THAT(std::string(out.status().message()), HasSubstr("variables.ledger")) << dept;
  }
}

TEST(DepartmentPluginsTest, ValidateLedgerOperation) {
  auto hr = Load("hr_social_security");
  ASSERT_TRUE(hr);
  pb::InvokeRequest call;
  call.set_operation("validate-ledger");
  json ledger = SampleLedger();
  ledger["household_count"] = "many";
  call.set_input(json{{"ledger", ledger}}.dump());
  auto out = hr->Invoke(call);
  ASSERT_TRUE(out.ok()) << out.status();
  json r = json::parse(*out);
  EXPECT_EQ(r["complete"], false);
  EXPECT_THAT(r["missing"].dump(), HasSubstr("pension_insured"));
  EXPECT_EQ(r["invalid"][0], (json{{"field", "household_count"}, {"expected", "integer"}}));
}

pb::Descriptor Parse(const std::string& text) {
  auto d = ParseDescriptorJson(text);
  EXPECT_TRUE(d.ok()) << d.status();
  return d.ok() ? *d : pb::Descriptor();
}

TEST(DescriptorTest, RefusalsNameThePath) {
  auto error = [](const std::string& text) {
    auto d = ParseDescriptorJson(text);
    if (!d.ok()) return std::string(d.status().message());
    return std::string(ValidateDescriptor(*d).message());
  };
  EXPECT_THAT(error(R"({"name": "a", "protocol_version": 2})"), HasSubstr("protocol_version"));
  EXPECT_THAT(error(R"({"name": "a", "protocol_version": 1, "colour": 1})"),
              HasSubstr("descriptor JSON"));
  EXPECT_THAT(error(R"({"name": "a", "protocol_version": 1,
                        "ledger_fields": [{"id": "x", "type": "money"}]})"),
              HasSubstr("ledger_fields[0].type: 'money'"));
  EXPECT_THAT(error(R"({"name": "a", "protocol_version": 1,
                        "ledger_fields": [{"id": "x", "type": "roster"}]})"),
              HasSubstr("ledger_fields[0].columns"));
  EXPECT_THAT(error(R"({"name": "a", "protocol_version": 1,
                        "ledger_fields": [{"id": "x", "type": "choice"}]})"),
              HasSubstr("ledger_fields[0].choices"));
  EXPECT_THAT(error(R"({"name": "a", "protocol_version": 1,
                        "job_types": [{"type": "t"}, {"type": "t"}]})"),
              HasSubstr("job_types[1].type: 't' repeated"));
  EXPECT_THAT(error(R"({"name": "a", "protocol_version": 1, "checklists": [{"id": "c",
                        "items": [{"id": "i", "field_ids": ["nope"]}]}]})"),
              HasSubstr("'nope' is not a field of this checklist"));
}

TEST(DescriptorTest, CrossCheckFindsOneDatumWithTwoTypes) {
  auto a = Parse(R"({"name": "a", "protocol_version": 1, "job_types": [{"type": "t"}],
                     "ledger_fields": [{"id": "household_count", "type": "integer"}]})");
  auto b = Parse(R"({"name": "b", "protocol_version": 1, "job_types": [{"type": "t"}],
                     "checklists": [{"id": "c",
                       "fields": [{"id": "household_count", "type": "text"}]}]})");
  auto conflicts = CrossCheck({a, b});
  ASSERT_EQ(conflicts.size(), 2u);
  EXPECT_THAT(conflicts[0], HasSubstr("field 'household_count' is text here but integer"));
  EXPECT_THAT(conflicts[1], HasSubstr("job type 't' is declared by both a and b"));
}

}  // namespace
}  // namespace shequ::plugin
