#include "daemon/domain/workforce/registry.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"

#include <string>
#include <vector>

#include "daemon/domain/workforce/roster.h"
#include "tests/unit/domain/workforce/workforce_test_util.h"

namespace shequ::domain::workforce {
namespace {

using testing::DefaultGrades;
using testing::DefaultQuota;
using testing::Fails;
using testing::IdNumber;
using testing::NthIdNumber;
using testing::ReadSource;

constexpr char kToday[] = "2026-03-01";
using Code = absl::StatusCode;

Unit MakeUnit(std::string id, std::string parent, UnitKind kind, int cls = 0,
              CommunityType type = CommunityType::kNone, int64_t households = 0) {
  Unit u;
  u.id = id;
  u.parent_id = parent;
  u.name = "单位" + id;
  u.kind = kind;
  u.unit_class = cls;
  u.community_type = type;
  u.households = households;
  return u;
}

Worker MakeWorker(int seq, std::string unit, std::string post = "officer", int grade = 5,
                  Employment employment = Employment::kContract,
                  WorkerStatus status = WorkerStatus::kOnPost) {
  Worker w;
  w.personal = {"张三" + std::to_string(seq), NthIdNumber(seq), "13812345678"};
  w.education = Education::kBachelor;
  w.employment = employment;
  w.post = post;
  w.grade = grade;
  w.unit_id = unit;
  w.status = status;
  w.hired_on = "2015-07-01";
  return w;
}

// District bh; street bh.a (class 1) with an urban community (inherits class 1, 2500 households)
// and a village-turned-community (class 3); street bh.b (class 2) with an administrative
// village and a factory community; town bh.t without a class.
class RegistryTest : public ::testing::Test {
 protected:
  RegistryTest() : reg_(DefaultQuota(), DefaultGrades()) {}

  void SetUp() override {
    Ok(reg_.CreateUnit(MakeUnit("bh", "", UnitKind::kDistrict), "2026-01-01"));
    Ok(reg_.CreateUnit(MakeUnit("bh.a", "bh", UnitKind::kStreet, 1), "2026-01-01"));
    Ok(reg_.CreateUnit(MakeUnit("bh.b", "bh", UnitKind::kStreet, 2), "2026-01-01"));
    Ok(reg_.CreateUnit(MakeUnit("bh.t", "bh", UnitKind::kTown), "2026-01-01"));
    Ok(reg_.CreateUnit(
        MakeUnit("bh.a.c1", "bh.a", UnitKind::kCommunity, 0, CommunityType::kUrbanCommunity, 2500),
        "2026-01-01"));
    Ok(reg_.CreateUnit(MakeUnit("bh.a.c2", "bh.a", UnitKind::kCommunity, 3,
                                CommunityType::kVillageToCommunity, 1200),
                       "2026-01-01"));
    Ok(reg_.CreateUnit(MakeUnit("bh.b.c1", "bh.b", UnitKind::kCommunity, 0,
                                CommunityType::kAdministrativeVillage, 3500),
                       "2026-01-01"));
    Ok(reg_.CreateUnit(
        MakeUnit("bh.b.c2", "bh.b", UnitKind::kCommunity, 0, CommunityType::kFactoryCommunity, 800),
        "2026-01-01"));
  }

  Change Ok(absl::StatusOr<Change> c) {
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? *c : Change{};
  }
  void Quota(const std::string& unit, int approved, const char* from = "2025-01-01") {
    Ok(reg_.ReviseQuota(unit, approved, from, "核定", "区委编委", from));
  }
  int64_t Add(Worker w) {
    Change c = Ok(reg_.CreateWorker(std::move(w), kToday));
    return c.workers.empty() ? 0 : c.workers[0].id;
  }

  Registry reg_;
};

// ------------------------------------------------------------------ units

TEST_F(RegistryTest, TreeAndStreets) {
  auto tree = reg_.Tree("");
  ASSERT_TRUE(tree.ok());
  std::vector<std::string> ids;
  for (const auto& [u, depth] : *tree) ids.push_back(u.id + "@" + std::to_string(depth));
  EXPECT_EQ(ids, (std::vector<std::string>{"bh@0", "bh.a@1", "bh.a.c1@2", "bh.a.c2@2", "bh.b@1",
                                           "bh.b.c1@2", "bh.b.c2@2", "bh.t@1"}));
  EXPECT_EQ(reg_.Children("bh.a").size(), 2u);
  EXPECT_EQ(reg_.StreetOf("bh.a.c2"), "bh.a");
  EXPECT_EQ(reg_.StreetOf("bh.b"), "bh.b");
  EXPECT_EQ(reg_.StreetOf("bh"), "");
  EXPECT_TRUE(Fails(reg_.Tree("nope").status(), Code::kNotFound, "nope"));
}

TEST_F(RegistryTest, AUnitCoversItselfAndTheUnitsUnderIt) {
  EXPECT_TRUE(reg_.Covers("bh.a", "bh.a"));
  EXPECT_TRUE(reg_.Covers("bh.a", "bh.a.c2"));
  EXPECT_TRUE(reg_.Covers("bh", "bh.b.c1"));
  EXPECT_FALSE(reg_.Covers("bh.a.c2", "bh.a"));  // not upwards
  EXPECT_FALSE(reg_.Covers("bh.a", "bh.b.c1"));  // not sideways
  EXPECT_FALSE(reg_.Covers("bh.a", "nope"));
  EXPECT_FALSE(reg_.Covers("nope", "nope"));  // unknown units are not in the tree
  EXPECT_FALSE(reg_.Covers("", "bh.a"));
}

TEST_F(RegistryTest, UnitRules) {
  EXPECT_TRUE(Fails(reg_.CreateUnit(MakeUnit("bh2", "", UnitKind::kDistrict), kToday).status(),
                    Code::kFailedPrecondition,
                    "unit.kind: the tree already has its district root"));
  EXPECT_TRUE(Fails(reg_.CreateUnit(MakeUnit("bh.x", "bh", UnitKind::kCommunity, 1,
                                             CommunityType::kUrbanCommunity),
                                    kToday)
                        .status(),
                    Code::kInvalidArgument, "unit.parent_id: a community's parent must be"));
  EXPECT_TRUE(
      Fails(reg_.CreateUnit(MakeUnit("bh.a.x", "bh.a", UnitKind::kCommunity, 1), kToday).status(),
            Code::kInvalidArgument, "unit.community_type: required"));
  EXPECT_TRUE(Fails(reg_.CreateUnit(MakeUnit("bh.a", "bh", UnitKind::kStreet, 1), kToday).status(),
                    Code::kAlreadyExists, "unit.id"));
  EXPECT_TRUE(Fails(reg_.CreateUnit(MakeUnit("bh.z.c", "bh.z", UnitKind::kCommunity, 1,
                                             CommunityType::kUrbanCommunity),
                                    kToday)
                        .status(),
                    Code::kNotFound, "unit.parent_id"));
  EXPECT_TRUE(Fails(reg_.CreateUnit(MakeUnit("bh a", "bh", UnitKind::kStreet, 1), kToday).status(),
                    Code::kInvalidArgument, "unit.id"));
  Unit bad_class = MakeUnit("bh.c", "bh", UnitKind::kStreet, 4);
  EXPECT_TRUE(
      Fails(reg_.CreateUnit(bad_class, kToday).status(), Code::kInvalidArgument, "unit.class: 4"));
  // A street with communities cannot become a community.
  UnitPatch to_community;
  to_community.kind = UnitKind::kCommunity;
  to_community.community_type = CommunityType::kUrbanCommunity;
  to_community.parent_id = "bh.b";
  EXPECT_FALSE(reg_.UpdateUnit("bh.a", to_community, kToday).ok());
  EXPECT_EQ(reg_.GetUnit("bh.a")->kind, UnitKind::kStreet);  // unchanged
}

TEST_F(RegistryTest, UpdateUnitMovesACommunity) {
  UnitPatch patch;
  patch.parent_id = "bh.b";
  patch.households = 3100;
  Change c = Ok(reg_.UpdateUnit("bh.a.c1", patch, "2026-02-01"));
  ASSERT_EQ(c.units.size(), 1u);
  EXPECT_EQ(c.units[0].parent_id, "bh.b");
  EXPECT_EQ(c.units[0].updated, "2026-02-01");
  ASSERT_EQ(c.audit.size(), 1u);
  EXPECT_EQ(c.audit[0].type, "unit.updated");
  EXPECT_EQ(c.audit[0].data["changed"]["parent_id"]["from"], "bh.a");
  EXPECT_EQ(reg_.Children("bh.b").size(), 3u);
  EXPECT_EQ(reg_.Children("bh.a").size(), 1u);
  EXPECT_EQ(reg_.ComputeQuota("bh.a.c1")->unit_class, 2);  // now inherits bh.b's class
}

// ------------------------------------------------------------------ quota

TEST_F(RegistryTest, ComputeQuotaWithDefaults) {
  auto street = reg_.ComputeQuota("bh.a");
  ASSERT_TRUE(street.ok()) << street.status();
  EXPECT_EQ(street->base_key, "street_organ");
  EXPECT_EQ(street->staff_quota, 90);  // 75 × 1.2
  EXPECT_EQ(street->workstation_posts, 0);
  auto urban = reg_.ComputeQuota("bh.a.c1");
  EXPECT_EQ(urban->base, 16);
  EXPECT_EQ(urban->unit_class, 1);
  EXPECT_EQ(urban->class_source, "bh.a");
  EXPECT_EQ(urban->staff_quota, 19);                              // 16 × 1.2 = 19.2
  EXPECT_EQ(urban->workstation_posts, 5);                         // 2500 households
  EXPECT_EQ(reg_.ComputeQuota("bh.a.c2")->staff_quota, 16);       // 20 × 0.8
  EXPECT_EQ(reg_.ComputeQuota("bh.a.c2")->workstation_posts, 4);  // 1200 households
  EXPECT_EQ(reg_.ComputeQuota("bh.b")->staff_quota, 75);
  EXPECT_EQ(reg_.ComputeQuota("bh.b.c1")->staff_quota, 12);
  EXPECT_EQ(reg_.ComputeQuota("bh.b.c1")->workstation_posts, 6);  // 3500 households
  EXPECT_EQ(reg_.ComputeQuota("bh.b.c2")->staff_quota, 16);
  EXPECT_TRUE(Fails(reg_.ComputeQuota("bh").status(), Code::kFailedPrecondition, "district"));
  EXPECT_TRUE(Fails(reg_.ComputeQuota("bh.t").status(), Code::kFailedPrecondition,
                    "unit.class: neither bh.t"));
  EXPECT_TRUE(Fails(reg_.ComputeQuota("zz").status(), Code::kNotFound, "zz"));
}

TEST_F(RegistryTest, ComputeQuotaWithSecondPolicy) {
  auto quota = ParseQuotaPolicy(ReadSource("tests/fixtures/policy/quota-second.yaml"));
  ASSERT_TRUE(quota.ok()) << quota.status();
  reg_.ReplacePolicies(*quota, DefaultGrades());
  EXPECT_EQ(reg_.ComputeQuota("bh.a")->staff_quota, 90);          // 60 × 1.5
  EXPECT_EQ(reg_.ComputeQuota("bh.b")->staff_quota, 66);          // 60 × 1.1, floor
  EXPECT_EQ(reg_.ComputeQuota("bh.a.c1")->staff_quota, 27);       // 18 × 1.5
  EXPECT_EQ(reg_.ComputeQuota("bh.a.c2")->staff_quota, 19);       // 22 × 0.9 = 19.8, floor
  EXPECT_EQ(reg_.ComputeQuota("bh.b.c1")->staff_quota, 11);       // 10 × 1.1
  EXPECT_EQ(reg_.ComputeQuota("bh.b.c2")->staff_quota, 15);       // 14 × 1.1 = 15.4
  EXPECT_EQ(reg_.ComputeQuota("bh.a.c1")->workstation_posts, 5);  // 2500 in 2500–3999
  EXPECT_EQ(reg_.ComputeQuota("bh.b.c2")->workstation_posts, 3);
}

TEST_F(RegistryTest, QuotaRevisionsHistoryAndReviews) {
  EXPECT_EQ(*reg_.ApprovedQuota("bh.a.c1", kToday), 0);  // nothing approved yet
  Change c = Ok(reg_.ReviseQuota("bh.a.c1", 18, "2022-01-01", "初次核定", "区委编委", "t1"));
  ASSERT_EQ(c.revisions.size(), 1u);
  EXPECT_EQ(c.revisions[0].computed, 19);
  EXPECT_EQ(c.audit[0].type, "quota.revised");
  EXPECT_EQ(c.audit[0].subject, "unit:bh.a.c1");
  Ok(reg_.ReviseQuota("bh.a.c1", 20, "2026-07-01", "新增职责", "区委编委", "t2"));
  EXPECT_EQ(*reg_.ApprovedQuota("bh.a.c1", "2021-12-31"), 0);
  EXPECT_EQ(*reg_.ApprovedQuota("bh.a.c1", "2022-01-01"), 18);
  EXPECT_EQ(*reg_.ApprovedQuota("bh.a.c1", "2026-06-30"), 18);
  EXPECT_EQ(*reg_.ApprovedQuota("bh.a.c1", "2026-07-01"), 20);
  auto history = reg_.QuotaHistory("bh.a.c1");
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0].approved, 18);
  EXPECT_NE(c.revisions[0].id, (*history)[1].id);

