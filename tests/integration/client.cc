#include "tests/integration/client.h"

#include <google/protobuf/unknown_field_set.h>
#include <grpcpp/generic/generic_stub.h>

#include <filesystem>
#include <future>
#include <thread>

namespace shequ::testing {

using nlohmann::json;

namespace {

// ASSERT_TRUE in a function of its own: a fatal failure that does not end the caller.
void AssertOk(const grpc::Status& s, const std::string& what) {
  ASSERT_TRUE(s.ok()) << what << ": " << Describe(s);
}

// One unary call with `client`'s deadline and caller.
template <typename Stub, typename Request, typename Response>
grpc::Status Call(const Client& client, Stub& stub,
                  grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                  const Request& req, Response* resp, const Caller& as = {}) {
  grpc::ClientContext ctx;
  client.Prepare(&ctx, as);
  return (stub.*method)(&ctx, req, resp);
}

// A Tasks call answered with the task: *out gets it.
template <typename Request>
grpc::Status TaskCall(Client& client,
                      grpc::Status (v1::Tasks::Stub::*method)(grpc::ClientContext*, const Request&,
                                                              v1::TaskResponse*),
                      const Request& req, const Caller& as, v1::Task* out) {
  v1::TaskResponse resp;
  grpc::Status s = Call(client, *client.stubs.tasks, method, req, &resp, as);
  if (out) *out = resp.task();
  return s;
}

template <typename T>
std::vector<T> ToVector(const google::protobuf::RepeatedPtrField<T>& items) {
  return {items.begin(), items.end()};
}

}  // namespace

std::string Describe(const grpc::Status& s) {
  return std::to_string(s.error_code()) + " " + s.error_message();
}

Client::Client(const std::shared_ptr<grpc::Channel>& channel, ClientOptions options)
    : stubs(channel), channel_(channel), options_(std::move(options)) {}

void Client::Prepare(grpc::ClientContext* ctx, const Caller& as) const {
  if (options_.deadline.count() > 0) {
    ctx->set_deadline(std::chrono::system_clock::now() + options_.deadline);
  }
  if (as.empty() && !options_.token.empty()) {
    ctx->AddMetadata("authorization", "Bearer " + options_.token);
    return;
  }
  Caller c = as.empty() ? options_.caller : as;
  if (as.empty()) {
    // The test's operator: the district's administrator unless the test says otherwise.
    if (c.user.empty()) c.user = "operator";
    if (c.roles.empty()) c.roles = "district-admin";
  }
  Identify(ctx, c.user, c.roles, c.unit);
}

// ---- Definitions

grpc::Status Client::TryDeploy(const std::string& yaml, v1::DeployResponse* out,
                               const std::string& request_id) {
  v1::DeployRequest req;
  req.set_yaml(yaml);
  req.set_request_id(request_id);
  v1::DeployResponse resp;
  grpc::Status s = Call(*this, *stubs.definitions, &v1::Definitions::Stub::Deploy, req, &resp);
  if (out) *out = resp;
  return s;
}

int Client::Deploy(const std::string& yaml) {
  v1::DeployResponse resp;
  AssertOk(TryDeploy(yaml, &resp), "Deploy");
  return resp.version();
}

grpc::Status Client::GetDefinition(const std::string& id, v1::Definition* out, int version) {
  v1::GetDefinitionRequest req;
  req.set_id(id);
  req.set_version(version);
  return Call(*this, *stubs.definitions, &v1::Definitions::Stub::Get, req, out);
}

v1::Definition Client::Definition(const std::string& id, int version) {
  v1::Definition def;
  grpc::Status s = GetDefinition(id, &def, version);
  EXPECT_TRUE(s.ok()) << id << ": " << Describe(s);
  return def;
}

// ---- Instances

grpc::Status Client::TryStart(const v1::StartRequest& req, v1::StartResponse* out,
                              const Caller& as) {
  v1::StartResponse resp;
  grpc::Status s = Call(*this, *stubs.instances, &v1::Instances::Stub::Start, req, &resp, as);
  if (out) *out = resp;
  return s;
}

int64_t Client::Start(const v1::StartRequest& req, const Caller& as) {
  v1::StartResponse resp;
  grpc::Status s = TryStart(req, &resp, as);
  EXPECT_TRUE(s.ok()) << req.definition_id() << ": " << Describe(s);
  return resp.instance_id();
}

int64_t Client::Start(const std::string& definition, const json& variables, const Caller& as,
                      const std::string& request_id) {
  v1::StartRequest req;
  req.set_definition_id(definition);
  req.set_variables(variables.dump());
  req.set_request_id(request_id);
  return Start(req, as);
}

grpc::Status Client::GetInstance(int64_t id, v1::Instance* out) {
  v1::GetInstanceRequest req;
  req.set_id(id);
  return Call(*this, *stubs.instances, &v1::Instances::Stub::Get, req, out);
}

v1::Instance Client::Instance(int64_t id) {
  v1::Instance inst;
  grpc::Status s = GetInstance(id, &inst);
  EXPECT_TRUE(s.ok()) << Describe(s);
  return inst;
}

std::vector<v1::Instance> Client::Instances(const std::string& definition) {
  v1::ListInstancesRequest req;
  req.set_definition_id(definition);
  return Instances(req);
}

std::vector<v1::Instance> Client::Instances(const v1::ListInstancesRequest& req,
                                            std::string* next_page_token) {
  v1::ListInstancesResponse resp;
  grpc::Status s = Call(*this, *stubs.instances, &v1::Instances::Stub::List, req, &resp);
  EXPECT_TRUE(s.ok()) << Describe(s);
  if (next_page_token) *next_page_token = resp.next_page_token();
  return ToVector(resp.instances());
}

grpc::Status Client::Cancel(int64_t id, const std::string& reason, const Caller& as,
                            const std::string& request_id) {
  v1::CancelRequest req;
  req.set_id(id);
  req.set_reason(reason);
  req.set_request_id(request_id);
  v1::CancelResponse resp;
  return Call(*this, *stubs.instances, &v1::Instances::Stub::Cancel, req, &resp, as);
}

grpc::Status Client::TryPublish(const v1::PublishMessageRequest& req,
                                v1::PublishMessageResponse* out, const Caller& as) {
  v1::PublishMessageResponse resp;
  grpc::Status s =
      Call(*this, *stubs.instances, &v1::Instances::Stub::PublishMessage, req, &resp, as);
  if (out) *out = resp;
  return s;
}

v1::PublishMessageResponse Client::Publish(const std::string& name, const std::string& correlation,
                                           const json& variables, int64_t ttl_ms) {
  v1::PublishMessageRequest req;
  req.set_name(name);
  req.set_correlation(correlation);
  req.set_variables(variables.dump());
  req.set_ttl_ms(ttl_ms);
  v1::PublishMessageResponse resp;
  grpc::Status s = TryPublish(req, &resp);
  EXPECT_TRUE(s.ok()) << Describe(s);
  return resp;
}

std::vector<v1::Event> Client::History(int64_t instance_id, int64_t after_seq) {
  v1::HistoryRequest req;
  req.set_instance_id(instance_id);
  req.set_after_seq(after_seq);
  req.set_limit(10000);
  v1::HistoryResponse resp;
  grpc::Status s = Call(*this, *stubs.instances, &v1::Instances::Stub::History, req, &resp);
  EXPECT_TRUE(s.ok()) << Describe(s);
  return ToVector(resp.events());
}

// ---- Tasks

grpc::Status Client::GetTask(int64_t id, v1::Task* out) {
  v1::GetTaskRequest req;
  req.set_id(id);
  return Call(*this, *stubs.tasks, &v1::Tasks::Stub::Get, req, out);
}

v1::Task Client::Task(int64_t id) {
  v1::Task task;
  grpc::Status s = GetTask(id, &task);
  EXPECT_TRUE(s.ok()) << Describe(s);
  return task;
}

std::vector<v1::Task> Client::Tasks(int64_t instance_id, const std::string& state) {
  v1::ListTasksRequest req;
  req.set_instance_id(instance_id);
  req.set_state(state);
  return ListTasks(req);
}

grpc::Status Client::TryListTasks(const v1::ListTasksRequest& req, v1::ListTasksResponse* out) {
  v1::ListTasksResponse ignored;
  return Call(*this, *stubs.tasks, &v1::Tasks::Stub::List, req, out ? out : &ignored);
}

std::vector<v1::Task> Client::ListTasks(const v1::ListTasksRequest& req,
                                        std::string* next_page_token) {
  v1::ListTasksResponse resp;
  grpc::Status s = TryListTasks(req, &resp);
  EXPECT_TRUE(s.ok()) << Describe(s);
  if (next_page_token) *next_page_token = resp.next_page_token();
  return ToVector(resp.tasks());
}

v1::Task Client::OnlyTask(int64_t instance_id) {
  auto tasks = Tasks(instance_id);
  EXPECT_EQ(tasks.size(), 1u);
  return tasks.empty() ? v1::Task() : tasks[0];
}

grpc::Status Client::Claim(int64_t task, const Caller& as, v1::Task* out,
                           const std::string& request_id) {
  v1::ClaimRequest req;
  req.set_task_id(task);
  req.set_request_id(request_id);
  return TaskCall(*this, &v1::Tasks::Stub::Claim, req, as, out);
}

grpc::Status Client::Complete(int64_t task, const Caller& as, const std::string& outcome,
                              v1::Task* out, const std::string& variables,
                              const std::string& request_id) {
  v1::CompleteRequest req;
  req.set_task_id(task);
  req.set_outcome(outcome);
  req.set_variables(variables);
  req.set_request_id(request_id);
  return TaskCall(*this, &v1::Tasks::Stub::Complete, req, as, out);
}

grpc::Status Client::Delegate(int64_t task, const Caller& as, const std::string& to,
                              const std::string& comment, v1::Task* out,
                              const std::string& request_id) {
  v1::DelegateRequest req;
  req.set_task_id(task);
  req.set_to(to);
  req.set_comment(comment);
  req.set_request_id(request_id);
  return TaskCall(*this, &v1::Tasks::Stub::Delegate, req, as, out);
}

grpc::Status Client::Transfer(int64_t task, const Caller& as, const std::string& to,
                              const std::string& comment, v1::Task* out,
                              const std::string& request_id) {
  v1::TransferRequest req;
  req.set_task_id(task);
  req.set_to(to);
  req.set_comment(comment);
  req.set_request_id(request_id);
  return TaskCall(*this, &v1::Tasks::Stub::Transfer, req, as, out);
}

grpc::Status Client::Return(int64_t task, const Caller& as, const std::string& to_node,
                            const std::string& comment, v1::Task* out,
                            const std::string& request_id) {
  v1::ReturnRequest req;
  req.set_task_id(task);
  req.set_to_node(to_node);
  req.set_comment(comment);
  req.set_request_id(request_id);
  return TaskCall(*this, &v1::Tasks::Stub::Return, req, as, out);
}

// ---- Jobs

grpc::Status Client::CompleteJob(int64_t job, const std::string& variables,
                                 const std::string& request_id, int attempt) {
  v1::CompleteJobRequest req;
  req.set_job_id(job);
  req.set_variables(variables);
  req.set_request_id(request_id);
  req.set_attempt(attempt);
  v1::CompleteJobResponse resp;
  return Call(*this, *stubs.jobs, &v1::Jobs::Stub::Complete, req, &resp, kJobWorker);
}

grpc::Status Client::FailJob(int64_t job, const std::string& error, v1::FailJobResponse* out,
                             std::optional<int> retries_left, const std::string& request_id) {
  v1::FailJobRequest req;
  req.set_job_id(job);
  req.set_error(error);
  if (retries_left) req.set_retries_left(*retries_left);
  req.set_request_id(request_id);
  v1::FailJobResponse resp;
  grpc::Status s = Call(*this, *stubs.jobs, &v1::Jobs::Stub::Fail, req, &resp, kJobWorker);
  if (out) *out = resp;
  return s;
}

// ---- Incidents

std::vector<v1::Incident> Client::Incidents(int64_t instance_id, const std::string& state) {
  v1::ListIncidentsRequest req;
  req.set_instance_id(instance_id);
  req.set_state(state);
  v1::ListIncidentsResponse resp;
  grpc::Status s = Call(*this, *stubs.incidents, &v1::Incidents::Stub::List, req, &resp);
  EXPECT_TRUE(s.ok()) << Describe(s);
  return ToVector(resp.incidents());
}

grpc::Status Client::Resolve(int64_t incident, const json& variables, int retries) {
  v1::ResolveIncidentRequest req;
  req.set_id(incident);
  req.set_retries(retries);
  req.set_variables(variables.dump());
  v1::ResolveIncidentResponse resp;
  return Call(*this, *stubs.incidents, &v1::Incidents::Stub::Resolve, req, &resp);
}

// ---- Notifications

std::vector<v1::Notification> Client::Notifications(const std::string& recipient,
                                                    const std::string& role, bool include_acked) {
  v1::ListNotificationsRequest req;
  req.set_recipient(recipient);
  req.set_role(role);
  req.set_include_acked(include_acked);
  v1::ListNotificationsResponse resp;
  grpc::Status s = Call(*this, *stubs.notifications, &v1::Notifications::Stub::List, req, &resp);
  EXPECT_TRUE(s.ok()) << Describe(s);
  return ToVector(resp.notifications());
}

grpc::Status Client::Ack(int64_t id, const Caller& as, const std::string& request_id) {
  v1::AckRequest req;
  req.set_id(id);
  req.set_request_id(request_id);
  v1::AckResponse resp;
  return Call(*this, *stubs.notifications, &v1::Notifications::Stub::Ack, req, &resp, as);
}

// ---- Admin and health

grpc::Status Client::CreateUnit(const std::string& id, const std::string& parent,
                                const std::string& name, const std::string& kind,
                                const std::string& community_type, int households,
                                int unit_class) {
  v1::CreateUnitRequest req;
  v1::Unit* u = req.mutable_unit();
  u->set_id(id);
  u->set_parent_id(parent);
  u->set_name(name);
  u->set_kind(kind);
  u->set_community_type(community_type);
  u->set_households(households);
  u->set_unit_class(unit_class);
  grpc::ClientContext ctx;
  Prepare(&ctx, {"root", "district-admin", ""});
  v1::Unit out;
  return stubs.workforce->CreateUnit(&ctx, req, &out);
}

grpc::Status Client::ReviseQuota(const std::string& unit_id, int approved) {
  v1::ReviseQuotaRequest req;
  req.set_unit_id(unit_id);
  req.set_approved(approved);
  req.set_effective_from("2026-01-01");
  req.set_reason("核定");
  req.set_approval_document("包编〔2026〕1号");
  grpc::ClientContext ctx;
  Prepare(&ctx, {"bian.wei", "establishment-committee", ""});
  v1::QuotaRevision out;
  return stubs.workforce->ReviseQuota(&ctx, req, &out);
}

grpc::Status Client::TryAdvance(const v1::AdvanceClockRequest& req, v1::AdvanceClockResponse* out) {
  v1::AdvanceClockResponse resp;
  grpc::Status s = Call(*this, *stubs.admin, &v1::Admin::Stub::AdvanceClock, req, &resp);
  if (out) *out = resp;
  return s;
}

v1::AdvanceClockResponse Client::Advance(const std::string& by) {
  v1::AdvanceClockRequest req;
  req.set_by(by);
  v1::AdvanceClockResponse resp;
  AssertOk(TryAdvance(req, &resp), "AdvanceClock by " + by);
  return resp;
}

v1::AdvanceClockResponse Client::AdvanceTo(int64_t to_ms) {
  v1::AdvanceClockRequest req;
  req.set_to_ms(to_ms);
  v1::AdvanceClockResponse resp;
  AssertOk(TryAdvance(req, &resp), "AdvanceClock to " + std::to_string(to_ms));
  EXPECT_EQ(resp.now_ms(), to_ms);
  return resp;
}

v1::StatsResponse Client::Stats() {
  v1::StatsResponse resp;
  grpc::Status s = Call(*this, *stubs.admin, &v1::Admin::Stub::Stats, v1::StatsRequest(), &resp);
  EXPECT_TRUE(s.ok()) << Describe(s);
  return resp;
}

// Debian's libgrpc++ serves the health service but ships no generated client: a generic stub,
// with the messages read and written as protobuf unknown fields.
int Client::Health(const std::string& service, grpc::Status* call) {
  google::protobuf::UnknownFieldSet req;
  if (!service.empty()) req.AddLengthDelimited(1, service);  // HealthCheckRequest.service
  std::string bytes;
  req.SerializeToString(&bytes);
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request(&slice, 1), response;
  grpc::GenericStub stub(channel_);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  std::promise<grpc::Status> done;
  stub.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                 [&done](grpc::Status s) { done.set_value(std::move(s)); });
  grpc::Status s = done.get_future().get();
  if (call) *call = s;
  if (!s.ok()) return -1;
  std::vector<grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) return -1;
  bytes.clear();
  for (const auto& sl : slices) bytes.append(reinterpret_cast<const char*>(sl.begin()), sl.size());
  google::protobuf::UnknownFieldSet resp;
  if (!resp.ParseFromString(bytes)) return -1;
  for (int i = 0; i < resp.field_count(); ++i) {
    if (resp.field(i).number() == 1 &&
        resp.field(i).type() == google::protobuf::UnknownField::TYPE_VARINT) {
      return static_cast<int>(resp.field(i).varint());
    }
  }
  return 0;  // proto3 default: UNKNOWN
}

int Client::AwaitHealth(int want) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  int got = Health();
  while (got != want && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    got = Health();
  }
  return got;
}

// ---- DaemonTest

void DaemonTest::SetUp() {
  dir_ = MakeTempDir(prefix_);
  ASSERT_FALSE(dir_.empty());
  if (start_in_setup_) StartDaemon();
}

void DaemonTest::TearDown() {
  client_.reset();
  daemon_.reset();
  // Keep the data and the daemon's log of a failed test for a look.
  if (!HasFailure() && !dir_.empty()) std::filesystem::remove_all(dir_);
}

void DaemonTest::StartDaemon(DaemonProcess::Options options) {
  client_.reset();
  daemon_.reset();
  options.data_dir = dir_;
  std::string error;
  daemon_ = DaemonProcess::Start(options, &error);
  ASSERT_NE(daemon_, nullptr) << error;
  client_ = std::make_unique<Client>(daemon_->channel(), client_options_);
}

int DaemonTest::StopDaemon() {
  client_.reset();
  return daemon_->Terminate();
}

}  // namespace shequ::testing
