#include "daemon/core/json_writer.h"

#include <array>
#include <charconv>
#include <cstring>

namespace shequ {
namespace {

// Length of the well-formed UTF-8 sequence at p[0..n) (Unicode 3-7: no overlong forms, no
// surrogates, nothing above U+10FFFF), or 0. This is the set nlohmann's decoder accepts, so
// every string accepted here is one it would copy unchanged.
size_t Utf8Length(const unsigned char* p, size_t n) {
  const unsigned char c = p[0];
  auto cont = [&](size_t i, unsigned char lo, unsigned char hi) {
    return i < n && p[i] >= lo && p[i] <= hi;
  };
  if (c >= 0xC2 && c <= 0xDF) return cont(1, 0x80, 0xBF) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    const unsigned char lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    return cont(1, lo, hi) && cont(2, 0x80, 0xBF) ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    const unsigned char lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    return cont(1, lo, hi) && cont(2, 0x80, 0xBF) && cont(3, 0x80, 0xBF) ? 4 : 0;
  }
  return 0;
}

// Bytes copied as they are: printable ASCII other than " and \.
constexpr std::array<bool, 256> kPlain = [] {
  std::array<bool, 256> plain{};
  for (int c = 0x20; c < 0x80; ++c) plain[c] = c != '"' && c != '\\';
  return plain;
}();

size_t PlainPrefix(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t i = 0;
  while (i < s.size() && kPlain[p[i]]) ++i;
  return i;
}

using Serializer = nlohmann::detail::serializer<nlohmann::json>;

void DumpInto(std::string& out, const nlohmann::json& j) {
  Serializer s(nlohmann::detail::output_adapter<char, std::string>(out), ' ',
               nlohmann::json::error_handler_t::replace);
  s.dump(j, /*pretty_print=*/false, /*ensure_ascii=*/false, 0);
}

}  // namespace

void AppendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  const size_t n = s.size();
  const size_t plain = PlainPrefix(s);
  if (plain == n) {  // the common case: nothing to escape or check
    out.push_back('"');
    out.append(s);
    out.push_back('"');
    return;
  }
  const size_t start = out.size();
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  out.push_back('"');
  size_t run = 0;  // start of the bytes not yet copied
  for (size_t i = plain; i < n; ++i) {
    const unsigned char c = p[i];
    if (c >= 0x80) {
      const size_t len = Utf8Length(p + i, n - i);
      if (len == 0) {
        // Invalid UTF-8 is rare (input is validated at the API): let nlohmann do its exact
        // replacement rather than imitate it.
        out.resize(start);
        DumpInto(out, nlohmann::json(std::string(s)));
        return;
      }
      i += len - 1;
      continue;
    }
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    out.push_back('\\');
    switch (c) {
      case '"':
        out.push_back('"');
        break;
      case '\\':
        out.push_back('\\');
        break;
      case '\b':
        out.push_back('b');
        break;
      case '\t':
        out.push_back('t');
        break;
      case '\n':
        out.push_back('n');
        break;
      case '\f':
        out.push_back('f');
        break;
      case '\r':
        out.push_back('r');
        break;
      default:
        out.append("u00");
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 0xF]);
    }
  }
  out.append(s.data() + run, n - run);
  out.push_back('"');
}

namespace {

size_t StringTextSize(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t size = n + 2;
  for (size_t i = 0; i < n; ++i) {
    const unsigned char c = p[i];
    if (c >= 0x80) {
      const size_t len = Utf8Length(p + i, n - i);
      if (len == 0) {  // rare: count what nlohmann's replacement gives
        std::string text;
        DumpInto(text, nlohmann::json(std::string(s)));
        return text.size();
      }
      i += len - 1;
    } else if (c == '"' || c == '\\' || c == '\b' || c == '\t' || c == '\n' || c == '\f' ||
               c == '\r') {
      size += 1;
    } else if (c < 0x20) {
      size += 5;  // \u00XX
    }
  }
  return size;
}

template <typename Int>
size_t IntTextSize(Int v) {
  char buf[24];
  return static_cast<size_t>(std::to_chars(buf, buf + sizeof buf, v).ptr - buf);
}

}  // namespace