  EXPECT_TRUE(Fails(reg_.ReviseQuota("bh.a.c1", 5, "2026-01-01", " ", "x", "t").status(),
                    Code::kInvalidArgument, "reason: required"));
  EXPECT_TRUE(Fails(reg_.ReviseQuota("bh.a.c1", -1, "2026-01-01", "r", "x", "t").status(),
                    Code::kInvalidArgument, "approved: -1"));
  EXPECT_TRUE(Fails(reg_.ReviseQuota("bh.a.c1", 1, "2026-13-01", "r", "x", "t").status(),
                    Code::kInvalidArgument, "effective_from"));
  EXPECT_TRUE(Fails(reg_.ReviseQuota("bh", 1, "2026-01-01", "r", "x", "t").status(),
                    Code::kInvalidArgument, "unit_id"));
  EXPECT_EQ(reg_.QuotaHistory("bh.a.c1")->size(), 2u);  // refusals changed nothing

  // bh.a.c2's quota of 2022-06-30 is due on 2025-06-30; bh.a.c1 has a revision from 2026.
  Ok(reg_.ReviseQuota("bh.a.c2", 16, "2022-06-30", "初次核定", "区委编委", "t"));
  std::vector<std::string> due;
  for (const ReviewDue& d : reg_.ReviewsDue(kToday)) due.push_back(d.unit_id + ":" + d.due_on);
  EXPECT_NE(std::find(due.begin(), due.end(), "bh.a.c2:2025-06-30"), due.end());
  EXPECT_NE(std::find(due.begin(), due.end(), "bh.b:2026-01-01"), due.end());  // never revised
  for (const auto& d : due) EXPECT_NE(d.substr(0, 8), "bh.a.c1:") << d;
  for (const auto& d : due) EXPECT_NE(d.substr(0, 3), "bh:") << d;  // the district has none
}

// ------------------------------------------------------------------ workers and rules

TEST_F(RegistryTest, CreateWorkerFillsDerivedFieldsAndPay) {
  Quota("bh.a.c1", 2);
  Worker w = MakeWorker(1, "bh.a.c1", "officer", 5);
  w.certificates = {"社会工作师", "social_worker", "心理咨询师"};
  Change c = Ok(reg_.CreateWorker(w, kToday));
  ASSERT_EQ(c.workers.size(), 1u);
  const Worker& got = c.workers[0];
  EXPECT_EQ(got.id, 1);
  EXPECT_EQ(got.birth_date, "1985-01-01");
  EXPECT_EQ(got.community_since, "2015-07-01");
  ASSERT_TRUE(got.pay.has_value());
  EXPECT_EQ(*got.pay, *reg_.grade_policy().PayFor(5));
  EXPECT_EQ(got.certificates, (std::vector<std::string>{"social_worker", "心理咨询师"}));
  ASSERT_EQ(c.audit.size(), 1u);
  EXPECT_EQ(c.audit[0].subject, "worker:1");
  EXPECT_EQ(c.audit[0].type, "worker.created");
  EXPECT_FALSE(c.audit[0].data.dump().find(got.personal.id_number) != std::string::npos);
}

