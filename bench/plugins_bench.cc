// plugins_bench: jobs/s handled by a plugin run in-process, isolated (shequ-plugin-host over a
// UNIX socket) and remote (the Python example over TCP), against an in-engine built-in handler,
// in the same run.
//
// Each way has its own in-process Engine on a real SqliteStore (WAL, synchronous=FULL, a
// temporary directory) running `start -> service job -> end` instances, 256 in flight, so group
// commit has work to group. The built-in handler is an in-process activation that completes
// each job directly with CompleteJob (what engine_bench measures); the plugins are served by
// plugin::Manager exactly as in shequd, with 32 concurrent jobs each (the built-in worker holds
// 32 credits too). The native plugin is tests/fixtures/plugins/echo.cc, the remote one
// clients/python/examples/remote_plugin.py (/usr/bin/python3, Debian's grpcio). An instance
// counts when its completion is durable.
//
// Latency: from the commit of job.activated to the commit of job.completed, per job (what the
// plugin path adds shows up here: the call, the plugin, the answer, the completing commit).
//
// Rounds alternate the four ways (many short rounds, so the shared machine's drifting load hits
// all alike); ratios are medians over rounds.
//
// With --synchronous NORMAL (WAL commits without fsync) every way is CPU-bound, which shows
// what the plugin path itself costs rather than how it shares the fsync.
//
//   plugins_bench [--quick] [--instances N] [--rounds N] [--no-remote] [--synchronous NORMAL]

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <utility>  // before Boost.Asio with GCC 12 in C++20

#include <boost/asio.hpp>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "bench/bench_util.h"
#include "daemon/core/calendar.h"
#include "daemon/core/clock.h"
#include "daemon/core/logging.h"
#include "daemon/engine/engine.h"
#include "daemon/plugin/manager.h"
#include "daemon/store/sqlite/sqlite_store.h"

namespace shequ::bench {
namespace {

using engine::json;

constexpr int kInFlight = 256;
constexpr int kConcurrency = 32;

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "plugins_bench: %s\n", why.c_str());
  std::exit(1);
}

std::string BuildDir() {
  return std::filesystem::path(SHEQUD_BINARY).parent_path().parent_path().string();
}

