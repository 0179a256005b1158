#pragma once

// What the benchmarks that drive the real shequd through gRPC share (recruitment_bench,
// reviews_bench): dying without leaving the daemon or its directory behind, naming the caller,
// valid resident ID numbers, the district's units and quotas, and the store's size.

#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "bench/load_runner.h"
#include "tests/integration/daemon_process.h"

namespace shequ::bench {

// The daemon to kill and the directory to remove when a benchmark dies: std::exit runs no
// destructors. `name` prefixes the message.
struct RealDaemon {
  const char* name = "bench";
  pid_t pid = 0;
  std::string dir;
};
inline RealDaemon g_real;

[[noreturn]] inline void Die(const std::string& what) {
  std::fprintf(stderr, "%s: %s\n", g_real.name, what.c_str());
  if (g_real.pid > 0) ::kill(g_real.pid, SIGKILL);
  if (!g_real.dir.empty() && std::getenv("SHEQU_BENCH_KEEP") == nullptr) {
    std::error_code ec;
    std::filesystem::remove_all(g_real.dir, ec);
  }
  std::exit(1);
}

// The options of a benchmark's daemon on `dir`: the fixture config, the fake clock, warn logs.
inline testing::DaemonProcess::Options DaemonOptions(const std::string& dir) {
  testing::DaemonProcess::Options opts;
  opts.data_dir = dir;
  opts.fake_clock = true;
  opts.extra_args = {"--log-level", "warn"};
  return opts;
}

// Starts the daemon (or dies saying why) and records it for Die.
inline std::unique_ptr<testing::DaemonProcess> StartDaemon(
    const testing::DaemonProcess::Options& opts) {
  std::string error;
  auto daemon = testing::DaemonProcess::Start(opts, &error);
  if (!daemon) Die(error);
  g_real.pid = daemon->pid();
  return daemon;
}

inline std::string Describe(const grpc::Status& s) {
  return std::to_string(s.error_code()) + " " + s.error_message();
}

inline void Prepare(grpc::ClientContext* ctx, const Who& who, int deadline_s = 900) {
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(deadline_s));
  testing::Identify(ctx, who.user, who.roles, who.unit);
}

// A valid resident ID number: region 340104, a birth date from `first_birth_year` to 12 years
// later and a sequence, all from n (a mixed-radix split of n, so distinct n give distinct
// numbers), check digit per GB 11643 (MOD 11-2).
inline std::string IdNumber(int64_t n, int first_birth_year) {
  const int year = first_birth_year + static_cast<int>(n % 13);
  const int month = 1 + static_cast<int>(n / 13 % 12);
  const int day = 1 + static_cast<int>(n / 156 % 28);
  const int seq = static_cast<int>(n / 4368 % 1000);
  char first17[18];
  std::snprintf(first17, sizeof first17, "340104%04d%02d%02d%03d", year, month, day, seq);
  return testing::ValidIdNumber(first17);
}

// A unit, made by the district's administrator (its id is its name).
inline void CreateUnit(testing::Stubs& stubs, const std::string& id, const std::string& parent,
                       const std::string& kind, const std::string& type = "", int households = 0,
                       int unit_class = 0) {
  v1::CreateUnitRequest req;
  auto* u = req.mutable_unit();
  u->set_id(id);
  u->set_parent_id(parent);
  u->set_name(id);
  u->set_kind(kind);
  u->set_community_type(type);
  u->set_households(households);
  u->set_unit_class(unit_class);
  grpc::ClientContext ctx;
  Prepare(&ctx, {"bench.admin", "district-admin", ""});
  v1::Unit out;
  auto s = stubs.workforce->CreateUnit(&ctx, req, &out);
  if (!s.ok()) Die("CreateUnit " + id + ": " + Describe(s));
}

// A quota revision, approved by the establishment committee from `effective_from`.
inline void ReviseQuota(testing::Stubs& stubs, const std::string& unit, int approved,
                        const std::string& effective_from) {
  v1::ReviseQuotaRequest req;
  req.set_unit_id(unit);
  req.set_approved(approved);
  req.set_effective_from(effective_from);
  req.set_reason("核定");
  req.set_approval_document("包编〔" + effective_from.substr(0, 4) + "〕1号");
  grpc::ClientContext ctx;
  Prepare(&ctx, {"bench.ec", "establishment-committee", ""});
  v1::QuotaRevision out;
  auto s = stubs.workforce->ReviseQuota(&ctx, req, &out);
  if (!s.ok()) Die("ReviseQuota " + unit + ": " + Describe(s));
}

// The store's files (database, WAL, shared memory), not the daemon's log.
inline int64_t StoreBytes(const std::string& dir) {
  int64_t total = 0;
  for (const auto& f : std::filesystem::recursive_directory_iterator(dir)) {
    if (f.is_regular_file() && f.path().filename().string().find(".db") != std::string::npos) {
      total += static_cast<int64_t>(f.file_size());
    }
  }
  return total;
}

inline std::string Mb(int64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / 1e6);
  return buf;
}

}  // namespace shequ::bench
