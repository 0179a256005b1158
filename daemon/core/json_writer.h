#pragma once

// A JSON writer that appends text to a string without building a DOM. Rows and event bodies
// are written with it on every commit; building an nlohmann object (a std::map per object)
// only to dump it cost about a third of a Start.
//
// The text is byte for byte what nlohmann's dump(-1, ' ', false, error_handler_t::replace)
// gives for the same values written in the same order: strings escaped the same way (", \,
// control characters; other characters as UTF-8), invalid UTF-8 replaced by U+FFFD. Writing
// the keys of an object in sorted order therefore gives the same text as dumping the
// equivalent nlohmann object, which is how the stored format stays what it was.

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "nlohmann/json.hpp"

namespace shequ {

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  void BeginObject() { Open('{'); }
  void EndObject() { Close('}'); }
  void BeginArray() { Open('['); }
  void EndArray() { Close(']'); }
  void Key(std::string_view key);

  void String(std::string_view s);
  void Int(int64_t v);
  void Bool(bool b);
  void Value(const nlohmann::json& j);  // an existing DOM (variables), dumped in place

  // key: value shorthands.
  void Field(std::string_view key, std::string_view s) {
    Key(key);
    String(s);
  }
  void Field(std::string_view key, const char* s) {
    Key(key);
    String(s);
  }
  void Field(std::string_view key, const std::string& s) {
    Key(key);
    String(s);
  }
  void Field(std::string_view key, int64_t v) {
    Key(key);
    Int(v);
  }
  void Field(std::string_view key, int32_t v) {
    Key(key);
    Int(v);
  }
  void Field(std::string_view key, bool b) {
    Key(key);
    Bool(b);
  }
  void Field(std::string_view key, const nlohmann::json& j) {
    Key(key);
    Value(j);
  }
  void Field(std::string_view key, const std::vector<std::string>& v);
  void Field(std::string_view key, const std::vector<int64_t>& v);

 private:
  void Separate() {
    if (comma_) out_.push_back(',');
  }
  void Open(char c) {
    Separate();
    out_.push_back(c);
    comma_ = false;
  }
  void Close(char c) {
    out_.push_back(c);
    comma_ = true;
  }

  std::string& out_;
  bool comma_ = false;  // a value was written at this level: the next one needs a ','
};

// Appends `s` as a JSON string (quotes included).
void AppendJsonString(std::string& out, std::string_view s);

// The length of j.dump(-1, ' ', false, error_handler_t::replace), without writing the text:
// size limits are checked with it where the text itself is not needed.
size_t JsonTextSize(const nlohmann::json& j);

// One member of a small object (an event body), borrowed for the duration of the call.
class JsonScalar {
 public:
  JsonScalar() : kind_(Kind::kInt) {}
  JsonScalar(std::string_view s) : kind_(Kind::kString), s_(s) {}    // NOLINT: implicit by design
  JsonScalar(const char* s) : kind_(Kind::kString), s_(s) {}         // NOLINT
  JsonScalar(const std::string& s) : kind_(Kind::kString), s_(s) {}  // NOLINT
  JsonScalar(bool b) : kind_(Kind::kBool), b_(b) {}                  // NOLINT
  template <typename T>
  requires(std::is_integral_v<T> && !std::is_same_v<T, bool>) JsonScalar(T v)
      : kind_(Kind::kInt), i_(static_cast<int64_t>(v)) {}  // NOLINT

  void WriteTo(JsonWriter& w) const;

 private:
  enum class Kind { kString, kInt, kBool };
  Kind kind_;
  std::string_view s_;
  int64_t i_ = 0;
  bool b_ = false;
};

struct JsonMember {
  std::string_view key;
  JsonScalar value;
};

// {members...} with the keys in sorted order (as an nlohmann object would dump them); of equal
// keys the last one wins, as with repeated assignment. Sorts `members` in place.
std::string SortedObject(JsonMember* members, size_t n);

}  // namespace shequ
