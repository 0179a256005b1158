#include "daemon/core/calendar.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace shequ {
namespace {

namespace chr = std::chrono;

constexpr int64_t kMsPerDay = 86'400'000;

chr::year_month_day Ymd(int y, unsigned m, unsigned d) {
  return chr::year(y) / chr::month(m) / chr::day(d);
}

// Epoch milliseconds of a local time at +08:00.
int64_t Local(int y, unsigned m, unsigned d, int hh = 0, int mm = 0) {
  const auto tp = chr::sys_days(Ymd(y, m, d)) + chr::hours(hh) + chr::minutes(mm) - chr::hours(8);
  return chr::duration_cast<chr::milliseconds>(tp.time_since_epoch()).count();
}

::testing::AssertionResult ErrorContains(const absl::Status& status, const std::string& part) {
  if (status.ok()) return ::testing::AssertionFailure() << "expected an error containing " << part;
  const std::string message(status.message());
  if (message.find(part) == std::string::npos) {
    return ::testing::AssertionFailure() << "'" << message << "' does not contain '" << part << "'";
  }
  return ::testing::AssertionSuccess();
}

const WorkCalendar& Shipped() {
  static const WorkCalendar* const kCalendar = [] {
    auto cal = WorkCalendar::LoadDir(std::string(SHEQU_SOURCE_DIR) + "/config/calendar");
    if (!cal.ok()) {
      ADD_FAILURE() << cal.status();
      return new WorkCalendar(WorkCalendar::Empty());
    }
    return new WorkCalendar(*std::move(cal));
  }();
  return *kCalendar;
}

int WorkingDaysIn(const WorkCalendar& cal, int year) {
  int count = 0;
  for (auto d = chr::sys_days(Ymd(year, 1, 1)); d < chr::sys_days(Ymd(year + 1, 1, 1));
       d += chr::days(1)) {
    count += cal.IsWorkingDay(chr::year_month_day(d));
  }
  return count;
}

// Day-by-day reference for AddWorkingDays (which skips whole weeks where it can).
int64_t NaiveAddWorkingDays(const WorkCalendar& cal, int64_t from_ms, int n) {
  if (n == 0) return from_ms;
  int64_t ms = from_ms;
  const int step = n > 0 ? 1 : -1;
  for (int left = n > 0 ? n : -n; left > 0;) {
    ms += step * kMsPerDay;
    if (cal.IsWorkingDay(cal.LocalDay(ms))) --left;
  }
  return ms;
}

constexpr char kMinimal[] = R"(
year: 2026
utc_offset: "+08:00"
holidays:
  - {date: 2026-01-01, name: 元旦}
workdays:
  - {date: 2026-01-04, name: 元旦调休}
)";

TEST(WorkCalendarTest, LoadsShippedFiles) {
  const WorkCalendar& cal = Shipped();
  EXPECT_EQ(cal.Years(), (std::vector<int>{2026, 2027}));
  EXPECT_TRUE(cal.Covers(2026));
  EXPECT_TRUE(cal.Covers(2027));
  EXPECT_FALSE(cal.Covers(2025));
  EXPECT_FALSE(cal.Covers(2028));
  EXPECT_FALSE(cal.IsProvisional(2026));
  EXPECT_TRUE(cal.IsProvisional(2027));
  EXPECT_FALSE(cal.IsProvisional(2028));
  EXPECT_EQ(cal.utc_offset_minutes(), 480);
}

