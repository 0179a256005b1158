#include "daemon/server/daemon.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <google/protobuf/empty.pb.h>
#include <grpcpp/health_check_service_interface.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/numbers.h"
#include "daemon/auth/chain.h"
#include "daemon/auth/tls.h"
#include "daemon/core/logging.h"
#include "daemon/core/strings.h"
#include "daemon/core/status.h"
#include "daemon/server/audit_service.h"
#include "daemon/server/convert.h"
#include "daemon/server/demo.h"
#include "daemon/server/plugins_service.h"
#include "daemon/server/prometheus.h"
#include "daemon/store/sqlite/sqlite_store.h"

namespace shequ::server {
namespace {

absl::StatusOr<std::pair<std::string, int>> SplitHostPort(const std::string& addr,
                                                          const char* field) {
  auto colon = addr.rfind(':');
  int port = -1;
  if (colon == std::string::npos || !absl::SimpleAtoi(addr.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": '", addr, "' is not host:port"));
  }
  return std::make_pair(addr.substr(0, colon), port);
}

// What an HTTP request presents to prove who is calling, as a gRPC call's would.
auth::Credentials HttpCredentials(const HttpRequest& req) {
  auth::Credentials c;
  auto header = [&req](const char* name) -> std::optional<std::string> {
    auto it = req.headers.find(name);
    if (it == req.headers.end()) return std::nullopt;
    return it->second;
  };
  c.authorization = header("authorization");
  c.user = header("x-shequ-user").value_or("");
  c.roles = header("x-shequ-roles").value_or("");
  c.unit = header("x-shequ-unit").value_or("");
  c.certificate_cn = req.certificate_cn;
  c.certificate_san = req.certificate_san;
  return c;
}

// The gate's refusal as an HTTP answer, its message as the body.
HttpResponse HttpRefusal(const absl::Status& why) {
  const std::string body = absl::StrCat(why.message(), "\n");
  switch (why.code()) {
    case absl::StatusCode::kUnauthenticated:
      return {401, "text/plain; charset=utf-8", body, {{"WWW-Authenticate", "Bearer"}}};
    case absl::StatusCode::kPermissionDenied:
      return {403, "text/plain; charset=utf-8", body};
    case absl::StatusCode::kResourceExhausted:
      return {429, "text/plain; charset=utf-8", body};
    default:
      return {400, "text/plain; charset=utf-8", body};
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<Daemon>> Daemon::Start(const Config& config,
                                                      modules::ModuleList modules) {
  std::unique_ptr<Daemon> d(new Daemon());
  d->config_ = config;
  d->modules_ = std::move(modules);
  if (auto s = d->Init(d->config_); !s.ok()) {
    d->Shutdown();
    return s;
  }
  return d;
}

absl::Status Daemon::Init(const Config& config) {
  auto log = Logger("daemon");
  auto calendar = WorkCalendar::LoadDir(config.calendar_dir);
  if (!calendar.ok()) return calendar.status();
  calendar_ = std::make_unique<WorkCalendar>(*std::move(calendar));
  const int year = std::chrono::year_month_day(std::chrono::floor<std::chrono::days>(
                                                   std::chrono::system_clock::now()))
                       .year()
                       .operator int();
  for (int y : {year, year + 1}) {
    if (!calendar_->Covers(y)) {
      log->warn("no holiday calendar for {} in {}: working days fall back to Monday-Friday", y,
                config.calendar_dir);
    }
  }

  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec) return absl::FailedPreconditionError(absl::StrCat("data_dir: ", ec.message()));
  store::SqliteOptions opts;
  opts.path = (std::filesystem::path(config.data_dir) / "shequd.db").string();
  opts.synchronous = config.synchronous;
  opts.readers = config.store_readers;
  opts.max_size_bytes = config.store_max_size_bytes;
  auto store = store::SqliteStore::Open(opts);
  if (!store.ok()) return store.status();
  store_ = *std::move(store);
  log->info("store: SQLite at {} (synchronous={})", opts.path, opts.synchronous);
  // Each module's tables, migrated before anything reads or writes them.
  for (const auto& m : modules_) {
    store::ModuleSchema schema = m->Schema();
    if (schema.tables.empty() && schema.migrations.empty()) continue;  // keeps no records
    if (auto s = store_->AttachModule(schema); !s.ok()) {
      return absl::Status(s.code(), Cat("module ", m->name(), ": ", s.message()));
    }
  }

  // The audit trail's tables: written by the engine in the same batch as each change.
  if (auto s = store_->AttachModule(auth::audit::Schema()); !s.ok()) {
    return absl::Status(s.code(), Cat("audit trail: ", s.message()));
  }

  if (config.fake_clock) {
    // A fake clock goes on from the time it had reached (decision 0004): never backwards, and
    // not to the wall clock. --fake-clock=EPOCH_MS may move it forward.
    int64_t start = config.fake_clock_start_ms;
    ASSIGN_OR_RETURN(const auto sequences, store_->LoadSequences());
    if (auto it = sequences.find(engine::Engine::kFakeClockSequence); it != sequences.end()) {
      start = std::max(start, it->second);
      log->info("fake clock: going on from {} ms, the time it had reached", start);
    }
    clock_ = std::make_unique<ManualClock>(start ? start : SystemClock().NowMs());
  } else {
    clock_ = std::make_unique<SystemClock>();
  }

  engine::EngineOptions eopts;
  eopts.max_steps = config.max_steps;
  eopts.max_call_depth = config.max_call_depth;
  eopts.max_spawned_instances = config.max_spawned_instances;
  eopts.max_variables_bytes = config.max_variables_bytes;
  eopts.cache_objects = static_cast<size_t>(config.cache_objects);
  eopts.cache_definitions = static_cast<size_t>(config.cache_definitions);
  eopts.request_retention_ms = int64_t{config.request_retention_days} * 86'400'000;
  engine_ = std::make_unique<engine::Engine>(io_, *store_, *clock_, *calendar_, eopts);
  engine_->AddCommitListener([this](const auto& events, const auto& notifications) {
    hub_.Publish(events, notifications);
  });
  if (auto s = engine_->Recover(); !s.ok()) return s;
  const auto in_data_dir = [&](const std::string& set, const char* name) {
    return set.empty() ? (std::filesystem::path(config.data_dir) / name).string() : set;
  };
  auth::AuditOptions aopts;
  aopts.signing_key = in_data_dir(config.audit.signing_key, "audit-signing.key");
  aopts.public_key = in_data_dir(config.audit.public_key, "audit-signing.pub");
  aopts.witness = in_data_dir(config.audit.witness, "audit-checkpoints.log");
  aopts.checkpoint_every = config.audit.checkpoint_every;
  aopts.checkpoint_interval_ms = int64_t{config.audit.checkpoint_minutes} * 60'000;
  aopts.retention_days = config.audit.retention_days;
  aopts.refusals_per_minute = config.audit.refusals_per_minute;
  auto trail = auth::AuditTrail::Open(*store_, *engine_, *clock_, aopts);
  if (!trail.ok()) return trail.status();
  audit_ = *std::move(trail);
  // The modules are opened and recovered, and their built-in steps registered, before the
  // engine runs: a timer due at start must find them.
  const std::string key_file =
      config.personal_data_key.empty()
          ? (std::filesystem::path(config.data_dir) / "personal-data.key").string()
          : config.personal_data_key;
  auto sealer = Sealer::OpenKeyFile(key_file);
  if (!sealer.ok()) return sealer.status();
  sealer_ = std::make_unique<Sealer>(*std::move(sealer));
  if (auto s = OpenModules(); !s.ok()) return s;
  engine_->SetUnitTree(units_);

  work_ = std::make_unique<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>(
      io_.get_executor());
  for (int i = 0; i < 2; ++i) io_threads_.emplace_back([this] { io_.run(); });
  audit_->Start(io_);
  readers_ = std::make_unique<boost::asio::thread_pool>(std::max(2, config.store_readers));

  if (auto s = DeployWorkflows(config.workflows_dir); !s.ok()) return s;
  for (auto& m : modules_) RETURN_IF_ERROR(m->Started());
  if (!config.demo.empty()) {
    for (auto& m : modules_) RETURN_IF_ERROR(m->LoadDemo(config.demo));
    RETURN_IF_ERROR(StartDemoInstances(*engine_, config.demo + "/instances.yaml"));
  }

  plugin::ManagerOptions popts;
  popts.plugins_dir = config.plugins_dir;
  popts.host_binary = config.plugin_host;
  if (popts.host_binary.empty()) {
    std::error_code exe_ec;
    auto exe = std::filesystem::read_symlink("/proc/self/exe", exe_ec);
    popts.host_binary = (exe.parent_path() / "shequ-plugin-host").string();
  }
  popts.socket_dir = (std::filesystem::absolute(config.data_dir) / "run").string();
  plugins_ = std::make_unique<plugin::Manager>(*engine_, io_, popts);
  plugins_->Start();

  const auth::Directory* directory = nullptr;
  for (const auto& m : modules_) {
    if (!directory) directory = m->directory();
  }
  ASSIGN_OR_RETURN(authenticator_, auth::BuildAuthenticator(config, directory, *clock_));
  gate_ = std::make_unique<auth::Gate>(*authenticator_, units_);
  ctx_ = std::make_unique<ServiceContext>(
      ServiceContext{*engine_, *store_, hub_, io_, *readers_,
                     config.fake_clock ? static_cast<ManualClock*>(clock_.get()) : nullptr,
                     static_cast<size_t>(config.max_variables_bytes), units_, *gate_,
                     *authenticator_, sessions_});
  auth::LimitsOptions lopts;
  lopts.fields = auth::DefaultFieldLimits(static_cast<size_t>(config.max_string_bytes),
                                          static_cast<size_t>(config.max_repeated),
                                          static_cast<size_t>(config.max_variables_bytes),
                                          static_cast<size_t>(config.max_import_bytes));
  lopts.calls = {config.rate_per_second, config.rate_burst};
  lopts.jobs = {config.jobs_rate_per_second, config.jobs_rate_burst};
  lopts.max_streams_per_principal = config.max_streams_per_principal;
  limits_ = std::make_unique<auth::Limits>(std::move(lopts));
  ctx_->limits = limits_.get();
  gate_->SetLimits(limits_.get());
  gate_->SetRefusalSink([trail = audit_.get()](const auth::Principal& p, std::string_view method,
                                               const std::string& request_id,
                                               const absl::Status& why) {
    trail->RecordRefusal(p.name, p.roles, std::string(method), request_id, why);
  });
  ctx_->stream_bounds = {static_cast<size_t>(config.stream_queue_messages),
                         static_cast<size_t>(config.stream_queue_bytes)};
  services_.push_back(std::make_unique<DefinitionsService>(*ctx_));
  services_.push_back(std::make_unique<InstancesService>(*ctx_));
  services_.push_back(std::make_unique<TasksService>(*ctx_));
  services_.push_back(std::make_unique<JobsService>(*ctx_));
  services_.push_back(std::make_unique<IncidentsService>(*ctx_));
  services_.push_back(std::make_unique<NotificationsService>(*ctx_));
  services_.push_back(std::make_unique<AdminService>(*ctx_));
  services_.push_back(std::make_unique<PluginsService>(*ctx_, *plugins_));
  services_.push_back(std::make_unique<AuditService>(
      *ctx_, auth::AuditVerifyOptions{opts.path, aopts.witness, audit_->public_key()}));
  for (auto& m : modules_) m->RegisterServices(*ctx_, services_);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  ASSIGN_OR_RETURN(auto credentials, auth::GrpcServerCredentials(config.tls));
  builder.AddListeningPort(config.listen, credentials, &grpc_port_);
  // gRPC sets SO_REUSEPORT by default, which lets a second daemon bind the same port silently
  // and share its connections; a port in use must fail the start.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // limits.max_message_mb: room for 1 MiB of variables plus the rest of the message (rosters
  // arrive in chunks). A larger message is refused with RESOURCE_EXHAUSTED before it is parsed.
  builder.SetMaxReceiveMessageSize(static_cast<int>(config.max_message_bytes));
  for (auto& s : services_) builder.RegisterService(s.get());
  grpc_ = builder.BuildAndStart();
  if (!grpc_ || grpc_port_ == 0) {
    return absl::UnavailableError(absl::StrCat("listen: cannot serve gRPC on ", config.listen));
  }

  auto http_addr = SplitHostPort(config.http, "http");
  if (!http_addr.ok()) return http_addr.status();
  HttpServer::Options http_options;
  if (!config.tls.cert.empty() && config.tls.http) {
    ASSIGN_OR_RETURN(auth::TlsFiles files, auth::LoadTls(config.tls));
    http_options.tls = HttpServer::Tls{files.cert_pem, files.key_pem, files.client_ca_pem};
  }
  http_ = std::make_unique<HttpServer>(
      io_, [this](const HttpRequest& r) { return ServeHttp(r); }, http_options);
  if (auto s = http_->Listen(http_addr->first, http_addr->second); !s.ok()) return s;

  serving_ = true;
  health_timer_ = std::make_unique<boost::asio::steady_timer>(io_);
  WatchHealth();
  return absl::OkStatus();
}

absl::Status Daemon::DeployWorkflows(const std::string& dir) {
  if (!std::filesystem::is_directory(dir)) return absl::OkStatus();
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".yaml") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    std::ifstream in(f);
    std::stringstream text;
    text << in.rdbuf();
    std::promise<absl::StatusOr<engine::json>> done;
    engine_->Deploy({text.str(), ""},
                    [&done](absl::StatusOr<engine::json> r) { done.set_value(r); });
    auto result = done.get_future().get();
    if (!result.ok()) {
      return absl::Status(result.status().code(),
                          absl::StrCat(f.string(), ": ", result.status().message()));
    }
    Logger("daemon")->info("workflow {} version {}{}", (*result)["id"].get<std::string>(),
                           (*result)["version"].get<int>(),
                           (*result)["changed"].get<bool>() ? " deployed" : " (unchanged)");
  }
  return absl::OkStatus();
}

