// Limits on the real daemon: field length bounds, the maximum message size, per-principal rate
// limits, the cap on open streams, and a stream whose reader stops reading. docs/security.md,
// "Limits".

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <thread>

#include "tests/integration/client.h"

namespace shequ::testing {
namespace {

using grpc::StatusCode;

constexpr char kTaskYaml[] = R"(
id: l-task
start: approve
nodes:
  approve: {type: user, role: clerk, outcomes: [approved], next: done}
  done: {type: end}
)";

// The daemon's resident memory, from /proc.
int64_t ResidentKb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));
  }
  return -1;
}

class LimitsTest : public DaemonTest {
 protected:
  LimitsTest() : DaemonTest("limits") { start_in_setup_ = false; }

  // Starts the daemon with the fixture's settings and these `limits:` lines.
  void StartWithLimits(const std::string& limits) {
    const std::string src = SHEQU_SOURCE_DIR;
    const std::string path = dir_ + "/limits.yaml";
    std::ofstream(path) << "auth: headers\nlisten: 127.0.0.1:0\nhttp: 127.0.0.1:0\n"
                        << "calendar_dir: " << src << "/config/calendar\n"
                        << "workflows_dir: " << dir_ << "/no-workflows\n"
                        << "policy_dir: " << src << "/config/policy\n"
                        << "store: {synchronous: NORMAL}\n"
                        << "limits:\n"
                        << limits;
    DaemonProcess::Options o;
    o.config = path;
    StartDaemon(o);
  }

  grpc::Status StartAs(const Caller& as, const std::string& business_key = "",
                       const std::string& variables = "") {
    v1::StartRequest req;
    req.set_definition_id("l-task");
    req.set_business_key(business_key);
    req.set_variables(variables);
    return client_->TryStart(req, nullptr, as);
  }
};

TEST_F(LimitsTest, ASevenMebibyteBusinessKeyIsRefusedNamingTheField) {
  StartWithLimits("  max_string_bytes: 4096\n");
  client_->Deploy(kTaskYaml);
  grpc::Status s = StartAs({"clerk", "leading-group"}, std::string(size_t{7} << 20, 'k'));
  EXPECT_EQ(s.error_code(), StatusCode::RESOURCE_EXHAUSTED) << Describe(s);
  EXPECT_EQ(s.error_message(), "business_key: 7340032 bytes, at most 4096");
  // At the bound it is accepted; the variables keep their own, larger bound.
  s = StartAs({"clerk", "leading-group"}, std::string(4096, 'k'),
              R"({"note":")" + std::string(100'000, 'n') + "\"}");
  EXPECT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(client_->Instances("l-task").size(), 1u);
}

TEST_F(LimitsTest, AMessageOverTheConfiguredMaximumIsRefused) {
  StartWithLimits("  max_message_mb: 1\n");
  client_->Deploy(kTaskYaml);
  grpc::Status s =
      StartAs({"clerk", "leading-group"}, "", R"({"note":")" + std::string(size_t{3} << 19, 'n') + "\"}");
  EXPECT_EQ(s.error_code(), StatusCode::RESOURCE_EXHAUSTED) << Describe(s);
  s = StartAs({"clerk", "leading-group"}, "", R"({"note":")" + std::string(size_t{1} << 19, 'n') + "\"}");
  EXPECT_TRUE(s.ok()) << Describe(s);
}

TEST_F(LimitsTest, ACallerOverItsRateIsToldWhenToComeBack) {
  StartWithLimits("  rate_per_second: 0.5\n  rate_burst: 3\n");
  client_->Deploy(kTaskYaml);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(StartAs({"clerk", "leading-group"}).ok()) << i;
  grpc::ClientContext ctx;
  client_->Prepare(&ctx, {"clerk", "leading-group"});
  v1::StartRequest req;
  req.set_definition_id("l-task");
  v1::StartResponse resp;
  grpc::Status s = client_->stubs.instances->Start(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), StatusCode::RESOURCE_EXHAUSTED) << Describe(s);
  EXPECT_NE(s.error_message().find("rate limit: clerk"), std::string::npos) << Describe(s);
  EXPECT_NE(s.error_message().find("retry in "), std::string::npos) << Describe(s);
  auto trailer = ctx.GetServerTrailingMetadata().find("retry-after-ms");
  ASSERT_NE(trailer, ctx.GetServerTrailingMetadata().end());
  const int ms = std::stoi(std::string(trailer->second.data(), trailer->second.size()));
  EXPECT_GT(ms, 1000);
  EXPECT_LE(ms, 2000);
  // google.rpc.Status with a google.rpc.RetryInfo in the details.
  EXPECT_NE(s.error_details().find("type.googleapis.com/google.rpc.RetryInfo"), std::string::npos);
  // Each principal has a bucket of its own.
  EXPECT_TRUE(StartAs({"registrar", "leading-group"}).ok());
  EXPECT_EQ(client_->Instances("l-task").size(), 4u);
}