TEST(WorkCalendarTest, Shipped2026Days) {
  const WorkCalendar& cal = Shipped();
  // Holidays on weekdays.
  EXPECT_FALSE(cal.IsWorkingDay(Ymd(2026, 1, 1)));
  EXPECT_FALSE(cal.IsWorkingDay(Ymd(2026, 1, 2)));
  EXPECT_FALSE(cal.IsWorkingDay(Ymd(2026, 2, 16)));
  EXPECT_FALSE(cal.IsWorkingDay(Ymd(2026, 2, 23)));
  EXPECT_FALSE(cal.IsWorkingDay(Ymd(2026, 4, 6)));
  EXPECT_FALSE(cal.IsWorkingDay(Ymd(2026, 5, 5)));
  EXPECT_FALSE(cal.IsWorkingDay(Ymd(2026, 6, 19)));
  EXPECT_FALSE(cal.IsWorkingDay(Ymd(2026, 9, 25)));
  EXPECT_FALSE(cal.IsWorkingDay(Ymd(2026, 10, 7)));
  // Make-up working days on weekends.
  EXPECT_TRUE(cal.IsWorkingDay(Ymd(2026, 1, 4)));
  EXPECT_TRUE(cal.IsWorkingDay(Ymd(2026, 2, 14)));
  EXPECT_TRUE(cal.IsWorkingDay(Ymd(2026, 2, 28)));
  EXPECT_TRUE(cal.IsWorkingDay(Ymd(2026, 5, 9)));
  EXPECT_TRUE(cal.IsWorkingDay(Ymd(2026, 9, 20)));
  EXPECT_TRUE(cal.IsWorkingDay(Ymd(2026, 10, 10)));
  // Ordinary days.
  EXPECT_TRUE(cal.IsWorkingDay(Ymd(2026, 1, 5)));    // Monday
  EXPECT_TRUE(cal.IsWorkingDay(Ymd(2026, 2, 24)));   // Tuesday after 春节
  EXPECT_TRUE(cal.IsWorkingDay(Ymd(2026, 10, 8)));   // Thursday after 国庆
  EXPECT_FALSE(cal.IsWorkingDay(Ymd(2026, 1, 10)));  // Saturday
  EXPECT_FALSE(cal.IsWorkingDay(Ymd(2026, 1, 11)));  // Sunday
  // 261 weekdays - 19 weekday holidays + 6 make-up days.
  EXPECT_EQ(WorkingDaysIn(cal, 2026), 248);
}

TEST(WorkCalendarTest, Provisional2027Days) {
  const WorkCalendar& cal = Shipped();
  EXPECT_FALSE(cal.IsWorkingDay(Ymd(2027, 1, 1)));
  EXPECT_FALSE(cal.IsWorkingDay(Ymd(2027, 2, 5)));   // 除夕, Friday
  EXPECT_FALSE(cal.IsWorkingDay(Ymd(2027, 2, 11)));  // Thursday, end of the block
  EXPECT_TRUE(cal.IsWorkingDay(Ymd(2027, 2, 12)));
  EXPECT_FALSE(cal.IsWorkingDay(Ymd(2027, 4, 5)));
  EXPECT_FALSE(cal.IsWorkingDay(Ymd(2027, 6, 9)));
  EXPECT_FALSE(cal.IsWorkingDay(Ymd(2027, 9, 15)));
  EXPECT_FALSE(cal.IsWorkingDay(Ymd(2027, 10, 7)));
  EXPECT_TRUE(cal.IsWorkingDay(Ymd(2027, 9, 26)));  // Sunday make-up
  EXPECT_TRUE(cal.IsWorkingDay(Ymd(2027, 10, 9)));  // Saturday make-up
  // 261 weekdays - 17 weekday holidays + 4 make-up days.
  EXPECT_EQ(WorkingDaysIn(cal, 2027), 248);
}

TEST(WorkCalendarTest, DayNames) {
  const WorkCalendar& cal = Shipped();
  EXPECT_EQ(cal.DayName(Ymd(2026, 2, 17)), "春节");
  EXPECT_EQ(cal.DayName(Ymd(2026, 1, 4)), "元旦调休");
  EXPECT_EQ(cal.DayName(Ymd(2026, 10, 3)), "国庆节");
  EXPECT_EQ(cal.DayName(Ymd(2026, 3, 3)), "");
}

