// Plugins through the real daemon: loader refusals, a plugin that crashes, hangs or answers
// garbage in the middle of a job (the job is retried, then an incident; the daemon and the
// other plugins keep working), Plugins/List, Describe and Invoke, /metrics, SIGHUP reload, and
// the joint inspection served by the six department plugins.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <filesystem>
#include <set>

#include "nlohmann/json.hpp"
#include "tests/integration/plugin_env.h"

namespace shequ::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

constexpr char kFlows[] = R"(
id: plugin-flow
start: work
nodes:
  work: {type: service, job: "${job}", retries: 2, backoff: PT10S, next: done}
  done: {type: end, status: ok}
)";

// A workflow per job type (the definition format names the job type literally).
std::string Flow(const std::string& id, const std::string& job) {
  std::string yaml = kFlows;
  yaml.replace(yaml.find("plugin-flow"), 11, id);
  yaml.replace(yaml.find("\"${job}\""), 8, job);
  return yaml;
}

class PluginsTest : public DaemonTest {
 protected:
  PluginsTest() : DaemonTest("plugins", {{"tester"}, std::chrono::seconds(30)}) {
    start_in_setup_ = false;
  }

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(DaemonTest::SetUp());
    config_ = WritePluginConfig(dir_);
  }

  void TearDown() override {
    plugins_.reset();  // hang up first: the daemon's shutdown waits for connected clients
    DaemonTest::TearDown();
  }

  void Start() {
    DaemonProcess::Options o;
    o.config = config_;
    ASSERT_NO_FATAL_FAILURE(StartDaemon(o));
    plugins_ = v1::Plugins::NewStub(daemon_->channel());
    client_->Deploy(Flow("echo-flow", "fixture.echo"));
  }

  void Native(const std::string& name, const std::string& path, bool inprocess = false) {
    WritePlugin(dir_, name, "path: " + path, inprocess ? "inprocess: true" : "");
  }

  // Starts echo-flow and expects the echo plugin to complete it.
  void ExpectEchoWorks(int n) {
    int64_t id = client_->Start("echo-flow", {{"n", n}});
    ASSERT_EQ(AwaitEvents(*client_, id, "instance.completed").size(), 1u) << daemon_->Log();
    EXPECT_EQ(json::parse(client_->Instance(id).variables())["echoed"], n);
  }

  // Runs a job of `type` to its incident: the first attempt fails, the clock moves past the
  // back-off, the second fails too and raises the incident. Returns the job.failed events.
  std::vector<v1::Event> FailTwiceToIncident(const std::string& type) {
    client_->Deploy(Flow("flow-" + type.substr(type.find('.') + 1), type));
    int64_t id = client_->Start("flow-" + type.substr(type.find('.') + 1));
    auto first = AwaitEvents(*client_, id, "job.failed", 1);
    EXPECT_EQ(first.size(), 1u) << daemon_->Log();
    if (first.empty()) return first;
    client_->Advance("PT10S");  // the retry comes due
    auto failed = AwaitEvents(*client_, id, "job.failed", 2);
    EXPECT_EQ(failed.size(), 2u) << daemon_->Log();
    EXPECT_EQ(AwaitEvents(*client_, id, "incident.raised").size(), 1u);
    auto incidents = client_->Incidents(id, "open");
    EXPECT_EQ(incidents.size(), 1u);
    EXPECT_EQ(client_->Instance(id).state(), "active");
    return failed;
  }

  std::string config_;
  std::unique_ptr<v1::Plugins::Stub> plugins_;
};