// Opens Watch on `instance` as `as` and reads its first event; false with *status when refused.
struct OpenWatch {
  grpc::ClientContext ctx;
  std::unique_ptr<grpc::ClientReader<v1::Event>> reader;
};

TEST_F(LimitsTest, OpenStreamsPerPrincipalAreCapped) {
  StartWithLimits("  max_streams_per_principal: 2\n");
  client_->Deploy(kTaskYaml);
  const int64_t id = client_->Start("l-task");
  auto open = [&](const std::string& user, OpenWatch* w) {
    client_->Prepare(&w->ctx, {user, "leading-group"});
    v1::WatchRequest req;
    req.set_instance_id(id);
    w->reader = client_->stubs.instances->Watch(&w->ctx, req);
    v1::Event e;
    return w->reader->Read(&e);  // the history's first event: the stream is open
  };
  OpenWatch a, b, c, d;
  ASSERT_TRUE(open("watcher", &a));
  ASSERT_TRUE(open("watcher", &b));
  EXPECT_FALSE(open("watcher", &c));
  grpc::Status s = c.reader->Finish();
  EXPECT_EQ(s.error_code(), StatusCode::RESOURCE_EXHAUSTED) << Describe(s);
  EXPECT_NE(s.error_message().find("at most 2"), std::string::npos) << Describe(s);
  EXPECT_TRUE(open("someone-else", &d));
  // A stream that ends gives its slot back.
  a.ctx.TryCancel();
  (void)a.reader->Finish();
  bool reopened = false;
  for (int i = 0; i < 50 && !reopened; ++i) {
    auto w = std::make_unique<OpenWatch>();
    reopened = open("watcher", w.get());
    if (!reopened) {
      (void)w->reader->Finish();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    } else {
      w->ctx.TryCancel();
      (void)w->reader->Finish();
    }
  }
  EXPECT_TRUE(reopened);
  for (OpenWatch* w : {&b, &d}) {
    w->ctx.TryCancel();
    (void)w->reader->Finish();
  }
}

// A reader that stops reading while events pour in: the daemon ends its stream once it falls
// 200 messages (or 1 MiB) behind instead of buffering, and the reader resumes from its cursor.
TEST_F(LimitsTest, AStalledReaderIsCutOffAndResumesFromItsCursor) {
  StartWithLimits("  stream_queue_messages: 200\n  stream_queue_mb: 1\n  rate_per_second: 0\n");
  client_->Deploy(kTaskYaml);
  client_->Start("l-task");  // an event for the watcher to see first
  OpenWatch slow;
  client_->Prepare(&slow.ctx, {"slow", "leading-group"});
  v1::WatchRequest all;  // every instance, from the beginning
  slow.reader = client_->stubs.instances->Watch(&slow.ctx, all);
  v1::Event first;
  ASSERT_TRUE(slow.reader->Read(&first));  // open; then it stops reading

  const int64_t before_kb = ResidentKb(daemon_->pid());
  const std::string reason(4000, 'r');  // each cancellation's event carries it
  constexpr int kInstances = 1500;
  int64_t last_id = 0;
  for (int i = 0; i < kInstances; ++i) {
    last_id = client_->Start("l-task");
    ASSERT_TRUE(client_->Cancel(last_id, reason).ok());
  }
  const int64_t after_kb = ResidentKb(daemon_->pid());
  std::cout << "daemon resident memory with a stalled reader: " << before_kb / 1024
            << " MiB before, " << after_kb / 1024 << " MiB after " << kInstances
            << " cancelled instances (~" << kInstances * 4 / 1024 << " MiB of events)\n";
  RecordProperty("rss_before_kb", std::to_string(before_kb));
  RecordProperty("rss_after_kb", std::to_string(after_kb));

  // What the transport held is still delivered, then the status says why it ended.
  int64_t last = first.seq();
  v1::Event e;
  while (slow.reader->Read(&e)) last = e.seq();
  grpc::Status s = slow.reader->Finish();
  EXPECT_EQ(s.error_code(), StatusCode::RESOURCE_EXHAUSTED) << Describe(s);
  EXPECT_NE(s.error_message().find("reader too slow: "), std::string::npos) << Describe(s);
  EXPECT_LT(after_kb - before_kb, 64 * 1024) << "the daemon buffered for the stalled reader";

  // Resuming after the last event seen delivers the rest, in order, at the pace of a reader
  // that reads (the history is paged in no faster than it is taken, so it is not cut off).
  const int64_t end = client_->History(last_id).back().seq();  // the newest event of all
  ASSERT_LT(last, end);
  OpenWatch resumed;
  client_->Prepare(&resumed.ctx, {"slow", "leading-group"});
  v1::WatchRequest from;
  from.set_after_seq(last);
  resumed.reader = client_->stubs.instances->Watch(&resumed.ctx, from);
  int64_t seen = last;
  while (seen < end && resumed.reader->Read(&e)) {
    EXPECT_GT(e.seq(), seen);
    seen = e.seq();
  }
  EXPECT_EQ(seen, end);
  resumed.ctx.TryCancel();
  (void)resumed.reader->Finish();
}

}  // namespace
}  // namespace shequ::testing
