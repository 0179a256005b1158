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

// TLS on the gRPC port and the HTTP port (config `tls:`). Off when `cert` is empty.
struct TlsConfig {
  std::string cert;       // PEM certificate chain
  std::string key;        // PEM private key
  std::string client_ca;  // PEM CA bundle: when set, clients must present a certificate it signed
  bool http = true;       // the HTTP port too; false keeps it plain (a loopback-only scraper)
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
  int64_t cache_definitions = 16;  // old definition versions kept parsed after a read
  int request_retention_days = 7;  // request_id answers kept for retries; 0 = forever

  std::string policy_dir = "policy";  // quota.yaml, grades.yaml
  std::string personal_data_key;      // key file sealing personal data; "" = data_dir/personal-data.key
  std::vector<std::string> personal_data_roles = {"district-admin", "personnel"};
  int64_t max_import_bytes = int64_t{64} << 20;
  int personal_data_reseal_batch = 200;  // records re-sealed per transaction after a key rotation
  // Retention (docs/security.md "Personal data"): a worker's personal data is erased this many
  // years after they left (at least 2: Labour Contract Law art. 50), an applicant's who was not
  // hired this many months after the campaign ended (done or cancelled). 0 = never by itself.
  int personal_data_worker_retention_years = 5;
  int personal_data_applicant_retention_months = 6;

  std::string plugins_dir;  // one *.yaml per plugin, loaded at start and on SIGHUP; "" = none
  std::string plugin_host;  // shequ-plugin-host; "" = next to the shequd binary

  AuthConfig auth;
  TlsConfig tls;
  // The audit trail (docs/security.md "Audit trail").
  struct Audit {
    std::string signing_key;  // Ed25519 key, created at first start; "" = data_dir/audit-signing.key
    std::string public_key;   // written next to it; "" = data_dir/audit-signing.pub
    std::string witness;      // checkpoints' copy; "" = data_dir/audit-checkpoints.log
    int64_t checkpoint_every = 1000;  // entries
    int checkpoint_minutes = 15;
    int retention_days = 365;         // at least 183
    int refusals_per_minute = 60;
  } audit;
  // limits: docs/security.md, "Limits".
  int64_t max_message_bytes = int64_t{8} << 20;  // largest gRPC message received
  int64_t max_string_bytes = 4096;  // a string field of a request, except payloads (variables, …)
  int64_t max_repeated = 1000;      // entries of a repeated field of a request
  double rate_per_second = 50;      // calls per principal; 0 = unlimited
  double rate_burst = 100;
  double jobs_rate_per_second = 1000;  // Jobs/* calls per principal (workers), a budget of its own
  double jobs_rate_burst = 2000;
  int max_streams_per_principal = 32;  // open Watch, Subscribe and Activate streams; 0 = unlimited
  int64_t stream_queue_messages = 1000;        // a stream's reader may fall this far behind …
  int64_t stream_queue_bytes = int64_t{16} << 20;  // … or this many bytes, before it is ended

  bool fake_clock = false;
  int64_t fake_clock_start_ms = 0;  // 0 = the real time at start-up
};

// Reads the YAML file; unknown keys are refused, so a typo is not silently ignored.
absl::StatusOr<Config> LoadConfig(const std::string& path);

}  // namespace shequ
