#pragma once

// Helpers for a module's records (daemon/store/records.h): writes for WriteBatch::records, keys
// that sort as numbers do, and strict reading of a stored body.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/engine/model.h"
#include "daemon/store/records.h"

namespace shequ::modules {

store::RecordWrite PutRecord(std::string table, std::string key, std::string body,
                             std::vector<std::string> columns = {});
store::RecordWrite AppendRecord(std::string table, std::string key, std::string body,
                                std::vector<std::string> columns = {});
store::RecordWrite DeleteRecord(std::string table, std::string key);

// `n` as 12 digits ("000000000042"), so keys sort as the numbers do.
std::string NumberKey(int64_t n);

// A stored body read strictly: DATA_LOSS naming the table, the key and what is wrong when it is
// not a JSON object or holds a field outside `fields` (written by newer code, or damaged: a
// field silently dropped would be lost at the next write).
absl::StatusOr<engine::json> ReadBody(std::string_view table, const store::Record& record,
                                      std::span<const std::string_view> fields);

}  // namespace shequ::modules
