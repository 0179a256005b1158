// A full disk / failed commit (issue 2, "Bad input and faults"): the daemon runs with a 1 MiB
// storage quota (tests/fixtures/shequd-quota.yaml, store.max_size_mb: 1), which makes SQLite fail
// a commit with SQLITE_FULL exactly like a full disk. The failing call and every later mutating
// call get UNAVAILABLE, health turns NOT_SERVING, /readyz 503, reads keep working; after a
// restart without the quota everything acknowledged before is intact, nothing of the failed call
// is stored, and the database passes PRAGMA integrity_check.

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>

#include <map>
#include <set>

#include "nlohmann/json.hpp"
#include "tests/integration/client.h"

namespace shequ::testing {
namespace {

using nlohmann::json;

// The fixture config, or the one with the 1 MiB storage quota.
DaemonProcess::Options Config(bool quota) {
  DaemonProcess::Options o;
  if (quota) o.config = std::string(SHEQU_SOURCE_DIR) + "/tests/fixtures/shequd-quota.yaml";
  return o;
}

// PRAGMA integrity_check through the SQLite C API, with the daemon stopped.
std::string IntegrityCheck(const std::string& db_path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    std::string e = db ? sqlite3_errmsg(db) : "open failed";
    sqlite3_close(db);
    return e;
  }
  std::string result;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, nullptr) == SQLITE_OK) {
    while (sqlite3_step(st) == SQLITE_ROW) {
      if (!result.empty()) result += "\n";
      result += reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    }
  } else {
    result = sqlite3_errmsg(db);
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return result;
}

constexpr char kDefinitionYaml[] = R"(id: quota-wait
name: waits a month
start: wait
nodes:
  wait: {type: timer, duration: P30D, next: done}
  done: {type: end}
)";

std::string Key(int i) { return "full-" + std::to_string(i); }

