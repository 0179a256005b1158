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
// The cost of identity: a second daemon in the default token mode takes the same Starts with an
// API token (looked up, hashed and compared per call; every Start leaves its audit entry in both
// daemons), against the first in development mode (auth: headers), in alternating phases:
// RESULT auth_path is Start calls/s with tokens over Start calls/s with headers (target >= 0.9).
//
//   grpc_bench [--quick] [--seconds S] [--rounds N] [--concurrency C]

#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "bench/load_runner.h"
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

// The test fixture's daemon in the default token mode: its paths made absolute, since this
// config lives in a temporary directory.
std::string TokenModeConfig(const std::string& dir) {
  const std::string src = SHEQU_SOURCE_DIR;
  const std::string path = dir + "/shequd-tokens.yaml";
  std::ofstream(path) << "listen: 127.0.0.1:0\nhttp: 127.0.0.1:0\n"
                      << "calendar_dir: " << src << "/config/calendar\n"
                      << "workflows_dir: " << src << "/config/workflows\n"
                      << "policy_dir: " << src << "/config/policy\n"
                      << "store: {synchronous: FULL}\n"
                      << "limits: {rate_per_second: 0, jobs_rate_per_second: 0}\n";
  return path;
}

bool Deploy(const std::shared_ptr<grpc::Channel>& channel, const Who& admin) {
  shequ::testing::Stubs stubs(channel);
  grpc::ClientContext ctx;
  if (!admin.token.empty()) ctx.AddMetadata("authorization", "Bearer " + admin.token);
  if (!admin.user.empty()) shequ::testing::Identify(&ctx, admin.user, admin.roles, admin.unit);
  shequ::v1::DeployRequest req;
  shequ::v1::DeployResponse resp;
  req.set_yaml(kWorkflow);
  grpc::Status s = stubs.definitions->Deploy(&ctx, req, &resp);
  if (!s.ok()) std::fprintf(stderr, "grpc_bench: deploy: %s\n", s.error_message().c_str());
  return s.ok();
}


// The daemon's /metrics, as the development-mode daemon's scraper; "" without an HTTP port.
std::string Metrics(int http_port) {
  if (http_port == 0) return "";
  return shequ::testing::HttpGet(http_port, "/metrics", shequ::testing::kMonitoringHeaders);
}

// A counter from the daemon's /metrics ("name value" lines).
double Metric(const std::string& metrics, const std::string& name) {
  std::smatch m;
  std::regex re("\n" + name + " ([0-9.eE+-]+)");
  if (std::regex_search(metrics, m, re)) return std::stod(m[1]);
  return 0;
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
  const Who kAdmin{"bench-admin", "district-admin", ""};
  if (!Deploy(channel, kAdmin)) return 1;
  // The same Starts with an API token, on a daemon of its own in token mode.
  TempDir token_dir("shequ-grpc-bench-tokens");
  std::unique_ptr<st::DaemonProcess> token_daemon;
  Who token_client;
  if (address.empty()) {
    st::DaemonProcess::Options opts;
    opts.data_dir = token_dir.path() + "/data";
    opts.fake_clock = false;
    opts.config = TokenModeConfig(token_dir.path());
    opts.extra_args = {"--log-level", "warn"};
    std::string error;
    token_daemon = st::DaemonProcess::Start(opts, &error);
    if (!token_daemon) {
      std::fprintf(stderr, "grpc_bench: token-mode daemon: %s\n", error.c_str());
      return 1;
    }
    token_client.token = st::AdminToken(opts.data_dir);
    if (token_client.token.empty() || !Deploy(token_daemon->channel(), token_client)) return 1;
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
  // Start needs a caller the authorisation table lets start instances; Health does not.
  const Who kClient{"bench-client", "leading-group", ""};

  LoadRunner runner(channel, concurrency);
  std::unique_ptr<LoadRunner> token_runner;
  if (token_daemon) {
    token_runner = std::make_unique<LoadRunner>(token_daemon->channel(), concurrency);
    token_runner->RunFor("warm", kStart, start_bytes, quick ? 0.5 : 1.0, token_daemon->pid(),
                         token_client);
  }
  // Warm-up: connection, thread pools, the daemon's statement caches.
  runner.RunFor("warm", kHealth, health_bytes, quick ? 0.5 : 1.0, daemon_pid);
  runner.RunFor("warm", kStart, start_bytes, quick ? 0.5 : 1.0, daemon_pid, kClient);

  Phase health_all, start_all, token_all;
  health_all.name = "Health";
  start_all.name = "Start";
  token_all.name = "Start+token";
  double commits = 0, batches = 0, commit_s = 0;
  Rule(kPhaseWidth);
  PrintPhaseHeader();
  Rule(kPhaseWidth);
  for (int r = 0; r < rounds; ++r) {
    Phase h = runner.RunFor("Health", kHealth, health_bytes, seconds, daemon_pid);
    PrintPhase(h);
    const std::string m0 = Metrics(http_port);
    Phase s = runner.RunFor("Start", kStart, start_bytes, seconds, daemon_pid, kClient);
    const std::string m1 = Metrics(http_port);
    PrintPhase(s);
    commits += Metric(m1, "shequ_store_commits_total") - Metric(m0, "shequ_store_commits_total");
    batches += Metric(m1, "shequ_store_batches_total") - Metric(m0, "shequ_store_batches_total");
    commit_s +=
        Metric(m1, "shequ_store_commit_seconds_sum") - Metric(m0, "shequ_store_commit_seconds_sum");
    Add(health_all, h);
    Add(start_all, s);
    if (token_runner) {
      Phase t = token_runner->RunFor("Start+token", kStart, start_bytes, seconds,
                                     token_daemon->pid(), token_client);
      PrintPhase(t);
      Add(token_all, t);
    }
  }
  Rule(kPhaseWidth);
  PrintPhase(health_all);
  PrintPhase(start_all);
  if (token_runner) PrintPhase(token_all);
  Rule(kPhaseWidth);
  PrintErrors(health_all);
  PrintErrors(start_all);
  if (token_runner) PrintErrors(token_all);
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
  bool auth_ok = true;
  if (token_runner) {
    const double token_rate = static_cast<double>(token_all.calls) / token_all.seconds;
    const double auth_ratio = token_rate / start_rate;
    auth_ok = token_all.errors == 0;
    std::printf("Start calls/s with an API token %.0f, with auth: headers %.0f\n", token_rate,
                start_rate);
    std::printf("RESULT auth_path ratio=%.3f target>=0.9 %s%s\n", auth_ratio,
                Verdict(ok && auth_ok && auth_ratio >= 0.9), auth_ok ? "" : " (calls failed)");
  }
  token_daemon.reset();
  daemon.reset();
  return ok && auth_ok ? 0 : 1;
}
