#include "daemon/core/csv.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace shequ::csv {
namespace {

using Rows = std::vector<std::vector<std::string>>;

Rows Read(std::string_view text) {
  auto rows = ReadAll(text);
  EXPECT_TRUE(rows.ok()) << rows.status();
  return rows.ok() ? *rows : Rows{};
}

TEST(CsvReader, PlainRecordsWithLfAndCrlf) {
  EXPECT_EQ(Read("a,b\n1,2\n"), (Rows{{"a", "b"}, {"1", "2"}}));
  EXPECT_EQ(Read("a,b\r\n1,2\r\n"), (Rows{{"a", "b"}, {"1", "2"}}));
  EXPECT_EQ(Read("a,b\r\n1,2"), (Rows{{"a", "b"}, {"1", "2"}}));  // no final line end
  EXPECT_EQ(Read(""), Rows{});
}

TEST(CsvReader, EmptyFieldsAndEmptyLines) {
  EXPECT_EQ(Read("a,,c\n,\n\nz\n"), (Rows{{"a", "", "c"}, {"", ""}, {""}, {"z"}}));
  EXPECT_EQ(Read("a,"), (Rows{{"a", ""}}));
}

TEST(CsvReader, QuotedFieldsDoubledQuotesAndEmbeddedNewlines) {
  EXPECT_EQ(Read("\"a,b\",\"say \"\"hi\"\"\",\"\"\n"), (Rows{{"a,b", "say \"hi\"", ""}}));
  EXPECT_EQ(Read("\"line1\nline2\",x\r\ny,\"a\r\nb\"\r\n"),
            (Rows{{"line1\nline2", "x"}, {"y", "a\r\nb"}}));
}

TEST(CsvReader, LineNumbersCountEmbeddedNewlines) {
  Reader r("h\n\"a\nb\nc\"\nnext\n");
  std::vector<std::string> f;
  ASSERT_TRUE(*r.Next(&f));
  EXPECT_EQ(r.line(), 1);
  ASSERT_TRUE(*r.Next(&f));
  EXPECT_EQ(r.line(), 2);
  EXPECT_EQ(r.record(), 2);
  ASSERT_TRUE(*r.Next(&f));
  EXPECT_EQ(r.line(), 5);
  EXPECT_EQ(f, std::vector<std::string>{"next"});
  EXPECT_FALSE(*r.Next(&f));
}

TEST(CsvReader, StripsUtf8BomAndKeepsChinese) {
  EXPECT_EQ(Read("\xEF\xBB\xBF姓名,单位\n张三,幸福社区\n"),
            (Rows{{"姓名", "单位"}, {"张三", "幸福社区"}}));
}

TEST(CsvReader, RefusesInvalidUtf8WithRecordAndColumn) {
  auto rows = ReadAll("a,b\nok,bad\xC3(\n");
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(rows.status().message().find("record 2 (line 2), column 2: invalid UTF-8"),
            std::string::npos)
      << rows.status();
  EXPECT_FALSE(ReadAll("\xED\xA0\x80").ok());  // a surrogate
  EXPECT_FALSE(ReadAll("\xC0\xAF").ok());      // an overlong '/'
  EXPECT_FALSE(ReadAll("\"\xFF\"").ok());      // inside quotes too
}

TEST(CsvReader, RefusesMalformedQuoting) {
  auto unterminated = ReadAll("a\n\"open,b\n");
  ASSERT_FALSE(unterminated.ok());
  EXPECT_NE(unterminated.status().message().find("unterminated"), std::string::npos);
  auto after = ReadAll("\"a\"b,c\n");
  ASSERT_FALSE(after.ok());
  EXPECT_NE(after.status().message().find("after a closing quote"), std::string::npos);
  auto bare = ReadAll("a,b\"c\n");
  ASSERT_FALSE(bare.ok());
  EXPECT_NE(bare.status().message().find("column 2"), std::string::npos);
}

TEST(CsvWriter, QuotesOnlyWhenNeededAndRoundTrips) {
  std::string out;
  AppendRecord(&out, {"plain", "a,b", "say \"hi\"", "two\nlines", "", "张三"});
  EXPECT_EQ(out, "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",,张三\r\n");
  EXPECT_EQ(Read(out), (Rows{{"plain", "a,b", "say \"hi\"", "two\nlines", "", "张三"}}));
}

TEST(Utf8, Validation) {
  EXPECT_TRUE(IsValidUtf8("张三 abc \xF0\x9F\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xE5\xBC"));          // truncated
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // past U+10FFFF
}

}  // namespace
}  // namespace shequ::csv