TEST(WorkCalendarTest, AddAcrossSpringFestival) {
  const WorkCalendar& cal = Shipped();
  const int64_t fri = Local(2026, 2, 13, 9, 0);
  EXPECT_EQ(cal.AddWorkingDays(fri, 1), Local(2026, 2, 14, 9, 0));  // Saturday make-up day
  EXPECT_EQ(cal.AddWorkingDays(fri, 2), Local(2026, 2, 24, 9, 0));  // Tuesday after the holiday
  EXPECT_EQ(cal.AddWorkingDays(fri, 3), Local(2026, 2, 25, 9, 0));
  EXPECT_EQ(cal.AddWorkingDays(fri, 0), fri);
}

TEST(WorkCalendarTest, AddAcrossNationalDay) {
  const WorkCalendar& cal = Shipped();
  const int64_t wed = Local(2026, 9, 30, 10, 15);
  EXPECT_EQ(cal.AddWorkingDays(wed, 1), Local(2026, 10, 8, 10, 15));
  EXPECT_EQ(cal.AddWorkingDays(wed, 3), Local(2026, 10, 10, 10, 15));  // Saturday make-up
  EXPECT_EQ(cal.AddWorkingDays(wed, 5), Local(2026, 10, 13, 10, 15));
  // 中秋 Sep 25-27 and the Sunday make-up Sep 20.
  EXPECT_EQ(cal.AddWorkingDays(Local(2026, 9, 24, 9), 1), Local(2026, 9, 28, 9));
  EXPECT_EQ(cal.AddWorkingDays(Local(2026, 9, 19, 9), 1), Local(2026, 9, 20, 9));
}

TEST(WorkCalendarTest, AddNegative) {
  const WorkCalendar& cal = Shipped();
  const int64_t tue = Local(2026, 2, 24, 9, 0);
  EXPECT_EQ(cal.AddWorkingDays(tue, -1), Local(2026, 2, 14, 9, 0));
  EXPECT_EQ(cal.AddWorkingDays(tue, -2), Local(2026, 2, 13, 9, 0));
  EXPECT_EQ(cal.AddWorkingDays(Local(2026, 10, 13, 10, 15), -5), Local(2026, 9, 30, 10, 15));
  EXPECT_EQ(cal.AddWorkingDays(Local(2026, 1, 5, 8), -1), Local(2026, 1, 4, 8));
  EXPECT_EQ(cal.AddWorkingDays(Local(2026, 1, 4, 8), -1), Local(2025, 12, 31, 8));
}

TEST(WorkCalendarTest, AddFromNonWorkingDay) {
  const WorkCalendar& cal = Shipped();
  const int64_t sun = Local(2026, 2, 15, 12, 0);  // inside 春节
  EXPECT_EQ(cal.AddWorkingDays(sun, 1), Local(2026, 2, 24, 12, 0));
  EXPECT_EQ(cal.AddWorkingDays(sun, -1), Local(2026, 2, 14, 12, 0));
  EXPECT_EQ(cal.AddWorkingDays(sun + 123, 0), sun + 123);
}

TEST(WorkCalendarTest, DayBoundariesAreLocal) {
  const WorkCalendar& cal = Shipped();
  // 07:00 on Saturday 14 Feb in Beijing is still Friday in UTC: the local day counts.
  const int64_t sat_morning = Local(2026, 2, 14, 7, 0);
  EXPECT_EQ(cal.LocalDay(sat_morning), Ymd(2026, 2, 14));
  EXPECT_EQ(cal.AddWorkingDays(sat_morning, 1), Local(2026, 2, 24, 7, 0));
  // 23:30 local is 15:30 UTC the same day.
  EXPECT_EQ(cal.AddWorkingDays(Local(2026, 2, 13, 23, 30), 1), Local(2026, 2, 14, 23, 30));
  EXPECT_EQ(cal.LocalDay(Local(2026, 3, 1, 0, 0)), Ymd(2026, 3, 1));
  EXPECT_EQ(cal.LocalDay(Local(2026, 3, 1, 0, 0) - 1), Ymd(2026, 2, 28));
  EXPECT_EQ(cal.StartOfDayMs(Ymd(2026, 3, 1)), Local(2026, 3, 1));
  // Before the epoch, days still floor correctly.
  EXPECT_EQ(cal.LocalDay(Local(1969, 12, 31, 1, 0)), Ymd(1969, 12, 31));
}

