#pragma once

// Starts the real shequd binary for integration tests: its own temporary data directory, port
// 0, and (by default) the fake clock, so timer tests never sleep.

#include <grpcpp/grpcpp.h>
#include <sys/types.h>

#include "shequ/v1/admin.grpc.pb.h"
#include "shequ/v1/definitions.grpc.pb.h"
#include "shequ/v1/incidents.grpc.pb.h"
#include "shequ/v1/instances.grpc.pb.h"
#include "shequ/v1/jobs.grpc.pb.h"
#include "shequ/v1/notifications.grpc.pb.h"
#include "shequ/v1/recruitment.grpc.pb.h"
#include "shequ/v1/reviews.grpc.pb.h"
#include "shequ/v1/tasks.grpc.pb.h"
#include "shequ/v1/workforce.grpc.pb.h"

#include <memory>
#include <string>
#include <vector>

namespace shequ::testing {

// Monday 2026-03-02 09:00 in Beijing: a working day, far from holidays.
constexpr int64_t kMonday0900 = 1772413200000;
constexpr int64_t kHour = 3'600'000;
constexpr int64_t kDay = 24 * kHour;

// A fresh directory under $TMPDIR, removed by the caller if it cares.
std::string MakeTempDir(const std::string& prefix);

class DaemonProcess {
 public:
  struct Options {
    std::string data_dir;  // required; reuse it to restart on the same data
    bool fake_clock = true;
    int64_t fake_clock_start_ms = kMonday0900;
    std::string config = std::string(SHEQU_SOURCE_DIR) + "/tests/fixtures/shequd.yaml";
    std::vector<std::string> extra_args;
  };

  // Options for a daemon on `dir`/data, made now (for its log from the first moment), with the
  // config file `config`.
  static Options In(const std::string& dir, const std::string& config);

  // Starts the daemon and waits until it prints where it listens. Returns null on failure;
  // `error` then says why (including the daemon's log).
  static std::unique_ptr<DaemonProcess> Start(const Options& options, std::string* error);
  ~DaemonProcess();  // SIGTERM and wait, SIGKILL if it does not stop

  std::string address() const { return "127.0.0.1:" + std::to_string(grpc_port_); }
  int http_port() const { return http_port_; }
  pid_t pid() const { return pid_; }
  std::shared_ptr<grpc::Channel> channel();

  void Kill();       // SIGKILL, no chance to flush
  int Terminate();   // SIGTERM; returns the exit status
  std::string Log() const;  // what it wrote to stderr

 private:
  pid_t pid_ = -1;
  int grpc_port_ = 0;
  int http_port_ = 0;
  std::string log_path_;
  std::shared_ptr<grpc::Channel> channel_;
};

// One stub per service on a channel.
struct Stubs {
  explicit Stubs(const std::shared_ptr<grpc::Channel>& ch)
      : definitions(v1::Definitions::NewStub(ch)),
        instances(v1::Instances::NewStub(ch)),
        tasks(v1::Tasks::NewStub(ch)),
        jobs(v1::Jobs::NewStub(ch)),
        incidents(v1::Incidents::NewStub(ch)),
        notifications(v1::Notifications::NewStub(ch)),
        admin(v1::Admin::NewStub(ch)),
        workforce(v1::Workforce::NewStub(ch)),
        recruitment(v1::Recruitment::NewStub(ch)),
        reviews(v1::Reviews::NewStub(ch)) {}
  std::unique_ptr<v1::Definitions::Stub> definitions;
  std::unique_ptr<v1::Instances::Stub> instances;
  std::unique_ptr<v1::Tasks::Stub> tasks;
  std::unique_ptr<v1::Jobs::Stub> jobs;
  std::unique_ptr<v1::Incidents::Stub> incidents;
  std::unique_ptr<v1::Notifications::Stub> notifications;
  std::unique_ptr<v1::Admin::Stub> admin;
  std::unique_ptr<v1::Workforce::Stub> workforce;
  std::unique_ptr<v1::Recruitment::Stub> recruitment;
  std::unique_ptr<v1::Reviews::Stub> reviews;
};

// A valid 18-character resident ID number: `first17` (region, birth date, sequence) and its
// check character (GB 11643, ISO 7064 MOD 11-2).
std::string ValidIdNumber(const std::string& first17);

// Names the caller in request metadata, as department systems do.
void Identify(grpc::ClientContext* ctx, const std::string& user, const std::string& roles = "",
              const std::string& unit = "");

// A plain HTTP GET against 127.0.0.1:port; returns "<status> <body>".
// `headers`: more request header lines, each ending in "\r\n".
std::string HttpGet(int port, const std::string& target, const std::string& headers = "");
// The x-shequ-* headers (auth: headers) of the metrics scraper, for GET /metrics.
inline constexpr char kMonitoringHeaders[] =
    "x-shequ-user: system:prometheus\r\nx-shequ-roles: monitoring\r\n";

// The whole file ("" when it cannot be read).
std::string ReadFile(const std::string& path);
// The administrator's API token a daemon in token mode wrote at its first start.
std::string AdminToken(const std::string& data_dir);

}  // namespace shequ::testing
