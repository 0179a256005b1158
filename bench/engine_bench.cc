// engine_bench: durable instances/s of the engine core against raw SQLite writing the same rows.
//
// Engine side: an in-process Engine on a real SqliteStore (WAL, synchronous=FULL by default) in a
// temporary directory runs `start -> service job -> end` instances. An in-process job worker
// (OpenActivation / RequestJob) completes every job with CompleteJob; the driver keeps
// --in-flight instances (default 256) going, so the store's group commit has work to group.
// An instance counts when the CompleteJob that ends it is acknowledged, i.e. durable.
//
// Baseline: every WriteBatch the engine handed to the store during the measured window is
// captured (a copy, taken on the engine strand: this costs the engine, not the baseline) and
// replayed on a connection of the baseline's own with the store's own statements (its
// migrations, and sqlite_internal::WriteRows, the code its writer runs for each batch) - same
// WAL mode and synchronous setting, but no engine, queue or writer thread - in transactions of
// round(average engine group size) batches. So the baseline writes exactly the
// rows the engine wrote, in the same group sizes, and the ratio is what the engine costs on top
// of its own storage writes.
//
// Each round runs the engine and then its replay (many short rounds, so that the shared
// machine's drifting load hits both sides alike); the reported ratio is the median over rounds.
// A second, diagnostic suite repeats this with synchronous=NORMAL, where WAL commits do not
// fsync: both sides are CPU-bound there, so its ratio isolates the engine's CPU cost.
//
// With --audit, every Start and CompleteJob is an API call with its audit entry (the daemon's
// audit trail as the engine's hook, checkpoints every 1000 entries); the replay leaves the audit
// rows out, so the ratio against the same baseline shows what the trail costs.
//
//   engine_bench [--quick] [--instances N] [--in-flight N] [--rounds N] [--synchronous FULL]
//                [--no-diagnostic] [--audit]

#include <sqlite3.h>

#include <utility>  // before Boost.Asio with GCC 12 in C++20

#include <atomic>
#include <boost/asio.hpp>
#include <condition_variable>
#include <cstdio>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_util.h"
#include "daemon/auth/audit_trail.h"
#include "daemon/core/calendar.h"
#include "daemon/core/clock.h"
#include "daemon/core/logging.h"
#include "daemon/engine/engine.h"
#include "daemon/store/forwarding_store.h"
#include "daemon/store/sqlite/connection.h"
#include "daemon/store/sqlite/migrations.h"
#include "daemon/store/sqlite/rows.h"
#include "daemon/store/sqlite/sqlite_store.h"

namespace shequ::bench {
namespace {

using engine::json;

constexpr char kWorkflow[] = R"(id: bench-job
name: start -> service job -> end
start: work
nodes:
  work: {type: service, job: bench.work, next: done}
  done: {type: end}
)";

// Forwards to a real store; while capturing, keeps a copy of every batch committed.
class RecordingStore final : public store::ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;

  void StartCapture() {
    std::lock_guard<std::mutex> lock(mu_);
    capturing_ = true;
    captured_.clear();
    capture_us_ = 0;
  }
  std::vector<store::WriteBatch> StopCapture(int64_t* capture_us) {
    std::lock_guard<std::mutex> lock(mu_);
    capturing_ = false;
    *capture_us = capture_us_;
    return std::move(captured_);
  }

  void Commit(store::WriteBatch batch, Done done) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (capturing_) {
        const auto t0 = SteadyClock::now();
        captured_.push_back(batch);
        // The baseline writes the engine's own rows: the audit trail's are its cost.
        std::erase_if(captured_.back().records, [](const store::RecordWrite& r) {
          return r.table.rfind("audit_", 0) == 0;
        });
        capture_us_ += MicrosSince(t0);
      }
    }
    ForwardingStore::Commit(std::move(batch), std::move(done));
  }

 private:
  std::mutex mu_;
  bool capturing_ = false;
  std::vector<store::WriteBatch> captured_;
  int64_t capture_us_ = 0;
};

// ---- Raw SQLite replay ------------------------------------------------------------------------

