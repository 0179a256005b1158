// timers_bench: the engine with 1,000,000 pending timers.
//
//  1. Memory. An in-process Engine on a real SqliteStore (synchronous=FULL, WAL, temporary
//     directory) gets --timers instances (default 1,000,000) that each wait at a timer node of
//     P30D. To stay within time they are created through the engine in batches: each Start of a
//     `foreach` parent starts --batch children (default 1000) in one engine transaction; the
//     children are ordinary instances of a `timer P30D -> end` definition. --batch 1 instead
//     Starts every timer instance by itself (slower). VmRSS is read before and after (once
//     everything is committed), and again after malloc_trim(0) returns freed heap to the OS.
//  2. Firing lag with those timers pending. With the real clock, --lag-timers instances of a
//     `timer PT2S -> end` definition are started at one per millisecond, so their due times are
//     distinct and spread; the lag of each is the wall time at which its instance.completed event
//     reaches the engine's commit listener (i.e. after the firing transaction is durable) minus
//     the timer's due time.
//  3. Restart. The Engine and Store are destroyed (a clean shutdown), then a fresh process (this
//     program re-executed with --restart-child) opens the store, constructs the Engine and runs
//     Recover(), and then starts one instance and waits for its acknowledgement: restart to
//     serving. That process also reports the VmRSS that Recover() added - the memory of the
//     timer index rebuilt from the store, free of the creation phase's garbage.
//
//   timers_bench [--quick] [--timers N] [--batch N] [--lag-timers N]

#include <malloc.h>
#include <sys/wait.h>
#include <unistd.h>

#include <utility>  // before Boost.Asio with GCC 12 in C++20

#include <atomic>
#include <boost/asio.hpp>
#include <condition_variable>
#include <cstdio>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "bench/bench_util.h"
#include "daemon/core/calendar.h"
#include "daemon/core/clock.h"
#include "daemon/core/logging.h"
#include "daemon/engine/engine.h"
#include "daemon/store/sqlite/sqlite_store.h"
#include "tests/integration/daemon_process.h"

namespace shequ::bench {
namespace {

using engine::json;

constexpr char kLongTimer[] = R"(id: bench-wait-30d
start: wait
nodes:
  wait: {type: timer, duration: P30D, next: done}
  done: {type: end}
)";
constexpr char kBatchParent[] = R"(id: bench-wait-30d-batch
start: each
nodes:
  each: {type: foreach, items: "${items}", as: item, call: bench-wait-30d, next: done}
  done: {type: end}
)";
constexpr char kShortTimer[] = R"(id: bench-wait-2s
start: wait
nodes:
  wait: {type: timer, duration: PT2S, next: done}
  done: {type: end}
)";

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "timers_bench: %s\n", why.c_str());
  std::exit(1);
}

// An Engine on a SqliteStore, with its io threads, like the daemon builds it.
class Harness {
 public:
  using Listener = engine::Engine::CommitListener;

  Harness(const std::string& dir, Listener listener) {
    store::SqliteOptions opts;
    opts.path = dir + "/shequd.db";
    auto s = store::SqliteStore::Open(opts);
    if (!s.ok()) Die("open store: " + s.status().ToString());
    store_ = *std::move(s);
    engine_ = std::make_unique<engine::Engine>(io_, *store_, clock_, calendar_);
    if (listener) engine_->AddCommitListener(std::move(listener));
    if (auto st = engine_->Recover(); !st.ok()) Die("recover: " + st.ToString());
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
  }

  ~Harness() {
    store_->Flush().IgnoreError();
    work_.reset();
    io_.stop();
    for (auto& t : threads_) t.join();
    engine_.reset();
    store_.reset();
  }

  engine::Engine& engine() { return *engine_; }
  store::SqliteStore& store() { return *store_; }

  json Await(std::function<void(engine::Reply)> command) {
    std::promise<absl::StatusOr<json>> done;
    command([&](absl::StatusOr<json> r) { done.set_value(std::move(r)); });
    auto r = done.get_future().get();
    if (!r.ok()) Die("command failed: " + r.status().ToString());
    return *r;
  }