// ~100 KB of variables, different for every instance, so a corrupted or mixed-up row shows.
json BigVariables(int i) {
  std::string blob;
  blob.reserve(100'000);
  for (int k = 0; blob.size() < 100'000; ++k) blob += std::to_string(i * 7919 + k) + ",";
  return json{{"i", i}, {"key", Key(i)}, {"blob", blob}};
}

class DiskFullTest : public DaemonTest {
 protected:
  DiskFullTest() : DaemonTest("diskfull") { start_in_setup_ = false; }

  grpc::Status Start(const std::string& key, const json& vars, const std::string& request_id,
                     int64_t* id = nullptr) {
    v1::StartRequest req;
    req.set_definition_id("quota-wait");
    req.set_business_key(key);
    req.set_variables(vars.dump());
    req.set_request_id(request_id);
    v1::StartResponse resp;
    grpc::Status s = client_->TryStart(req, &resp, {"disk-test", "district-admin"});
    if (id) *id = resp.instance_id();
    return s;
  }

  std::vector<v1::Instance> List(const std::string& business_key = "") {
    v1::ListInstancesRequest req;
    req.set_definition_id("quota-wait");
    req.set_business_key(business_key);
    req.mutable_page()->set_page_size(1000);
    return client_->Instances(req);
  }

  std::string db() const { return dir_ + "/shequd.db"; }
};

TEST_F(DiskFullTest, FailedCommitStopsWritesTurnsNotServingAndCorruptsNothing) {
  StartDaemon(Config(/*quota=*/true));
  ASSERT_EQ(client_->Health(), kServing);
  ASSERT_NO_FATAL_FAILURE(client_->Deploy(kDefinitionYaml));

  // Fill the quota, one call at a time, so exactly one call meets the failed commit.
  std::map<int, int64_t> acked;  // i -> instance id
  int failed = -1;
  grpc::Status failure;
  for (int i = 0; i < 100 && failed < 0; ++i) {
    int64_t id = 0;
    grpc::Status s = Start(Key(i), BigVariables(i), Key(i), &id);
    if (s.ok()) {
      acked[i] = id;
    } else {
      failed = i;
      failure = s;
    }
  }
  ASSERT_GE(failed, 0) << "100 instances of 100 KB did not fill a 1 MiB quota";
  ASSERT_GE(acked.size(), 2u) << "the quota was full before the test began";
  std::cout << acked.size() << " instances stored before the commit failed: "
            << failure.error_message() << std::endl;
  EXPECT_EQ(failure.error_code(), grpc::StatusCode::UNAVAILABLE) << failure.error_message();
  EXPECT_NE(failure.error_message().find("store"), std::string::npos) << failure.error_message();

  // Every later mutating call: UNAVAILABLE, whatever it is.
  {
    grpc::Status s = Start("small", json{{"small", true}}, "small-1");
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
    s = Start(Key(failed), BigVariables(failed), Key(failed));  // the failed call, retried
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  }
  {
    grpc::Status s = client_->TryDeploy(std::string(kDefinitionYaml) + "# changed\n");
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
    s = client_->Cancel(acked.begin()->second, "no room");
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
    v1::PublishMessageRequest req;
    req.set_name("anything");
    req.set_correlation("x");
    req.set_ttl_ms(kDay);
    s = client_->TryPublish(req);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  }

  // Health follows the store.
  EXPECT_EQ(client_->AwaitHealth(kNotServing), kNotServing);
  const std::string ready = HttpGet(daemon_->http_port(), "/readyz");
  EXPECT_EQ(ready.substr(0, 4), "503 ") << ready;
  EXPECT_NE(ready.find("store"), std::string::npos) << ready;
  EXPECT_NE(HttpGet(daemon_->http_port(), "/metrics", kMonitoringHeaders)
                .find("\nshequ_store_healthy 0\n"),
            std::string::npos);
  v1::StatsResponse stats = client_->Stats();
  EXPECT_FALSE(stats.store_healthy());
  EXPECT_NE(stats.store_error(), "");

  // Reads keep working and show exactly what was acknowledged.
  for (const auto& [i, id] : acked) {
    v1::Instance inst;
    grpc::Status s = client_->GetInstance(id, &inst);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(inst.business_key(), Key(i));
    EXPECT_EQ(json::parse(inst.variables()), BigVariables(i));
  }
  EXPECT_EQ(List().size(), acked.size());
  EXPECT_TRUE(List(Key(failed)).empty());
  {
    v1::Definition def;
    ASSERT_TRUE(client_->GetDefinition("quota-wait", &def).ok());
    EXPECT_EQ(def.version(), 1);
  }

  // Stop it: a broken store must not keep the daemon from shutting down.
  const int status = StopDaemon();
  ASSERT_NE(status, -1) << "shequd did not stop on SIGTERM\n" << daemon_->Log();
  ASSERT_TRUE(WIFEXITED(status)) << status << "\n" << daemon_->Log();
  EXPECT_EQ(WEXITSTATUS(status), 0) << daemon_->Log();
  EXPECT_EQ(IntegrityCheck(db()), "ok");

  // Restart without the quota: everything acknowledged is there, nothing of the failed call.
  StartDaemon(Config(/*quota=*/false));
  EXPECT_EQ(client_->Health(), kServing);
  EXPECT_EQ(HttpGet(daemon_->http_port(), "/readyz"), "200 ready\n");
  std::vector<v1::Instance> stored = List();
  ASSERT_EQ(stored.size(), acked.size());
  std::set<int64_t> acked_ids;
  for (const auto& [i, id] : acked) acked_ids.insert(id);
  for (const auto& inst : stored) EXPECT_TRUE(acked_ids.count(inst.id())) << inst.id();
  for (const auto& [i, id] : acked) {
    v1::Instance inst;
    grpc::Status s = client_->GetInstance(id, &inst);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(inst.business_key(), Key(i));
    EXPECT_EQ(inst.state(), "active");
    EXPECT_EQ(json::parse(inst.variables()), BigVariables(i)) << Key(i) << " variables changed";
  }
  EXPECT_TRUE(List(Key(failed)).empty());
  EXPECT_TRUE(List("small").empty());
  EXPECT_EQ(client_->Stats().timers_pending(), static_cast<int64_t>(acked.size()));

  // An acknowledged request id still answers its instance; the failed one was never recorded,
  // so sending it now starts the instance for the first time.
  {
    int64_t id = 0;
    grpc::Status s = Start(Key(0), BigVariables(0), Key(0), &id);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(id, acked.at(0));
    s = Start(Key(failed), BigVariables(failed), Key(failed), &id);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_FALSE(acked_ids.count(id));
    EXPECT_EQ(List(Key(failed)).size(), 1u);
  }
  // And the timers of the instances stored before the failure still fire.
  {
    v1::AdvanceClockResponse resp;
    ASSERT_NO_FATAL_FAILURE(resp = client_->Advance("P31D"));
    EXPECT_EQ(resp.timers_fired(), static_cast<int>(acked.size()) + 1);
  }
  for (const auto& inst : List()) EXPECT_EQ(inst.state(), "completed") << inst.business_key();

  EXPECT_EQ(StopDaemon(), 0) << daemon_->Log();
  EXPECT_EQ(IntegrityCheck(db()), "ok");
}

// The failed commit is a Deploy: what reads show afterwards is what is stored, not the
// version whose commit failed.
std::string BigDefinition(int version) {
  std::string yaml = "id: quota-def\nname: big definition\nstart: done\nnodes:\n  done: {type: end}\n";
  for (int line = 0; yaml.size() < 150'000; ++line) {
    yaml += "# v" + std::to_string(version) + " line " + std::to_string(line) + " " +
            std::string(200, 'x') + "\n";
  }
  return yaml;
}

TEST_F(DiskFullTest, FailedDeployLeavesThePreviousVersionLive) {
  StartDaemon(Config(/*quota=*/true));
  std::map<int, std::string> deployed;  // version -> yaml
  int failed = -1;
  for (int v = 1; v <= 100 && failed < 0; ++v) {
    const std::string yaml = BigDefinition(v);
    v1::DeployResponse resp;
    grpc::Status s = client_->TryDeploy(yaml, &resp);
    if (s.ok()) {
      ASSERT_EQ(resp.version(), v);
      deployed[v] = yaml;
    } else {
      EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
      failed = v;
    }
  }
  ASSERT_GE(failed, 0) << "100 definitions of 150 KB did not fill a 1 MiB quota";
  ASSERT_GE(deployed.size(), 1u);
  const int live = deployed.rbegin()->first;
  std::cout << live << " versions stored before the commit failed" << std::endl;
  EXPECT_EQ(client_->AwaitHealth(kNotServing), kNotServing);

  auto expect_live = [&](const char* when) {
    v1::Definition def;
    grpc::Status s = client_->GetDefinition("quota-def", &def);
    ASSERT_TRUE(s.ok()) << when << ": " << s.error_message();
    EXPECT_EQ(def.version(), live) << when << ": the latest version is not the last stored one";
    EXPECT_TRUE(def.yaml() == deployed[live]) << when << ": not the text of version " << live;
    EXPECT_EQ(client_->GetDefinition("quota-def", &def, failed).error_code(),
              grpc::StatusCode::NOT_FOUND)
        << when << ": version " << failed << " was never stored";
    grpc::ClientContext ctx3;
    client_->Prepare(&ctx3);
    v1::ListDefinitionsResponse list;
    ASSERT_TRUE(client_->stubs.definitions->List(&ctx3, v1::ListDefinitionsRequest(), &list).ok());
    bool found = false;
    for (const auto& d : list.definitions()) {
      if (d.id() != "quota-def") continue;
      found = true;
      EXPECT_EQ(d.version(), live) << when;
    }
    EXPECT_TRUE(found) << when;
  };
  expect_live("with the store broken");

  const int status = StopDaemon();
  ASSERT_TRUE(status != -1 && WIFEXITED(status)) << status << "\n" << daemon_->Log();
  EXPECT_EQ(IntegrityCheck(db()), "ok");
  StartDaemon(Config(/*quota=*/false));
  expect_live("after a restart without the quota");
  // The next deploy gets the next version after the stored ones, not after the failed one.
  {
    v1::DeployResponse resp;
    grpc::Status s = client_->TryDeploy(BigDefinition(failed), &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(resp.version(), live + 1);
  }
  EXPECT_EQ(StopDaemon(), 0) << daemon_->Log();
  EXPECT_EQ(IntegrityCheck(db()), "ok");
}

// A database that cannot answer a read (its instances table gone under the daemon): reads fail
// with the store's error instead of answering "no such instance", and /metrics answers 503
// instead of counting zero.
TEST_F(DiskFullTest, UnreadableStoreAnswersReadsWithItsErrorNotWithNothing) {
  StartDaemon(Config(/*quota=*/false));
  ASSERT_NO_FATAL_FAILURE(client_->Deploy(kDefinitionYaml));
  int64_t id = 0;
  ASSERT_TRUE(Start("readable", json::object(), "", &id).ok());
  ASSERT_NE(HttpGet(daemon_->http_port(), "/metrics", kMonitoringHeaders)
                .find("\nshequ_instances_active 1\n"),
            std::string::npos);

  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open_v2(db().c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  char* error = nullptr;
  const int rc = sqlite3_exec(raw, "DROP TABLE instances", nullptr, nullptr, &error);
  const std::string message = error ? error : "";
  sqlite3_free(error);
  sqlite3_close(raw);
  ASSERT_EQ(rc, SQLITE_OK) << message;

  v1::Instance inst;
  grpc::Status s = client_->GetInstance(id, &inst);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INTERNAL) << s.error_message();
  EXPECT_NE(s.error_message().find("no such table"), std::string::npos) << s.error_message();
  {
    grpc::ClientContext ctx;
    client_->Prepare(&ctx);
    v1::StatsResponse stats;
    s = client_->stubs.admin->Stats(&ctx, v1::StatsRequest(), &stats);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INTERNAL) << s.error_message();
  }
  const std::string metrics = HttpGet(daemon_->http_port(), "/metrics", kMonitoringHeaders);
  EXPECT_EQ(metrics.substr(0, 4), "503 ") << metrics;
  EXPECT_NE(metrics.find("no such table"), std::string::npos) << metrics;
}

}  // namespace
}  // namespace shequ::testing