// The baseline's own connection writes every captured batch with the store's statements and
// bindings (sqlite_internal::WriteRows, which the store's writer thread runs for each batch), on
// a schema made by the store's migrations, in BEGIN IMMEDIATE ... COMMIT of `group` batches:
// the same SQL and rows as the store, without the engine, the queue or the writer thread.
class RawDb {
 public:
  RawDb(const std::string& path, const std::string& synchronous) {
    auto conn = store::sqlite_internal::Connection::Open(
        path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX);
    Check(conn.status(), "open");
    conn_ = *std::move(conn);
    Check(conn_->QueryText("PRAGMA journal_mode = WAL").status(), "journal_mode");
    Check(conn_->Exec("PRAGMA synchronous = " + synchronous), "synchronous");
    Check(store::sqlite_internal::Migrate(*conn_, path, *shequ::Logger("bench")), "migrate");
  }

  std::string Pragma(const std::string& name) {
    return conn_->QueryText("PRAGMA " + name).value_or("?");
  }

  // Writes `batches` in transactions of `group` batches each; returns the rows written.
  int64_t Replay(const std::vector<store::WriteBatch>& batches, size_t group) {
    int64_t rows = 0;
    for (size_t i = 0; i < batches.size(); i += group) {
      Run("BEGIN IMMEDIATE");
      for (size_t j = i; j < std::min(batches.size(), i + group); ++j) {
        Check(store::sqlite_internal::WriteRows(*conn_, batches[j], tables_), "write");
        rows += static_cast<int64_t>(batches[j].size());
      }
      Run("COMMIT");
    }
    return rows;
  }

 private:
  static void Check(const absl::Status& s, const char* what) {
    if (!s.ok()) {
      std::fprintf(stderr, "raw sqlite: %s: %s\n", what, s.ToString().c_str());
      std::exit(1);
    }
  }
  void Run(const char* sql) {
    auto st = conn_->Prepare(sql);
    Check(st.status(), sql);
    Check(st->Run(), sql);
  }

  std::unique_ptr<store::sqlite_internal::Connection> conn_;
  store::sqlite_internal::ModuleTableMap tables_;  // the engine's batches carry no module records
};

// ---- Engine driver -----------------------------------------------------------------------------

struct EngineRun {
  int64_t instances = 0;
  double seconds = 0;
  store::CommitStats stats;  // delta over the run
  int64_t capture_us = 0;
  std::vector<store::WriteBatch> batches;
};

class EngineHarness {
 public:
  EngineHarness(const std::string& dir, const std::string& synchronous, bool audit) {
    store::SqliteOptions opts;
    opts.path = dir + "/engine.db";
    opts.synchronous = synchronous;
    auto s = store::SqliteStore::Open(opts);
    if (!s.ok()) Die("open store: " + s.status().ToString());
    sqlite_ = *std::move(s);
    store_ = std::make_unique<RecordingStore>(*sqlite_);
    engine_ = std::make_unique<engine::Engine>(io_, *store_, clock_, calendar_);
    if (auto st = engine_->Recover(); !st.ok()) Die("recover: " + st.ToString());
    if (audit) {
      if (auto st = sqlite_->AttachModule(auth::audit::Schema()); !st.ok()) Die(st.ToString());
      auth::AuditOptions aopts;
      aopts.signing_key = dir + "/audit-signing.key";
      aopts.public_key = dir + "/audit-signing.pub";
      aopts.witness = dir + "/audit-checkpoints.log";
      auto trail = auth::AuditTrail::Open(*sqlite_, *engine_, clock_, aopts);
      if (!trail.ok()) Die("audit: " + trail.status().ToString());
      trail_ = *std::move(trail);
      starter_.call = "shequ.v1.Instances/Start";
      worker_.call = "shequ.v1.Jobs/Complete";
    }
    // Like the daemon: two io threads; the engine's strand runs on them one handler at a time.
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
    std::promise<absl::StatusOr<json>> deployed;
    engine_->Deploy({kWorkflow, ""}, [&](absl::StatusOr<json> r) { deployed.set_value(r); });
    auto r = deployed.get_future().get();
    if (!r.ok()) Die("deploy: " + r.status().ToString());
    worker_.user = "bench-worker";
    activation_ =
        engine_->OpenActivation({"bench.work"}, "bench-worker", 600'000,
                                [this](const engine::Job& job, const json&) {
                                  OnJob(job.id);
                                  return true;
                                });
  }