  void Deploy(const char* yaml) {
    Await([&](engine::Reply reply) { engine_->Deploy({yaml, ""}, std::move(reply)); });
  }

 private:
  boost::asio::io_context io_;
  std::unique_ptr<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_ =
      std::make_unique<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>(
          io_.get_executor());
  std::vector<std::thread> threads_;
  SystemClock clock_;
  WorkCalendar calendar_ = WorkCalendar::Empty();
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<engine::Engine> engine_;
};

// Runs `total` commands with at most `in_flight` unacknowledged; `issue(i, reply)` sends one.
// The state lives on the heap, shared with the replies: the last reply may still be running on
// an engine thread when this returns.
void Pipeline(int64_t total, int in_flight, std::function<void(int64_t, engine::Reply)> issue) {
  struct State : std::enable_shared_from_this<State> {
    std::mutex mu;
    std::condition_variable cv;
    int64_t total = 0, next = 0, done = 0;
    std::string error;
    std::function<void(int64_t, engine::Reply)> issue;

    void SendNext() {
      int64_t i;
      {
        std::lock_guard<std::mutex> lock(mu);
        if (next >= total) return;
        i = next++;
      }
      issue(i, [self = shared_from_this()](absl::StatusOr<json> r) {
        self->SendNext();  // first, while the waiter is certainly still waiting
        std::lock_guard<std::mutex> lock(self->mu);
        if (!r.ok() && self->error.empty()) self->error = r.status().ToString();
        if (++self->done == self->total) self->cv.notify_all();
      });
    }
  };
  auto state = std::make_shared<State>();
  state->total = total;
  state->issue = std::move(issue);
  for (int i = 0; i < in_flight; ++i) state->SendNext();
  std::unique_lock<std::mutex> lock(state->mu);
  state->cv.wait(lock, [&] { return state->done >= total; });
  if (!state->error.empty()) Die("command failed: " + state->error);
}

// ---- Firing lag ----------------------------------------------------------------------------

struct LagTracker {
  std::atomic<bool> on{false};
  std::mutex mu;
  std::condition_variable cv;
  std::unordered_map<int64_t, int64_t> due_ms;  // instance -> due time of its short timer
  std::vector<int64_t> lag_us;
  int64_t completed = 0;

  void OnCommit(const std::vector<store::EventRow>& events) {
    if (!on.load(std::memory_order_relaxed)) return;
    const int64_t now_us = WallMicros();
    std::lock_guard<std::mutex> lock(mu);
    for (const auto& e : events) {
      if (e.type == "timer.scheduled") {
        due_ms[e.instance_id] = json::parse(e.body).value("due_at_ms", int64_t{0});
      } else if (e.type == "instance.completed") {
        auto it = due_ms.find(e.instance_id);
        if (it == due_ms.end()) continue;
        lag_us.push_back(now_us - it->second * 1000);
        ++completed;
        cv.notify_all();
      }
    }
  }
};

// ---- Restart (child process) ---------------------------------------------------------------

