// The workforce registry through gRPC: each rule's refusal, all-or-nothing roster import,
// masking and sealing of personal data, history, reports, restart, and the quota review.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "nlohmann/json.hpp"
#include "tests/integration/client.h"

namespace shequ::testing {
namespace {

using nlohmann::json;

const Caller kClerk{"li.clerk", "street-office", "bh.hp"};       // sees personal data masked
const Caller kPersonnel{"zhou.hr", "personnel", ""};              // sees it in the clear
const Caller kLeadingGroup{"chen.lg", "leading-group", ""};
const Caller kAdmin{"root", "district-admin", ""};
const Caller kCommittee{"bian.wei", "establishment-committee", ""};  // 编委
// Puts the existing roster's contract workers on it (tests start from one).
const Caller kMigration{"migration", "roster-migration", ""};

std::string Message(const grpc::Status& s) { return s.error_message(); }

class WorkforceTest : public DaemonTest {
 protected:
  WorkforceTest() : DaemonTest("workforce") {}

  void SetUp() override {
    DaemonTest::SetUp();
    ASSERT_TRUE(client_->CreateUnit("bh", "", "包河区", "district").ok());
    ASSERT_TRUE(client_->CreateUnit("bh.hp", "bh", "和平街道", "street", "", 0, 1).ok());
    ASSERT_TRUE(
        client_->CreateUnit("bh.hp.xf", "bh.hp", "幸福里社区", "community", "城市社区", 2400).ok());
    ASSERT_TRUE(
        client_->CreateUnit("bh.hp.df", "bh.hp", "东风社区", "community", "村改居", 1500).ok());
    ASSERT_TRUE(Revise("bh.hp.xf", 2, "2026-01-01").ok());
    ASSERT_TRUE(Revise("bh.hp.df", 5, "2026-01-01").ok());
    ASSERT_TRUE(Revise("bh.hp", 3, "2026-01-01").ok());
  }

  v1::Workforce::Stub& wf() { return *client_->stubs.workforce; }

  grpc::Status Revise(const std::string& unit, int approved, const std::string& from,
                      const std::string& reason = "初始核定", v1::QuotaRevision* out = nullptr) {
    v1::ReviseQuotaRequest req;
    req.set_unit_id(unit);
    req.set_approved(approved);
    req.set_effective_from(from);
    req.set_reason(reason);
    req.set_approval_document("包编〔2026〕1号");
    grpc::ClientContext ctx;
    client_->Prepare(&ctx, kCommittee);
    v1::QuotaRevision ignored;
    return wf().ReviseQuota(&ctx, req, out ? out : &ignored);
  }

  v1::Worker NewWorker(const std::string& name, const std::string& seq3,
                       const std::string& unit = "bh.hp.xf",
                       const std::string& employment = "contract") {
    v1::Worker w;
    w.set_name(name);
    w.set_id_number(ValidIdNumber("34011119900101" + seq3));
    w.set_phone("139" + std::string(5, '0') + seq3);
    w.set_education("bachelor");
    w.set_employment(employment);
    w.set_post("officer");
    w.set_grade(5);
    w.set_unit_id(unit);
    w.set_hired_on("2020-05-01");
    return w;
  }

  grpc::Status Create(const v1::Worker& w, v1::Worker* out = nullptr,
                      const Caller& as = kMigration,
                      const std::string& request_id = "") {
    v1::CreateWorkerRequest req;
    *req.mutable_worker() = w;
    req.set_request_id(request_id);
    grpc::ClientContext ctx;
    client_->Prepare(&ctx, as);
    v1::Worker ignored;
    return wf().CreateWorker(&ctx, req, out ? out : &ignored);
  }

  int64_t MustCreate(const v1::Worker& w) {
    v1::Worker out;
    grpc::Status s = Create(w, &out);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return out.id();
  }

  grpc::Status Transfer(int64_t id, const std::string& to, const std::string& reason,
                        v1::Worker* out = nullptr) {
    v1::TransferWorkerRequest req;
    req.set_worker_id(id);
    req.set_to_unit(to);
    req.set_reason(reason);
    grpc::ClientContext ctx;
    client_->Prepare(&ctx, kClerk);
    v1::Worker ignored;
    return wf().TransferWorker(&ctx, req, out ? out : &ignored);
  }

  grpc::Status Import(const std::string& csv, v1::ImportRosterResponse* out, bool dry_run = false,
                      size_t chunk = 64, const Caller& as = kMigration) {
    grpc::ClientContext ctx;
    client_->Prepare(&ctx, as);
    auto writer = wf().ImportRoster(&ctx, out);
    for (size_t at = 0; at < csv.size(); at += chunk) {
      v1::ImportRosterChunk c;
      if (at == 0) c.set_dry_run(dry_run);
      c.set_data(csv.substr(at, chunk));
      if (!writer->Write(c)) break;
    }
    writer->WritesDone();
    return writer->Finish();
  }

