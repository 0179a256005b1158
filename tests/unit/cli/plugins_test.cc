// How `shequctl plugins` prints plugins: the kind column, field types, the list table and the
// describe summary, from messages built here (no daemon).

#include "clients/cli/plugins.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace shequ::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

plugin::v1::Field MakeField(const std::string& id, const std::string& label,
                            const std::string& type, const std::string& unit = "",
                            bool required = true) {
  plugin::v1::Field f;
  f.set_id(id);
  f.set_label(label);
  f.set_type(type);
  f.set_unit(unit);
  f.set_required(required);
  return f;
}

TEST(PluginKindTest, SpellsOutInProcess) {
  EXPECT_EQ(PluginKind("inprocess"), "in-process");
  EXPECT_EQ(PluginKind("isolated"), "isolated");
  EXPECT_EQ(PluginKind("remote"), "remote");
  EXPECT_EQ(PluginKind("sideways"), "sideways");  // a newer daemon's kind, shown as it came
}

TEST(FieldTypeTest, ChoicesAndRosterColumnsAreSpelledOut) {
  EXPECT_EQ(FieldType(MakeField("household_count", "户数", "integer", "户")), "integer");
  plugin::v1::Field choice = MakeField("grid_level", "网格等级", "choice");
  choice.add_choices("一级");
  choice.add_choices("二级");
  EXPECT_EQ(FieldType(choice), "choice: 一级 | 二级");
  plugin::v1::Field roster = MakeField("resident_roster", "居民花名册", "roster");
  *roster.add_columns() = MakeField("name", "姓名", "text");
  *roster.add_columns() = MakeField("birth_date", "出生日期", "date");
  EXPECT_EQ(FieldType(roster), "roster: name text, birth_date date");
  EXPECT_EQ(FieldType(MakeField("x", "", "choice")), "choice");  // no choices given
}

TEST(RenderPluginListTest, OneAlignedRowPerPlugin) {
  v1::ListPluginsResponse list;
  EXPECT_THAT(RenderPluginList(list), HasSubstr("no plugins"));

  v1::PluginStatus* a = list.add_plugins();
  a->set_name("civil_affairs");
  a->set_state("isolated");
  a->set_isolation("isolated");
  a->set_department("民政局 / civil affairs bureau");
  a->set_version("1.0.0");
  a->add_job_types("civil-affairs.elderly-care-check");
  v1::PluginStatus* b = list.add_plugins();
  b->set_name("wrong-abi");
  b->set_state("failed");
  b->set_isolation("inprocess");
  b->set_last_error("built for plugin ABI 2.0; this daemon speaks ABI 1.0");
  const std::string out = RenderPluginList(list);
  // Columns by display width: the department (29 columns, 3 of its characters wide) and the job
  // types pad the failed plugin's row up to LAST ERROR.
  EXPECT_EQ(out,
            "NAME           STATE     KIND        DEPARTMENT                     VERSION  JOB TYPES"
            "                         LAST ERROR\n"
            "civil_affairs  isolated  isolated    民政局 / civil affairs bureau  1.0.0    "
            "civil-affairs.elderly-care-check\n"
            "wrong-abi      failed    in-process" +
                std::string(2 + 29 + 2 + 7 + 2 + 32 + 2, ' ') +
                "built for plugin ABI 2.0; this daemon speaks ABI 1.0\n");
}

