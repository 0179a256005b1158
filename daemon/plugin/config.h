#pragma once

// config/plugins.d/*.yaml: one file per plugin.
//
//   name: civil_affairs                  # unique; the descriptor must carry the same name
//   path: ../../build/plugins/libshequ_civil_affairs.so   # a native library, or
//   address: 127.0.0.1:7300              # a remote plugin (host:port or unix:/path)
//   inprocess: false                     # native only: true loads it into the daemon
//   limits:
//     job_deadline: PT30S                # a job running longer fails (and is retried)
//     max_concurrent_jobs: 4
//     restart_backoff: PT1S              # first restart delay, doubled up to max_restart_backoff
//     max_restart_backoff: PT1M
//     health_interval: PT5S              # health pings of isolated and remote plugins

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace shequ::plugin {

struct PluginLimits {
  int64_t job_deadline_ms = 30'000;
  int max_concurrent_jobs = 4;
  int64_t restart_backoff_ms = 1'000;
  int64_t max_restart_backoff_ms = 60'000;
  int64_t health_interval_ms = 5'000;
  friend bool operator==(const PluginLimits&, const PluginLimits&) = default;
};

struct PluginConfig {
  std::string file;  // where it came from, for messages
  std::string name;
  std::string path;     // native library (absolute once parsed)
  std::string address;  // remote
  bool inprocess = false;
  PluginLimits limits;

  // inprocess, isolated or remote.
  std::string Isolation() const;
  friend bool operator==(const PluginConfig&, const PluginConfig&) = default;
};

// Parses one file's text; relative paths are resolved against `file`'s directory. Unknown keys,
// a missing or malformed name, neither or both of path and address are refused, naming the file
// and the key.
absl::StatusOr<PluginConfig> ParsePluginConfig(const std::string& text, const std::string& file);

// Every *.yaml in `dir`, sorted by file name. A file that does not parse, or repeats a name, is
// left out and its error appended to `errors`: one bad file does not stop the others.
std::vector<PluginConfig> LoadPluginsDir(const std::string& dir, std::vector<std::string>* errors);

}  // namespace shequ::plugin
