#include "daemon/modules/records.h"

#include <gtest/gtest.h>

namespace shequ::modules {
namespace {

TEST(ModuleRecords, NumberKeysSortAsTheNumbers) {
  EXPECT_EQ(NumberKey(42), "000000000042");
  EXPECT_LT(NumberKey(9), NumberKey(10));
  EXPECT_LT(NumberKey(999'999), NumberKey(1'000'000));
}

TEST(ModuleRecords, WritesCarryTheirOperation) {
  store::RecordWrite put = PutRecord("t_a", "k", "{}", {"x"});
  EXPECT_EQ(put.op, store::RecordWrite::Op::kPut);
  EXPECT_EQ(put.columns, std::vector<std::string>{"x"});
  EXPECT_EQ(AppendRecord("t_a", "k", "{}").op, store::RecordWrite::Op::kAppend);
  store::RecordWrite del = DeleteRecord("t_a", "k");
  EXPECT_EQ(del.op, store::RecordWrite::Op::kDelete);
  EXPECT_EQ(del.key, "k");
}

TEST(ModuleRecords, BodiesAreReadStrictly) {
  constexpr std::string_view kFields[] = {"count", "note"};
  auto ok = ReadBody("t_a", {"k1", R"({"count":3})"}, kFields);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ((*ok)["count"], 3);

  auto unknown = ReadBody("t_a", {"k1", R"({"count":3,"cuont":4})"}, kFields);
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(unknown.status().message(), "t_a k1: unknown field 'cuont'");

  for (const char* bad : {"[1]", "not json", "\"text\""}) {
    auto s = ReadBody("t_a", {"k2", bad}, kFields);
    EXPECT_EQ(s.status().code(), absl::StatusCode::kDataLoss) << bad;
  }
}

}  // namespace
}  // namespace shequ::modules
