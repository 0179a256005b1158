// Restart after kill -9 as the store grows: the real shequd, the demo district loaded, and the
// instances table filled with waiting instances. Restart time is from exec until the daemon
// answers its first registry call. Only what must be hot is loaded at start (timers, ready
// jobs, each module's own records), so the restart must not grow with the number of instances.
//
// Target: restart at the large size ÷ restart at the small size ≤ 2.
//   restart_bench                 # 10,000 and 1,500,000 instances (about 3 GB of data)
//   restart_bench --quick         # 10,000 and 150,000
//   restart_bench --small=N --large=N --rounds=R

#include <sqlite3.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "tests/integration/daemon_process.h"

namespace shequ::bench {
namespace {

using testing::DaemonProcess;

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "restart_bench: %s\n", why.c_str());
  std::exit(1);
}

// The shipped configuration with the demo district, without plugins (their hosts would only
// add their own start-up to the figure).
std::string WriteConfig(const std::string& dir) {
  const std::string src = SHEQU_SOURCE_DIR;
  const std::string path = dir + "/shequd.yaml";
  std::ofstream out(path);
  out << "listen: 127.0.0.1:0\nhttp: 127.0.0.1:0\n"
      << "data_dir: " << dir << "/data\n"
      << "calendar_dir: " << src << "/config/calendar\n"
      << "workflows_dir: " << src << "/config/workflows\n"
      << "policy_dir: " << src << "/config/policy\n"
      << "demo: " << src << "/config/demo\n"
      << "log_level: warn\n"
      << "auth: headers\n";
  return path;
}

std::unique_ptr<DaemonProcess> StartDaemon(const std::string& dir, const std::string& config) {
  DaemonProcess::Options o;
  o.data_dir = dir + "/data";
  o.config = config;
  o.fake_clock = false;
  std::string error;
  auto d = DaemonProcess::Start(o, &error);
  if (!d) Die("shequd did not start: " + error);
  return d;
}

// Until the registry answers: the workforce module has recovered and the daemon serves.
void AwaitRegistry(DaemonProcess& d) {
  testing::Stubs stubs(d.channel());
  for (int i = 0; i < 1000; ++i) {
    grpc::ClientContext ctx;
    testing::Identify(&ctx, "bench", "district-admin");
    v1::OccupancyRequest req;
    req.set_unit_id("bh.whl");
    v1::OccupancyReport resp;
    if (stubs.workforce->Occupancy(&ctx, req, &resp).ok()) return;
  }
  Die("the registry never answered");
}

void Exec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string why = err ? err : "?";
    sqlite3_free(err);
    Die("sqlite: " + why + " in " + sql.substr(0, 80));
  }
}

int64_t Scalar(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) Die(sqlite3_errmsg(db));
  int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
  sqlite3_finalize(st);
  return v;
}

// Fills the instances table up to `target` rows with copies of the waiting instance
// `template_id` (the daemon is down), in transactions of 100,000 rows.
void GrowInstances(const std::string& db_path, int64_t template_id, int64_t target) {
  sqlite3* db = nullptr;
  if (sqlite3_open(db_path.c_str(), &db) != SQLITE_OK) Die("open " + db_path);
  Exec(db, "PRAGMA journal_mode=WAL");
  for (;;) {
    const int64_t have = Scalar(db, "SELECT COUNT(*) FROM instances");
    if (have >= target) break;
    const int64_t n = std::min<int64_t>(target - have, 100'000);
    const int64_t base = Scalar(db, "SELECT MAX(id) FROM instances");
    Exec(db, "BEGIN");
    Exec(db,
         "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " +
             std::to_string(n) +
             ") INSERT INTO instances (id, definition_id, version, business_key, unit, state, "
             "parent_id, created_at_ms, updated_at_ms, body) SELECT " +
             std::to_string(base) +
             " + i, definition_id, version, 'bench-' || (" + std::to_string(base) +
             " + i), unit, state, parent_id, created_at_ms, updated_at_ms, body FROM n, "
             "instances WHERE instances.id = " + std::to_string(template_id));
    Exec(db, "COMMIT");
  }
  Exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
  sqlite3_close(db);
}

// Median seconds from exec to the registry's first answer, over `rounds` restarts each after
// kill -9 of a serving daemon.
double MedianRestart(const std::string& dir, const std::string& config, int rounds) {
  std::vector<double> seconds;
  auto d = StartDaemon(dir, config);
  AwaitRegistry(*d);
  for (int r = 0; r < rounds; ++r) {
    d->Kill();
    d.reset();
    auto t0 = SteadyClock::now();
    d = StartDaemon(dir, config);
    AwaitRegistry(*d);
    seconds.push_back(SecondsSince(t0));
  }
  d->Kill();
  return Median(seconds);
}

double DataMiB(const std::string& dir) {
  double bytes = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir + "/data")) {
    if (e.is_regular_file()) bytes += static_cast<double>(e.file_size());
  }
  return bytes / (1 << 20);
}

}  // namespace
}  // namespace shequ::bench

int main(int argc, char** argv) {
  using namespace shequ::bench;
  const bool quick = HasFlag(argc, argv, "--quick");
  const int64_t small = std::stoll(FlagValue(argc, argv, "--small", "10000"));
  const int64_t large = std::stoll(FlagValue(argc, argv, "--large", quick ? "150000" : "1500000"));
  const int rounds = std::stoi(FlagValue(argc, argv, "--rounds", quick ? "3" : "5"));
  std::printf("restart_bench: %s; instances %lld then %lld, %d restarts each\n",
              MachineLine().c_str(), static_cast<long long>(small),
              static_cast<long long>(large), rounds);

  TempDir dir("shequ-restart-bench");
  const std::string config = WriteConfig(dir.path());

  // One waiting instance (a vacancy request for the leading group, about 1 KB of variables)
  // is the template of all the others.
  int64_t template_id = 0;
  {
    auto d = StartDaemon(dir.path(), config);
    shequ::testing::Stubs stubs(d->channel());
    grpc::ClientContext ctx;
    shequ::testing::Identify(&ctx, "bench", "district-admin");
    shequ::v1::StartRequest req;
    req.set_definition_id("vacancy-approval");
    req.set_business_key("bench-template");
    req.set_variables(R"({"community": "bh.whl.bg", "posts": 1, "vacancies": 3, "note": ")" +
                      std::string(1000, 'x') + R"("})");
    shequ::v1::StartResponse resp;
    if (auto s = stubs.instances->Start(&ctx, req, &resp); !s.ok()) Die(s.error_message());
    template_id = resp.instance_id();
    d->Terminate();
  }

  const std::string db = dir.path() + "/data/shequd.db";
  double figures[2] = {0, 0};
  const int64_t sizes[2] = {small, large};
  for (int i = 0; i < 2; ++i) {
    auto t0 = SteadyClock::now();
    GrowInstances(db, template_id, sizes[i]);
    const double grow = SecondsSince(t0);
    figures[i] = MedianRestart(dir.path(), config, rounds);
    std::printf("  %9lld instances, %8.0f MiB of data (filled in %.0f s): restart %.3f s\n",
                static_cast<long long>(sizes[i]), DataMiB(dir.path()), grow, figures[i]);
  }
  const double ratio = figures[1] / figures[0];
  std::printf("RESULT restart_growth ratio=%.2f (restart %.3f s at %lld instances ÷ %.3f s at "
              "%lld; median of %d) target<=2 %s\n",
              ratio, figures[1], static_cast<long long>(large), figures[0],
              static_cast<long long>(small), rounds, Verdict(ratio <= 2.0));
  return 0;
}
