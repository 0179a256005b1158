#pragma once

// Helpers of the plugin integration tests: a daemon config with its own plugins.d, the built
// plugin libraries, and waiting for events and plugin states without sleeping blindly.

#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "shequ/v1/plugins.grpc.pb.h"
#include "tests/integration/client.h"

namespace shequ::testing {

inline std::string FixturePlugin(const std::string& name) {
  return std::string(SHEQU_BINARY_DIR) + "/tests/plugins/libfixture_" + name + ".so";
}
inline std::string DepartmentPlugin(const std::string& name) {
  return std::string(SHEQU_BINARY_DIR) + "/plugins/libshequ_" + name + ".so";
}

// <dir>/shequd.yaml (the fixture config plus plugins_dir: <dir>/plugins.d) and the directory.
inline std::string WritePluginConfig(const std::string& dir) {
  std::filesystem::create_directories(dir + "/plugins.d");
  const std::string src = SHEQU_SOURCE_DIR;
  std::ofstream(dir + "/shequd.yaml")
      << "auth: headers\nlisten: 127.0.0.1:0\nhttp: 127.0.0.1:0\ndata_dir: " << dir << "/data\n"
      << "calendar_dir: " << src << "/config/calendar\n"
      << "workflows_dir: " << src << "/config/workflows\n"
      << "policy_dir: " << src << "/config/policy\n"
      << "plugins_dir: " << dir << "/plugins.d\n"
      << "plugin_host: " << SHEQU_BINARY_DIR << "/daemon/shequ-plugin-host\n";
  return dir + "/shequd.yaml";
}

// One plugins.d file. Short back-offs and pings keep the tests quick.
inline void WritePlugin(const std::string& dir, const std::string& name,
                        const std::string& source_line, const std::string& extra = "") {
  std::ofstream(dir + "/plugins.d/" + name + ".yaml")
      << "name: " << name << "\n"
      << source_line << "\n"
      << extra << "\n"
      << "limits: {job_deadline: PT10S, restart_backoff: PT0.05S, max_restart_backoff: PT0.2S,"
      << " health_interval: PT0.5S}\n";
}

// Reads the instance's events (stored, then live) until `count` of `type` arrived or `wait`
// passed; returns those that came.
inline std::vector<v1::Event> AwaitEvents(Client& client, int64_t instance, const std::string& type,
                                          size_t count = 1,
                                          std::chrono::seconds wait = std::chrono::seconds(30)) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + wait);
  Identify(&ctx, "operator", "district-admin");
  v1::WatchRequest req;
  req.set_instance_id(instance);
  auto reader = client.stubs.instances->Watch(&ctx, req);
  std::vector<v1::Event> found;
  v1::Event e;
  while (found.size() < count && reader->Read(&e)) {
    if (e.type() == type) found.push_back(e);
  }
  ctx.TryCancel();
  reader->Finish();
  return found;
}

inline std::vector<v1::PluginStatus> ListPlugins(v1::Plugins::Stub& stub) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  Identify(&ctx, "operator", "district-admin");
  v1::ListPluginsResponse resp;
  grpc::Status s = stub.List(&ctx, v1::ListPluginsRequest(), &resp);
  EXPECT_TRUE(s.ok()) << Describe(s);
  return {resp.plugins().begin(), resp.plugins().end()};
}

inline std::optional<v1::PluginStatus> FindPlugin(v1::Plugins::Stub& stub,
                                                  const std::string& name) {
  for (auto& p : ListPlugins(stub)) {
    if (p.name() == name) return p;
  }
  return std::nullopt;
}

// Asks Plugins/List until `pred` holds or 20 s pass. Plugin states change on the supervisor's
// own schedule (back-off, health pings) and no stream announces them, so this polls.
inline bool AwaitPlugins(v1::Plugins::Stub& stub,
                         const std::function<bool(const std::vector<v1::PluginStatus>&)>& pred) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred(ListPlugins(stub))) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

}  // namespace shequ::testing
