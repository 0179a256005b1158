// The direct JSON writer against nlohmann's dump: the stored text must stay byte for byte what
// it was, so databases written before still load and nothing downstream sees a change.

#include "daemon/core/json_writer.h"

#include <gtest/gtest.h>

#include <limits>
#include <random>

#include "nlohmann/json.hpp"

namespace shequ {
namespace {

using nlohmann::json;

std::string Nlohmann(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string Written(std::string_view s) {
  std::string out;
  AppendJsonString(out, s);
  return out;
}

TEST(JsonWriterTest, EscapesLikeNlohmann) {
  std::string all_ascii;
  for (int c = 0; c < 0x80; ++c) all_ascii.push_back(static_cast<char>(c));
  for (const std::string& s :
       {std::string(), std::string("plain"), std::string("quote \" and \\ backslash"),
        std::string("tab\tnl\ncr\rff\fbs\b"), std::string("nul\0in the middle", 17),
        std::string("\x01\x1f\x7f"), std::string("/ not escaped"), all_ascii}) {
    EXPECT_EQ(Written(s), Nlohmann(s)) << s;
  }
  EXPECT_EQ(Written(std::string("\x01", 1)), R"("\u0001")");
  EXPECT_EQ(Written("\x1f"), R"("\u001f")");
}

TEST(JsonWriterTest, CopiesValidUtf8) {
  for (const std::string& s :
       {std::string("审批 / approval"), std::string("emoji \xF0\x9F\x98\x80 end"),
        std::string("\xC2\x80"),             // U+0080
        std::string("\xDF\xBF"),             // U+07FF
        std::string("\xE0\xA0\x80"),         // U+0800
        std::string("\xED\x9F\xBF"),         // U+D7FF, just below the surrogates
        std::string("\xEE\x80\x80"),         // U+E000, just above
        std::string("\xEF\xBF\xBF"),         // U+FFFF
        std::string("\xF0\x90\x80\x80"),     // U+10000
        std::string("\xF4\x8F\xBF\xBF")}) {  // U+10FFFF
    EXPECT_EQ(Written(s), "\"" + s + "\"");
    EXPECT_EQ(Written(s), Nlohmann(s));
  }
}

TEST(JsonWriterTest, ReplacesInvalidUtf8LikeNlohmann) {
  for (const std::string& s :
       {std::string("lone continuation \x80 here"), std::string("overlong \xC0\x80"),
        std::string("overlong \xE0\x80\xAF"), std::string("surrogate \xED\xA0\x80"),
        std::string("too large \xF4\x90\x80\x80"), std::string("\xF5\x80\x80\x80"),
        std::string("truncated at the end \xE4\xB8"), std::string("\xE4\xB8 truncated inside"),
        std::string("\xFF\xFE"), std::string("mixed 审 \x80 批 \"q\"\n")}) {
    const std::string out = Written(s);
    EXPECT_EQ(out, Nlohmann(s));
    EXPECT_NO_THROW(json::parse(out)) << out;
  }
}

TEST(JsonWriterTest, RandomBytesMatchNlohmann) {
  std::mt19937 rng(20261122);  // fixed: the same strings every run
  const std::string alphabet =
      std::string("ab\"\\\n\x01\x7f", 7) +
      "\xC3\xA9\xE5\xAE\xA1\xF0\x9F\x98\x80\x80\xBF\xC0\xED\xA0\xF4\x90\xFF";
  for (int i = 0; i < 5000; ++i) {
    std::string s;
    const int len = static_cast<int>(rng() % 12);
    for (int k = 0; k < len; ++k) {
      // Half from a tricky alphabet, half any byte.
      s.push_back(rng() % 2 ? alphabet[rng() % alphabet.size()] : static_cast<char>(rng() % 256));
    }
    ASSERT_EQ(Written(s), Nlohmann(s)) << testing::PrintToString(s);
  }
}

TEST(JsonWriterTest, NumbersAndStructure) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject();
  w.Field("max", std::numeric_limits<int64_t>::max());
  w.Field("min", std::numeric_limits<int64_t>::min());
  w.Field("zero", int64_t{0});
  w.Field("neg", int32_t{-42});
  w.Field("yes", true);
  w.Field("no", false);
  w.Field("empty", std::vector<int64_t>{});
  w.Field("ids", std::vector<int64_t>{1, -2, 3});
  w.Field("names", std::vector<std::string>{"a", "\"b\""});
  w.Field("dom", json{{"x", 1.5}, {"y", nullptr}, {"z", {1, "two"}}});
  w.Key("nested");
  w.BeginArray();
  w.BeginObject();
  w.EndObject();
  w.BeginArray();
  w.EndArray();
  w.EndArray();
  w.EndObject();
  EXPECT_EQ(out, R"({"max":9223372036854775807,"min":-9223372036854775808,"zero":0,"neg":-42,)"
                 R"("yes":true,"no":false,"empty":[],"ids":[1,-2,3],"names":["a","\"b\""],)"
                 R"("dom":{"x":1.5,"y":null,"z":[1,"two"]},"nested":[{},[]]})");
  EXPECT_NO_THROW(json::parse(out));
}

TEST(JsonWriterTest, TextSizeIsTheDumpSize) {
  std::mt19937 rng(7);
  const json values[] = {
      json::object(),
      json::array(),
      json{{"n", 1}},
      json{{"neg", -1234567890123},
           {"u", uint64_t{18446744073709551615u}},
           {"f", 0.1},
           {"big", 1e300},
           {"small", -1e-7},
           {"t", true},
           {"no", false},
           {"nul", nullptr}},
      json{{"s", "审批 \"x\" \\ \n\t\x01\x7f"},
           {"bad", "\x80\xC0\x80 ok"},
           {"nested", {{"a", {1, 2, {{"b", json::array()}}}}, {"c", json::object()}}}},
      json::parse(R"({"k\u0001ey":"v","e":1.5e3,"i":[0,-0,100]})"),
  };
  for (const json& v : values) EXPECT_EQ(JsonTextSize(v), Nlohmann(v).size()) << Nlohmann(v);
  for (int i = 0; i < 2000; ++i) {
    json obj = json::object();
    for (int k = 0; k < 4; ++k) {
      std::string key(1, static_cast<char>('a' + k));
      std::string s;
      for (int b = 0; b < 5; ++b) s.push_back(static_cast<char>(rng() % 256));
      obj[key] = rng() % 2 ? json(s) : json(static_cast<int64_t>(rng()) - 2'000'000'000);
    }
    ASSERT_EQ(JsonTextSize(obj), Nlohmann(obj).size()) << Nlohmann(obj);
  }
}

TEST(JsonWriterTest, SortedObjectMatchesAnNlohmannObject) {
  const std::string actor = "张三";
  JsonMember members[] = {{"task", int64_t{7}}, {"outcome", "ok"}, {"by", actor},
                          {"buffered", true},   {"node", "n1"},    {"node", "n2"}};
  EXPECT_EQ(
      SortedObject(members, std::size(members)),
      Nlohmann(
          json{{"task", 7}, {"outcome", "ok"}, {"by", actor}, {"buffered", true}, {"node", "n2"}}));
  EXPECT_EQ(SortedObject(members, 0), "{}");
}

}  // namespace
}  // namespace shequ