int RestartChild(const std::string& dir) {
  SetLogLevel("warn");
  const int64_t rss0 = RssBytes();
  const auto t0 = SteadyClock::now();
  store::SqliteOptions opts;
  opts.path = dir + "/shequd.db";
  auto s = store::SqliteStore::Open(opts);
  if (!s.ok()) Die("reopen store: " + s.status().ToString());
  std::unique_ptr<store::SqliteStore> store = *std::move(s);
  const double open_s = SecondsSince(t0);
  boost::asio::io_context io;
  auto work = boost::asio::make_work_guard(io);
  SystemClock clock;
  WorkCalendar calendar = WorkCalendar::Empty();
  auto engine = std::make_unique<engine::Engine>(io, *store, clock, calendar);
  const auto t1 = SteadyClock::now();
  if (auto st = engine->Recover(); !st.ok()) Die("recover: " + st.ToString());
  const double recover_s = SecondsSince(t1);
  const int64_t rss1 = RssBytes();
  const int64_t recovered = engine->TimersPending();
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) threads.emplace_back([&] { io.run(); });
  std::promise<absl::StatusOr<json>> acked;
  engine::StartArgs args;
  args.definition_id = "bench-wait-2s";
  engine->Start({"bench", {}, ""}, {std::move(args), ""},
                [&](absl::StatusOr<json> r) { acked.set_value(std::move(r)); });
  auto r = acked.get_future().get();
  if (!r.ok()) Die("first command after restart: " + r.status().ToString());
  const double serving_s = SecondsSince(t0);
  std::printf(
      "RESTART open_s=%.4f recover_s=%.4f serving_s=%.4f rss_before=%lld "
      "rss_after_recover=%lld timers=%lld\n",
      open_s, recover_s, serving_s, static_cast<long long>(rss0), static_cast<long long>(rss1),
      static_cast<long long>(recovered));
  std::fflush(stdout);
  work.reset();
  io.stop();
  for (auto& t : threads) t.join();
  engine.reset();
  store.reset();
  return 0;
}

struct RestartResult {
  double open_s = 0, recover_s = 0, serving_s = 0;
  long long rss_before = 0, rss_after = 0, timers = 0;
  bool ok = false;
};

