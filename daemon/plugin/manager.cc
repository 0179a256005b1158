#include "daemon/plugin/manager.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <future>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daemon/core/json_depth.h"
#include "daemon/core/logging.h"
#include "daemon/core/status.h"

namespace shequ::plugin {
namespace {

using engine::json;

constexpr int64_t kHandshakeMs = 10'000;  // host start-up until "ready"
constexpr int64_t kDescribeMs = 5'000;
constexpr int64_t kShutdownMs = 2'000;
// The engine's lock on a job outlives the plugin's deadline, so a job is handed out again only
// if the daemon itself lost it (a restart while the job ran).
constexpr int64_t kLockMarginMs = 60'000;

std::shared_ptr<spdlog::logger> Log() { return Logger("plugin"); }

std::string ExitText(int status) {
  if (WIFSIGNALED(status)) {
    return absl::StrCat("host died of signal ", WTERMSIG(status), " (", strsignal(WTERMSIG(status)),
                        ")");
  }
  if (WIFEXITED(status)) return absl::StrCat("host exited with status ", WEXITSTATUS(status));
  return "host stopped";
}

struct Spawned {
  pid_t pid = -1;
  std::shared_ptr<Connection> conn;
  pb::Descriptor descriptor;
};

// Kills and reaps a host that never became one of ours.
void Reap(pid_t pid) {
  kill(pid, SIGKILL);
  while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

// Starts shequ-plugin-host for `library` on `socket` and waits for its handshake line.
// Refusals (the library is wrong) come back as FailedPrecondition and friends; anything that
// a restart may cure as Unavailable.
absl::StatusOr<Spawned> SpawnHost(const std::string& binary, const std::string& library,
                                  const std::string& socket) {
  if (access(binary.c_str(), X_OK) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(binary, ": shequ-plugin-host not found or not executable"));
  }
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return absl::UnavailableError("pipe2 failed");
  const pid_t parent = getpid();
  std::vector<std::string> args = {binary, "--library", library, "--socket", "unix:" + socket};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return absl::UnavailableError(absl::StrCat("fork failed: ", strerror(errno)));
  }
  if (pid == 0) {
    // Only async-signal-safe calls until exec. The daemon blocks its stop signals; the host
    // must not inherit that. It dies with the supervisor thread that forked it.
    sigset_t none;
    sigemptyset(&none);
    pthread_sigmask(SIG_SETMASK, &none, nullptr);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    dup2(fds[1], STDOUT_FILENO);
    close_range(3, ~0U, 0);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(fds[1]);
  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kHandshakeMs);
  bool eof = false;
  while (line.find('\n') == std::string::npos && !eof) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    pollfd p{fds[0], POLLIN, 0};
    if (left <= 0 || poll(&p, 1, static_cast<int>(left)) == 0) break;
    char buf[1024];
    const ssize_t n = read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      eof = true;
    } else {
      line.append(buf, n);
    }
  }
  close(fds[0]);
  line = line.substr(0, line.find('\n'));
  if (line == "ready") {
    Spawned s;
    s.pid = pid;
    s.conn = std::make_shared<GrpcConnection>("unix:" + socket);
    auto d = s.conn->Describe(kDescribeMs);
    if (!d.ok()) {
      Reap(pid);
      return absl::UnavailableError(
          absl::StrCat("handshake: Describe failed: ", d.status().message()));
    }
    s.descriptor = *std::move(d);
    return s;
  }
  if (line.rfind("refused: ", 0) == 0) {
    Reap(pid);
    return absl::FailedPreconditionError(line.substr(9));
  }
  int status = 0;
  kill(pid, SIGKILL);
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return absl::UnavailableError(
      eof ? absl::StrCat("host ended before its handshake: ", ExitText(status))
          : "host gave no handshake within 10 s");
}

}  // namespace

struct Counters {
  std::atomic<int64_t> completed{0};
  std::atomic<int64_t> failed{0};
  std::atomic<int> running{0};
};

// What callbacks arriving late (a gRPC answer after Stop) may still reach; null once stopped.
struct Manager::Shared {
  std::mutex mu;
  engine::Engine* engine = nullptr;
  boost::asio::io_context* sup = nullptr;
  Manager* manager = nullptr;