  std::vector<v1::Worker> Workers(const std::string& unit = "", const Caller& as = kPersonnel) {
    v1::ListWorkersRequest req;
    req.set_unit_id(unit);
    req.mutable_page()->set_page_size(1000);
    grpc::ClientContext ctx;
    client_->Prepare(&ctx, as);
    v1::ListWorkersResponse resp;
    grpc::Status s = wf().ListWorkers(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return {resp.workers().begin(), resp.workers().end()};
  }

  v1::OccupancyReport Occupancy(const std::string& unit) {
    v1::OccupancyRequest req;
    req.set_unit_id(unit);
    grpc::ClientContext ctx;
    client_->Prepare(&ctx, kLeadingGroup);
    v1::OccupancyReport report;
    grpc::Status s = wf().Occupancy(&ctx, req, &report);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return report;
  }

  std::vector<v1::WorkforceChange> History(int64_t worker, const std::string& unit = "") {
    v1::WorkforceHistoryRequest req;
    req.set_worker_id(worker);
    req.set_unit_id(unit);
    grpc::ClientContext ctx;
    client_->Prepare(&ctx, kLeadingGroup);
    v1::WorkforceHistoryResponse resp;
    grpc::Status s = wf().History(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return {resp.changes().begin(), resp.changes().end()};
  }
};

TEST_F(WorkforceTest, UnitsFormATreeWithComputedAndApprovedQuotas) {
  v1::UnitTreeResponse tree;
  {
    grpc::ClientContext ctx;
    client_->Prepare(&ctx, kClerk);
    ASSERT_TRUE(wf().UnitTree(&ctx, v1::UnitTreeRequest(), &tree).ok());
  }
  ASSERT_EQ(tree.units_size(), 4);
  EXPECT_EQ(tree.units(0).id(), "bh");
  EXPECT_EQ(tree.units(1).id(), "bh.hp");
  EXPECT_EQ(tree.units(2).effective_class(), 1);  // inherited from the street office
  EXPECT_EQ(tree.units(2).approved_quota(), tree.units(2).id() == "bh.hp.df" ? 5 : 2);

  v1::ComputeQuotaRequest req;
  req.set_unit_id("bh.hp.xf");
  v1::QuotaComputation q;
  grpc::ClientContext ctx;
  client_->Prepare(&ctx, kClerk);
  ASSERT_TRUE(wf().ComputeQuota(&ctx, req, &q).ok());
  EXPECT_EQ(q.base(), 16);                 // urban community, quota.yaml
  EXPECT_DOUBLE_EQ(q.coefficient(), 1.2);  // class 1
  EXPECT_EQ(q.staff_quota(), 19);          // 16 × 1.2 = 19.2
  EXPECT_EQ(q.workstation_posts(), 5);     // 2000–3000 households
  EXPECT_EQ(q.class_from(), "bh.hp");
  EXPECT_NE(q.basis().find("19"), std::string::npos) << q.basis();

  // Bad units are refused naming the field; nothing is created.
  grpc::Status dup = client_->CreateUnit("bh.hp.xf", "bh.hp", "again", "community", "城市社区");
  EXPECT_EQ(dup.error_code(), grpc::StatusCode::ALREADY_EXISTS) << Describe(dup);
  grpc::Status kind = client_->CreateUnit("bh.hp.x", "bh.hp", "x", "hamlet");
  EXPECT_EQ(kind.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(Message(kind).find("unit.kind"), std::string::npos) << Message(kind);
  grpc::Status orphan = client_->CreateUnit("bh.zz.c1", "bh.zz", "x", "community", "城市社区");
  EXPECT_FALSE(orphan.ok());
  EXPECT_NE(Message(orphan).find("bh.zz"), std::string::npos) << Message(orphan);
}

TEST_F(WorkforceTest, NoInQuotaWorkerBeyondTheUnitsQuota) {
  MustCreate(NewWorker("王芳", "001"));
  MustCreate(NewWorker("李强", "002"));
  grpc::Status full = Create(NewWorker("赵敏", "003"));
  EXPECT_EQ(full.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(full);
  EXPECT_NE(Message(full).find("quota"), std::string::npos) << Message(full);
  // Self-hired staff sit outside the quota.
  MustCreate(NewWorker("赵敏", "003", "bh.hp.xf", "自聘"));
  EXPECT_EQ(Workers("bh.hp.xf").size(), 3u);

  auto report = Occupancy("bh.hp.xf");
  ASSERT_EQ(report.rows_size(), 1);
  const auto& f = report.rows(0).subtree();
  EXPECT_EQ(f.approved(), 2);
  EXPECT_EQ(f.occupied(), 2);
  EXPECT_EQ(f.vacant(), 0);
  EXPECT_EQ(f.outside_quota(), 1);
}

TEST_F(WorkforceTest, FieldRulesNameTheField) {
  v1::Worker w = NewWorker("王芳", "001");
  w.set_grade(15);  // officer: 3–14
  grpc::Status grade = Create(w);
  EXPECT_EQ(grade.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(Message(grade).find("grade"), std::string::npos) << Message(grade);

  w = NewWorker("王芳", "001");
  std::string wrong = ValidIdNumber("34011119900101001");
  wrong.back() = wrong.back() == '1' ? '2' : '1';  // a wrong check character
  w.set_id_number(wrong);
  grpc::Status id = Create(w);
  EXPECT_EQ(id.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(Message(id).find("id_number"), std::string::npos) << Message(id);
  EXPECT_EQ(Message(id).find(wrong), std::string::npos)
      << "an error message must not echo an ID number: " << Message(id);

  w = NewWorker("王芳", "001");
  w.set_employment("freelance");
  grpc::Status emp = Create(w);
  EXPECT_EQ(emp.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(Message(emp).find("worker.employment"), std::string::npos) << Message(emp);

  MustCreate(NewWorker("王芳", "001"));
  grpc::Status again = Create(NewWorker("王小芳", "001", "bh.hp.df"));
  EXPECT_EQ(again.error_code(), grpc::StatusCode::ALREADY_EXISTS) << Describe(again);
  EXPECT_EQ(Workers().size(), 1u);
}

TEST_F(WorkforceTest, PersonalDataIsMaskedUnlessTheCallerMaySeeItAndSealedOnDisk) {
  v1::Worker as_clerk;
  ASSERT_TRUE(Create(NewWorker("欧阳明华", "001"), &as_clerk).ok());
  EXPECT_TRUE(as_clerk.masked());
  EXPECT_EQ(as_clerk.name().find("明华"), std::string::npos) << as_clerk.name();
  EXPECT_EQ(as_clerk.id_number().find("1990"), std::string::npos) << as_clerk.id_number();
  EXPECT_NE(as_clerk.phone().find("****"), std::string::npos) << as_clerk.phone();
  EXPECT_EQ(as_clerk.birth_date(), "");

  const auto full = Workers("", kPersonnel);
  ASSERT_EQ(full.size(), 1u);
  EXPECT_FALSE(full[0].masked());
  EXPECT_EQ(full[0].name(), "欧阳明华");
  EXPECT_EQ(full[0].id_number(), ValidIdNumber("34011119900101001"));
  EXPECT_EQ(full[0].birth_date(), "1990-01-01");

  // A clerk cannot find someone by name (that would reveal it); personnel can.
  v1::ListWorkersRequest req;
  req.set_search("欧阳");
  req.set_unit_id("bh.hp");  // the clerk's street: it acts for nothing wider
  for (const auto& [who, expected] : {std::pair{kClerk, 0}, std::pair{kPersonnel, 1}}) {
    grpc::ClientContext ctx;
    client_->Prepare(&ctx, who);
    v1::ListWorkersResponse resp;
    ASSERT_TRUE(wf().ListWorkers(&ctx, req, &resp).ok());
    EXPECT_EQ(resp.workers_size(), expected) << who.roles;
  }

  // Nothing personal in the database files, even before a checkpoint.
  ASSERT_EQ(StopDaemon(), 0);
  for (const char* file : {"shequd.db", "shequd.db-wal"}) {
    std::ifstream in(std::filesystem::path(dir_) / file, std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    EXPECT_EQ(bytes.str().find("欧阳明华"), std::string::npos) << file;
    EXPECT_EQ(bytes.str().find(ValidIdNumber("34011119900101001")), std::string::npos) << file;
  }
  StartDaemon();
  const auto reopened = Workers("", kPersonnel);
  ASSERT_EQ(reopened.size(), 1u);
  EXPECT_EQ(reopened[0].name(), "欧阳明华");  // opened with the key file
}

TEST_F(WorkforceTest, TransferIsAFiledRecordInsideTheTargetsQuota) {
  const int64_t id = MustCreate(NewWorker("王芳", "001"));
  grpc::Status no_reason = Transfer(id, "bh.hp.df", "");
  EXPECT_EQ(no_reason.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(Message(no_reason).find("reason"), std::string::npos) << Message(no_reason);

  ASSERT_TRUE(Revise("bh.hp.df", 0, "2026-02-01", "区划调整").ok());
  grpc::Status full = Transfer(id, "bh.hp.df", "工作需要");
  EXPECT_EQ(full.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(full);

  ASSERT_TRUE(Revise("bh.hp.df", 3, "2026-02-15", "恢复").ok());
  v1::Worker moved;
  ASSERT_TRUE(Transfer(id, "bh.hp.df", "工作需要 / needed there", &moved).ok());
  EXPECT_EQ(moved.unit_id(), "bh.hp.df");
  ASSERT_EQ(moved.transfers_size(), 1);
  EXPECT_EQ(moved.transfers(0).from_unit(), "bh.hp.xf");
  EXPECT_EQ(moved.transfers(0).reason(), "工作需要 / needed there");
  EXPECT_EQ(moved.transfers(0).by(), kClerk.user);

  auto history = History(id);
  ASSERT_GE(history.size(), 2u);
  EXPECT_EQ(history.back().type(), "worker.transferred");
  EXPECT_EQ(history.back().actor(), kClerk.user);
  EXPECT_EQ(history.back().reason(), "工作需要 / needed there");
  EXPECT_EQ(json::parse(history.back().data()).dump().find("王芳"), std::string::npos);
  // The destination unit's history lists the worker's arrival.
  bool arrived = false;
  for (const auto& c : History(0, "bh.hp.df")) arrived |= c.subject() == "worker:" + std::to_string(id);
  EXPECT_TRUE(arrived);
}

TEST_F(WorkforceTest, DispatchConversionNeedsThreeYearsAndStaysWithinTenPercent) {
  // Dispatch staff work at the street office's organ.
  std::vector<int64_t> dispatch;
  for (int i = 0; i < 12; ++i) {
    v1::Worker w = NewWorker("派遣" + std::to_string(i), "1" + std::string(i < 10 ? "0" : "") +
                                                             std::to_string(i), "bh.hp", "dispatch");
    w.set_hired_on(i == 0 ? "2025-06-01" : "2020-01-01");
    dispatch.push_back(MustCreate(w));
  }
  v1::ConvertDispatchRequest req;
  req.set_reason("表现优秀");
  auto convert = [&](int64_t id) {
    req.set_worker_id(id);
    grpc::ClientContext ctx;
    client_->Prepare(&ctx, kPersonnel);
    v1::Worker out;
    return wf().ConvertDispatch(&ctx, req, &out);
  };
  grpc::Status young = convert(dispatch[0]);
  EXPECT_EQ(young.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(young);
  EXPECT_NE(Message(young).find("3"), std::string::npos) << Message(young);
  // 12 dispatch staff: 10% allows one conversion this year.
  grpc::Status first = convert(dispatch[1]);
  ASSERT_TRUE(first.ok()) << Describe(first);
  grpc::Status second = convert(dispatch[2]);
  EXPECT_EQ(second.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(second);
  EXPECT_NE(Message(second).find("10"), std::string::npos) << Message(second);
  v1::GetWorkerRequest get;
  get.set_id(dispatch[1]);
  grpc::ClientContext ctx;
  client_->Prepare(&ctx, kPersonnel);
  v1::Worker w;
  ASSERT_TRUE(wf().GetWorker(&ctx, get, &w).ok());
  EXPECT_EQ(w.employment(), "contract");
}

constexpr char kHeader[] = "姓名,身份证号,手机号,单位,岗位,等级,用工性质,状态,学历,入职日期\n";

std::string RosterRow(const std::string& name, const std::string& seq3, const std::string& unit,
                      int grade = 5) {
  return name + "," + ValidIdNumber("34011119900101" + seq3) + ",13900000" + seq3 + "," + unit +
         ",主办," + std::to_string(grade) + ",聘用合同,在岗,本科,2021-03-01\n";
}

TEST_F(WorkforceTest, RosterImportIsAllOrNothingAndNamesTheBadRow) {
  std::string bad = kHeader;
  bad += RosterRow("甲", "001", "bh.hp.df");
  bad += RosterRow("乙", "002", "bh.hp.df");
  bad += RosterRow("丙", "003", "bh.hp.df", /*grade=*/19);
  bad += RosterRow("丁", "004", "bh.hp.df");
  v1::ImportRosterResponse resp;
  grpc::Status s = Import(bad, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(s);
  EXPECT_NE(Message(s).find("row 3"), std::string::npos) << Message(s);
  EXPECT_NE(Message(s).find("等级"), std::string::npos) << Message(s);
  EXPECT_TRUE(Workers().empty());

  // Over the quota (5 at 东风) on the sixth row: refused as a whole, too.
  std::string over = kHeader;
  for (int i = 1; i <= 6; ++i) over += RosterRow("员" + std::to_string(i), "01" + std::to_string(i), "bh.hp.df");
  s = Import(over, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(s);
  EXPECT_NE(Message(s).find("row 6"), std::string::npos) << Message(s);
  EXPECT_TRUE(Workers().empty());

  std::string good = kHeader;
  for (int i = 1; i <= 5; ++i) good += RosterRow("员" + std::to_string(i), "01" + std::to_string(i), "bh.hp.df");
  ASSERT_TRUE(Import(good, &resp, /*dry_run=*/true).ok());
  EXPECT_TRUE(resp.dry_run());
  EXPECT_EQ(resp.rows(), 5);
  EXPECT_TRUE(Workers().empty());  // a dry run stores nothing

  ASSERT_TRUE(Import(good, &resp).ok());
  EXPECT_EQ(resp.rows(), 5);
  EXPECT_EQ(resp.last_worker_id() - resp.first_worker_id(), 4);
  EXPECT_EQ(Workers("bh.hp.df").size(), 5u);

  // The same file again: every ID number is already on the roster.
  s = Import(good, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS) << Describe(s);
  EXPECT_EQ(Workers().size(), 5u);
}

TEST_F(WorkforceTest, ExportsReadBackAndReportsShowPayGaps) {
  std::string roster = kHeader;
  for (int i = 1; i <= 3; ++i) roster += RosterRow("员" + std::to_string(i), "02" + std::to_string(i), "bh.hp.df");
  v1::ImportRosterResponse resp;
  ASSERT_TRUE(Import(roster, &resp).ok());

  auto export_csv = [&](const std::string& what, const Caller& as) {
    v1::ExportRequest req;
    req.set_what(what);
    req.set_unit_id("bh.hp");
    grpc::ClientContext ctx;
    client_->Prepare(&ctx, as);
    auto reader = wf().Export(&ctx, req);
    std::string csv;
    v1::CsvChunk chunk;
    while (reader->Read(&chunk)) csv += chunk.data();
    grpc::Status s = reader->Finish();
    EXPECT_TRUE(s.ok()) << what << ": " << Describe(s);
    return csv;
  };
  const std::string full = export_csv("roster", kPersonnel);
  EXPECT_NE(full.find("员2"), std::string::npos);
  EXPECT_NE(full.find(ValidIdNumber("34011119900101022")), std::string::npos);
  const std::string masked = export_csv("roster", kClerk);
  EXPECT_EQ(masked.find(ValidIdNumber("34011119900101022")), std::string::npos);
  EXPECT_NE(export_csv("occupancy", kClerk).find("东风社区"), std::string::npos);
  EXPECT_FALSE(export_csv("pay_parity", kClerk).empty());

  v1::ExportRequest bad;
  bad.set_what("everything");
  bad.set_unit_id("bh.hp");
  grpc::ClientContext ctx;
  client_->Prepare(&ctx, kClerk);
  auto reader = wf().Export(&ctx, bad);
  v1::CsvChunk chunk;
  while (reader->Read(&chunk)) {
  }
  grpc::Status s = reader->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(Message(s).find("what"), std::string::npos);

  v1::PayParityReport parity;
  grpc::ClientContext pctx;
  client_->Prepare(&pctx, kClerk);
  ASSERT_TRUE(wf().PayParity(&pctx, v1::PayParityRequest(), &parity).ok());
  ASSERT_FALSE(parity.rows().empty());
  EXPECT_EQ(parity.rows(0).grade(), 5);
  EXPECT_FALSE(parity.rows(0).flagged());  // everyone paid by the table
}

TEST_F(WorkforceTest, UpdatesAndStatusChangesKeepTheRules) {
  const int64_t a = MustCreate(NewWorker("王芳", "001"));
  MustCreate(NewWorker("李强", "002"));

  v1::UpdateWorkerRequest up;
  up.mutable_worker()->set_id(a);
  up.mutable_worker()->set_post("head");
  up.mutable_worker()->set_grade(7);
  up.add_update_mask("post");
  up.add_update_mask("grade");
  up.set_reason("聘任主管");
  auto update = [&](v1::Worker* out) {
    grpc::ClientContext ctx;
    client_->Prepare(&ctx, kPersonnel);
    return wf().UpdateWorker(&ctx, up, out);
  };
  v1::Worker w;
  ASSERT_TRUE(update(&w).ok());
  EXPECT_EQ(w.post(), "head");
  EXPECT_EQ(w.grade(), 7);
  EXPECT_EQ(History(a).back().type(), "worker.updated");

  up.mutable_worker()->set_grade(6);  // head: 7–18
  grpc::Status low = update(&w);
  EXPECT_EQ(low.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(Message(low).find("grade"), std::string::npos) << Message(low);
  up.clear_update_mask();
  up.add_update_mask("unit_id");
  grpc::Status unit = update(&w);
  EXPECT_EQ(unit.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(Message(unit).find("TransferWorker"), std::string::npos) << Message(unit);

  auto change = [&](int64_t id, const std::string& status, const std::string& reason) {
    v1::ChangeWorkerStatusRequest req;
    req.set_worker_id(id);
    req.set_status(status);
    req.set_reason(reason);
    grpc::ClientContext ctx;
    client_->Prepare(&ctx, kPersonnel);
    v1::Worker out;
    return wf().ChangeWorkerStatus(&ctx, req, &out);
  };
  EXPECT_EQ(change(a, "借调街道", "").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(change(a, "asleep", "x").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  ASSERT_TRUE(change(a, "借调街道", "街道中心工作").ok());
  EXPECT_EQ(Occupancy("bh.hp.xf").rows(0).subtree().hollow(), 1);  // held, but not there

  // Leaving frees the post; coming back needs one again.
  ASSERT_TRUE(change(a, "left", "辞职").ok());
  MustCreate(NewWorker("赵敏", "003"));
  grpc::Status back = change(a, "on_post", "返聘");
  EXPECT_EQ(back.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(back);
}

TEST_F(WorkforceTest, ARetriedCreateReturnsTheFirstWorker) {
  v1::Worker first, second;
  ASSERT_TRUE(Create(NewWorker("王芳", "001"), &first, kMigration, "hire-001").ok());
  ASSERT_TRUE(Create(NewWorker("王芳", "001"), &second, kMigration, "hire-001").ok());
  EXPECT_EQ(first.id(), second.id());
  EXPECT_EQ(Workers().size(), 1u);
}

TEST_F(WorkforceTest, ARevisionSchedulesItsReviewThreeYearsOn) {
  // SetUp's revisions took effect 2026-01-01: each unit's review falls due 2029-01-01.
  v1::ListInstancesRequest req;
  req.set_definition_id("quota-review");
  req.set_state("active");
  req.mutable_page()->set_page_size(100);
  const auto reviews = client_->Instances(req);
  ASSERT_EQ(reviews.size(), 3u);  // one per unit with a quota

  // A new revision replaces its unit's review.
  v1::QuotaRevision rev;
  ASSERT_TRUE(Revise("bh.hp.xf", 3, "2026-03-01", "增核", &rev).ok());
  EXPECT_EQ(rev.approved(), 3);
  EXPECT_EQ(rev.computed(), 19);
  EXPECT_EQ(client_->Instances(req).size(), 3u);

  // 2029-01-01 00:00 +08:00: the reviews of bh.hp and bh.hp.df fall due, not bh.hp.xf's.
  client_->AdvanceTo(1861891200000);
  auto tasks = client_->ListTasks([] {
    v1::ListTasksRequest r;
    r.set_role("leading-group");
    return r;
  }());
  std::set<std::string> due;
  for (const auto& t : tasks) due.insert(client_->Instance(t.instance_id()).business_key());
  EXPECT_EQ(due, (std::set<std::string>{"quota-review/bh.hp", "quota-review/bh.hp.df"}));
  EXPECT_FALSE(client_->Notifications("", "leading-group").empty());
}

// A step for the clerks of the unit the instance names.
constexpr char kScopedStep[] = R"(
id: t-scoped
name: a step scoped to a unit
start: check
nodes:
  check: {type: user, role: clerk, unit: "${unit}", next: done}
  done: {type: end}
)";

// Decision 0003: a task scoped to a community may be taken by the role's holders in that
// community and in the units above it (its street office), not by a sibling community, and a
// community may not take its street office's task.
TEST_F(WorkforceTest, AStreetOfficeTakesItsCommunitiesTasks) {
  client_->Deploy(kScopedStep);
  const Caller street{"zhou", "clerk", "bh.hp"}, xf{"li", "clerk", "bh.hp.xf"},
      df{"wu", "clerk", "bh.hp.df"}, other_role{"qian", "auditor", "bh.hp"};
  const int64_t at_xf = client_->Start("t-scoped", {{"unit", "bh.hp.xf"}}, kLeadingGroup);
  const int64_t at_street = client_->Start("t-scoped", {{"unit", "bh.hp"}}, kLeadingGroup);
  const int64_t xf_task = client_->OnlyTask(at_xf).id();
  const int64_t street_task = client_->OnlyTask(at_street).id();

  // Listing: the street's own task and its communities'; a community sees only its own.
  auto listed = [&](const std::string& unit, bool within) {
    v1::ListTasksRequest req;
    req.set_unit(unit);
    req.set_within_unit(within);
    std::set<int64_t> ids;
    for (const auto& t : client_->ListTasks(req)) ids.insert(t.id());
    return ids;
  };
  EXPECT_EQ(listed("bh.hp", true), (std::set<int64_t>{xf_task, street_task}));
  EXPECT_EQ(listed("bh.hp", false), (std::set<int64_t>{street_task}));
  EXPECT_EQ(listed("bh.hp.xf", true), (std::set<int64_t>{xf_task}));
  EXPECT_EQ(listed("bh.hp.df", true), (std::set<int64_t>{}));
  v1::ListTasksRequest unknown;
  unknown.set_unit("bh.nowhere");
  unknown.set_within_unit(true);
  grpc::Status s = client_->TryListTasks(unknown);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(Message(s).find("bh.nowhere"), std::string::npos) << Message(s);
  unknown.clear_unit();
  EXPECT_EQ(client_->TryListTasks(unknown).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  // Taking: a sibling community and another role may not; the community may not take the
  // street's task; the street office takes its community's.
  EXPECT_EQ(client_->Claim(xf_task, df).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(client_->Claim(xf_task, other_role).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  s = client_->Claim(street_task, xf);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(Message(s).find("or a unit above it"), std::string::npos) << Message(s);
  ASSERT_TRUE(client_->Complete(xf_task, street).ok());
  EXPECT_EQ(client_->Instance(at_xf).state(), "completed");
  ASSERT_TRUE(client_->Complete(street_task, street).ok());
}

// The clerks' notifications follow the same scope: the street office's own unit and, asked
// for, its communities', listed and live.
TEST_F(WorkforceTest, AStreetOfficeFollowsItsCommunitiesNotifications) {
  client_->Deploy(kScopedStep);
  const int64_t at_xf = client_->Start("t-scoped", {{"unit", "bh.hp.xf"}}, kLeadingGroup);
  const int64_t at_street = client_->Start("t-scoped", {{"unit", "bh.hp"}}, kLeadingGroup);
  client_->Start("t-scoped", {{"unit", "elsewhere"}}, kLeadingGroup);
  auto listed = [&](const std::string& unit, bool within) {
    v1::ListNotificationsRequest req;
    req.set_role("clerk");
    req.set_unit(unit);
    req.set_within_unit(within);
    grpc::ClientContext ctx;
    client_->Prepare(&ctx);
    v1::ListNotificationsResponse resp;
    grpc::Status s = client_->stubs.notifications->List(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << Message(s);
    std::set<int64_t> instances;
    for (const auto& n : resp.notifications()) instances.insert(n.instance_id());
    return instances;
  };
  EXPECT_EQ(listed("bh.hp", true), (std::set<int64_t>{at_xf, at_street}));
  EXPECT_EQ(listed("bh.hp", false), (std::set<int64_t>{at_street}));
  EXPECT_EQ(listed("bh.hp.df", true), (std::set<int64_t>{}));

  grpc::ClientContext ctx;
  client_->Prepare(&ctx);
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  v1::SubscribeRequest req;
  req.add_roles("clerk");
  req.set_unit("bh.hp");
  req.set_within_unit(true);
  auto reader = client_->stubs.notifications->Subscribe(&ctx, req);
  std::set<int64_t> backlog;
  v1::Notification n;
  for (int i = 0; i < 2 && reader->Read(&n); ++i) backlog.insert(n.instance_id());
  EXPECT_EQ(backlog, (std::set<int64_t>{at_xf, at_street}));
  // Live: another street's task passes by; the next community task arrives.
  client_->Start("t-scoped", {{"unit", "elsewhere"}}, kLeadingGroup);
  const int64_t next = client_->Start("t-scoped", {{"unit", "bh.hp.df"}}, kLeadingGroup);
  ASSERT_TRUE(reader->Read(&n));
  EXPECT_EQ(n.instance_id(), next);
  ctx.TryCancel();

  // Acknowledging follows the same scope: not a sibling community, but the street office.
  auto xf_notices = client_->Notifications("", "clerk");
  auto xf_notice =
      std::find_if(xf_notices.begin(), xf_notices.end(),
                   [&](const v1::Notification& x) { return x.instance_id() == at_xf; });
  ASSERT_NE(xf_notice, xf_notices.end());
  EXPECT_EQ(client_->Ack(xf_notice->id(), {"wu", "clerk", "bh.hp.df"}).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(client_->Ack(xf_notice->id(), {"zhou", "clerk", "bh.hp"}).ok());
  EXPECT_EQ(listed("bh.hp.xf", false), (std::set<int64_t>{}));

  grpc::ClientContext refused_ctx;
  client_->Prepare(&refused_ctx);
  req.set_unit("bh.nowhere");
  auto refused = client_->stubs.notifications->Subscribe(&refused_ctx, req);
  EXPECT_FALSE(refused->Read(&n));
  EXPECT_EQ(refused->Finish().error_code(), grpc::StatusCode::NOT_FOUND);
}

// Nobody enters a quota post except by open recruitment: contract workers come from
// recruitment's hire or from the import of an existing roster by roster-migration.
TEST_F(WorkforceTest, AContractWorkerEntersOnlyThroughRecruitmentOrMigration) {
  for (const Caller& who : {kClerk, kPersonnel}) {
    grpc::Status s = Create(NewWorker("王芳", "001"), nullptr, who);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(s);
    EXPECT_NE(Message(s).find("roster-migration"), std::string::npos) << Describe(s);
  }
  // A dispatch worker is no quota post: the street office records it.
  EXPECT_TRUE(Create(NewWorker("李娜", "002", "bh.hp.xf", "dispatch"), nullptr, kClerk).ok());
  // Nor does an update turn a dispatch worker into a contract one.
  const int64_t id = Workers().at(0).id();
  v1::UpdateWorkerRequest up;
  up.mutable_worker()->set_id(id);
  up.mutable_worker()->set_employment("contract");
  up.add_update_mask("employment");
  up.set_reason("转聘");
  grpc::ClientContext ctx;
  client_->Prepare(&ctx, kPersonnel);
  v1::Worker ignored;
  grpc::Status s = wf().UpdateWorker(&ctx, up, &ignored);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(s);
  EXPECT_TRUE(Create(NewWorker("王芳", "001"), nullptr, kMigration).ok());
}

TEST_F(WorkforceTest, ImportingContractRowsNeedsRosterMigration) {
  const std::string csv = std::string(kHeader) + RosterRow("王芳", "001", "bh.hp.xf");
  v1::ImportRosterResponse resp;
  grpc::Status s = Import(csv, &resp, false, 64, kPersonnel);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(s);
  EXPECT_NE(Message(s).find("roster-migration"), std::string::npos) << Describe(s);
  EXPECT_TRUE(Workers().empty());
  // The street office may not import at all.
  s = Import(csv, &resp, false, 64, kClerk);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(s);
}

// Quota revisions: only the establishment committee (编委), with its document's number; who
// approved is the caller, not free text.
TEST_F(WorkforceTest, OnlyTheEstablishmentCommitteeRevisesQuotasWithItsDocument) {
  v1::ReviseQuotaRequest req;
  req.set_unit_id("bh.hp.xf");
  req.set_approved(4);
  req.set_effective_from("2026-03-01");
  req.set_reason("新增职责");
  req.set_approval_document("包编〔2026〕7号");
  auto revise = [&](const Caller& as, v1::QuotaRevision* out) {
    grpc::ClientContext ctx;
    client_->Prepare(&ctx, as);
    return wf().ReviseQuota(&ctx, req, out);
  };
  v1::QuotaRevision out;
  for (const Caller& who : {kLeadingGroup, kAdmin, kPersonnel, Caller{"anon", "", ""}}) {
    grpc::Status s = revise(who, &out);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(s);
    EXPECT_EQ(Message(s), "shequ.v1.Workforce/ReviseQuota needs role establishment-committee");
  }
  req.set_approved_by("区委编委");  // free text naming someone else
  EXPECT_EQ(revise(kCommittee, &out).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  req.clear_approved_by();
  req.clear_approval_document();
  grpc::Status s = revise(kCommittee, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(s);
  EXPECT_NE(Message(s).find("approval_document"), std::string::npos);
  req.set_approval_document("包编〔2026〕7号");
  ASSERT_TRUE(revise(kCommittee, &out).ok());
  EXPECT_EQ(out.approved_by(), kCommittee.user);
  EXPECT_EQ(out.approval_document(), "包编〔2026〕7号");
}

// Personal data in the clear only for personal_data_roles, and only within the caller's scope.
TEST_F(WorkforceTest, PersonalDataStaysWithinTheCallersUnit) {
  const int64_t id = MustCreate(NewWorker("王芳", "001"));
  auto get = [&](const Caller& as, v1::Worker* out) {
    v1::GetWorkerRequest req;
    req.set_id(id);
    grpc::ClientContext ctx;
    client_->Prepare(&ctx, as);
    return wf().GetWorker(&ctx, req, out);
  };
  v1::Worker w;
  ASSERT_TRUE(get(kPersonnel, &w).ok());
  EXPECT_FALSE(w.masked());
  // Personnel staff of another street: not even masked.
  ASSERT_TRUE(client_->CreateUnit("bh.wl", "bh", "望湖街道", "street").ok());
  grpc::Status s = get({"qian.hr", "personnel", "bh.wl"}, &w);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(s);
  s = get({"x", "street-office", "bh.wl"}, &w);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(s);
  EXPECT_EQ(Message(s), "street office bh.wl may act only for its communities: worker's unit "
                        "bh.hp.xf is outside");
  // The street office of the worker's community sees the record, masked.
  ASSERT_TRUE(get(kClerk, &w).ok());
  EXPECT_TRUE(w.masked());
  // A worker reads their own record only.
  s = get({"E-0099", "worker", "bh.hp.xf"}, &w);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(s);
}

TEST_F(WorkforceTest, TheRegistrySurvivesKill9) {
  const int64_t id = MustCreate(NewWorker("王芳", "001"));
  ASSERT_TRUE(Transfer(id, "bh.hp.df", "工作需要").ok());
  daemon_->Kill();
  client_.reset();
  StartDaemon();
  const auto workers = Workers();
  ASSERT_EQ(workers.size(), 1u);
  EXPECT_EQ(workers[0].unit_id(), "bh.hp.df");
  EXPECT_EQ(History(id).size(), 2u);
  EXPECT_EQ(Occupancy("bh.hp").rows(0).subtree().occupied(), 1);
}

}  // namespace
}  // namespace shequ::testing
