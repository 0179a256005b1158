#include "daemon/domain/workforce/roster.h"

#include <gtest/gtest.h>

#include "tests/unit/domain/workforce/workforce_test_util.h"

namespace shequ::domain::workforce {
namespace {

using testing::DefaultGrades;
using testing::Fails;
using testing::IdNumber;
using Code = absl::StatusCode;

const GradePolicy& Grades() {
  static const GradePolicy* const kGrades = new GradePolicy(DefaultGrades());
  return *kGrades;
}

TEST(ParseRoster, ChineseHeadersAndValues) {
  const std::string csv =
      "\xEF\xBB\xBF姓名,身份证号,手机号,单位,岗位,等级,用工性质,状态,学历,证书,入职日期,"
      "社区工作起始,后备干部,基本工资,绩效工资,工号\r\n"
      "张三明," +
      IdNumber(1) +
      ",13812345678,bh.a.c1,主办,5,聘用合同,借调街道,本科,"
      "社会工作师；心理咨询师、助理社会工作师,2018/9/1,2016-03-01,是,3300,1400,E001\r\n";
  auto rows = ParseRoster(csv, Grades());
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 1u);
  const RosterRow& r = (*rows)[0];
  EXPECT_EQ(r.row, 1);
  EXPECT_EQ(r.line, 2);
  EXPECT_EQ(r.unit_ref, "bh.a.c1");
  EXPECT_EQ(r.worker.personal.name, "张三明");
  EXPECT_EQ(r.worker.post, "officer");
  EXPECT_EQ(r.worker.grade, 5);
  EXPECT_EQ(r.worker.employment, Employment::kContract);
  EXPECT_EQ(r.worker.status, WorkerStatus::kSecondedStreet);
  EXPECT_EQ(r.worker.education, Education::kBachelor);
  EXPECT_EQ(r.worker.certificates,
            (std::vector<std::string>{"社会工作师", "心理咨询师", "助理社会工作师"}));
  EXPECT_EQ(r.worker.hired_on, "2018-09-01");
  EXPECT_EQ(r.worker.community_since, "2016-03-01");
  EXPECT_TRUE(r.worker.reserve_cadre);
  EXPECT_EQ(r.worker.pay, (Pay{3300, 1400}));
  EXPECT_EQ(r.worker.number, "E001");
}

TEST(ParseRoster, EnglishHeadersInAnyOrderAndDefaults) {
  const std::string csv =
      "hired_on,Education,employment,grade,post,unit,id_number,name\n"
      "2020-01-01,master,dispatch,2,assistant,幸福社区," +
      IdNumber(2) + ",\"Li, Si\"\n";
  auto rows = ParseRoster(csv, Grades());
  ASSERT_TRUE(rows.ok()) << rows.status();
  const Worker& w = (*rows)[0].worker;
  EXPECT_EQ(w.personal.name, "Li, Si");
  EXPECT_EQ(w.employment, Employment::kDispatch);
  EXPECT_EQ(w.status, WorkerStatus::kOnPost);
  EXPECT_EQ(w.education, Education::kMaster);
  EXPECT_FALSE(w.pay.has_value());
  EXPECT_FALSE(w.reserve_cadre);
  EXPECT_EQ((*rows)[0].unit_ref, "幸福社区");
}

TEST(ParseRoster, HeaderErrors) {
  EXPECT_TRUE(Fails(
      ParseRoster("姓名,身份证号,单位,岗位,等级,用工性质,学历,入职日期,爱好\n", Grades()).status(),
      Code::kInvalidArgument, "header column 9 '爱好' is not a roster column"));
  EXPECT_TRUE(Fails(ParseRoster("姓名,身份证号,单位,岗位,等级,用工性质,学历\n", Grades()).status(),
                    Code::kInvalidArgument, "required column 入职日期 (hired_on) is missing"));
  EXPECT_TRUE(Fails(
      ParseRoster("姓名,name,身份证号,单位,岗位,等级,用工性质,学历,入职日期\n", Grades()).status(),
      Code::kInvalidArgument, "header column 2 'name' repeats column 1"));
  EXPECT_TRUE(Fails(ParseRoster("", Grades()).status(), Code::kInvalidArgument, "no header"));
}

TEST(ParseRoster, RowErrorsNameRowLineAndColumn) {
  const std::string head = "姓名,身份证号,单位,岗位,等级,用工性质,学历,入职日期\n";
  const std::string ok = "甲," + IdNumber(1) + ",u,主办,5,选任,大专,2019-01-01\n";
  // A quoted name spanning two lines shifts the file line of the rows after it.
  const std::string multi = "\"乙\n(备注)\"," + IdNumber(2) + ",u,主办,5,选任,大专,2019-01-01\n";
  auto bad_employment = ParseRoster(
      head + ok + multi + "丙," + IdNumber(3) + ",u,主办,5,临时工,大专,2019-01-01\n", Grades());
  EXPECT_TRUE(Fails(bad_employment.status(), Code::kInvalidArgument,
                    "row 3 (line 5), column 用工性质: '临时工' is not one of"));
  EXPECT_TRUE(
      Fails(ParseRoster(head + "丙," + IdNumber(3) + ",u,主任,5,选任,大专,2019-01-01\n", Grades())
                .status(),
            Code::kInvalidArgument, "row 1 (line 2), column 岗位: '主任' is not a post"));
  EXPECT_TRUE(
      Fails(ParseRoster(head + "丙," + IdNumber(3) + ",u,主办,五,选任,大专,2019-01-01\n", Grades())
                .status(),
            Code::kInvalidArgument, "column 等级: '五' is not a grade number"));
  EXPECT_TRUE(
      Fails(ParseRoster(head + "丙," + IdNumber(3) + ",u,主办,5,选任,大专,2019-02-30\n", Grades())
                .status(),
            Code::kInvalidArgument, "column 入职日期: '2019-02-30' is not a date"));
  EXPECT_TRUE(Fails(
      ParseRoster(head + "," + IdNumber(3) + ",u,主办,5,选任,大专,2019-02-03\n", Grades()).status(),
      Code::kInvalidArgument, "row 1 (line 2), column 姓名: required"));
  EXPECT_TRUE(Fails(ParseRoster(head + "丙,1,2\n", Grades()).status(), Code::kInvalidArgument,
                    "row 1 (line 2): has 3 fields, the header has 8"));
  EXPECT_TRUE(Fails(
      ParseRoster(head + "丙\xFF," + IdNumber(3) + ",u,主办,5,选任,大专,2019-02-03\n", Grades())
          .status(),
      Code::kInvalidArgument, "invalid UTF-8"));
  const std::string pay_head =
      "姓名,身份证号,单位,岗位,等级,用工性质,学历,入职日期,基本工资,绩效工资\n";
  EXPECT_TRUE(
      Fails(ParseRoster(pay_head + "丙," + IdNumber(3) + ",u,主办,5,选任,大专,2019-02-03,3000,\n",
                        Grades())
                .status(),
            Code::kInvalidArgument, "column 基本工资: given without 绩效工资"));
  // Blank lines are skipped without counting as rows.
  auto blank = ParseRoster(head + "\n" + ok + ",,,,,,,\n" + ok, Grades());
  ASSERT_TRUE(blank.ok()) << blank.status();
  ASSERT_EQ(blank->size(), 2u);
  EXPECT_EQ((*blank)[1].row, 2);
  EXPECT_EQ((*blank)[1].line, 5);
}

TEST(ExportRoster, RoundTripsAndMasks) {
  Worker w;
  w.id = 42;
  w.personal = {"欧阳小明", IdNumber(5), "13912345678"};
  w.education = Education::kCollege;
  w.certificates = {"social_worker", "心理咨询师"};
  w.employment = Employment::kElected;
  w.post = "deputy";
  w.grade = 8;
  w.unit_id = "bh.a.c1";
  w.status = WorkerStatus::kOnLeave;
  w.hired_on = "2017-05-02";
  w.community_since = "2015-01-01";
  w.reserve_cadre = true;
  w.pay = Pay{3650, 1560};
  w.number = "A,1";
  const std::string csv = ExportRoster({w}, false, &Grades());
  EXPECT_EQ(csv.substr(0, 3), "\xEF\xBB\xBF");
  EXPECT_NE(csv.find("编号,姓名,身份证号"), std::string::npos);
  EXPECT_NE(csv.find("副主管"), std::string::npos);
  EXPECT_NE(csv.find("社会工作师、心理咨询师"), std::string::npos);
  auto back = ParseRoster(csv, Grades());
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->size(), 1u);
  const Worker& r = (*back)[0].worker;
  EXPECT_EQ(r.personal.name, w.personal.name);
  EXPECT_EQ(r.personal.id_number, w.personal.id_number);
  EXPECT_EQ(r.post, "deputy");
  EXPECT_EQ(r.status, WorkerStatus::kOnLeave);
  EXPECT_EQ(r.employment, Employment::kElected);
  EXPECT_EQ(r.pay, w.pay);
  EXPECT_EQ(r.number, "A,1");
  EXPECT_EQ(r.community_since, "2015-01-01");

  const std::string masked = ExportRoster({w}, true);
  EXPECT_EQ(masked.find(w.personal.id_number), std::string::npos);
  EXPECT_EQ(masked.find("13912345678"), std::string::npos);
  EXPECT_EQ(masked.find("欧阳小明"), std::string::npos);
  EXPECT_NE(masked.find("欧**明"), std::string::npos);
  EXPECT_NE(masked.find("139****5678"), std::string::npos);
  EXPECT_NE(masked.find(",deputy,"), std::string::npos);  // no policy: the post id
}

TEST(RosterColumns, FieldToColumn) {
  EXPECT_EQ(RosterColumnForField("worker.grade"), "等级 (grade)");
  EXPECT_EQ(RosterColumnForField("worker.pay.base"), "基本工资 (base_pay)");
  EXPECT_EQ(RosterColumnForField("conversion"), "");
}

}  // namespace
}  // namespace shequ::domain::workforce
