// Definition versions across restarts (Engine::FindDefinition): the engine loads the latest
// version of each definition and those active instances run; older versions stay on disk and
// are read when asked for, into a bounded cache, and a version that cannot be read is an error
// naming it, never a crash.

#include <atomic>
#include <mutex>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "daemon/store/forwarding_store.h"
#include "tests/unit/engine/engine_fixture.h"

namespace shequ::engine {
namespace {

// A version `v` of a definition whose instances wait an hour and end.
std::string Aging(int v) {
  return absl::StrCat(R"(
id: aging
name: Aging v)", v, R"(
start: wait
nodes:
  wait: {type: timer, duration: PT1H, next: done}
  done: {type: end}
)");
}

// Counts the definition reads the engine makes and can fail them.
class DefinitionReads final : public store::ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;

  absl::StatusOr<std::vector<store::DefinitionRow>> LoadLiveDefinitions() override {
    auto rows = ForwardingStore::LoadLiveDefinitions();
    if (rows.ok()) {
      std::lock_guard lock(mu_);
      for (const auto& r : *rows) loaded_.insert(r.version);
    }
    return rows;
  }
  absl::StatusOr<std::optional<store::DefinitionRow>> GetDefinition(const std::string& id,
                                                                    int32_t version) override {
    ++reads;
    if (fail) return absl::UnavailableError("disk I/O error [SQLITE_IOERR]");
    return ForwardingStore::GetDefinition(id, version);
  }
  // The versions loaded at start-up.
  std::set<int32_t> loaded() {
    std::lock_guard lock(mu_);
    return loaded_;
  }

  std::atomic<int> reads{0};
  std::atomic<bool> fail{false};

 private:
  std::mutex mu_;
  std::set<int32_t> loaded_;
};

class DefinitionVersionsTest : public EngineFixture {
 public:
  // Stops the engine and starts it again on the same database, counting its definition reads.
  void Restart() {
    Close();
    inner_.reset();
    auto store = store::SqliteStore::Open({(dir_ / "db").string()});
    ASSERT_TRUE(store.ok()) << store.status();
    inner_ = *std::move(store);
    auto reads = std::make_unique<DefinitionReads>(*inner_);
    reads_ = reads.get();
    store_ = std::move(reads);
    io_ = std::make_unique<boost::asio::io_context>();
    engine_ = std::make_unique<Engine>(*io_, *store_, clock_, calendar_, options_);
    ASSERT_TRUE(engine_->Recover().ok());
    work_ = std::make_unique<Work>(io_->get_executor());
    thread_ = std::thread([this] { io_->run(); });
  }
  void TearDown() override {
    Close();
    inner_.reset();
    std::filesystem::remove_all(dir_);
  }
  void DeployVersions(int from, int to) {
    for (int v = from; v <= to; ++v) {
      auto r = Deploy(Aging(v));
      ASSERT_TRUE(r.ok()) << r.status();
      ASSERT_EQ((*r)["version"], v);
    }
  }
  absl::StatusOr<json> StartVersion(int32_t version) {
    return Run([&](Reply reply) {
      engine_->Start({"tester"}, {{"aging", version, "", "", json::object()}, ""},
                     std::move(reply));
    });
  }