  void Post(std::function<void(Manager&)> fn) {
    std::lock_guard lock(mu);
    if (sup) boost::asio::post(*sup, [m = manager, fn = std::move(fn)] { fn(*m); });
  }
};

struct Manager::Entry {
  explicit Entry(boost::asio::io_context& io) : timer(io) {}
  PluginConfig config;
  std::string state = "restarting";
  std::string last_error;
  std::string kill_reason;
  int restarts = 0;
  int64_t backoff_ms = 0;
  bool described = false;
  pb::Descriptor descriptor;
  std::shared_ptr<Connection> conn;
  pid_t pid = -1;
  std::thread waiter;
  std::shared_future<int> exited;
  int64_t activation = 0;
  uint64_t generation = 0;  // bumped at every start and stop: stale callbacks ignore themselves
  boost::asio::steady_timer timer;  // restart back-off or the next health ping
  std::shared_ptr<Counters> counters = std::make_shared<Counters>();
};

struct Manager::JobCall {
  std::string plugin;
  std::shared_ptr<Counters> counters;
  int64_t job_id = 0;
  int attempt = 0;  // the hand-out this call answers
  int64_t activation = 0;
  uint64_t generation = 0;
  bool isolated = false;
  int64_t deadline_ms = 0;
};

Manager::Manager(engine::Engine& engine, boost::asio::io_context& io, ManagerOptions options)
    : engine_(engine), io_(io), options_(std::move(options)), shared_(std::make_shared<Shared>()) {
  shared_->engine = &engine_;
  shared_->sup = &sup_io_;
  shared_->manager = this;
  work_ =
      std::make_unique<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>(
          sup_io_.get_executor());
  sup_thread_ = std::thread([this] { sup_io_.run(); });
}

Manager::~Manager() { Stop(); }

void Manager::RunOnSupervisor(std::function<void()> fn) {
  std::promise<void> done;
  boost::asio::post(sup_io_, [&] {
    fn();
    done.set_value();
  });
  done.get_future().wait();
}

void Manager::Start() { Reload(); }

void Manager::Reload() {
  if (options_.plugins_dir.empty()) return;
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
  }
  RunOnSupervisor([this] { ApplyConfig(); });
}

void Manager::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  {
    // Late answers of running jobs are dropped: their jobs stay locked in the store and are
    // handed out again when the lock expires after the restart.
    std::lock_guard lock(shared_->mu);
    shared_->engine = nullptr;
    shared_->sup = nullptr;
  }
  RunOnSupervisor([this] {
    for (auto& [name, e] : entries_) StopEntry(e);
  });
  work_.reset();
  sup_io_.stop();
  if (sup_thread_.joinable()) sup_thread_.join();
}

void Manager::ApplyConfig() {
  std::vector<std::string> errors;
  std::vector<PluginConfig> configs = LoadPluginsDir(options_.plugins_dir, &errors);
  for (const auto& e : errors) Log()->error("plugins.d: {}", e);
  std::map<std::string, PluginConfig> wanted;
  for (auto& c : configs) wanted.emplace(c.name, std::move(c));

  // Stop the removed and changed plugins first, so their job types are free again.
  std::vector<std::shared_ptr<Entry>> to_start;
  for (auto it = entries_.begin(); it != entries_.end();) {
    auto w = wanted.find(it->first);
    if (w == wanted.end()) {
      Log()->info("plugin {}: removed from plugins.d, stopping it", it->first);
      StopEntry(it->second);
      std::lock_guard lock(mu_);
      it = entries_.erase(it);
      continue;
    }
    if (!(w->second == it->second->config)) {
      Log()->info("plugin {}: configuration changed, restarting it", it->first);
      StopEntry(it->second);
      std::lock_guard lock(mu_);
      it->second->config = w->second;
      it->second->restarts = 0;
      it->second->last_error.clear();
      to_start.push_back(it->second);
    } else if (it->second->state == "failed") {
      to_start.push_back(it->second);  // a reload is the operator's retry
    }
    ++it;
  }
  for (auto& [name, config] : wanted) {
    if (entries_.count(name)) continue;
    auto e = std::make_shared<Entry>(sup_io_);
    e->config = config;
    {
      std::lock_guard lock(mu_);
      entries_.emplace(name, e);
    }
    to_start.push_back(e);
  }
  for (auto& e : to_start) {
    e->backoff_ms = e->config.limits.restart_backoff_ms;
    StartEntry(e);
  }
}

