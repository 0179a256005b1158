// grpc_bench: Instances/Start calls/s through the real shequd against grpc.health.v1.Health/Check,
// both at the same concurrency (64 calls outstanding), against the same daemon, in one run.
//
// The daemon is the real binary (tests/integration/daemon_process.h): its own temporary data
// directory, SQLite with the configured synchronous=FULL, real clock. Start runs a definition
// that waits at a user task, so one Start costs: reactor validation, engine transaction (instance,
// task, notification, events), group commit with fsync, reply. Health/Check is answered by
// gRPC's built-in health service without touching the engine: it measures the transport, i.e.
// the most a unary call can do on this machine, client included.
//
// Both kinds of call go through the same client code: one channel, grpc::GenericStub with the
// callback API, requests serialized once up front, `--concurrency` slots each re-issuing its
// call as soon as the previous one completes. Phases alternate (Health, Start, Health, Start...)
// so drift in the machine's load hits both; the ratio uses the summed calls and times.
//
//   grpc_bench [--quick] [--seconds S] [--rounds N] [--concurrency C]

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <sys/resource.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <memory>
#include <mutex>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "tests/integration/daemon_process.h"

namespace shequ::bench {
namespace {

constexpr char kWorkflow[] = R"(id: bench-wait
name: start, then wait for a person
start: review
nodes:
  review: {type: user, name: review, role: bench-reviewer, outcomes: [ok], next: done}
  done: {type: end}
)";

struct Phase {
  std::string name;
  int64_t calls = 0;
  int64_t errors = 0;
  double seconds = 0;
  double daemon_cpu_s = 0;
  double client_cpu_s = 0;
  std::vector<int64_t> latency_us;
  std::string first_error;
};

// utime + stime of a process, in seconds.
double ProcessCpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(text.substr(close + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; rest >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::stod(field);
    if (i == 15) break;
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double SelfCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

class LoadRunner {
 public:
  LoadRunner(std::shared_ptr<grpc::Channel> channel, int concurrency)
      : stub_(std::move(channel)), concurrency_(concurrency) {}

  // Keeps `concurrency` calls of `method` outstanding for `seconds`, then drains.
  Phase Run(const std::string& name, const std::string& method, const std::string& request,
            bool identify, double seconds, pid_t daemon) {
    Phase p;
    p.name = name;
    method_ = method;
    request_ = request;
    identify_ = identify;
    slots_.clear();
    slots_.resize(static_cast<size_t>(concurrency_));
    for (auto& s : slots_) s.latency_us.reserve(16384);
    active_ = concurrency_;
    const double cpu0 = ProcessCpuSeconds(daemon), self0 = SelfCpuSeconds();
    const auto t0 = SteadyClock::now();
    deadline_ = t0 + std::chrono::microseconds(static_cast<int64_t>(seconds * 1e6));
    for (auto& s : slots_) Issue(&s);
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return active_ == 0; });
    }
    p.seconds = SecondsSince(t0);
    p.daemon_cpu_s = ProcessCpuSeconds(daemon) - cpu0;
    p.client_cpu_s = SelfCpuSeconds() - self0;
    for (auto& s : slots_) {
      p.calls += static_cast<int64_t>(s.latency_us.size());
      p.errors += s.errors;
      if (p.first_error.empty()) p.first_error = s.first_error;
      p.latency_us.insert(p.latency_us.end(), s.latency_us.begin(), s.latency_us.end());
    }
    return p;
  }

 private:
  struct Slot {
    std::unique_ptr<grpc::ClientContext> ctx;
    grpc::ByteBuffer request, response;
    SteadyClock::time_point sent;
    std::vector<int64_t> latency_us;
    int64_t errors = 0;
    std::string first_error;
  };

  void Issue(Slot* s) {
    s->ctx = std::make_unique<grpc::ClientContext>();
    if (identify_) testing::Identify(s->ctx.get(), "bench-client");
    grpc::Slice slice(request_);
    s->request = grpc::ByteBuffer(&slice, 1);
    s->response.Clear();
    s->sent = SteadyClock::now();
    stub_.UnaryCall(s->ctx.get(), method_, grpc::StubOptions(), &s->request, &s->response,
                    [this, s](grpc::Status status) { Done(s, status); });
  }