TEST_F(RegistryTest, EveryCreateRuleRefusesWithItsMessage) {
  Quota("bh.a.c1", 1);
  Worker grade = MakeWorker(1, "bh.a.c1", "officer", 15);
  EXPECT_TRUE(Fails(reg_.CreateWorker(grade, kToday).status(), Code::kInvalidArgument,
                    "worker.grade: 15 is outside officer's range 3–14"));
  EXPECT_TRUE(Fails(reg_.CreateWorker(MakeWorker(1, "bh.a.c1", "clerk", 5), kToday).status(),
                    Code::kInvalidArgument, "worker.post: unknown post 'clerk'"));
  EXPECT_TRUE(Fails(reg_.CreateWorker(MakeWorker(1, "bh.zz"), kToday).status(), Code::kNotFound,
                    "worker.unit_id: unit 'bh.zz' not found"));
  EXPECT_TRUE(Fails(reg_.CreateWorker(MakeWorker(1, "bh"), kToday).status(),
                    Code::kFailedPrecondition, "worker.unit_id: bh is the district root"));
  Worker bad_id = MakeWorker(1, "bh.a.c1");
  bad_id.personal.id_number.back() = bad_id.personal.id_number.back() == '1' ? '2' : '1';
  EXPECT_TRUE(Fails(reg_.CreateWorker(bad_id, kToday).status(), Code::kInvalidArgument,
                    "worker.id_number: check digit"));
  Worker bad_phone = MakeWorker(1, "bh.a.c1");
  bad_phone.personal.phone = "2381234567";
  EXPECT_TRUE(
      Fails(reg_.CreateWorker(bad_phone, kToday).status(), Code::kInvalidArgument, "worker.phone"));
  Worker future = MakeWorker(1, "bh.a.c1");
  future.hired_on = "2026-03-02";
  EXPECT_TRUE(Fails(reg_.CreateWorker(future, kToday).status(), Code::kInvalidArgument,
                    "worker.hired_on: 2026-03-02 is after today"));
  Worker no_name = MakeWorker(1, "bh.a.c1");
  no_name.personal.name = "  ";
  EXPECT_TRUE(Fails(reg_.CreateWorker(no_name, kToday).status(), Code::kInvalidArgument,
                    "worker.name: required"));
  EXPECT_EQ(reg_.worker_count(), 0u);

  Add(MakeWorker(1, "bh.a.c1"));
  // Quota of 1 is full.
  EXPECT_TRUE(Fails(reg_.CreateWorker(MakeWorker(2, "bh.a.c1"), kToday).status(),
                    Code::kFailedPrecondition,
                    "worker.unit_id: unit bh.a.c1 (单位bh.a.c1) has no free quota post: "
                    "approved 1 on 2026-03-01, occupied 1"));
  // No revision at all: quota 0.
  EXPECT_TRUE(Fails(reg_.CreateWorker(MakeWorker(2, "bh.b.c1"), kToday).status(),
                    Code::kFailedPrecondition, "approved 0"));
  // The same person twice.
  Quota("bh.a.c2", 5);
  Worker again = MakeWorker(1, "bh.a.c2");
  auto dup = reg_.CreateWorker(again, kToday);
  EXPECT_TRUE(Fails(dup.status(), Code::kAlreadyExists,
                    "worker.id_number: " + MaskIdNumber(again.personal.id_number) +
                        " is already registered to worker 1"));
  EXPECT_EQ(std::string(dup.status().message()).find(again.personal.id_number), std::string::npos);
  EXPECT_EQ(reg_.worker_count(), 1u);
}

TEST_F(RegistryTest, OutsideQuotaKindsAndLeaversDoNotCount) {
  Quota("bh.a.c1", 1);
  Add(MakeWorker(1, "bh.a.c1"));
  Add(MakeWorker(2, "bh.a.c1", "assistant", 2, Employment::kSelfHired));
  Add(MakeWorker(3, "bh.a.c1", "assistant", 2, Employment::kDispatch));
  Add(MakeWorker(4, "bh.a.c1", "assistant", 2, Employment::kSecondedCadre));
  // A historical leaver is registered without a post.
  Add(MakeWorker(5, "bh.a.c1", "officer", 5, Employment::kContract, WorkerStatus::kLeft));
  EXPECT_EQ(reg_.worker_count(), 5u);
  auto occ = reg_.Occupancy("bh.a.c1", kToday);
  ASSERT_TRUE(occ.ok());
  EXPECT_EQ(occ->rows[0].own.occupied, 1);
  EXPECT_EQ(occ->rows[0].own.outside_quota, 3);
  EXPECT_EQ(occ->rows[0].own.dispatch, 1);
}

TEST_F(RegistryTest, ChangeStatusLeaveAndRejoin) {
  Quota("bh.a.c1", 1);
  const int64_t first = Add(MakeWorker(1, "bh.a.c1"));
  EXPECT_TRUE(Fails(reg_.ChangeStatus(first, WorkerStatus::kLeft, "", kToday).status(),
                    Code::kInvalidArgument, "reason: required"));
  Change c = Ok(reg_.ChangeStatus(first, WorkerStatus::kLeft, "合同期满", kToday));
  EXPECT_EQ(c.workers[0].status, WorkerStatus::kLeft);
  EXPECT_EQ(c.audit[0].type, "worker.status_changed");
  EXPECT_EQ(c.audit[0].data["reason"], "合同期满");
  // The post and the ID number are free again.
  const int64_t second = Add(MakeWorker(2, "bh.a.c1"));
  EXPECT_NE(second, 0);
  // Rejoining needs a free post.
  EXPECT_TRUE(Fails(reg_.ChangeStatus(first, WorkerStatus::kOnPost, "返聘", kToday).status(),
                    Code::kFailedPrecondition, "no free quota post"));
  EXPECT_TRUE(Fails(reg_.ChangeStatus(second, WorkerStatus::kOnPost, "x", kToday).status(),
                    Code::kFailedPrecondition, "status: worker 2 is already on_post"));
  // Seconded to the street office: still occupies the post.
  Ok(reg_.ChangeStatus(second, WorkerStatus::kSecondedStreet, "借调", kToday));
  EXPECT_TRUE(Fails(reg_.CreateWorker(MakeWorker(3, "bh.a.c1"), kToday).status(),
                    Code::kFailedPrecondition, "no free quota post"));
  EXPECT_TRUE(Fails(reg_.ChangeStatus(99, WorkerStatus::kLeft, "x", kToday).status(),
                    Code::kNotFound, "worker 99"));
}

TEST_F(RegistryTest, ErasureAnonymisesLeaversOnlyAndKeepsTheRecord) {
  Quota("bh.a.c1", 2);
  const int64_t id = Add(MakeWorker(1, "bh.a.c1"));
  const std::string number = reg_.GetWorker(id)->personal.id_number;
  EXPECT_TRUE(Fails(reg_.PlanErasure(number, kToday).status(), Code::kFailedPrecondition,
                    "employment records are kept while employed"));
  EXPECT_TRUE(Ok(reg_.PlanErasure(IdNumber(77), kToday)).workers.empty());  // nobody
  Ok(reg_.ChangeStatus(id, WorkerStatus::kLeft, "合同期满", kToday));
  const Worker before = *reg_.GetWorker(id);
  Change plan = Ok(reg_.PlanErasure(number, kToday));
  ASSERT_EQ(plan.workers.size(), 1u);
  EXPECT_EQ(reg_.GetWorker(id)->personal.id_number, number);  // a plan changes nothing
  reg_.ApplyErasure(plan);
  const Worker after = *reg_.GetWorker(id);
  EXPECT_EQ(after.personal.name, kErasedName);
  EXPECT_EQ(after.personal.id_number, "");
  EXPECT_EQ(after.personal.phone, "");
  EXPECT_EQ(after.personal.erased_on, kToday);
  EXPECT_EQ(after.birth_date, "");
  EXPECT_EQ(after.grade, before.grade);
  EXPECT_EQ(after.unit_id, before.unit_id);
  EXPECT_EQ(plan.audit[0].type, "worker.personal_data_erased");
  EXPECT_EQ(plan.audit[0].data.dump().find(number), std::string::npos);
  // Kept for the statistics only: no rejoining, no edits.
  EXPECT_TRUE(Fails(reg_.ChangeStatus(id, WorkerStatus::kOnPost, "返聘", kToday).status(),
                    Code::kFailedPrecondition, "personal data erased"));
  WorkerPatch patch;
  patch.name = "张三";
  EXPECT_TRUE(Fails(reg_.UpdateWorker(id, patch, kToday).status(), Code::kFailedPrecondition,
                    "personal data erased"));
  // The sealed form keeps the marker.
  nlohmann::json j = nlohmann::json::parse(PersonalJson(after.personal));
  EXPECT_EQ(j["erased_on"], kToday);
}

TEST_F(RegistryTest, TransferIsAFiledRecordWithinQuota) {
  Quota("bh.a.c1", 2);
  Quota("bh.a.c2", 1);
  const int64_t a = Add(MakeWorker(1, "bh.a.c1"));
  const int64_t b = Add(MakeWorker(2, "bh.a.c1"));
  EXPECT_TRUE(Fails(reg_.TransferWorker(a, "bh.a.c2", "", kToday, "admin").status(),
                    Code::kInvalidArgument, "reason: required"));
  EXPECT_TRUE(Fails(reg_.TransferWorker(a, "bh.a.c1", "r", kToday, "admin").status(),
                    Code::kFailedPrecondition, "already at bh.a.c1"));
  EXPECT_TRUE(Fails(reg_.TransferWorker(a, "bh", "r", kToday, "admin").status(),
                    Code::kFailedPrecondition, "to_unit: bh is the district root"));
  EXPECT_TRUE(Fails(reg_.TransferWorker(a, "bh.q", "r", kToday, "admin").status(), Code::kNotFound,
                    "to_unit"));
  Change c = Ok(reg_.TransferWorker(a, "bh.a.c2", "工作需要", "2026-02-01", "街道党工委"));
  ASSERT_EQ(c.workers.size(), 1u);
  EXPECT_EQ(c.workers[0].unit_id, "bh.a.c2");
  ASSERT_EQ(c.workers[0].transfers.size(), 1u);
  EXPECT_EQ(c.workers[0].transfers[0].from, "bh.a.c1");
  EXPECT_EQ(c.workers[0].transfers[0].reason, "工作需要");
  EXPECT_EQ(c.workers[0].transfers[0].by, "街道党工委");
  EXPECT_EQ(c.audit[0].type, "worker.transferred");
  EXPECT_EQ(c.audit[0].unit_id, "bh.a.c2");
  // bh.a.c2 is now full.
  EXPECT_TRUE(Fails(reg_.TransferWorker(b, "bh.a.c2", "r", kToday, "x").status(),
                    Code::kFailedPrecondition, "to_unit: unit bh.a.c2"));
  EXPECT_EQ(reg_.GetWorker(b)->unit_id, "bh.a.c1");
  // Transfers do not run backwards in time.
  EXPECT_TRUE(Fails(reg_.TransferWorker(a, "bh.a.c1", "r", "2026-01-15", "x").status(),
                    Code::kInvalidArgument, "before the worker's last transfer"));
  auto occ = reg_.Occupancy("bh.a", kToday);
  EXPECT_EQ(occ->rows[1].own.occupied, 1);  // bh.a.c1
  EXPECT_EQ(occ->rows[2].own.occupied, 1);  // bh.a.c2
}