v1::DescribePluginResponse CivilAffairs() {
  v1::DescribePluginResponse d;
  v1::PluginStatus* s = d.mutable_status();
  s->set_name("civil_affairs");
  s->set_state("isolated");
  s->set_isolation("isolated");
  s->set_source("/build/plugins/libshequ_civil_affairs.so");
  s->set_department("民政局 / civil affairs bureau");
  s->set_version("1.0.0");
  s->set_jobs_completed(3);
  plugin::v1::Descriptor* p = d.mutable_plugin();
  p->set_name("civil_affairs");
  p->set_description("Elderly care at home");
  auto* job = p->add_job_types();
  job->set_type("civil-affairs.elderly-care-check");
  job->set_description("Checks allowance coverage");
  job->add_inputs("ledger");
  job->add_outputs("civil_affairs");
  auto* op = p->add_operations();
  op->set_name("validate-ledger");
  op->set_description("Which fields the ledger lacks");
  auto* c = p->add_checklists();
  c->set_id("civil-affairs-yearly");
  c->set_title("民政工作年度检查表");
  c->set_frequency("yearly");
  auto* item = c->add_items();
  item->set_id("allowance");
  item->set_text("高龄津贴应发尽发");
  item->add_field_ids("elderly_over_80");
  *c->add_fields() = MakeField("household_count", "户数", "integer", "户");
  *c->add_fields() = MakeField("volunteers_count", "志愿者人数", "integer", "人", false);
  *p->add_ledger_fields() = MakeField("low_income_reviewed", "低保年度复核户数", "integer", "户");
  auto* sign = p->add_signboards();
  sign->set_id("home-care-station");
  sign->set_title("社区居家养老服务站");
  sign->set_size("60cm × 40cm");
  sign->set_photo_on_file_acceptable(true);
  auto* ch = p->add_channels();
  ch->set_id("civil-affairs-platform");
  ch->set_kind("platform");
  ch->set_description("the bureau's case platform");
  return d;
}

TEST(RenderPluginDescriptionTest, ShowsEverySectionWithFieldTypes) {
  const std::string out = RenderPluginDescription(CivilAffairs());
  EXPECT_THAT(out, HasSubstr("plugin       civil_affairs\n"));
  EXPECT_THAT(out, HasSubstr("state        isolated (isolated, 0 restarts)\n"));
  EXPECT_THAT(out, HasSubstr("jobs         3 completed, 0 failed, 0 running\n"));
  EXPECT_THAT(out, HasSubstr("\nJob types:\n  civil-affairs.elderly-care-check  Checks allowance"));
  EXPECT_THAT(out, HasSubstr("\n    reads" + std::string(32 - 7 + 2, ' ') + "ledger\n"));
  EXPECT_THAT(out, HasSubstr("\nOperations (shequctl plugins invoke civil_affairs OPERATION):\n"
                             "  validate-ledger  Which fields the ledger lacks\n"));
  EXPECT_THAT(out, HasSubstr("\nChecklist civil-affairs-yearly: 民政工作年度检查表 (yearly)\n"));
  EXPECT_THAT(out, HasSubstr("    allowance  高龄津贴应发尽发  [elderly_over_80]\n"));
  // The checklist's fields, aligned by display width with their types and units.
  EXPECT_THAT(out, HasSubstr("  Fields:\n"
                             "    FIELD             LABEL       TYPE     UNIT  REQUIRED\n"
                             "    household_count   户数        integer  户    yes\n"
                             "    volunteers_count  志愿者人数  integer  人    no\n"));
  EXPECT_THAT(out, HasSubstr("\nLedger fields:\n  FIELD "));
  EXPECT_THAT(out, HasSubstr("  low_income_reviewed  低保年度复核户数  integer  户    yes\n"));
  EXPECT_THAT(out, HasSubstr("\nSignboards:\n  home-care-station  社区居家养老服务站\n"));
  EXPECT_THAT(out, HasSubstr("\n    photo on file    acceptable\n"));
  EXPECT_THAT(out, HasSubstr("\nNotification channels:\n"
                             "  civil-affairs-platform  platform  the bureau's case platform\n"));
  EXPECT_THAT(out, Not(HasSubstr("last error")));
}

TEST(RenderPluginDescriptionTest, APluginThatNeverLoadedSaysSo) {
  v1::DescribePluginResponse d;
  d.mutable_status()->set_name("wrong-abi");
  d.mutable_status()->set_state("failed");
  d.mutable_status()->set_isolation("isolated");
  d.mutable_status()->set_last_error("built for plugin ABI 2.0");
  const std::string out = RenderPluginDescription(d);
  EXPECT_THAT(out, HasSubstr("last error  built for plugin ABI 2.0\n"));
  EXPECT_THAT(out, HasSubstr("Not described yet"));
  EXPECT_THAT(out, Not(HasSubstr("Job types:")));
}

}  // namespace
}  // namespace shequ::cli