  void Done(Slot* s, const grpc::Status& status) {
    const auto now = SteadyClock::now();
    if (status.ok()) {
      s->latency_us.push_back(
          std::chrono::duration_cast<std::chrono::microseconds>(now - s->sent).count());
    } else {
      if (s->errors++ == 0) {
        s->first_error = std::to_string(status.error_code()) + " " + status.error_message();
      }
    }
    if (now < deadline_ && s->errors < 100) {
      Issue(s);
      return;
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (--active_ == 0) cv_.notify_all();
  }

  grpc::GenericStub stub_;
  const int concurrency_;
  std::string method_, request_;
  bool identify_ = false;
  std::vector<Slot> slots_;
  SteadyClock::time_point deadline_;
  std::mutex mu_;
  std::condition_variable cv_;
  int active_ = 0;
};

// A counter from the daemon's /metrics ("name value" lines).
double Metric(const std::string& metrics, const std::string& name) {
  std::smatch m;
  std::regex re("\n" + name + " ([0-9.eE+-]+)");
  if (std::regex_search(metrics, m, re)) return std::stod(m[1]);
  return 0;
}

void Add(Phase& all, const Phase& one) {
  all.calls += one.calls;
  all.errors += one.errors;
  all.seconds += one.seconds;
  all.daemon_cpu_s += one.daemon_cpu_s;
  all.client_cpu_s += one.client_cpu_s;
  all.latency_us.insert(all.latency_us.end(), one.latency_us.begin(), one.latency_us.end());
  if (all.first_error.empty()) all.first_error = one.first_error;
}

void PrintPhase(const Phase& p) {
  std::vector<int64_t> lat = p.latency_us;
  const double rate = static_cast<double>(p.calls) / p.seconds;
  std::printf("%-8s %8lld %7.2f %10.0f %9.2f %9.2f %9.2f %11.0f %10.0f\n", p.name.c_str(),
              static_cast<long long>(p.calls), p.seconds, rate, Percentile(lat, 50) / 1000.0,
              Percentile(lat, 99) / 1000.0, Percentile(lat, 100) / 1000.0,
              p.calls ? p.daemon_cpu_s * 1e6 / static_cast<double>(p.calls) : 0,
              p.calls ? p.client_cpu_s * 1e6 / static_cast<double>(p.calls) : 0);
}

}  // namespace
}  // namespace shequ::bench