TEST_F(RegistryTest, UpdateWorker) {
  Quota("bh.a.c1", 1);
  const int64_t id = Add(MakeWorker(1, "bh.a.c1", "officer", 5));
  WorkerPatch grade;
  grade.grade = 15;
  EXPECT_TRUE(Fails(reg_.UpdateWorker(id, grade, kToday).status(), Code::kInvalidArgument,
                    "worker.grade: 15 is outside officer's range 3–14"));
  grade.grade = 6;
  Change c = Ok(reg_.UpdateWorker(id, grade, kToday, "年度晋级"));
  EXPECT_EQ(c.workers[0].grade, 6);
  EXPECT_EQ(*c.workers[0].pay, *reg_.grade_policy().PayFor(6));  // table pay follows the grade
  EXPECT_EQ(c.audit[0].data["fields"], nlohmann::json::array({"grade"}));
  WorkerPatch pay;
  pay.pay = Pay{5000, 2000};
  Ok(reg_.UpdateWorker(id, pay, kToday));
  WorkerPatch grade7;
  grade7.grade = 7;
  EXPECT_EQ(*Ok(reg_.UpdateWorker(id, grade7, kToday)).workers[0].pay, (Pay{5000, 2000}));
  WorkerPatch post;
  post.post = "head";
  post.grade = 6;
  EXPECT_TRUE(Fails(reg_.UpdateWorker(id, post, kToday).status(), Code::kInvalidArgument,
                    "head's range 7–18"));
  post.grade = 7;
  EXPECT_EQ(Ok(reg_.UpdateWorker(id, post, kToday)).workers[0].post, "head");
  // A self-hired worker cannot become contract staff at a full unit.
  const int64_t self = Add(MakeWorker(2, "bh.a.c1", "assistant", 2, Employment::kSelfHired));
  WorkerPatch contract;
  contract.employment = Employment::kContract;
  EXPECT_TRUE(Fails(reg_.UpdateWorker(self, contract, kToday).status(), Code::kFailedPrecondition,
                    "no free quota post"));
  const int64_t disp = Add(MakeWorker(3, "bh.a.c1", "assistant", 2, Employment::kDispatch));
  EXPECT_TRUE(Fails(reg_.UpdateWorker(disp, contract, kToday).status(), Code::kFailedPrecondition,
                    "only through dispatch conversion"));
  EXPECT_TRUE(Fails(reg_.UpdateWorker(id, WorkerPatch{}, kToday).status(), Code::kInvalidArgument,
                    "changes nothing"));
}

TEST_F(RegistryTest, SuggestGradeDefaultsAndSecondLadder) {
  // officer 3–14; 3 years per grade; bachelor +2, college +1, secondary 0, doctor +5.
  EXPECT_EQ(*reg_.SuggestGrade("officer", 0, Education::kSecondary), 3);
  EXPECT_EQ(*reg_.SuggestGrade("officer", 7, Education::kSecondary), 5);
  EXPECT_EQ(*reg_.SuggestGrade("officer", 7, Education::kBachelor), 7);
  EXPECT_EQ(*reg_.SuggestGrade("主办", 7, Education::kCollege), 6);
  EXPECT_EQ(*reg_.SuggestGrade("officer", 40, Education::kDoctor), 14);  // clamped
  EXPECT_EQ(*reg_.SuggestGrade("assistant", 2, Education::kHighSchool), 1);
  EXPECT_TRUE(Fails(reg_.SuggestGrade("clerk", 1, Education::kBachelor).status(),
                    Code::kInvalidArgument, "post: unknown post 'clerk'"));
  EXPECT_TRUE(Fails(reg_.SuggestGrade("officer", -1, Education::kBachelor).status(),
                    Code::kInvalidArgument, "years_of_community_work"));

  auto three = ParseGradePolicy(ReadSource("tests/fixtures/policy/grades-three-posts.yaml"));
  ASSERT_TRUE(three.ok()) << three.status();
  reg_.ReplacePolicies(DefaultQuota(), *three);
  // deputy 4–15, 2 years per grade, bachelor +1.
  EXPECT_EQ(*reg_.SuggestGrade("deputy", 7, Education::kSecondary), 7);
  EXPECT_EQ(*reg_.SuggestGrade("deputy", 7, Education::kBachelor), 8);
  EXPECT_EQ(*reg_.SuggestGrade("staff", 30, Education::kDoctor), 12);
  EXPECT_FALSE(reg_.SuggestGrade("officer", 1, Education::kBachelor).ok());
  Quota("bh.a.c1", 3);
  EXPECT_TRUE(Fails(reg_.CreateWorker(MakeWorker(1, "bh.a.c1", "deputy", 16), kToday).status(),
                    Code::kInvalidArgument, "worker.grade: 16 is outside deputy's range 4–15"));
  EXPECT_NE(Add(MakeWorker(1, "bh.a.c1", "staff", 1)), 0);
}

TEST_F(RegistryTest, ReplacePoliciesReportsMisfits) {
  Quota("bh.a.c1", 3);
  const int64_t officer = Add(MakeWorker(1, "bh.a.c1", "officer", 5));
  Add(MakeWorker(2, "bh.a.c1", "head", 9));
  auto three = ParseGradePolicy(ReadSource("tests/fixtures/policy/grades-three-posts.yaml"));
  EXPECT_EQ(reg_.ReplacePolicies(DefaultQuota(), *three), std::vector<int64_t>{officer});
}

TEST_F(RegistryTest, ContractProbationAndConversionToRegular) {
  Quota("bh.a.c1", 3);
  Worker hire = MakeWorker(1, "bh.a.c1", "assistant", 2);
  hire.hired_on = "2026-02-21";
  const int64_t id = Add(hire);
  EXPECT_TRUE(Fails(reg_.RecordContract(id, 36, "2026-13-01", kToday).status(),
                    Code::kInvalidArgument, "probation_until"));
  EXPECT_EQ(reg_.RecordContract(999, 36, "", kToday).status().code(), Code::kNotFound);
  Change c = Ok(reg_.RecordContract(id, 36, "2026-09-21", kToday));
  EXPECT_EQ(c.workers[0].probation_until, "2026-09-21");
  EXPECT_EQ(c.workers[0].regular_on, "");
  EXPECT_EQ(c.audit[0].type, "worker.contract_recorded");
  EXPECT_EQ(c.audit[0].data["term_months"], 36);
  c = Ok(reg_.ConvertToRegular(id, "2026-09-22"));
  EXPECT_EQ(c.workers[0].regular_on, "2026-09-22");
  EXPECT_EQ(c.audit[0].type, "worker.converted_to_regular");
  EXPECT_TRUE(Fails(reg_.ConvertToRegular(id, "2026-09-23").status(), Code::kFailedPrecondition,
                    "is regular since 2026-09-22"));
  EXPECT_TRUE(Fails(reg_.RecordContract(id, 12, "", kToday).status(),
                    Code::kFailedPrecondition, "is regular since 2026-09-22"));
  // No probation: regular from the day of hire.
  Worker other = MakeWorker(2, "bh.a.c1", "assistant", 2);
  other.hired_on = "2026-02-21";
  const int64_t second = Add(other);
  EXPECT_EQ(Ok(reg_.RecordContract(second, 6, "", kToday)).workers[0].regular_on, "2026-02-21");
}

// ------------------------------------------------------------------ dispatch conversion

class ConversionTest : public RegistryTest {
 protected:
  // `n` dispatch workers at bh.a.c1, hired 2020-01-01.
  std::vector<int64_t> Dispatch(int n, int first_seq = 100) {
    std::vector<int64_t> ids;
    for (int i = 0; i < n; ++i) {
      Worker w = MakeWorker(first_seq + i, "bh.a.c1", "assistant", 2, Employment::kDispatch);
      w.hired_on = "2020-01-01";
      ids.push_back(Add(w));
    }
    return ids;
  }
};

