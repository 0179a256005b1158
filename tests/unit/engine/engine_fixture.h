#pragma once

// The engine in-process for unit tests: a real SQLite store in a temporary directory, a manual
// clock and one io thread; Run() waits for a command's committed answer.

#include <gtest/gtest.h>

#include <utility>  // before Boost.Asio with GCC 12 in C++20

#include <boost/asio.hpp>
#include <filesystem>
#include <future>
#include <string>
#include <thread>

#include "daemon/engine/engine.h"
#include "daemon/store/sqlite/sqlite_store.h"
#include "tests/unit/store/must.h"

namespace shequ::engine {

constexpr int64_t kMonday0900 = 1772413200000;  // 2026-03-02 09:00 Beijing
constexpr int64_t kDay = 86'400'000;

class EngineFixture : public ::testing::Test {
 public:  // the tests and their helpers drive it directly
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("engine-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->test_suite_name() + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    Open();
  }
  void TearDown() override {
    Close();
    std::filesystem::remove_all(dir_);
  }

  void Open() {
    auto store = store::SqliteStore::Open({(dir_ / "db").string()});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    io_ = std::make_unique<boost::asio::io_context>();
    engine_ = std::make_unique<Engine>(*io_, *store_, clock_, calendar_, options_);
    ASSERT_TRUE(engine_->Recover().ok());
    work_ = std::make_unique<Work>(io_->get_executor());
    thread_ = std::thread([this] { io_->run(); });
  }
  void Close() {
    work_.reset();
    thread_.join();
    engine_.reset();
    store_.reset();
  }

  // Runs one engine command and waits for its (committed) answer.
  template <typename Fn>
  absl::StatusOr<json> Run(Fn&& command) {
    std::promise<absl::StatusOr<json>> done;
    command([&](absl::StatusOr<json> r) { done.set_value(std::move(r)); });
    return done.get_future().get();
  }
  absl::StatusOr<json> Deploy(const std::string& yaml) {
    return Run([&](Reply r) { engine_->Deploy({yaml, ""}, std::move(r)); });
  }
  absl::StatusOr<int64_t> Start(const std::string& def, json vars = json::object()) {
    auto r = Run([&](Reply reply) {
      engine_->Start({"tester"}, {{def, 0, "", "", std::move(vars)}, ""}, std::move(reply));
    });
    if (!r.ok()) return r.status();
    return (*r)["instance_id"].get<int64_t>();
  }
  Instance Get(int64_t id) { return FromRow(*Must(store_->GetInstance(id))); }
  void Advance(int64_t ms) {
    auto r = Run([&](Reply reply) {
      engine_->AdvanceClock(clock_, clock_.NowMs() + ms, std::move(reply));
    });
    ASSERT_TRUE(r.ok()) << r.status();
  }

  using Work = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  std::filesystem::path dir_;
  EngineOptions options_;
  ManualClock clock_{kMonday0900};
  WorkCalendar calendar_ = WorkCalendar::Empty();
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<boost::asio::io_context> io_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<Work> work_;
  std::thread thread_;
};

}  // namespace shequ::engine