TEST_F(PluginsTest, LoaderRefusesBrokenLibrariesWithClearReasonsAndServesTheRest) {
  Native("echo", FixturePlugin("echo"));
  Native("missing-entry", FixturePlugin("missing_entry"));
  Native("wrong-abi", FixturePlugin("wrong_abi"));
  Native("short-descriptor", FixturePlugin("short_descriptor"));
  Native("short-inprocess", FixturePlugin("short_descriptor"), /*inprocess=*/true);
  const std::string writable = dir_ + "/libwritable.so";
  std::filesystem::copy_file(FixturePlugin("echo"), writable);
  ASSERT_EQ(chmod(writable.c_str(), 0666), 0);
  Native("writable", writable);
  ASSERT_NO_FATAL_FAILURE(Start());

  std::map<std::string, v1::PluginStatus> by_name;
  for (auto& p : ListPlugins(*plugins_)) by_name[p.name()] = p;
  ASSERT_EQ(by_name.size(), 6u);
  EXPECT_EQ(by_name["echo"].state(), "isolated");
  const std::map<std::string, std::string> reasons = {
      {"missing-entry", "exports no shequ_plugin_entry"},
      {"wrong-abi", "built for plugin ABI 2.0; this daemon speaks ABI 1.0"},
      {"short-descriptor", "short descriptor: 16 bytes"},
      {"short-inprocess", "short descriptor: 16 bytes"},
      {"writable", "writable by others (mode 0666)"}};
  const std::string log = daemon_->Log();
  for (const auto& [name, reason] : reasons) {
    EXPECT_EQ(by_name[name].state(), "failed") << name;
    EXPECT_THAT(by_name[name].last_error(), HasSubstr(reason)) << name;
    EXPECT_THAT(log, HasSubstr("plugin " + name + ": ")) << name;
  }
  EXPECT_EQ(by_name["short-inprocess"].isolation(), "inprocess");
  EXPECT_EQ(client_->Health(), kServing);
  ExpectEchoWorks(1);
}

TEST_F(PluginsTest, CrashInAJobIsRetriedThenAnIncidentAndTheHostRestarts) {
  Native("echo", FixturePlugin("echo"));
  Native("crash", FixturePlugin("crash"));
  ASSERT_NO_FATAL_FAILURE(Start());
  auto failed = FailTwiceToIncident("fixture.crash");
  ASSERT_EQ(failed.size(), 2u);
  EXPECT_THAT(json::parse(failed[0].data())["error"].get<std::string>(),
              HasSubstr("plugin crash: UNAVAILABLE"));
  // The second attempt ran in a restarted host (its restart is counted as the host comes up).
  EXPECT_TRUE(AwaitPlugins(*plugins_, [](const auto& all) {
    for (const auto& p : all) {
      if (p.name() == "crash") return p.restarts() >= 1;
    }
    return false;
  }));
  auto crash = FindPlugin(*plugins_, "crash");
  ASSERT_TRUE(crash);
  EXPECT_THAT(crash->last_error(), HasSubstr("signal 6"));
  EXPECT_EQ(crash->jobs_failed(), 2);
  EXPECT_EQ(client_->Health(), kServing);
  ExpectEchoWorks(2);
  EXPECT_TRUE(AwaitPlugins(*plugins_, [](const auto& all) {
    for (const auto& p : all) {
      if (p.name() == "crash") return p.state() == "isolated";
    }
    return false;
  }));
}

TEST_F(PluginsTest, HangPastTheDeadlineFailsTheJobAndKillsTheHost) {
  Native("echo", FixturePlugin("echo"));
  // A deadline of 0.3 s (real time): the rest of the test runs on the fake clock.
  std::ofstream(dir_ + "/plugins.d/hang.yaml")
      << "name: hang\npath: " << FixturePlugin("hang") << "\n"
      << "limits: {job_deadline: PT0.3S, restart_backoff: PT0.05S, health_interval: PT0.5S}\n";
  ASSERT_NO_FATAL_FAILURE(Start());
  auto failed = FailTwiceToIncident("fixture.hang");
  ASSERT_EQ(failed.size(), 2u);
  EXPECT_THAT(json::parse(failed[0].data())["error"].get<std::string>(),
              HasSubstr("no answer within the job deadline of 300 ms"));
  // The killed host is restarted after its back-off, on its own time.
  EXPECT_TRUE(AwaitPlugins(*plugins_, [](const auto& all) {
    for (const auto& p : all) {
      if (p.name() == "hang") return p.restarts() >= 1;
    }
    return false;
  }));
  EXPECT_THAT(daemon_->Log(), HasSubstr("killing its host"));
  ExpectEchoWorks(3);
}