void Manager::StartEntry(const std::shared_ptr<Entry>& e) {
  ++e->generation;
  e->timer.cancel();
  e->kill_reason.clear();
  const PluginConfig& c = e->config;
  const std::string isolation = c.Isolation();
  if (isolation == "inprocess") {
    auto native = NativePlugin::Load(c.path);
    if (!native.ok()) return SetFailed(e, std::string(native.status().message()));
    pb::Descriptor d = (*native)->descriptor();
    auto conn = std::make_shared<InProcessConnection>(*std::move(native),
                                                      c.limits.max_concurrent_jobs, io_);
    return Admit(e, std::move(conn), std::move(d), "loaded");
  }
  if (isolation == "isolated") {
    absl::Status s = StartIsolated(e);
    if (s.ok()) return;
    if (absl::IsUnavailable(s)) return ScheduleRestart(e, std::string(s.message()));
    return SetFailed(e, std::string(s.message()));
  }
  auto conn = std::make_shared<GrpcConnection>(c.address);
  auto d = conn->Describe(std::min<int64_t>(kDescribeMs, c.limits.health_interval_ms));
  if (!d.ok()) {
    return ScheduleRestart(e,
                           absl::StrCat(c.address, ": handshake failed: ", d.status().message()));
  }
  Admit(e, std::move(conn), *std::move(d), "loaded");
}

absl::Status Manager::StartIsolated(const std::shared_ptr<Entry>& e) {
  const PluginConfig& c = e->config;
  RETURN_IF_ERROR(CheckLibraryFile(c.path));
  std::error_code ec;
  std::filesystem::create_directories(options_.socket_dir, ec);
  const std::string socket = options_.socket_dir + "/" + c.name + ".sock";
  if (socket.size() >= 100) {  // sockaddr_un holds 108 bytes
    return absl::FailedPreconditionError(
        absl::StrCat(socket, ": too long for a UNIX socket; use a shorter data_dir"));
  }
  std::filesystem::remove(socket, ec);
  ASSIGN_OR_RETURN(Spawned s, SpawnHost(options_.host_binary, c.path, socket));
  e->pid = s.pid;
  auto exited = std::make_shared<std::promise<int>>();
  e->exited = exited->get_future().share();
  e->waiter =
      std::thread([shared = shared_, name = c.name, gen = e->generation, pid = s.pid, exited] {
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        exited->set_value(status);
        shared->Post([name, gen, status](Manager& m) { m.HostExited(name, gen, status); });
      });
  Admit(e, std::move(s.conn), std::move(s.descriptor), "isolated");
  return absl::OkStatus();
}

