#include "daemon/modules/records.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "daemon/core/strings.h"

namespace shequ::modules {

store::RecordWrite PutRecord(std::string table, std::string key, std::string body,
                             std::vector<std::string> columns) {
  return {store::RecordWrite::Op::kPut, std::move(table), std::move(key), std::move(body),
          std::move(columns)};
}

store::RecordWrite AppendRecord(std::string table, std::string key, std::string body,
                                std::vector<std::string> columns) {
  return {store::RecordWrite::Op::kAppend, std::move(table), std::move(key), std::move(body),
          std::move(columns)};
}

store::RecordWrite DeleteRecord(std::string table, std::string key) {
  return {store::RecordWrite::Op::kDelete, std::move(table), std::move(key), "", {}};
}

std::string NumberKey(int64_t n) { return absl::StrCat(absl::Dec(n, absl::kZeroPad12)); }

absl::StatusOr<engine::json> ReadBody(std::string_view table, const store::Record& record,
                                      std::span<const std::string_view> fields) {
  engine::json body = engine::json::parse(record.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return absl::DataLossError(Cat(table, " ", record.key, ": body is not a JSON object"));
  }
  for (const auto& [name, value] : body.items()) {
    if (std::find(fields.begin(), fields.end(), std::string_view(name)) == fields.end()) {
      return absl::DataLossError(Cat(table, " ", record.key, ": unknown field '", name, "'"));
    }
  }
  return body;
}

}  // namespace shequ::modules
