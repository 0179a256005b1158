#include "clients/cli/table.h"

#include <algorithm>
#include <ctime>

namespace shequ::cli {
namespace {

// Decodes one UTF-8 sequence at text[*at]; a malformed byte decodes as U+FFFD and advances one.
char32_t NextCodePoint(std::string_view text, size_t* at) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char b = byte(*at);
  int len = 1;
  char32_t cp = b;
  if (b >= 0xF0 && b < 0xF8) {
    len = 4;
    cp = b & 0x07;
  } else if (b >= 0xE0) {
    len = b < 0xF0 ? 3 : 1;
    cp = b & 0x0F;
  } else if (b >= 0xC0) {
    len = 2;
    cp = b & 0x1F;
  } else if (b >= 0x80) {
    len = 1;
  }
  if (len == 1) {
    ++*at;
    return b < 0x80 ? cp : U'\uFFFD';
  }
  if (*at + len > text.size()) {
    ++*at;
    return U'\uFFFD';
  }
  for (int i = 1; i < len; ++i) {
    const unsigned char c = byte(*at + i);
    if ((c & 0xC0) != 0x80) {
      ++*at;
      return U'\uFFFD';
    }
    cp = (cp << 6) | (c & 0x3F);
  }
  *at += len;
  return cp;
}

int CodePointWidth(char32_t c) {
  if (c == 0 || c < 0x20 || (c >= 0x7F && c < 0xA0)) return 0;  // control characters
  if ((c >= 0x0300 && c <= 0x036F) ||                           // combining diacritics
      (c >= 0x200B && c <= 0x200F) ||                           // zero-width space, marks
      (c >= 0xFE00 && c <= 0xFE0F) ||                           // variation selectors
      c == 0xFEFF) {                                            // BOM / zero-width no-break
    return 0;
  }
  if ((c >= 0x1100 && c <= 0x115F) ||    // Hangul Jamo
      (c >= 0x2E80 && c <= 0x303E) ||    // CJK radicals, punctuation 、。「」
      (c >= 0x3041 && c <= 0x33FF) ||    // kana, CJK compatibility
      (c >= 0x3400 && c <= 0x4DBF) ||    // CJK extension A
      (c >= 0x4E00 && c <= 0x9FFF) ||    // CJK unified ideographs
      (c >= 0xA000 && c <= 0xA4CF) ||    // Yi
      (c >= 0xAC00 && c <= 0xD7A3) ||    // Hangul syllables
      (c >= 0xF900 && c <= 0xFAFF) ||    // CJK compatibility ideographs
      (c >= 0xFE30 && c <= 0xFE4F) ||    // CJK compatibility forms
      (c >= 0xFF00 && c <= 0xFF60) ||    // fullwidth forms （），
      (c >= 0xFFE0 && c <= 0xFFE6) ||    // fullwidth signs ￥
      (c >= 0x1F300 && c <= 0x1F64F) ||  // pictographs, emoticons
      (c >= 0x20000 && c <= 0x3FFFD)) {  // CJK extensions B–G
    return 2;
  }
  return 1;
}

}  // namespace

int DisplayWidth(std::string_view text) {
  int width = 0;
  for (size_t at = 0; at < text.size();) width += CodePointWidth(NextCodePoint(text, &at));
  return width;
}

std::string PadRight(std::string_view text, int width) {
  std::string out(text);
  out.append(static_cast<size_t>(std::max(0, width - DisplayWidth(text))), ' ');
  return out;
}

std::string PadLeft(std::string_view text, int width) {
  std::string out(static_cast<size_t>(std::max(0, width - DisplayWidth(text))), ' ');
  out.append(text);
  return out;
}

Table::Table(std::vector<std::string> header) : header_(std::move(header)) {}

void Table::Add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }

void Table::AlignRight(size_t column) {
  if (right_.size() <= column) right_.resize(column + 1, false);
  right_[column] = true;
}

std::string Table::Render() const {
  std::vector<int> widths;
  auto measure = [&](const std::vector<std::string>& row) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], DisplayWidth(row[i]));
  };
  if (!header_.empty()) measure(header_);
  for (const auto& row : rows_) measure(row);

  std::string out;
  auto render = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      const bool last = i + 1 == row.size();
      const bool right = i < right_.size() && right_[i];
      if (i > 0) line += "  ";
      if (right) {
        line += PadLeft(row[i], widths[i]);
      } else {
        line += last ? row[i] : PadRight(row[i], widths[i]);
      }
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line;
    out += '\n';
  };
  if (!header_.empty()) render(header_);
  for (const auto& row : rows_) render(row);
  return out;
}

std::string FormatTime(int64_t ms) {
  if (ms == 0) return "";
  const std::time_t beijing = static_cast<std::time_t>(ms / 1000) + 8 * 3600;
  std::tm tm{};
  gmtime_r(&beijing, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

}  // namespace shequ::cli