void Manager::Admit(const std::shared_ptr<Entry>& e, std::shared_ptr<Connection> conn,
                    pb::Descriptor d, const std::string& state) {
  const PluginConfig& c = e->config;
  if (auto s = ValidateDescriptor(d); !s.ok()) {
    return SetFailed(e, absl::StrCat("refused, descriptor ", s.message()));
  }
  if (d.name() != c.name) {
    return SetFailed(e, absl::StrCat("refused, the plugin calls itself '", d.name(), "' but ",
                                     c.file, " names it '", c.name, "'"));
  }
  for (const auto& [name, other] : entries_) {
    if (other == e || !other->conn) continue;
    for (const auto& mine : d.job_types()) {
      for (const auto& theirs : other->descriptor.job_types()) {
        if (mine.type() == theirs.type()) {
          return SetFailed(e, absl::StrCat("refused, job type '", mine.type(),
                                           "' is already served by plugin ", name));
        }
      }
    }
  }
  {
    std::lock_guard lock(mu_);
    e->conn = conn;
    e->descriptor = std::move(d);
    e->described = true;
    e->state = state;
  }
  std::vector<std::string> types;
  for (const auto& jt : e->descriptor.job_types()) types.push_back(jt.type());
  Log()->info("plugin {} ({} {}) {}{}: {} job types [{}]", c.name, e->descriptor.department(),
              e->descriptor.version(), state,
              e->pid > 0 ? absl::StrCat(" in pid ", e->pid) : std::string(), types.size(),
              absl::StrJoin(types, ", "));
  if (!types.empty()) {
    // The sink runs on the engine strand: it only starts the call.
    auto activation = std::make_shared<std::atomic<int64_t>>(0);
    auto sink = [shared = shared_, conn, activation, name = c.name, counters = e->counters,
                 gen = e->generation, isolated = state == "isolated",
                 deadline = c.limits.job_deadline_ms](const engine::Job& job,
                                                      const json& variables) {
      pb::ExecuteJobRequest req;
      req.set_job_id(job.id);
      req.set_type(job.type);
      req.set_variables(variables.dump());
      req.set_instance_id(job.instance_id);
      req.set_definition_id(job.definition_id);
      req.set_node_id(job.node);
      req.set_attempt(job.attempt);
      req.set_retries_left(job.retries_left);
      JobCall call{name, counters, job.id,   job.attempt, activation->load(),
                   gen,  isolated, deadline};
      counters->running++;
      conn->ExecuteJob(std::move(req), deadline,
                       [shared, call = std::move(call)](absl::StatusOr<std::string> r) {
                         Finish(shared, call, std::move(r));
                       });
      return true;  // a failed call fails the job (and retries it) in Finish
    };
    e->activation = engine_.OpenActivation(types, "plugin:" + c.name,
                                           c.limits.job_deadline_ms + kLockMarginMs, sink);
    activation->store(e->activation);
    for (int i = 0; i < c.limits.max_concurrent_jobs; ++i) engine_.RequestJob(e->activation);
  }
  if (state != "loaded" || c.Isolation() == "remote") ScheduleHealth(e);
}

void Manager::Finish(const std::shared_ptr<Shared>& shared, const JobCall& call,
                     absl::StatusOr<std::string> result) {
  call.counters->running--;
  absl::Status status = result.status();
  json variables;
  if (result.ok()) {
    absl::Status too_deep;
    variables = ParseBoundedJson(*result, "variables", &too_deep);
    if (!too_deep.ok()) {
      status = absl::InternalError(absl::StrCat("returned ", too_deep.message()));
    } else if (variables.is_discarded() || !variables.is_object()) {
      // The text itself is not logged: it may carry personal data.
      status = absl::InternalError(absl::StrCat("returned ", result->size(),
                                                " bytes that are not a JSON object of variables"));
    }
  }
  std::lock_guard lock(shared->mu);
  if (!shared->engine) return;
  engine::Engine& engine = *shared->engine;
  const engine::Caller caller{"plugin:" + call.plugin, {}, ""};
  if (status.ok()) {
    call.counters->completed++;
    engine.CompleteJob(caller, {{call.job_id, call.attempt}, std::move(variables), ""},
                       [plugin = call.plugin, id = call.job_id](absl::StatusOr<json> r) {
                         if (!r.ok()) {
                           Log()->warn("plugin {}: job {} not completed: {}", plugin, id,
                                       r.status().ToString());
                         }
                       });
  } else {
    call.counters->failed++;
    const bool timed_out = absl::IsDeadlineExceeded(status);
    // Wrong input will not get better by retrying: an incident at once.
    const bool permanent = absl::IsInvalidArgument(status) || absl::IsFailedPrecondition(status);
    const std::string error =
        timed_out ? absl::StrCat("plugin ", call.plugin, ": no answer within the job deadline of ",
                                 call.deadline_ms, " ms")
                  : absl::StrCat("plugin ", call.plugin, ": ",
                                 absl::StatusCodeToString(status.code()), ": ", status.message());
    Log()->warn("job {} failed: {}", call.job_id, error);
    engine.FailJob(caller, {{call.job_id, call.attempt}, error, permanent ? 0 : -1, ""},
                   [plugin = call.plugin, id = call.job_id](absl::StatusOr<json> r) {
                     if (!r.ok()) {
                       Log()->warn("plugin {}: job {} not failed: {}", plugin, id,
                                   r.status().ToString());
                     }
                   });
    if (timed_out && call.isolated && shared->sup) {
      // The plugin is stuck in a call nothing can interrupt: only killing its host frees it.
      boost::asio::post(*shared->sup, [m = shared->manager, call, error] {
        m->KillHost(call.plugin, call.generation, error);
      });
    }
  }
  engine.RequestJob(call.activation);  // the slot is free again
}