TEST_F(ConversionTest, NeedsThreeYearsAtTheStreet) {
  Quota("bh.a.c1", 10);
  auto ids = Dispatch(10);
  Worker young = MakeWorker(1, "bh.a.c1", "assistant", 2, Employment::kDispatch);
  young.hired_on = "2024-01-01";
  const int64_t y = Add(young);
  EXPECT_TRUE(Fails(reg_.ConvertDispatch(y, "转聘", kToday).status(), Code::kFailedPrecondition,
                    "conversion needs 3 years at street bh.a; 2 since 2024-01-01"));
  // A transfer in from another street restarts the count; one inside the street does not.
  Quota("bh.b.c1", 1);
  Ok(reg_.TransferWorker(ids[0], "bh.b.c1", "调动", "2025-01-01", "x"));
  EXPECT_TRUE(Fails(reg_.ConvertDispatch(ids[0], "转聘", kToday).status(),
                    Code::kFailedPrecondition, "since 2025-01-01"));
  Ok(reg_.TransferWorker(ids[1], "bh.a.c2", "调动", "2025-01-01", "x"));
  Quota("bh.a.c2", 1);
  EXPECT_TRUE(reg_.ConvertDispatch(ids[1], "转聘", kToday).ok());
  EXPECT_TRUE(Fails(reg_.ConvertDispatch(ids[1], "again", kToday).status(),
                    Code::kFailedPrecondition, "only labour-dispatch staff convert"));
}

TEST_F(ConversionTest, CappedAtTenPercentOfTheStreetsDispatchStaffPerYear) {
  Quota("bh.a.c1", 30);
  auto ids = Dispatch(19);
  // 10% of 19 rounded down is 1.
  Change c = Ok(reg_.ConvertDispatch(ids[0], "转聘", kToday));
  EXPECT_EQ(c.workers[0].employment, Employment::kContract);
  EXPECT_EQ(c.workers[0].converted_on, kToday);
  EXPECT_EQ(c.audit[0].type, "worker.dispatch_converted");
  EXPECT_EQ(c.audit[0].data["cap"], 1);
  // The pool stays 19 (18 dispatch + 1 converted this year): the second is refused.
  EXPECT_TRUE(Fails(reg_.ConvertDispatch(ids[1], "转聘", kToday).status(),
                    Code::kFailedPrecondition,
                    "conversion: street bh.a may convert 1 in 2026 (10% of 19 dispatch staff) and "
                    "has converted 1"));
  // One more dispatch worker makes the pool 20: a second conversion fits.
  auto more = Dispatch(1, 200);
  EXPECT_TRUE(reg_.ConvertDispatch(ids[1], "转聘", kToday).ok());
  EXPECT_FALSE(reg_.ConvertDispatch(ids[2], "转聘", kToday).ok());
  // A new calendar year starts a new count: 18 dispatch staff, none converted yet → cap 1.
  EXPECT_TRUE(reg_.ConvertDispatch(ids[2], "转聘", "2027-01-05").ok());
}

TEST_F(ConversionTest, FewerThanTenDispatchStaffAllowNoneAndQuotaStillBinds) {
  Quota("bh.a.c1", 30);
  auto small = Dispatch(9);
  EXPECT_TRUE(Fails(reg_.ConvertDispatch(small[0], "转聘", kToday).status(),
                    Code::kFailedPrecondition, "may convert 0"));
  Dispatch(1, 300);
  Ok(reg_.ReviseQuota("bh.a.c1", 0, "2026-02-01", "压减", "区委编委", "t"));
  EXPECT_TRUE(Fails(reg_.ConvertDispatch(small[0], "转聘", kToday).status(),
                    Code::kFailedPrecondition, "no free quota post"));
  EXPECT_EQ(reg_.GetWorker(small[0])->employment, Employment::kDispatch);
}

// ------------------------------------------------------------------ import

std::string RosterCsv(int rows, int bad_row = 0) {
  std::string csv = "姓名,身份证号,单位,岗位,等级,用工性质,学历,入职日期,状态\n";
  for (int i = 1; i <= rows; ++i) {
    const std::string grade = i == bad_row ? "15" : "5";
    csv += "工作者" + std::to_string(i) + "," + NthIdNumber(i) + ",bh.a.c1,主办," + grade +
           ",聘用合同,本科,2018-09-01,在岗\n";
  }
  return csv;
}

TEST_F(RegistryTest, ImportIsAllOrNothing) {
  Quota("bh.a.c1", 200);
  Add(MakeWorker(5000, "bh.a.c1"));
  auto bad = ParseRoster(RosterCsv(100, 57), reg_.grade_policy());
  ASSERT_TRUE(bad.ok()) << bad.status();
  auto refused = reg_.ImportRoster(*bad, kToday);
  EXPECT_TRUE(Fails(refused.status(), Code::kInvalidArgument,
                    "row 57 (line 58), column 等级 (grade): 15 is outside officer's range 3–14"));
  EXPECT_EQ(reg_.worker_count(), 1u);
  EXPECT_EQ(reg_.Occupancy("bh.a.c1", kToday)->rows[0].own.occupied, 1);

  auto good = ParseRoster(RosterCsv(100), reg_.grade_policy());
  Change c = Ok(reg_.ImportRoster(*good, kToday));
  EXPECT_EQ(c.workers.size(), 100u);
  EXPECT_EQ(c.audit.size(), 100u);
  EXPECT_EQ(c.workers.front().id, 2);  // ids continue after existing workers
  EXPECT_EQ(c.workers.back().id, 101);
  EXPECT_EQ(reg_.worker_count(), 101u);
  EXPECT_EQ(c.audit[56].data["row"], 57);
}

TEST_F(RegistryTest, ImportChecksRowsAgainstEarlierRows) {
  Quota("bh.a.c1", 3);
  // Row 4 would be the fourth in-quota worker.
  auto rows = ParseRoster(RosterCsv(4), reg_.grade_policy());
  EXPECT_TRUE(Fails(reg_.ImportRoster(*rows, kToday).status(), Code::kFailedPrecondition,
                    "row 4 (line 5), column 单位 (unit): unit bh.a.c1"));
  // The same person on two rows.
  std::string csv = RosterCsv(2);
  csv += "重复," + NthIdNumber(1) + ",bh.a.c1,主办,5,聘用合同,本科,2018-09-01,在岗\n";
  Quota("bh.a.c1", 10, "2025-06-01");
  EXPECT_TRUE(Fails(reg_.ImportRoster(*ParseRoster(csv, reg_.grade_policy()), kToday).status(),
                    Code::kAlreadyExists,
                    "row 3 (line 4), column 身份证号 (id_number): " + MaskIdNumber(NthIdNumber(1)) +
                        " already appears on row 1"));
  // Unit by unique name; unknown units name the row.
  std::string by_name =
      "姓名,身份证号,单位,岗位,等级,用工性质,学历,入职日期\n"
      "甲," +
      NthIdNumber(7) +
      ",单位bh.a.c1,主办,5,选任,大专,2019-01-01\n"
      "乙," +
      NthIdNumber(8) + ",无此社区,主办,5,选任,大专,2019-01-01\n";
  EXPECT_TRUE(Fails(reg_.ImportRoster(*ParseRoster(by_name, reg_.grade_policy()), kToday).status(),
                    Code::kNotFound, "row 2 (line 3), column 单位 (unit): unit '无此社区'"));
  EXPECT_EQ(reg_.worker_count(), 0u);
}

// ------------------------------------------------------------------ queries

TEST_F(RegistryTest, ListWorkersFiltersAndPages) {
  Quota("bh.a.c1", 10);
  Quota("bh.b.c1", 10);
  for (int i = 1; i <= 5; ++i) Add(MakeWorker(i, "bh.a.c1"));
  for (int i = 6; i <= 8; ++i) Add(MakeWorker(i, "bh.b.c1", "assistant", 3));
  Worker reserve = MakeWorker(9, "bh.b.c1", "deputy", 6);
  reserve.reserve_cadre = true;
  reserve.number = "NO-9";
  Add(reserve);
  WorkerFilter all;
  auto p1 = reg_.ListWorkers(all, 0, 4);
  ASSERT_TRUE(p1.ok());
  EXPECT_EQ(p1->workers.size(), 4u);
  EXPECT_EQ(p1->next_after_id, 4);
  auto p3 = reg_.ListWorkers(all, 8, 4);
  EXPECT_EQ(p3->workers.size(), 1u);
  EXPECT_EQ(p3->next_after_id, 0);
  WorkerFilter street;
  street.unit_id = "bh.b";
  EXPECT_EQ(reg_.ListWorkers(street, 0, 100)->workers.size(), 4u);
  street.post = "助理";
  EXPECT_EQ(reg_.ListWorkers(street, 0, 100)->workers.size(), 3u);
  WorkerFilter cadre;
  cadre.reserve_cadre = true;
  EXPECT_EQ(reg_.ListWorkers(cadre, 0, 100)->workers.size(), 1u);
  WorkerFilter search;
  search.search = "NO-9";
  EXPECT_EQ(reg_.ListWorkers(search, 0, 100)->workers.at(0).id, 9);
  search.search = "张三1";
  EXPECT_EQ(reg_.ListWorkers(search, 0, 100)->workers.size(), 1u);
  search.search = NthIdNumber(3);
  EXPECT_EQ(reg_.ListWorkers(search, 0, 100)->workers.at(0).id, 3);
  EXPECT_FALSE(reg_.ListWorkers(all, 0, 0).ok());
  street.unit_id = "nope";
  EXPECT_EQ(reg_.ListWorkers(street, 0, 10).status().code(), Code::kNotFound);
}

