// shequd: flags, config, Daemon construction — nothing else.

#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>

#include "absl/strings/numbers.h"
#include "daemon/core/config.h"
#include "daemon/core/logging.h"
#include "daemon/server/daemon.h"

namespace {

constexpr char kUsage[] = R"(usage: shequd [--config FILE] [--listen HOST:PORT] [--http HOST:PORT]
              [--data-dir DIR] [--fake-clock[=EPOCH_MS]] [--log-level LEVEL]

  --config      config file (default config/shequd.yaml)
  --listen      gRPC address (port 0 picks a free port)
  --http        health and metrics address
  --data-dir    where the SQLite database lives
  --fake-clock  run on a manual clock moved by Admin/AdvanceClock (tests, demos)
  --log-level   trace, debug, info, warn, error
)";

int Fail(const std::string& message) {
  std::fprintf(stderr, "shequd: %s\n", message.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path = "config/shequd.yaml";
  std::string listen, http, data_dir, log_level;
  bool fake_clock = false;
  int64_t fake_start = 0;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char* flag) -> std::string {
      std::string prefix = std::string(flag) + "=";
      if (arg.rfind(prefix, 0) == 0) return arg.substr(prefix.size());
      if (i + 1 >= argc) {
        std::fprintf(stderr, "shequd: %s needs a value\n", flag);
        std::exit(2);
      }
      return argv[++i];
    };
    auto is = [&](const char* flag) {
      return arg == flag || arg.rfind(std::string(flag) + "=", 0) == 0;
    };
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (is("--config")) {
      config_path = value("--config");
    } else if (is("--listen")) {
      listen = value("--listen");
    } else if (is("--http")) {
      http = value("--http");
    } else if (is("--data-dir")) {
      data_dir = value("--data-dir");
    } else if (is("--log-level")) {
      log_level = value("--log-level");
    } else if (arg == "--fake-clock") {
      fake_clock = true;
    } else if (arg.rfind("--fake-clock=", 0) == 0) {
      fake_clock = true;
      if (!absl::SimpleAtoi(arg.substr(13), &fake_start) || fake_start <= 0) {
        return Fail("--fake-clock=EPOCH_MS: expected milliseconds since 1970");
      }
    } else {
      std::fputs(kUsage, stderr);
      return Fail("unknown argument: " + arg);
    }
  }

  auto config = shequ::LoadConfig(config_path);
  if (!config.ok()) return Fail(config.status().ToString());
  if (!listen.empty()) config->listen = listen;
  if (!http.empty()) config->http = http;
  if (!data_dir.empty()) config->data_dir = data_dir;
  if (!log_level.empty()) config->log_level = log_level;
  config->fake_clock = fake_clock;
  config->fake_clock_start_ms = fake_start;
  shequ::SetLogLevel(config->log_level);

  // Block the stop signals and SIGHUP (reload) before any thread starts, then wait here.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  auto daemon = shequ::server::Daemon::Start(*config);
  if (!daemon.ok()) return Fail(daemon.status().ToString());
  std::printf("shequd serving gRPC on %s:%d and HTTP on %s:%d%s\n",
              config->listen.substr(0, config->listen.rfind(':')).c_str(), (*daemon)->grpc_port(),
              config->http.substr(0, config->http.rfind(':')).c_str(), (*daemon)->http_port(),
              fake_clock ? " (fake clock)" : "");
  std::fflush(stdout);

  int sig = 0;
  for (;;) {
    sigwait(&stop, &sig);
    if (sig != SIGHUP) break;
    shequ::Logger("daemon")->info("SIGHUP received, reloading plugins.d");
    (*daemon)->ReloadPlugins();
  }
  shequ::Logger("daemon")->info("{} received, shutting down", strsignal(sig));
  (*daemon)->Shutdown();
  return 0;
}