int main(int argc, char** argv) {
  using namespace shequ::bench;
  namespace st = shequ::testing;
  const bool quick = HasFlag(argc, argv, "--quick");
  const double seconds = std::stod(FlagValue(argc, argv, "--seconds", quick ? "2" : "6"));
  const int rounds = std::stoi(FlagValue(argc, argv, "--rounds", quick ? "1" : "3"));
  const int concurrency = std::stoi(FlagValue(argc, argv, "--concurrency", "64"));

  std::printf("grpc_bench: Instances/Start vs grpc.health.v1.Health/Check, %d concurrent calls\n",
              concurrency);
  std::printf("  %d rounds x %.0f s per call kind, real shequd (synchronous=FULL); %s\n", rounds,
              seconds, MachineLine().c_str());

  // --address HOST:PORT drives a daemon started by hand (e.g. under valgrind) instead;
  // --daemon-pid then lets the CPU columns read its /proc/PID/stat.
  const std::string address = FlagValue(argc, argv, "--address", "");
  pid_t daemon_pid = std::stoi(FlagValue(argc, argv, "--daemon-pid", "0"));
  TempDir dir("shequ-grpc-bench");
  std::unique_ptr<st::DaemonProcess> daemon;
  std::shared_ptr<grpc::Channel> channel;
  int http_port = 0;
  if (address.empty()) {
    st::DaemonProcess::Options opts;
    opts.data_dir = dir.path();
    opts.fake_clock = false;
    opts.extra_args = {"--log-level", "warn"};
    std::string error;
    daemon = st::DaemonProcess::Start(opts, &error);
    if (!daemon) {
      std::fprintf(stderr, "grpc_bench: %s\n", error.c_str());
      return 1;
    }
    channel = daemon->channel();
    daemon_pid = daemon->pid();
    http_port = daemon->http_port();
  } else {
    channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
    http_port = std::stoi(FlagValue(argc, argv, "--http-port", "0"));
  }
  {
    st::Stubs stubs(channel);
    grpc::ClientContext ctx;
    shequ::v1::DeployRequest req;
    shequ::v1::DeployResponse resp;
    req.set_yaml(kWorkflow);
    grpc::Status s = stubs.definitions->Deploy(&ctx, req, &resp);
    if (!s.ok()) {
      std::fprintf(stderr, "grpc_bench: deploy: %s\n", s.error_message().c_str());
      return 1;
    }
  }
  shequ::v1::StartRequest start;
  start.set_definition_id("bench-wait");
  start.set_business_key("bench");
  start.set_unit("bench-unit");
  start.set_variables(R"({"n":1})");
  const std::string start_bytes = start.SerializeAsString();
  const std::string health_bytes;  // HealthCheckRequest{service: ""} is zero bytes on the wire
  const std::string kStart = "/shequ.v1.Instances/Start";
  const std::string kHealth = "/grpc.health.v1.Health/Check";

  LoadRunner runner(channel, concurrency);
  // Warm-up: connection, thread pools, the daemon's statement caches.
  runner.Run("warm", kHealth, health_bytes, false, quick ? 0.5 : 1.0, daemon_pid);
  runner.Run("warm", kStart, start_bytes, true, quick ? 0.5 : 1.0, daemon_pid);

  Phase health_all, start_all;
  health_all.name = "Health";
  start_all.name = "Start";
  double commits = 0, batches = 0, commit_s = 0;
  Rule(90);
  std::printf("%-8s %8s %7s %10s %9s %9s %9s %11s %10s\n", "call", "calls", "secs", "calls/s",
              "p50 ms", "p99 ms", "max ms", "daemon us/c", "client us/c");
  Rule(90);
  for (int r = 0; r < rounds; ++r) {
    Phase h = runner.Run("Health", kHealth, health_bytes, false, seconds, daemon_pid);
    PrintPhase(h);
    const std::string m0 = (http_port ? st::HttpGet(http_port, "/metrics") : std::string());
    Phase s = runner.Run("Start", kStart, start_bytes, true, seconds, daemon_pid);
    const std::string m1 = (http_port ? st::HttpGet(http_port, "/metrics") : std::string());
    PrintPhase(s);
    commits += Metric(m1, "shequ_store_commits_total") - Metric(m0, "shequ_store_commits_total");
    batches += Metric(m1, "shequ_store_batches_total") - Metric(m0, "shequ_store_batches_total");
    commit_s +=
        Metric(m1, "shequ_store_commit_seconds_sum") - Metric(m0, "shequ_store_commit_seconds_sum");
    Add(health_all, h);
    Add(start_all, s);
  }
  Rule(90);
  PrintPhase(health_all);
  PrintPhase(start_all);
  Rule(90);
  for (const Phase* p : {&health_all, &start_all}) {
    if (p->errors > 0) {
      std::printf("ERRORS: %s: %lld failed calls, first: %s\n", p->name.c_str(),
                  static_cast<long long>(p->errors), p->first_error.c_str());
    }
  }
  const double health_rate = static_cast<double>(health_all.calls) / health_all.seconds;
  const double start_rate = static_cast<double>(start_all.calls) / start_all.seconds;
  std::printf(
      "daemon group commit during Start: %.1f batches per commit, %.2f ms per commit "
      "(%.0f commits)\n",
      commits > 0 ? batches / commits : 0, commits > 0 ? commit_s * 1000 / commits : 0, commits);
  // If both call kinds were bound by CPU alone (daemon + client share the machine), their
  // throughputs would stand in the inverse ratio of the CPU each call costs.
  auto cpu_per_call = [](const Phase& p) {
    return p.calls ? (p.daemon_cpu_s + p.client_cpu_s) * 1e6 / static_cast<double>(p.calls) : 0;
  };
  const double health_cpu = cpu_per_call(health_all), start_cpu = cpu_per_call(start_all);
  std::printf(
      "CPU per call (daemon + client): Health %.0f us, Start %.0f us; busy CPUs during "
      "Health %.2f, during Start %.2f\n",
      health_cpu, start_cpu,
      (health_all.daemon_cpu_s + health_all.client_cpu_s) / health_all.seconds,
      (start_all.daemon_cpu_s + start_all.client_cpu_s) / start_all.seconds);
  std::printf("DIAG grpc_path_cpu_bound_ratio=%.3f (Health CPU per call / Start CPU per call)\n",
              start_cpu > 0 ? health_cpu / start_cpu : 0);
  std::printf("Start calls/s %.0f, Health calls/s %.0f\n", start_rate, health_rate);
  const double ratio = start_rate / health_rate;
  const bool ok = health_all.errors == 0 && start_all.errors == 0;
  std::printf("RESULT grpc_path ratio=%.3f target>=0.5 %s%s\n", ratio, Verdict(ok && ratio >= 0.5),
              ok ? "" : " (calls failed)");
  daemon.reset();
  return ok ? 0 : 1;
}
