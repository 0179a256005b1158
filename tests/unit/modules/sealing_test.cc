// A seal that fails (no random nonce, a broken cipher) fails the command: nothing is written,
// and a registry changed in memory whose records cannot be sealed takes no further changes.

#include <gtest/gtest.h>

#include <atomic>

#include "daemon/core/sealer.h"
#include "daemon/core/status.h"
#include "daemon/modules/module.h"
#include "daemon/modules/workforce/durable_registry.h"
#include "daemon/modules/workforce/module.h"
#include "tests/unit/domain/workforce/workforce_test_util.h"
#include "tests/unit/engine/engine_fixture.h"

namespace shequ::modules {
namespace {

namespace wf = ::shequ::domain::workforce;
using engine::json;

wf::Unit MakeUnit(std::string id, std::string parent, wf::UnitKind kind) {
  wf::Unit u;
  u.id = std::move(id);
  u.parent_id = std::move(parent);
  u.name = u.id;
  u.kind = kind;
  if (kind == wf::UnitKind::kCommunity) {
    u.community_type = wf::CommunityType::kUrbanCommunity;
    u.households = 2500;
  } else if (kind == wf::UnitKind::kStreet) {
    u.unit_class = 2;
  }
  return u;
}

wf::Worker Dispatched(int n) {
  wf::Worker w;
  w.personal = {"张三" + std::to_string(n), domain::workforce::testing::NthIdNumber(n),
                "13812345678"};
  w.education = wf::Education::kBachelor;
  w.employment = wf::Employment::kDispatch;
  w.post = "officer";
  w.grade = 5;
  w.unit_id = "bh.a.c1";
  w.hired_on = "2015-07-01";
  return w;
}

class SealingTest : public engine::EngineFixture {
 protected:
  void SetUp() override {
    EngineFixture::SetUp();
    ASSERT_TRUE(store_->AttachModule(workforce::WorkforceModule().Schema()).ok());
    auto quota = ReadTextFile(std::string(SHEQU_SOURCE_DIR) + "/config/policy/quota.yaml");
    auto grades = ReadTextFile(std::string(SHEQU_SOURCE_DIR) + "/config/policy/grades.yaml");
    ASSERT_TRUE(quota.ok() && grades.ok());
    registry_ = std::make_unique<workforce::DurableRegistry>(
        *engine_, *store_, sealer_,
        wf::Registry(*wf::ParseQuotaPolicy(*quota), *wf::ParseGradePolicy(*grades)));
    ASSERT_TRUE(registry_->Recover().ok());
    auto made = Mutate([](wf::Registry& reg, const std::string& today)
                           -> absl::StatusOr<wf::Change> {
      wf::Change all;
      for (wf::Unit u : {MakeUnit("bh", "", wf::UnitKind::kDistrict),
                         MakeUnit("bh.a", "bh", wf::UnitKind::kStreet),
                         MakeUnit("bh.a.c1", "bh.a", wf::UnitKind::kCommunity)}) {
        ASSIGN_OR_RETURN(wf::Change c, reg.CreateUnit(u, today));
        for (auto& unit : c.units) all.units.push_back(std::move(unit));
      }
      return all;
    });
    ASSERT_TRUE(made.ok()) << made.status();
  }
  void TearDown() override {
    registry_.reset();
    EngineFixture::TearDown();
  }

  absl::StatusOr<json> Mutate(workforce::DurableRegistry::Op op) {
    return Run([&](engine::Reply reply) {
      registry_->Mutate("Test.Mutate", {"tester"}, "", std::move(op), std::move(reply));
    });
  }
  absl::StatusOr<json> CreateWorker(int n) {
    return Mutate([n](wf::Registry& reg, const std::string& today) {
      return reg.CreateWorker(Dispatched(n), today);
    });
  }
  int64_t StoredWorkers() {
    int64_t n = 0;
    auto s = store::ForEachRecord(*store_, {.table = workforce::DurableRegistry::kWorkers},
                                  [&](store::Record&&) {
                                    ++n;
                                    return absl::OkStatus();
                                  });
    EXPECT_TRUE(s.ok()) << s;
    return n;
  }
  size_t HeldWorkers() {
    return registry_->Read([](const wf::Registry& r) { return r.worker_count(); });
  }

  Sealer sealer_ = Sealer::FromKey({7});
  std::unique_ptr<workforce::DurableRegistry> registry_;
};

TEST_F(SealingTest, NoRandomNonceFailsTheCommandAndChangesNothing) {
  sealer_.SetRandomSource([](uint8_t*, size_t) { return false; });
  auto r = CreateWorker(1);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInternal);
  EXPECT_NE(r.status().message().find("nonce"), std::string::npos) << r.status();
  EXPECT_EQ(StoredWorkers(), 0);
  EXPECT_EQ(HeldWorkers(), 0u);

  // Randomness back: the same command goes through, sealed.
  sealer_.SetRandomSource(nullptr);
  r = CreateWorker(1);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(StoredWorkers(), 1);
  auto record = store_->GetRecord(workforce::DurableRegistry::kWorkers, "000000000001");
  ASSERT_TRUE(record.ok() && record->has_value());
  const json body = json::parse((*record)->body);
  EXPECT_EQ(body.dump().find("张三1"), std::string::npos);
  auto personal = sealer_.Open(body["sealed"].get<std::string>());
  ASSERT_TRUE(personal.ok()) << personal.status();
  EXPECT_NE(personal->find("张三1"), std::string::npos);
}

TEST_F(SealingTest, ASealFailingAfterTheChangeRefusesEveryLaterChange) {
  // The check before the change draws a nonce; the seal of the worker's record fails.
  std::atomic<int> draws{0};
  sealer_.SetRandomSource([&](uint8_t* out, size_t n) {
    if (++draws > 1) return false;
    std::fill(out, out + n, uint8_t{1});
    return true;
  });
  auto r = CreateWorker(1);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInternal) << r.status();
  EXPECT_EQ(StoredWorkers(), 0);

  // The registry holds a worker the store does not: no change may build on it.
  sealer_.SetRandomSource(nullptr);
  r = CreateWorker(2);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInternal);
  EXPECT_NE(r.status().message().find("until shequd restarts"), std::string::npos) << r.status();
  EXPECT_EQ(StoredWorkers(), 0);

  // A restart reloads the registry from its records: the unsealed worker is gone.
  auto fresh = std::make_unique<workforce::DurableRegistry>(
      *engine_, *store_, sealer_,
      wf::Registry(*wf::ParseQuotaPolicy(*ReadTextFile(std::string(SHEQU_SOURCE_DIR) +
                                                       "/config/policy/quota.yaml")),
                   *wf::ParseGradePolicy(*ReadTextFile(std::string(SHEQU_SOURCE_DIR) +
                                                       "/config/policy/grades.yaml"))));
  ASSERT_TRUE(fresh->Recover().ok());
  EXPECT_EQ(fresh->Read([](const wf::Registry& reg) { return reg.worker_count(); }), 0u);
  registry_ = std::move(fresh);
  r = CreateWorker(2);
  EXPECT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(StoredWorkers(), 1);
}

}  // namespace
}  // namespace shequ::modules