TEST_F(RegistryTest, LoadRestoresStateAndContinuesIds) {
  Quota("bh.a.c1", 5);
  Add(MakeWorker(1, "bh.a.c1"));
  Add(MakeWorker(2, "bh.a.c1"));
  std::vector<Unit> units;
  const auto tree = reg_.Tree("");
  ASSERT_TRUE(tree.ok());
  for (const auto& [u, depth] : *tree) units.push_back(u);
  std::vector<QuotaRevision> revisions = *reg_.QuotaHistory("bh.a.c1");
  std::vector<Worker> workers = reg_.ListWorkers({}, 0, 100)->workers;
  // Through JSON, as the store would.
  std::vector<Worker> stored;
  for (const Worker& w : workers) stored.push_back(*WorkerFromJson(nlohmann::json(w)));

  Registry fresh(DefaultQuota(), DefaultGrades());
  ASSERT_TRUE(fresh.Load(units, revisions, stored).ok());
  EXPECT_EQ(fresh.worker_count(), 2u);
  EXPECT_EQ(*fresh.ApprovedQuota("bh.a.c1", kToday), 5);
  Change c = *fresh.CreateWorker(MakeWorker(3, "bh.a.c1"), kToday);
  EXPECT_EQ(c.workers[0].id, 3);
  EXPECT_EQ(fresh.ReviseQuota("bh.a.c1", 6, kToday, "r", "x", "t")->revisions[0].id, 2);
  EXPECT_TRUE(Fails(fresh.CreateWorker(MakeWorker(1, "bh.a.c2"), kToday).status(),
                    Code::kAlreadyExists, "worker 1"));
  // A broken load changes nothing.
  units.push_back(MakeUnit("orphan", "missing", UnitKind::kStreet));
  EXPECT_FALSE(fresh.Load(units, revisions, stored).ok());
  EXPECT_EQ(fresh.worker_count(), 3u);
}

// ------------------------------------------------------------------ reports

// Seed 004: of 328 approved posts, 251 on post, 62 seconded to street offices, 12 retired in
// place, 3 seconded to district bodies; 71 self-hired outside the quota.
TEST(Occupancy, Seed004Shape) {
  Registry reg(DefaultQuota(), DefaultGrades());
  const char* today = "2026-03-01";
  ASSERT_TRUE(reg.CreateUnit(MakeUnit("d", "", UnitKind::kDistrict), today).ok());
  ASSERT_TRUE(reg.CreateUnit(MakeUnit("d.s", "d", UnitKind::kStreet, 2), today).ok());
  // 20 communities × 16 posts + 8 at the street organ = 328.
  std::vector<std::string> places;
  for (int i = 0; i < 20; ++i) {
    const std::string id = "d.s.c" + std::to_string(i);
    ASSERT_TRUE(reg.CreateUnit(MakeUnit(id, "d.s", UnitKind::kCommunity, 0,
                                        CommunityType::kUrbanCommunity, 1500 + 100 * i),
                               today)
                    .ok());
    ASSERT_TRUE(reg.ReviseQuota(id, 16, "2025-01-01", "核定", "编委", "t").ok());
    for (int k = 0; k < 16; ++k) places.push_back(id);
  }
  ASSERT_TRUE(reg.ReviseQuota("d.s", 8, "2025-01-01", "核定", "编委", "t").ok());
  for (int k = 0; k < 8; ++k) places.push_back("d.s");
  ASSERT_EQ(places.size(), 328u);
  std::vector<WorkerStatus> statuses;
  statuses.insert(statuses.end(), 251, WorkerStatus::kOnPost);
  statuses.insert(statuses.end(), 62, WorkerStatus::kSecondedStreet);
  statuses.insert(statuses.end(), 12, WorkerStatus::kRetiredInPlace);
  statuses.insert(statuses.end(), 3, WorkerStatus::kSecondedDistrict);
  int seq = 0;
  for (size_t i = 0; i < places.size(); ++i) {
    ASSERT_TRUE(reg.CreateWorker(MakeWorker(++seq, places[i], "officer", 5, Employment::kContract,
                                            statuses[i]),
                                 today)
                    .ok());
  }
  for (int i = 0; i < 71; ++i) {
    ASSERT_TRUE(reg.CreateWorker(MakeWorker(++seq, "d.s.c" + std::to_string(i % 20), "assistant", 2,
                                            Employment::kSelfHired),
                                 today)
                    .ok());
  }
  // One more contract hire anywhere is refused: every post is taken.
  EXPECT_FALSE(reg.CreateWorker(MakeWorker(++seq, "d.s.c3"), today).ok());

  auto report = reg.Occupancy("", today);
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(report->rows.size(), 22u);
  const OccupancyFigures& t = report->rows[0].subtree;
  EXPECT_EQ(t.approved, 328);
  EXPECT_EQ(t.occupied, 328);
  EXPECT_EQ(t.on_post, 251);
  EXPECT_EQ(t.seconded_street, 62);
  EXPECT_EQ(t.retired_in_place, 12);
  EXPECT_EQ(t.seconded_district, 3);
  EXPECT_EQ(t.on_leave, 0);
  EXPECT_EQ(t.hollow, 77);
  EXPECT_EQ(t.outside_quota, 71);
  EXPECT_EQ(t.dispatch, 0);
  EXPECT_EQ(t.vacant, 0);
  EXPECT_EQ(t.over_quota, 0);
  // 1500–1900 households: 5 × 4 posts; 2000–3000: 11 × 5; 3100–3400: 4 × 6.
  EXPECT_EQ(t.workstation_posts, 5 * 4 + 11 * 5 + 4 * 6);
  EXPECT_EQ(report->rows[1].unit_id, "d.s");
  EXPECT_EQ(report->rows[1].own.approved, 8);
  EXPECT_EQ(report->rows[1].subtree.approved, 328);

  // A quota cut makes a unit over quota; another's vacancy does not offset it.
  ASSERT_TRUE(reg.ReviseQuota("d.s.c0", 14, "2026-02-01", "压减", "编委", "t").ok());
  ASSERT_TRUE(reg.ReviseQuota("d.s.c1", 17, "2026-02-01", "增加", "编委", "t").ok());
  auto after = reg.Occupancy("d.s", today);
  EXPECT_EQ(after->rows[0].subtree.over_quota, 2);
  EXPECT_EQ(after->rows[0].subtree.vacant, 1);
  EXPECT_EQ(after->rows[0].subtree.approved, 327);

  const std::string csv = OccupancyCsv(*report);
  EXPECT_NE(csv.find("核定员额"), std::string::npos);
  EXPECT_NE(csv.find("\r\nd,单位d,区,0,328,99,328,251,62,3,12,0,0,0,77,71,0,0\r\n"),
            std::string::npos)
      << csv.substr(0, 300);
}

TEST_F(RegistryTest, PayParityFlagsSameWorkDifferentPay) {
  Quota("bh.a.c1", 10);
  Quota("bh.b.c1", 10);
  const Pay table = *reg_.grade_policy().PayFor(5);  // 3200 + 1320 = 4520
  for (int i = 1; i <= 3; ++i) Add(MakeWorker(i, "bh.a.c1", "officer", 5));
  for (int i = 4; i <= 5; ++i) {
    Worker w = MakeWorker(i, "bh.b.c1", "officer", 5);
    w.pay = Pay{table.base, table.performance + 600};  // 13% above the table
    Add(w);
  }
  Worker near = MakeWorker(6, "bh.a.c1", "officer", 6);
  near.pay =
      Pay{reg_.grade_policy().PayFor(6)->base + 100, reg_.grade_policy().PayFor(6)->performance};
  Add(near);
  Worker other = MakeWorker(7, "bh.b.c1", "officer", 6);
  Add(other);
  Add(MakeWorker(8, "bh.b.c1", "assistant", 2, Employment::kSelfHired));  // outside: not counted

  const PayParityReport r = reg_.PayParity();
  ASSERT_EQ(r.groups.size(), 2u);
  const PayParityGroup& g5 = r.groups[0];
  EXPECT_EQ(g5.post, "officer");
  EXPECT_EQ(g5.grade, 5);
  EXPECT_EQ(g5.table, table.total());
  ASSERT_EQ(g5.streets.size(), 2u);
  EXPECT_EQ(g5.streets[0].street_id, "bh.a");
  EXPECT_EQ(g5.streets[0].count, 3);
  EXPECT_FALSE(g5.streets[0].off_table);
  EXPECT_EQ(g5.streets[1].street_id, "bh.b");
  EXPECT_DOUBLE_EQ(g5.streets[1].average, table.total() + 600);
  EXPECT_TRUE(g5.streets[1].off_table);
  EXPECT_DOUBLE_EQ(g5.gap, 600);
  EXPECT_TRUE(g5.different_pay);
  const PayParityGroup& g6 = r.groups[1];
  EXPECT_DOUBLE_EQ(g6.gap, 100);  // within 5% of the table
  EXPECT_FALSE(g6.different_pay);
  EXPECT_EQ(r.flagged_groups, 1);
  const std::string csv = PayParityCsv(r, &reg_.grade_policy());
  EXPECT_NE(csv.find("主办,5,bh.b,单位bh.b,2,5120.00,5120,5120,4520,是,是"), std::string::npos)
      << csv;
}