  ~EngineHarness() {
    engine_->CloseActivation(activation_);
    sqlite_->Flush().IgnoreError();
    work_.reset();
    io_.stop();
    for (auto& t : threads_) t.join();
    engine_.reset();
    trail_.reset();
    store_.reset();
    sqlite_.reset();
  }

  store::SqliteStore& sqlite() { return *sqlite_; }

  // Runs `total` instances with at most `in_flight` unfinished at a time.
  EngineRun Run(int64_t total, int in_flight, bool capture) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      total_ = total;
      started_ = 0;
      finished_ = 0;
      failed_ = 0;
    }
    EngineRun run;
    sqlite_->Flush().IgnoreError();
    if (capture) store_->StartCapture();
    const store::CommitStats before = sqlite_->GetCommitStats();
    const auto t0 = SteadyClock::now();
    // The worker holds `in_flight` credits from the first run on; OnJob tops them up.
    for (; credits_ < in_flight; ++credits_) engine_->RequestJob(activation_);
    const int64_t first = std::min<int64_t>(total, in_flight);
    {
      std::lock_guard<std::mutex> lock(mu_);
      started_ = first;
    }
    for (int64_t i = 0; i < first; ++i) StartOne();
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return finished_ >= total_; });
    }
    run.seconds = SecondsSince(t0);
    run.instances = total;
    sqlite_->Flush().IgnoreError();
    const store::CommitStats after = sqlite_->GetCommitStats();
    run.stats.commits = after.commits - before.commits;
    run.stats.records = after.records - before.records;
    run.stats.batches = after.batches - before.batches;
    run.stats.latency_us_sum = after.latency_us_sum - before.latency_us_sum;
    if (capture) run.batches = store_->StopCapture(&run.capture_us);
    if (failed_ > 0) Die(std::to_string(failed_) + " commands failed");
    return run;
  }

  store::Counts Count() {
    auto counts = sqlite_->Count();
    if (!counts.ok()) Die("count: " + counts.status().ToString());
    return *counts;
  }

 private:
  [[noreturn]] static void Die(const std::string& why) {
    std::fprintf(stderr, "engine_bench: %s\n", why.c_str());
    std::exit(1);
  }

  void StartOne() {
    engine::StartArgs args;
    args.definition_id = "bench-job";
    args.business_key = "bench";
    args.variables = json{{"n", 1}};
    engine_->Start(starter_, {std::move(args), ""}, [this](absl::StatusOr<json> r) {
      if (!r.ok()) Fail(r.status());
    });
  }

  void OnJob(int64_t job_id) {
    engine_->RequestJob(activation_);  // keep the worker's credit topped up
    engine_->CompleteJob(worker_, {job_id, json::object(), ""}, [this](absl::StatusOr<json> r) {
      if (!r.ok()) {
        Fail(r.status());
        return;
      }
      bool start_another = false;
      {
        std::lock_guard<std::mutex> lock(mu_);
        ++finished_;
        if (started_ < total_) {
          ++started_;
          start_another = true;
        }
        if (finished_ >= total_) cv_.notify_all();
      }
      if (start_another) StartOne();
    });
  }

  void Fail(const absl::Status& s) {
    std::fprintf(stderr, "engine_bench: command failed: %s\n", s.ToString().c_str());
    std::lock_guard<std::mutex> lock(mu_);
    ++failed_;
    ++finished_;
    cv_.notify_all();
  }

  boost::asio::io_context io_;
  std::unique_ptr<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_ =
      std::make_unique<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>(
          io_.get_executor());
  std::vector<std::thread> threads_;
  SystemClock clock_;
  WorkCalendar calendar_ = WorkCalendar::Empty();
  std::unique_ptr<store::SqliteStore> sqlite_;
  std::unique_ptr<RecordingStore> store_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<auth::AuditTrail> trail_;
  engine::Caller starter_{"bench-starter", {}, ""};
  engine::Caller worker_;
  int64_t activation_ = 0;
  int credits_ = 0;

  std::mutex mu_;
  std::condition_variable cv_;
  int64_t total_ = 0, started_ = 0, finished_ = 0, failed_ = 0;
};