TEST_F(PluginsTest, HangInProcessFailsTheJobAndTheDaemonStillStopsCleanly) {
  Native("echo", FixturePlugin("echo"), /*inprocess=*/true);
  std::ofstream(dir_ + "/plugins.d/hang.yaml")
      << "name: hang\npath: " << FixturePlugin("hang") << "\ninprocess: true\n"
      << "limits: {job_deadline: PT0.3S}\n";
  ASSERT_NO_FATAL_FAILURE(Start());
  auto failed = FailTwiceToIncident("fixture.hang");
  ASSERT_EQ(failed.size(), 2u);
  ExpectEchoWorks(4);
  plugins_.reset();
  const int status = StopDaemon();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST_F(PluginsTest, GarbageRepliesFailTheJobAndTheInvoke) {
  Native("echo", FixturePlugin("echo"));
  Native("garbage", FixturePlugin("garbage"));
  ASSERT_NO_FATAL_FAILURE(Start());
  auto failed = FailTwiceToIncident("fixture.garbage");
  ASSERT_EQ(failed.size(), 2u);
  EXPECT_THAT(json::parse(failed[1].data())["error"].get<std::string>(),
              HasSubstr("not a JSON object of variables"));
  grpc::ClientContext ctx;
  client_->Prepare(&ctx);
  v1::InvokePluginRequest req;
  req.set_plugin("garbage");
  req.set_operation("anything");
  v1::InvokePluginResponse resp;
  grpc::Status s = plugins_->Invoke(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_THAT(s.error_message(), HasSubstr("not a JSON object"));
  ExpectEchoWorks(5);
}

TEST_F(PluginsTest, ListDescribeInvokeAndMetrics) {
  Native("echo", FixturePlugin("echo"));
  Native("civil_affairs", DepartmentPlugin("civil_affairs"), /*inprocess=*/true);
  Native("wrong-abi", FixturePlugin("wrong_abi"));
  ASSERT_NO_FATAL_FAILURE(Start());

  auto list = ListPlugins(*plugins_);
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].name(), "civil_affairs");
  EXPECT_EQ(list[0].state(), "loaded");
  EXPECT_EQ(list[0].isolation(), "inprocess");
  EXPECT_EQ(list[0].department(), "民政局 / civil affairs bureau");
  EXPECT_THAT(list[0].job_types(), ::testing::ElementsAre("civil-affairs.elderly-care-check"));
  EXPECT_EQ(list[1].name(), "echo");
  EXPECT_EQ(list[1].state(), "isolated");
  EXPECT_EQ(list[1].isolation(), "isolated");
  EXPECT_EQ(list[1].source(), FixturePlugin("echo"));
  EXPECT_EQ(list[2].state(), "failed");

  {
    grpc::ClientContext ctx;
    client_->Prepare(&ctx);
    v1::DescribePluginRequest req;
    req.set_name("civil_affairs");
    v1::DescribePluginResponse resp;
    ASSERT_TRUE(plugins_->Describe(&ctx, req, &resp).ok());
    EXPECT_EQ(resp.status().state(), "loaded");
    ASSERT_GE(resp.plugin().checklists_size(), 1);
    EXPECT_EQ(resp.plugin().signboards(0).title(), "社区居家养老服务站");
  }
  {
    grpc::ClientContext ctx;
    Identify(&ctx, "operator", "district-admin");
    v1::DescribePluginRequest req;
    req.set_name("nobody");
    v1::DescribePluginResponse resp;
    EXPECT_EQ(plugins_->Describe(&ctx, req, &resp).error_code(), grpc::StatusCode::NOT_FOUND);
  }
  auto invoke = [&](const std::string& plugin, const std::string& op, const std::string& input,
                    v1::InvokePluginResponse* resp) {
    grpc::ClientContext ctx;
    Identify(&ctx, "wang", "leading-group");
    v1::InvokePluginRequest req;
    req.set_plugin(plugin);
    req.set_operation(op);
    req.set_input(input);
    return plugins_->Invoke(&ctx, req, resp);
  };
  v1::InvokePluginResponse resp;
  ASSERT_TRUE(invoke("echo", "echo", R"({"x": 1})", &resp).ok());
  EXPECT_EQ(json::parse(resp.output()), (json{{"input", {{"x", 1}}}, {"caller", "wang"}}));
  ASSERT_TRUE(invoke("civil_affairs", "validate-ledger",
                     R"({"ledger": {"household_count": "many"}})", &resp)
                  .ok());
  json v = json::parse(resp.output());
  EXPECT_EQ(v["complete"], false);
  EXPECT_EQ(v["invalid"][0]["field"], "household_count");
  // Wrong input to the operation is the caller's mistake.
  EXPECT_EQ(invoke("civil_affairs", "validate-ledger", "{}", &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  grpc::Status s = invoke("echo", "shout", "{}", &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(s.error_message(), HasSubstr("no operation 'shout' (it offers: echo)"));
  EXPECT_EQ(invoke("nobody", "echo", "{}", &resp).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(invoke("wrong-abi", "x", "{}", &resp).error_code(), grpc::StatusCode::UNAVAILABLE);
  s = invoke("echo", "echo", "[1]", &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("input"));
  EXPECT_EQ(invoke("echo", "", "{}", &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  ExpectEchoWorks(6);
  const std::string metrics = HttpGet(daemon_->http_port(), "/metrics", kMonitoringHeaders);
  EXPECT_THAT(metrics, HasSubstr("shequ_plugin_state{plugin=\"echo\",state=\"isolated\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("shequ_plugin_state{plugin=\"echo\",state=\"failed\"} 0"));
  EXPECT_THAT(metrics,
              HasSubstr("shequ_plugin_state{plugin=\"civil_affairs\",state=\"loaded\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("shequ_plugin_state{plugin=\"wrong-abi\",state=\"failed\"} 1"));
  EXPECT_THAT(metrics,
              HasSubstr("shequ_plugin_jobs_total{plugin=\"echo\",result=\"completed\"} 1"));
}

TEST_F(PluginsTest, SighupAddsAndRemovesPluginsWhileInstancesWait) {
  Native("echo", FixturePlugin("echo"));
  ASSERT_NO_FATAL_FAILURE(Start());
  client_->Deploy(Flow("civil-flow", "civil-affairs.elderly-care-check"));
  const json ledger = {{"household_count", 2400},     {"elderly_over_60", 1500},
                       {"elderly_over_80", 100},      {"old_age_allowance_recipients", 100},
                       {"low_income_households", 40}, {"low_income_reviewed", 40}};
  int64_t waiting = client_->Start("civil-flow", {{"ledger", ledger}});
  EXPECT_EQ(client_->Instance(waiting).state(), "active");  // no plugin serves its job yet

  Native("civil_affairs", DepartmentPlugin("civil_affairs"));
  ASSERT_EQ(kill(daemon_->pid(), SIGHUP), 0);
  ASSERT_EQ(AwaitEvents(*client_, waiting, "instance.completed").size(), 1u) << daemon_->Log();
  json result = json::parse(client_->Instance(waiting).variables())["civil_affairs"];
  EXPECT_DOUBLE_EQ(result["indicators"]["old_age_allowance_coverage"].get<double>(), 1.0);

  // Removing echo stops it; its jobs wait for a worker and the instance stays active.
  std::filesystem::remove(dir_ + "/plugins.d/echo.yaml");
  ASSERT_EQ(kill(daemon_->pid(), SIGHUP), 0);
  ASSERT_TRUE(AwaitPlugins(*plugins_, [](const auto& all) { return all.size() == 1; }));
  EXPECT_EQ(ListPlugins(*plugins_)[0].name(), "civil_affairs");
  int64_t echo_waiting = client_->Start("echo-flow", {{"n", 9}});
  EXPECT_EQ(client_->Instance(echo_waiting).state(), "active");
  // Back again: the waiting job is served.
  Native("echo", FixturePlugin("echo"));
  ASSERT_EQ(kill(daemon_->pid(), SIGHUP), 0);
  ASSERT_EQ(AwaitEvents(*client_, echo_waiting, "instance.completed").size(), 1u);
  EXPECT_EQ(json::parse(client_->Instance(echo_waiting).variables())["echoed"], 9);
  EXPECT_THAT(daemon_->Log(), HasSubstr("plugin echo: removed from plugins.d"));
}

TEST_F(PluginsTest, JointInspectionRunsOneCheckPerDepartmentPlugin) {
  for (const char* dept : {"health_family_planning", "comprehensive_governance", "civil_affairs",
                           "hr_social_security", "party_building", "culture_sports"}) {
    Native(dept, DepartmentPlugin(dept));
  }
  ASSERT_NO_FATAL_FAILURE(Start());
  // One ledger, filled once by the community, read by all six departments.
  const json ledger = {{"community_name", "芜湖路社区"},
                       {"inspection_date", "2026-03-02"},
                       {"household_count", 2400},
                       {"resident_count", 7000},
                       {"floating_population", 800},
                       {"elderly_over_60", 1500},
                       {"elderly_over_80", 100},
                       {"low_income_households", 40},
                       {"disabled_persons", 90},
                       {"registered_unemployed", 50},
                       {"party_members", 160},
                       {"volunteers_count", 300},
                       {"service_space_area", 650},
                       {"grid_count", 6},
                       {"grid_workers", 6},
                       {"disputes_received", 40},
                       {"disputes_resolved", 39},
                       {"key_population", 12},
                       {"key_population_visited", 12},
                       {"governance_centre_status", "规范运行"},
                       {"women_childbearing_age", 1600},
                       {"births_in_period", 20},
                       {"policy_compliant_births", 20},
                       {"floating_population_registered", 760},
                       {"elderly_health_managed", 1200},
                       {"old_age_allowance_recipients", 90},
                       {"low_income_reviewed", 40},
                       {"home_care_served", 300},
                       {"care_station_area", 120},
                       {"reemployed_in_period", 35},
                       {"zero_employment_families", 0},
                       {"working_age_residents", 4500},
                       {"pension_insured", 4300},
                       {"medical_insured", 6900},
                       {"branch_general_meetings", 4},
                       {"branch_committee_meetings", 12},
                       {"group_meetings", 12},
                       {"party_lectures", 4},
                       {"reserve_cadres", 2},
                       {"members_contacting_households", 100},
                       {"secretary_trained", true},
                       {"activity_room_area", 120},
                       {"activities_held", 14},
                       {"participants", 900},
                       {"books", 5000},
                       {"fitness_equipment_sets", 3},
                       {"room_opening", "每天"}};
  int64_t id =
      client_->Start("joint-inspection", {{"community", "community-7"}, {"ledger", ledger}});
  ASSERT_EQ(AwaitEvents(*client_, id, "task.created").size(), 1u) << daemon_->Log();
  json vars = json::parse(client_->Instance(id).variables());
  std::set<std::string> passed;
  for (const char* dept : {"health_family_planning", "comprehensive_governance", "civil_affairs",
                           "hr_social_security", "party_building", "culture_sports"}) {
    ASSERT_TRUE(vars.contains(dept)) << dept << " missing in " << vars.dump();
    EXPECT_TRUE(vars[dept]["missing"].empty()) << dept << ": " << vars[dept].dump();
    if (vars[dept]["passed"] == true) passed.insert(dept);
  }
  // What the ledger gets wrong, each department finds on its own.
  EXPECT_FALSE(passed.count("civil_affairs"));   // 90 of 100 over 80 get the allowance
  EXPECT_FALSE(passed.count("party_building"));  // two reserve cadres, at least three needed
  EXPECT_TRUE(passed.count("culture_sports"));
  EXPECT_TRUE(passed.count("health_family_planning"));
  EXPECT_DOUBLE_EQ(vars["comprehensive_governance"]["indicators"]["households_per_grid"], 400);
  EXPECT_DOUBLE_EQ(vars["hr_social_security"]["indicators"]["reemployment_rate"], 0.7);

  v1::Task review = client_->OnlyTask(id);
  EXPECT_EQ(review.role(), "leading-group");
  ASSERT_TRUE(client_->Complete(review.id(), {"li", "leading-group"}, "rectify").ok());
  v1::Instance done = client_->Instance(id);
  EXPECT_EQ(done.state(), "completed");
  EXPECT_EQ(done.end_status(), "rectification-required");
}

}  // namespace
}  // namespace shequ::testing
