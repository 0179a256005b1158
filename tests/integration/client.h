#pragma once

// The integration tests' client for shequd's gRPC API (one method per call they make), and a
// fixture that runs each test against its own daemon.

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "tests/integration/daemon_process.h"

namespace shequ::testing {

// Who makes a call, sent as x-shequ-user/-roles/-unit metadata; empty fields are not sent.
struct Caller {
  std::string user, roles, unit;
  bool empty() const { return user.empty() && roles.empty() && unit.empty(); }
};

// An external job worker (Jobs/*).
inline const Caller kJobWorker{"worker-1", "job-worker", ""};

struct ClientOptions {
  // For calls given no caller of their own; its user defaults to "operator" and its roles to
  // district-admin.
  Caller caller;
  std::chrono::seconds deadline{0};  // of every call; 0: none
  // An API token sent instead (authorization: Bearer), for a daemon in token mode.
  std::string token;
};

// "<code> <message>", for failure messages.
std::string Describe(const grpc::Status& s);

// grpc.health.v1 HealthCheckResponse.status.
constexpr int kServing = 1;
constexpr int kNotServing = 2;

// Methods that return a value expect the call to succeed, fail the test otherwise (Deploy and
// Advance* fatally, as ASSERT does, without returning early) and then return what came back.
// Methods that return grpc::Status leave checking to the test.
class Client {
 public:
  explicit Client(const std::shared_ptr<grpc::Channel>& channel, ClientOptions options = {});

  // Sets the deadline and names `as`, or the default caller if `as` is empty. Jobs calls go as
  // kJobWorker.
  void Prepare(grpc::ClientContext* ctx, const Caller& as = {}) const;

  // ---- Definitions
  grpc::Status TryDeploy(const std::string& yaml, v1::DeployResponse* out = nullptr,
                         const std::string& request_id = "");
  int Deploy(const std::string& yaml);  // returns the version
  grpc::Status GetDefinition(const std::string& id, v1::Definition* out, int version = 0);
  v1::Definition Definition(const std::string& id, int version = 0);

  // ---- Instances
  grpc::Status TryStart(const v1::StartRequest& req, v1::StartResponse* out = nullptr,
                        const Caller& as = {});
  int64_t Start(const v1::StartRequest& req, const Caller& as = {});  // returns the id
  int64_t Start(const std::string& definition,
                const nlohmann::json& variables = nlohmann::json::object(), const Caller& as = {},
                const std::string& request_id = "");
  grpc::Status GetInstance(int64_t id, v1::Instance* out);
  v1::Instance Instance(int64_t id);
  std::vector<v1::Instance> Instances(const std::string& definition);
  std::vector<v1::Instance> Instances(const v1::ListInstancesRequest& req,
                                      std::string* next_page_token = nullptr);
  grpc::Status Cancel(int64_t id, const std::string& reason, const Caller& as = {},
                      const std::string& request_id = "");
  grpc::Status TryPublish(const v1::PublishMessageRequest& req,
                          v1::PublishMessageResponse* out = nullptr, const Caller& as = {});
  v1::PublishMessageResponse Publish(const std::string& name, const std::string& correlation,
                                     const nlohmann::json& variables = nlohmann::json::object(),
                                     int64_t ttl_ms = 0);
  std::vector<v1::Event> History(int64_t instance_id, int64_t after_seq = 0);  // up to 10000