struct Round {
  double engine_ips = 0;  // instances/s
  double raw_rows_per_s = 0;
  double raw_ips = 0;  // raw rows/s divided by rows per instance
  double records_per_instance = 0;
  double batches_per_instance = 0;
  double group = 0;  // average batches per commit
  size_t replay_group = 0;
  double commit_ms = 0;      // average transaction time in the engine's store
  double raw_commit_ms = 0;  // average transaction time in the replay
  double capture_pct = 0;    // share of engine time spent copying batches for the replay
  double ratio = 0;
};

// One engine + one raw database, `rounds` measured rounds after a warm-up. Prints the table.
bool g_audit = false;  // --audit

std::vector<Round> RunSuite(const std::string& sync, int64_t instances, int in_flight, int rounds) {
  TempDir dir("shequ-engine-bench");
  if (dir.path().empty()) {
    std::fprintf(stderr, "engine_bench: cannot create a temporary directory\n");
    std::exit(1);
  }
  // The baseline's database; RawDb gives it the schema with the store's own migrations.
  const std::string raw_path = dir.path() + "/raw.db";

  std::vector<Round> results;
  EngineHarness h(dir.path(), sync, g_audit);
  RawDb raw(raw_path, sync);
  std::printf(
      "  engine store: synchronous=%s journal_mode=%s; raw: synchronous=%s "
      "journal_mode=%s\n",
      h.sqlite().WriterPragma("synchronous").value_or("?").c_str(),
      h.sqlite().WriterPragma("journal_mode").value_or("?").c_str(),
      raw.Pragma("synchronous").c_str(), raw.Pragma("journal_mode").c_str());
  // Warm-up, on both sides: page cache, statement caches, allocator, and the WAL file, which
  // must already have its size (appending to a WAL costs more per fsync than overwriting one).
  {
    EngineRun warm = h.Run(std::min<int64_t>(instances / 2, 2000), in_flight, /*capture=*/true);
    const size_t g =
        warm.stats.commits ? std::max<int64_t>(1, warm.stats.batches / warm.stats.commits) : 1;
    raw.Replay(warm.batches, g);
  }

  Rule(100);
  std::printf("%-5s %10s %9s %9s %8s %9s %12s %10s %10s %7s\n", "round", "engine i/s", "rows/inst",
              "bat/inst", "grp avg", "commit ms", "raw rows/s", "raw i/s", "raw txn ms", "ratio");
  Rule(100);
  for (int r = 0; r < rounds; ++r) {
    EngineRun run = h.Run(instances, in_flight, /*capture=*/true);
    Round x;
    x.engine_ips = static_cast<double>(run.instances) / run.seconds;
    x.records_per_instance = static_cast<double>(run.stats.records) / run.instances;
    x.batches_per_instance = static_cast<double>(run.stats.batches) / run.instances;
    x.group = run.stats.commits ? static_cast<double>(run.stats.batches) / run.stats.commits : 1;
    x.commit_ms = run.stats.commits ? run.stats.latency_us_sum / 1000.0 / run.stats.commits : 0;
    x.capture_pct = 100.0 * run.capture_us / 1e6 / run.seconds;
    x.replay_group = std::max<size_t>(1, static_cast<size_t>(x.group + 0.5));

    int64_t captured_rows = 0;
    for (const auto& b : run.batches) captured_rows += static_cast<int64_t>(b.size());
    const auto t0 = SteadyClock::now();
    const int64_t rows = raw.Replay(run.batches, x.replay_group);
    const double raw_s = SecondsSince(t0);
    const size_t txns = (run.batches.size() + x.replay_group - 1) / x.replay_group;
    x.raw_commit_ms = txns ? raw_s * 1000.0 / static_cast<double>(txns) : 0;
    x.raw_rows_per_s = static_cast<double>(rows) / raw_s;
    x.raw_ips = x.raw_rows_per_s / (static_cast<double>(captured_rows) / run.instances);
    x.ratio = x.engine_ips / x.raw_ips;
    results.push_back(x);
    std::printf("%-5d %10.0f %9.2f %9.2f %8.1f %9.2f %12.0f %10.0f %10.2f %7.3f\n", r + 1,
                x.engine_ips, x.records_per_instance, x.batches_per_instance, x.group, x.commit_ms,
                x.raw_rows_per_s, x.raw_ips, x.raw_commit_ms, x.ratio);
    if (captured_rows != run.stats.records) {
      std::printf("      (note: captured %lld rows, store counted %lld)\n",
                  static_cast<long long>(captured_rows), static_cast<long long>(run.stats.records));
    }
    std::printf(
        "      replayed in transactions of %zu batches; copying batches for the replay "
        "took %.1f%% of the engine's time\n",
        x.replay_group, x.capture_pct);
  }
  Rule(100);
  auto counts = h.Count();
  if (counts.instances_active != 0 || counts.jobs_pending != 0) {
    std::printf("WARNING: %lld instances still active, %lld jobs pending\n",
                static_cast<long long>(counts.instances_active),
                static_cast<long long>(counts.jobs_pending));
  }
  return results;
}

