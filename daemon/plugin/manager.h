#pragma once

// The plugin registry and supervisor: one entry per file in plugins.d.
//
// Every change of an entry (start, handshake, restart, stop, reload) runs on the supervisor's
// own thread, so a slow host start never blocks the engine or gRPC. Jobs flow without it: for
// each plugin serving job types an in-process activation is open on the engine; each activated
// job goes straight to the plugin's connection and its answer straight back to
// Engine::CompleteJob or FailJob. The engine owns retries, back-off and incidents.
//
// States: loaded (in the daemon, or a remote plugin connected), isolated (serving in its own
// shequ-plugin-host), restarting (down; back after the restart back-off), failed (refused;
// tried again only on reload).

// clang-format off
#include <utility>  // before Boost.Asio with GCC 12 in C++20
// clang-format on

#include <sys/types.h>

#include <boost/asio.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/engine/engine.h"
#include "daemon/plugin/config.h"
#include "daemon/plugin/connection.h"
#include "daemon/plugin/descriptor.h"

namespace shequ::plugin {

struct ManagerOptions {
  std::string plugins_dir;  // "" = no plugins
  std::string host_binary;  // shequ-plugin-host
  std::string socket_dir;   // isolated hosts listen on <socket_dir>/<name>.sock
};

// A snapshot of one plugin, for Plugins/List and /metrics.
struct PluginInfo {
  std::string name;
  std::string state;
  std::string isolation;
  std::string source;  // library path or address
  std::string department;
  std::string version;
  std::string last_error;
  int restarts = 0;
  std::vector<std::string> job_types;
  int64_t jobs_completed = 0;
  int64_t jobs_failed = 0;
  int jobs_running = 0;
};

class Manager {
 public:
  // `io` runs the in-process plugins' deadline timers.
  Manager(engine::Engine& engine, boost::asio::io_context& io, ManagerOptions options);
  ~Manager();
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;

  // Reads plugins.d and starts every plugin; returns once each is serving, restarting or failed.
  void Start();
  // SIGHUP: re-reads plugins.d; starts added plugins, stops removed ones, restarts changed ones
  // and retries failed ones. Unchanged plugins keep running. Returns when done. Thread-safe.
  void Reload();
  // Closes the activations, asks isolated hosts to shut down (killing those that do not).
  void Stop();

  std::vector<PluginInfo> List() const;
  absl::StatusOr<std::pair<PluginInfo, pb::Descriptor>> Describe(const std::string& name) const;
  // A plugin's named operation; `done` gets the output JSON (an object) or why not.
  void Invoke(const std::string& name, pb::InvokeRequest req, TextDone done);

 private:
  struct Entry;
  struct Shared;
  struct JobCall;

  // Supervisor thread only.
  void ApplyConfig();
  void StartEntry(const std::shared_ptr<Entry>& e);
  absl::Status StartIsolated(const std::shared_ptr<Entry>& e);
  void Admit(const std::shared_ptr<Entry>& e, std::shared_ptr<Connection> conn,
             pb::Descriptor descriptor, const std::string& state);
  void SetFailed(const std::shared_ptr<Entry>& e, const std::string& why);
  void ScheduleRestart(const std::shared_ptr<Entry>& e, const std::string& why);
  void StopEntry(const std::shared_ptr<Entry>& e);
  void CloseJobs(const std::shared_ptr<Entry>& e);
  void KillAndReap(const std::shared_ptr<Entry>& e);
  void ScheduleHealth(const std::shared_ptr<Entry>& e);
  void HostExited(const std::string& name, uint64_t generation, int status);
  void KillHost(const std::string& name, uint64_t generation, const std::string& why);
  void RunOnSupervisor(std::function<void()> fn);  // and wait for it

  static PluginInfo InfoOf(const Entry& e);
  static void Finish(const std::shared_ptr<Shared>& shared, const JobCall& call,
                     absl::StatusOr<std::string> result);

  engine::Engine& engine_;
  boost::asio::io_context& io_;
  const ManagerOptions options_;
  std::shared_ptr<Shared> shared_;  // outlives the manager in late callbacks

  boost::asio::io_context sup_io_;
  std::unique_ptr<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread sup_thread_;

  mutable std::mutex mu_;  // guards entries_ and what readers see of each entry
  std::map<std::string, std::shared_ptr<Entry>> entries_;
  bool stopped_ = false;
};

}  // namespace shequ::plugin