absl::Status Daemon::OpenModules() {
  module_ctx_ = std::make_unique<modules::ModuleContext>(modules::ModuleContext{
      *engine_, *store_, *clock_, *calendar_, *sealer_, config_, nullptr});
  size_t opened = 0;
  module_ctx_->earlier = [this, &opened](std::string_view name) -> modules::Module* {
    for (size_t i = 0; i < opened; ++i) {
      if (modules_[i]->name() == name) return modules_[i].get();
    }
    return nullptr;
  };
  for (; opened < modules_.size(); ++opened) {
    modules::Module& m = *modules_[opened];
    if (auto s = m.Open(*module_ctx_); !s.ok()) {
      return absl::Status(s.code(), Cat("module ", m.name(), ": ", s.message()));
    }
    if (!units_) units_ = m.unit_tree();
  }
  module_ctx_->earlier = [this](std::string_view name) -> modules::Module* {
    for (auto& m : modules_) {
      if (m->name() == name) return m.get();
    }
    return nullptr;
  };
  module_ctx_->modules = [this] {
    std::vector<modules::Module*> all;
    for (auto& m : modules_) all.push_back(m.get());
    return all;
  };
  for (auto& m : modules_) m->RegisterHandlers();
  for (auto& m : modules_) RETURN_IF_ERROR(m->Recover());
  return absl::OkStatus();
}