TEST(WorkCalendarTest, UncoveredYearsAreMondayToFriday) {
  const WorkCalendar& cal = Shipped();
  EXPECT_TRUE(cal.IsWorkingDay(Ymd(2025, 10, 1)));  // a holiday in reality, but no 2025 file
  EXPECT_FALSE(cal.IsWorkingDay(Ymd(2028, 1, 1)));  // Saturday
  EXPECT_TRUE(cal.IsWorkingDay(Ymd(2028, 1, 3)));
  // From Thursday 30 Dec 2027: Friday 31st, then Monday 3 Jan 2028.
  EXPECT_EQ(cal.AddWorkingDays(Local(2027, 12, 30, 9), 2), Local(2028, 1, 3, 9));
}

TEST(WorkCalendarTest, MatchesDayByDayCounting) {
  const WorkCalendar& cal = Shipped();
  for (const int64_t from : {Local(2025, 11, 3, 9), Local(2026, 2, 14, 9), Local(2026, 9, 27, 9),
                             Local(2027, 12, 25, 9), Local(2028, 6, 1, 9)}) {
    for (int n = -700; n <= 700; n += 7) {
      ASSERT_EQ(cal.AddWorkingDays(from, n), NaiveAddWorkingDays(cal, from, n))
          << "from " << from << " n " << n;
    }
  }
}

TEST(WorkCalendarTest, HugeCountsAreCheap) {
  const WorkCalendar& cal = Shipped();
  const int64_t mon = Local(2030, 1, 7, 9);
  EXPECT_EQ(cal.AddWorkingDays(mon, 5000), mon + 7000 * kMsPerDay);
  // INT_MAX = 5 * 429496729 + 2: whole weeks, then Tuesday and Wednesday.
  EXPECT_EQ(cal.AddWorkingDays(mon, INT_MAX), mon + (int64_t{429496729} * 7 + 2) * kMsPerDay);
  // Backwards from before the covered years: 429496729 whole weeks, then Fri, Thu, Wed.
  const int64_t old_mon = Local(2020, 1, 6, 9);
  EXPECT_EQ(cal.AddWorkingDays(old_mon, INT_MIN),
            old_mon - (int64_t{429496729} * 7 + 5) * kMsPerDay);
  // Across the covered years, large counts still agree with counting day by day.
  for (const int n : {100'000, -100'000}) {
    const int64_t from = n > 0 ? Local(2020, 1, 6, 9) : Local(2030, 1, 7, 9);
    EXPECT_EQ(cal.AddWorkingDays(from, n), NaiveAddWorkingDays(cal, from, n)) << n;
  }
}

TEST(WorkCalendarTest, Empty) {
  const WorkCalendar cal = WorkCalendar::Empty();
  EXPECT_TRUE(cal.Years().empty());
  EXPECT_FALSE(cal.Covers(2026));
  EXPECT_EQ(cal.utc_offset_minutes(), 480);
  EXPECT_TRUE(cal.IsWorkingDay(Ymd(2026, 1, 1)));
  EXPECT_FALSE(cal.IsWorkingDay(Ymd(2026, 1, 4)));
  EXPECT_EQ(cal.AddWorkingDays(Local(2026, 2, 13, 9), 1), Local(2026, 2, 16, 9));
  EXPECT_EQ(cal.AddWorkingDays(Local(2026, 2, 16, 9), -1), Local(2026, 2, 13, 9));
}

TEST(WorkCalendarTest, FromYamlMinimal) {
  auto cal = WorkCalendar::FromYaml(kMinimal, "mini.yaml");
  ASSERT_TRUE(cal.ok()) << cal.status();
  EXPECT_TRUE(cal->Covers(2026));
  EXPECT_FALSE(cal->IsProvisional(2026));
  EXPECT_FALSE(cal->IsWorkingDay(Ymd(2026, 1, 1)));
  EXPECT_TRUE(cal->IsWorkingDay(Ymd(2026, 1, 4)));
  EXPECT_TRUE(cal->IsWorkingDay(Ymd(2026, 2, 16)));  // 春节 is not in this file
  EXPECT_EQ(cal->DayName(Ymd(2026, 1, 1)), "元旦");
}

