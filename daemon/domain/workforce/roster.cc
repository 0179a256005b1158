#include "daemon/domain/workforce/roster.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <optional>

#include "daemon/core/csv.h"

namespace shequ::domain::workforce {
namespace {

enum class Col {
  kId,
  kName,
  kIdNumber,
  kPhone,
  kUnit,
  kPost,
  kGrade,
  kEmployment,
  kStatus,
  kEducation,
  kCertificates,
  kHiredOn,
  kCommunitySince,
  kReserveCadre,
  kBasePay,
  kPerformancePay,
  kNumber,
};
constexpr int kColCount = 17;

struct ColumnDef {
  Col col;
  std::string_view zh;
  std::string_view en;
  std::string_view field;  // registry field path
  std::string_view label;  // "等级 (grade)"
  bool required;
};

constexpr std::array<ColumnDef, kColCount> kColumns{{
    {Col::kId, "编号", "id", "worker.id", "编号 (id)", false},
    {Col::kName, "姓名", "name", "worker.name", "姓名 (name)", true},
    {Col::kIdNumber, "身份证号", "id_number", "worker.id_number", "身份证号 (id_number)", true},
    {Col::kPhone, "手机号", "phone", "worker.phone", "手机号 (phone)", false},
    {Col::kUnit, "单位", "unit", "worker.unit_id", "单位 (unit)", true},
    {Col::kPost, "岗位", "post", "worker.post", "岗位 (post)", true},
    {Col::kGrade, "等级", "grade", "worker.grade", "等级 (grade)", true},
    {Col::kEmployment, "用工性质", "employment", "worker.employment", "用工性质 (employment)",
     true},
    {Col::kStatus, "状态", "status", "worker.status", "状态 (status)", false},
    {Col::kEducation, "学历", "education", "worker.education", "学历 (education)", true},
    {Col::kCertificates, "证书", "certificates", "worker.certificates", "证书 (certificates)",
     false},
    {Col::kHiredOn, "入职日期", "hired_on", "worker.hired_on", "入职日期 (hired_on)", true},
    {Col::kCommunitySince, "社区工作起始", "community_since", "worker.community_since",
     "社区工作起始 (community_since)", false},
    {Col::kReserveCadre, "后备干部", "reserve_cadre", "worker.reserve_cadre",
     "后备干部 (reserve_cadre)", false},
    {Col::kBasePay, "基本工资", "base_pay", "worker.pay.base", "基本工资 (base_pay)", false},
    {Col::kPerformancePay, "绩效工资", "performance_pay", "worker.pay.performance",
     "绩效工资 (performance_pay)", false},
    {Col::kNumber, "工号", "number", "worker.number", "工号 (number)", false},
}};

std::string_view Trim(std::string_view s) {
  // ASCII blanks and the ideographic space U+3000, common in hand-typed Chinese sheets.
  while (true) {
    if (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
      s.remove_prefix(1);
    } else if (s.substr(0, 3) == "\xE3\x80\x80") {
      s.remove_prefix(3);
    } else {
      break;
    }
  }
  while (true) {
    if (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
      s.remove_suffix(1);
    } else if (s.size() >= 3 && s.substr(s.size() - 3) == "\xE3\x80\x80") {
      s.remove_suffix(3);
    } else {
      break;
    }
  }
  return s;
}

bool ParseInt(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  if (s.front() == '+') s.remove_prefix(1);
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

// YYYY-MM-DD, YYYY/M/D or YYYY.M.D -> YYYY-MM-DD.
std::optional<std::string> ParseDateText(std::string_view s) {
  if (IsValidDate(s)) return std::string(s);
  char sep = 0;
  for (char c : s) {
    if (c == '/' || c == '.' || c == '-') {
      sep = c;
      break;
    }
  }
  if (!sep) return std::nullopt;
  int64_t parts[3];
  for (int i = 0; i < 3; ++i) {
    const size_t end = i < 2 ? s.find(sep) : s.size();
    if (end == std::string_view::npos) return std::nullopt;
    if (!ParseInt(s.substr(0, end), &parts[i]) || parts[i] < 0) return std::nullopt;
    s.remove_prefix(i < 2 ? end + 1 : end);
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lld", static_cast<long long>(parts[0]),
                static_cast<long long>(parts[1]), static_cast<long long>(parts[2]));
  if (!IsValidDate(buf)) return std::nullopt;
  return std::string(buf);
}

std::vector<std::string> SplitCertificates(std::string_view s) {
  std::vector<std::string> out;
  std::string current;
  size_t i = 0;
  auto flush = [&] {
    const std::string_view t = Trim(current);
    if (!t.empty()) out.emplace_back(t);
    current.clear();
  };
  while (i < s.size()) {
    if (s[i] == ';' || s[i] == ',') {
      flush();
      ++i;
    } else if (s.substr(i, 3) == "\xEF\xBC\x9B" || s.substr(i, 3) == "\xE3\x80\x81" ||
               s.substr(i, 3) == "\xEF\xBC\x8C") {  // ； 、 ，
      flush();
      i += 3;
    } else {
      current.push_back(s[i++]);
    }
  }
  flush();
  return out;
}

std::string Cell(std::string_view v) { return std::string(v); }

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

}  // namespace

std::string_view RosterColumnForField(std::string_view field) {
  for (const ColumnDef& c : kColumns) {
    if (c.field == field) return c.label;
  }
  return "";
}

absl::StatusOr<std::vector<RosterRow>> ParseRoster(std::string_view csv_text,
                                                   const GradePolicy& grades) {
  csv::Reader reader(csv_text);
  std::vector<std::string> fields;
  auto header_or = reader.Next(&fields);
  if (!header_or.ok()) return header_or.status();
  if (!*header_or) return absl::InvalidArgumentError("roster: empty file, no header");

  // position in record -> column; and column -> header as written.
  std::vector<Col> layout;
  std::array<int, kColCount> index;
  index.fill(-1);
  std::vector<std::string> header_text;
  for (size_t i = 0; i < fields.size(); ++i) {
    const std::string_view h = Trim(fields[i]);
    const ColumnDef* def = nullptr;
    for (const ColumnDef& c : kColumns) {
      if (MatchesSpelling(h, c.en, c.zh, "")) def = &c;
    }
    if (!def) {
      std::string known;
      for (const ColumnDef& c : kColumns) {
        known += (known.empty() ? "" : ", ") + std::string(c.zh) + "/" + std::string(c.en);
      }
      return absl::InvalidArgumentError("roster: header column " + std::to_string(i + 1) + " '" +
                                        std::string(h) + "' is not a roster column (" + known +
                                        ")");
    }
    if (index[static_cast<int>(def->col)] >= 0) {
      return absl::InvalidArgumentError("roster: header column " + std::to_string(i + 1) + " '" +
                                        std::string(h) + "' repeats column " +
                                        std::to_string(index[static_cast<int>(def->col)] + 1));
    }
    index[static_cast<int>(def->col)] = static_cast<int>(i);
    layout.push_back(def->col);
    header_text.emplace_back(h);
  }
  for (const ColumnDef& c : kColumns) {
    if (c.required && index[static_cast<int>(c.col)] < 0) {
      return absl::InvalidArgumentError("roster: required column " + std::string(c.label) +
                                        " is missing");
    }
  }

  std::vector<RosterRow> rows;
  int data_row = 0;
  while (true) {
    auto more = reader.Next(&fields);
    if (!more.ok()) return more.status();
    if (!*more) break;
    bool blank = true;
    for (const std::string& f : fields) blank &= Trim(f).empty();
    if (blank) continue;
    ++data_row;
    RosterRow row;
    row.row = data_row;
    row.line = reader.line();
    const std::string where =
        "row " + std::to_string(row.row) + " (line " + std::to_string(row.line) + ")";
    if (fields.size() != layout.size()) {
      return absl::InvalidArgumentError(where + ": has " + std::to_string(fields.size()) +
                                        " fields, the header has " + std::to_string(layout.size()));
    }
    auto get = [&](Col c) -> std::string_view {
      const int i = index[static_cast<int>(c)];
      return i < 0 ? std::string_view() : Trim(fields[i]);
    };
    auto err = [&](Col c, const std::string& what) {
      return absl::InvalidArgumentError(where + ", column " +
                                        header_text[index[static_cast<int>(c)]] + ": " + what);
    };
    auto required = [&](Col c) -> absl::Status {
      if (get(c).empty()) return err(c, "required");
      return absl::OkStatus();
    };
    for (const ColumnDef& c : kColumns) {
      if (c.required) {
        if (absl::Status s = required(c.col); !s.ok()) return s;
      }
    }
    Worker& w = row.worker;
    w.personal.name = std::string(get(Col::kName));
    w.personal.id_number = std::string(get(Col::kIdNumber));
    w.personal.phone = std::string(get(Col::kPhone));
    row.unit_ref = std::string(get(Col::kUnit));

    const PostDef* post = grades.FindPost(get(Col::kPost));
    if (!post) {
      std::string known;
      for (const PostDef& p : grades.posts) {
        known += (known.empty() ? "" : ", ") + p.id + "/" + p.name;
      }
      return err(Col::kPost,
                 "'" + std::string(get(Col::kPost)) + "' is not a post (" + known + ")");
    }
    w.post = post->id;
    int64_t grade = 0;
    if (!ParseInt(get(Col::kGrade), &grade) || grade < 1 || grade > 1000) {
      return err(Col::kGrade, "'" + std::string(get(Col::kGrade)) + "' is not a grade number");
    }
    w.grade = static_cast<int>(grade);

    auto employment = ParseEnum<Employment>(get(Col::kEmployment));
    if (!employment) {
      return err(Col::kEmployment, "'" + std::string(get(Col::kEmployment)) + "' is not one of " +
                                       EnumChoices<Employment>());
    }
    w.employment = *employment;
    if (!get(Col::kStatus).empty()) {
      auto status = ParseEnum<WorkerStatus>(get(Col::kStatus));
      if (!status) {
        return err(Col::kStatus, "'" + std::string(get(Col::kStatus)) + "' is not one of " +
                                     EnumChoices<WorkerStatus>());
      }
      w.status = *status;
    }
    auto education = ParseEnum<Education>(get(Col::kEducation));
    if (!education) {
      return err(Col::kEducation, "'" + std::string(get(Col::kEducation)) + "' is not one of " +
                                      EnumChoices<Education>());
    }
    w.education = *education;
    w.certificates = SplitCertificates(get(Col::kCertificates));

    auto hired = ParseDateText(get(Col::kHiredOn));
    if (!hired) {
      return err(Col::kHiredOn, "'" + std::string(get(Col::kHiredOn)) + "' is not a date");
    }
    w.hired_on = *hired;
    if (!get(Col::kCommunitySince).empty()) {
      auto since = ParseDateText(get(Col::kCommunitySince));
      if (!since) {
        return err(Col::kCommunitySince,
                   "'" + std::string(get(Col::kCommunitySince)) + "' is not a date");
      }
      w.community_since = *since;
    }
    if (!get(Col::kReserveCadre).empty()) {
      const std::string_view r = get(Col::kReserveCadre);
      if (MatchesSpelling(r, "true", "是", "yes|y|1|Y")) {
        w.reserve_cadre = true;
      } else if (MatchesSpelling(r, "false", "否", "no|n|0|N")) {
        w.reserve_cadre = false;
      } else {
        return err(Col::kReserveCadre, "'" + std::string(r) + "' is not 是/否/true/false");
      }
    }
    const std::string_view base = get(Col::kBasePay);
    const std::string_view perf = get(Col::kPerformancePay);
    if (!base.empty() || !perf.empty()) {
      if (base.empty()) return err(Col::kPerformancePay, "given without 基本工资 (base_pay)");
      if (perf.empty()) return err(Col::kBasePay, "given without 绩效工资 (performance_pay)");
      Pay pay;
      if (!ParseInt(base, &pay.base) || pay.base < 0) {
        return err(Col::kBasePay, "'" + std::string(base) + "' is not whole yuan ≥ 0");
      }
      if (!ParseInt(perf, &pay.performance) || pay.performance < 0) {
        return err(Col::kPerformancePay, "'" + std::string(perf) + "' is not whole yuan ≥ 0");
      }
      w.pay = pay;
    }
    w.number = std::string(get(Col::kNumber));
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string ExportRoster(const std::vector<Worker>& workers, bool mask_personal,
                         const GradePolicy* grades) {
  std::string out(csv::kUtf8Bom);
  std::vector<std::string> header;
  for (const ColumnDef& c : kColumns) header.emplace_back(c.zh);
  csv::AppendRecord(&out, header);
  std::vector<std::string> cells;
  for (const Worker& w : workers) {
    cells.clear();
    const PostDef* post = grades ? grades->FindPost(w.post) : nullptr;
    std::string certs;
    for (const std::string& c : w.certificates) {
      certs += (certs.empty() ? "" : "、") + Cell(CertificateChineseName(c));
    }
    cells = {
        std::to_string(w.id),
        mask_personal ? MaskName(w.personal.name) : w.personal.name,
        mask_personal ? MaskIdNumber(w.personal.id_number) : w.personal.id_number,
        mask_personal ? MaskPhone(w.personal.phone) : w.personal.phone,
        w.unit_id,
        post ? post->name : w.post,
        std::to_string(w.grade),
        Cell(ChineseName(w.employment)),
        Cell(ChineseName(w.status)),
        Cell(ChineseName(w.education)),
        certs,
        w.hired_on,
        w.community_since,
        w.reserve_cadre ? "是" : "否",
        w.pay ? std::to_string(w.pay->base) : "",
        w.pay ? std::to_string(w.pay->performance) : "",
        w.number,
    };
    csv::AppendRecord(&out, cells);
  }
  return out;
}

std::string OccupancyCsv(const OccupancyReport& report) {
  std::string out(csv::kUtf8Bom);
  csv::AppendRecord(&out, {"单位编号", "单位名称", "类型", "层级", "核定员额", "工作站岗位", "在编",
                           "在岗", "借调街道", "借调区级", "离岗退养", "休假", "空编", "超编",
                           "在编不在岗", "编外", "劳务派遣", "招聘预留"});
  for (const OccupancyRow& r : report.rows) {
    const OccupancyFigures& f = r.subtree;
    csv::AppendRecord(
        &out,
        {r.unit_id, r.name, Cell(ChineseName(r.kind)), std::to_string(r.depth),
         std::to_string(f.approved), std::to_string(f.workstation_posts),
         std::to_string(f.occupied), std::to_string(f.on_post), std::to_string(f.seconded_street),
         std::to_string(f.seconded_district), std::to_string(f.retired_in_place),
         std::to_string(f.on_leave), std::to_string(f.vacant), std::to_string(f.over_quota),
         std::to_string(f.hollow), std::to_string(f.outside_quota), std::to_string(f.dispatch),
         std::to_string(f.reserved)});
  }
  return out;
}

std::string PayParityCsv(const PayParityReport& report, const GradePolicy* grades) {
  std::string out(csv::kUtf8Bom);
  csv::AppendRecord(&out, {"岗位", "等级", "街道编号", "街道名称", "人数", "平均月薪", "最低",
                           "最高", "标准", "偏离标准", "同工不同酬"});
  for (const PayParityGroup& g : report.groups) {
    const PostDef* post = grades ? grades->FindPost(g.post) : nullptr;
    for (const PayParityStreet& s : g.streets) {
      csv::AppendRecord(
          &out,
          {post ? post->name : g.post, std::to_string(g.grade), s.street_id, s.street_name,
           std::to_string(s.count), Num(s.average), std::to_string(s.min), std::to_string(s.max),
           std::to_string(g.table), s.off_table ? "是" : "否", g.different_pay ? "是" : "否"});
    }
  }
  return out;
}

}  // namespace shequ::domain::workforce
