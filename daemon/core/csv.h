#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace shequ::csv {

// RFC 4180 reader over a text buffer, streaming record by record (the buffer must outlive the
// reader). Accepts quoted fields with doubled quotes and embedded newlines, CRLF or LF line
// ends, and a final record with or without a line end. A UTF-8 byte-order mark at the start is
// skipped. Refused with INVALID_ARGUMENT naming the record, line and column: invalid UTF-8, an
// unterminated quoted field, text after a closing quote, a quote inside an unquoted field.
class Reader {
 public:
  explicit Reader(std::string_view text, char delimiter = ',');

  // Reads the next record into `fields` (replacing its contents). Returns false at the end of
  // the text. An empty line is a record with one empty field, as RFC 4180 has it.
  absl::StatusOr<bool> Next(std::vector<std::string>* fields);

  // 1-based number of the record last returned by Next (0 before the first).
  int record() const { return record_; }
  // 1-based line of the text on which the record last returned by Next starts.
  int line() const { return record_line_; }

 private:
  std::string_view text_;
  size_t pos_ = 0;
  char delimiter_;
  int record_ = 0;
  int line_ = 1;  // line at pos_
  int record_line_ = 0;
};

// Reads every record; the first error wins.
absl::StatusOr<std::vector<std::vector<std::string>>> ReadAll(std::string_view text,
                                                              char delimiter = ',');

// True when `s` is well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
bool IsValidUtf8(std::string_view s);

// Appends `field`, quoted if it holds the delimiter, a quote, CR or LF (quotes doubled).
void AppendField(std::string* out, std::string_view field, char delimiter = ',');
// Appends one record and a CRLF line end (RFC 4180; what spreadsheet programs expect).
void AppendRecord(std::string* out, const std::vector<std::string>& fields, char delimiter = ',');

// The UTF-8 byte-order mark. Writers of files meant for spreadsheet programs put it first so
// that Chinese text is not read as a legacy code page; Reader skips it.
inline constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

}  // namespace shequ::csv
