#include "daemon/plugin/connection.h"

#include <atomic>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "daemon/core/logging.h"

namespace shequ::plugin {
namespace {

std::chrono::system_clock::time_point After(int64_t ms) {
  return std::chrono::system_clock::now() + std::chrono::milliseconds(ms);
}

}  // namespace

absl::Status FromGrpc(const grpc::Status& s) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}

// ---- InProcessConnection --------------------------------------------------------------------

InProcessConnection::InProcessConnection(std::unique_ptr<NativePlugin> plugin, int threads,
                                         boost::asio::io_context& io)
    : plugin_(std::move(plugin)),
      pool_(std::make_unique<boost::asio::thread_pool>(threads + 1)),
      io_(io) {}

InProcessConnection::~InProcessConnection() {
  if (busy_->load() > 0) {
    Logger("plugin")->warn("plugin {}: {} calls never returned; leaving their threads behind",
                           plugin_->descriptor().name(), busy_->load());
    pool_->stop();
    (void)pool_.release();
    return;
  }
  pool_->join();
}

void InProcessConnection::Run(std::function<absl::StatusOr<std::string>()> call, int64_t timeout_ms,
                              TextDone done) {
  struct Race {
    std::atomic<bool> answered{false};
    TextDone done;
    boost::asio::strand<boost::asio::io_context::executor_type> strand;
    boost::asio::steady_timer timer;
    explicit Race(boost::asio::io_context& io)
        : strand(boost::asio::make_strand(io)), timer(strand) {}
  };
  auto race = std::make_shared<Race>(io_);
  race->done = std::move(done);
  race->timer.expires_after(std::chrono::milliseconds(timeout_ms));
  race->timer.async_wait([race, timeout_ms](boost::system::error_code ec) {
    if (ec || race->answered.exchange(true)) return;
    race->done(absl::DeadlineExceededError(absl::StrCat(
        "no answer within the deadline of ", timeout_ms, " ms (the call is still running)")));
  });
  busy_->fetch_add(1);
  boost::asio::post(*pool_, [race, busy = busy_, call = std::move(call)] {
    absl::StatusOr<std::string> result = call();
    busy->fetch_sub(1);
    if (race->answered.exchange(true)) return;
    boost::asio::post(race->strand, [race] { race->timer.cancel(); });
    race->done(std::move(result));
  });
}

void InProcessConnection::ExecuteJob(pb::ExecuteJobRequest req, int64_t timeout_ms, TextDone done) {
  Run([plugin = plugin_, req = std::move(req)] { return plugin->ExecuteJob(req); }, timeout_ms,
      std::move(done));
}

void InProcessConnection::Invoke(pb::InvokeRequest req, int64_t timeout_ms, TextDone done) {
  Run([plugin = plugin_, req = std::move(req)] { return plugin->Invoke(req); }, timeout_ms,
      std::move(done));
}

void InProcessConnection::Health(int64_t timeout_ms, std::function<void(absl::Status)> done) {
  Run(
      [plugin = plugin_]() -> absl::StatusOr<std::string> {
        absl::Status s = plugin->Health();
        if (!s.ok()) return s;
        return std::string();
      },
      timeout_ms, [done = std::move(done)](absl::StatusOr<std::string> r) { done(r.status()); });
}

absl::StatusOr<pb::Descriptor> InProcessConnection::Describe(int64_t) {
  return plugin_->descriptor();
}

absl::Status InProcessConnection::Shutdown(int64_t) { return absl::OkStatus(); }

// ---- GrpcConnection -------------------------------------------------------------------------

GrpcConnection::GrpcConnection(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(16 << 20);
  args.SetMaxSendMessageSize(16 << 20);
  // Reconnect quickly after a host restarts: its socket is back within a second.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  channel_ = grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
  stub_ = pb::Plugin::NewStub(channel_);
}

void GrpcConnection::ExecuteJob(pb::ExecuteJobRequest req, int64_t timeout_ms, TextDone done) {
  struct Call {
    grpc::ClientContext ctx;
    pb::ExecuteJobRequest req;
    pb::ExecuteJobResponse resp;
    TextDone done;
  };
  auto* call = new Call;
  call->req = std::move(req);
  call->done = std::move(done);
  call->ctx.set_deadline(After(timeout_ms));
  stub_->async()->ExecuteJob(&call->ctx, &call->req, &call->resp, [call](grpc::Status s) {
    std::unique_ptr<Call> owned(call);
    if (!s.ok()) {
      owned->done(FromGrpc(s));
    } else {
      owned->done(std::move(*owned->resp.mutable_variables()));
    }
  });
}

void GrpcConnection::Invoke(pb::InvokeRequest req, int64_t timeout_ms, TextDone done) {
  struct Call {
    grpc::ClientContext ctx;
    pb::InvokeRequest req;
    pb::InvokeResponse resp;
    TextDone done;
  };
  auto* call = new Call;
  call->req = std::move(req);
  call->done = std::move(done);
  call->ctx.set_deadline(After(timeout_ms));
  stub_->async()->Invoke(&call->ctx, &call->req, &call->resp, [call](grpc::Status s) {
    std::unique_ptr<Call> owned(call);
    if (!s.ok()) {
      owned->done(FromGrpc(s));
    } else {
      owned->done(std::move(*owned->resp.mutable_output()));
    }
  });
}

void GrpcConnection::Health(int64_t timeout_ms, std::function<void(absl::Status)> done) {
  struct Call {
    grpc::ClientContext ctx;
    pb::HealthRequest req;
    pb::HealthResponse resp;
    std::function<void(absl::Status)> done;
  };
  auto* call = new Call;
  call->done = std::move(done);
  call->ctx.set_deadline(After(timeout_ms));
  stub_->async()->Health(&call->ctx, &call->req, &call->resp, [call](grpc::Status s) {
    std::unique_ptr<Call> owned(call);
    if (!s.ok()) {
      owned->done(FromGrpc(s));
    } else if (!owned->resp.serving()) {
      owned->done(absl::UnavailableError(absl::StrCat("not serving: ", owned->resp.message())));
    } else {
      owned->done(absl::OkStatus());
    }
  });
}

absl::StatusOr<pb::Descriptor> GrpcConnection::Describe(int64_t timeout_ms) {
  grpc::ClientContext ctx;
  ctx.set_deadline(After(timeout_ms));
  // The remote may still be starting: wait for the connection up to the deadline.
  ctx.set_wait_for_ready(true);
  pb::DescribeRequest req;
  req.set_host_protocol_version(kProtocolVersion);
  pb::Descriptor d;
  grpc::Status s = stub_->Describe(&ctx, req, &d);
  if (!s.ok()) return FromGrpc(s);
  return d;
}

absl::Status GrpcConnection::Shutdown(int64_t timeout_ms) {
  grpc::ClientContext ctx;
  ctx.set_deadline(After(timeout_ms));
  pb::ShutdownResponse resp;
  return FromGrpc(stub_->Shutdown(&ctx, pb::ShutdownRequest(), &resp));
}

}  // namespace shequ::plugin