// 20,000 rows through parse, import and the report: checks that bulk paths stay linear enough
// to run in a unit test (the 100,000-row figure is bench/'s job). No timing assertions.
TEST(Bulk, LargeImportAndOccupancy) {
  Registry reg(DefaultQuota(), DefaultGrades());
  ASSERT_TRUE(reg.CreateUnit(MakeUnit("d", "", UnitKind::kDistrict), kToday).ok());
  ASSERT_TRUE(reg.CreateUnit(MakeUnit("d.s", "d", UnitKind::kStreet, 1), kToday).ok());
  constexpr int kUnits = 50;
  for (int i = 0; i < kUnits; ++i) {
    const std::string id = "d.s.c" + std::to_string(i);
    ASSERT_TRUE(reg.CreateUnit(MakeUnit(id, "d.s", UnitKind::kCommunity, 0,
                                        CommunityType::kUrbanCommunity, 2000),
                               kToday)
                    .ok());
    ASSERT_TRUE(reg.ReviseQuota(id, 400, "2025-01-01", "核定", "编委", "t").ok());
  }
  constexpr int kRows = 20000;
  std::string csv = "name,id_number,unit,post,grade,employment,education,hired_on\n";
  for (int i = 0; i < kRows; ++i) {
    absl::StrAppend(&csv, "w", i, ",", NthIdNumber(i), ",d.s.c", i % kUnits,
                    ",officer,5,contract,bachelor,2018-09-01\n");
  }
  auto rows = ParseRoster(csv, reg.grade_policy());
  ASSERT_TRUE(rows.ok()) << rows.status();
  reg.Reserve(rows->size());
  auto c = reg.ImportRoster(std::move(*rows), kToday);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(reg.worker_count(), static_cast<size_t>(kRows));
  auto occ = reg.Occupancy("", kToday);
  EXPECT_EQ(occ->rows[0].subtree.occupied, kRows);
  EXPECT_EQ(occ->rows[0].subtree.vacant, kUnits * 400 - kRows);
}

// ------------------------------------------------------------------ quota reservations

// The conversion fixture's dispatch helper is reused by the placement test.
using ReservationTest = ConversionTest;

TEST_F(ReservationTest, ReserveCountsWorkersAndOtherCampaigns) {
  Quota("bh.a.c1", 5);
  Add(MakeWorker(1, "bh.a.c1"));
  Change c = Ok(reg_.ReserveQuota("zp2026", "bh.a.c1", 3, kToday));
  ASSERT_EQ(c.reservations.size(), 1u);
  EXPECT_EQ(c.reservations[0].posts, 3);
  EXPECT_EQ(c.reservations[0].reserved_on, kToday);
  ASSERT_EQ(c.audit.size(), 1u);
  EXPECT_EQ(c.audit[0].type, "quota.reserved");
  EXPECT_EQ(c.audit[0].data["occupied"], 1);
  EXPECT_EQ(reg_.ReservedPosts("bh.a.c1"), 3);
  // 5 approved − 1 held − 3 reserved leaves 1: another campaign cannot take 2.
  EXPECT_TRUE(Fails(reg_.ReserveQuota("other", "bh.a.c1", 2, kToday).status(),
                    Code::kFailedPrecondition,
                    "unit bh.a.c1 (单位bh.a.c1) has 1 vacant posts on 2026-03-01 (approved 5, "
                    "occupied 1, reserved 3 by other campaigns); cannot reserve 2"));
  // The same campaign cannot reserve the same unit twice.
  EXPECT_TRUE(Fails(reg_.ReserveQuota("zp2026", "bh.a.c1", 1, kToday).status(),
                    Code::kAlreadyExists, "already reserves 3 posts at unit bh.a.c1"));
  EXPECT_TRUE(reg_.ReserveQuota("other", "bh.a.c1", 1, kToday).ok());
  EXPECT_EQ(reg_.Reservations("bh.a.c1")->size(), 2u);
  EXPECT_EQ(reg_.ReservedPosts("bh.a.c1"), 4);
  // Bad input.
  EXPECT_TRUE(Fails(reg_.ReserveQuota("zp", "bh.a.c1", 0, kToday).status(), Code::kInvalidArgument,
                    "posts"));
  EXPECT_TRUE(Fails(reg_.ReserveQuota("zp", "nope", 1, kToday).status(), Code::kNotFound, "nope"));
  EXPECT_TRUE(Fails(reg_.ReserveQuota("zp", "bh", 1, kToday).status(), Code::kFailedPrecondition,
                    "district root"));
  EXPECT_TRUE(Fails(reg_.ReserveQuota("", "bh.a.c1", 1, kToday).status(), Code::kInvalidArgument,
                    "campaign_id"));
}

TEST_F(ReservationTest, ReserveManyIsAllOrNothing) {
  Quota("bh.a.c1", 3);
  Quota("bh.a.c2", 1);
  EXPECT_TRUE(Fails(reg_.ReserveQuotas("zp", {{"bh.a.c1", 2}, {"bh.a.c2", 2}}, kToday).status(),
                    Code::kFailedPrecondition, "bh.a.c2"));
  EXPECT_EQ(reg_.ReservedPosts("bh.a.c1"), 0);
  EXPECT_TRUE(reg_.CampaignReservations("zp").empty());
  // A unit listed twice has its posts summed.
  Change c = Ok(reg_.ReserveQuotas("zp", {{"bh.a.c1", 1}, {"bh.a.c2", 1}, {"bh.a.c1", 2}}, kToday));
  EXPECT_EQ(c.reservations.size(), 2u);
  EXPECT_EQ(reg_.ReservedPosts("bh.a.c1"), 3);
  EXPECT_EQ(reg_.CampaignReservations("zp").size(), 2u);
}

TEST_F(ReservationTest, ReleaseCutsPostsAndAReleasedReservationIsTakenUpAgain) {
  Quota("bh.a.c1", 4);
  Ok(reg_.ReserveQuota("zp", "bh.a.c1", 3, kToday));
  EXPECT_TRUE(Fails(reg_.ReleaseReservation("zp", "bh.a.c1", 4, kToday).status(),
                    Code::kInvalidArgument, "posts: 4 is outside 1–3"));
  EXPECT_TRUE(Fails(reg_.ReleaseReservation("other", "bh.a.c1", 1, kToday).status(),
                    Code::kNotFound, "campaign other has no reservation"));
  Change c = Ok(reg_.ReleaseReservation("zp", "bh.a.c1", 2, "2026-03-05"));
  EXPECT_EQ(c.reservations[0].posts, 1);
  EXPECT_EQ(c.reservations[0].released, 2);
  EXPECT_EQ(c.audit[0].type, "quota.released");
  EXPECT_EQ(c.audit[0].data["remaining"], 1);
  Ok(reg_.ReleaseReservation("zp", "bh.a.c1", 1, "2026-03-05"));
  EXPECT_EQ(reg_.ReservedPosts("bh.a.c1"), 0);
  // At 0 posts the campaign may reserve again (a new count).
  c = Ok(reg_.ReserveQuota("zp", "bh.a.c1", 4, "2026-03-06"));
  EXPECT_EQ(c.reservations[0].posts, 4);
  EXPECT_EQ(c.reservations[0].released, 3);
}

