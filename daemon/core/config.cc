#include "daemon/core/config.h"

#include <filesystem>
#include <set>

#include "absl/strings/str_cat.h"
#include "yaml-cpp/yaml.h"

namespace shequ {
namespace {

std::string Resolve(const std::filesystem::path& base, const std::string& p) {
  std::filesystem::path path(p);
  return path.is_absolute() ? p : (base / path).lexically_normal().string();
}

absl::Status Unknown(const YAML::Node& map, const std::set<std::string>& known,
                     const std::string& where) {
  for (const auto& kv : map) {
    std::string key = kv.first.as<std::string>();
    if (!known.count(key)) {
      return absl::InvalidArgumentError(absl::StrCat(where, key, ": unknown setting"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Config> LoadConfig(const std::string& path) {
  Config c;
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", e.what()));
  }
  const auto base = std::filesystem::absolute(path).parent_path();
  try {
    if (!root.IsMap()) return absl::InvalidArgumentError(absl::StrCat(path, ": expected a map"));
    if (auto s = Unknown(root, {"listen", "http", "data_dir", "calendar_dir", "workflows_dir",
                                "demo", "log_level", "policy_dir", "store", "engine",
                                "workforce", "personal_data", "plugins_dir", "plugin_host"},
                         path + ": ");
        !s.ok()) {
      return s;
    }
    if (root["listen"]) c.listen = root["listen"].as<std::string>();
    if (root["http"]) c.http = root["http"].as<std::string>();
    if (root["log_level"]) c.log_level = root["log_level"].as<std::string>();
    c.data_dir = Resolve(base, root["data_dir"] ? root["data_dir"].as<std::string>() : c.data_dir);
    c.calendar_dir =
        Resolve(base, root["calendar_dir"] ? root["calendar_dir"].as<std::string>() : c.calendar_dir);
    c.workflows_dir = Resolve(
        base, root["workflows_dir"] ? root["workflows_dir"].as<std::string>() : c.workflows_dir);
    if (root["demo"]) c.demo = Resolve(base, root["demo"].as<std::string>());
    c.policy_dir =
        Resolve(base, root["policy_dir"] ? root["policy_dir"].as<std::string>() : c.policy_dir);
    if (root["plugins_dir"]) c.plugins_dir = Resolve(base, root["plugins_dir"].as<std::string>());
    if (root["plugin_host"]) c.plugin_host = Resolve(base, root["plugin_host"].as<std::string>());
    if (const YAML::Node& w = root["workforce"]) {
      if (auto st = Unknown(w, {"personal_data_key", "personal_data_roles", "max_import_mb"},
                            path + ": workforce.");
          !st.ok()) {
        return st;
      }
      if (w["personal_data_key"]) {
        c.personal_data_key = Resolve(base, w["personal_data_key"].as<std::string>());
      }
      if (w["personal_data_roles"]) {
        c.personal_data_roles = w["personal_data_roles"].as<std::vector<std::string>>();
      }
      if (w["max_import_mb"]) c.max_import_bytes = w["max_import_mb"].as<int64_t>() << 20;
    }
    if (const YAML::Node& p = root["personal_data"]) {
      if (auto st = Unknown(p, {"reseal_batch"}, path + ": personal_data."); !st.ok()) return st;
      if (p["reseal_batch"]) c.personal_data_reseal_batch = p["reseal_batch"].as<int>();
    }
    if (const YAML::Node& s = root["store"]) {
      if (auto st = Unknown(s, {"backend", "synchronous", "readers", "max_size_mb"},
                            path + ": store.");
          !st.ok()) {
        return st;
      }
      if (s["backend"]) c.store_backend = s["backend"].as<std::string>();
      if (s["synchronous"]) c.synchronous = s["synchronous"].as<std::string>();
      if (s["readers"]) c.store_readers = s["readers"].as<int>();
      if (s["max_size_mb"]) c.store_max_size_bytes = s["max_size_mb"].as<int64_t>() << 20;
    }
    if (const YAML::Node& e = root["engine"]) {
      if (auto st =
              Unknown(e, {"max_steps", "max_call_depth", "max_spawned_instances",
                          "max_variables_kb", "cache_objects", "request_retention_days"},
                      path + ": engine.");
          !st.ok()) {
        return st;
      }
      if (e["max_steps"]) c.max_steps = e["max_steps"].as<int>();
      if (e["max_call_depth"]) c.max_call_depth = e["max_call_depth"].as<int>();
      if (e["max_spawned_instances"]) {
        c.max_spawned_instances = e["max_spawned_instances"].as<int64_t>();
      }
      if (e["max_variables_kb"]) c.max_variables_bytes = e["max_variables_kb"].as<int64_t>() << 10;
      if (e["cache_objects"]) c.cache_objects = e["cache_objects"].as<int64_t>();
      if (e["request_retention_days"]) {
        c.request_retention_days = e["request_retention_days"].as<int>();
      }
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", e.what()));
  }
  if (c.store_backend != "sqlite") {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": store.backend: '", c.store_backend, "' is not available (sqlite)"));
  }
  if (c.max_call_depth < 1) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": engine.max_call_depth: must be >= 1"));
  }
  if (c.max_spawned_instances < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": engine.max_spawned_instances: must be >= 1"));
  }
  if (c.cache_objects < 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": engine.cache_objects: must be >= 0"));
  }
  if (c.request_retention_days < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": engine.request_retention_days: must be >= 0"));
  }
  if (c.personal_data_reseal_batch < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": personal_data.reseal_batch: must be >= 1"));
  }
  if (c.synchronous != "FULL" && c.synchronous != "NORMAL") {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": store.synchronous: expected FULL or NORMAL"));
  }
  return c;
}

}  // namespace shequ
