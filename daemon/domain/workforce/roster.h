#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/domain/workforce/model.h"
#include "daemon/domain/workforce/policy.h"
#include "daemon/domain/workforce/report.h"

// Roster CSV (UTF-8, RFC 4180 via daemon/core/csv.h) in and out.
//
// Columns, by Chinese or English header in any order (* = required):
//   姓名 name*, 身份证号 id_number*, 手机号 phone, 单位 unit* (unit id or unique name),
//   岗位 post* (post id or Chinese name), 等级 grade*, 用工性质 employment*, 状态 status
//   (default on_post), 学历 education*, 证书 certificates (separated by ; ； or 、),
//   入职日期 hired_on*, 社区工作起始 community_since (default hired_on), 后备干部 reserve_cadre
//   (是/否/true/false, default 否), 基本工资 base_pay and 绩效工资 performance_pay (whole yuan
//   per month, both or neither; neither: the grade table's), 工号 number, 编号 id (ignored on
//   import: the registry assigns ids; accepted so an export reads back).
// Enum values take Chinese or English spellings (model.h). Dates: YYYY-MM-DD, also YYYY/M/D
// and YYYY.M.D. Blank lines are skipped. Unknown or repeated headers are refused.
namespace shequ::domain::workforce {

// Parses a roster. Errors are INVALID_ARGUMENT naming the data row (1-based, header excluded),
// the file line and the column header as written: "row 3 (line 4), column 等级: …".
// Rule checks (grade range, ID checksum, quota, units) are Registry::ImportRoster's.
absl::StatusOr<std::vector<RosterRow>> ParseRoster(std::string_view csv_text,
                                                   const GradePolicy& grades);

// "等级 (grade)" for a registry field path such as "worker.grade"; "" when not a roster column.
std::string_view RosterColumnForField(std::string_view field);

// Writers. Chinese headers and values, CRLF line ends, a UTF-8 byte-order mark first (so that
// spreadsheet programs read Chinese correctly; ParseRoster skips it).
// The roster export reads back through ParseRoster unless masked. `grades` (optional) gives
// Chinese post names; without it post ids are written.
std::string ExportRoster(const std::vector<Worker>& workers, bool mask_personal,
                         const GradePolicy* grades = nullptr);
// One row per unit in report order with its subtree figures (a leaf's own figures).
std::string OccupancyCsv(const OccupancyReport& report);
std::string PayParityCsv(const PayParityReport& report, const GradePolicy* grades = nullptr);

}  // namespace shequ::domain::workforce