  std::unique_ptr<store::Store> inner_;
  DefinitionReads* reads_ = nullptr;
};

TEST_F(DefinitionVersionsTest, AnInstanceOnAnOldVersionIsLoadedAsLiveAndRunsOnAfterARestart) {
  DeployVersions(1, 1);
  auto id = Start("aging");
  ASSERT_TRUE(id.ok()) << id.status();
  DeployVersions(2, 5);
  Restart();
  // v1 runs an active instance and v5 is the latest; v2..v4 stay on disk.
  EXPECT_EQ(reads_->loaded(), (std::set<int32_t>{1, 5}));
  Advance(2 * 3'600'000);
  const Instance inst = Get(*id);
  EXPECT_EQ(inst.state, "completed");
  EXPECT_EQ(inst.version, 1);
  EXPECT_EQ(reads_->reads, 0);  // v1 was loaded at start, not read on demand
  // New versions are numbered above every stored one; the latest's text answers unchanged.
  auto same = Deploy(Aging(5));
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_EQ((*same)["version"], 5);
  EXPECT_EQ((*same)["changed"], false);
  DeployVersions(6, 6);
  EXPECT_EQ(engine_->GetDefinition("aging")->version, 6);
  EXPECT_EQ(engine_->LatestDefinitions().size(), 1u);
}

TEST_F(DefinitionVersionsTest, AnEndedInstancesOldVersionIsReadOnDemandAfterARestart) {
  DeployVersions(1, 1);
  auto id = Start("aging");
  ASSERT_TRUE(id.ok()) << id.status();
  Advance(2 * 3'600'000);
  ASSERT_EQ(Get(*id).state, "completed");
  DeployVersions(2, 2);
  Restart();
  EXPECT_EQ(reads_->loaded(), (std::set<int32_t>{2}));  // v1's instance has ended
  const Instance inst = Get(*id);
  auto def = engine_->FindDefinition(inst.definition_id, inst.version);
  ASSERT_TRUE(def.ok()) << def.status();
  EXPECT_EQ((*def)->version, 1);
  EXPECT_EQ((*def)->yaml, Aging(1));
  EXPECT_NE((*def)->Find("wait"), nullptr);
  EXPECT_EQ(reads_->reads, 1);
  ASSERT_TRUE(engine_->FindDefinition("aging", 1).ok());
  EXPECT_EQ(reads_->reads, 1);  // the second answer comes from the cache
  EXPECT_EQ(engine_->GetDefinition("aging")->version, 2);
}

TEST_F(DefinitionVersionsTest, AnExplicitOldVersionStartsAndRunsAfterARestart) {
  options_.cache_definitions = 1;
  DeployVersions(1, 3);
  Restart();
  EXPECT_EQ(reads_->loaded(), (std::set<int32_t>{3}));
  auto started = StartVersion(1);
  ASSERT_TRUE(started.ok()) << started.status();
  EXPECT_EQ((*started)["version"], 1);
  EXPECT_EQ(reads_->reads, 1);
  // Another old version takes the cache's one place; v1 stays loaded while it runs.
  ASSERT_TRUE(engine_->FindDefinition("aging", 2).ok());
  EXPECT_EQ(reads_->reads, 2);
  Advance(2 * 3'600'000);
  const Instance inst = Get((*started)["instance_id"].get<int64_t>());
  EXPECT_EQ(inst.state, "completed");
  EXPECT_EQ(inst.version, 1);
  EXPECT_EQ(reads_->reads, 2);
  auto missing = StartVersion(9);
  EXPECT_TRUE(absl::IsNotFound(missing.status())) << missing.status();
  EXPECT_NE(missing.status().message().find("has no version 9"), std::string::npos)
      << missing.status();
}

TEST_F(DefinitionVersionsTest, TheCacheOfOldVersionsIsBounded) {
  options_.cache_definitions = 2;
  DeployVersions(1, 5);
  Restart();
  EXPECT_EQ(reads_->loaded(), (std::set<int32_t>{5}));
  for (int v : {1, 2, 3}) ASSERT_TRUE(engine_->FindDefinition("aging", v).ok());
  EXPECT_EQ(reads_->reads, 3);
  ASSERT_TRUE(engine_->FindDefinition("aging", 3).ok());
  ASSERT_TRUE(engine_->FindDefinition("aging", 2).ok());
  EXPECT_EQ(reads_->reads, 3);  // the two most recent are held
  ASSERT_TRUE(engine_->FindDefinition("aging", 1).ok());
  EXPECT_EQ(reads_->reads, 4);  // the oldest went out first
  ASSERT_TRUE(engine_->FindDefinition("aging", 5).ok());
  EXPECT_EQ(reads_->reads, 4);  // the latest is always loaded
}

TEST_F(DefinitionVersionsTest, AFailedReadOfAnOldVersionIsAnErrorNamingIt) {
  DeployVersions(1, 2);
  Restart();
  reads_->fail = true;
  auto def = engine_->FindDefinition("aging", 1);
  EXPECT_EQ(def.status().code(), absl::StatusCode::kUnavailable) << def.status();
  EXPECT_NE(def.status().message().find("definition 'aging' version 1"), std::string::npos)
      << def.status();
  EXPECT_EQ(engine_->GetDefinition("aging", 1), nullptr);
  auto started = StartVersion(1);
  EXPECT_EQ(started.status().code(), absl::StatusCode::kUnavailable) << started.status();
  ASSERT_TRUE(StartVersion(2).ok());  // the loaded versions need no read
  reads_->fail = false;
  auto again = StartVersion(1);
  ASSERT_TRUE(again.ok()) << again.status();  // nothing sticks: the next read succeeds
  EXPECT_EQ((*again)["version"], 1);
}

TEST_F(DefinitionVersionsTest, AStoredVersionThatNoLongerParsesIsAnErrorNamingIt) {
  // Text that passed at deploy but not now (a rule tightened since), written as a deploy would.
  auto corrupt = [&](int32_t version) {
    store::WriteBatch batch;
    batch.definitions.push_back({"aging", version, "Aging", "0", "nodes: [not, a, map]", 0});
    std::promise<absl::Status> done;
    store_->Commit(std::move(batch), [&](absl::Status s) { done.set_value(s); });
    ASSERT_TRUE(done.get_future().get().ok());
  };
  corrupt(1);
  Restart();  // the engine learns of v1 at start, like any stored version
  EXPECT_EQ(reads_->loaded(), (std::set<int32_t>{1}));
  DeployVersions(2, 2);  // numbered above the version that does not parse
  Restart();
  auto def = engine_->FindDefinition("aging", 1);
  EXPECT_EQ(def.status().code(), absl::StatusCode::kDataLoss) << def.status();
  EXPECT_NE(def.status().message().find("definition 'aging' version 1"), std::string::npos)
      << def.status();
  auto started = StartVersion(1);
  EXPECT_EQ(started.status().code(), absl::StatusCode::kDataLoss) << started.status();
  // A latest version that no longer parses: asking for the latest says so, and a new deploy
  // is numbered above it.
  corrupt(3);
  Restart();
  EXPECT_EQ(reads_->loaded(), (std::set<int32_t>{3}));
  auto latest = engine_->FindDefinition("aging");
  EXPECT_EQ(latest.status().code(), absl::StatusCode::kDataLoss) << latest.status();
  EXPECT_NE(latest.status().message().find("version 3"), std::string::npos) << latest.status();
  EXPECT_TRUE(engine_->LatestDefinitions().empty());
  DeployVersions(4, 4);
  EXPECT_EQ(engine_->GetDefinition("aging")->version, 4);
}

}  // namespace
}  // namespace shequ::engine
