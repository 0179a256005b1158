// The conformance suite every Store backend must pass. To cover a new backend add one line to
// Backends() below; each test gets a fresh, empty directory and may reopen the store in it.

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "daemon/store/sqlite/sqlite_store.h"
#include "daemon/store/store.h"
#include "gtest/gtest.h"
#include "tests/unit/store/must.h"

// Filters and pages are written with designated initializers naming only the fields that matter.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace shequ::store {
namespace {

using StoreFactory = std::function<std::unique_ptr<Store>(const std::string& dir)>;

struct Backend {
  std::string name;
  StoreFactory open;
};

std::vector<Backend> Backends() {
  return {
      {"Sqlite",
       [](const std::string& dir) -> std::unique_ptr<Store> {
         SqliteOptions options;
         options.path = dir + "/data/shequd.db";  // "data/" checks the directory is created
         options.readers = 2;
         auto store = SqliteStore::Open(options);
         if (!store.ok()) {
           ADD_FAILURE() << store.status();
           return nullptr;
         }
         return std::move(store).value();
       }},
  };
}

// ---- Field tuples, so rows compare and print field by field ----

auto Fields(const DefinitionRow& r) {
  return std::make_tuple(r.id, r.version, r.name, r.digest, r.yaml, r.deployed_at_ms);
}
auto Fields(const InstanceRow& r) {
  return std::make_tuple(r.id, r.definition_id, r.version, r.business_key, r.unit, r.state,
                         r.parent_id, r.created_at_ms, r.updated_at_ms, r.body);
}
auto Fields(const TaskRow& r) {
  return std::make_tuple(r.id, r.instance_id, r.state, r.role, r.unit, r.assignee, r.due_at_ms,
                         r.created_at_ms, r.body);
}
auto Fields(const JobRow& r) {
  return std::make_tuple(r.id, r.instance_id, r.type, r.state, r.due_at_ms, r.body);
}
auto Fields(const TimerRow& r) {
  return std::make_tuple(r.id, r.due_at_ms, r.instance_id, r.kind, r.ref_id, r.body);
}
auto Fields(const MessageRow& r) {
  return std::make_tuple(r.id, r.name, r.correlation, r.expires_at_ms, r.body);
}
auto Fields(const SubscriptionRow& r) {
  return std::make_tuple(r.instance_id, r.token_id, r.name, r.correlation);
}
auto Fields(const IncidentRow& r) {
  return std::make_tuple(r.id, r.instance_id, r.state, r.created_at_ms, r.body);
}
auto Fields(const NotificationRow& r) {
  return std::make_tuple(r.id, r.recipient, r.role, r.unit, r.acked, r.created_at_ms, r.body);
}
auto Fields(const EventRow& r) {
  return std::make_tuple(r.seq, r.instance_id, r.type, r.at_ms, r.body, r.subject, r.unit);
}
auto Fields(const RequestRow& r) { return std::make_tuple(r.request_id, r.reply, r.at_ms); }

template <typename Row>
auto FieldsOf(const std::vector<Row>& rows) {
  std::vector<decltype(Fields(rows.front()))> out;
  for (const Row& r : rows) out.push_back(Fields(r));
  return out;
}

template <typename Row>
std::vector<int64_t> Ids(const std::vector<Row>& rows) {
  std::vector<int64_t> ids;
  for (const Row& r : rows) ids.push_back(r.id);
  return ids;
}

// Follows keyset pages (after_id = last id) until a short page; checks every page's size.
template <typename Fetch>
std::vector<int64_t> PageAll(Fetch fetch, int limit) {
  std::vector<int64_t> ids;
  Page page;
  page.limit = limit;
  for (int guard = 0; guard < 100000; ++guard) {
    auto rows = fetch(page);
    EXPECT_LE(rows.size(), static_cast<size_t>(limit));
    for (const auto& r : rows) {
      EXPECT_GT(r.id, page.after_id);
      ids.push_back(r.id);
    }
    if (rows.size() < static_cast<size_t>(limit)) break;
    page.after_id = rows.back().id;
  }
  return ids;
}

// Sample rows with every field set.
InstanceRow Instance(int64_t id, std::string state = "active") {
  return InstanceRow{id,         "recruit",
                     3,          "BK-" + std::to_string(id),
                     "street-7", state,
                     id / 2,     1000 + id,
                     2000 + id,  R"({"vars":{"name":"王小明","quote":"it's \"ok\""}})"};
}
TaskRow Task(int64_t id, std::string state = "open") {
  return TaskRow{id, 77, state, "clerk", "street-7", "alice", 5000 + id, 4000 + id, "{\"t\":1}"};
}
JobRow Job(int64_t id, std::string state = "activatable") {
  return JobRow{id, 77, "send-sms", state, 9000 + id, "{\"retries\":2}"};
}
TimerRow Timer(int64_t id, int64_t due) {
  return TimerRow{id, due, 77, "task-due", id * 10, "{\"timer\":true}"};
}
MessageRow Message(int64_t id) {
  return MessageRow{id, "inspection-done", "CORR-" + std::to_string(id), 123456 + id, "{}"};
}
IncidentRow Incident(int64_t id, std::string state = "open") {
  return IncidentRow{id, 77, state, 3000 + id, "{\"error\":\"boom\"}"};
}
NotificationRow Notification(int64_t id, bool acked = false) {
  return NotificationRow{id, "alice", "clerk", "street-7", acked, 6000 + id, "{\"n\":1}"};
}
EventRow Event(int64_t seq, int64_t instance_id) {
  return EventRow{seq, instance_id, "TaskCreated", 7000 + seq,
                  "{\"seq\":" + std::to_string(seq) + "}"};
}

class StoreConformanceTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "store_conformance_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    store_ = GetParam().open(dir_);
    ASSERT_NE(store_, nullptr);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  void Reopen() {
    store_.reset();
    store_ = GetParam().open(dir_);
    ASSERT_NE(store_, nullptr);
  }

  // Commits one batch and waits for its done.
  absl::Status CommitAndWait(WriteBatch batch) {
    auto result = std::make_shared<std::promise<absl::Status>>();
    auto future = result->get_future();
    store_->Commit(std::move(batch), [result](absl::Status s) { result->set_value(std::move(s)); });
    return future.get();
  }

  std::string dir_;
  std::unique_ptr<Store> store_;
};

TEST_P(StoreConformanceTest, FreshStoreIsEmptyAndHealthy) {
  EXPECT_TRUE(store_->Health().ok());
  EXPECT_TRUE(store_->Flush().ok());
  EXPECT_TRUE(Must(store_->LoadDefinitions()).empty());
  EXPECT_TRUE(Must(store_->LoadSequences()).empty());
  EXPECT_TRUE(Must(store_->LoadMessages()).empty());
  EXPECT_TRUE(Must(store_->LoadSubscriptions()).empty());
  EXPECT_FALSE(Must(store_->GetInstance(1)).has_value());
  EXPECT_FALSE(Must(store_->GetRequest("r")).has_value());
  EXPECT_TRUE(Must(store_->History(0, 0, 10)).empty());
  const Counts c = Must(store_->Count());
  EXPECT_EQ(std::make_tuple(c.instances_active, c.tasks_open, c.jobs_pending, c.timers,
                            c.incidents_open, c.notifications_unacked),
            std::make_tuple(0, 0, 0, 0, 0, 0));
}

TEST_P(StoreConformanceTest, OldRequestsAreForgottenInTheBatchThatSaysSo) {
  WriteBatch b;
  for (int64_t at : {100, 200, 300}) b.requests.push_back({"r" + std::to_string(at), "{}", at});
  ASSERT_TRUE(CommitAndWait(b).ok());
  WriteBatch sweep;
  sweep.requests.push_back({"r400", "{}", 400});
  sweep.forget_requests_before_ms = 300;
  EXPECT_FALSE(sweep.empty());
  ASSERT_TRUE(CommitAndWait(sweep).ok());
  EXPECT_FALSE(Must(store_->GetRequest("r100")).has_value());
  EXPECT_FALSE(Must(store_->GetRequest("r200")).has_value());
  EXPECT_TRUE(Must(store_->GetRequest("r300")).has_value());
  EXPECT_TRUE(Must(store_->GetRequest("r400")).has_value());
}

TEST_P(StoreConformanceTest, EveryRowTypeRoundTrips) {
  WriteBatch b;
  const DefinitionRow def{
      "recruitment", 2, "Recruitment", std::string(64, 'a'), "name: Recruitment\nsteps: []\n", 111};
  const SubscriptionRow sub{77, "token-1", "inspection-done", "CORR-1"};
  // Replies may be serialized protobufs: binary, with NUL bytes.
  const RequestRow req{"req-1", std::string("\x08\x00\x12\x03\xff\xfe", 6), 222};
  b.definitions.push_back(def);
  b.instances.push_back(Instance(10));
  b.tasks.push_back(Task(20));
  b.jobs.push_back(Job(30));
  b.timers.push_back(Timer(40, 5555));
  b.messages.push_back(Message(50));
  b.subscriptions.push_back(sub);
  b.incidents.push_back(Incident(60));
  b.notifications.push_back(Notification(70, true));
  b.events.push_back(Event(80, 10));
  b.requests.push_back(req);
  b.sequences["instance"] = 10;
  b.sequences["task"] = 20;
  ASSERT_TRUE(CommitAndWait(b).ok());

  ASSERT_EQ(Must(store_->LoadDefinitions()).size(), 1u);
  EXPECT_EQ(Fields(Must(store_->LoadDefinitions())[0]), Fields(def));
  ASSERT_TRUE(Must(store_->GetInstance(10)).has_value());
  EXPECT_EQ(Fields(*Must(store_->GetInstance(10))), Fields(Instance(10)));
  ASSERT_TRUE(Must(store_->GetTask(20)).has_value());
  EXPECT_EQ(Fields(*Must(store_->GetTask(20))), Fields(Task(20)));
  ASSERT_TRUE(Must(store_->GetJob(30)).has_value());
  EXPECT_EQ(Fields(*Must(store_->GetJob(30))), Fields(Job(30)));
  ASSERT_TRUE(Must(store_->GetTimer(40)).has_value());
  EXPECT_EQ(Fields(*Must(store_->GetTimer(40))), Fields(Timer(40, 5555)));
  ASSERT_EQ(Must(store_->LoadMessages()).size(), 1u);
  EXPECT_EQ(Fields(Must(store_->LoadMessages())[0]), Fields(Message(50)));
  ASSERT_EQ(Must(store_->LoadSubscriptions()).size(), 1u);
  EXPECT_EQ(Fields(Must(store_->LoadSubscriptions())[0]), Fields(sub));
  ASSERT_TRUE(Must(store_->GetIncident(60)).has_value());
  EXPECT_EQ(Fields(*Must(store_->GetIncident(60))), Fields(Incident(60)));
  ASSERT_TRUE(Must(store_->GetNotification(70)).has_value());
  EXPECT_EQ(Fields(*Must(store_->GetNotification(70))), Fields(Notification(70, true)));
  ASSERT_EQ(Must(store_->History(10, 0, 10)).size(), 1u);
  EXPECT_EQ(Fields(Must(store_->History(10, 0, 10))[0]), Fields(Event(80, 10)));
  ASSERT_TRUE(Must(store_->GetRequest("req-1")).has_value());
  EXPECT_EQ(Fields(*Must(store_->GetRequest("req-1"))), Fields(req));
  EXPECT_EQ(Must(store_->LoadSequences()),
            (std::map<std::string, int64_t>{{"instance", 10}, {"task", 20}}));

  std::vector<TimerRow> timers;
  Must(store_->ForEachTimer([&](const TimerRow& t) { timers.push_back(t); }));
  ASSERT_EQ(timers.size(), 1u);
  EXPECT_EQ(Fields(timers[0]), Fields(Timer(40, 5555)));
  std::vector<JobRow> jobs;
  Must(store_->ForEachJob("activatable", [&](const JobRow& j) { jobs.push_back(j); }));
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(Fields(jobs[0]), Fields(Job(30)));

  // Missing ids.
  EXPECT_FALSE(Must(store_->GetInstance(11)).has_value());
  EXPECT_FALSE(Must(store_->GetTask(21)).has_value());
  EXPECT_FALSE(Must(store_->GetJob(31)).has_value());
  EXPECT_FALSE(Must(store_->GetTimer(41)).has_value());
  EXPECT_FALSE(Must(store_->GetIncident(61)).has_value());
  EXPECT_FALSE(Must(store_->GetNotification(71)).has_value());
  EXPECT_FALSE(Must(store_->GetRequest("req-2")).has_value());
}

TEST_P(StoreConformanceTest, UpsertsOverwriteEveryColumn) {
  WriteBatch first;
  first.instances.push_back(Instance(1));
  first.tasks.push_back(Task(2));
  first.jobs.push_back(Job(3));
  first.timers.push_back(Timer(4, 100));
  first.messages.push_back(Message(5));
  first.subscriptions.push_back({77, "tok", "n1", "c1"});
  first.incidents.push_back(Incident(6));
  first.notifications.push_back(Notification(7));
  first.sequences["instance"] = 1;
  ASSERT_TRUE(CommitAndWait(first).ok());

  const InstanceRow inst{1, "review", 9, "BK-new", "street-9", "completed", 0, 1, 2, "{\"v\":2}"};
  const TaskRow task{2, 78, "claimed", "head", "street-9", "bob", 1, 2, "{\"v\":2}"};
  const JobRow job{3, 78, "print", "active", 42, "{\"v\":2}"};
  const TimerRow timer{4, 50, 78, "escalate", 99, "{\"v\":2}"};
  const MessageRow msg{5, "other", "C2", 7, "{\"v\":2}"};
  const SubscriptionRow sub{77, "tok", "n2", "c2"};
  const IncidentRow inc{6, 78, "resolved", 9, "{\"v\":2}"};
  const NotificationRow note{7, "bob", "head", "street-9", true, 9, "{\"v\":2}"};
  WriteBatch second;
  second.instances.push_back(inst);
  second.tasks.push_back(task);
  second.jobs.push_back(job);
  second.timers.push_back(timer);
  second.messages.push_back(msg);
  second.subscriptions.push_back(sub);
  second.incidents.push_back(inc);
  second.notifications.push_back(note);
  second.sequences["instance"] = 5;
  ASSERT_TRUE(CommitAndWait(second).ok());

  EXPECT_EQ(Fields(*Must(store_->GetInstance(1))), Fields(inst));
  EXPECT_EQ(Fields(*Must(store_->GetTask(2))), Fields(task));
  EXPECT_EQ(Fields(*Must(store_->GetJob(3))), Fields(job));
  EXPECT_EQ(Fields(*Must(store_->GetTimer(4))), Fields(timer));
  ASSERT_EQ(Must(store_->LoadMessages()).size(), 1u);
  EXPECT_EQ(Fields(Must(store_->LoadMessages())[0]), Fields(msg));
  ASSERT_EQ(Must(store_->LoadSubscriptions()).size(), 1u);
  EXPECT_EQ(Fields(Must(store_->LoadSubscriptions())[0]), Fields(sub));
  EXPECT_EQ(Fields(*Must(store_->GetIncident(6))), Fields(inc));
  EXPECT_EQ(Fields(*Must(store_->GetNotification(7))), Fields(note));
  EXPECT_EQ(Must(store_->LoadSequences()).at("instance"), 5);

  // Indexed columns moved too: the old filter values no longer match.
  EXPECT_TRUE(Must(store_->ListInstances({.state = "active"}, {})).empty());
  EXPECT_EQ(Ids(Must(store_->ListInstances({.state = "completed"}, {}))), std::vector<int64_t>{1});
  EXPECT_TRUE(Must(store_->ListTasks({.role = "clerk"}, {})).empty());
  EXPECT_EQ(Ids(Must(store_->ListTasks({.role = "head"}, {}))), std::vector<int64_t>{2});
}

TEST_P(StoreConformanceTest, DeletesRemoveRows) {
  WriteBatch b;
  for (int64_t id = 1; id <= 3; ++id) {
    b.jobs.push_back(Job(id));
    b.timers.push_back(Timer(id, 100 * id));
    b.messages.push_back(Message(id));
    b.subscriptions.push_back({id, "tok", "n", "c"});
  }
  ASSERT_TRUE(CommitAndWait(b).ok());

  WriteBatch del;
  del.deleted_jobs = {2, 999};  // unknown ids are no error
  del.deleted_timers = {1, 999};
  del.deleted_messages = {3};
  del.deleted_subscriptions = {{2, "tok"}, {3, "other-token"}};
  ASSERT_TRUE(CommitAndWait(del).ok());

  EXPECT_FALSE(Must(store_->GetJob(2)).has_value());
  EXPECT_TRUE(Must(store_->GetJob(1)).has_value());
  EXPECT_TRUE(Must(store_->GetJob(3)).has_value());
  EXPECT_FALSE(Must(store_->GetTimer(1)).has_value());
  EXPECT_TRUE(Must(store_->GetTimer(2)).has_value());
  EXPECT_EQ(Ids(Must(store_->LoadMessages())), (std::vector<int64_t>{1, 2}));
  std::vector<int64_t> sub_instances;
  for (const auto& s : Must(store_->LoadSubscriptions())) sub_instances.push_back(s.instance_id);
  EXPECT_EQ(sub_instances, (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(Must(store_->Count()).timers, 2);
}

TEST_P(StoreConformanceTest, LaterEntriesWinWithinAndAcrossBatches) {
  // Within one vector the later entry wins; in one batch, deletes come after upserts.
  WriteBatch b;
  b.instances = {Instance(1, "active"), Instance(1, "failed")};
  b.jobs = {Job(5)};
  b.deleted_jobs = {5};
  b.sequences["x"] = 2;
  ASSERT_TRUE(CommitAndWait(b).ok());
  EXPECT_EQ(Must(store_->GetInstance(1))->state, "failed");
  EXPECT_FALSE(Must(store_->GetJob(5)).has_value());
  EXPECT_EQ(Must(store_->LoadSequences()).at("x"), 2);

  // Batches queued back to back are applied in order (and may share a transaction).
  std::vector<absl::Status> results(3);
  WriteBatch b1, b2, b3;
  b1.instances = {Instance(2, "active")};
  b1.timers = {Timer(9, 1)};
  b2.instances = {Instance(2, "completed")};
  b2.deleted_timers = {9};
  b3.instances = {Instance(2, "cancelled")};
  b3.timers = {Timer(9, 3)};
  b3.sequences["x"] = 3;
  store_->Commit(std::move(b1), [&](absl::Status s) { results[0] = s; });
  store_->Commit(std::move(b2), [&](absl::Status s) { results[1] = s; });
  store_->Commit(std::move(b3), [&](absl::Status s) { results[2] = s; });
  ASSERT_TRUE(store_->Flush().ok());
  for (const auto& s : results) EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(Must(store_->GetInstance(2))->state, "cancelled");
  ASSERT_TRUE(Must(store_->GetTimer(9)).has_value());
  EXPECT_EQ(Must(store_->GetTimer(9))->due_at_ms, 3);
  EXPECT_EQ(Must(store_->LoadSequences()).at("x"), 3);
}

TEST_P(StoreConformanceTest, DoneRunsInCommitOrder) {
  std::vector<int> order;  // touched only by done callbacks, which run one at a time
  for (int i = 0; i < 50; ++i) {
    WriteBatch b;
    b.instances = {Instance(i + 1)};
    store_->Commit(std::move(b), [&order, i](absl::Status s) {
      EXPECT_TRUE(s.ok()) << s;
      order.push_back(i);
    });
  }
  ASSERT_TRUE(store_->Flush().ok());
  std::vector<int> expected(50);
  for (int i = 0; i < 50; ++i) expected[i] = i;
  EXPECT_EQ(order, expected);
}

TEST_P(StoreConformanceTest, ListInstancesFiltersAndPages) {
  const std::vector<std::string> defs = {"recruit", "onboard", "review"};
  const std::vector<std::string> states = {"active", "completed", "cancelled", "failed"};
  std::vector<InstanceRow> all;
  WriteBatch b;
  for (int i = 0; i < 120; ++i) {
    InstanceRow r;
    r.id = 10 + 3 * i;  // gaps, so after_id can fall between rows
    r.definition_id = defs[i % 3];
    r.version = 1;
    r.state = states[(i / 3) % 4];
    r.business_key = "BK-" + std::to_string(i % 5);
    r.unit = "u" + std::to_string(i % 7 % 3);
    r.parent_id = i % 4 == 0 ? 0 : 10 + (i % 2);
    r.body = "{}";
    all.push_back(r);
  }
  // Commit in reverse id order: listing order must come from ids, not insertion.
  for (auto it = all.rbegin(); it != all.rend(); ++it) b.instances.push_back(*it);
  ASSERT_TRUE(CommitAndWait(b).ok());

  std::vector<InstanceFilter> filters = {
      {},
      {.definition_id = "onboard"},
      {.state = "active"},
      {.business_key = "BK-3"},
      {.unit = "u2"},
      {.parent_id = 11},
      {.definition_id = "recruit", .state = "completed"},
      {.definition_id = "review", .unit = "u0", .parent_id = 10},
      {.state = "failed", .business_key = "BK-1"},
      {.definition_id = "nope"},
  };
  for (const InstanceFilter& f : filters) {
    std::vector<int64_t> expected;
    for (const auto& r : all) {
      if ((f.definition_id.empty() || r.definition_id == f.definition_id) &&
          (f.state.empty() || r.state == f.state) &&
          (f.business_key.empty() || r.business_key == f.business_key) &&
          (f.unit.empty() || r.unit == f.unit) &&
          (f.parent_id == 0 || r.parent_id == f.parent_id)) {
        expected.push_back(r.id);
      }
    }
    for (int limit : {1, 7, 50, 1000}) {
      SCOPED_TRACE(testing::Message() << "definition=" << f.definition_id << " state=" << f.state
                                      << " bk=" << f.business_key << " unit=" << f.unit
                                      << " parent=" << f.parent_id << " limit=" << limit);
      EXPECT_EQ(PageAll([&](const Page& p) { return Must(store_->ListInstances(f, p)); }, limit),
                expected);
    }
  }
  // Full rows come back, not just ids.
  auto page = Must(store_->ListInstances({}, {.after_id = 0, .limit = 1}));
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(Fields(page[0]), Fields(all[0]));
}

TEST_P(StoreConformanceTest, PageBoundaries) {
  WriteBatch b;
  for (int64_t id = 1; id <= 10; ++id) b.instances.push_back(Instance(id * 10));
  ASSERT_TRUE(CommitAndWait(b).ok());

  // Exact multiple: the last full page is followed by an empty one.
  EXPECT_EQ(Ids(Must(store_->ListInstances({}, {.after_id = 0, .limit = 5}))),
            (std::vector<int64_t>{10, 20, 30, 40, 50}));
  EXPECT_EQ(Ids(Must(store_->ListInstances({}, {.after_id = 50, .limit = 5}))),
            (std::vector<int64_t>{60, 70, 80, 90, 100}));
  EXPECT_TRUE(Must(store_->ListInstances({}, {.after_id = 100, .limit = 5})).empty());
  // after_id between ids, and the page is exclusive of after_id itself.
  EXPECT_EQ(Ids(Must(store_->ListInstances({}, {.after_id = 35, .limit = 2}))),
            (std::vector<int64_t>{40, 50}));
  EXPECT_EQ(Ids(Must(store_->ListInstances({}, {.after_id = 40, .limit = 2}))),
            (std::vector<int64_t>{50, 60}));
  EXPECT_TRUE(Must(store_->ListInstances({}, {.after_id = 1000, .limit = 5})).empty());
  // Short last page.
  EXPECT_EQ(Ids(Must(store_->ListInstances({}, {.after_id = 80, .limit = 5}))),
            (std::vector<int64_t>{90, 100}));
  // Default page is 50.
  EXPECT_EQ(Must(store_->ListInstances({}, {})).size(), 10u);
}

TEST_P(StoreConformanceTest, ListTasksFiltersAndDefaultOpenStates) {
  const std::vector<std::string> states = {"open", "claimed", "delegated", "completed",
                                           "cancelled"};
  const std::vector<std::string> roles = {"clerk", "head", "hr"};
  const std::vector<std::string> assignees = {"", "alice", "bob"};
  const std::vector<std::string> units = {"u0", "u1"};
  std::vector<TaskRow> all;
  WriteBatch b;
  for (int i = 0; i < 90; ++i) {
    TaskRow t{i + 1, 1 + i % 4, states[i % 5], roles[i / 5 % 3], units[i % 2], assignees[i % 3],
              0,     0,         "{}"};
    all.push_back(t);
    b.tasks.push_back(t);
  }
  ASSERT_TRUE(CommitAndWait(b).ok());

  std::vector<TaskFilter> filters = {
      {},
      {.state = "completed"},
      {.state = "claimed"},
      {.role = "head"},
      {.assignee = "alice"},
      {.units = {"u1"}},
      {.instance_id = 3},
      {.role = "clerk", .assignee = "bob", .units = {"u0"}},
      {.role = "hr", .state = "cancelled", .instance_id = 2},
      {.role = "head", .units = {"u9", "u0", "u1"}},
  };
  for (const TaskFilter& f : filters) {
    std::vector<int64_t> expected;
    for (const auto& t : all) {
      const bool state_ok =
          f.state.empty() ? (t.state == "open" || t.state == "claimed" || t.state == "delegated")
                          : t.state == f.state;
      if (state_ok && (f.role.empty() || t.role == f.role) &&
          (f.assignee.empty() || t.assignee == f.assignee) &&
          (f.units.empty() || std::count(f.units.begin(), f.units.end(), t.unit) > 0) &&
          (f.instance_id == 0 || t.instance_id == f.instance_id)) {
        expected.push_back(t.id);
      }
    }
    SCOPED_TRACE(testing::Message()
                 << "role=" << f.role << " assignee=" << f.assignee << " units=" << f.units.size()
                 << " state=" << f.state << " instance=" << f.instance_id);
    ASSERT_FALSE(expected.empty());
    for (int limit : {1, 4, 100}) {
      EXPECT_EQ(PageAll([&](const Page& p) { return Must(store_->ListTasks(f, p)); }, limit),
                expected);
    }
  }
}

TEST_P(StoreConformanceTest, ListIncidentsDefaultsToOpen) {
  WriteBatch b;
  b.incidents = {Incident(1, "open"),
                 Incident(2, "resolved"),
                 Incident(3, "open"),
                 {4, 99, "open", 0, "{}"},
                 {5, 99, "resolved", 0, "{}"}};
  ASSERT_TRUE(CommitAndWait(b).ok());
  EXPECT_EQ(Ids(Must(store_->ListIncidents({}, {}))), (std::vector<int64_t>{1, 3, 4}));
  EXPECT_EQ(Ids(Must(store_->ListIncidents({.state = "resolved"}, {}))),
            (std::vector<int64_t>{2, 5}));
  EXPECT_EQ(Ids(Must(store_->ListIncidents({.instance_id = 99}, {}))), std::vector<int64_t>{4});
  EXPECT_EQ(Ids(Must(store_->ListIncidents({.state = "resolved", .instance_id = 77}, {}))),
            std::vector<int64_t>{2});
  EXPECT_EQ(Ids(Must(store_->ListIncidents({}, {.after_id = 1, .limit = 1}))),
            std::vector<int64_t>{3});
  EXPECT_EQ(Must(store_->Count()).incidents_open, 3);
}

TEST_P(StoreConformanceTest, ListNotificationsByRecipientOrRole) {
  const std::vector<std::string> recipients = {"alice", "bob", ""};
  const std::vector<std::string> roles = {"clerk", "head", "", "hr"};
  const std::vector<std::string> units = {"bh.a", "", "bh.b"};
  std::vector<NotificationRow> all;
  WriteBatch b;
  for (int i = 0; i < 60; ++i) {
    NotificationRow n{i + 1, recipients[i % 3], roles[i % 4], units[(i / 2) % 3], i % 5 == 0, 0,
                      "{}"};
    all.push_back(n);
    b.notifications.push_back(n);
  }
  ASSERT_TRUE(CommitAndWait(b).ok());

  std::vector<NotificationFilter> filters = {
      {.recipient = "alice"},
      {.roles = {"head"}},
      {.recipient = "bob", .roles = {"clerk", "hr"}},
      {.recipient = "alice", .include_acked = true},
      {.recipient = "carol", .roles = {"head", "hr"}, .include_acked = true},
      {.recipient = "nobody", .roles = {"nothing"}},
      {.roles = {"head", "hr"}, .units = {"bh.a"}},
      {.recipient = "bob", .roles = {"clerk"}, .units = {"bh.b"}, .include_acked = true},
      {.roles = {"clerk", "head"}, .units = {"bh.b", "bh.a"}},
  };
  for (const NotificationFilter& f : filters) {
    std::vector<int64_t> expected;
    for (const auto& n : all) {
      const bool role = !n.role.empty() &&
                        std::find(f.roles.begin(), f.roles.end(), n.role) != f.roles.end() &&
                        (f.units.empty() || n.unit.empty() ||
                         std::count(f.units.begin(), f.units.end(), n.unit) > 0);
      const bool audience = (!f.recipient.empty() && n.recipient == f.recipient) || role;
      if (audience && (f.include_acked || !n.acked)) expected.push_back(n.id);
      EXPECT_EQ(f.Matches(n), audience) << n.id;  // what live subscriptions use
    }
    SCOPED_TRACE(testing::Message() << "recipient=" << f.recipient << " roles=" << f.roles.size()
                                    << " units=" << f.units.size() << " acked=" << f.include_acked);
    for (int limit : {1, 3, 100}) {
      EXPECT_EQ(
          PageAll([&](const Page& p) { return Must(store_->ListNotifications(f, p)); }, limit),
          expected);
    }
  }
  int64_t unacked = 0;
  for (const auto& n : all) unacked += n.acked ? 0 : 1;
  EXPECT_EQ(Must(store_->Count()).notifications_unacked, unacked);
}

TEST_P(StoreConformanceTest, HistoryOrdersBySeqAfterSeq) {
  // Two batches, seqs interleaved between instances.
  WriteBatch b1, b2;
  for (int64_t seq = 1; seq <= 10; ++seq) b1.events.push_back(Event(seq, seq % 2 ? 100 : 200));
  for (int64_t seq = 11; seq <= 20; ++seq) b2.events.push_back(Event(seq, seq % 2 ? 100 : 200));
  ASSERT_TRUE(CommitAndWait(b1).ok());
  ASSERT_TRUE(CommitAndWait(b2).ok());

  auto seqs = [](const std::vector<EventRow>& rows) {
    std::vector<int64_t> out;
    for (const auto& r : rows) out.push_back(r.seq);
    return out;
  };
  EXPECT_EQ(seqs(Must(store_->History(100, 0, 100))),
            (std::vector<int64_t>{1, 3, 5, 7, 9, 11, 13, 15, 17, 19}));
  EXPECT_EQ(seqs(Must(store_->History(200, 10, 3))), (std::vector<int64_t>{12, 14, 16}));
  EXPECT_EQ(seqs(Must(store_->History(200, 11, 100))), (std::vector<int64_t>{12, 14, 16, 18, 20}));
  EXPECT_EQ(seqs(Must(store_->History(0, 17, 100))), (std::vector<int64_t>{18, 19, 20}));
  EXPECT_EQ(seqs(Must(store_->History(0, 0, 4))), (std::vector<int64_t>{1, 2, 3, 4}));
  EXPECT_TRUE(Must(store_->History(0, 20, 100)).empty());
  EXPECT_TRUE(Must(store_->History(300, 0, 100)).empty());
  EXPECT_EQ(Fields(Must(store_->History(200, 19, 1)).at(0)), Fields(Event(20, 200)));
}

TEST_P(StoreConformanceTest, RequestsKeepTheFirstReply) {
  WriteBatch b;
  b.requests = {{"req-a", "first", 1}, {"req-b", "", 2}};
  ASSERT_TRUE(CommitAndWait(b).ok());
  WriteBatch retry;
  retry.requests = {{"req-a", "second", 3}};
  ASSERT_TRUE(CommitAndWait(retry).ok());
  EXPECT_EQ(Fields(*Must(store_->GetRequest("req-a"))), Fields(RequestRow{"req-a", "first", 1}));
  EXPECT_EQ(Fields(*Must(store_->GetRequest("req-b"))), Fields(RequestRow{"req-b", "", 2}));
  EXPECT_FALSE(Must(store_->GetRequest("")).has_value());
  EXPECT_FALSE(Must(store_->GetRequest("req-c")).has_value());
}

TEST_P(StoreConformanceTest, HighestIdsOfRowsNeverDeleted) {
  EXPECT_TRUE(Must(store_->HighestIds()).empty());
  WriteBatch b;
  b.instances = {Instance(10), Instance(3)};
  b.tasks.push_back(Task(20));
  b.jobs.push_back(Job(30));  // jobs, timers and messages are deleted: not recovered from rows
  b.timers.push_back(Timer(40, 5555));
  b.incidents.push_back(Incident(60));
  b.notifications.push_back(Notification(70, false));
  b.events = {Event(80, 10), Event(81, 10)};
  ASSERT_TRUE(CommitAndWait(b).ok());
  EXPECT_EQ(
      Must(store_->HighestIds()),
      (std::map<std::string, int64_t>{
          {"event", 81}, {"incident", 60}, {"instance", 10}, {"notification", 70}, {"task", 20}}));
}

TEST_P(StoreConformanceTest, SequencesUpsertByName) {
  WriteBatch b;
  b.sequences = {{"instance", 100}, {"task", 5}};
  ASSERT_TRUE(CommitAndWait(b).ok());
  WriteBatch c;
  c.sequences = {{"task", 9}, {"job", 1}};
  ASSERT_TRUE(CommitAndWait(c).ok());
  EXPECT_EQ(Must(store_->LoadSequences()),
            (std::map<std::string, int64_t>{{"instance", 100}, {"job", 1}, {"task", 9}}));
}

TEST_P(StoreConformanceTest, LoadDefinitionsReturnsEveryVersionInOrder) {
  WriteBatch b;
  b.definitions = {{"review", 2, "Review", "d2", "y2", 3},
                   {"onboard", 1, "Onboard", "d1", "y1", 1},
                   {"review", 1, "Review", "d0", "y0", 2},
                   {"review", 10, "Review", "d3", "y3", 4}};
  ASSERT_TRUE(CommitAndWait(b).ok());
  std::vector<std::pair<std::string, int32_t>> keys;
  for (const auto& d : Must(store_->LoadDefinitions())) keys.emplace_back(d.id, d.version);
  EXPECT_EQ(keys, (std::vector<std::pair<std::string, int32_t>>{
                      {"onboard", 1}, {"review", 1}, {"review", 2}, {"review", 10}}));
}

TEST_P(StoreConformanceTest, LoadLiveDefinitionsReturnsTheLatestAndThoseActiveInstancesRun) {
  WriteBatch b;
  for (int32_t v = 1; v <= 5; ++v) {
    b.definitions.push_back({"review", v, "Review", "d" + std::to_string(v), "y", v});
  }
  b.definitions.push_back({"onboard", 1, "Onboard", "o1", "y", 1});
  b.definitions.push_back({"onboard", 2, "Onboard", "o2", "y", 2});
  auto on = [](int64_t id, const char* def, int32_t version, const char* state) {
    InstanceRow r = Instance(id, state);
    r.definition_id = def;
    r.version = version;
    return r;
  };
  b.instances = {on(1, "review", 2, "active"), on(2, "review", 3, "completed"),
                 on(3, "review", 2, "active"), on(4, "onboard", 1, "cancelled"),
                 on(5, "review", 5, "active")};
  ASSERT_TRUE(CommitAndWait(b).ok());
  auto keys = [&] {
    std::vector<std::pair<std::string, int32_t>> out;
    for (const auto& d : Must(store_->LoadLiveDefinitions())) out.emplace_back(d.id, d.version);
    return out;
  };
  EXPECT_EQ(keys(), (std::vector<std::pair<std::string, int32_t>>{
                        {"onboard", 2}, {"review", 2}, {"review", 5}}));
  // An instance that ends no longer keeps its version; one that starts on an old version does.
  WriteBatch c;
  c.instances = {on(1, "review", 2, "completed"), on(3, "review", 2, "failed"),
                 on(6, "review", 1, "active")};
  ASSERT_TRUE(CommitAndWait(c).ok());
  Reopen();
  EXPECT_EQ(keys(), (std::vector<std::pair<std::string, int32_t>>{
                        {"onboard", 2}, {"review", 1}, {"review", 5}}));
  const auto rows = Must(store_->LoadLiveDefinitions());
  EXPECT_EQ(Fields(rows[1]), Fields(b.definitions[0]));
}

TEST_P(StoreConformanceTest, GetDefinitionReadsOneVersion) {
  WriteBatch b;
  b.definitions = {{"review", 1, "Review", "d1", "y1", 10}, {"review", 2, "Review", "d2", "y2", 20}};
  ASSERT_TRUE(CommitAndWait(b).ok());
  auto v1 = Must(store_->GetDefinition("review", 1));
  ASSERT_TRUE(v1.has_value());
  EXPECT_EQ(Fields(*v1), Fields(b.definitions[0]));
  EXPECT_FALSE(Must(store_->GetDefinition("review", 3)).has_value());
  EXPECT_FALSE(Must(store_->GetDefinition("onboard", 1)).has_value());
}

TEST_P(StoreConformanceTest, CountsOpenWork) {
  WriteBatch b;
  b.instances = {Instance(1, "active"), Instance(2, "active"), Instance(3, "completed")};
  b.tasks = {Task(1, "open"), Task(2, "claimed"), Task(3, "delegated"), Task(4, "completed"),
             Task(5, "cancelled")};
  b.jobs = {Job(1, "activatable"), Job(2, "active"), Job(3, "failed"), Job(4, "completed")};
  b.timers = {Timer(1, 1), Timer(2, 2)};
  b.incidents = {Incident(1, "open"), Incident(2, "resolved")};
  b.notifications = {Notification(1, false), Notification(2, true), Notification(3, false)};
  ASSERT_TRUE(CommitAndWait(b).ok());
  const Counts c = Must(store_->Count());
  EXPECT_EQ(c.instances_active, 2);
  EXPECT_EQ(c.tasks_open, 3);
  EXPECT_EQ(c.jobs_pending, 2);
  EXPECT_EQ(c.timers, 2);
  EXPECT_EQ(c.incidents_open, 1);
  EXPECT_EQ(c.notifications_unacked, 2);
}

TEST_P(StoreConformanceTest, ForEachTimerByDueAndForEachJobByState) {
  WriteBatch b;
  b.timers = {Timer(1, 300), Timer(2, 100), Timer(3, 200), Timer(4, 100), Timer(5, 50)};
  b.jobs = {Job(4, "active"), Job(1, "activatable"), Job(3, "activatable"), Job(2, "failed")};
  ASSERT_TRUE(CommitAndWait(b).ok());

  std::vector<int64_t> timers;
  Must(store_->ForEachTimer([&](const TimerRow& t) { timers.push_back(t.id); }));
  EXPECT_EQ(timers, (std::vector<int64_t>{5, 2, 4, 3, 1}));

  auto jobs = [&](const std::string& state) {
    std::vector<int64_t> ids;
    Must(store_->ForEachJob(state, [&](const JobRow& j) { ids.push_back(j.id); }));
    return ids;
  };
  EXPECT_EQ(jobs("activatable"), (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(jobs("active"), std::vector<int64_t>{4});
  EXPECT_EQ(jobs("failed"), std::vector<int64_t>{2});
  EXPECT_TRUE(jobs("completed").empty());
  EXPECT_EQ(jobs(""), (std::vector<int64_t>{1, 2, 3, 4}));
}

TEST_P(StoreConformanceTest, ForEachTimerCallbackMayReadTheStore) {
  WriteBatch b;
  for (int64_t id = 1; id <= 20; ++id) {
    b.timers.push_back(Timer(id, id));
    b.instances.push_back(Instance(id));
  }
  ASSERT_TRUE(CommitAndWait(b).ok());
  int seen = 0;
  Must(store_->ForEachTimer([&](const TimerRow& t) {
    ++seen;
    EXPECT_TRUE(Must(store_->GetTimer(t.id)).has_value());
    EXPECT_TRUE(Must(store_->GetInstance(t.id)).has_value());
    EXPECT_EQ(Must(store_->ListInstances({}, {.after_id = t.id - 1, .limit = 1})).size(), 1u);
  }));
  EXPECT_EQ(seen, 20);
}

TEST_P(StoreConformanceTest, CommitStatsCountBatchesAndRecords) {
  int64_t records = 0;
  for (int i = 0; i < 30; ++i) {
    WriteBatch b;
    b.instances = {Instance(i + 1)};
    b.events = {Event(i + 1, i + 1)};
    if (i % 3 == 0) b.timers = {Timer(i + 1, i)};
    records += static_cast<int64_t>(b.size());
    store_->Commit(std::move(b), [](absl::Status s) { EXPECT_TRUE(s.ok()) << s; });
  }
  ASSERT_TRUE(store_->Flush().ok());
  const CommitStats stats = store_->GetCommitStats();
  EXPECT_EQ(stats.batches, 30);
  EXPECT_EQ(stats.records, records);
  EXPECT_GE(stats.commits, 1);
  EXPECT_LE(stats.commits, 30);
  int64_t group_total = 0, latency_total = 0;
  for (int64_t n : stats.group_size_buckets) group_total += n;
  for (int64_t n : stats.latency_us_buckets) latency_total += n;
  EXPECT_EQ(group_total, stats.commits);
  EXPECT_EQ(latency_total, stats.commits);
  EXPECT_GE(stats.latency_us_sum, 0);
}

TEST_P(StoreConformanceTest, CommittedStateSurvivesReopen) {
  WriteBatch b;
  b.definitions = {{"recruit", 1, "Recruit", "d", "y", 1}};
  for (int64_t id = 1; id <= 100; ++id) {
    b.instances.push_back(Instance(id));
    b.events.push_back(Event(id, id));
  }
  b.timers = {Timer(1, 10)};
  b.sequences = {{"instance", 100}};
  b.requests = {{"req", "reply", 5}};
  ASSERT_TRUE(CommitAndWait(b).ok());
  Reopen();
  ASSERT_TRUE(store_->Health().ok());
  EXPECT_EQ(Must(store_->LoadDefinitions()).size(), 1u);
  EXPECT_EQ(Must(store_->ListInstances({}, {.after_id = 0, .limit = 1000})).size(), 100u);
  EXPECT_EQ(Fields(*Must(store_->GetInstance(42))), Fields(Instance(42)));
  EXPECT_EQ(Must(store_->History(0, 0, 1000)).size(), 100u);
  EXPECT_EQ(Must(store_->LoadSequences()).at("instance"), 100);
  EXPECT_EQ(Must(store_->GetRequest("req"))->reply, "reply");
  EXPECT_TRUE(Must(store_->GetTimer(1)).has_value());

  // And the reopened store takes writes again.
  WriteBatch more;
  more.instances = {Instance(101)};
  ASSERT_TRUE(CommitAndWait(more).ok());
  Reopen();
  EXPECT_TRUE(Must(store_->GetInstance(101)).has_value());
}

TEST_P(StoreConformanceTest, DestructionDrainsTheQueue) {
  std::atomic<int> ok{0};
  for (int64_t id = 1; id <= 200; ++id) {
    WriteBatch b;
    b.instances = {Instance(id)};
    store_->Commit(std::move(b), [&](absl::Status s) {
      if (s.ok()) ++ok;
    });
  }
  Reopen();  // destroys the store without Flush
  EXPECT_EQ(ok.load(), 200);
  EXPECT_EQ(Must(store_->ListInstances({}, {.after_id = 0, .limit = 1000})).size(), 200u);
}

TEST_P(StoreConformanceTest, SubjectHistoryBySubjectOrUnit) {
  WriteBatch b;
  b.events.push_back(Event(1, 100));  // an engine event: neither subject nor unit
  b.events.push_back({2, 0, "worker.created", 10, "{}", "worker:1", "bh.a"});
  b.events.push_back({3, 0, "worker.transferred", 11, "{}", "worker:1", "bh.b"});
  b.events.push_back({4, 0, "quota.revised", 12, "{}", "unit:bh.a", "bh.a"});
  b.events.push_back({5, 0, "worker.created", 13, "{}", "worker:2", "bh.a"});
  ASSERT_TRUE(CommitAndWait(b).ok());
  auto seqs = [](const std::vector<EventRow>& rows) {
    std::vector<int64_t> out;
    for (const auto& r : rows) out.push_back(r.seq);
    return out;
  };
  EXPECT_EQ(seqs(Must(store_->SubjectHistory("worker:1", "", 0, 10))),
            (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(seqs(Must(store_->SubjectHistory("", "bh.a", 0, 10))), (std::vector<int64_t>{2, 4, 5}));
  EXPECT_EQ(seqs(Must(store_->SubjectHistory("", "bh.a", 2, 1))), (std::vector<int64_t>{4}));
  EXPECT_TRUE(Must(store_->SubjectHistory("", "", 0, 10)).empty());
  EXPECT_EQ(Fields(Must(store_->SubjectHistory("unit:bh.a", "", 0, 10)).at(0)),
            Fields(b.events[3]));
  // Engine history still sees every event.
  EXPECT_EQ(Must(store_->History(0, 0, 10)).size(), 5u);
}

// ---- Module records ----

// A module "shop" with an orders table (two lookup columns, the second added by migration 2)
// and an append-only log. Migration 2 also writes one "migrated-<n>" row, so a migration that
// ran twice shows up as a second such row.
ModuleSchema Shop() {
  ModuleSchema s;
  s.module = "shop";
  s.tables = {{"shop_orders", {"customer", "state"}}, {"shop_log", {}}};
  s.migrations = {
      {1, "0001_orders.sql",
       "CREATE TABLE shop_orders (key TEXT PRIMARY KEY, body TEXT NOT NULL, "
       "customer TEXT NOT NULL DEFAULT '');\n"
       "CREATE INDEX shop_orders_by_customer ON shop_orders (customer, key);\n"},
      {2, "0002_state_and_log.sql",
       "ALTER TABLE shop_orders ADD COLUMN state TEXT NOT NULL DEFAULT '';\n"
       "CREATE TABLE shop_log (key TEXT PRIMARY KEY, body TEXT NOT NULL);\n"
       "INSERT INTO shop_log (key, body) "
       "SELECT 'migrated-' || (SELECT COUNT(*) FROM shop_log), '{}';\n"},
  };
  return s;
}

RecordWrite Put(std::string table, std::string key, std::string body,
                std::vector<std::string> columns = {}) {
  return RecordWrite{RecordWrite::Op::kPut, std::move(table), std::move(key), std::move(body),
                     std::move(columns)};
}
RecordWrite Append(std::string table, std::string key, std::string body) {
  return RecordWrite{RecordWrite::Op::kAppend, std::move(table), std::move(key), std::move(body),
                     {}};
}
RecordWrite Delete(std::string table, std::string key) {
  return RecordWrite{RecordWrite::Op::kDelete, std::move(table), std::move(key), "", {}};
}
RecordWrite Order(const std::string& key, const std::string& customer,
                  const std::string& state = "open") {
  return Put("shop_orders", key, R"({"order":")" + key + R"(","note":"王小明's \"cart\""})",
             {customer, state});
}

std::vector<std::string> Keys(const absl::StatusOr<std::vector<Record>>& records) {
  EXPECT_TRUE(records.ok()) << records.status();
  std::vector<std::string> keys;
  if (records.ok()) {
    for (const Record& r : *records) keys.push_back(r.key);
  }
  return keys;
}

class ModuleRecordsTest : public StoreConformanceTest {
 protected:
  void SetUp() override {
    StoreConformanceTest::SetUp();
    ASSERT_TRUE(store_->AttachModule(Shop()).ok());
  }
  void ReopenAndAttach(const ModuleSchema& schema = Shop()) {
    Reopen();
    ASSERT_TRUE(store_->AttachModule(schema).ok());
  }
  std::vector<std::string> ScanKeys(RecordScan scan) {
    return Keys(store_->ScanRecords(scan));
  }
  std::optional<std::string> Body(const std::string& table, const std::string& key) {
    auto r = store_->GetRecord(table, key);
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok() || !r->has_value()) return std::nullopt;
    EXPECT_EQ((*r)->key, key);
    return (*r)->body;
  }
};

TEST_P(ModuleRecordsTest, MigrationsRunOnceAcrossReopens) {
  EXPECT_EQ(ScanKeys({.table = "shop_log"}), (std::vector<std::string>{"migrated-0"}));
  ASSERT_TRUE(store_->AttachModule(Shop()).ok());  // again in the same process
  ReopenAndAttach();
  ReopenAndAttach();
  EXPECT_EQ(ScanKeys({.table = "shop_log"}), (std::vector<std::string>{"migrated-0"}));

  // A later build adds migration 3; only it runs.
  ModuleSchema v3 = Shop();
  v3.tables.push_back({"shop_stock", {"sku"}});
  v3.migrations.push_back(
      {3, "0003_stock.sql",
       "CREATE TABLE shop_stock (key TEXT PRIMARY KEY, body TEXT NOT NULL, sku TEXT NOT NULL "
       "DEFAULT '');\nINSERT INTO shop_log (key, body) VALUES ('stock-added', '{}');\n"});
  ReopenAndAttach(v3);
  ReopenAndAttach(v3);
  EXPECT_EQ(ScanKeys({.table = "shop_log"}),
            (std::vector<std::string>{"migrated-0", "stock-added"}));
  WriteBatch b;
  b.records = {Put("shop_stock", "sku-1", "{}", {"A1"})};
  EXPECT_TRUE(CommitAndWait(std::move(b)).ok());

  // The previous build, which knows only migrations 1 and 2, is refused.
  Reopen();
  absl::Status older = store_->AttachModule(Shop());
  EXPECT_EQ(older.code(), absl::StatusCode::kFailedPrecondition) << older;
  EXPECT_NE(older.message().find("migration 3 of module shop"), absl::string_view::npos)
      << older;
}

TEST_P(ModuleRecordsTest, AttachChecksNamesVersionsAndTables) {
  auto attach_code = [&](const ModuleSchema& s) { return store_->AttachModule(s).code(); };
  ModuleSchema s = Shop();
  s.module = "Shop";
  EXPECT_EQ(attach_code(s), absl::StatusCode::kInvalidArgument);
  s = Shop();
  s.tables.push_back({"orders", {}});  // not prefixed "shop_"
  EXPECT_EQ(attach_code(s), absl::StatusCode::kInvalidArgument);
  s = Shop();
  s.tables.push_back({"shop_", {}});
  EXPECT_EQ(attach_code(s), absl::StatusCode::kInvalidArgument);
  s = Shop();
  s.tables[0].columns.push_back("bad-name");
  EXPECT_EQ(attach_code(s), absl::StatusCode::kInvalidArgument);
  s = Shop();
  s.tables[0].columns.push_back("body");
  EXPECT_EQ(attach_code(s), absl::StatusCode::kInvalidArgument);
  s = Shop();
  s.tables[0].columns.push_back("customer");  // twice
  EXPECT_EQ(attach_code(s), absl::StatusCode::kInvalidArgument);
  s = Shop();
  std::swap(s.migrations[0], s.migrations[1]);  // descending
  EXPECT_EQ(attach_code(s), absl::StatusCode::kInvalidArgument);
  s = Shop();
  s.migrations[1].version = 1;  // repeated
  EXPECT_EQ(attach_code(s), absl::StatusCode::kInvalidArgument);

  // Declared, but not what the database holds.
  s = Shop();
  s.tables.push_back({"shop_missing", {}});
  absl::Status missing = store_->AttachModule(s);
  EXPECT_EQ(missing.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(missing.message().find("shop_missing"), absl::string_view::npos) << missing;
  s = Shop();
  s.tables[1].columns = {"customer"};  // shop_log has no such column
  EXPECT_EQ(attach_code(s), absl::StatusCode::kFailedPrecondition);

  // A migration that fails is not recorded, and the module can be attached once it is fixed.
  ModuleSchema broken;
  broken.module = "books";
  broken.tables = {{"books_titles", {}}};
  broken.migrations = {{1, "0001_titles.sql", "CREATE TABLE books_titles (key TEXT PRIMARY KEY,"}};
  EXPECT_FALSE(store_->AttachModule(broken).ok());
  broken.migrations[0].sql =
      "CREATE TABLE books_titles (key TEXT PRIMARY KEY, body TEXT NOT NULL);";
  EXPECT_TRUE(store_->AttachModule(broken).ok());
  // Still attached and healthy after all the refusals.
  EXPECT_TRUE(store_->Health().ok());
  WriteBatch b;
  b.records = {Order("o-1", "alice"), Put("books_titles", "t-1", "{}")};
  EXPECT_TRUE(CommitAndWait(std::move(b)).ok());
}

TEST_P(ModuleRecordsTest, PutReplacesAndDeleteRemoves) {
  WriteBatch b;
  b.records = {Order("o-1", "alice"), Order("o-2", "bob"), Order("o-3", "carol")};
  ASSERT_TRUE(CommitAndWait(b).ok());
  EXPECT_EQ(Body("shop_orders", "o-2"), b.records[1].body);
  EXPECT_EQ(Body("shop_orders", "o-9"), std::nullopt);

  // Within a batch later writes win; the columns are replaced along with the body.
  WriteBatch change;
  change.records = {Order("o-2", "bob", "paid"), Delete("shop_orders", "o-3"),
                    Put("shop_orders", "o-2", R"({"v":3})", {"dave", "shipped"}),
                    Delete("shop_orders", "o-absent")};
  ASSERT_TRUE(CommitAndWait(change).ok());
  EXPECT_EQ(Body("shop_orders", "o-2"), R"({"v":3})");
  EXPECT_EQ(Body("shop_orders", "o-3"), std::nullopt);
  EXPECT_EQ(ScanKeys({.table = "shop_orders", .column = "customer", .value = "bob"}),
            std::vector<std::string>{});
  EXPECT_EQ(ScanKeys({.table = "shop_orders", .column = "customer", .value = "dave"}),
            std::vector<std::string>{"o-2"});
  EXPECT_EQ(ScanKeys({.table = "shop_orders", .column = "state", .value = "shipped"}),
            std::vector<std::string>{"o-2"});
  // Deleted, then put again in a later batch.
  WriteBatch again;
  again.records = {Order("o-3", "carol")};
  ASSERT_TRUE(CommitAndWait(again).ok());
  EXPECT_EQ(ScanKeys({.table = "shop_orders"}), (std::vector<std::string>{"o-1", "o-2", "o-3"}));
}

TEST_P(ModuleRecordsTest, AppendOnAnExistingKeyFailsTheCommit) {
  WriteBatch b;
  b.records = {Append("shop_log", "000001", R"({"e":1})"),
               Append("shop_log", "000002", R"({"e":2})")};
  ASSERT_TRUE(CommitAndWait(b).ok());
  EXPECT_EQ(Body("shop_log", "000002"), R"({"e":2})");

  WriteBatch reused;
  reused.instances = {Instance(1)};
  reused.records = {Append("shop_log", "000003", "{}"), Append("shop_log", "000002", "{}")};
  absl::Status s = CommitAndWait(std::move(reused));
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("shop_log"), absl::string_view::npos) << s;
  // A real commit failure, like a reused event seq: the store refuses writes from now on.
  EXPECT_FALSE(store_->Health().ok());
  // Nothing of the failed batch was written.
  EXPECT_FALSE(Must(store_->GetInstance(1)).has_value());
  EXPECT_EQ(Body("shop_log", "000003"), std::nullopt);
  EXPECT_EQ(Body("shop_log", "000002"), R"({"e":2})");
  ReopenAndAttach();
  EXPECT_EQ(ScanKeys({.table = "shop_log", .key_prefix = "0"}),
            (std::vector<std::string>{"000001", "000002"}));
}

TEST_P(ModuleRecordsTest, ScansByColumnByPrefixAndByPage) {
  WriteBatch b;
  // Keys are put out of order; scans return them in key order.
  for (int i : {7, 3, 12, 1, 9, 10, 5, 11, 2, 8, 4, 6}) {
    char key[16];
    snprintf(key, sizeof key, "%s/%03d", i % 2 == 0 ? "even" : "odd", i);
    b.records.push_back(Order(key, i % 3 == 0 ? "alice" : "bob"));
  }
  b.records.push_back(Order("odd", "alice"));  // sorts before every "odd/..." key
  b.records.push_back(Order("odd0", "alice"));  // after them ('0' > '/')
  ASSERT_TRUE(CommitAndWait(b).ok());

  EXPECT_EQ(ScanKeys({.table = "shop_orders"}),
            (std::vector<std::string>{"even/002", "even/004", "even/006", "even/008", "even/010",
                                      "even/012", "odd", "odd/001", "odd/003", "odd/005",
                                      "odd/007", "odd/009", "odd/011", "odd0"}));
  EXPECT_EQ(ScanKeys({.table = "shop_orders", .key_prefix = "odd/"}),
            (std::vector<std::string>{"odd/001", "odd/003", "odd/005", "odd/007", "odd/009",
                                      "odd/011"}));
  EXPECT_EQ(ScanKeys({.table = "shop_orders", .column = "customer", .value = "alice"}),
            (std::vector<std::string>{"even/006", "even/012", "odd", "odd/003", "odd/009",
                                      "odd0"}));
  EXPECT_EQ(ScanKeys({.table = "shop_orders",
                      .column = "customer",
                      .value = "alice",
                      .key_prefix = "odd/"}),
            (std::vector<std::string>{"odd/003", "odd/009"}));
  EXPECT_EQ(ScanKeys({.table = "shop_orders", .column = "customer", .value = "nobody"}),
            std::vector<std::string>{});
  // after_key below, inside and above the prefix's range.
  EXPECT_EQ(ScanKeys({.table = "shop_orders", .key_prefix = "odd/", .after_key = "even/010",
                      .limit = 2}),
            (std::vector<std::string>{"odd/001", "odd/003"}));
  EXPECT_EQ(ScanKeys({.table = "shop_orders", .key_prefix = "odd/", .after_key = "odd/007"}),
            (std::vector<std::string>{"odd/009", "odd/011"}));
  EXPECT_EQ(ScanKeys({.table = "shop_orders", .key_prefix = "odd/", .after_key = "odd0"}),
            std::vector<std::string>{});
  // A prefix whose last byte is 0xff has no simple successor.
  WriteBatch high;
  high.records = {Order("x\xff", "z"), Order("x\xff\x01", "z"), Order("y", "z")};
  ASSERT_TRUE(CommitAndWait(high).ok());
  EXPECT_EQ(ScanKeys({.table = "shop_orders", .key_prefix = "x\xff"}),
            (std::vector<std::string>{"x\xff", "x\xff\x01"}));

  // Keyset pages by hand, and ForEachRecord, see every alice row once, in order.
  std::vector<std::string> paged;
  RecordScan scan{.table = "shop_orders", .column = "customer", .value = "alice", .limit = 4};
  for (int guard = 0; guard < 100; ++guard) {
    std::vector<std::string> page = ScanKeys(scan);
    EXPECT_LE(page.size(), 4u);
    paged.insert(paged.end(), page.begin(), page.end());
    if (page.size() < 4) break;
    scan.after_key = page.back();
  }
  EXPECT_EQ(paged, ScanKeys({.table = "shop_orders", .column = "customer", .value = "alice"}));
  for (int limit : {1, 2, 6, 7, 1000}) {
    std::vector<std::string> seen;
    absl::Status s = ForEachRecord(
        *store_, {.table = "shop_orders", .column = "customer", .value = "alice", .limit = limit},
        [&](Record&& r) {
          seen.push_back(r.key);
          return absl::OkStatus();
        });
    EXPECT_TRUE(s.ok()) << s;
    EXPECT_EQ(seen, paged) << "limit " << limit;
  }
  // ForEachRecord stops at the first error of fn and returns it.
  int calls = 0;
  absl::Status stopped =
      ForEachRecord(*store_, {.table = "shop_orders", .limit = 2}, [&](Record&&) {
        return ++calls == 3 ? absl::CancelledError("enough") : absl::OkStatus();
      });
  EXPECT_EQ(stopped.code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(calls, 3);

  // Undeclared tables and columns, and a limit that is not positive, are refused.
  EXPECT_EQ(store_->ScanRecords({.table = "shop_nope"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->ScanRecords({.table = "shop_orders", .column = "body", .value = "x"})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->ScanRecords({.table = "shop_orders", .limit = 0}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->GetRecord("shop_nope", "k").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->GetRecord("instances", "1").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(ModuleRecordsTest, MalformedBatchesAreRefusedWithoutBreakingTheStore) {
  const std::vector<std::pair<RecordWrite, std::string>> malformed = {
      {Put("shop_nope", "k", "{}"), "shop_nope"},
      {Put("instances", "1", "{}"), "instances"},
      {Put("shop_orders", "k", "{}", {"alice"}), "shop_orders"},   // one column of two
      {Put("shop_log", "k", "{}", {"extra"}), "shop_log"},         // one column of none
      {RecordWrite{RecordWrite::Op::kAppend, "shop_orders", "k", "{}", {}}, "shop_orders"},
      {Put("shop_log", "", "{}"), "empty key"},
      {Delete("shop_log", ""), "empty key"},
  };
  for (const auto& [write, named] : malformed) {
    WriteBatch b;
    b.instances = {Instance(1)};
    b.records = {Order("o-1", "alice"), write};
    bool done_ran = false;
    absl::Status status;
    store_->Commit(std::move(b), [&](absl::Status s) {
      done_ran = true;
      status = std::move(s);
    });
    // Refused at once, on the calling thread.
    ASSERT_TRUE(done_ran) << named;
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    EXPECT_NE(status.message().find(named), absl::string_view::npos) << status;
    EXPECT_NE(status.message().find("records[1]"), absl::string_view::npos) << status;
  }
  ASSERT_TRUE(store_->Flush().ok());
  EXPECT_TRUE(store_->Health().ok());
  EXPECT_FALSE(Must(store_->GetInstance(1)).has_value());
  EXPECT_EQ(Body("shop_orders", "o-1"), std::nullopt);

  // The store takes the next, well-formed batch.
  WriteBatch good;
  good.instances = {Instance(1)};
  good.records = {Order("o-1", "alice"), Append("shop_log", "000001", "{}")};
  ASSERT_TRUE(CommitAndWait(std::move(good)).ok());
  EXPECT_TRUE(Must(store_->GetInstance(1)).has_value());
  EXPECT_TRUE(Body("shop_orders", "o-1").has_value());
  // A table of a module that is not attached in this process is refused too.
  Reopen();
  WriteBatch unattached;
  unattached.records = {Order("o-2", "bob")};
  EXPECT_EQ(CommitAndWait(std::move(unattached)).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->GetRecord("shop_orders", "o-1").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(store_->Health().ok());
}

TEST_P(ModuleRecordsTest, RecordsCommitAtomicallyWithEngineRows) {
  WriteBatch b;
  b.instances = {Instance(1)};
  b.events = {Event(1, 1)};
  b.records = {Order("o-1", "alice"), Append("shop_log", "000001", R"({"started":1})")};
  ASSERT_TRUE(CommitAndWait(b).ok());
  EXPECT_TRUE(Must(store_->GetInstance(1)).has_value());
  EXPECT_EQ(Body("shop_log", "000001"), R"({"started":1})");
  EXPECT_EQ(store_->GetCommitStats().records, 4);

  // Appended batches carry their records along, in order.
  WriteBatch first, second;
  first.records = {Order("o-2", "bob")};
  second.records = {Put("shop_orders", "o-2", R"({"v":2})", {"bob", "paid"})};
  first.Append(std::move(second));
  EXPECT_EQ(first.size(), 2u);
  ASSERT_TRUE(CommitAndWait(std::move(first)).ok());
  EXPECT_EQ(Body("shop_orders", "o-2"), R"({"v":2})");

  // An engine row that fails (a reused event seq) takes the batch's records down with it.
  WriteBatch failing;
  failing.instances = {Instance(2)};
  failing.events = {Event(1, 2)};
  failing.records = {Order("o-3", "carol"), Append("shop_log", "000002", "{}")};
  EXPECT_FALSE(CommitAndWait(std::move(failing)).ok());
  EXPECT_FALSE(Must(store_->GetInstance(2)).has_value());
  EXPECT_EQ(Body("shop_orders", "o-3"), std::nullopt);
  EXPECT_EQ(Body("shop_log", "000002"), std::nullopt);
  ReopenAndAttach();
  EXPECT_FALSE(Must(store_->GetInstance(2)).has_value());
  EXPECT_EQ(ScanKeys({.table = "shop_orders"}), (std::vector<std::string>{"o-1", "o-2"}));
  EXPECT_EQ(ScanKeys({.table = "shop_log"}), (std::vector<std::string>{"000001", "migrated-0"}));
}

TEST_P(ModuleRecordsTest, ReopenShowsExactlyTheCommittedRecords) {
  // Many small batches, queued without waiting, then the store is destroyed without Flush.
  std::atomic<int> ok{0};
  for (int i = 1; i <= 200; ++i) {
    WriteBatch b;
    b.instances = {Instance(i)};
    char key[16];
    snprintf(key, sizeof key, "%06d", i);
    b.records = {Order(key, i % 2 ? "odd" : "even"), Append("shop_log", key, "{}")};
    if (i % 10 == 0) b.records.push_back(Delete("shop_orders", key));
    store_->Commit(std::move(b), [&](absl::Status s) {
      if (s.ok()) ++ok;
    });
  }
  ReopenAndAttach();
  EXPECT_EQ(ok.load(), 200);
  EXPECT_EQ(Must(store_->ListInstances({}, {.after_id = 0, .limit = 1000})).size(), 200u);
  std::vector<std::string> orders = ScanKeys({.table = "shop_orders", .limit = 1000});
  EXPECT_EQ(orders.size(), 180u);
  EXPECT_EQ(std::count_if(orders.begin(), orders.end(),
                          [](const std::string& k) { return k.back() == '0'; }),
            0);
  EXPECT_EQ(ScanKeys({.table = "shop_log", .key_prefix = "0", .limit = 1000}).size(), 200u);
  EXPECT_EQ(ScanKeys({.table = "shop_orders", .column = "customer", .value = "odd",
                      .limit = 1000})
                .size(),
            100u);
}

// The process dies after its commits were acknowledged, before any orderly shutdown: a reopen
// shows every acknowledged record and nothing else.
TEST_P(ModuleRecordsTest, AcknowledgedRecordsSurviveACrash) {
  store_.reset();
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::unique_ptr<Store> store = GetParam().open(dir_);
    if (store == nullptr || !store->AttachModule(Shop()).ok()) _exit(2);
    for (int i = 1; i <= 50; ++i) {
      WriteBatch b;
      b.instances = {Instance(i)};
      b.records = {Order("o-" + std::to_string(100 + i), "alice"),
                   Append("shop_log", "e-" + std::to_string(100 + i), "{}")};
      std::promise<absl::Status> done;
      store->Commit(std::move(b), [&](absl::Status s) { done.set_value(s); });
      if (!done.get_future().get().ok()) _exit(3);
    }
    WriteBatch refused;  // malformed: never written
    refused.records = {Order("o-999", "alice"), Put("shop_log", "", "{}")};
    store->Commit(std::move(refused), nullptr);
    _exit(0);  // no destructors: no checkpoint, no orderly close
  }
  int wstatus = 0;
  ASSERT_EQ(waitpid(child, &wstatus, 0), child);
  ASSERT_TRUE(WIFEXITED(wstatus));
  ASSERT_EQ(WEXITSTATUS(wstatus), 0);
  store_ = GetParam().open(dir_);
  ASSERT_NE(store_, nullptr);
  ASSERT_TRUE(store_->AttachModule(Shop()).ok());
  EXPECT_EQ(Must(store_->ListInstances({}, {.after_id = 0, .limit = 1000})).size(), 50u);
  std::vector<std::string> orders = ScanKeys({.table = "shop_orders", .limit = 1000});
  ASSERT_EQ(orders.size(), 50u);
  EXPECT_EQ(orders.front(), "o-101");
  EXPECT_EQ(orders.back(), "o-150");
  EXPECT_EQ(ScanKeys({.table = "shop_log", .key_prefix = "e-", .limit = 1000}).size(), 50u);
  EXPECT_EQ(Body("shop_orders", "o-999"), std::nullopt);
}

INSTANTIATE_TEST_SUITE_P(Backends, ModuleRecordsTest, ::testing::ValuesIn(Backends()),
                         [](const ::testing::TestParamInfo<Backend>& info) {
                           return info.param.name;
                         });

INSTANTIATE_TEST_SUITE_P(Backends, StoreConformanceTest, ::testing::ValuesIn(Backends()),
                         [](const ::testing::TestParamInfo<Backend>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace shequ::store