void Manager::SetFailed(const std::shared_ptr<Entry>& e, const std::string& why) {
  Log()->error("plugin {}: {}", e->config.name, why);
  StopEntry(e);
  std::lock_guard lock(mu_);
  e->state = "failed";
  e->last_error = why;
}

void Manager::ScheduleRestart(const std::shared_ptr<Entry>& e, const std::string& why) {
  CloseJobs(e);
  KillAndReap(e);
  const int64_t delay = e->backoff_ms;
  e->backoff_ms = std::min(e->backoff_ms * 2, e->config.limits.max_restart_backoff_ms);
  Log()->warn("plugin {}: {}; restarting in {} ms", e->config.name, why, delay);
  {
    std::lock_guard lock(mu_);
    e->state = "restarting";
    e->last_error = why;
    e->conn.reset();
  }
  const uint64_t gen = ++e->generation;
  e->timer.expires_after(std::chrono::milliseconds(delay));
  e->timer.async_wait([this, e, gen](boost::system::error_code ec) {
    if (ec || gen != e->generation) return;
    {
      std::lock_guard lock(mu_);
      ++e->restarts;
    }
    StartEntry(e);
  });
}

void Manager::KillAndReap(const std::shared_ptr<Entry>& e) {
  if (e->pid <= 0) return;
  if (e->exited.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
    kill(e->pid, SIGKILL);
  }
  e->exited.wait();  // the waiter thread reaps it
  if (e->waiter.joinable()) e->waiter.join();
  e->pid = -1;
}

void Manager::CloseJobs(const std::shared_ptr<Entry>& e) {
  if (e->activation != 0) {
    engine_.CloseActivation(e->activation);
    e->activation = 0;
  }
}

void Manager::StopEntry(const std::shared_ptr<Entry>& e) {
  ++e->generation;
  e->timer.cancel();
  CloseJobs(e);
  if (e->pid > 0) {
    if (e->conn) {
      if (auto s = e->conn->Shutdown(kShutdownMs); !s.ok()) {
        Log()->warn("plugin {}: shutdown: {}", e->config.name, s.ToString());
      } else if (e->exited.wait_for(std::chrono::milliseconds(kShutdownMs)) !=
                 std::future_status::ready) {
        Log()->warn("plugin {}: host pid {} did not exit, killing it", e->config.name, e->pid);
      }
    }
    KillAndReap(e);
    std::error_code ec;
    std::filesystem::remove(options_.socket_dir + "/" + e->config.name + ".sock", ec);
  }
  std::lock_guard lock(mu_);
  e->conn.reset();
  if (e->state != "failed") e->state = "restarting";
}

