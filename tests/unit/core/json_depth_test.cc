#include "daemon/core/json_depth.h"

#include <gtest/gtest.h>

#include <string>

namespace shequ {
namespace {

std::string Objects(int levels) {
  std::string text;
  for (int i = 0; i < levels; ++i) text += "{\"k\":";
  text += "1";
  text.append(levels, '}');
  return text;
}

TEST(JsonDepthTest, TextDeeperThanTheLimitIsRefusedNamingFieldAndLimit) {
  EXPECT_TRUE(CheckJsonTextDepth(Objects(64), "variables").ok());
  absl::Status s = CheckJsonTextDepth(Objects(65), "variables");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "variables: nested deeper than 64 levels");
  EXPECT_FALSE(CheckJsonTextDepth(Objects(100'000), "variables").ok());
  EXPECT_FALSE(CheckJsonTextDepth(std::string(100'000, '['), "input").ok());
  EXPECT_TRUE(CheckJsonTextDepth("[[1]]", "x", 2).ok());
  EXPECT_FALSE(CheckJsonTextDepth("[[[1]]]", "x", 2).ok());
  // Siblings do not add up; only nesting counts.
  std::string wide = "[";
  for (int i = 0; i < 1000; ++i) wide += "[1],";
  wide += "[]]";
  EXPECT_TRUE(CheckJsonTextDepth(wide, "x", 2).ok());
}

TEST(JsonDepthTest, BracketsInStringsDoNotCount) {
  EXPECT_TRUE(CheckJsonTextDepth(R"({"s": "[[[[[[{{{{"})", "x", 1).ok());
  EXPECT_TRUE(CheckJsonTextDepth(R"({"s": "a\"[[[[[\\", "t": "{{{{"})", "x", 1).ok());
  EXPECT_FALSE(CheckJsonTextDepth(R"({"s": "\\", "t": [[1]]})", "x", 2).ok());
}

TEST(JsonDepthTest, ParseBoundedJsonChecksBeforeParsing) {
  absl::Status depth;
  nlohmann::json v = ParseBoundedJson(Objects(100'000), "variables", &depth);
  EXPECT_TRUE(v.is_discarded());
  EXPECT_EQ(depth.message(), "variables: nested deeper than 64 levels");
  v = ParseBoundedJson(Objects(3), "variables", &depth);
  EXPECT_TRUE(depth.ok());
  EXPECT_EQ(v["k"]["k"]["k"], 1);
  v = ParseBoundedJson("{oops", "variables", &depth);
  EXPECT_TRUE(depth.ok());
  EXPECT_TRUE(v.is_discarded());
}

TEST(JsonDepthTest, DeeperThanCountsLevelsOfValues) {
  EXPECT_FALSE(JsonDeeperThan(1, 0));
  EXPECT_FALSE(JsonDeeperThan(nlohmann::json::object(), 1));
  EXPECT_TRUE(JsonDeeperThan(nlohmann::json::object(), 0));
  nlohmann::json v = nlohmann::json::parse(R"({"a": [1, {"b": []}], "c": 2})");  // 4 levels
  EXPECT_FALSE(JsonDeeperThan(v, 4));
  EXPECT_TRUE(JsonDeeperThan(v, 3));
  nlohmann::json deep = 1;
  for (int i = 0; i < 200; ++i) deep = nlohmann::json::array({std::move(deep)});
  EXPECT_TRUE(JsonDeeperThan(deep));
  EXPECT_FALSE(JsonDeeperThan(deep, 200));
  EXPECT_TRUE(JsonDeeperThan(deep, 199));
}

}  // namespace
}  // namespace shequ
