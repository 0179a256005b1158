#include "daemon/core/date.h"

#include <gtest/gtest.h>

namespace shequ::date {
namespace {

TEST(Date, ParsesOnlyStrictRealDays) {
  auto d = Parse("2026-02-28");
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(static_cast<int>(d->year()), 2026);
  EXPECT_EQ(static_cast<unsigned>(d->month()), 2u);
  EXPECT_EQ(static_cast<unsigned>(d->day()), 28u);
  EXPECT_TRUE(IsValid("2024-02-29"));
  for (const char* bad : {"2026-02-29", "2026-02-30", "2026-2-3", "2026-13-01", " 2026-02-03",
                          "2026/02/03", "2026-02-03T00", "", "abcd-ef-gh", "2026-00-10"}) {
    EXPECT_FALSE(IsValid(bad)) << bad;
  }
}

TEST(Date, FormatsWithZeroPadding) {
  using namespace std::chrono;
  EXPECT_EQ(Format(year(987) / January / day(5)), "0987-01-05");
  EXPECT_EQ(Format(year(2026) / December / day(31)), "2026-12-31");
}

TEST(Date, AddsDaysAcrossMonthsAndYears) {
  EXPECT_EQ(AddDays("2026-12-31", 1), "2027-01-01");
  EXPECT_EQ(AddDays("2024-03-01", -1), "2024-02-29");
  EXPECT_EQ(AddDays("not a date", 3), "not a date");
}

TEST(Date, AddsMonthsAndYearsClampingTheMonthEnd) {
  EXPECT_EQ(AddMonths("2026-01-31", 1), "2026-02-28");
  EXPECT_EQ(AddMonths("2024-01-31", 1), "2024-02-29");
  EXPECT_EQ(AddMonths("2026-11-15", 3), "2027-02-15");
  EXPECT_EQ(AddYears("2024-02-29", 1), "2025-02-28");
  EXPECT_EQ(AddYears("2024-02-29", 4), "2028-02-29");
  EXPECT_EQ(AddYears("2026-06-30", -3), "2023-06-30");
}

TEST(Date, CountsWholeYears) {
  EXPECT_EQ(FullYearsBetween("2000-06-15", "2026-06-14"), 25);
  EXPECT_EQ(FullYearsBetween("2000-06-15", "2026-06-15"), 26);
  EXPECT_EQ(FullYearsBetween("2026-06-15", "2000-06-16"), -25);
  EXPECT_EQ(FullYearsBetween("bad", "2026-06-15"), 0);
}

}  // namespace
}  // namespace shequ::date