TEST(WorkCalendarTest, ProvisionalFlagAndEmptyLists) {
  auto cal = WorkCalendar::FromYaml(
      "year: 2030\nutc_offset: \"+08:00\"\nprovisional: true\n"
      "holidays:\nworkdays: []\n");
  ASSERT_TRUE(cal.ok()) << cal.status();
  EXPECT_TRUE(cal->Covers(2030));
  EXPECT_TRUE(cal->IsProvisional(2030));
}

TEST(WorkCalendarTest, OtherOffsetMovesDayBoundaries) {
  auto cal = WorkCalendar::FromYaml("year: 2026\nutc_offset: \"-05:30\"\n");
  ASSERT_TRUE(cal.ok()) << cal.status();
  EXPECT_EQ(cal->utc_offset_minutes(), -330);
  const int64_t utc_midnight = Local(2026, 3, 2, 8, 0);     // 2026-03-02T00:00Z, a Monday
  EXPECT_EQ(cal->LocalDay(utc_midnight), Ymd(2026, 3, 1));  // still Sunday evening locally
  // Sunday 18:30 local + 1wd = Monday 18:30 local.
  EXPECT_EQ(cal->AddWorkingDays(utc_midnight, 1), utc_midnight + kMsPerDay);
}

struct BadCase {
  const char* yaml;
  std::vector<std::string> parts;  // all must appear in the error
};

TEST(WorkCalendarTest, RefusesBadFiles) {
  const std::vector<BadCase> cases = {
      {"year: 2026\nutc_offset: \"+08:00\"\nholidays:\n  - {date: 2026-01-01}\n"
       "  - {date: 2026-02-30, name: x}\n",
       {"bad.yaml:5:", "holidays[1] (2026-02-30)", "not a valid date"}},
      {"year: 2026\nutc_offset: \"+08:00\"\nholidays:\n  - {date: 2026-1-1}\n",
       {"holidays[0] (2026-1-1)", "not a valid date"}},
      {"year: 2026\nutc_offset: \"+08:00\"\nholidays:\n  - {date: 2025-12-31, name: x}\n",
       {"holidays[0] (2025-12-31)", "outside the file's year 2026"}},
      {"year: 2026\nutc_offset: \"+08:00\"\nholidays:\n  - {date: 2026-01-04}\n"
       "workdays:\n  - {date: 2026-01-04}\n",
       {"workdays[0] (2026-01-04)", "both a holiday and a workday", "holidays[0]"}},
      {"year: 2026\nutc_offset: \"+08:00\"\nholidays:\n  - {date: 2026-01-01}\n"
       "  - {date: 2026-01-01}\n",
       {"holidays[1] (2026-01-01)", "listed twice"}},
      {"year: 2026\nutc_offset: \"+08:00\"\nworkdays:\n  - {date: 2026-01-05}\n",
       {"workdays[0] (2026-01-05)", "is a weekday"}},
      {"year: 2026\nutc_offset: \"+08:00\"\nholidays:\n  - 2026-01-01\n",
       {"holidays[0]", "expected a map"}},
      {"year: 2026\nutc_offset: \"+08:00\"\nholidays:\n  - {date: 2026-01-01, nmae: x}\n",
       {"unknown key 'nmae'"}},
      {"year: 2026\nutc_offset: \"+08:00\"\nholidays:\n  - {name: x}\n",
       {"holidays[0]", "missing 'date'"}},
      {"year: 2026\nutc_offset: \"+08:00\"\nholidays: {date: 2026-01-01}\n",
       {"'holidays' must be a list"}},
      {"utc_offset: \"+08:00\"\n", {"missing 'year'"}},
      {"year: 2026\n", {"missing 'utc_offset'"}},
      {"year: twenty\nutc_offset: \"+08:00\"\n", {"'year' must be a year"}},
      {"year: 2026\nutc_offset: \"8\"\n", {"'utc_offset' must look like"}},
      {"year: 2026\nutc_offset: \"+08:00\"\nprovisional: maybe\n",
       {"'provisional' must be true or false"}},
      {"year: 2026\nutc_offset: \"+08:00\"\nholiday: []\n", {"unknown key 'holiday'"}},
      {"year: 2026\nutc_offset: [\n", {"not valid YAML"}},
      {"- 2026\n", {"expected a map"}},
  };
  for (const BadCase& c : cases) {
    auto cal = WorkCalendar::FromYaml(c.yaml, "bad.yaml");
    ASSERT_FALSE(cal.ok()) << c.yaml;
    EXPECT_EQ(cal.status().code(), absl::StatusCode::kInvalidArgument) << c.yaml;
    EXPECT_TRUE(ErrorContains(cal.status(), "bad.yaml")) << c.yaml;
    for (const std::string& part : c.parts)
      EXPECT_TRUE(ErrorContains(cal.status(), part)) << c.yaml;
  }
}