size_t JsonTextSize(const nlohmann::json& j) {
  using Type = nlohmann::json::value_t;
  switch (j.type()) {
    case Type::object: {
      size_t size = 2 + (j.empty() ? 0 : j.size() - 1);  // braces, commas
      for (const auto& [key, value] : j.get_ref<const nlohmann::json::object_t&>()) {
        size += StringTextSize(key) + 1 + JsonTextSize(value);
      }
      return size;
    }
    case Type::array: {
      size_t size = 2 + (j.empty() ? 0 : j.size() - 1);
      for (const auto& value : j) size += JsonTextSize(value);
      return size;
    }
    case Type::string:
      return StringTextSize(j.get_ref<const std::string&>());
    case Type::boolean:
      return j.get<bool>() ? 4 : 5;
    case Type::null:
      return 4;
    case Type::number_integer:
      return IntTextSize(j.get<int64_t>());
    case Type::number_unsigned:
      return IntTextSize(j.get<uint64_t>());
    default: {  // floats (their shortest form is nlohmann's own), binary, discarded: rare
      std::string text;
      DumpInto(text, j);
      return text.size();
    }
  }
}

void JsonWriter::Key(std::string_view key) {
  // Keys are short literals: one append of ,"key": when nothing needs escaping.
  char buf[68];
  if (key.size() <= 64 && PlainPrefix(key) == key.size()) {
    size_t k = 0;
    if (comma_) buf[k++] = ',';
    buf[k++] = '"';
    std::memcpy(buf + k, key.data(), key.size());
    k += key.size();
    buf[k++] = '"';
    buf[k++] = ':';
    out_.append(buf, k);
  } else {
    Separate();
    AppendJsonString(out_, key);
    out_.push_back(':');
  }
  comma_ = false;
}

void JsonWriter::String(std::string_view s) {
  Separate();
  AppendJsonString(out_, s);
  comma_ = true;
}

void JsonWriter::Int(int64_t v) {
  char buf[24];
  char* first = buf;
  if (comma_) *first++ = ',';
  auto [end, ec] = std::to_chars(first, buf + sizeof buf, v);
  out_.append(buf, end);
  comma_ = true;
}

void JsonWriter::Bool(bool b) {
  Separate();
  out_.append(b ? "true" : "false");
  comma_ = true;
}

void JsonWriter::Value(const nlohmann::json& j) {
  Separate();
  DumpInto(out_, j);
  comma_ = true;
}

void JsonWriter::Field(std::string_view key, const std::vector<std::string>& v) {
  Key(key);
  BeginArray();
  for (const auto& s : v) String(s);
  EndArray();
}

void JsonWriter::Field(std::string_view key, const std::vector<int64_t>& v) {
  Key(key);
  BeginArray();
  for (int64_t i : v) Int(i);
  EndArray();
}

void JsonScalar::WriteTo(JsonWriter& w) const {
  switch (kind_) {
    case Kind::kString:
      w.String(s_);
      break;
    case Kind::kInt:
      w.Int(i_);
      break;
    case Kind::kBool:
      w.Bool(b_);
      break;
  }
}

std::string SortedObject(JsonMember* members, size_t n) {
  // Insertion sort: a handful of members, stable (so the last of equal keys stays last), and
  // no allocation.
  for (size_t i = 1; i < n; ++i) {
    JsonMember m = members[i];
    size_t j = i;
    for (; j > 0 && m.key < members[j - 1].key; --j) members[j] = members[j - 1];
    members[j] = m;
  }
  std::string out;
  out.reserve(64);
  JsonWriter w(out);
  w.BeginObject();
  for (size_t i = 0; i < n; ++i) {
    if (i + 1 < n && members[i + 1].key == members[i].key) continue;  // a later one wins
    w.Key(members[i].key);
    members[i].value.WriteTo(w);
  }
  w.EndObject();
  return out;
}

}  // namespace shequ