void Daemon::WatchHealth() {
  // A failed commit makes the store refuse writes for good; tell load balancers at once.
  const bool healthy = store_->Health().ok();
  if (grpc_) {
    if (grpc_->GetHealthCheckService()) grpc_->GetHealthCheckService()->SetServingStatus(healthy && serving_);
  }
  health_timer_->expires_after(std::chrono::milliseconds(200));
  health_timer_->async_wait([this](boost::system::error_code ec) {
    if (!ec) WatchHealth();
  });
}

HttpResponse Daemon::ServeHttp(const HttpRequest& req) {
  // A route is an entry of the authorisation table ("GET /metrics"): one without is refused as
  // unknown before anything else. HEAD is GET without the body.
  const std::string path = req.target.substr(0, req.target.find('?'));
  const std::string route = absl::StrCat(req.method == "HEAD" ? "GET" : req.method, " ", path);
  const auth::Rule* rule = auth::FindRule(route);
  if (rule == nullptr) {
    if (auth::FindRule(absl::StrCat("GET ", path)) != nullptr) {
      return {405, "text/plain", "GET only\n", {{"Allow", "GET, HEAD"}}};
    }
    return {404, "text/plain", "not found: try /healthz, /readyz, /metrics\n"};
  }
  if (rule->access != auth::Access::kPublic) {
    auto caller = gate_->Admit(HttpCredentials(req), route, google::protobuf::Empty());
    if (!caller.ok()) return HttpRefusal(caller.status());
  }
  if (path == "/healthz") return {200, "text/plain", "ok\n"};
  if (path == "/readyz") {
    absl::Status s = store_->Health();
    if (!serving_) return {503, "text/plain", "not serving\n"};
    if (!s.ok()) return {503, "text/plain", absl::StrCat("store: ", s.message(), "\n")};
    return {200, "text/plain", "ready\n"};
  }
  if (path == "/metrics") {
    // Zeros from a store that cannot be read would look like an idle daemon.
    absl::StatusOr<std::string> metrics = Metrics();
    if (!metrics.ok()) {
      return {503, "text/plain", absl::StrCat("store: ", metrics.status().message(), "\n")};
    }
    return {200, "text/plain; version=0.0.4; charset=utf-8", *std::move(metrics)};
  }
  // In the table but not served here: a table entry ahead of its handler.
  return {404, "text/plain", absl::StrCat(route, " is not served by this daemon\n")};
}

