#include "daemon/core/config.h"

#include <filesystem>
#include <set>

#include "absl/strings/str_cat.h"
#include "daemon/core/duration.h"
#include "daemon/core/status.h"
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

// A fixed span of time (ISO 8601, "P90D"): working days have no place in a token's lifetime.
absl::StatusOr<int64_t> FixedDuration(const std::string& text, const std::string& where) {
  auto d = ParseDuration(text);
  if (!d.ok()) return absl::InvalidArgumentError(absl::StrCat(where, d.status().message()));
  if (d->working_days != 0 || d->ms <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "'", text, "': expected a positive ISO 8601 duration such as P90D"));
  }
  return d->ms;
}

// `auth:` is a mode ("auth: headers") or a map of settings.
absl::Status ReadAuth(const YAML::Node& a, const std::filesystem::path& base,
                      const std::string& where, AuthConfig& out) {
  if (a.IsScalar()) {
    out.mode = a.as<std::string>();
    return absl::OkStatus();
  }
  if (!a.IsMap()) return absl::InvalidArgumentError(where + "expected a mode or a map");
  if (auto st = Unknown(a, {"mode", "token_ttl", "bootstrap_admin", "admin_token_file", "jwt",
                            "mtls"},
                        where);
      !st.ok()) {
    return st;
  }
  if (a["mode"]) out.mode = a["mode"].as<std::string>();
  if (a["token_ttl"]) {
    auto ttl = FixedDuration(a["token_ttl"].as<std::string>(), where + "token_ttl: ");
    if (!ttl.ok()) return ttl.status();
    out.token_ttl_ms = *ttl;
  }
  if (a["bootstrap_admin"]) out.bootstrap_admin = a["bootstrap_admin"].as<bool>();
  if (a["admin_token_file"]) {
    out.admin_token_file = Resolve(base, a["admin_token_file"].as<std::string>());
  }
  if (const YAML::Node& j = a["jwt"]) {
    if (auto st = Unknown(j, {"jwks_file", "issuer", "audience", "leeway_s", "claims", "roles"},
                          where + "jwt.");
        !st.ok()) {
      return st;
    }
    if (j["jwks_file"]) out.jwt.jwks_file = Resolve(base, j["jwks_file"].as<std::string>());
    if (j["issuer"]) out.jwt.issuer = j["issuer"].as<std::string>();
    if (const YAML::Node& aud = j["audience"]) {
      out.jwt.audiences = aud.IsSequence() ? aud.as<std::vector<std::string>>()
                                           : std::vector<std::string>{aud.as<std::string>()};
    }
    if (j["leeway_s"]) out.jwt.leeway_s = j["leeway_s"].as<int64_t>();
    if (const YAML::Node& c = j["claims"]) {
      if (auto st = Unknown(c, {"name", "roles", "unit"}, where + "jwt.claims."); !st.ok()) {
        return st;
      }
      if (c["name"]) out.jwt.name_claim = c["name"].as<std::string>();
      if (c["roles"]) out.jwt.roles_claim = c["roles"].as<std::string>();
      if (c["unit"]) out.jwt.unit_claim = c["unit"].as<std::string>();
    }
    if (const YAML::Node& r = j["roles"]) {
      for (const auto& kv : r) {
        const YAML::Node& v = kv.second;
        out.jwt.role_map[kv.first.as<std::string>()] =
            v.IsSequence() ? v.as<std::vector<std::string>>()
                           : std::vector<std::string>{v.as<std::string>()};
      }
    }
    if (!out.jwt.jwks_file.empty() && (out.jwt.issuer.empty() || out.jwt.audiences.empty())) {
      return absl::InvalidArgumentError(
          where + "jwt: with a jwks_file, name the issuer and the audience to accept");
    }
    if (out.jwt.leeway_s < 0 || out.jwt.leeway_s > 600) {
      return absl::InvalidArgumentError(where + "jwt.leeway_s: must be from 0 to 600");
    }
  }
  if (const YAML::Node& m = a["mtls"]) {
    if (auto st = Unknown(m, {"identity"}, where + "mtls."); !st.ok()) return st;
    if (m["identity"]) out.mtls.identity = m["identity"].as<std::string>();
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
                                "workforce", "personal_data", "plugins_dir", "plugin_host",
                                "auth", "tls", "audit", "limits"},
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
    if (const YAML::Node& a = root["auth"]) {
      RETURN_IF_ERROR(ReadAuth(a, base, path + ": auth.", c.auth));
    }
    if (const YAML::Node& t = root["tls"]) {
      if (auto st = Unknown(t, {"cert", "key", "client_ca", "http"}, path + ": tls."); !st.ok()) {
        return st;
      }
      if (t["cert"]) c.tls.cert = Resolve(base, t["cert"].as<std::string>());
      if (t["key"]) c.tls.key = Resolve(base, t["key"].as<std::string>());
      if (t["client_ca"]) c.tls.client_ca = Resolve(base, t["client_ca"].as<std::string>());
      if (t["http"]) c.tls.http = t["http"].as<bool>();
      if (c.tls.cert.empty() != c.tls.key.empty()) {
        return absl::InvalidArgumentError(absl::StrCat(path, ": tls: name both cert and key"));
      }
      if (!c.tls.client_ca.empty() && c.tls.cert.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ": tls.client_ca: needs tls.cert and tls.key"));
      }
    }
    if (const YAML::Node& a = root["audit"]) {
      if (auto st = Unknown(a, {"signing_key", "public_key", "witness", "checkpoint_every",
                                "checkpoint_minutes", "retention_days", "refusals_per_minute"},
                            path + ": audit.");
          !st.ok()) {
        return st;
      }
      if (a["signing_key"]) c.audit.signing_key = Resolve(base, a["signing_key"].as<std::string>());
      if (a["public_key"]) c.audit.public_key = Resolve(base, a["public_key"].as<std::string>());
      if (a["witness"]) c.audit.witness = Resolve(base, a["witness"].as<std::string>());
      if (a["checkpoint_every"]) c.audit.checkpoint_every = a["checkpoint_every"].as<int64_t>();
      if (a["checkpoint_minutes"]) c.audit.checkpoint_minutes = a["checkpoint_minutes"].as<int>();
      if (a["retention_days"]) c.audit.retention_days = a["retention_days"].as<int>();
      if (a["refusals_per_minute"]) {
        c.audit.refusals_per_minute = a["refusals_per_minute"].as<int>();
      }
      }
    if (const YAML::Node& l = root["limits"]) {
      if (auto st = Unknown(l,
                            {"max_message_mb", "max_string_bytes", "max_repeated",
                             "rate_per_second", "rate_burst", "jobs_rate_per_second",
                             "jobs_rate_burst", "max_streams_per_principal",
                             "stream_queue_messages", "stream_queue_mb"},
                            path + ": limits.");
          !st.ok()) {
        return st;
      }
      if (l["max_message_mb"]) c.max_message_bytes = l["max_message_mb"].as<int64_t>() << 20;
      if (l["max_string_bytes"]) c.max_string_bytes = l["max_string_bytes"].as<int64_t>();
      if (l["max_repeated"]) c.max_repeated = l["max_repeated"].as<int64_t>();
      if (l["rate_per_second"]) c.rate_per_second = l["rate_per_second"].as<double>();
      if (l["rate_burst"]) c.rate_burst = l["rate_burst"].as<double>();
      if (l["jobs_rate_per_second"]) {
        c.jobs_rate_per_second = l["jobs_rate_per_second"].as<double>();
      }
      if (l["jobs_rate_burst"]) c.jobs_rate_burst = l["jobs_rate_burst"].as<double>();
      if (l["max_streams_per_principal"]) {
        c.max_streams_per_principal = l["max_streams_per_principal"].as<int>();
      }
      if (l["stream_queue_messages"]) {
        c.stream_queue_messages = l["stream_queue_messages"].as<int64_t>();
      }
      if (l["stream_queue_mb"]) c.stream_queue_bytes = l["stream_queue_mb"].as<int64_t>() << 20;
    }
    if (const YAML::Node& p = root["personal_data"]) {
      if (auto st = Unknown(p,
                            {"reseal_batch", "worker_retention_years",
                             "applicant_retention_months"},
                            path + ": personal_data.");
          !st.ok()) {
        return st;
      }
      if (p["reseal_batch"]) c.personal_data_reseal_batch = p["reseal_batch"].as<int>();
      if (p["worker_retention_years"]) {
        c.personal_data_worker_retention_years = p["worker_retention_years"].as<int>();
      }
      if (p["applicant_retention_months"]) {
        c.personal_data_applicant_retention_months = p["applicant_retention_months"].as<int>();
      }
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
                          "max_variables_kb", "cache_objects", "cache_definitions",
                          "request_retention_days"},
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
      if (e["cache_definitions"]) c.cache_definitions = e["cache_definitions"].as<int64_t>();
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
  if (c.cache_definitions < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": engine.cache_definitions: must be >= 0"));
  }
  if (c.request_retention_days < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": engine.request_retention_days: must be >= 0"));
  }
  if (c.auth.mode != "tokens" && c.auth.mode != "headers") {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": auth.mode: '", c.auth.mode, "' is not tokens or headers"));
  }
  if (c.auth.mtls.identity != "cn" && c.auth.mtls.identity != "san") {
    return absl::InvalidArgumentError(absl::StrCat(path, ": auth.mtls.identity: expected cn or san"));
  }
  // Six months at least (issue 14): a shorter trail would not answer for the half year an
  // inspection looks back on.
  if (c.audit.retention_days < 183) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": audit.retention_days: ", c.audit.retention_days, " is below the minimum of 183"));
  }
  if (c.audit.checkpoint_every < 1 || c.audit.checkpoint_every > 20'000 ||
      c.audit.checkpoint_minutes < 1 || c.audit.refusals_per_minute < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": audit: checkpoint_every (1 to 20000), checkpoint_minutes and "
              "refusals_per_minute must be positive"));
  }
  if (c.max_message_bytes < (int64_t{1} << 20) || c.max_message_bytes > (int64_t{1} << 30)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": limits.max_message_mb: must be from 1 to 1024"));
  }
  if (c.max_string_bytes < 64 || c.max_repeated < 1 || c.stream_queue_messages < 1 ||
      c.stream_queue_bytes < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": limits: max_string_bytes >= 64, max_repeated, stream_queue_messages and "
              "stream_queue_mb >= 1"));
  }
  if (c.rate_per_second < 0 || c.rate_burst < 0 || c.jobs_rate_per_second < 0 ||
      c.jobs_rate_burst < 0 || c.max_streams_per_principal < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": limits: rates, bursts and stream caps must not be negative"));
  }
  if (c.personal_data_reseal_batch < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": personal_data.reseal_batch: must be >= 1"));
  }
  if (const int y = c.personal_data_worker_retention_years; y != 0 && (y < 2 || y > 100)) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": personal_data.worker_retention_years: ", y,
        " is not 0 (never) or 2 to 100 (terminated contracts are kept at least two years)"));
  }
  if (const int m = c.personal_data_applicant_retention_months; m < 0 || m > 1200) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": personal_data.applicant_retention_months: ", m,
                     " is not 0 (never) to 1200"));
  }
  if (c.synchronous != "FULL" && c.synchronous != "NORMAL") {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": store.synchronous: expected FULL or NORMAL"));
  }
  return c;
}

}  // namespace shequ