TEST(WorkCalendarTest, RefusesDuplicateYear) {
  auto cal = WorkCalendar::FromSources({{"a/2026.yaml", kMinimal}, {"a/2026-copy.yaml", kMinimal}});
  ASSERT_FALSE(cal.ok());
  EXPECT_TRUE(ErrorContains(cal.status(), "a/2026-copy.yaml: duplicate year 2026"));
  EXPECT_TRUE(ErrorContains(cal.status(), "already defined in a/2026.yaml"));
}

TEST(WorkCalendarTest, RefusesMixedOffsets) {
  auto cal = WorkCalendar::FromSources(
      {{"2026.yaml", kMinimal}, {"2027.yaml", "year: 2027\nutc_offset: \"+09:00\"\n"}});
  ASSERT_FALSE(cal.ok());
  EXPECT_TRUE(ErrorContains(cal.status(), "2027.yaml: utc_offset +09:00 differs from +08:00"));
}

class LoadDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("shequ_calendar_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }
  std::filesystem::path dir_;
};

TEST_F(LoadDirTest, ReadsOnlyYamlFiles) {
  Write("2026.yaml", kMinimal);
  Write("README.md", "not yaml: [");
  Write("2027.yaml.bak", "garbage: [");
  auto cal = WorkCalendar::LoadDir(dir_.string());
  ASSERT_TRUE(cal.ok()) << cal.status();
  EXPECT_EQ(cal->Years(), std::vector<int>{2026});
}

TEST_F(LoadDirTest, ErrorNamesTheFile) {
  Write("2026.yaml", kMinimal);
  Write("2027.yaml", "year: 2027\nutc_offset: \"+08:00\"\nholidays:\n  - {date: 2027-13-01}\n");
  auto cal = WorkCalendar::LoadDir(dir_.string());
  ASSERT_FALSE(cal.ok());
  EXPECT_TRUE(ErrorContains(cal.status(), (dir_ / "2027.yaml").string() + ":4:"));
  EXPECT_TRUE(ErrorContains(cal.status(), "holidays[0] (2027-13-01)"));
}

TEST_F(LoadDirTest, EmptyDirectoryIsMondayToFriday) {
  auto cal = WorkCalendar::LoadDir(dir_.string());
  ASSERT_TRUE(cal.ok()) << cal.status();
  EXPECT_TRUE(cal->Years().empty());
  EXPECT_TRUE(cal->IsWorkingDay(Ymd(2026, 1, 1)));
}

TEST(WorkCalendarTest, MissingDirectory) {
  auto cal = WorkCalendar::LoadDir("/nonexistent/shequ/calendar");
  EXPECT_EQ(cal.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(ErrorContains(cal.status(), "/nonexistent/shequ/calendar"));
}

}  // namespace
}  // namespace shequ
