// The cache of committed objects: the LRU itself, and the engine using it on a real SQLite
// store, counting the reads that still reach the store.

#include "daemon/engine/object_cache.h"

#include <gtest/gtest.h>

#include <utility>  // before Boost.Asio with GCC 12 in C++20

#include <atomic>
#include <boost/asio.hpp>
#include <filesystem>
#include <future>
#include <thread>

#include "daemon/engine/engine.h"
#include "daemon/store/forwarding_store.h"
#include "daemon/store/sqlite/sqlite_store.h"
#include "tests/unit/store/must.h"

namespace shequ::engine {
namespace {

TEST(ObjectCacheTest, EvictsTheLeastRecentlyUsed) {
  ObjectCache<std::string> cache(2);
  cache.Put(1, "one");
  cache.Put(2, "two");
  ASSERT_NE(cache.Get(1), nullptr);  // 1 is now more recent than 2
  cache.Put(3, "three");
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.Get(2), nullptr);
  EXPECT_EQ(*cache.Get(1), "one");
  EXPECT_EQ(*cache.Get(3), "three");
}

TEST(ObjectCacheTest, PutReplacesAndRefreshes) {
  ObjectCache<std::string> cache(2);
  cache.Put(1, "one");
  cache.Put(2, "two");
  cache.Put(1, "uno");  // replaced, and now the most recent
  cache.Put(3, "three");
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(*cache.Get(1), "uno");
  EXPECT_EQ(cache.Get(2), nullptr);
}

TEST(ObjectCacheTest, EraseClearAndZeroCapacity) {
  ObjectCache<int> cache(3);
  cache.Put(1, 10);
  cache.Put(2, 20);
  cache.Erase(1);
  cache.Erase(99);  // absent: nothing happens
  EXPECT_EQ(cache.Get(1), nullptr);
  EXPECT_EQ(*cache.Get(2), 20);
  cache.Clear();
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.Get(2), nullptr);

  ObjectCache<int> none(0);
  none.Put(1, 10);
  EXPECT_EQ(none.size(), 0u);
  EXPECT_EQ(none.Get(1), nullptr);
}

// Forwards to a SqliteStore and counts the object reads the engine makes.
class CountingStore final : public store::ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  std::atomic<int> instance_reads{0}, task_reads{0}, job_reads{0};

  absl::StatusOr<std::optional<store::InstanceRow>> GetInstance(int64_t id) override {
    ++instance_reads;
    return ForwardingStore::GetInstance(id);
  }
  absl::StatusOr<std::optional<store::TaskRow>> GetTask(int64_t id) override {
    ++task_reads;
    return ForwardingStore::GetTask(id);
  }
  absl::StatusOr<std::optional<store::JobRow>> GetJob(int64_t id) override {
    ++job_reads;
    return ForwardingStore::GetJob(id);
  }
};

constexpr char kReview[] = R"(
id: review
start: review
nodes:
  review: {type: user, assignees: [zhang], outcomes: [ok, redo], next: done}
  done: {type: end}
)";

constexpr char kService[] = R"(
id: svc
start: work
nodes:
  work: {type: service, job: mail, next: done}
  done: {type: end}
)";

class EngineCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("engine-cache-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override {
    Close();
    std::filesystem::remove_all(dir_);
  }

  void Open(size_t cache_objects, int64_t quota_bytes = 0) {
    store::SqliteOptions o{(dir_ / "db").string()};
    o.max_size_bytes = quota_bytes;
    auto store = store::SqliteStore::Open(o);
    ASSERT_TRUE(store.ok()) << store.status();
    sqlite_ = *std::move(store);
    counting_ = std::make_unique<CountingStore>(*sqlite_);
    io_ = std::make_unique<boost::asio::io_context>();
    EngineOptions options;
    options.cache_objects = cache_objects;
    engine_ = std::make_unique<Engine>(*io_, *counting_, clock_, calendar_, options);
    ASSERT_TRUE(engine_->Recover().ok());
    work_ = std::make_unique<Work>(io_->get_executor());
    thread_ = std::thread([this] { io_->run(); });
  }
  void Close() {
    if (!engine_) return;
    work_.reset();
    thread_.join();
    engine_.reset();
    counting_.reset();
    sqlite_.reset();
  }

  template <typename Fn>
  absl::StatusOr<json> Run(Fn&& command) {
    std::promise<absl::StatusOr<json>> done;
    command([&](absl::StatusOr<json> r) { done.set_value(std::move(r)); });
    return done.get_future().get();
  }
  int64_t Start(const std::string& def) {
    auto r = Run([&](Reply reply) {
      engine_->Start({"tester"}, {{def, 0, "", "", json::object()}, ""}, std::move(reply));
    });
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? (*r)["instance_id"].get<int64_t>() : 0;
  }
  int64_t TaskOf(int64_t instance_id) {
    return FromRow(*Must(sqlite_->GetInstance(instance_id))).tokens.at(0).tasks.at(0);
  }
  absl::StatusOr<json> Complete(int64_t task_id, json variables = json::object()) {
    return Run([&](Reply r) {
      engine_->CompleteTask({"zhang"}, {task_id, "ok", std::move(variables), "", ""}, std::move(r));
    });
  }
  int Reads() { return counting_->instance_reads + counting_->task_reads + counting_->job_reads; }

  using Work = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  std::filesystem::path dir_;
  ManualClock clock_{1772413200000};
  WorkCalendar calendar_ = WorkCalendar::Empty();
  std::unique_ptr<store::SqliteStore> sqlite_;
  std::unique_ptr<CountingStore> counting_;
  std::unique_ptr<boost::asio::io_context> io_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<Work> work_;
  std::thread thread_;
};