RestartResult RunRestartChild(const std::string& dir) {
  RestartResult r;
  int out[2];
  if (pipe(out) != 0) return r;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    execl("/proc/self/exe", "timers_bench", "--restart-child", dir.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  std::string text;
  char buf[512];
  ssize_t n;
  while ((n = read(out[0], buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
  close(out[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  auto pos = text.find("RESTART ");
  if (pos == std::string::npos) return r;
  r.ok = std::sscanf(text.c_str() + pos,
                     "RESTART open_s=%lf recover_s=%lf serving_s=%lf rss_before=%lld "
                     "rss_after_recover=%lld timers=%lld",
                     &r.open_s, &r.recover_s, &r.serving_s, &r.rss_before, &r.rss_after,
                     &r.timers) == 6;
  return r;
}

// Starts the real shequd on `data_dir` (real clock) and measures how long until it prints that
// it serves, and its VmRSS then.
struct DaemonStart {
  bool ok = false;
  double serving_s = 0;
  int64_t rss = 0;
  std::string error;
};
DaemonStart StartDaemon(const std::string& data_dir) {
  DaemonStart d;
  testing::DaemonProcess::Options o;
  o.data_dir = data_dir;
  o.fake_clock = false;
  o.extra_args = {"--log-level", "warn"};
  const auto t0 = SteadyClock::now();
  auto daemon = testing::DaemonProcess::Start(o, &d.error);
  if (!daemon) return d;
  d.serving_s = SecondsSince(t0);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // let start-up work settle
  d.rss = RssBytes(daemon->pid());
  d.ok = daemon->Terminate() == 0;
  if (!d.ok) d.error = "shequd did not exit cleanly:\n" + daemon->Log();
  return d;
}

}  // namespace
}  // namespace shequ::bench

int main(int argc, char** argv) {
  using namespace shequ::bench;
  using shequ::engine::json;
  if (argc == 3 && std::string(argv[1]) == "--restart-child") return RestartChild(argv[2]);

  const bool quick = HasFlag(argc, argv, "--quick");
  const int64_t timers =
      std::stoll(FlagValue(argc, argv, "--timers", quick ? "100000" : "1000000"));
  const int batch = std::max(1, std::stoi(FlagValue(argc, argv, "--batch", "1000")));
  const int lag_timers = std::stoi(FlagValue(argc, argv, "--lag-timers", quick ? "1000" : "3000"));
  shequ::SetLogLevel("warn");

  std::printf(
      "timers_bench: %lld pending P30D timers (batches of %d via foreach), "
      "synchronous=FULL; %s\n",
      static_cast<long long>(timers), batch, MachineLine().c_str());
  TempDir dir("shequ-timers-bench");
  if (dir.path().empty()) Die("cannot create a temporary directory");

  LagTracker lag;
  double create_s = 0;
  int64_t rss_before = 0, rss_after = 0, rss_trimmed = 0, pending = 0;
  double commits = 0, batches = 0;
  {
    Harness h(dir.path(), [&lag](const auto& events, const auto&) { lag.OnCommit(events); });
    h.Deploy(kLongTimer);
    h.Deploy(kBatchParent);
    h.Deploy(kShortTimer);
    // The baseline: after the deploys, with freed heap returned to the OS.
    h.store().Flush().IgnoreError();
    malloc_trim(0);
    rss_before = RssBytes();
    const auto stats0 = h.store().GetCommitStats();

    // ---- 1. create the pending timers ----
    const auto t0 = SteadyClock::now();
    const int64_t commands = (timers + batch - 1) / batch;
    const int in_flight = batch == 1 ? 512 : 8;
    auto& engine = h.engine();
    Pipeline(commands, in_flight, [&](int64_t i, shequ::engine::Reply reply) {
      shequ::engine::StartArgs args;
      if (batch == 1) {
        args.definition_id = "bench-wait-30d";
      } else {
        const int64_t n = std::min<int64_t>(batch, timers - i * batch);
        json items = json::array();
        for (int64_t k = 0; k < n; ++k) items.push_back(i * batch + k);
        args.definition_id = "bench-wait-30d-batch";
        args.variables = json{{"items", std::move(items)}};
      }
      engine.Start({"bench", {}, ""}, {std::move(args), ""}, std::move(reply));
    });
    h.store().Flush().IgnoreError();
    create_s = SecondsSince(t0);
    const auto stats1 = h.store().GetCommitStats();
    commits = static_cast<double>(stats1.commits - stats0.commits);
    batches = static_cast<double>(stats1.batches - stats0.batches);
    pending = engine.TimersPending();
    rss_after = RssBytes();
    malloc_trim(0);
    rss_trimmed = RssBytes();
    std::printf(
        "created %lld pending timers in %.1f s (%.0f timers/s; %.0f commits, %.1f "
        "engine batches per commit)\n",
        static_cast<long long>(pending), create_s, pending / create_s, commits,
        commits > 0 ? batches / commits : 0);

    // ---- 2. firing lag with them pending ----
    lag.on = true;
    const auto l0 = SteadyClock::now();
    for (int i = 0; i < lag_timers; ++i) {
      std::this_thread::sleep_until(l0 + std::chrono::microseconds(1000LL * i));
      shequ::engine::StartArgs args;
      args.definition_id = "bench-wait-2s";
      engine.Start({"bench", {}, ""}, {std::move(args), ""}, [](absl::StatusOr<json> r) {
        if (!r.ok()) Die("start: " + r.status().ToString());
      });
    }
    {
      std::unique_lock<std::mutex> lock(lag.mu);
      lag.cv.wait_for(lock, std::chrono::seconds(60), [&] { return lag.completed >= lag_timers; });
    }
    lag.on = false;
  }  // engine and store shut down here: flush, PRAGMA optimize, WAL checkpoint

  // ---- 3. restart ----
  RestartResult restart = RunRestartChild(dir.path());
  // The same with the real daemon: from exec to "serving", and its VmRSS against a daemon
  // started on an empty data directory.
  DaemonStart full = StartDaemon(dir.path());
  TempDir empty_dir("shequ-timers-empty");
  DaemonStart empty = StartDaemon(empty_dir.path());
  if (!full.ok || !empty.ok) {
    std::printf("real daemon restart failed: %s%s\n", full.error.c_str(), empty.error.c_str());
  }

  std::vector<int64_t> lags;
  {
    std::lock_guard<std::mutex> lock(lag.mu);
    lags = lag.lag_us;
  }
  const double per_timer = static_cast<double>(rss_after - rss_before) / pending;
  const double per_timer_trimmed = static_cast<double>(rss_trimmed - rss_before) / pending;
  const double per_timer_recovered =
      restart.ok ? static_cast<double>(restart.rss_after - restart.rss_before) / restart.timers : 0;
  const double p50 = Percentile(lags, 50) / 1000.0, p99 = Percentile(lags, 99) / 1000.0,
               pmax = Percentile(lags, 100) / 1000.0;

  Rule();
  std::printf("%-52s %12s\n", "measure", "value");
  Rule();
  std::printf("%-52s %12lld\n", "pending timers", static_cast<long long>(pending));
  std::printf("%-52s %12.1f\n", "RSS added, MiB (after creation)",
              (rss_after - rss_before) / 1048576.0);
  std::printf("%-52s %12.0f\n", "  bytes per timer", per_timer);
  std::printf("%-52s %12.0f\n", "  bytes per timer after malloc_trim(0)", per_timer_trimmed);
  if (restart.ok) {
    std::printf("%-52s %12.0f\n", "  bytes per timer added by Recover() (fresh process)",
                per_timer_recovered);
    std::printf("%-52s %12lld\n", "timers recovered", restart.timers);
    std::printf("%-52s %12.3f\n", "restart: open store, s", restart.open_s);
    std::printf("%-52s %12.3f\n", "restart: Engine::Recover(), s", restart.recover_s);
    std::printf("%-52s %12.3f\n", "restart to serving (first command acked), s", restart.serving_s);
  } else {
    std::printf("restart child failed\n");
  }
  if (full.ok && empty.ok) {
    std::printf("%-52s %12.3f\n", "real shequd: exec to serving with the timers, s",
                full.serving_s);
    std::printf("%-52s %12.3f\n", "real shequd: exec to serving, empty data dir, s",
                empty.serving_s);
    std::printf("%-52s %12.0f\n", "real shequd: VmRSS added per timer (vs empty), bytes",
                static_cast<double>(full.rss - empty.rss) / restart.timers);
  }
  std::printf("%-52s %12zu\n", "firing lag: timers fired", lags.size());
  std::printf("%-52s %12.1f\n", "firing lag p50, ms", p50);
  std::printf("%-52s %12.1f\n", "firing lag p99, ms", p99);
  std::printf("%-52s %12.1f\n", "firing lag max, ms", pmax);
  Rule();
  // Judged: the most conservative reading, RSS added in the process that created the timers
  // (it still holds the allocator's garbage from creating them). The other two are printed as
  // DIAG: the same after malloc_trim, and what a restarted daemon holds for the same timers.
  std::printf(
      "RESULT timers_memory bytes_per_timer=%.0f (RSS added while creating %lld timers) "
      "target<=300 %s\n",
      per_timer, static_cast<long long>(pending), Verdict(per_timer <= 300));
  std::printf(
      "DIAG timers_memory after_malloc_trim=%.0f recovered_in_fresh_process=%.0f "
      "real_shequd_vs_empty=%.0f bytes_per_timer\n",
      per_timer_trimmed, per_timer_recovered,
      full.ok && empty.ok ? static_cast<double>(full.rss - empty.rss) / restart.timers : -1.0);
  // Judged: the slower of the in-process restart and the real daemon's.
  const double restart_s = std::max(restart.serving_s, full.ok ? full.serving_s : 1e9);
  std::printf(
      "RESULT timers_restart seconds=%.2f (in-process %.2f, real shequd %.2f) "
      "target<=10 %s\n",
      restart_s, restart.serving_s, full.ok ? full.serving_s : -1.0,
      Verdict(restart.ok && full.ok && restart_s <= 10));
  const bool all_fired = static_cast<int>(lags.size()) == lag_timers;
  std::printf("RESULT timers_lag p99_ms=%.1f target<=50 %s%s\n", p99,
              Verdict(all_fired && p99 <= 50), all_fired ? "" : " (not all timers fired)");
  if (timers < 1000000) {
    std::printf(
        "NOTE: measured at %lld timers, not 1,000,000: fixed costs (SQLite page caches, "
        "allocator arenas) weigh more per timer\n",
        static_cast<long long>(timers));
  }
  return 0;
}
