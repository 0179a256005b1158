#include "daemon/core/csv.h"

#include <string>

#include "absl/status/status.h"

namespace shequ::csv {
namespace {

absl::Status Error(int record, int line, int column, std::string_view what) {
  return absl::InvalidArgumentError("csv: record " + std::to_string(record) + " (line " +
                                    std::to_string(line) + "), column " + std::to_string(column) +
                                    ": " + std::string(what));
}

}  // namespace

bool IsValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    int len;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;  // continuation byte first, or 0xC0/0xC1/0xF5+ (never valid)
    }
    if (i + len > n) return false;
    for (int k = 1; k < len; ++k) {
      const unsigned char cc = p[i + k];
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)) return false;  // overlong
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

Reader::Reader(std::string_view text, char delimiter) : text_(text), delimiter_(delimiter) {
  if (text_.substr(0, kUtf8Bom.size()) == kUtf8Bom) pos_ = kUtf8Bom.size();
}

absl::StatusOr<bool> Reader::Next(std::vector<std::string>* fields) {
  fields->clear();
  if (pos_ >= text_.size()) return false;
  ++record_;
  record_line_ = line_;
  std::string field;
  const size_t n = text_.size();
  while (true) {
    const int column = static_cast<int>(fields->size()) + 1;
    field.clear();
    if (pos_ < n && text_[pos_] == '"') {
      const int start_line = line_;
      ++pos_;
      while (true) {
        if (pos_ >= n) return Error(record_, start_line, column, "unterminated quoted field");
        const size_t q = text_.find('"', pos_);
        if (q == std::string_view::npos) {
          return Error(record_, start_line, column, "unterminated quoted field");
        }
        const std::string_view chunk = text_.substr(pos_, q - pos_);
        for (char c : chunk) {
          if (c == '\n') ++line_;
        }
        field.append(chunk);
        pos_ = q + 1;
        if (pos_ < n && text_[pos_] == '"') {  // a doubled quote is one quote
          field.push_back('"');
          ++pos_;
          continue;
        }
        break;
      }
      if (pos_ < n && text_[pos_] != delimiter_ && text_[pos_] != '\n' &&
          !(text_[pos_] == '\r' && pos_ + 1 < n && text_[pos_ + 1] == '\n') &&
          !(text_[pos_] == '\r' && pos_ + 1 == n)) {
        return Error(record_, line_, column, "text after a closing quote");
      }
    } else {
      size_t end = pos_;
      while (end < n && text_[end] != delimiter_ && text_[end] != '\n') {
        if (text_[end] == '"') {
          return Error(record_, line_, column, "quote inside an unquoted field");
        }
        ++end;
      }
      std::string_view chunk = text_.substr(pos_, end - pos_);
      // A CR before LF (or at the very end) belongs to the line end, not the field.
      if (!chunk.empty() && chunk.back() == '\r' && (end == n || text_[end] == '\n')) {
        chunk.remove_suffix(1);
      }
      if (chunk.find('\r') != std::string_view::npos) {
        return Error(record_, line_, column, "bare carriage return in an unquoted field");
      }
      field.assign(chunk);
      pos_ = end;
    }
    if (!IsValidUtf8(field)) return Error(record_, line_, column, "invalid UTF-8");
    fields->push_back(std::move(field));
    if (pos_ >= n) return true;
    const char c = text_[pos_];
    if (c == delimiter_) {
      ++pos_;
      continue;
    }
    if (c == '\r') ++pos_;
    if (pos_ < n && text_[pos_] == '\n') {
      ++pos_;
      ++line_;
    }
    return true;
  }
}

absl::StatusOr<std::vector<std::vector<std::string>>> ReadAll(std::string_view text,
                                                              char delimiter) {
  Reader reader(text, delimiter);
  std::vector<std::vector<std::string>> out;
  std::vector<std::string> fields;
  while (true) {
    absl::StatusOr<bool> more = reader.Next(&fields);
    if (!more.ok()) return more.status();
    if (!*more) break;
    out.push_back(fields);
  }
  return out;
}

void AppendField(std::string* out, std::string_view field, char delimiter) {
  const bool quote =
      field.find_first_of(std::string{delimiter, '"', '\r', '\n'}) != std::string_view::npos;
  if (!quote) {
    out->append(field);
    return;
  }
  out->push_back('"');
  for (char c : field) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

void AppendRecord(std::string* out, const std::vector<std::string>& fields, char delimiter) {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out->push_back(delimiter);
    AppendField(out, fields[i], delimiter);
  }
  out->append("\r\n");
}

}  // namespace shequ::csv
