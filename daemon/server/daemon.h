#pragma once

// Wires the daemon together: store, calendar, engine, the domain modules, gRPC services, HTTP,
// and shutdown.

#include <utility>  // before Boost.Asio with GCC 12 in C++20

#include <grpcpp/grpcpp.h>

#include <boost/asio.hpp>
#include <memory>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/auth/principal.h"
#include "daemon/auth/sessions.h"
#include "daemon/core/calendar.h"
#include "daemon/core/clock.h"
#include "daemon/core/config.h"
#include "daemon/core/sealer.h"
#include "daemon/engine/engine.h"
#include "daemon/modules/module.h"
#include "daemon/plugin/manager.h"
#include "daemon/server/http_server.h"
#include "daemon/server/services.h"
#include "daemon/server/streams.h"
#include "daemon/store/store.h"

namespace shequ::server {

class Daemon {
 public:
  // Opens the store, recovers the engine and the modules, deploys config workflows, and starts
  // serving. `modules` are shequd's own (daemon/modules/all.cc) unless a test brings others.
  static absl::StatusOr<std::unique_ptr<Daemon>> Start(
      const Config& config, modules::ModuleList modules = modules::AllModules());
  ~Daemon();

  int grpc_port() const { return grpc_port_; }
  int http_port() const { return http_->port(); }

  // Stops accepting, lets in-flight calls finish, ends streams, flushes the store.
  void Shutdown();

  // SIGHUP: re-reads plugins.d (added, removed, changed plugins); running instances stay.
  void ReloadPlugins();

 private:
  Daemon() = default;
  absl::Status Init(const Config& config);
  absl::Status DeployWorkflows(const std::string& dir);
  absl::Status OpenModules();
  HttpResponse ServeHttp(const HttpRequest& req);
  absl::StatusOr<std::string> Metrics();  // fails when the store cannot be read
  void WatchHealth();

  std::unique_ptr<Clock> clock_;
  std::unique_ptr<WorkCalendar> calendar_;
  std::unique_ptr<store::Store> store_;
  boost::asio::io_context io_;
  std::unique_ptr<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::vector<std::thread> io_threads_;
  std::unique_ptr<boost::asio::thread_pool> readers_;
  std::unique_ptr<engine::Engine> engine_;
  Config config_;
  std::unique_ptr<Sealer> sealer_;
  modules::ModuleList modules_;
  std::unique_ptr<modules::ModuleContext> module_ctx_;
  const engine::UnitTree* units_ = nullptr;  // the first module's that keeps one
  std::unique_ptr<plugin::Manager> plugins_;
  Hub hub_;
  std::unique_ptr<auth::Authenticator> authenticator_;
  auth::Sessions sessions_;
  std::unique_ptr<ServiceContext> ctx_;
  std::vector<std::unique_ptr<grpc::Service>> services_;
  std::unique_ptr<grpc::Server> grpc_;
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<boost::asio::steady_timer> health_timer_;
  std::atomic<bool> serving_{false};
  bool stopped_ = false;
  int grpc_port_ = 0;
};

}  // namespace shequ::server