absl::StatusOr<std::string> Daemon::Metrics() {
  PrometheusWriter w;
  ASSIGN_OR_RETURN(const store::Counts n, store_->Count());
  w.Gauge("shequ_instances_active", "Workflow instances not yet ended.", n.instances_active);
  w.Gauge("shequ_tasks_open", "User tasks open, claimed or delegated.", n.tasks_open);
  w.Gauge("shequ_jobs_pending", "Jobs waiting for or held by a worker.", n.jobs_pending);
  w.Gauge("shequ_timers_pending", "Durable timers not yet fired.", engine_->TimersPending());
  w.Gauge("shequ_incidents_open", "Incidents waiting for an operator.", n.incidents_open);
  w.Gauge("shequ_notifications_unacked", "Notifications not yet acknowledged.",
          n.notifications_unacked);
  w.Gauge("shequ_store_healthy", "1 while the store accepts writes.", store_->Health().ok());
  store::CommitStats cs = store_->GetCommitStats();
  for (const auto& m : modules_) m->Metrics(w);
  w.Counter("shequ_store_commits_total", "Store transactions committed.", cs.commits);
  w.Counter("shequ_store_records_total", "Records written by committed transactions.", cs.records);
  w.Counter("shequ_store_batches_total", "Engine write batches committed.", cs.batches);
  std::vector<double> group_bounds;
  for (int b = 1; b <= 512; b *= 2) group_bounds.push_back(b);
  auto counts = [](const std::vector<int64_t>& v) { return std::vector<uint64_t>(v.begin(), v.end()); };
  w.Histogram("shequ_store_commit_batches", "Engine write batches per group commit.",
              group_bounds, counts(cs.group_size_buckets), static_cast<double>(cs.batches));
  std::vector<double> latency_bounds = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                        0.01,   0.025,   0.05,   0.1,   0.25};
  w.Histogram("shequ_store_commit_seconds", "Group commit latency, including fsync.",
              latency_bounds, counts(cs.latency_us_buckets), cs.latency_us_sum / 1e6);
  if (plugins_) {
    static const char* kStates[] = {"loaded", "isolated", "restarting", "failed"};
    for (const auto& p : plugins_->List()) {
      for (const char* state : kStates) {
        w.Gauge("shequ_plugin_state",
                "1 for the state each plugin is in (loaded, isolated, restarting, failed).",
                p.state == state, {{"plugin", p.name}, {"state", state}});
      }
      w.Counter("shequ_plugin_restarts_total", "Restarts of a plugin since it was configured.",
                p.restarts, {{"plugin", p.name}});
      w.Counter("shequ_plugin_jobs_total", "Jobs a plugin answered, by result.",
                p.jobs_completed, {{"plugin", p.name}, {"result", "completed"}});
      w.Counter("shequ_plugin_jobs_total", "Jobs a plugin answered, by result.", p.jobs_failed,
                {{"plugin", p.name}, {"result", "failed"}});
      w.Gauge("shequ_plugin_jobs_running", "Jobs a plugin is working on.", p.jobs_running,
              {{"plugin", p.name}});
    }
  }
  return w.str();
}

