#pragma once

// How the daemon talks to one plugin, whichever way it runs: in the daemon (a NativePlugin on a
// thread pool) or over gRPC (an isolated host on a UNIX socket, or a remote plugin).

// clang-format off
#include <utility>  // before Boost.Asio with GCC 12 in C++20
// clang-format on

#include <grpcpp/grpcpp.h>

#include <boost/asio.hpp>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "daemon/plugin/native.h"
#include "shequ/plugin/v1/plugin.grpc.pb.h"

namespace shequ::plugin {

// JSON text (job variables, an operation's output), or why not.
using TextDone = std::function<void(absl::StatusOr<std::string>)>;

class Connection {
 public:
  virtual ~Connection() = default;
  // Each calls `done` exactly once, from any thread; past `timeout_ms` with DeadlineExceeded.
  virtual void ExecuteJob(pb::ExecuteJobRequest req, int64_t timeout_ms, TextDone done) = 0;
  virtual void Invoke(pb::InvokeRequest req, int64_t timeout_ms, TextDone done) = 0;
  virtual void Health(int64_t timeout_ms, std::function<void(absl::Status)> done) = 0;
  // Blocking: the supervisor calls them on its own thread.
  virtual absl::StatusOr<pb::Descriptor> Describe(int64_t timeout_ms) = 0;
  virtual absl::Status Shutdown(int64_t timeout_ms) = 0;
};

// A native plugin inside the daemon. Calls run on a pool of `threads`; a call that passes its
// deadline is answered DeadlineExceeded while its thread stays inside the plugin (nothing can
// stop it there): that is why isolation is the default.
class InProcessConnection final : public Connection {
 public:
  InProcessConnection(std::unique_ptr<NativePlugin> plugin, int threads,
                      boost::asio::io_context& io);
  ~InProcessConnection() override;
  void ExecuteJob(pb::ExecuteJobRequest req, int64_t timeout_ms, TextDone done) override;
  void Invoke(pb::InvokeRequest req, int64_t timeout_ms, TextDone done) override;
  void Health(int64_t timeout_ms, std::function<void(absl::Status)> done) override;
  absl::StatusOr<pb::Descriptor> Describe(int64_t timeout_ms) override;
  absl::Status Shutdown(int64_t timeout_ms) override;

 private:
  void Run(std::function<absl::StatusOr<std::string>()> call, int64_t timeout_ms, TextDone done);

  std::shared_ptr<NativePlugin> plugin_;
  // Released, not joined, if a call never returned: joining would hang the daemon's shutdown.
  std::unique_ptr<boost::asio::thread_pool> pool_;
  std::shared_ptr<std::atomic<int>> busy_ = std::make_shared<std::atomic<int>>(0);
  boost::asio::io_context& io_;
};

// shequ.plugin.v1.Plugin over gRPC: "unix:/path" or "host:port".
class GrpcConnection final : public Connection {
 public:
  explicit GrpcConnection(const std::string& address);
  void ExecuteJob(pb::ExecuteJobRequest req, int64_t timeout_ms, TextDone done) override;
  void Invoke(pb::InvokeRequest req, int64_t timeout_ms, TextDone done) override;
  void Health(int64_t timeout_ms, std::function<void(absl::Status)> done) override;
  absl::StatusOr<pb::Descriptor> Describe(int64_t timeout_ms) override;
  absl::Status Shutdown(int64_t timeout_ms) override;

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<pb::Plugin::Stub> stub_;
};

absl::Status FromGrpc(const grpc::Status& s);

}  // namespace shequ::plugin