// The Python remote plugin on a free port.
class PythonPlugin {
 public:
  PythonPlugin() {
    int out[2];
    if (pipe(out) != 0) Die("pipe");
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], STDOUT_FILENO);
      close(out[0]);
      const std::string script =
          std::string(SHEQU_SOURCE_DIR) + "/clients/python/examples/remote_plugin.py";
      execl("/usr/bin/python3", "python3", script.c_str(), "--listen", "127.0.0.1:0",
            static_cast<char*>(nullptr));
      _exit(127);
    }
    close(out[1]);
    std::string seen;
    std::smatch m;
    const std::regex ready("listening on (127\\.0\\.0\\.1:[0-9]+)\n");  // the whole line
    while (!std::regex_search(seen, m, ready)) {
      pollfd p{out[0], POLLIN, 0};
      if (poll(&p, 1, 30'000) <= 0) break;
      char buf[256];
      ssize_t n = read(out[0], buf, sizeof buf);
      if (n <= 0) break;
      seen.append(buf, n);
    }
    close(out[0]);
    if (m.empty()) Die("the Python remote plugin did not start (python3-grpcio? clients/python/generate.sh?)");
    address_ = m[1];
  }
  ~PythonPlugin() {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
  const std::string& address() const { return address_; }

 private:
  pid_t pid_ = -1;
  std::string address_;
};

struct RunResult {
  double jobs_per_s = 0;
  std::vector<double> latency_ms;
};

// One engine and one way of handling its jobs.
class Harness {
 public:
  // `plugin_yaml` empty: the built-in handler serves `job_type`.
  Harness(const std::string& name, const std::string& job_type, const std::string& plugin_yaml,
          const std::string& synchronous)
      : name_(name), dir_("shequ-plugins-bench") {
    store::SqliteOptions opts;
    opts.path = dir_.path() + "/engine.db";
    opts.synchronous = synchronous;
    auto s = store::SqliteStore::Open(opts);
    if (!s.ok()) Die("open store: " + s.status().ToString());
    store_ = *std::move(s);
    engine_ = std::make_unique<engine::Engine>(io_, *store_, clock_, calendar_);
    if (auto st = engine_->Recover(); !st.ok()) Die("recover: " + st.ToString());
    engine_->AddCommitListener([this](const auto& events, const auto&) { OnEvents(events); });
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
    std::promise<absl::StatusOr<json>> deployed;
    const std::string yaml =
        "id: bench-plugin\nstart: work\nnodes:\n  work: {type: service, job: " + job_type +
        ", retries: 1, next: done}\n  done: {type: end}\n";
    engine_->Deploy({yaml, ""}, [&](absl::StatusOr<json> r) { deployed.set_value(r); });
    if (auto r = deployed.get_future().get(); !r.ok()) Die("deploy: " + r.status().ToString());
    if (plugin_yaml.empty()) {
      activation_ = engine_->OpenActivation(
          {job_type}, "builtin", 600'000, [this](const engine::Job& job, const json& vars) {
            engine_->RequestJob(activation_);
            engine_->CompleteJob(worker_, {job.id, json{{"echoed", vars.value("n", 0)}}, ""},
                                 [](absl::StatusOr<json> r) {
                                   if (!r.ok()) Die("complete: " + r.status().ToString());
                                 });
            return true;
          });
      for (int i = 0; i < kConcurrency; ++i) engine_->RequestJob(activation_);
    } else {
      std::filesystem::create_directories(dir_.path() + "/plugins.d");
      std::ofstream(dir_.path() + "/plugins.d/plugin.yaml") << plugin_yaml;
      plugin::ManagerOptions o;
      o.plugins_dir = dir_.path() + "/plugins.d";
      o.host_binary = BuildDir() + "/daemon/shequ-plugin-host";
      o.socket_dir = dir_.path() + "/run";
      plugins_ = std::make_unique<plugin::Manager>(*engine_, io_, o);
      plugins_->Start();
      auto list = plugins_->List();
      if (list.size() != 1 || list[0].state == "failed" || list[0].state == "restarting") {
        Die(name + ": plugin did not load: " + (list.empty() ? "" : list[0].last_error));
      }
    }
  }

  ~Harness() {
    if (plugins_) plugins_->Stop();
    if (activation_) engine_->CloseActivation(activation_);
    store_->Flush().IgnoreError();
    work_.reset();
    io_.stop();
    for (auto& t : threads_) t.join();
    plugins_.reset();
    engine_.reset();
    store_.reset();
  }

  RunResult Run(int64_t total) {
    {
      std::lock_guard lock(mu_);
      total_ = total;
      started_ = std::min<int64_t>(total, kInFlight);
      finished_ = 0;
      latency_ms_.clear();
    }
    store_->Flush().IgnoreError();
    const auto t0 = SteadyClock::now();
    for (int64_t i = 0; i < std::min<int64_t>(total, kInFlight); ++i) StartOne();
    RunResult r;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return finished_ >= total_; });
      r.latency_ms = latency_ms_;
    }
    r.jobs_per_s = total / SecondsSince(t0);
    return r;
  }

 private:
  void StartOne() {
    engine::StartArgs args;
    args.definition_id = "bench-plugin";
    args.variables = {{"n", 1}, {"ledger", {{"household_count", 2}, {"resident_count", 5}}}};
    engine_->Start(starter_, {std::move(args), ""}, [](absl::StatusOr<json> r) {
      if (!r.ok()) Die("start: " + r.status().ToString());
    });
  }

  // On the engine strand, after each commit.
  void OnEvents(const std::vector<store::EventRow>& events) {
    const int64_t now = WallMicros();
    int done = 0;
    for (const auto& e : events) {
      if (e.type == "job.activated") {
        activated_at_[e.instance_id] = now;
      } else if (e.type == "job.completed") {
        auto it = activated_at_.find(e.instance_id);
        if (it != activated_at_.end()) {
          std::lock_guard lock(mu_);
          latency_ms_.push_back((now - it->second) / 1000.0);
          activated_at_.erase(it);
        }
      } else if (e.type == "job.failed") {
        Die(name_ + ": a job failed: " + e.body);
      } else if (e.type == "instance.completed") {
        ++done;
      }
    }
    if (done == 0) return;
    int more = 0;
    {
      std::lock_guard lock(mu_);
      finished_ += done;
      for (; more < done && started_ < total_; ++more) ++started_;
      if (finished_ >= total_) cv_.notify_all();
    }
    for (int i = 0; i < more; ++i) StartOne();
  }

  std::string name_;
  TempDir dir_;
  boost::asio::io_context io_;
  std::unique_ptr<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_ =
      std::make_unique<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>(
          io_.get_executor());
  std::vector<std::thread> threads_;
  SystemClock clock_;
  WorkCalendar calendar_ = WorkCalendar::Empty();
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<plugin::Manager> plugins_;
  engine::Caller starter_{"bench", {}, ""};
  engine::Caller worker_{"builtin", {}, ""};
  int64_t activation_ = 0;
  std::unordered_map<int64_t, int64_t> activated_at_;  // strand only

  std::mutex mu_;
  std::condition_variable cv_;
  int64_t total_ = 0, started_ = 0, finished_ = 0;
  std::vector<double> latency_ms_;
};