void Daemon::ReloadPlugins() {
  if (plugins_) plugins_->Reload();
}

void Daemon::Shutdown() {
  if (stopped_) return;
  stopped_ = true;
  auto log = Logger("daemon");
  serving_ = false;
  if (grpc_) {
    if (grpc_->GetHealthCheckService()) grpc_->GetHealthCheckService()->SetServingStatus(false);
    hub_.CloseAll();  // streams would otherwise hold Shutdown until its deadline
    grpc_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  }
  if (http_) http_->Stop();
  if (plugins_) plugins_->Stop();  // hosts shut down while the engine still takes answers
  if (health_timer_) {
    boost::asio::post(io_, [t = health_timer_.get()] { t->cancel(); });
  }
  if (audit_) audit_->Stop();
  if (readers_) readers_->join();
  if (store_) {
    // Let the engine finish what it already queued, then make it durable.
    std::promise<void> drained;
    boost::asio::post(io_, [&drained] { drained.set_value(); });
    if (!io_threads_.empty()) drained.get_future().wait();
    if (absl::Status s = store_->Flush(); !s.ok()) log->error("final flush: {}", s.ToString());
  }
  work_.reset();
  io_.stop();
  for (auto& t : io_threads_) t.join();
  io_threads_.clear();
  if (grpc_) grpc_->Wait();
  plugins_.reset();
  modules_.clear();  // they hold references to the engine and the store
  engine_.reset();
  audit_.reset();
  store_.reset();
  log->info("stopped");
}

Daemon::~Daemon() { Shutdown(); }

}  // namespace shequ::server