void Manager::ScheduleHealth(const std::shared_ptr<Entry>& e) {
  const uint64_t gen = e->generation;
  e->timer.expires_after(std::chrono::milliseconds(e->config.limits.health_interval_ms));
  e->timer.async_wait([this, e, gen](boost::system::error_code ec) {
    if (ec || gen != e->generation || !e->conn) return;
    const int64_t timeout = std::min<int64_t>(2'000, e->config.limits.health_interval_ms);
    e->conn->Health(timeout, [shared = shared_, name = e->config.name, gen](absl::Status s) {
      shared->Post([name, gen, s](Manager& m) {
        auto it = m.entries_.find(name);
        if (it == m.entries_.end() || it->second->generation != gen) return;
        const auto& e = it->second;
        if (s.ok()) {
          e->backoff_ms = e->config.limits.restart_backoff_ms;  // healthy again: forget failures
          return m.ScheduleHealth(e);
        }
        const std::string why = absl::StrCat("health ping failed: ", s.ToString());
        if (e->pid > 0) return m.KillHost(name, gen, why);
        m.ScheduleRestart(e, why);
      });
    });
  });
}

void Manager::KillHost(const std::string& name, uint64_t generation, const std::string& why) {
  auto it = entries_.find(name);
  if (it == entries_.end() || it->second->generation != generation || it->second->pid <= 0) {
    return;
  }
  Log()->warn("plugin {}: {}; killing its host (pid {})", name, why, it->second->pid);
  it->second->kill_reason = why;
  kill(it->second->pid, SIGKILL);  // the waiter sees it exit and HostExited restarts it
}

void Manager::HostExited(const std::string& name, uint64_t generation, int status) {
  auto it = entries_.find(name);
  if (it == entries_.end() || it->second->generation != generation) return;
  const auto& e = it->second;
  if (e->waiter.joinable()) e->waiter.join();
  e->pid = -1;
  const std::string why =
      e->kill_reason.empty() ? ExitText(status) : absl::StrCat(e->kill_reason, " (host killed)");
  {
    std::lock_guard lock(mu_);
    ++e->generation;  // in-flight jobs of the dead host fail on their own (UNAVAILABLE)
  }
  ScheduleRestart(e, why);
}

PluginInfo Manager::InfoOf(const Entry& e) {
  PluginInfo i;
  i.name = e.config.name;
  i.state = e.state;
  i.isolation = e.config.Isolation();
  i.source = e.config.address.empty() ? e.config.path : e.config.address;
  i.restarts = e.restarts;
  i.last_error = e.last_error;
  if (e.described) {
    i.department = e.descriptor.department();
    i.version = e.descriptor.version();
    for (const auto& jt : e.descriptor.job_types()) i.job_types.push_back(jt.type());
  }
  i.jobs_completed = e.counters->completed.load();
  i.jobs_failed = e.counters->failed.load();
  i.jobs_running = e.counters->running.load();
  return i;
}

std::vector<PluginInfo> Manager::List() const {
  std::lock_guard lock(mu_);
  std::vector<PluginInfo> out;
  for (const auto& [name, e] : entries_) out.push_back(InfoOf(*e));
  return out;
}

absl::StatusOr<std::pair<PluginInfo, pb::Descriptor>> Manager::Describe(
    const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(name);
  if (it == entries_.end()) {
    return absl::NotFoundError(absl::StrCat("name: no plugin '", name, "'"));
  }
  return std::make_pair(InfoOf(*it->second), it->second->descriptor);
}

void Manager::Invoke(const std::string& name, pb::InvokeRequest req, TextDone done) {
  std::shared_ptr<Connection> conn;
  int64_t deadline = 0;
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(name);
    if (it == entries_.end()) {
      return done(absl::NotFoundError(absl::StrCat("plugin: no plugin '", name, "'")));
    }
    const Entry& e = *it->second;
    if (!e.conn) {
      return done(absl::UnavailableError(absl::StrCat(
          "plugin ", name, " is ", e.state, e.last_error.empty() ? "" : ": ", e.last_error)));
    }
    std::vector<std::string> ops;
    for (const auto& op : e.descriptor.operations()) ops.push_back(op.name());
    if (std::find(ops.begin(), ops.end(), req.operation()) == ops.end()) {
      return done(absl::NotFoundError(
          absl::StrCat("operation: plugin ", name, " has no operation '", req.operation(),
                       "' (it offers: ", ops.empty() ? "none" : absl::StrJoin(ops, ", "), ")")));
    }
    conn = e.conn;
    deadline = e.config.limits.job_deadline_ms;
  }
  conn->Invoke(
      std::move(req), deadline, [name, done = std::move(done)](absl::StatusOr<std::string> r) {
        if (!r.ok()) {
          return done(absl::Status(r.status().code(),
                                   absl::StrCat("plugin ", name, ": ", r.status().message())));
        }
        absl::Status too_deep;
        json out = ParseBoundedJson(*r, "output", &too_deep);
        if (!too_deep.ok()) {
          return done(absl::InternalError(
              absl::StrCat("plugin ", name, " returned ", too_deep.message())));
        }
        if (out.is_discarded() || !out.is_object()) {
          return done(absl::InternalError(absl::StrCat("plugin ", name, " returned ", r->size(),
                                                       " bytes that are not a JSON object")));
        }
        done(*std::move(r));
      });
}

}  // namespace shequ::plugin
