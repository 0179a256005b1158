#pragma once

// Small helpers shared by the benchmark programs in bench/ (header only: bench/CMakeLists.txt
// builds every *_bench.cc into its own executable).

#include <malloc.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace shequ::bench {

using SteadyClock = std::chrono::steady_clock;

inline double SecondsSince(SteadyClock::time_point t0) {
  return std::chrono::duration<double>(SteadyClock::now() - t0).count();
}

inline int64_t MicrosSince(SteadyClock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - t0).count();
}

// Wall clock in microseconds since the Unix epoch (the engine's clock is in milliseconds).
inline int64_t WallMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// VmRSS of a process (0: this one) in bytes (0 if /proc is unavailable).
inline int64_t RssBytes(pid_t pid = 0) {
  std::ifstream in(pid ? "/proc/" + std::to_string(pid) + "/status" : "/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6)) * 1024;
  }
  return 0;
}

// A fresh directory under $TMPDIR (or /tmp); removed by TempDir's destructor.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix) {
    const char* base = std::getenv("TMPDIR");
    std::string templ = std::string(base ? base : "/tmp") + "/" + prefix + "-XXXXXX";
    std::vector<char> buf(templ.begin(), templ.end());
    buf.push_back('\0');
    if (mkdtemp(buf.data()) != nullptr) path_ = buf.data();
  }
  ~TempDir() {
    if (path_.empty() || std::getenv("SHEQU_BENCH_KEEP") != nullptr) return;
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The p-th percentile (0..100) of `v` (sorted in place), nearest rank.
template <typename T>
T Percentile(std::vector<T>& v, double p) {
  if (v.empty()) return T{};
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(p / 100.0 * static_cast<double>(v.size()) + 0.5);
  rank = std::clamp<size_t>(rank, 1, v.size());
  return v[rank - 1];
}

template <typename T>
T Median(std::vector<T> v) {
  return Percentile(v, 50);
}

inline bool HasFlag(int argc, char** argv, const char* flag) {
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == flag) return true;
  }
  return false;
}

// "--name=value" or "--name value"; `fallback` when absent.
inline std::string FlagValue(int argc, char** argv, const std::string& name,
                             const std::string& fallback) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind(name + "=", 0) == 0) return a.substr(name.size() + 1);
    if (a == name && i + 1 < argc) return argv[i + 1];
  }
  return fallback;
}

inline void Rule(int width = 78) {
  std::printf("%s\n", std::string(static_cast<size_t>(width), '-').c_str());
}

// "PASS"/"MISS" against a target, for the summary lines run.sh greps.
inline const char* Verdict(bool met) { return met ? "MET" : "MISSED"; }

inline std::string MachineLine() {
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  double load[3] = {0, 0, 0};
  getloadavg(load, 3);
  char buf[256];
  std::snprintf(buf, sizeof buf, "cpus=%ld load=%.2f/%.2f/%.2f", sysconf(_SC_NPROCESSORS_ONLN),
                load[0], load[1], load[2]);
  return buf;
}

}  // namespace shequ::bench