  // ---- Tasks
  grpc::Status GetTask(int64_t id, v1::Task* out);
  v1::Task Task(int64_t id);
  // Tasks of an instance: those not completed or cancelled, or those in `state`.
  std::vector<v1::Task> Tasks(int64_t instance_id, const std::string& state = "");
  grpc::Status TryListTasks(const v1::ListTasksRequest& req, v1::ListTasksResponse* out = nullptr);
  std::vector<v1::Task> ListTasks(const v1::ListTasksRequest& req,
                                  std::string* next_page_token = nullptr);
  v1::Task OnlyTask(int64_t instance_id);  // expects exactly one open task
  // Each fills *out with the task the answer carries.
  grpc::Status Claim(int64_t task, const Caller& as, v1::Task* out = nullptr,
                     const std::string& request_id = "");
  grpc::Status Complete(int64_t task, const Caller& as, const std::string& outcome = "",
                        v1::Task* out = nullptr, const std::string& variables = "",
                        const std::string& request_id = "");
  grpc::Status Delegate(int64_t task, const Caller& as, const std::string& to,
                        const std::string& comment = "", v1::Task* out = nullptr,
                        const std::string& request_id = "");
  grpc::Status Transfer(int64_t task, const Caller& as, const std::string& to,
                        const std::string& comment = "", v1::Task* out = nullptr,
                        const std::string& request_id = "");
  grpc::Status Return(int64_t task, const Caller& as, const std::string& to_node,
                      const std::string& comment = "", v1::Task* out = nullptr,
                      const std::string& request_id = "");

  // ---- Jobs
  // attempt: the hand-out answered (0 = not checked).
  grpc::Status CompleteJob(int64_t job, const std::string& variables = "",
                           const std::string& request_id = "", int attempt = 0);
  grpc::Status FailJob(int64_t job, const std::string& error, v1::FailJobResponse* out = nullptr,
                       std::optional<int> retries_left = -1,  // nullopt: not sent
                       const std::string& request_id = "");

  // ---- Incidents
  std::vector<v1::Incident> Incidents(int64_t instance_id, const std::string& state = "");
  grpc::Status Resolve(int64_t incident, const nlohmann::json& variables, int retries = 0);

  // ---- Notifications
  std::vector<v1::Notification> Notifications(const std::string& recipient,
                                              const std::string& role = "",
                                              bool include_acked = false);
  grpc::Status Ack(int64_t id, const Caller& as, const std::string& request_id = "");

  // ---- Workforce
  // The district administrator creates a unit (`name` is also its display name).
  grpc::Status CreateUnit(const std::string& id, const std::string& parent,
                          const std::string& name, const std::string& kind,
                          const std::string& community_type = "", int households = 0,
                          int unit_class = 0);
  // The establishment committee (编委) approves `approved` posts for the unit from 2026-01-01,
  // with its approval document.
  grpc::Status ReviseQuota(const std::string& unit_id, int approved);

  // ---- Admin and health
  grpc::Status TryAdvance(const v1::AdvanceClockRequest& req,
                          v1::AdvanceClockResponse* out = nullptr);
  v1::AdvanceClockResponse Advance(const std::string& by);  // e.g. "PT1H", "2wd"
  v1::AdvanceClockResponse AdvanceTo(int64_t to_ms);        // also expects now_ms == to_ms
  v1::StatsResponse Stats();
  // grpc.health.v1.Health/Check: the status, or -1 if the call failed (*call says why).
  int Health(const std::string& service = "", grpc::Status* call = nullptr);
  // Polls Health until it answers `want` or 5 s pass; returns the last answer.
  int AwaitHealth(int want);

  Stubs stubs;  // for calls the methods above do not make

 private:
  std::shared_ptr<grpc::Channel> channel_;
  ClientOptions options_;
};

// Each test gets a daemon (fake clock, fixture config) on a fresh data directory and a client;
// the directory is removed if the test passed.
class DaemonTest : public ::testing::Test {
 protected:
  explicit DaemonTest(std::string dir_prefix, ClientOptions client = {})
      : prefix_(std::move(dir_prefix)), client_options_(std::move(client)) {}

  void SetUp() override;
  void TearDown() override;

  // Starts the daemon on dir_ with `options` (data_dir is set here) and connects client_.
  void StartDaemon(DaemonProcess::Options options = {});
  // Hangs up first (server shutdown waits for connected clients), then SIGTERM; the wait status.
  int StopDaemon();

  bool start_in_setup_ = true;  // false: the test calls StartDaemon itself
  std::string dir_;
  std::unique_ptr<DaemonProcess> daemon_;
  std::unique_ptr<Client> client_;

 private:
  std::string prefix_;
  ClientOptions client_options_;
};

}  // namespace shequ::testing
