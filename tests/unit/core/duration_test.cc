#include "daemon/core/duration.h"

#include <gtest/gtest.h>

#include <chrono>
#include <limits>
#include <string>
#include <vector>

namespace shequ {
namespace {

namespace chr = std::chrono;

constexpr int64_t kSecond = 1000;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;

Duration Ms(int64_t ms) { return Duration{ms, 0}; }
Duration Wd(int n) { return Duration{0, n}; }

Duration Parse(std::string_view text) {
  auto d = ParseDuration(text);
  EXPECT_TRUE(d.ok()) << text << ": " << d.status();
  return d.ok() ? *d : Duration{-1, -1};
}

std::string ParseError(std::string_view text) {
  auto d = ParseDuration(text);
  EXPECT_FALSE(d.ok()) << text << " parsed as ms=" << d->ms << " wd=" << d->working_days;
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(d.status().message());
}

bool Contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

int64_t Local(int y, unsigned m, unsigned d, int hh = 0, int mm = 0) {
  const auto tp = chr::sys_days(chr::year(y) / chr::month(m) / chr::day(d)) + chr::hours(hh) +
                  chr::minutes(mm) - chr::hours(8);
  return chr::duration_cast<chr::milliseconds>(tp.time_since_epoch()).count();
}

TEST(DurationTest, WorkingDays) {
  EXPECT_EQ(Parse("5wd"), Wd(5));
  EXPECT_EQ(Parse("-2wd"), Wd(-2));
  EXPECT_EQ(Parse("+1wd"), Wd(1));
  EXPECT_EQ(Parse("0wd"), Duration{});
  EXPECT_EQ(Parse("250wd"), Wd(250));
  EXPECT_EQ(Parse(" 3wd "), Wd(3));  // YAML may leave spaces around flow items
}

TEST(DurationTest, Zero) {
  EXPECT_EQ(Parse("0"), Duration{});
  EXPECT_EQ(Parse("-0"), Duration{});
  EXPECT_EQ(Parse("+0"), Duration{});
  EXPECT_EQ(Parse("PT0S"), Duration{});
  EXPECT_TRUE(Parse("P0D").IsZero());
  EXPECT_FALSE(Wd(1).IsZero());
}

TEST(DurationTest, Iso8601) {
  EXPECT_EQ(Parse("P3D"), Ms(3 * kDay));
  EXPECT_EQ(Parse("PT4H"), Ms(4 * kHour));
  EXPECT_EQ(Parse("P1DT2H30M"), Ms(kDay + 2 * kHour + 30 * kMinute));
  EXPECT_EQ(Parse("PT90S"), Ms(90 * kSecond));
  EXPECT_EQ(Parse("PT90M"), Ms(90 * kMinute));
  EXPECT_EQ(Parse("P2W"), Ms(14 * kDay));
  EXPECT_EQ(Parse("P1W2D"), Ms(9 * kDay));
  EXPECT_EQ(Parse("-PT1H"), Ms(-kHour));
  EXPECT_EQ(Parse("+P1D"), Ms(kDay));
  EXPECT_EQ(Parse("P30D"), Ms(30 * kDay));
  EXPECT_EQ(Parse("PT1.5S"), Ms(1500));
  EXPECT_EQ(Parse("PT0,25S"), Ms(250));
  EXPECT_EQ(Parse("PT0.001S"), Ms(1));
  EXPECT_EQ(Parse("P1DT1H1M1.1S"), Ms(kDay + kHour + kMinute + 1100));
}

TEST(DurationTest, RefusesYearsAndMonths) {
  for (const char* text : {"P1Y", "P2M", "P1Y2M3D", "-P1M"}) {
    const std::string error = ParseError(text);
    std::string quoted = "\"";
    quoted.append(text).push_back('"');
    EXPECT_TRUE(Contains(error, quoted)) << error;
    EXPECT_TRUE(Contains(error, "years and months have no fixed length")) << error;
  }
}

TEST(DurationTest, ErrorsQuoteTextAndSayWhatIsAccepted) {
  for (const char* text : {"", "5", "5d", "5 wd", "wd", "5WD", "abc", "p3d", "3D", "P", "1wd2"}) {
    const std::string error = ParseError(text);
    EXPECT_TRUE(Contains(error, "invalid duration \"" + std::string(text) + "\"")) << error;
  }
  const std::string error = ParseError("5d");
  EXPECT_TRUE(Contains(error, "\"5wd\"")) << error;
  EXPECT_TRUE(Contains(error, "\"P3D\"")) << error;
  EXPECT_TRUE(Contains(error, "\"PT4H\"")) << error;
}

TEST(DurationTest, RefusesMalformedIso) {
  EXPECT_TRUE(Contains(ParseError("PT"), "'T' must be followed by"));
  EXPECT_TRUE(Contains(ParseError("P1DT"), "'T' must be followed by"));
  EXPECT_TRUE(Contains(ParseError("P"), "no amount after 'P'"));
  EXPECT_TRUE(Contains(ParseError("P1H"), "go after 'T'"));
  EXPECT_TRUE(Contains(ParseError("PT1D"), "go before 'T'"));
  EXPECT_TRUE(Contains(ParseError("P1D2W"), "in the order"));
  EXPECT_TRUE(Contains(ParseError("PT1H1H"), "in the order"));
  EXPECT_TRUE(Contains(ParseError("PT1HT1M"), "'T' appears twice"));
  EXPECT_TRUE(Contains(ParseError("PT1.5H"), "only seconds may have a fraction"));
  EXPECT_TRUE(Contains(ParseError("PT0.0001S"), "millisecond"));
  EXPECT_TRUE(Contains(ParseError("PT1.S"), "followed by digits"));
  EXPECT_TRUE(Contains(ParseError("P3"), "followed by a unit"));
  EXPECT_TRUE(Contains(ParseError("P3X"), "unknown unit 'X'"));
  EXPECT_TRUE(Contains(ParseError("--P1D"), "expected"));
  EXPECT_TRUE(Contains(ParseError("P-1D"), "expected"));
}

TEST(DurationTest, RefusesOverflow) {
  EXPECT_TRUE(Contains(ParseError("P99999999999999999999D"), "too large"));
  EXPECT_TRUE(Contains(ParseError("P999999999999D"), "too large"));  // fits digits, not ms
  EXPECT_TRUE(Contains(ParseError("3000000000wd"), "too large"));
  EXPECT_EQ(Parse("2147483647wd"), Wd(2147483647));
}

TEST(DurationTest, ApplyWorkingDaysUsesCalendar) {
  auto cal = WorkCalendar::LoadDir(std::string(SHEQU_SOURCE_DIR) + "/config/calendar");
  ASSERT_TRUE(cal.ok()) << cal.status();
  const int64_t fri = Local(2026, 2, 13, 9, 0);
  EXPECT_EQ(ApplyDuration(fri, Parse("1wd"), *cal), Local(2026, 2, 14, 9, 0));
  EXPECT_EQ(ApplyDuration(fri, Parse("2wd"), *cal), Local(2026, 2, 24, 9, 0));
  EXPECT_EQ(ApplyDuration(Local(2026, 2, 24, 9, 0), Parse("-2wd"), *cal), fri);
  // Fixed durations ignore the calendar.
  EXPECT_EQ(ApplyDuration(fri, Parse("P3D"), *cal), Local(2026, 2, 16, 9, 0));
  EXPECT_EQ(ApplyDuration(fri, Parse("-PT1H"), *cal), Local(2026, 2, 13, 8, 0));
  EXPECT_EQ(ApplyDuration(fri, Parse("0"), *cal), fri);
  // The same working days on the plain Mon-Fri calendar skip only the weekend.
  EXPECT_EQ(ApplyDuration(fri, Parse("2wd"), WorkCalendar::Empty()), Local(2026, 2, 17, 9, 0));
}

TEST(DurationTest, ApplySaturates) {
  const WorkCalendar cal = WorkCalendar::Empty();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  EXPECT_EQ(ApplyDuration(kMax - 5, Ms(kHour), cal), kMax);
  EXPECT_EQ(ApplyDuration(kMin + 5, Ms(-kHour), cal), kMin);
}

TEST(DurationTest, Format) {
  EXPECT_EQ(FormatDuration(Wd(5)), "5wd");
  EXPECT_EQ(FormatDuration(Wd(-2)), "-2wd");
  EXPECT_EQ(FormatDuration(Duration{}), "0");
  EXPECT_EQ(FormatDuration(Ms(3 * kDay)), "P3D");
  EXPECT_EQ(FormatDuration(Ms(14 * kDay)), "P14D");
  EXPECT_EQ(FormatDuration(Ms(kDay + 2 * kHour + 30 * kMinute)), "P1DT2H30M");
  EXPECT_EQ(FormatDuration(Ms(-kHour)), "-PT1H");
  EXPECT_EQ(FormatDuration(Ms(90 * kSecond)), "PT1M30S");
  EXPECT_EQ(FormatDuration(Ms(1500)), "PT1.5S");
  EXPECT_EQ(FormatDuration(Ms(1)), "PT0.001S");
  EXPECT_EQ(FormatDuration(Ms(kDay + 250)), "P1DT0.25S");
  EXPECT_EQ(FormatDuration(Ms(std::numeric_limits<int64_t>::min())),
            "-P106751991167DT7H12M55.808S");
}

TEST(DurationTest, FormatRoundTrips) {
  const std::vector<Duration> values = {Wd(1),
                                        Wd(-7),
                                        Duration{},
                                        Ms(1),
                                        Ms(-1),
                                        Ms(999),
                                        Ms(kDay),
                                        Ms(-5 * kDay),
                                        Ms(kHour),
                                        Ms(59 * kMinute + 1),
                                        Ms(123456789012),
                                        Ms(std::numeric_limits<int64_t>::max())};
  for (const Duration& d : values) {
    EXPECT_EQ(Parse(FormatDuration(d)), d) << FormatDuration(d);
  }
}

}  // namespace
}  // namespace shequ
