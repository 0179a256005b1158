#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace shequ {

// How callers prove who they are (config `auth:`; docs/security.md "Authentication").
struct AuthConfig {
  // "tokens": API tokens, JWTs from single sign-on and mTLS certificates. "headers": those, and
  // also the x-shequ-user/-roles/-unit metadata of development mode (loopback only).
  std::string mode = "tokens";
  int64_t token_ttl_ms = int64_t{90} * 86'400'000;  // default expiry of a new API token
  bool bootstrap_admin = true;  // first start, no principals: an administrator and its token
  std::string admin_token_file;  // where its token goes; "" = data_dir/admin.token

  struct Jwt {
    std::string jwks_file;  // "" = JWTs are not accepted
    std::string issuer;
    std::vector<std::string> audiences;  // the token's aud must name one of them
    int64_t leeway_s = 60;               // clock skew allowed on exp and nbf
    std::string name_claim = "sub";
    std::string roles_claim = "roles";   // a string or an array of strings
    std::string unit_claim = "unit";
    // A claimed role (an SSO group) -> the daemon's roles it grants; a claimed role not listed
    // grants nothing.
    std::map<std::string, std::vector<std::string>> role_map;
  } jwt;

  struct Mtls {
    std::string identity = "cn";  // which part of a client certificate names its principal: cn|san
  } mtls;
};

// TLS on the gRPC and HTTP ports (config `tls:`). Off when `cert` is empty.
struct TlsConfig {
  std::string cert;       // PEM certificate chain
  std::string key;        // PEM private key
  std::string client_ca;  // PEM CA bundle: when set, clients must present a certificate it signed
};

// config/shequd.yaml. Relative paths in the file are resolved against the file's directory.
struct Config {
  std::string listen = "127.0.0.1:7070";  // gRPC
  std::string http = "127.0.0.1:7071";    // /healthz, /readyz, /metrics
  std::string data_dir = "var";
  std::string calendar_dir = "calendar";
  std::string workflows_dir = "workflows";  // every *.yaml is deployed at start-up
  std::string demo;  // demo data directory (district/, instances.yaml) loaded once; "" = none
  std::string log_level = "info";

  std::string store_backend = "sqlite";
  std::string synchronous = "FULL";
  int store_readers = 4;
  int64_t store_max_size_bytes = 0;  // a storage quota; 0 = none

  int max_steps = 1000;
  int max_call_depth = 16;                // call/foreach children nested below a root instance
  int64_t max_spawned_instances = 10'000;  // instances one root instance's tree may start
  int64_t max_variables_bytes = 1 << 20;
  int64_t cache_objects = 4096;  // committed instances, tasks and jobs kept in memory, each
  int request_retention_days = 7;  // request_id answers kept for retries; 0 = forever

  std::string policy_dir = "policy";  // quota.yaml, grades.yaml
  std::string personal_data_key;      // key file sealing personal data; "" = data_dir/personal-data.key
  std::vector<std::string> personal_data_roles = {"district-admin", "personnel"};
  int64_t max_import_bytes = int64_t{64} << 20;

  std::string plugins_dir;  // one *.yaml per plugin, loaded at start and on SIGHUP; "" = none
  std::string plugin_host;  // shequ-plugin-host; "" = next to the shequd binary

  AuthConfig auth;
  TlsConfig tls;

  bool fake_clock = false;
  int64_t fake_clock_start_ms = 0;  // 0 = the real time at start-up
};

// Reads the YAML file; unknown keys are refused, so a typo is not silently ignored.
absl::StatusOr<Config> LoadConfig(const std::string& path);

}  // namespace shequ
