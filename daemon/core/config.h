#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace shequ {

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
  int personal_data_reseal_batch = 200;  // records re-sealed per transaction after a key rotation

  std::string plugins_dir;  // one *.yaml per plugin, loaded at start and on SIGHUP; "" = none
  std::string plugin_host;  // shequ-plugin-host; "" = next to the shequd binary

  bool fake_clock = false;
  int64_t fake_clock_start_ms = 0;  // 0 = the real time at start-up
};

// Reads the YAML file; unknown keys are refused, so a typo is not silently ignored.
absl::StatusOr<Config> LoadConfig(const std::string& path);

}  // namespace shequ