TEST_F(ReservationTest, EveryOtherPlacementCountsReservations) {
  Quota("bh.a.c1", 2);
  Quota("bh.a.c2", 5);
  Quota("bh.b.c1", 30);
  const int64_t mover = Add(MakeWorker(1, "bh.a.c2"));
  const int64_t leaver = Add(MakeWorker(2, "bh.a.c1"));
  Ok(reg_.ChangeStatus(leaver, WorkerStatus::kLeft, "辞职", kToday));
  // bh.a.c1: 2 approved, 0 held, 2 reserved: no room for anybody else.
  Ok(reg_.ReserveQuota("zp", "bh.a.c1", 2, kToday));

  EXPECT_TRUE(Fails(reg_.CreateWorker(MakeWorker(3, "bh.a.c1"), kToday).status(),
                    Code::kFailedPrecondition,
                    "approved 2 on 2026-03-01, occupied 0, reserved 2 for recruitment"));
  EXPECT_TRUE(Fails(reg_.TransferWorker(mover, "bh.a.c1", "调动", kToday, "x").status(),
                    Code::kFailedPrecondition, "reserved 2"));
  EXPECT_TRUE(Fails(reg_.ChangeStatus(leaver, WorkerStatus::kOnPost, "返岗", kToday).status(),
                    Code::kFailedPrecondition, "reserved 2"));
  Worker self = MakeWorker(4, "bh.a.c1", "assistant", 2, Employment::kSelfHired);
  const int64_t self_id = Add(self);  // outside the quota: not affected
  WorkerPatch to_contract;
  to_contract.employment = Employment::kContract;
  EXPECT_TRUE(Fails(reg_.UpdateWorker(self_id, to_contract, kToday).status(),
                    Code::kFailedPrecondition, "reserved 2"));
  auto rows =
      ParseRoster(std::string("姓名,身份证号,单位,岗位,等级,用工性质,学历,入职日期\n张三,") +
                      NthIdNumber(5) + ",bh.a.c1,主办,5,聘用合同,本科,2018-09-01\n",
                  reg_.grade_policy());
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_TRUE(Fails(reg_.ImportRoster(*rows, kToday).status(), Code::kFailedPrecondition,
                    "row 1 (line 2)"));
  // Dispatch conversion at bh.b.c1 (10 dispatch staff, cap 1) once bh.b.c1 is fully reserved.
  std::vector<int64_t> dispatch;
  for (int i = 0; i < 10; ++i) {
    Worker w = MakeWorker(100 + i, "bh.b.c1", "assistant", 2, Employment::kDispatch);
    w.hired_on = "2020-01-01";
    dispatch.push_back(Add(w));
  }
  Ok(reg_.ReserveQuota("zp", "bh.b.c1", 30, kToday));
  EXPECT_TRUE(Fails(reg_.ConvertDispatch(dispatch[0], "转聘", kToday).status(),
                    Code::kFailedPrecondition, "reserved 30"));
  // Released, every path works again.
  Ok(reg_.ReleaseReservation("zp", "bh.b.c1", 1, kToday));
  EXPECT_TRUE(reg_.ConvertDispatch(dispatch[0], "转聘", kToday).ok());
  Ok(reg_.ReleaseReservation("zp", "bh.a.c1", 1, kToday));
  EXPECT_TRUE(reg_.TransferWorker(mover, "bh.a.c1", "调动", kToday, "x").ok());
}

TEST_F(ReservationTest, HireReservedIsAtomicAndRefusedWhenTheQuotaWasCut) {
  Quota("bh.a.c1", 3);
  Add(MakeWorker(1, "bh.a.c1"));
  Ok(reg_.ReserveQuota("zp", "bh.a.c1", 2, kToday));

  Change c = Ok(reg_.HireReserved("zp", MakeWorker(2, "bh.a.c1"), kToday));
  ASSERT_EQ(c.workers.size(), 1u);
  ASSERT_EQ(c.reservations.size(), 1u);
  EXPECT_EQ(c.reservations[0].posts, 1);
  EXPECT_EQ(c.reservations[0].hired, 1);
  EXPECT_EQ(c.audit[0].type, "worker.hired");
  EXPECT_EQ(c.audit[0].data["campaign_id"], "zp");
  EXPECT_EQ(reg_.ReservedPosts("bh.a.c1"), 1);
  auto occ = reg_.Occupancy("bh.a.c1", kToday);
  EXPECT_EQ(occ->rows[0].own.occupied, 2);
  EXPECT_EQ(occ->rows[0].own.reserved, 1);
  EXPECT_EQ(occ->rows[0].own.vacant, 0);

  // No reservation there, or another campaign's: refused.
  EXPECT_TRUE(Fails(reg_.HireReserved("nobody", MakeWorker(3, "bh.a.c1"), kToday).status(),
                    Code::kNotFound, "campaign nobody has no reservation at unit bh.a.c1"));
  // The quota is cut to 2 before the second hire: 2 held + 1 would be 3.
  Ok(reg_.ReviseQuota("bh.a.c1", 2, "2026-02-15", "压减", "区委编委", "t"));
  const size_t workers = reg_.worker_count();
  EXPECT_TRUE(Fails(reg_.HireReserved("zp", MakeWorker(3, "bh.a.c1"), kToday).status(),
                    Code::kFailedPrecondition,
                    "worker.unit_id: unit bh.a.c1 (单位bh.a.c1) cannot take this hire of campaign "
                    "zp: approved 2 on 2026-03-01, occupied 2, reserved 1 (1 by this campaign)"));
  EXPECT_EQ(reg_.worker_count(), workers);
  EXPECT_EQ(reg_.ReservedPosts("bh.a.c1"), 1);
  // Restored, the hire goes through; then the reservation is used up.
  Ok(reg_.ReviseQuota("bh.a.c1", 3, "2026-02-20", "恢复", "区委编委", "t"));
  Ok(reg_.HireReserved("zp", MakeWorker(3, "bh.a.c1"), kToday));
  EXPECT_TRUE(Fails(reg_.HireReserved("zp", MakeWorker(4, "bh.a.c1"), kToday).status(),
                    Code::kFailedPrecondition, "no reserved post left"));
}

TEST_F(ReservationTest, HireReservedChecksFieldsAndOtherCampaignsReservations) {
  Quota("bh.a.c1", 3);
  Ok(reg_.ReserveQuota("zp", "bh.a.c1", 1, kToday));
  Ok(reg_.ReserveQuota("other", "bh.a.c1", 2, kToday));
  Worker bad = MakeWorker(1, "bh.a.c1", "officer", 15);
  EXPECT_TRUE(
      Fails(reg_.HireReserved("zp", bad, kToday).status(), Code::kInvalidArgument, "worker.grade"));
  EXPECT_TRUE(
      Fails(reg_.HireReserved(
                    "zp", MakeWorker(1, "bh.a.c1", "assistant", 2, Employment::kSelfHired), kToday)
                .status(),
            Code::kInvalidArgument, "worker.employment"));
  // The quota cut to 2: the other campaign's 2 posts leave no room for zp's hire.
  Ok(reg_.ReviseQuota("bh.a.c1", 2, "2026-02-15", "压减", "区委编委", "t"));
  EXPECT_TRUE(Fails(reg_.HireReserved("zp", MakeWorker(1, "bh.a.c1"), kToday).status(),
                    Code::kFailedPrecondition, "approved 2 on 2026-03-01, occupied 0, reserved 3"));
  EXPECT_EQ(reg_.worker_count(), 0u);
}

TEST_F(ReservationTest, OccupancyShowsReservedAndLoadRestoresThem) {
  Quota("bh.a.c1", 6);
  Quota("bh.a.c2", 4);
  Add(MakeWorker(1, "bh.a.c1"));
  Ok(reg_.ReserveQuota("zp", "bh.a.c1", 2, kToday));
  Ok(reg_.ReserveQuota("zp", "bh.a.c2", 4, kToday));
  auto report = reg_.Occupancy("bh.a", kToday);
  ASSERT_TRUE(report.ok());
  const OccupancyFigures& street = report->rows[0].subtree;
  EXPECT_EQ(street.reserved, 6);
  EXPECT_EQ(street.occupied, 1);
  EXPECT_EQ(street.vacant, 3);  // c1: 6 − 1 − 2; c2: 4 − 0 − 4
  EXPECT_EQ(report->rows[1].own.reserved, 2);
  EXPECT_EQ(report->rows[1].own.vacant, 3);

  // Through JSON, as the store would.
  std::vector<Reservation> stored;
  for (const Reservation& r : reg_.CampaignReservations("zp")) {
    stored.push_back(*ReservationFromJson(nlohmann::json(r)));
  }
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[0].unit_id, "bh.a.c1");
  EXPECT_EQ(stored[0].posts, 2);
  std::vector<Unit> units;
  const auto tree = reg_.Tree("");
  ASSERT_TRUE(tree.ok());
  for (const auto& [u, depth] : *tree) units.push_back(u);
  std::vector<QuotaRevision> revisions = *reg_.QuotaHistory("bh.a.c1");
  const auto c2 = reg_.QuotaHistory("bh.a.c2");
  for (const auto& r : *c2) revisions.push_back(r);
  std::vector<Worker> workers = reg_.ListWorkers({}, 0, 100)->workers;

  Registry fresh(DefaultQuota(), DefaultGrades());
  ASSERT_TRUE(fresh.Load(units, revisions, workers, stored).ok());
  EXPECT_EQ(fresh.ReservedPosts("bh.a.c1"), 2);
  EXPECT_EQ(fresh.Occupancy("bh.a", kToday)->rows[0].subtree.vacant, 3);
  EXPECT_TRUE(fresh.HireReserved("zp", MakeWorker(2, "bh.a.c2"), kToday).ok());
  // A reservation given twice or at a missing unit breaks the load, which changes nothing.
  stored.push_back(stored[0]);
  EXPECT_FALSE(fresh.Load(units, revisions, workers, stored).ok());
  stored.pop_back();
  stored[0].unit_id = "missing";
  EXPECT_FALSE(fresh.Load(units, revisions, workers, stored).ok());
  EXPECT_EQ(fresh.worker_count(), 2u);
  EXPECT_EQ(fresh.ReservedPosts("bh.a.c2"), 3);
}

}  // namespace
}  // namespace shequ::domain::workforce
