// shequctl's output helpers: display width of mixed Chinese and Latin text, aligned tables.

#include "clients/cli/table.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

namespace shequ::cli {
namespace {

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST(DisplayWidthTest, CountsWideCharactersAsTwoColumns) {
  EXPECT_EQ(DisplayWidth(""), 0);
  EXPECT_EQ(DisplayWidth("bh.whl"), 6);
  EXPECT_EQ(DisplayWidth("芜湖路街道"), 10);  // 5 ideographs, 15 bytes
  EXPECT_EQ(DisplayWidth("包公社区 (bh.whl.bg)"), 8 + 12);
  EXPECT_EQ(DisplayWidth("赵*丽"), 5);
  EXPECT_EQ(DisplayWidth("同意，转办。"), 12);  // fullwidth comma, ideographic full stop
  EXPECT_EQ(DisplayWidth("ＡＢ"), 4);           // fullwidth Latin
  EXPECT_EQ(DisplayWidth("한국"), 4);           // Hangul syllables
  EXPECT_EQ(DisplayWidth("\U00020000"), 2);     // CJK extension B, 4 bytes
}

TEST(DisplayWidthTest, CombiningAndInvisibleCharactersTakeNoColumn) {
  EXPECT_EQ(DisplayWidth("e\u0301"), 1);  // e + combining acute
  EXPECT_EQ(DisplayWidth("\xEF\xBB\xBF"
                         "编号"),
            4);                            // a UTF-8 BOM in front
  EXPECT_EQ(DisplayWidth("a\u200Bb"), 2);  // zero-width space
  EXPECT_EQ(DisplayWidth("→ · é"), 5);     // narrow non-ASCII stays 1
}

TEST(DisplayWidthTest, MalformedBytesCountOneEach) {
  EXPECT_EQ(DisplayWidth("\xFF\xFE"), 2);
  EXPECT_EQ(DisplayWidth("\xE8\x8A"), 2);  // a truncated 3-byte sequence
  EXPECT_EQ(DisplayWidth("a\xE8"
                         "b"),
            3);
}

TEST(PadTest, PadsToDisplayWidthNotBytes) {
  EXPECT_EQ(PadRight("社区", 6), "社区  ");
  EXPECT_EQ(PadRight("ab", 6), "ab    ");
  EXPECT_EQ(PadRight("徽州社区", 4), "徽州社区");  // already wider: unchanged
  EXPECT_EQ(PadLeft("12", 4), "  12");
  EXPECT_EQ(PadLeft("九", 4), "  九");
}

TEST(TableTest, AlignsColumnsOfMixedWidth) {
  Table t({"ID", "NAME", "QUOTA", "NOTE"});
  t.AlignRight(2);
  t.Add({"bh.whl", "芜湖路街道", "106", "超编 2"});
  t.Add({"bh.whl.hz", "徽州社区", "4", "x"});
  t.Add({"bh", "Baohe", "520", ""});
  const auto lines = Lines(t.Render());
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0], "ID         NAME        QUOTA  NOTE");
  EXPECT_EQ(lines[1], "bh.whl     芜湖路街道    106  超编 2");
  EXPECT_EQ(lines[2], "bh.whl.hz  徽州社区        4  x");
  EXPECT_EQ(lines[3], "bh         Baohe         520");  // no trailing blanks
  // NAME starts at display column 11 on every line, whatever the bytes before it.
  const size_t name_col = 11;
  for (const auto& line : lines) {
    std::string prefix;
    int width = 0;
    for (size_t i = 0; width < static_cast<int>(name_col) && i < line.size(); ++i) {
      prefix += line[i];
      width = DisplayWidth(prefix);
    }
    EXPECT_EQ(width, static_cast<int>(name_col)) << line;
    EXPECT_NE(line[prefix.size()], ' ') << line;
  }
}

TEST(TableTest, WithoutHeaderAndRaggedRows) {
  Table t;
  t.Add({"state", "active"});
  t.Add({"end status", ""});
  t.Add({"variables", "{\"posts\":2}"});
  EXPECT_EQ(t.Render(), "state       active\nend status\nvariables   {\"posts\":2}\n");
  Table empty({"A", "B"});
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(empty.Render(), "A  B\n");
}

TEST(FormatTimeTest, BeijingTime) {
  EXPECT_EQ(FormatTime(0), "");
  EXPECT_EQ(FormatTime(1772413200000), "2026-03-02 09:00:00");  // 01:00 UTC
  EXPECT_EQ(FormatTime(1772413200000 + 15 * 3'600'000 + 1999), "2026-03-03 00:00:01");
}

}  // namespace
}  // namespace shequ::cli
