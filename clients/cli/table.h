#pragma once

// Output helpers of shequctl: display width of UTF-8 text (CJK characters take two terminal
// columns), aligned tables, times in Beijing time.

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace shequ::cli {

// Terminal columns `text` (UTF-8) takes: 2 for East Asian wide and fullwidth characters
// (汉字, fullwidth punctuation, Hangul), 0 for combining marks and zero-width characters, 1 for
// the rest. A malformed byte counts as one column.
int DisplayWidth(std::string_view text);

// `text` followed by spaces up to `width` display columns (nothing added if already wider).
std::string PadRight(std::string_view text, int width);
std::string PadLeft(std::string_view text, int width);

// Rows of cells printed in columns aligned by display width, two spaces apart; the last column
// is not padded. Numeric columns can be right-aligned.
class Table {
 public:
  explicit Table(std::vector<std::string> header = {});

  void Add(std::vector<std::string> row);
  void AlignRight(size_t column);
  bool empty() const { return rows_.empty(); }
  size_t size() const { return rows_.size(); }

  // The table as text, one line per row (the header first, when there is one).
  std::string Render() const;
  void Print(std::ostream& out) const { out << Render(); }

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
  std::vector<bool> right_;
};

// Milliseconds since the epoch as "2026-03-02 09:00:00" in Beijing time (UTC+8, which has no
// daylight saving); "" for 0.
std::string FormatTime(int64_t ms);

}  // namespace shequ::cli