double Median(std::vector<double> v) { return Percentile(v, 50); }

}  // namespace
}  // namespace shequ::bench

int main(int argc, char** argv) {
  using namespace shequ::bench;
  int64_t instances = 3000;
  int rounds = 5;
  bool remote = true;
  std::string synchronous = "FULL";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--quick") {
      instances = 1000;
      rounds = 2;
    } else if (a == "--instances" && i + 1 < argc) {
      instances = std::stoll(argv[++i]);
    } else if (a == "--rounds" && i + 1 < argc) {
      rounds = std::stoi(argv[++i]);
    } else if (a == "--synchronous" && i + 1 < argc) {
      synchronous = argv[++i];
    } else if (a == "--no-remote") {
      remote = false;
    } else {
      std::fprintf(stderr,
                   "usage: plugins_bench [--quick] [--instances N] [--rounds N] [--no-remote] "
                   "[--synchronous FULL|NORMAL]\n");
      return 2;
    }
  }
  shequ::SetLogLevel("warn");
  const std::string echo = BuildDir() + "/tests/plugins/libfixture_echo.so";
  const std::string limits =
      "limits: {job_deadline: PT30S, max_concurrent_jobs: " + std::to_string(kConcurrency) + "}\n";
  std::unique_ptr<PythonPlugin> python;
  if (remote) python = std::make_unique<PythonPlugin>();

  struct Way {
    std::string name;
    std::unique_ptr<Harness> harness;
    std::vector<double> rates, ratios, latency;
  };
  std::vector<Way> ways;
  ways.push_back({"builtin", std::make_unique<Harness>("builtin", "bench.echo", "", synchronous)});
  ways.push_back({"inprocess",
                  std::make_unique<Harness>(
                      "inprocess", "fixture.echo",
                      "name: echo\npath: " + echo + "\ninprocess: true\n" + limits, synchronous)});
  ways.push_back({"isolated", std::make_unique<Harness>("isolated", "fixture.echo",
                                                        "name: echo\npath: " + echo + "\n" + limits,
                                                        synchronous)});
  if (remote) {
    ways.push_back({"remote", std::make_unique<Harness>(
                                  "remote", "statistics.population-check",
                                  "name: statistics\naddress: " + python->address() + "\n" + limits,
                                  synchronous)});
  }
  // Warm-up: WAL files, connections, the host's threads.
  for (auto& w : ways) w.harness->Run(std::max<int64_t>(200, instances / 10));

  for (int r = 0; r < rounds; ++r) {
    double builtin = 0;
    for (auto& w : ways) {
      RunResult res = w.harness->Run(instances);
      if (w.name == "builtin") builtin = res.jobs_per_s;
      w.rates.push_back(res.jobs_per_s);
      w.ratios.push_back(res.jobs_per_s / builtin);
      w.latency.insert(w.latency.end(), res.latency_ms.begin(), res.latency_ms.end());
    }
  }

  std::printf(
      "%d rounds of %lld instances per way, %d in flight, %d concurrent jobs, "
      "synchronous=%s\n",
      rounds, static_cast<long long>(instances), kInFlight, kConcurrency, synchronous.c_str());
  std::printf("%-10s %12s %8s %9s %9s\n", "way", "jobs/s", "ratio", "p50 ms", "p99 ms");
  std::map<std::string, std::pair<double, double>> summary;  // ratio, p99
  for (auto& w : ways) {
    const double p50 = Percentile(w.latency, 50);
    const double p99 = Percentile(w.latency, 99);
    std::printf("%-10s %12.0f %8.3f %9.2f %9.2f\n", w.name.c_str(), Median(w.rates),
                Median(w.ratios), p50, p99);
    summary[w.name] = {Median(w.ratios), p99};
  }
  std::printf("DIAG plugins_inprocess ratio=%.3f p99_ms=%.2f\n", summary["inprocess"].first,
              summary["inprocess"].second);
  if (remote) {
    std::printf("DIAG plugins_remote ratio=%.3f p99_ms=%.2f (the Python example, one process)\n",
                summary["remote"].first, summary["remote"].second);
  }
  const double isolated = summary["isolated"].first;
  std::printf(
      "RESULT plugins_isolated ratio=%.3f (median of %d rounds; p99_ms isolated %.2f, "
      "builtin %.2f; synchronous=%s) target>=0.3 %s\n",
      isolated, rounds, summary["isolated"].second, summary["builtin"].second, synchronous.c_str(),
      Verdict(isolated >= 0.3));
  ways.clear();
  return 0;
}
