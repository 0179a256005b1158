// shequ-plugin-host: loads one native plugin in its own process and serves it as
// shequ.plugin.v1.Plugin on a UNIX socket, so that a plugin that crashes or hangs takes down
// only this process. shequd starts and supervises it (daemon/plugin/manager.h).
//
//   shequ-plugin-host --library PATH --socket unix:/path/to/name.sock
//
// Start-up handshake on stdout, one line: "ready" once serving, or "refused: <why>" and exit
// status 3 when the library is refused (the supervisor does not restart a refused plugin).
// Everything else goes to stderr (the daemon's log).

#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>

#include "daemon/core/logging.h"
#include "daemon/plugin/native.h"
#include "shequ/plugin/v1/plugin.grpc.pb.h"

namespace shequ::plugin {
namespace {

constexpr int kRefused = 3;

grpc::Status ToGrpc(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

// Plugin calls block the handler thread: the synchronous server gives each call its own.
class HostService final : public pb::Plugin::Service {
 public:
  explicit HostService(NativePlugin& plugin) : plugin_(plugin) {}

  grpc::Status Describe(grpc::ServerContext*, const pb::DescribeRequest*,
                        pb::Descriptor* out) override {
    *out = plugin_.descriptor();
    return grpc::Status::OK;
  }
  grpc::Status ExecuteJob(grpc::ServerContext*, const pb::ExecuteJobRequest* req,
                          pb::ExecuteJobResponse* out) override {
    auto r = plugin_.ExecuteJob(*req);
    if (!r.ok()) return ToGrpc(r.status());
    out->set_variables(*std::move(r));
    return grpc::Status::OK;
  }
  grpc::Status Invoke(grpc::ServerContext*, const pb::InvokeRequest* req,
                      pb::InvokeResponse* out) override {
    auto r = plugin_.Invoke(*req);
    if (!r.ok()) return ToGrpc(r.status());
    out->set_output(*std::move(r));
    return grpc::Status::OK;
  }
  grpc::Status Health(grpc::ServerContext*, const pb::HealthRequest*,
                      pb::HealthResponse* out) override {
    absl::Status s = plugin_.Health();
    out->set_serving(s.ok());
    out->set_message(std::string(s.message()));
    return grpc::Status::OK;
  }
  grpc::Status Shutdown(grpc::ServerContext*, const pb::ShutdownRequest*,
                        pb::ShutdownResponse*) override {
    std::lock_guard lock(mu_);
    stop_ = true;
    cv_.notify_all();
    return grpc::Status::OK;
  }

  void AwaitShutdown() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return stop_; });
  }

 private:
  NativePlugin& plugin_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
};

int Usage() {
  std::fputs("usage: shequ-plugin-host --library PATH --socket unix:PATH\n", stderr);
  return 2;
}

int Main(int argc, char** argv) {
  std::string library, socket;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--library") == 0) {
      library = argv[i + 1];
    } else if (std::strcmp(argv[i], "--socket") == 0) {
      socket = argv[i + 1];
    } else {
      return Usage();
    }
  }
  if (library.empty() || socket.rfind("unix:", 0) != 0) return Usage();
  signal(SIGPIPE, SIG_IGN);  // stdout is a pipe the daemon closes after the handshake
  auto log = Logger("plugin-host");
  auto plugin = NativePlugin::Load(library);
  if (!plugin.ok()) {
    std::string why(plugin.status().message());
    std::printf("refused: %s\n", why.c_str());
    std::fflush(stdout);
    return kRefused;
  }
  HostService service(**plugin);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(socket, grpc::InsecureServerCredentials());
  builder.SetMaxReceiveMessageSize(16 << 20);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server) {
    log->error("{}: cannot listen on {}", (*plugin)->descriptor().name(), socket);
    return 1;
  }
  std::printf("ready\n");
  std::fflush(stdout);
  service.AwaitShutdown();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  server->Wait();
  plugin->reset();
  return 0;
}

}  // namespace
}  // namespace shequ::plugin

int main(int argc, char** argv) { return shequ::plugin::Main(argc, argv); }
