// Health, readiness, metrics, reflection, the real clock and graceful shutdown, through the real
// daemon.
//
// Debian's libgrpc++ serves grpc.health.v1.Health and grpc.reflection.v1alpha.ServerReflection
// but ships neither generated client, so this test calls them through grpc::GenericStub and
// encodes/decodes the (tiny) messages with protobuf's UnknownFieldSet.

#include <google/protobuf/unknown_field_set.h>
#include <grpcpp/generic/generic_stub.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <tuple>

#include "nlohmann/json.hpp"
#include "tests/integration/client.h"

namespace shequ::testing {
namespace {

using google::protobuf::UnknownFieldSet;
using nlohmann::json;
using ::testing::HasSubstr;

// ---- raw gRPC helpers ----------------------------------------------------------------------

std::string ToBytes(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  for (const auto& s : slices) out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

grpc::ByteBuffer FromBytes(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

// grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo with list_services (field 7);
// the answer's list_services_response (6) holds repeated ServiceResponse (1) { name (1) }.
std::set<std::string> ReflectedServices(const std::shared_ptr<grpc::Channel>& channel,
                                        grpc::Status* status) {
  std::set<std::string> names;
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto call =
      stub.PrepareCall(&ctx, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
  void* tag = nullptr;
  bool ok = false;
  auto step = [&](intptr_t want) {
    return cq.Next(&tag, &ok) && reinterpret_cast<intptr_t>(tag) == want && ok;
  };
  UnknownFieldSet req;
  req.AddLengthDelimited(7, "*");
  std::string bytes;
  req.SerializeToString(&bytes);
  grpc::ByteBuffer request = FromBytes(bytes), response;
  bool got = false;
  call->StartCall(reinterpret_cast<void*>(1));
  if (step(1)) {
    call->Write(request, reinterpret_cast<void*>(2));
    if (step(2)) {
      call->WritesDone(reinterpret_cast<void*>(3));
      if (step(3)) {
        call->Read(&response, reinterpret_cast<void*>(4));
        got = step(4);
      }
    }
  }
  call->Finish(status, reinterpret_cast<void*>(5));
  while (cq.Next(&tag, &ok) && reinterpret_cast<intptr_t>(tag) != 5) {
  }
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  if (!got) return names;
  UnknownFieldSet resp;
  if (!resp.ParseFromString(ToBytes(response))) return names;
  for (int i = 0; i < resp.field_count(); ++i) {
    if (resp.field(i).number() != 6) continue;
    UnknownFieldSet list;
    list.ParseFromString(resp.field(i).length_delimited());
    for (int j = 0; j < list.field_count(); ++j) {
      if (list.field(j).number() != 1) continue;
      UnknownFieldSet service;
      service.ParseFromString(list.field(j).length_delimited());
      for (int k = 0; k < service.field_count(); ++k) {
        if (service.field(k).number() == 1) names.insert(service.field(k).length_delimited());
      }
    }
  }
  return names;
}

// ---- Prometheus text -----------------------------------------------------------------------

struct Metrics {
  std::map<std::string, std::string> types;  // family -> gauge, counter, histogram
  std::map<std::string, double> series;      // "name{labels}" or "name" -> value

  bool Has(const std::string& s) const { return series.count(s) > 0; }
  double At(const std::string& s) const {
    auto it = series.find(s);
    EXPECT_NE(it, series.end()) << "no series " << s;
    return it == series.end() ? std::nan("") : it->second;
  }
  // The cumulative buckets of a histogram, by upper bound.
  std::map<double, double> Buckets(const std::string& family) const {
    std::map<double, double> out;
    const std::string prefix = family + "_bucket{le=\"";
    for (const auto& [name, value] : series) {
      if (name.rfind(prefix, 0) != 0) continue;
      std::string le = name.substr(prefix.size(), name.size() - prefix.size() - 2);
      out[le == "+Inf" ? INFINITY : std::strtod(le.c_str(), nullptr)] = value;
    }
    return out;
  }
};

Metrics ScrapeMetrics(int http_port) {
  Metrics m;
  std::string resp = HttpGet(http_port, "/metrics", kMonitoringHeaders);
  EXPECT_EQ(resp.substr(0, 4), "200 ") << resp;
  std::istringstream in(resp.substr(4));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (line.rfind("# TYPE ", 0) == 0) {
      std::istringstream t(line.substr(7));
      std::string name, type;
      t >> name >> type;
      m.types[name] = type;
      continue;
    }
    if (line[0] == '#') continue;
    const auto space = line.rfind(' ');
    EXPECT_NE(space, std::string::npos) << line;
    if (space == std::string::npos) continue;
    const std::string value = line.substr(space + 1);
    m.series[line.substr(0, space)] =
        value == "+Inf" ? INFINITY : value == "NaN" ? std::nan("") : std::stod(value);
  }
  return m;
}

// Histogram invariants: cumulative buckets never decrease, +Inf equals _count.
void ExpectWellFormedHistogram(const Metrics& m, const std::string& family) {
  auto buckets = m.Buckets(family);
  ASSERT_FALSE(buckets.empty()) << family;
  ASSERT_TRUE(buckets.count(INFINITY)) << family << " has no +Inf bucket";
  double last = 0;
  for (const auto& [le, n] : buckets) {
    EXPECT_GE(n, last) << family << " bucket le=" << le << " is not cumulative";
    last = n;
  }
  EXPECT_EQ(buckets.at(INFINITY), m.At(family + "_count")) << family;
  EXPECT_TRUE(m.Has(family + "_sum")) << family;
}

// ---- fixture -------------------------------------------------------------------------------

constexpr char kTimerYaml[] = R"(id: metrics-timer
name: metrics timer
start: wait
nodes:
  wait: {type: timer, duration: P1D, next: done}
  done: {type: end}
)";

class HealthMetricsTest : public DaemonTest {
 protected:
  HealthMetricsTest() : DaemonTest("health") {}

  // vacancy-approval reads the vacancies from the registry: community-7 of street-1, with room.
  void SetUp() override {
    DaemonTest::SetUp();
    for (const auto& [id, parent, kind] :
         {std::tuple{"bh", "", "district"}, std::tuple{"street-1", "bh", "street"},
          std::tuple{"community-7", "street-1", "community"}}) {
      v1::CreateUnitRequest req;
      req.mutable_unit()->set_id(id);
      req.mutable_unit()->set_parent_id(parent);
      req.mutable_unit()->set_name(id);
      req.mutable_unit()->set_kind(kind);
      if (std::string(kind) == "community") req.mutable_unit()->set_community_type("城市社区");
      grpc::ClientContext ctx;
      client_->Prepare(&ctx);
      v1::Unit out;
      grpc::Status s = client_->stubs.workforce->CreateUnit(&ctx, req, &out);
      ASSERT_TRUE(s.ok()) << Describe(s);
    }
    grpc::Status s = client_->ReviseQuota("community-7", 10000);
    ASSERT_TRUE(s.ok()) << Describe(s);
  }

  // A vacancy request within the quota: it waits at the leading group's user task.
  int64_t StartVacancy(const std::string& key) {
    v1::StartRequest req;
    req.set_definition_id("vacancy-approval");
    req.set_business_key(key);
    req.set_unit("community-7");
    req.set_variables(json{{"community", "community-7"}, {"street", "street-1"}, {"posts", 1},
                           {"vacancies", 2}, {"reason", key}}.dump());
    req.set_request_id("start-" + key);
    return client_->Start(req, {"wang", "street-office", "street-1"});
  }

  int64_t StartTimer(const std::string& key) {
    v1::StartRequest req;
    req.set_definition_id("metrics-timer");
    req.set_business_key(key);
    return client_->Start(req);
  }
};

TEST_F(HealthMetricsTest, HealthyDaemonServesHealthAndProbes) {
  grpc::Status call;
  EXPECT_EQ(client_->Health("", &call), kServing)
      << call.error_code() << " " << call.error_message();
  EXPECT_EQ(HttpGet(daemon_->http_port(), "/healthz"), "200 ok\n");
  EXPECT_EQ(HttpGet(daemon_->http_port(), "/readyz"), "200 ready\n");
  EXPECT_EQ(HttpGet(daemon_->http_port(), "/nope").substr(0, 4), "404 ");
  v1::StatsResponse stats = client_->Stats();
  EXPECT_TRUE(stats.store_healthy());
  EXPECT_EQ(stats.store_error(), "");
  EXPECT_EQ(stats.now_ms(), kMonday0900);  // the fake clock, where the harness put it
}

// A port another process holds stops the start at once, naming it (gRPC's default
// SO_REUSEPORT would let the second daemon share the first one's port).
TEST_F(HealthMetricsTest, PortsInUseStopASecondDaemonNamingThem) {
  DaemonProcess::Options o;
  o.data_dir = MakeTempDir("shequ-second-grpc");
  o.extra_args = {"--listen", daemon_->address()};
  std::string error;
  EXPECT_FALSE(DaemonProcess::Start(o, &error));
  EXPECT_THAT(error, HasSubstr("cannot serve gRPC on " + daemon_->address()));
  o.data_dir = MakeTempDir("shequ-second-http");
  const std::string http = "127.0.0.1:" + std::to_string(daemon_->http_port());
  o.extra_args = {"--http", http};
  EXPECT_FALSE(DaemonProcess::Start(o, &error));
  EXPECT_THAT(error, HasSubstr("http: cannot listen on " + http + ": Address already in use"));
}

// The HTTP routes go through the authorisation table as the RPCs do: health is public, the
// metrics need a principal with a role that may read them.
TEST_F(HealthMetricsTest, MetricsNeedAMonitoringPrincipal) {
  const int port = daemon_->http_port();
  EXPECT_EQ(HttpGet(port, "/healthz?probe=1"), "200 ok\n");
  EXPECT_EQ(HttpGet(port, "/metrics").substr(0, 4), "401 ");
  EXPECT_THAT(HttpGet(port, "/metrics"), HasSubstr("needs an authenticated principal"));
  const std::string worker = HttpGet(
      port, "/metrics", "x-shequ-user: w1\r\nx-shequ-roles: worker\r\nx-shequ-unit: bh\r\n");
  EXPECT_EQ(worker.substr(0, 4), "403 ") << worker;
  EXPECT_THAT(worker, HasSubstr("needs one of the roles district-admin, auditor, monitoring"));
  EXPECT_EQ(HttpGet(port, "/metrics", kMonitoringHeaders).substr(0, 4), "200 ");
  const std::string auditor =
      HttpGet(port, "/metrics", "x-shequ-user: a\r\nx-shequ-roles: auditor\r\n");
  EXPECT_EQ(auditor.substr(0, 4), "200 ");
}

TEST_F(HealthMetricsTest, MetricsHaveTheDocumentedFamiliesAndFollowTheEngine) {
  client_->Deploy(kTimerYaml);
  const Metrics m0 = ScrapeMetrics(daemon_->http_port());
  const std::map<std::string, std::string> kFamilies = {
      {"shequ_instances_active", "gauge"},     {"shequ_tasks_open", "gauge"},
      {"shequ_jobs_pending", "gauge"},         {"shequ_timers_pending", "gauge"},
      {"shequ_incidents_open", "gauge"},       {"shequ_notifications_unacked", "gauge"},
      {"shequ_store_healthy", "gauge"},        {"shequ_store_commits_total", "counter"},
      {"shequ_store_commit_batches", "histogram"}, {"shequ_store_commit_seconds", "histogram"}};
  for (const auto& [family, type] : kFamilies) {
    auto it = m0.types.find(family);
    ASSERT_NE(it, m0.types.end()) << "no # TYPE line for " << family;
    EXPECT_EQ(it->second, type) << family;
  }
  // The quota revision of SetUp waits in its quota-review instance, on one timer.
  EXPECT_EQ(m0.At("shequ_instances_active"), 1);
  EXPECT_EQ(m0.At("shequ_tasks_open"), 0);
  EXPECT_EQ(m0.At("shequ_jobs_pending"), 0);
  EXPECT_EQ(m0.At("shequ_timers_pending"), 1);
  EXPECT_EQ(m0.At("shequ_store_healthy"), 1);
  // At least the start-up deploy of vacancy-approval and our deploy committed.
  EXPECT_GE(m0.At("shequ_store_commits_total"), 2);
  ExpectWellFormedHistogram(m0, "shequ_store_commit_batches");
  ExpectWellFormedHistogram(m0, "shequ_store_commit_seconds");
  EXPECT_EQ(m0.At("shequ_store_commit_batches_count"), m0.At("shequ_store_commits_total"));
  EXPECT_EQ(m0.At("shequ_store_commit_seconds_count"), m0.At("shequ_store_commits_total"));

  // Five sequential starts: five commits of one batch each, nothing else (fake clock, no jobs).
  for (int i = 0; i < 3; ++i) StartVacancy("m-" + std::to_string(i));
  for (int i = 0; i < 2; ++i) StartTimer("t-" + std::to_string(i));
  const Metrics m1 = ScrapeMetrics(daemon_->http_port());
  const v1::StatsResponse s1 = client_->Stats();
  EXPECT_EQ(m1.At("shequ_instances_active"), 1 + 5);
  EXPECT_EQ(m1.At("shequ_tasks_open"), 3);
  EXPECT_EQ(m1.At("shequ_jobs_pending"), 0);
  EXPECT_EQ(m1.At("shequ_notifications_unacked"), 3);  // one task.created per task
  // Each user task holds its reminder/due/escalation timers, each timer instance one.
  EXPECT_GE(m1.At("shequ_timers_pending"), 3 + 2);
  EXPECT_EQ(m1.At("shequ_timers_pending"), s1.timers_pending());
  EXPECT_EQ(m1.At("shequ_instances_active"), s1.instances_active());
  EXPECT_EQ(m1.At("shequ_store_commits_total") - m0.At("shequ_store_commits_total"), 5);
  EXPECT_EQ(m1.At("shequ_store_commit_batches_count") - m0.At("shequ_store_commit_batches_count"),
            5);
  EXPECT_EQ(m1.At("shequ_store_commit_batches_sum") - m0.At("shequ_store_commit_batches_sum"), 5);
  EXPECT_EQ(m1.Buckets("shequ_store_commit_batches").at(1) -
                m0.Buckets("shequ_store_commit_batches").at(1),
            5)
      << "sequential calls commit one batch per group";
  EXPECT_EQ(m1.At("shequ_store_commit_seconds_count") - m0.At("shequ_store_commit_seconds_count"),
            5);
  EXPECT_GT(m1.At("shequ_store_commit_seconds_sum"), m0.At("shequ_store_commit_seconds_sum"));
  ExpectWellFormedHistogram(m1, "shequ_store_commit_batches");
  ExpectWellFormedHistogram(m1, "shequ_store_commit_seconds");

  // One day later the two timer instances end; the user tasks are not yet due for anything.
  v1::AdvanceClockResponse advanced;
  ASSERT_NO_FATAL_FAILURE(advanced = client_->Advance("P1D"));
  EXPECT_EQ(advanced.timers_fired(), 2);
  const Metrics m2 = ScrapeMetrics(daemon_->http_port());
  EXPECT_EQ(m2.At("shequ_instances_active"), 1 + 3);
  EXPECT_EQ(m2.At("shequ_tasks_open"), 3);
  EXPECT_EQ(m2.At("shequ_timers_pending"), m1.At("shequ_timers_pending") - 2);
  // Two batches: the fired timers, then the fake clock's position (kept for a restart); group
  // commit puts them in one transaction or two, as the writer happens to find them.
  EXPECT_EQ(m2.At("shequ_store_batches_total") - m1.At("shequ_store_batches_total"), 2);
  const double commits = m2.At("shequ_store_commits_total") - m1.At("shequ_store_commits_total");
  EXPECT_TRUE(commits == 1 || commits == 2) << commits;
}

TEST_F(HealthMetricsTest, ServerReflectionListsTheServices) {
  grpc::Status status;
  std::set<std::string> services = ReflectedServices(daemon_->channel(), &status);
  ASSERT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
  for (const char* want :
       {"shequ.v1.Definitions", "shequ.v1.Instances", "shequ.v1.Tasks", "shequ.v1.Jobs",
        "shequ.v1.Incidents", "shequ.v1.Notifications", "shequ.v1.Admin", "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection"}) {
    EXPECT_TRUE(services.count(want)) << want << " is not listed by reflection";
  }
}

class HealthMetricsRealClockTest : public DaemonTest {
 protected:
  HealthMetricsRealClockTest() : DaemonTest("realclock") { start_in_setup_ = false; }
};

TEST_F(HealthMetricsRealClockTest, AdvanceClockNeedsTheFakeClock) {
  DaemonProcess::Options o;
  o.fake_clock = false;
  ASSERT_NO_FATAL_FAILURE(StartDaemon(o));
  for (const char* by : {"PT1H", ""}) {
    v1::AdvanceClockRequest req;
    if (*by) {
      req.set_by(by);
    } else {
      req.set_to_ms(kMonday0900 + 100 * 365 * kDay);
    }
    grpc::Status s = client_->TryAdvance(req);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  }
  // The clock is the system's.
  grpc::ClientContext ctx;
  client_->Prepare(&ctx);
  v1::StatsResponse stats;
  ASSERT_TRUE(client_->stubs.admin->Stats(&ctx, v1::StatsRequest(), &stats).ok());
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  EXPECT_LE(std::abs(stats.now_ms() - now), 60'000);
  EXPECT_EQ(client_->Health(), kServing);
  EXPECT_EQ(daemon_->Terminate(), 0) << daemon_->Log();
}

// SIGTERM: stop accepting, finish in-flight calls, flush the store, exit 0. A restart sees every
// instance that was acknowledged, including those acknowledged while the daemon was stopping.
TEST_F(HealthMetricsTest, SigtermExitsCleanlyAndARestartSeesEverything) {
  client_->Deploy(kTimerYaml);
  std::map<std::string, int64_t> acked;  // business key -> instance id
  for (int i = 0; i < 10; ++i) {
    const std::string key = "before-" + std::to_string(i);
    acked[key] = StartVacancy(key);
  }
  // Less the quota review's timer (SetUp).
  const int64_t timers_per_vacancy = (client_->Stats().timers_pending() - 1) / 10;
  ASSERT_GE(timers_per_vacancy, 1);

  // Load in flight while SIGTERM arrives.
  constexpr int kCalls = 400;
  constexpr int kWindow = 32;
  struct Call {
    grpc::ClientContext ctx;
    v1::StartRequest req;
    v1::StartResponse resp;
  };
  std::mutex mu;
  std::condition_variable cv;
  int in_flight = 0, finished = 0, ok = 0, sent = 0;
  bool stop = false;
  std::map<std::string, int> failures;
  std::thread sender([&] {
    for (int i = 0; i < kCalls; ++i) {
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return in_flight < kWindow || stop; });
        if (stop) break;
        ++in_flight;
        ++sent;
      }
      auto* call = new Call;
      call->ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
      Identify(&call->ctx, "wang", "street-office", "street-1");
      const std::string key = "during-" + std::to_string(i);
      call->req.set_definition_id("vacancy-approval");
      call->req.set_business_key(key);
      call->req.set_unit("community-7");
      call->req.set_variables(
          json{{"community", "community-7"}, {"posts", 1}, {"reason", key}}.dump());
      call->req.set_request_id("start-" + key);
      client_->stubs.instances->async()->Start(
          &call->ctx, &call->req, &call->resp, [&, call, key](grpc::Status s) {
            std::lock_guard<std::mutex> lock(mu);
            if (s.ok()) {
              acked[key] = call->resp.instance_id();
              ++ok;
            } else {
              ++failures[std::to_string(s.error_code()) + " " + s.error_message()];
            }
            --in_flight;
            ++finished;
            cv.notify_all();
            delete call;
          });
    }
  });
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return ok >= 50 || finished == kCalls; });
  }
  const int status = daemon_->Terminate();
  {
    std::unique_lock<std::mutex> lock(mu);
    stop = true;
    cv.notify_all();
  }
  sender.join();
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(60), [&] { return in_flight == 0; }));
  }
  ASSERT_TRUE(WIFEXITED(status)) << "status " << status << "\n" << daemon_->Log();
  EXPECT_EQ(WEXITSTATUS(status), 0) << daemon_->Log();
  std::cout << sent << " sent during shutdown, " << ok << " acknowledged" << std::endl;
  for (const auto& [what, n] : failures) std::cout << "  failed: " << n << " x " << what << "\n";
  EXPECT_GE(ok, 50);
  EXPECT_NE(daemon_->Log().find("shutting down"), std::string::npos);

  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  EXPECT_EQ(client_->Health(), kServing);

  // Every acknowledged instance, once, as it was.
  std::map<std::string, int> seen;
  std::string token;
  int64_t total = 0;
  do {
    grpc::ClientContext ctx;
    client_->Prepare(&ctx);
    v1::ListInstancesRequest req;
    req.set_definition_id("vacancy-approval");
    req.mutable_page()->set_page_size(100);
    req.mutable_page()->set_page_token(token);
    v1::ListInstancesResponse resp;
    ASSERT_TRUE(client_->stubs.instances->List(&ctx, req, &resp).ok());
    for (const auto& inst : resp.instances()) {
      ++seen[inst.business_key()];
      ++total;
      EXPECT_EQ(inst.state(), "active") << inst.business_key();
      EXPECT_EQ(json::parse(inst.variables())["reason"], inst.business_key());
      if (auto it = acked.find(inst.business_key()); it != acked.end()) {
        EXPECT_EQ(inst.id(), it->second) << inst.business_key();
      }
    }
    token = resp.next_page_token();
  } while (!token.empty());
  for (const auto& [key, n] : seen) EXPECT_EQ(n, 1) << key << " is stored " << n << " times";
  for (const auto& [key, id] : acked) EXPECT_TRUE(seen.count(key)) << key << " is lost";
  // The restart rebuilt the same engine state: one open task and its timers per instance.
  v1::StatsResponse stats = client_->Stats();
  EXPECT_EQ(stats.instances_active(), total + 1);  // and the quota review
  EXPECT_EQ(stats.tasks_open(), total);
  EXPECT_EQ(stats.timers_pending(), total * timers_per_vacancy + 1);
  EXPECT_EQ(stats.now_ms(), kMonday0900);
  EXPECT_EQ(StopDaemon(), 0) << daemon_->Log();
}

}  // namespace
}  // namespace shequ::testing