struct Summary {
  double ips, raw_rows, raw_ips, ratio, rows_per_instance, ratio_min, ratio_max;
};
Summary Summarize(const std::vector<Round>& results) {
  std::vector<double> ips, raw_rows, raw_ips, ratios;
  for (const auto& x : results) {
    ips.push_back(x.engine_ips);
    raw_rows.push_back(x.raw_rows_per_s);
    raw_ips.push_back(x.raw_ips);
    ratios.push_back(x.ratio);
  }
  return {Median(ips),
          Median(raw_rows),
          Median(raw_ips),
          Median(ratios),
          results.back().records_per_instance,
          *std::min_element(ratios.begin(), ratios.end()),
          *std::max_element(ratios.begin(), ratios.end())};
}

}  // namespace
}  // namespace shequ::bench

int main(int argc, char** argv) {
  using namespace shequ::bench;
  const bool quick = HasFlag(argc, argv, "--quick");
  const int64_t instances =
      std::stoll(FlagValue(argc, argv, "--instances", quick ? "1000" : "4000"));
  const int in_flight = std::stoi(FlagValue(argc, argv, "--in-flight", "256"));
  const int rounds = std::stoi(FlagValue(argc, argv, "--rounds", quick ? "3" : "8"));
  const std::string sync = FlagValue(argc, argv, "--synchronous", "FULL");
  // A second, diagnostic suite with synchronous=NORMAL (no fsync per commit in WAL mode): both
  // sides are then CPU-bound, so its ratio is the engine's CPU cost against SQLite's alone.
  const bool diag = !HasFlag(argc, argv, "--no-diagnostic") && sync != "NORMAL";
  g_audit = HasFlag(argc, argv, "--audit");
  shequ::SetLogLevel("warn");

  std::printf("engine_bench: start -> service job -> end, in-process Engine + SqliteStore\n");
  std::printf("  %lld instances x %d rounds, %d in flight, synchronous=%s, WAL; audit trail %s; %s\n",
              static_cast<long long>(instances), rounds, in_flight, sync.c_str(),
              g_audit ? "on" : "off", MachineLine().c_str());
  const Summary res = Summarize(RunSuite(sync, instances, in_flight, rounds));
  std::printf("engine instances/s (median)      %10.0f\n", res.ips);
  std::printf("raw SQLite rows/s (median)       %10.0f  (= %.0f instances/s at %.2f rows each)\n",
              res.raw_rows, res.raw_ips, res.rows_per_instance);
  std::printf("ratio per round: median %.3f, min %.3f, max %.3f\n", res.ratio, res.ratio_min,
              res.ratio_max);

  if (diag) {
    std::printf(
        "\ndiagnostic: the same with synchronous=NORMAL (no fsync per commit: CPU-bound)\n");
    const Summary cpu = Summarize(RunSuite("NORMAL", instances, in_flight, quick ? 2 : 4));
    std::printf("engine instances/s (median)      %10.0f\n", cpu.ips);
    std::printf("raw SQLite rows/s (median)       %10.0f  (= %.0f instances/s)\n", cpu.raw_rows,
                cpu.raw_ips);
    std::printf(
        "DIAG engine_core_cpu_only ratio=%.3f (min %.3f, max %.3f; synchronous=NORMAL; "
        "not the target)\n",
        cpu.ratio, cpu.ratio_min, cpu.ratio_max);
  }
  std::printf(
      "RESULT engine_core ratio=%.3f (median of %d rounds, min %.3f, max %.3f; "
      "synchronous=%s) target>=0.5 %s\n",
      res.ratio, rounds, res.ratio_min, res.ratio_max, sync.c_str(), Verdict(res.ratio >= 0.5));
  return 0;
}
