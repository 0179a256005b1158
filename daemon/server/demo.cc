#include "daemon/server/demo.h"

#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "daemon/core/csv.h"
#include "daemon/core/logging.h"
#include "daemon/core/status.h"
#include "daemon/core/yaml_json.h"
#include "daemon/domain/workforce/roster.h"
#include "yaml-cpp/yaml.h"

namespace shequ::server {
namespace {

using engine::json;

// The date the demo's initial quotas take effect, before any roster entry needs them.
constexpr char kInitialQuotaDate[] = "2024-01-01";

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

absl::StatusOr<json> Await(const std::function<void(engine::Reply)>& call) {
  std::promise<absl::StatusOr<json>> done;
  call([&done](absl::StatusOr<json> r) { done.set_value(std::move(r)); });
  return done.get_future().get();
}

// One CSV file as rows of named columns (Chinese headers of the demo files).
absl::StatusOr<std::vector<std::map<std::string, std::string>>> ReadTable(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  auto records = csv::ReadAll(text);
  if (!records.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", records.status().message()));
  std::vector<std::map<std::string, std::string>> rows;
  for (size_t r = 1; r < records->size(); ++r) {
    const auto& rec = (*records)[r];
    if (rec.size() == 1 && rec[0].empty()) continue;
    std::map<std::string, std::string> row;
    for (size_t c = 0; c < rec.size() && c < (*records)[0].size(); ++c) row[(*records)[0][c]] = rec[c];
    rows.push_back(std::move(row));
  }
  return rows;
}

int64_t Number(const std::string& text) {
  int64_t n = 0;
  return absl::SimpleAtoi(text, &n) ? n : 0;
}

}  // namespace

absl::Status LoadDemoDistrict(DurableRegistry& registry, const std::string& dir) {
  auto log = Logger("daemon");
  const engine::Caller demo{"demo"};
  const std::string units_csv = dir + "/units.csv";
  ASSIGN_OR_RETURN(auto units, ReadTable(units_csv));

  // Units and their initial quotas in one command: parents come before children in the file.
  auto made = Await([&](engine::Reply reply) {
    registry.Mutate("Demo.Units", demo, "demo/district/units",
                    [&units, &units_csv](wf::Registry& reg, const std::string& today)
                        -> absl::StatusOr<wf::Change> {
      wf::Change all;
      auto merge = [&all](wf::Change c) {
        for (auto& u : c.units) all.units.push_back(std::move(u));
        for (auto& r : c.revisions) all.revisions.push_back(std::move(r));
        for (auto& a : c.audit) all.audit.push_back(std::move(a));
      };
      int line = 1;
      for (const auto& row : units) {
        ++line;
        auto where = [&](const absl::Status& s) {
          return absl::Status(s.code(), absl::StrCat(units_csv, " line ", line, ": ", s.message()));
        };
        wf::Unit u;
        u.id = row.at("编码");
        u.name = row.at("名称");
        u.parent_id = row.at("上级");
        auto kind = wf::ParseEnum<wf::UnitKind>(row.at("类型"));
        if (!kind) return where(absl::InvalidArgumentError("类型: unknown unit kind"));
        u.kind = *kind;
        if (!row.at("社区类型").empty()) {
          auto type = wf::ParseEnum<wf::CommunityType>(row.at("社区类型"));
          if (!type) return where(absl::InvalidArgumentError("社区类型: unknown community type"));
          u.community_type = *type;
        }
        u.households = Number(row.at("户数"));
        u.residents = Number(row.at("人口"));
        double area = 0;
        if (absl::SimpleAtod(row.at("面积"), &area)) u.area_km2 = area;
        u.unit_class = static_cast<int>(Number(row.at("类别")));
        auto created = reg.CreateUnit(u, today);
        if (!created.ok()) return where(created.status());
        merge(*std::move(created));
        if (!row.at("核定员额").empty()) {
          auto revised = reg.ReviseQuota(u.id, static_cast<int>(Number(row.at("核定员额"))),
                                         kInitialQuotaDate, "初始核定 / initial approval",
                                         "区委编委", today);
          if (!revised.ok()) return where(revised.status());
          merge(*std::move(revised));
        }
      }
      return all;
    }, std::move(reply));
  });
  RETURN_IF_ERROR(made.status());

  const std::string roster_csv = dir + "/roster.csv";
  ASSIGN_OR_RETURN(std::string roster_text, ReadFile(roster_csv));
  auto rows = registry.Read(
      [&](const wf::Registry& reg) { return wf::ParseRoster(roster_text, reg.grade_policy()); });
  if (!rows.ok()) return absl::Status(rows.status().code(), absl::StrCat(roster_csv, ": ", rows.status().message()));
  const size_t workers = rows->size();
  auto imported = Await([&](engine::Reply reply) {
    registry.Mutate("Workforce.ImportRoster", demo, "demo/district/roster",
                    [&rows](wf::Registry& reg, const std::string& today) {
                      return reg.ImportRoster(std::move(*rows), today);
                    },
                    std::move(reply));
  });
  if (!imported.ok()) return absl::Status(imported.status().code(), absl::StrCat(roster_csv, ": ", imported.status().message()));

  const std::string revisions_csv = dir + "/revisions.csv";
  ASSIGN_OR_RETURN(auto revisions, ReadTable(revisions_csv));
  for (size_t i = 0; i < revisions.size(); ++i) {
    const auto& row = revisions[i];
    auto revised = Await([&](engine::Reply reply) {
      registry.Mutate("Workforce.ReviseQuota", demo, absl::StrCat("demo/district/revision/", i + 1),
                      [&row](wf::Registry& reg, const std::string& today) {
                        return reg.ReviseQuota(row.at("单位"),
                                               static_cast<int>(Number(row.at("核定员额"))),
                                               row.at("生效日期"), row.at("原因"),
                                               row.at("批准人"), today);
                      },
                      std::move(reply));
    });
    if (!revised.ok()) {
      return absl::Status(revised.status().code(), absl::StrCat(revisions_csv, " line ", i + 2, ": ",
                                                             revised.status().message()));
    }
  }
  log->info("demo district: {} units, {} workers, {} later quota revisions from {}", units.size(),
            workers, revisions.size(), dir);
  return absl::OkStatus();
}

absl::Status StartDemoInstances(engine::Engine& engine, const std::string& file) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(file);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(file, ": ", e.what()));
  }
  int started = 0;
  for (const auto& item : root["instances"]) {
    try {
      engine::StartArgs args{item["definition"].as<std::string>(), 0,
                             item["business_key"].as<std::string>(""),
                             item["unit"].as<std::string>(""), json::object()};
      if (item["variables"]) args.variables = YamlToJson(item["variables"]);
      auto result = Await([&](engine::Reply reply) {
        engine.Start({item["user"].as<std::string>("demo")},
                     {std::move(args), item["request_id"].as<std::string>()}, std::move(reply));
      });
      if (!result.ok()) {
        return absl::Status(result.status().code(),
                            absl::StrCat(file, ": ", result.status().message()));
      }
      ++started;
    } catch (const std::exception& e) {
      return absl::InvalidArgumentError(
          absl::StrCat(file, ": instance ", started + 1, ": ", e.what()));
    }
  }
  Logger("daemon")->info("demo: {} instances present from {}", started, file);
  return absl::OkStatus();
}

absl::Status StartDemoCampaigns(DurableRecruitment& recruitment, const std::string& file) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(file);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(file, ": ", e.what()));
  }
  int created = 0;
  for (const auto& item : root["campaigns"]) {
    try {
      engine::Caller caller{item["user"].as<std::string>("demo"), {"street-office"},
                            item["unit"].as<std::string>("")};
      auto result = Await([&](engine::Reply reply) {
        recruitment.Create(caller, YamlToJson(item["campaign"]),
                           item["request_id"].as<std::string>(), std::move(reply));
      });
      if (!result.ok()) {
        return absl::Status(result.status().code(),
                            absl::StrCat(file, ": campaign ", created + 1, ": ",
                                         result.status().message()));
      }
      ++created;
    } catch (const std::exception& e) {
      return absl::InvalidArgumentError(
          absl::StrCat(file, ": campaign ", created + 1, ": ", e.what()));
    }
  }
  Logger("daemon")->info("demo: {} recruitment campaigns present from {}", created, file);
  return absl::OkStatus();
}

}  // namespace shequ::server