TEST_F(EngineCacheTest, CommittedObjectsAreNotReadBack) {
  Open(16);
  ASSERT_TRUE(Run([&](Reply r) { engine_->Deploy({kReview, ""}, std::move(r)); }).ok());
  const int64_t id = Start("review");
  const int64_t task = TaskOf(id);
  const int before = Reads();
  ASSERT_TRUE(Complete(task, {{"note", "fine"}}).ok());
  EXPECT_EQ(Reads(), before);  // task and instance came from the cache
  const Instance inst = FromRow(*Must(sqlite_->GetInstance(id)));
  EXPECT_EQ(inst.state, "completed");
  EXPECT_EQ(inst.variables["note"], "fine");
  // The completed task is cached as committed: completing it again is refused from memory.
  auto again = Complete(task);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition) << again.status();
  EXPECT_EQ(Reads(), before);
}

TEST_F(EngineCacheTest, JobsAndTheirInstancesStayInMemoryUntilDeleted) {
  Open(16);
  ASSERT_TRUE(Run([&](Reply r) { engine_->Deploy({kService, ""}, std::move(r)); }).ok());
  std::promise<Job> activated;
  const int64_t activation = engine_->OpenActivation(
      {"mail"}, "w1", 0, [&](const Job& job, const json&) {
        activated.set_value(job);
        return true;
      });
  engine_->RequestJob(activation);
  const int64_t id = Start("svc");
  const Job job = activated.get_future().get();
  EXPECT_EQ(job.instance_id, id);
  const int before = Reads();
  auto done = Run([&](Reply r) {
    engine_->CompleteJob({"w1"}, {job.id, json::object(), ""}, std::move(r));
  });
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(Reads(), before);
  EXPECT_EQ(FromRow(*Must(sqlite_->GetInstance(id))).state, "completed");
  // The job's row is deleted: the cache must not answer for it any more.
  auto again = Run([&](Reply r) {
    engine_->CompleteJob({"w1"}, {job.id, json::object(), ""}, std::move(r));
  });
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition) << again.status();
  EXPECT_GT(counting_->job_reads.load(), 0);
  engine_->CloseActivation(activation);
}

TEST_F(EngineCacheTest, EvictedObjectsAreReadFromTheStore) {
  Open(2);  // two of each kind: the first instance and its task are evicted by the third
  ASSERT_TRUE(Run([&](Reply r) { engine_->Deploy({kReview, ""}, std::move(r)); }).ok());
  const int64_t first = Start("review");
  Start("review");
  const int64_t third = Start("review");
  const int before = Reads();
  ASSERT_TRUE(Complete(TaskOf(first)).ok());
  EXPECT_EQ(counting_->instance_reads + counting_->task_reads, before + 2);
  EXPECT_EQ(FromRow(*Must(sqlite_->GetInstance(first))).state, "completed");
  const int middle = Reads();
  ASSERT_TRUE(Complete(TaskOf(third)).ok());  // still cached
  EXPECT_EQ(Reads(), middle);
  EXPECT_EQ(FromRow(*Must(sqlite_->GetInstance(third))).state, "completed");
}

TEST_F(EngineCacheTest, DisabledCacheReadsEverythingBack) {
  Open(0);
  ASSERT_TRUE(Run([&](Reply r) { engine_->Deploy({kReview, ""}, std::move(r)); }).ok());
  const int64_t id = Start("review");
  const int before = Reads();
  ASSERT_TRUE(Complete(TaskOf(id)).ok());
  EXPECT_EQ(Reads(), before + 2);
}

TEST_F(EngineCacheTest, FailedCommitLeavesTheStoreBrokenAndNothingOfItCached) {
  Open(16, /*quota_bytes=*/512 << 10);
  ASSERT_TRUE(Run([&](Reply r) { engine_->Deploy({kReview, ""}, std::move(r)); }).ok());
  const int64_t id = Start("review");
  const int64_t task = TaskOf(id);
  const int64_t other = Start("review");

  // Over the storage quota: the commit fails after the command itself succeeded.
  auto big = Complete(task, {{"blob", std::string(800 << 10, 'x')}});
  EXPECT_EQ(big.status().code(), absl::StatusCode::kUnavailable) << big.status();
  // Sticky: every later command is refused, without touching the objects.
  auto later = Complete(TaskOf(other));
  EXPECT_EQ(later.status().code(), absl::StatusCode::kUnavailable) << later.status();
  EXPECT_EQ(FromRow(*Must(sqlite_->GetTask(task))).state, "claimed");

  // A fresh engine on the store without a quota sees only what was committed.
  Close();
  Open(16);
  const Instance inst = FromRow(*Must(sqlite_->GetInstance(id)));
  EXPECT_EQ(inst.state, "active");
  EXPECT_FALSE(inst.variables.contains("blob"));
  ASSERT_TRUE(Complete(task, {{"note", "small"}}).ok());
  EXPECT_EQ(FromRow(*Must(sqlite_->GetInstance(id))).variables["note"], "small");
  ASSERT_TRUE(Complete(TaskOf(other)).ok());
}

}  // namespace
}  // namespace shequ::engine
