// The Python remote plugin (clients/python/examples/remote_plugin.py) driven end to end: the
// daemon (fake clock) reaches it by address, runs a workflow whose service job it handles,
// calls its operation through Plugins/Invoke, and notices when it goes away.

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <regex>

#include "nlohmann/json.hpp"
#include "tests/integration/plugin_env.h"

namespace shequ::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

constexpr char kFlow[] = R"(
id: population-check
start: check
nodes:
  check: {type: service, job: statistics.population-check, retries: 3, next: done}
  done: {type: end, status: checked}
)";

// /usr/bin/python3 with Debian's python3-grpcio, as the README says: the first python3 on PATH
// may be another interpreter without it.
class PythonPlugin {
 public:
  // Starts the example on a free port; empty address() if it did not come up.
  explicit PythonPlugin(const std::string& log_path) {
    int out[2];
    if (pipe(out) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], STDOUT_FILENO);
      int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (log >= 0) dup2(log, STDERR_FILENO);
      close(out[0]);
      const std::string script =
          std::string(SHEQU_SOURCE_DIR) + "/clients/python/examples/remote_plugin.py";
      execl("/usr/bin/python3", "python3", script.c_str(), "--listen", "127.0.0.1:0",
            static_cast<char*>(nullptr));
      _exit(127);
    }
    close(out[1]);
    std::string seen;
    std::smatch m;
    const std::regex ready("listening on (127\\.0\\.0\\.1:[0-9]+)\n");  // the whole line
    while (!std::regex_search(seen, m, ready)) {
      pollfd p{out[0], POLLIN, 0};
      if (poll(&p, 1, 30'000) <= 0) break;
      char buf[256];
      ssize_t n = read(out[0], buf, sizeof buf);
      if (n <= 0) break;
      seen.append(buf, n);
    }
    close(out[0]);
    if (!m.empty()) address_ = m[1];
  }
  ~PythonPlugin() { Stop(); }
  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  const std::string& address() const { return address_; }

 private:
  pid_t pid_ = -1;
  std::string address_;
};

class RemotePluginTest : public DaemonTest {
 protected:
  RemotePluginTest() : DaemonTest("remote-plugin", {{"tester"}, std::chrono::seconds(30)}) {
    start_in_setup_ = false;
  }
  void TearDown() override {
    plugins_.reset();
    python_.reset();
    DaemonTest::TearDown();
  }

  std::unique_ptr<PythonPlugin> python_;
  std::unique_ptr<v1::Plugins::Stub> plugins_;
};

TEST_F(RemotePluginTest, PythonPluginServesAWorkflowJobAndAnOperation) {
  python_ = std::make_unique<PythonPlugin>(dir_ + "/python.log");
  ASSERT_FALSE(python_->address().empty())
      << "the Python plugin did not start; see " << dir_ << "/python.log";
  const std::string config = WritePluginConfig(dir_);
  WritePlugin(dir_, "statistics", "address: " + python_->address());
  DaemonProcess::Options o;
  o.config = config;
  ASSERT_NO_FATAL_FAILURE(StartDaemon(o));
  plugins_ = v1::Plugins::NewStub(daemon_->channel());
  client_->Deploy(kFlow);

  auto stats = FindPlugin(*plugins_, "statistics");
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->state(), "loaded");
  EXPECT_EQ(stats->isolation(), "remote");
  EXPECT_EQ(stats->department(), "区统计局 / statistics bureau");
  EXPECT_THAT(stats->job_types(), ::testing::ElementsAre("statistics.population-check"));

  // A ledger whose roster disagrees with its counts: the Python plugin finds it.
  json roster = json::array();
  for (int i = 0; i < 5; ++i) roster.push_back({{"household_no", "h" + std::to_string(i / 2)}});
  const json ledger = {{"household_count", 2},
                       {"resident_count", 5},
                       {"floating_population", 1},
                       {"resident_roster", roster}};
  int64_t id = client_->Start("population-check", {{"ledger", ledger}});
  ASSERT_EQ(AwaitEvents(*client_, id, "instance.completed").size(), 1u) << daemon_->Log();
  v1::Instance done = client_->Instance(id);
  EXPECT_EQ(done.end_status(), "checked");
  json result = json::parse(done.variables())["statistics"];
  EXPECT_DOUBLE_EQ(result["indicators"]["household_size"].get<double>(), 2.5);
  ASSERT_EQ(result["findings"].size(), 1u);
  EXPECT_EQ(result["findings"][0]["code"], "roster_households");  // 3 households in the roster

  // Wrong input is refused by the plugin as INVALID_ARGUMENT: an incident at once, no retry.
  int64_t bad = client_->Start("population-check", {{"ledger", {{"household_count", 0}}}});
  ASSERT_EQ(AwaitEvents(*client_, bad, "incident.raised").size(), 1u);
  auto failed = AwaitEvents(*client_, bad, "job.failed");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_THAT(json::parse(failed[0].data())["error"].get<std::string>(),
              HasSubstr("plugin statistics: INVALID_ARGUMENT: ledger.household_count"));

  {
    grpc::ClientContext ctx;
    client_->Prepare(&ctx);
    v1::InvokePluginRequest req;
    req.set_plugin("statistics");
    req.set_operation("household-size");
    req.set_input(json{{"ledger", {{"household_count", 4}, {"resident_count", 10}}}}.dump());
    v1::InvokePluginResponse resp;
    grpc::Status s = plugins_->Invoke(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << Describe(s);
    EXPECT_DOUBLE_EQ(json::parse(resp.output())["household_size"].get<double>(), 2.5);
  }

  // The remote goes away: health pings notice, and the daemon keeps trying to reconnect.
  python_->Stop();
  EXPECT_TRUE(AwaitPlugins(*plugins_, [](const auto& all) {
    return all.size() == 1 && all[0].state() == "restarting";
  }));
  EXPECT_EQ(client_->Health(), kServing);
}

}  // namespace
}  // namespace shequ::testing
