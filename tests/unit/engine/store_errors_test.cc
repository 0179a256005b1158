// Store reads that fail (daemon/store/store.h): a command that needs one answers the store's
// error and changes nothing; the engine does not start on loads that failed.

#include <gtest/gtest.h>

#include <utility>  // before Boost.Asio with GCC 12 in C++20

#include <boost/asio.hpp>
#include <filesystem>
#include <future>
#include <thread>

#include "daemon/engine/engine.h"
#include "daemon/store/sqlite/sqlite_store.h"
#include "tests/unit/store/failing_store.h"
#include "tests/unit/store/must.h"

namespace shequ::engine {
namespace {

constexpr char kReview[] = R"(
id: review
start: review
nodes:
  review: {type: user, assignees: [zhang], outcomes: [ok], next: done}
  done: {type: end}
)";

constexpr char kWait[] = R"(
id: wait
start: wait
nodes:
  wait: {type: timer, duration: PT1H, next: done}
  done: {type: end}
)";

constexpr int64_t kStart = 1772413200000;

class StoreErrorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("engine-store-errors-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    auto store = store::SqliteStore::Open({(dir_ / "db").string()});
    ASSERT_TRUE(store.ok()) << store.status();
    sqlite_ = *std::move(store);
    failing_ = std::make_unique<store::FailingStore>(*sqlite_);
    io_ = std::make_unique<boost::asio::io_context>();
    EngineOptions options;
    options.cache_objects = 0;  // every object comes from the store
    engine_ = std::make_unique<Engine>(*io_, *failing_, clock_, calendar_, options);
    ASSERT_TRUE(engine_->Recover().ok());
    work_ = std::make_unique<Work>(io_->get_executor());
    thread_ = std::thread([this] { io_->run(); });
  }
  void TearDown() override {
    work_.reset();
    thread_.join();
    engine_.reset();
    failing_.reset();
    sqlite_.reset();
    std::filesystem::remove_all(dir_);
  }

  template <typename Fn>
  absl::StatusOr<json> Run(Fn&& command) {
    std::promise<absl::StatusOr<json>> done;
    command([&](absl::StatusOr<json> r) { done.set_value(std::move(r)); });
    return done.get_future().get();
  }
  absl::StatusOr<json> Start(const std::string& def, const std::string& request_id = "") {
    json vars = json::object();
    return Run([&](Reply reply) {
      engine_->Start({"tester"}, {{def, 0, "", "", std::move(vars)}, request_id}, std::move(reply));
    });
  }
  absl::StatusOr<json> Complete(int64_t task_id) {
    return Run([&](Reply r) {
      engine_->CompleteTask({"zhang"}, {task_id, "ok", json::object(), "", ""}, std::move(r));
    });
  }
  Instance Get(int64_t id) { return FromRow(*Must(sqlite_->GetInstance(id))); }

  using Work = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  std::filesystem::path dir_;
  ManualClock clock_{kStart};
  WorkCalendar calendar_ = WorkCalendar::Empty();
  std::unique_ptr<store::SqliteStore> sqlite_;
  std::unique_ptr<store::FailingStore> failing_;
  std::unique_ptr<boost::asio::io_context> io_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<Work> work_;
  std::thread thread_;
};

TEST_F(StoreErrorsTest, ACommandWhoseReadFailsAnswersTheErrorAndChangesNothing) {
  ASSERT_TRUE(Run([&](Reply r) { engine_->Deploy({kReview, ""}, std::move(r)); }).ok());
  auto started = Start("review");
  ASSERT_TRUE(started.ok()) << started.status();
  const int64_t id = (*started)["instance_id"];
  const int64_t task = Get(id).tokens.at(0).tasks.at(0);
  const size_t events = Must(sqlite_->History(id, 0, 100)).size();
  const std::string task_state = FromRow(*Must(sqlite_->GetTask(task))).state;

  failing_->fail = true;
  auto refused = Complete(task);
  failing_->fail = false;
  EXPECT_EQ(refused.status(), failing_->error);  // not NOT_FOUND: the task exists
  EXPECT_GT(failing_->failed_reads.load(), 0);

  EXPECT_EQ(Get(id).state, "active");
  EXPECT_EQ(FromRow(*Must(sqlite_->GetTask(task))).state, task_state);
  EXPECT_EQ(Must(sqlite_->History(id, 0, 100)).size(), events);
  // Once the store reads again, the same command goes through.
  auto done = Complete(task);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(Get(id).state, "completed");
}

TEST_F(StoreErrorsTest, AFailedRequestLookupRefusesTheCommand) {
  ASSERT_TRUE(Run([&](Reply r) { engine_->Deploy({kReview, ""}, std::move(r)); }).ok());
  failing_->fail = true;
  auto refused = Start("review", "req-1");
  failing_->fail = false;
  EXPECT_EQ(refused.status(), failing_->error);
  EXPECT_TRUE(Must(sqlite_->ListInstances({}, {})).empty());
  EXPECT_FALSE(Must(sqlite_->GetRequest("Start:6:tester:req-1")).has_value());
  auto started = Start("review", "req-1");
  ASSERT_TRUE(started.ok()) << started.status();
  EXPECT_EQ(Must(sqlite_->ListInstances({}, {})).size(), 1u);
}

TEST_F(StoreErrorsTest, TimersWhoseReadFailsStayDueAndTheClockStepIsRefused) {
  ASSERT_TRUE(Run([&](Reply r) { engine_->Deploy({kWait, ""}, std::move(r)); }).ok());
  auto started = Start("wait");
  ASSERT_TRUE(started.ok()) << started.status();
  const int64_t id = (*started)["instance_id"];
  const int64_t later = kStart + 2 * 3'600'000;

  failing_->fail = true;
  auto refused = Run([&](Reply r) { engine_->AdvanceClock(clock_, later, std::move(r)); });
  failing_->fail = false;
  EXPECT_EQ(refused.status(), failing_->error);
  EXPECT_EQ(clock_.NowMs(), kStart);
  EXPECT_EQ(Get(id).state, "active");
  EXPECT_EQ(engine_->TimersPending(), 1);

  auto step = Run([&](Reply r) { engine_->AdvanceClock(clock_, later, std::move(r)); });
  ASSERT_TRUE(step.ok()) << step.status();
  EXPECT_EQ((*step)["timers_fired"], 1);
  EXPECT_EQ(Get(id).state, "completed");
}

TEST_F(StoreErrorsTest, RecoverFailsWhenItsLoadsFail) {
  ASSERT_TRUE(Run([&](Reply r) { engine_->Deploy({kReview, ""}, std::move(r)); }).ok());
  ASSERT_TRUE(Start("review").ok());
  ASSERT_TRUE(sqlite_->Flush().ok());
  boost::asio::io_context io;
  failing_->fail = true;
  Engine restarted(io, *failing_, clock_, calendar_, {});
  EXPECT_EQ(restarted.Recover(), failing_->error);
  failing_->fail = false;
  Engine again(io, *failing_, clock_, calendar_, {});
  EXPECT_TRUE(again.Recover().ok());
}

}  // namespace
}  // namespace shequ::engine
