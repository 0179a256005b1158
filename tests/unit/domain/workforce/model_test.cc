#include "daemon/domain/workforce/model.h"

#include <gtest/gtest.h>

#include "tests/unit/domain/workforce/workforce_test_util.h"

namespace shequ::domain::workforce {
namespace {

using testing::Fails;
using testing::IdNumber;

TEST(IdNumber, ChecksumAccepted) {
  // The GB 11643-1999 example number.
  EXPECT_TRUE(ValidateIdNumber("11010519491231002X").ok());
  std::string normalized;
  EXPECT_TRUE(ValidateIdNumber("11010519491231002x", "id", "", &normalized).ok());
  EXPECT_EQ(normalized, "11010519491231002X");
  for (int seq = 0; seq < 200; ++seq) EXPECT_TRUE(ValidateIdNumber(IdNumber(seq)).ok()) << seq;
}

TEST(IdNumber, ErasedStandInsAreValidUniqueAndNeverReal) {
  const std::string real = IdNumber(123, "19850615");
  const std::string a = ErasedIdNumber(real, 1);
  const std::string b = ErasedIdNumber(real, 2);
  EXPECT_TRUE(ValidateIdNumber(a).ok()) << a;
  EXPECT_TRUE(ValidateIdNumber(b).ok()) << b;
  EXPECT_NE(a, b);
  EXPECT_EQ(BirthDateOf(a), "1985-06-15");  // the age the eligibility rules read stays
  EXPECT_TRUE(IsErasedIdNumber(a));
  EXPECT_FALSE(IsErasedIdNumber(real));
  EXPECT_FALSE(IsErasedIdNumber("11010519491231002X"));
  EXPECT_EQ(ErasedIdNumber(real, 9'999'999).substr(0, 6), "009999");
}

TEST(IdNumber, Refusals) {
  EXPECT_TRUE(Fails(ValidateIdNumber("110105194912310021", "worker.id_number"),
                    absl::StatusCode::kInvalidArgument, "worker.id_number: check digit"));
  EXPECT_TRUE(Fails(ValidateIdNumber("1101051949123100"), absl::StatusCode::kInvalidArgument,
                    "18 characters"));
  EXPECT_TRUE(
      Fails(ValidateIdNumber("11010519491231A02X"), absl::StatusCode::kInvalidArgument, "digits"));
  // A valid checksum but 30 February.
  EXPECT_TRUE(Fails(ValidateIdNumber(IdNumber(1, "19900230")), absl::StatusCode::kInvalidArgument,
                    "birth date"));
  // Born after "today".
  EXPECT_TRUE(Fails(ValidateIdNumber(IdNumber(1, "20300101"), "id", "2026-03-01"),
                    absl::StatusCode::kInvalidArgument, "birth date"));
  // The message never carries the whole number.
  auto s = ValidateIdNumber("110105194912310021");
  EXPECT_EQ(std::string(s.message()).find("110105194912310021"), std::string::npos);
}

TEST(IdNumber, DerivedBirthDateAndGender) {
  EXPECT_EQ(BirthDateOf("11010519491231002X"), "1949-12-31");
  EXPECT_EQ(GenderOf("11010519491231002X"), Gender::kFemale);  // 2 is even
  EXPECT_EQ(GenderOf(IdNumber(1)), Gender::kMale);
}

TEST(Masking, NamesNumbersPhones) {
  EXPECT_EQ(MaskName("张三明"), "张*明");
  EXPECT_EQ(MaskName("张三"), "张*");
  EXPECT_EQ(MaskName("欧阳小明"), "欧**明");
  EXPECT_EQ(MaskName(""), "");
  EXPECT_EQ(MaskIdNumber("11010519491231002X"), "110***********002X");
  EXPECT_EQ(MaskPhone("13812345678"), "138****5678");
  Worker w;
  w.personal = {"李四光", "11010519491231002X", "13812345678"};
  const Worker m = Masked(w);
  EXPECT_EQ(m.personal.name, "李*光");
  EXPECT_EQ(m.personal.id_number, "110***********002X");
  EXPECT_EQ(m.personal.phone, "138****5678");
}

TEST(Enums, ChineseAndEnglishSpellings) {
  EXPECT_EQ(ParseEnum<Employment>("劳务派遣"), Employment::kDispatch);
  EXPECT_EQ(ParseEnum<Employment>(" Contract "), Employment::kContract);
  EXPECT_EQ(ParseEnum<Employment>("自聘"), Employment::kSelfHired);
  EXPECT_EQ(ParseEnum<WorkerStatus>("离岗退养"), WorkerStatus::kRetiredInPlace);
  EXPECT_EQ(ParseEnum<WorkerStatus>("seconded_district"), WorkerStatus::kSecondedDistrict);
  EXPECT_EQ(ParseEnum<Education>("硕士"), Education::kMaster);
  EXPECT_EQ(ParseEnum<Education>("大专"), Education::kCollege);
  EXPECT_EQ(ParseEnum<CommunityType>("村改居"), CommunityType::kVillageToCommunity);
  EXPECT_EQ(ParseEnum<UnitKind>("镇"), UnitKind::kTown);
  EXPECT_EQ(ParseEnum<Employment>("volunteer"), std::nullopt);
  EXPECT_EQ(ChineseName(WorkerStatus::kSecondedStreet), "借调街道");
  EXPECT_EQ(EnglishName(Employment::kSecondedCadre), "seconded_cadre");
  EXPECT_EQ(NormalizeCertificate("社会工作师"), "social_worker");
  EXPECT_EQ(NormalizeCertificate("助理社会工作师"), "assistant_social_worker");
  EXPECT_EQ(NormalizeCertificate(" 心理咨询师 "), "心理咨询师");
}

TEST(Dates, YearsAndValidation) {
  EXPECT_TRUE(IsValidDate("2024-02-29"));
  EXPECT_FALSE(IsValidDate("2023-02-29"));
  EXPECT_FALSE(IsValidDate("2023-2-09"));
  EXPECT_EQ(FullYearsBetween("2023-03-01", "2026-03-01"), 3);
  EXPECT_EQ(FullYearsBetween("2023-03-02", "2026-03-01"), 2);
  EXPECT_EQ(AddYears("2024-02-29", 1), "2025-02-28");
  EXPECT_EQ(AddYears("2023-06-30", 3), "2026-06-30");
}

TEST(Json, WorkerRoundTrip) {
  Worker w;
  w.id = 7;
  w.personal = {"王五", IdNumber(3), "13900001111"};
  w.gender = GenderOf(w.personal.id_number);
  w.birth_date = BirthDateOf(w.personal.id_number);
  w.education = Education::kBachelor;
  w.certificates = {"social_worker"};
  w.employment = Employment::kElected;
  w.post = "officer";
  w.grade = 5;
  w.unit_id = "bh.a.c1";
  w.status = WorkerStatus::kSecondedStreet;
  w.hired_on = "2020-01-02";
  w.community_since = "2019-05-01";
  w.reserve_cadre = true;
  w.pay = Pay{3500, 1400};
  w.number = "E-01";
  w.transfers = {{"bh.a.c2", "bh.a.c1", "2021-01-01", "调整", "admin"}};
  const nlohmann::json j = w;
  EXPECT_EQ(j["employment"], "elected");
  EXPECT_EQ(j["status"], "seconded_street");
  auto back = WorkerFromJson(j);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(nlohmann::json(*back), j);
  auto bad = j;
  bad["status"] = "asleep";
  EXPECT_TRUE(Fails(WorkerFromJson(bad).status(), absl::StatusCode::kInvalidArgument, "status"));
}

TEST(Json, DirectWritersMatchTheDocument) {
  Worker w;
  w.id = 42;
  w.personal = {"欧阳\"小\\明\n", IdNumber(4), ""};
  w.gender = GenderOf(w.personal.id_number);
  w.birth_date = BirthDateOf(w.personal.id_number);
  w.certificates = {"social_worker", "急救\t证"};
  w.post = "head";
  w.grade = 9;
  w.unit_id = "bh.b";
  w.number = std::string("E\x01");
  w.converted_on = "2024-02-29";
  w.transfers = {{"bh.a", "bh.b", "2022-01-01", "工作需要 \"急\"", "李"},
                 {"bh.b", "bh.a", "2023-01-01", "", "王"}};
  for (bool with_pay : {false, true}) {
    if (with_pay) w.pay = Pay{3500, 0};
    nlohmann::json expected = w;
    expected.erase("personal");
    expected.erase("gender");
    expected.erase("birth_date");
    const std::string text = WorkerRecordJson(w);
    EXPECT_EQ(nlohmann::json::parse(text), expected) << text;
    EXPECT_EQ(nlohmann::json::parse(PersonalJson(w.personal)), nlohmann::json(w)["personal"]);
  }
}

TEST(Json, UnitAndRevisionRoundTrip) {
  Unit u{"bh.a.c1",
         "bh.a",
         "幸福社区",
         UnitKind::kCommunity,
         CommunityType::kUrbanCommunity,
         2500,
         7000,
         1.5,
         2,
         "2026-01-01",
         "2026-01-02"};
  auto back = UnitFromJson(nlohmann::json(u));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(nlohmann::json(*back), nlohmann::json(u));
  QuotaRevision r{3, "bh.a.c1", 16, 16, "2026-01-01", "初次核定", "区委编委", "2026-01-01"};
  auto rb = RevisionFromJson(nlohmann::json(r));
  ASSERT_TRUE(rb.ok()) << rb.status();
  EXPECT_EQ(nlohmann::json(*rb), nlohmann::json(r));
  EXPECT_FALSE(UnitFromJson(nlohmann::json::array()).ok());
}

}  // namespace
}  // namespace shequ::domain::workforce
