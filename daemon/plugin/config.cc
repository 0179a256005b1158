#include "daemon/plugin/config.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "daemon/core/duration.h"
#include "daemon/core/status.h"
#include "yaml-cpp/yaml.h"

namespace shequ::plugin {
namespace {

absl::Status Unknown(const YAML::Node& map, const std::set<std::string>& known,
                     const std::string& where) {
  for (const auto& kv : map) {
    const std::string key = kv.first.as<std::string>();
    if (!known.count(key)) {
      return absl::InvalidArgumentError(absl::StrCat(where, key, ": unknown setting"));
    }
  }
  return absl::OkStatus();
}

// A fixed span (ISO 8601, "PT30S"); working days make no sense for a deadline.
absl::StatusOr<int64_t> Millis(const YAML::Node& node, const std::string& where) {
  auto d = ParseDuration(node.as<std::string>());
  if (!d.ok()) return absl::InvalidArgumentError(absl::StrCat(where, ": ", d.status().message()));
  if (d->working_days != 0 || d->ms <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": expected a positive ISO 8601 duration such as PT30S"));
  }
  return d->ms;
}

}  // namespace

std::string PluginConfig::Isolation() const {
  if (!address.empty()) return "remote";
  return inprocess ? "inprocess" : "isolated";
}

absl::StatusOr<PluginConfig> ParsePluginConfig(const std::string& text, const std::string& file) {
  PluginConfig c;
  c.file = file;
  const std::string where = file + ": ";
  try {
    YAML::Node root = YAML::Load(text);
    if (!root.IsMap()) return absl::InvalidArgumentError(where + "expected a map");
    RETURN_IF_ERROR(Unknown(root, {"name", "path", "address", "inprocess", "limits"}, where));
    if (!root["name"]) return absl::InvalidArgumentError(where + "name: required");
    c.name = root["name"].as<std::string>();
    static const std::regex kName("[a-z][a-z0-9_-]{0,62}");
    if (!std::regex_match(c.name, kName)) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, "name: '", c.name, "' must be lower-case letters, digits, _ or -, at most 63"));
    }
    if (root["path"]) c.path = root["path"].as<std::string>();
    if (root["address"]) c.address = root["address"].as<std::string>();
    if (c.path.empty() == c.address.empty()) {
      return absl::InvalidArgumentError(
          where + "path (a native library) or address (a remote plugin): exactly one is needed");
    }
    if (root["inprocess"]) c.inprocess = root["inprocess"].as<bool>();
    if (c.inprocess && !c.address.empty()) {
      return absl::InvalidArgumentError(where + "inprocess: only for a native library (path)");
    }
    if (!c.path.empty()) {
      std::filesystem::path p(c.path);
      if (p.is_relative()) p = std::filesystem::absolute(file).parent_path() / p;
      c.path = p.lexically_normal().string();
    }
    if (const YAML::Node& l = root["limits"]) {
      RETURN_IF_ERROR(Unknown(l,
                              {"job_deadline", "max_concurrent_jobs", "restart_backoff",
                               "max_restart_backoff", "health_interval"},
                              where + "limits."));
      if (l["job_deadline"]) {
        ASSIGN_OR_RETURN(c.limits.job_deadline_ms,
                         Millis(l["job_deadline"], where + "limits.job_deadline"));
      }
      if (l["restart_backoff"]) {
        ASSIGN_OR_RETURN(c.limits.restart_backoff_ms,
                         Millis(l["restart_backoff"], where + "limits.restart_backoff"));
      }
      if (l["max_restart_backoff"]) {
        ASSIGN_OR_RETURN(c.limits.max_restart_backoff_ms,
                         Millis(l["max_restart_backoff"], where + "limits.max_restart_backoff"));
      }
      if (l["health_interval"]) {
        ASSIGN_OR_RETURN(c.limits.health_interval_ms,
                         Millis(l["health_interval"], where + "limits.health_interval"));
      }
      if (l["max_concurrent_jobs"]) {
        c.limits.max_concurrent_jobs = l["max_concurrent_jobs"].as<int>();
        if (c.limits.max_concurrent_jobs < 1 || c.limits.max_concurrent_jobs > 256) {
          return absl::InvalidArgumentError(where +
                                            "limits.max_concurrent_jobs: expected 1 to 256");
        }
      }
      c.limits.max_restart_backoff_ms =
          std::max(c.limits.max_restart_backoff_ms, c.limits.restart_backoff_ms);
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(where, e.what()));
  }
  return c;
}

std::vector<PluginConfig> LoadPluginsDir(const std::string& dir, std::vector<std::string>* errors) {
  std::vector<PluginConfig> out;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    errors->push_back(absl::StrCat("plugins_dir: ", dir, " is not a directory"));
    return out;
  }
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".yaml") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  std::set<std::string> names;
  for (const auto& f : files) {
    std::ifstream in(f);
    std::stringstream text;
    text << in.rdbuf();
    auto c = ParsePluginConfig(text.str(), f.string());
    if (!c.ok()) {
      errors->push_back(std::string(c.status().message()));
      continue;
    }
    if (!names.insert(c->name).second) {
      errors->push_back(absl::StrCat(f.string(), ": name: '", c->name,
                                     "' is already configured by another file"));
      continue;
    }
    out.push_back(*std::move(c));
  }
  return out;
}

}  // namespace shequ::plugin
