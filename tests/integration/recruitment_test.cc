// Open recruitment through gRPC on the fake clock: a whole campaign from the announcement to an
// onboarded worker (with a shortfall cut, a failed check promoting the next candidate and an
// objection), the quota changed before the hire, and the campaign rebuilt after kill -9; the
// export of what is held about one ID number, and the rotation of the key that seals it.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "nlohmann/json.hpp"
#include "shequ/v1/audit.grpc.pb.h"
#include "shequ/v1/personal_data.grpc.pb.h"
#include "tests/integration/client.h"

namespace shequ::testing {
namespace {

using nlohmann::json;

const Caller kStreet{"li.clerk", "street-office", "bh.hp"};
const Caller kLeadingGroup{"chen.lg", "leading-group", ""};
const Caller kPersonnel{"zhou.hr", "personnel", ""};

class RecruitmentTest : public DaemonTest {
 protected:
  RecruitmentTest() : DaemonTest("recruitment") {}

  void SetUp() override {
    DaemonTest::SetUp();
    ASSERT_TRUE(client_->CreateUnit("bh", "", "包河区", "district").ok());
    ASSERT_TRUE(client_->CreateUnit("bh.hp", "bh", "和平街道", "street", "", 0, 1).ok());
    ASSERT_TRUE(
        client_->CreateUnit("bh.hp.xf", "bh.hp", "幸福里社区", "community", "城市社区", 2400).ok());
    ASSERT_TRUE(
        client_->CreateUnit("bh.hp.df", "bh.hp", "东风社区", "community", "村改居", 1500).ok());
    ASSERT_TRUE(Revise("bh.hp.xf", 2, "2026-01-01").ok());
    ASSERT_TRUE(Revise("bh.hp.df", 1, "2026-01-01").ok());
  }

  v1::Recruitment::Stub& rec() { return *client_->stubs.recruitment; }

  grpc::Status Revise(const std::string& unit, int approved, const std::string& from) {
    v1::ReviseQuotaRequest req;
    req.set_unit_id(unit);
    req.set_approved(approved);
    req.set_effective_from(from);
    req.set_reason("核定");
    req.set_approval_document("包编〔2026〕1号");
    grpc::ClientContext ctx;
    client_->Prepare(&ctx, {"bian.wei", "establishment-committee", ""});
    v1::QuotaRevision out;
    return client_->stubs.workforce->ReviseQuota(&ctx, req, &out);
  }

  // Two posts: one assistant at 幸福里 (P01), one at 东风 (P02); applications 2026-03-02..06.
  // `edit` changes the announcement before it is sent.
  grpc::Status Create(const std::string& id, v1::Campaign* out, int p01 = 1, int p02 = 1,
                      const std::function<void(v1::CampaignSpec&)>& edit = {}) {
    v1::CreateCampaignRequest req;
    auto* c = req.mutable_campaign();
    c->set_id(id);
    c->set_street_unit_id("bh.hp");
    c->set_title("和平街道2026年社区工作者招聘");
    auto* p = c->add_posts();
    p->set_id("P01");
    p->set_unit_id("bh.hp.xf");
    p->set_post("assistant");
    p->set_count(p01);
    p = c->add_posts();
    p->set_id("P02");
    p->set_unit_id("bh.hp.df");
    p->set_post("assistant");
    p->set_count(p02);
    c->set_opens("2026-03-02");
    c->set_closes("2026-03-06");
    if (edit) edit(*c);
    grpc::ClientContext ctx;
    client_->Prepare(&ctx, kStreet);
    return rec().CreateCampaign(&ctx, req, out);
  }

  v1::Campaign Get(const std::string& id) {
    v1::GetCampaignRequest req;
    req.set_id(id);
    grpc::ClientContext ctx;
    client_->Prepare(&ctx, kStreet);
    v1::Campaign out;
    auto s = rec().GetCampaign(&ctx, req, &out);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return out;
  }

  grpc::Status Step(grpc::Status (v1::Recruitment::Stub::*call)(grpc::ClientContext*,
                                                                 const v1::StepRequest&,
                                                                 v1::Campaign*),
                    const std::string& campaign, const Caller& as, const std::string& outcome = "",
                    v1::Campaign* out = nullptr) {
    v1::StepRequest req;
    req.set_campaign_id(campaign);
    req.set_outcome(outcome);
    grpc::ClientContext ctx;
    client_->Prepare(&ctx, as);
    v1::Campaign ignored;
    return (rec().*call)(&ctx, req, out ? out : &ignored);
  }

  grpc::Status Apply(const std::string& campaign, const std::string& post,
                     const std::string& name, const std::string& id_number,
                     int64_t* id = nullptr, const std::string& education = "bachelor",
                     const std::string& community_since = "") {
    v1::ApplyRequest req;
    req.set_campaign_id(campaign);
    auto* a = req.mutable_application();
    a->set_post_id(post);
    a->set_name(name);
    a->set_id_number(id_number);
    a->set_phone("13812345678");
    a->set_education(education);
    a->set_source("graduate");
    a->set_community_since(community_since);
    grpc::ClientContext ctx;
    client_->Prepare(&ctx, Caller{"applicant", "", ""});
    v1::ApplyResponse out;
    auto s = rec().Apply(&ctx, req, &out);
    if (id) *id = out.application_id();
    return s;
  }

  grpc::Status Scores(const std::string& campaign, const std::string& csv) {
    v1::ImportScoresRequest req;
    req.set_campaign_id(campaign);
    req.set_csv(csv);
    grpc::ClientContext ctx;
    client_->Prepare(&ctx, kStreet);
    v1::ImportScoresResponse out;
    return rec().ImportScores(&ctx, req, &out);
  }

  grpc::Status Check(const std::string& campaign, int64_t id, const std::string& kind,
                     bool passed, v1::CheckResponse* out = nullptr, const Caller& as = kStreet) {
    v1::RecordCheckRequest req;
    req.set_campaign_id(campaign);
    req.set_application_id(id);
    req.set_kind(kind);
    req.set_passed(passed);
    req.set_reason(passed ? "" : "体检不合格");
    grpc::ClientContext ctx;
    client_->Prepare(&ctx, as);
    v1::CheckResponse ignored;
    return rec().RecordCheck(&ctx, req, out ? out : &ignored);
  }

  void PassChecks(const std::string& campaign, int64_t id) {
    ASSERT_TRUE(Check(campaign, id, "physical", true).ok());
    ASSERT_TRUE(Check(campaign, id, "background", true).ok());
  }

  // Ranked, checked and in notice when 幸福里's quota is cut to 0: the reserved post no longer
  // fits, and once the notice is over the hire is refused.
  v1::Campaign ToQuotaCutAtHire(const std::string& id) {
    const std::vector<int64_t> p01 = ToRanked(id);
    PassChecks(id, p01[1]);
    EXPECT_TRUE(Step(&v1::Recruitment::Stub::StartNotice, id, kStreet).ok());
    EXPECT_TRUE(Revise("bh.hp.xf", 0, "2026-03-20").ok());
    client_->Advance("P14D");
    return Get(id);
  }

  // Through approval, five applicants on P01 (one too old), two on P02, the window closed and
  // reviewed, P02 cut for too few applicants, written and interview scores, ranking.
  // Returns P01's application ids in the order applied.
  std::vector<int64_t> ToRanked(const std::string& id) {
    v1::Campaign c;
    EXPECT_TRUE(Create(id, &c).ok());
    EXPECT_TRUE(Step(&v1::Recruitment::Stub::ApproveCampaign, id, kLeadingGroup, "approved").ok());
    std::vector<int64_t> p01;
    const char* names[] = {"王小明", "李小红", "张大伟", "刘芳", "陈老"};
    const char* ids[] = {"34010419950101001", "34010419960202002", "34010419970303003",
                         "34010419980404004", "34010419700505005"};  // the last one is 55
    for (int i = 0; i < 5; ++i) {
      int64_t app = 0;
      // 王小明 worked in a residents' committee before: those years count for his grade.
      auto s = Apply(id, "P01", names[i], ValidIdNumber(ids[i]), &app, "bachelor",
                     i == 0 ? "2019-06-01" : "");
      EXPECT_TRUE(s.ok()) << Describe(s);
      p01.push_back(app);
    }
    EXPECT_TRUE(Apply(id, "P02", "赵一", ValidIdNumber("34010419950606006")).ok());
    EXPECT_TRUE(Apply(id, "P02", "钱二", ValidIdNumber("34010419950707007")).ok());
    client_->AdvanceTo(kMonday0900 + 5 * 86'400'000);  // Saturday 2026-03-07: window over
    EXPECT_EQ(Get(id).state(), "applications_closed");
    // P02 has 2 eligible applicants for 1 post, below 3:1: finishing the review raises the
    // leading group's decision.
    auto s = Step(&v1::Recruitment::Stub::FinishReview, id, kStreet, "", &c);
    EXPECT_TRUE(s.ok()) << Describe(s);
    EXPECT_EQ(c.state(), "applications_closed");
    EXPECT_EQ(c.shortfalls_size(), 1);
    c = Get(id);
    EXPECT_EQ(c.open_steps_size() == 1 ? c.open_steps(0).step() : "", "shortfall");
    // Cutting P02 releases its reservation; the review then finishes by itself.
    v1::DecideShortfallRequest cut;
    cut.set_campaign_id(id);
    auto* pc = cut.add_cut();
    pc->set_post_id("P02");
    pc->set_count(0);
    grpc::ClientContext ctx;
    client_->Prepare(&ctx, kLeadingGroup);
    s = rec().DecideShortfall(&ctx, cut, &c);
    EXPECT_TRUE(s.ok()) << Describe(s);
    EXPECT_EQ(c.state(), "eligibility_reviewed");
    // The written exam's sheet names the applicants by ID number (an erasure rewrites it).
    std::string written = "身份证号,姓名,笔试成绩\n";
    const char* marks[] = {"91", "88.5", "80", "缺考"};
    for (int i = 0; i < 4; ++i) {
      written += ValidIdNumber(ids[i]) + "," + names[i] + "," + marks[i] + "\n";
    }
    EXPECT_TRUE(Scores(id, written).ok());
    s = Step(&v1::Recruitment::Stub::Shortlist, id, kStreet, "", &c);
    EXPECT_TRUE(s.ok()) << Describe(s);
    EXPECT_EQ(c.state(), "shortlisted");
    EXPECT_TRUE(Scores(id, "报名号,面试成绩\n" + std::to_string(p01[0]) + ",85\n" +
                               std::to_string(p01[1]) + ",90\n" + std::to_string(p01[2]) + ",70\n")
                    .ok());
    s = Step(&v1::Recruitment::Stub::Rank, id, kStreet, "", &c);
    EXPECT_TRUE(s.ok()) << Describe(s);
    EXPECT_EQ(c.state(), "checking");
    return p01;
  }
};

TEST_F(RecruitmentTest, WholeCampaignFromAnnouncementToOnboardedWorker) {
  // Quota: 幸福里 has 2 approved posts, 东风 1; a campaign for 3 at 幸福里 is refused.
  v1::Campaign c;
  auto s = Create("too-many", &c, 3, 1);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(s);
  // Nothing applied before approval.
  ASSERT_TRUE(Create("hp-2026", &c).ok());
  EXPECT_EQ(c.state(), "draft");
  ASSERT_EQ(c.open_steps_size(), 1);  // the answer already shows the approval waiting
  EXPECT_EQ(c.open_steps(0).step(), "approve");
  EXPECT_EQ(c.open_steps(0).role(), "leading-group");
  EXPECT_EQ(Apply("hp-2026", "P01", "王小明", ValidIdNumber("34010419950101001")).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  // Only the leading group approves.
  EXPECT_EQ(Step(&v1::Recruitment::Stub::ApproveCampaign, "hp-2026", kStreet, "approved")
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // A second campaign cannot reserve the posts this one holds.
  ASSERT_TRUE(Revise("bh.hp.xf", 2, "2026-01-01").ok());
  EXPECT_EQ(Create("again", &c, 2, 1).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  ASSERT_TRUE(Step(&v1::Recruitment::Stub::ApproveCampaign, "hp-2026", kLeadingGroup, "approved",
                   &c)
                  .ok());
  EXPECT_EQ(c.state(), "published");
}

// A post names its unit (in the registry, in the campaign's street) and a post of the grade
// ladder, or the announcement is refused naming the post; nothing is reserved.
TEST_F(RecruitmentTest, EachPostNamesAKnownUnitOfTheStreetAndALadderPost) {
  ASSERT_TRUE(Revise("bh.hp.xf", 2, "2026-01-01").ok());
  struct Case {
    std::function<void(v1::CampaignSpec&)> edit;
    std::string expected;
  };
  const Case cases[] = {
      {[](v1::CampaignSpec& c) { c.mutable_posts(1)->set_unit_id("bh.nowhere"); },
       "campaign.posts[1].unit_id: no unit 'bh.nowhere'"},
      {[](v1::CampaignSpec& c) { c.mutable_posts(0)->set_unit_id("bh"); },
       "campaign.posts[0].unit_id: bh is not in street bh.hp"},
      {[](v1::CampaignSpec& c) { c.mutable_posts(1)->set_post("nope"); },
       "campaign.posts[1].post: 'nope' is not a post of the grade ladder (head, deputy, officer, "
       "assistant)"},
  };
  v1::Campaign c;
  for (const Case& k : cases) {
    auto s = Create("bad-post", &c, 1, 1, k.edit);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(s);
    EXPECT_NE(s.error_message().find(k.expected), std::string::npos) << Describe(s);
  }
  // None of them reserved a post: the whole quota is still there for a campaign of 2 + 1.
  ASSERT_TRUE(Create("good", &c, 2, 1, [](v1::CampaignSpec& c) {
                c.mutable_posts(1)->set_post("助理");  // the ladder's Chinese name is as good
              }).ok());
}

TEST_F(RecruitmentTest, RankedCandidatesThroughChecksObjectionNoticeAndHire) {
  const std::vector<int64_t> p01 = ToRanked("hp-2026");
  ASSERT_EQ(p01.size(), 5u);
  // Composite 50/50: 李小红 (88.5, 90) 89.25 first, 王小明 (91, 85) 88 second.
  v1::GetRankingRequest rr;
  rr.set_campaign_id("hp-2026");
  rr.set_post_id("P01");
  grpc::ClientContext rctx;
  client_->Prepare(&rctx, kStreet);
  v1::Ranking ranking;
  ASSERT_TRUE(rec().GetRanking(&rctx, rr, &ranking).ok());
  ASSERT_GE(ranking.applications_size(), 2);
  EXPECT_EQ(ranking.applications(0).id(), p01[1]);
  EXPECT_EQ(ranking.applications(0).status(), "selected");
  EXPECT_EQ(ranking.applications(0).name(), "李*红");  // masked for the street office
  EXPECT_EQ(ranking.applications(1).id(), p01[0]);

  // Only the campaign's street office records checks.
  EXPECT_EQ(Check("hp-2026", p01[1], "physical", true, nullptr, Caller{"x", "street-office", "bh.other"})
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // The first fails the physical examination: the next is promoted (递补).
  v1::CheckResponse promoted;
  ASSERT_TRUE(Check("hp-2026", p01[1], "physical", false, &promoted).ok());
  EXPECT_EQ(promoted.removed_id(), p01[1]);
  EXPECT_EQ(promoted.promoted_id(), p01[0]);
  // Notice refused while the promoted candidate's checks are pending.
  EXPECT_EQ(Step(&v1::Recruitment::Stub::StartNotice, "hp-2026", kStreet).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  PassChecks("hp-2026", p01[0]);
  v1::Campaign c;
  auto s = Step(&v1::Recruitment::Stub::StartNotice, "hp-2026", kStreet, "", &c);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(c.state(), "notice");

  // An objection opens an investigation; dismissed, the candidate stays.
  v1::FileObjectionRequest fo;
  fo.set_campaign_id("hp-2026");
  fo.set_application_id(p01[0]);
  fo.set_text("反映该考生学历造假");
  grpc::ClientContext fctx;
  client_->Prepare(&fctx, Caller{"citizen", "", ""});
  v1::Objection objection;
  s = rec().FileObjection(&fctx, fo, &objection);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(objection.state(), "open");
  ASSERT_GT(objection.instance_id(), 0);
  EXPECT_EQ(client_->OnlyTask(objection.instance_id()).role(), "street-office");
  v1::DecideObjectionRequest dobj;
  dobj.set_campaign_id("hp-2026");
  dobj.set_objection_id(objection.id());
  dobj.set_upheld(false);
  dobj.set_reason("经核查学历属实");
  grpc::ClientContext dctx;
  client_->Prepare(&dctx, kStreet);
  s = rec().DecideObjection(&dctx, dobj, &objection);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(objection.state(), "dismissed");

  // Five working days of notice, then the hire: a worker in the reserved post, onboarding
  // started, the campaign done.
  client_->Advance("P14D");
  c = Get("hp-2026");
  EXPECT_EQ(c.state(), "done");
  ASSERT_EQ(c.hired_workers_size(), 1);
  EXPECT_EQ(c.funnel().applied(), 7);
  EXPECT_EQ(c.funnel().hired(), 1);
  EXPECT_EQ(client_->Instance(c.instance_id()).state(), "completed");

  v1::GetWorkerRequest gw;
  gw.set_id(c.hired_workers(0));
  grpc::ClientContext wctx;
  client_->Prepare(&wctx, kPersonnel);
  v1::Worker worker;
  ASSERT_TRUE(client_->stubs.workforce->GetWorker(&wctx, gw, &worker).ok());
  EXPECT_EQ(worker.name(), "王小明");
  EXPECT_EQ(worker.unit_id(), "bh.hp.xf");
  EXPECT_EQ(worker.post(), "assistant");
  // Grade: assistant's minimum 1 + 6 years of community work ÷ 3 + 2 for a bachelor's degree.
  EXPECT_EQ(worker.grade(), 5);
  EXPECT_EQ(worker.community_since(), "2019-06-01");

  // Onboarding: the contract first; a probation longer than the law allows is sent back.
  std::vector<v1::Instance> onboarding = client_->Instances("onboarding");
  ASSERT_EQ(onboarding.size(), 1u);
  v1::Task contract = client_->OnlyTask(onboarding[0].id());
  ASSERT_TRUE(client_->Complete(contract.id(), kStreet, "", nullptr,
                                R"({"contract_term_months": 36, "probation_months": 7})")
                  .ok());
  v1::Task again = client_->OnlyTask(onboarding[0].id());
  EXPECT_NE(again.id(), contract.id());
  EXPECT_NE(client_->Instance(onboarding[0].id()).variables().find("probation"),
            std::string::npos);
  ASSERT_TRUE(client_->Complete(again.id(), kStreet, "", nullptr,
                                R"({"contract_term_months": 36, "probation_months": 6})")
                  .ok());
  {
    grpc::ClientContext ctx;
    client_->Prepare(&ctx, kPersonnel);
    ASSERT_TRUE(client_->stubs.workforce->GetWorker(&ctx, gw, &worker).ok());
    EXPECT_EQ(worker.probation_until(), "2026-09-21");  // hired 2026-03-21, 6 months
    EXPECT_EQ(worker.regular_on(), "");
  }
  // The policy's steps: one child instance each, each a task for its owner due on its plan.
  std::vector<v1::Instance> steps = client_->Instances("onboarding-step");
  ASSERT_EQ(steps.size(), 5u);  // archive, personnel agency, insurance, grade, training
  for (const auto& step : steps) {
    v1::Task t = client_->OnlyTask(step.id());
    EXPECT_GT(t.due_at_ms(), 0);
    EXPECT_FALSE(t.name().empty() || t.name().find("${") != std::string::npos) << t.name();
    const Caller owner{"someone", t.role(), t.unit()};
    ASSERT_TRUE(client_->Complete(t.id(), owner).ok()) << t.name();
  }
  // Then the probation-end review, and the conversion recorded on the worker.
  v1::Task review = client_->OnlyTask(onboarding[0].id());
  EXPECT_EQ(review.role(), "street-office");
  ASSERT_TRUE(client_->Complete(review.id(), kStreet, "passed").ok());
  ASSERT_TRUE(client_->Complete(client_->OnlyTask(onboarding[0].id()).id(), kStreet).ok());
  EXPECT_EQ(client_->Instance(onboarding[0].id()).end_status(), "regular");
  grpc::ClientContext ctx;
  client_->Prepare(&ctx, kPersonnel);
  ASSERT_TRUE(client_->stubs.workforce->GetWorker(&ctx, gw, &worker).ok());
  EXPECT_EQ(worker.regular_on(), "2026-03-21");  // the fake clock did not move
}

TEST_F(RecruitmentTest, QuotaCutBeforeTheHireGoesToTheLeadingGroup) {
  v1::Campaign c = ToQuotaCutAtHire("hp-2026");
  EXPECT_EQ(c.state(), "notice");
  ASSERT_EQ(c.open_steps_size(), 1);
  EXPECT_EQ(c.open_steps(0).step(), "hire-failed");
  EXPECT_EQ(c.open_steps(0).role(), "leading-group");
  EXPECT_EQ(c.hired_workers_size(), 0);
  const std::string vars = client_->Instance(c.instance_id()).variables();
  EXPECT_NE(vars.find("the quota changed after the reservation"), std::string::npos) << vars;
  // The quota restored, the leading group retries from its task list: the hire goes through.
  ASSERT_TRUE(Revise("bh.hp.xf", 2, "2026-03-21").ok());
  ASSERT_TRUE(client_->Complete(c.open_steps(0).task_id(), kLeadingGroup, "retry").ok());
  c = Get("hp-2026");
  EXPECT_EQ(c.state(), "done");
  EXPECT_EQ(c.hired_workers_size(), 1);
}

TEST_F(RecruitmentTest, TheLeadingGroupCancelsAHireTheQuotaNoLongerAllows) {
  v1::Campaign c = ToQuotaCutAtHire("hp-2026");
  ASSERT_EQ(c.open_steps_size(), 1);
  ASSERT_EQ(c.open_steps(0).step(), "hire-failed");
  auto reserved = [&] {
    grpc::ClientContext ctx;
    client_->Prepare(&ctx, kPersonnel);
    v1::OccupancyReport report;
    EXPECT_TRUE(client_->stubs.workforce->Occupancy(&ctx, v1::OccupancyRequest(), &report).ok());
    return report.rows_size() ? report.rows(0).subtree().reserved() : -1;
  };
  EXPECT_EQ(reserved(), 1);  // P01's post, still held for the campaign
  ASSERT_TRUE(client_->Complete(c.open_steps(0).task_id(), kLeadingGroup, "cancel").ok());
  c = Get("hp-2026");
  EXPECT_EQ(c.state(), "cancelled");
  EXPECT_EQ(c.hired_workers_size(), 0);
  EXPECT_EQ(client_->Instance(c.instance_id()).end_status(), "cancelled");
  EXPECT_EQ(reserved(), 0);  // given back
}

TEST_F(RecruitmentTest, UpheldObjectionPromotesTheNextWhoIsCheckedAndNoticedInTurn) {
  const std::vector<int64_t> p01 = ToRanked("hp-2026");
  PassChecks("hp-2026", p01[1]);
  ASSERT_TRUE(Step(&v1::Recruitment::Stub::StartNotice, "hp-2026", kStreet).ok());
  v1::FileObjectionRequest fo;
  fo.set_campaign_id("hp-2026");
  fo.set_application_id(p01[1]);
  fo.set_text("反映该考生曾受过处分");
  grpc::ClientContext fctx;
  client_->Prepare(&fctx, Caller{"citizen", "", ""});
  v1::Objection objection;
  ASSERT_TRUE(rec().FileObjection(&fctx, fo, &objection).ok());
  // Only the street office investigates.
  v1::DecideObjectionRequest dobj;
  dobj.set_campaign_id("hp-2026");
  dobj.set_objection_id(objection.id());
  dobj.set_upheld(true);
  dobj.set_reason("经核查属实");
  {
    grpc::ClientContext ctx;
    client_->Prepare(&ctx, kLeadingGroup);
    EXPECT_EQ(rec().DecideObjection(&ctx, dobj, &objection).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  grpc::ClientContext dctx;
  client_->Prepare(&dctx, kStreet);
  auto s = rec().DecideObjection(&dctx, dobj, &objection);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(objection.state(), "upheld");
  EXPECT_EQ(objection.promoted_id(), p01[0]);

  // The notice ends with nobody to hire yet: the promoted candidate goes through the checks
  // and a notice of their own, then is hired.
  client_->Advance("P10D");
  v1::Campaign c = Get("hp-2026");
  EXPECT_EQ(c.hired_workers_size(), 0);
  ASSERT_EQ(c.open_steps_size(), 1);
  EXPECT_EQ(c.open_steps(0).step(), "checks");
  PassChecks("hp-2026", p01[0]);
  ASSERT_TRUE(Step(&v1::Recruitment::Stub::StartNotice, "hp-2026", kStreet).ok());
  client_->Advance("P10D");
  c = Get("hp-2026");
  EXPECT_EQ(c.state(), "done");
  ASSERT_EQ(c.hired_workers_size(), 1);
  v1::ListApplicationsRequest la;
  la.set_campaign_id("hp-2026");
  la.set_status("hired");
  grpc::ClientContext lctx;
  client_->Prepare(&lctx, kPersonnel);
  v1::ListApplicationsResponse hired;
  ASSERT_TRUE(rec().ListApplications(&lctx, la, &hired).ok());
  ASSERT_EQ(hired.applications_size(), 1);
  EXPECT_EQ(hired.applications(0).id(), p01[0]);
  EXPECT_EQ(hired.applications(0).name(), "王小明");  // unmasked for personnel
}

TEST_F(RecruitmentTest, ShortfallExtendsTheWindowAndLateApplicationsAreRefused) {
  v1::Campaign c;
  ASSERT_TRUE(Create("hp-2026", &c, 1, 1).ok());
  ASSERT_TRUE(Step(&v1::Recruitment::Stub::ApproveCampaign, "hp-2026", kLeadingGroup, "approved")
                  .ok());
  int64_t first = 0;
  ASSERT_TRUE(Apply("hp-2026", "P01", "王小明", ValidIdNumber("34010419950101001"), &first).ok());
  // One person applies once.
  auto s = Apply("hp-2026", "P02", "王小明", ValidIdNumber("34010419950101001"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS) << Describe(s);
  EXPECT_EQ(s.error_message().find("19950101"), std::string::npos) << "ID number in an error";
  // Unknown post and bad education are named.
  s = Apply("hp-2026", "P09", "李四", ValidIdNumber("34010419960202002"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << Describe(s);
  EXPECT_NE(s.error_message().find("post_id"), std::string::npos) << Describe(s);
  s = Apply("hp-2026", "P01", "李四", ValidIdNumber("34010419960202002"), nullptr, "kindergarten");
  EXPECT_NE(s.error_message().find("application.education"), std::string::npos) << Describe(s);

  client_->AdvanceTo(kMonday0900 + 5 * 86'400'000);
  EXPECT_EQ(Apply("hp-2026", "P01", "李四", ValidIdNumber("34010419960202002")).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  ASSERT_TRUE(Step(&v1::Recruitment::Stub::FinishReview, "hp-2026", kStreet, "", &c).ok());
  EXPECT_EQ(c.shortfalls_size(), 2);
  // Extend the window by a week: applications open again, then close again for review.
  v1::DecideShortfallRequest ext;
  ext.set_campaign_id("hp-2026");
  ext.set_extend_until("2026-03-13");
  grpc::ClientContext ctx;
  client_->Prepare(&ctx, kLeadingGroup);
  s = rec().DecideShortfall(&ctx, ext, &c);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(c.state(), "published");
  s = Apply("hp-2026", "P01", "李四", ValidIdNumber("34010419960202002"));
  EXPECT_TRUE(s.ok()) << Describe(s);
  client_->Advance("P7D");
  c = Get("hp-2026");
  EXPECT_EQ(c.state(), "applications_closed");
  ASSERT_EQ(c.open_steps_size(), 1);
  EXPECT_EQ(c.open_steps(0).step(), "review");
  EXPECT_EQ(c.funnel().applied(), 2);
}

TEST_F(RecruitmentTest, CampaignSurvivesKill9) {
  const std::vector<int64_t> p01 = ToRanked("hp-2026");
  const v1::Campaign before = Get("hp-2026");
  daemon_->Kill();
  client_.reset();
  StartDaemon();
  const v1::Campaign after = Get("hp-2026");
  EXPECT_EQ(after.state(), "checking");
  EXPECT_EQ(after.funnel().applied(), before.funnel().applied());
  EXPECT_EQ(after.funnel().interviewed(), before.funnel().interviewed());
  // Still one application per person after the replay.
  EXPECT_EQ(Apply("hp-2026", "P01", "王小明", ValidIdNumber("34010419950101001")).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

// ---- Personal data (shequ.v1.PersonalData) -------------------------------------------------

class PersonalDataTest : public RecruitmentTest {
 protected:
  // Restarts the daemon on the same data with `personal_data` (YAML lines) in its config.
  void RestartWithPersonalData(const std::string& personal_data) {
    const std::string config = dir_ + "/shequd.yaml";
    const std::string src = SHEQU_SOURCE_DIR;
    std::ofstream(config) << "auth: headers\nlisten: 127.0.0.1:0\nhttp: 127.0.0.1:0\n"
                          << "calendar_dir: " << src << "/config/calendar\n"
                          << "workflows_dir: " << src << "/config/workflows\n"
                          << "policy_dir: " << src << "/config/policy\n"
                          << "personal_data:\n" << personal_data;
    options_.config = config;
    StopDaemon();
    StartDaemon(options_);
  }
  // One record re-sealed per transaction, so that a re-seal takes many batches.
  void RestartWithSmallBatches() { RestartWithPersonalData("  reseal_batch: 1\n"); }

  grpc::Status Export(const std::string& id_number, json* doc, const Caller& as = kPersonnel) {
    v1::ExportPersonalDataRequest req;
    req.set_id_number(id_number);
    grpc::ClientContext ctx;
    client_->Prepare(&ctx, as);
    v1::ExportPersonalDataResponse out;
    auto s = pd()->Export(&ctx, req, &out);
    if (s.ok()) *doc = json::parse(out.document());
    return s;
  }
  v1::KeyStatus KeyStatus() {
    grpc::ClientContext ctx;
    client_->Prepare(&ctx, kPersonnel);
    v1::KeyStatus out;
    auto s = pd()->GetKeyStatus(&ctx, v1::KeyStatusRequest(), &out);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return out;
  }
  std::unique_ptr<v1::PersonalData::Stub> pd() {
    return v1::PersonalData::NewStub(daemon_->channel());
  }
  int64_t Hire() {
    const std::vector<int64_t> p01 = ToRanked("hp-2026");
    PassChecks("hp-2026", p01[1]);  // 李小红, ranked first
    EXPECT_TRUE(Step(&v1::Recruitment::Stub::StartNotice, "hp-2026", kStreet).ok());
    client_->Advance("P14D");
    const v1::Campaign c = Get("hp-2026");
    EXPECT_EQ(c.hired_workers_size(), 1);
    return c.hired_workers_size() ? c.hired_workers(0) : 0;
  }
  std::string WorkerName(int64_t id) { return GetWorker(id).name(); }

  // Short retention periods: workers 2 years after leaving, applicants not hired one month
  // after their campaign ended.
  void RestartWithShortRetention() {
    RestartWithPersonalData("  worker_retention_years: 2\n  applicant_retention_months: 1\n");
  }

  grpc::Status Erase(const std::string& id_number, const std::string& justification,
                     v1::ErasePersonalDataResponse* out = nullptr,
                     const Caller& as = kPersonnel) {
    v1::ErasePersonalDataRequest req;
    req.set_id_number(id_number);
    req.set_justification(justification);
    grpc::ClientContext ctx;
    client_->Prepare(&ctx, as);
    v1::ErasePersonalDataResponse ignored;
    return pd()->Erase(&ctx, req, out ? out : &ignored);
  }
  v1::Worker GetWorker(int64_t id) {
    v1::GetWorkerRequest req;
    req.set_id(id);
    grpc::ClientContext ctx;
    client_->Prepare(&ctx, kPersonnel);
    v1::Worker w;
    auto s = client_->stubs.workforce->GetWorker(&ctx, req, &w);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return w;
  }
  grpc::Status Leave(int64_t worker) {
    v1::ChangeWorkerStatusRequest req;
    req.set_worker_id(worker);
    req.set_status("left");
    req.set_reason("合同期满离职");
    grpc::ClientContext ctx;
    client_->Prepare(&ctx, kPersonnel);
    v1::Worker out;
    return client_->stubs.workforce->ChangeWorkerStatus(&ctx, req, &out);
  }
  // The applications of a campaign as personnel sees them, by id.
  std::map<int64_t, v1::Application> Applications(const std::string& campaign) {
    v1::ListApplicationsRequest req;
    req.set_campaign_id(campaign);
    grpc::ClientContext ctx;
    client_->Prepare(&ctx, kPersonnel);
    v1::ListApplicationsResponse out;
    auto s = rec().ListApplications(&ctx, req, &out);
    EXPECT_TRUE(s.ok()) << Describe(s);
    std::map<int64_t, v1::Application> by_id;
    for (const auto& a : out.applications()) by_id[a.id()] = a;
    return by_id;
  }
  // Whether an export of this number still finds something, waiting up to `seconds` for it to
  // find nothing (the retention sweep runs in the background).
  bool StillHeld(const std::string& id_number, int seconds) {
    json doc;
    for (int i = 0; i <= seconds * 10; ++i) {
      auto s = Export(id_number, &doc);
      EXPECT_TRUE(s.ok()) << Describe(s);
      if (doc.size() == 1) return false;
      if (i < seconds * 10) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return true;
  }
  std::vector<v1::AuditEntry> AuditOf(const std::string& method) {
    v1::ListAuditRequest req;
    req.set_method(method);
    grpc::ClientContext ctx;
    client_->Prepare(&ctx, {"root", "district-admin", ""});
    v1::ListAuditResponse out;
    auto s = v1::Audit::NewStub(daemon_->channel())->List(&ctx, req, &out);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return {out.entries().begin(), out.entries().end()};
  }

  DaemonProcess::Options options_;
};

TEST_F(PersonalDataTest, ExportFindsAWorkerAndAnApplicantByIdNumber) {
  const int64_t worker = Hire();
  ASSERT_GT(worker, 0);

  // The hired applicant: her worker record with its history, and her application.
  json doc;
  auto s = Export(ValidIdNumber("34010419960202002"), &doc);
  ASSERT_TRUE(s.ok()) << Describe(s);
  ASSERT_TRUE(doc.contains("workforce")) << doc.dump();
  const json& w = doc["workforce"]["workers"].at(0);
  EXPECT_EQ(w["worker"]["id"], worker);
  EXPECT_EQ(w["worker"]["personal"]["name"], "李小红");  // unmasked
  EXPECT_EQ(w["worker"]["personal"]["id_number"], ValidIdNumber("34010419960202002"));
  EXPECT_EQ(w["worker"]["unit_id"], "bh.hp.xf");
  ASSERT_FALSE(w["history"].empty());
  const json& a = doc["recruitment"]["applications"].at(0);
  EXPECT_EQ(a["campaign_id"], "hp-2026");
  EXPECT_EQ(a["personal"]["name"], "李小红");
  EXPECT_EQ(a["status"], "hired");
  EXPECT_EQ(a["written"], "88.5");
  EXPECT_EQ(a["interview"], "90");
  EXPECT_EQ(a["worker_id"], worker);
  EXPECT_FALSE(a["history"].empty());

  // An applicant who was not hired: only the application.
  s = Export(ValidIdNumber("34010419950101001"), &doc);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_FALSE(doc.contains("workforce"));
  EXPECT_EQ(doc["recruitment"]["applications"].at(0)["personal"]["name"], "王小明");
  // Nobody with this number: the document names only the number.
  s = Export(ValidIdNumber("34010419800101009"), &doc);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(doc, (json{{"id_number", ValidIdNumber("34010419800101009")}}));

  EXPECT_EQ(Export("3401041996", &doc).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // The street office sees personal data masked: it may not export it.
  EXPECT_EQ(Export(ValidIdNumber("34010419960202002"), &doc, kStreet).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(PersonalDataTest, RotationReSealsEverythingAndSurvivesARestartMidway) {
  RestartWithSmallBatches();
  const int64_t worker = Hire();
  ASSERT_GT(worker, 0);
  EXPECT_EQ(KeyStatus().current_key_id(), 1u);

  // Only the roles that see personal data rotate the key.
  {
    grpc::ClientContext ctx;
    client_->Prepare(&ctx, kStreet);
    v1::KeyStatus out;
    EXPECT_EQ(pd()->RotateKey(&ctx, v1::RotateKeyRequest(), &out).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  grpc::ClientContext ctx;
  client_->Prepare(&ctx, kPersonnel);
  v1::KeyStatus rotated;
  auto s = pd()->RotateKey(&ctx, v1::RotateKeyRequest(), &rotated);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(rotated.current_key_id(), 2u);
  EXPECT_EQ(rotated.key_ids_size(), 2);  // key 1 still opens what is not yet re-sealed

  // Killed while the re-seal runs: the restart opens both keys and goes on.
  daemon_->Kill();
  client_.reset();
  StartDaemon(options_);
  v1::KeyStatus status;
  for (int i = 0; i < 300; ++i) {
    status = KeyStatus();
    if (!status.resealing()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_FALSE(status.resealing()) << status.detail();
  EXPECT_EQ(status.current_key_id(), 2u);
  ASSERT_EQ(status.key_ids_size(), 1);
  EXPECT_EQ(status.key_ids(0), 2u);
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/personal-data.key.retired-1"));

  // Key 1 is gone from the ring: a start that reads every record proves none is left under it.
  StopDaemon();
  StartDaemon(options_);
  EXPECT_EQ(WorkerName(worker), "李小红");
  json doc;
  s = Export(ValidIdNumber("34010419950101001"), &doc);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(doc["recruitment"]["applications"].at(0)["personal"]["name"], "王小明");
  // Still one application per person after the replay.
  EXPECT_EQ(Apply("hp-2026", "P01", "王小明", ValidIdNumber("34010419950101001")).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  // The retired key alone no longer opens the data: DATA_LOSS at start, naming the key.
  StopDaemon();
  std::filesystem::copy_file(dir_ + "/personal-data.key.retired-1", dir_ + "/personal-data.key",
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::permissions(dir_ + "/personal-data.key", std::filesystem::perms::owner_read |
                                                                std::filesystem::perms::owner_write);
  DaemonProcess::Options wrong = options_;
  wrong.data_dir = dir_;
  std::string error;
  EXPECT_TRUE(DaemonProcess::Start(wrong, &error) == nullptr);
  EXPECT_NE(error.find("DATA_LOSS"), std::string::npos) << error;
  EXPECT_NE(error.find("key 2"), std::string::npos) << error;
}

// Erasure (PIPL art. 47): a worker who left is anonymised in every module at once, the records
// stay for statistics, and all of it holds after kill -9.
TEST_F(PersonalDataTest, ErasingAWorkerWhoLeftKeepsTheRecordsAndSurvivesKill9) {
  const int64_t worker = Hire();
  ASSERT_GT(worker, 0);
  const std::string li = ValidIdNumber("34010419960202002");
  const v1::Worker before = GetWorker(worker);

  // Employed: the records are kept, and the refusal says why.
  auto s = Erase(li, "本人申请，编号 2026-017");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(s);
  EXPECT_NE(s.error_message().find("employment records are kept while employed"),
            std::string::npos)
      << s.error_message();
  ASSERT_TRUE(Leave(worker).ok());
  // A justification is required, and only personnel and the administrator erase.
  s = Erase(li, "  ");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("justification"), std::string::npos) << s.error_message();
  EXPECT_EQ(Erase(li, "本人申请", nullptr, kStreet).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Erase("3401041996", "本人申请").error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  v1::ErasePersonalDataResponse erased;
  s = Erase(li, "本人申请，编号 2026-017", &erased);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(erased.records(), 2);  // the worker record and the application
  EXPECT_EQ(std::vector<std::string>(erased.modules().begin(), erased.modules().end()),
            (std::vector<std::string>{"workforce", "recruitment"}));
  // Nothing left to erase.
  EXPECT_EQ(Erase(li, "本人申请").error_code(), grpc::StatusCode::NOT_FOUND);

  auto check = [&] {
    json doc;
    auto st = Export(li, &doc);
    ASSERT_TRUE(st.ok()) << Describe(st);
    EXPECT_EQ(doc, (json{{"id_number", li}}));
    const v1::Worker w = GetWorker(worker);
    EXPECT_EQ(w.name(), "[erased]");
    EXPECT_FALSE(w.erased_on().empty());
    EXPECT_EQ(w.id_number(), "");
    EXPECT_EQ(w.phone(), "");
    EXPECT_EQ(w.birth_date(), "");
    EXPECT_EQ(w.grade(), before.grade());
    EXPECT_EQ(w.unit_id(), before.unit_id());
    EXPECT_EQ(w.hired_on(), before.hired_on());
    EXPECT_EQ(w.status(), "left");
    const v1::Campaign c = Get("hp-2026");
    EXPECT_EQ(c.state(), "done");
    EXPECT_EQ(c.funnel().hired(), 1);
    ASSERT_EQ(c.hired_workers_size(), 1);
    EXPECT_EQ(c.hired_workers(0), worker);
    int erased_apps = 0;
    for (const auto& [id, a] : Applications("hp-2026")) {
      if (!a.erased()) continue;
      ++erased_apps;
      EXPECT_EQ(a.name(), "[erased]");
      EXPECT_EQ(a.id_number(), "");
      EXPECT_EQ(a.status(), "hired");
      EXPECT_EQ(a.interview(), "90");  // the scores stay
    }
    EXPECT_EQ(erased_apps, 1);
  };
  check();
  // The audit entry of the call names what was written, never the number.
  std::vector<v1::AuditEntry> done;
  for (const auto& e : AuditOf("shequ.v1.PersonalData/Erase")) {
    if (e.outcome() == "ok") done.push_back(e);  // the street office's refusal is there too
  }
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].principal(), kPersonnel.user);
  EXPECT_GE(done[0].resources_size(), 2);
  for (const auto& r : done[0].resources()) {
    EXPECT_EQ(r.find(li), std::string::npos) << r;
    EXPECT_EQ(r.find(li.substr(6, 8)), std::string::npos) << r;
  }
  EXPECT_EQ(done[0].detail().find(li), std::string::npos);
  // An erased record changes no more: it is there for the statistics.
  {
    v1::ChangeWorkerStatusRequest req;
    req.set_worker_id(worker);
    req.set_status("on_post");
    req.set_reason("返聘");
    grpc::ClientContext ctx;
    client_->Prepare(&ctx, kPersonnel);
    v1::Worker out;
    EXPECT_EQ(client_->stubs.workforce->ChangeWorkerStatus(&ctx, req, &out).error_code(),
              grpc::StatusCode::FAILED_PRECONDITION);
  }

  daemon_->Kill();
  client_.reset();
  StartDaemon();
  check();
}

// An applicant is erased once the campaign no longer needs the data; the campaign's log, with a
// stand-in number per erased application, replays to the same campaign after kill -9 and its
// one-application rule still holds.
TEST_F(PersonalDataTest, ErasedApplicantsKeepTheCampaignReplayingAndItsDuplicateCheck) {
  const std::vector<int64_t> p01 = ToRanked("hp-2026");
  const v1::Campaign before = Get("hp-2026");
  ASSERT_EQ(before.state(), "checking");
  // 王小明 is ranked: a reserve the campaign may still promote.
  auto s = Erase(ValidIdNumber("34010419950101001"), "本人申请");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(s);
  EXPECT_NE(s.error_message().find("campaign hp-2026"), std::string::npos) << s.error_message();
  EXPECT_NE(s.error_message().find("ranked"), std::string::npos) << s.error_message();
  // Out of the competition: 陈老 (too old), 刘芳 (absent from the written exam), and 赵一 and
  // 钱二, whose post was cut. Two of them share nothing but the campaign: each gets its own
  // stand-in.
  const std::vector<std::string> out = {ValidIdNumber("34010419700505005"),
                                        ValidIdNumber("34010419980404004"),
                                        ValidIdNumber("34010419950606006"),
                                        ValidIdNumber("34010419950707007")};
  for (const auto& number : out) {
    v1::ErasePersonalDataResponse r;
    s = Erase(number, "招聘结束，申请人书面申请删除", &r);
    ASSERT_TRUE(s.ok()) << Describe(s);
    EXPECT_EQ(r.records(), 1);
    ASSERT_EQ(r.modules_size(), 1);
    EXPECT_EQ(r.modules(0), "recruitment");
  }

  auto check = [&] {
    const v1::Campaign c = Get("hp-2026");
    EXPECT_EQ(c.state(), "checking");
    EXPECT_EQ(c.funnel().applied(), before.funnel().applied());
    EXPECT_EQ(c.funnel().eligible(), before.funnel().eligible());
    EXPECT_EQ(c.funnel().examined(), before.funnel().examined());
    EXPECT_EQ(c.funnel().interviewed(), before.funnel().interviewed());
    const auto apps = Applications("hp-2026");
    ASSERT_EQ(apps.size(), 7u);
    int erased = 0;
    for (const auto& [id, a] : apps) {
      if (a.erased()) {
        ++erased;
        EXPECT_EQ(a.name(), "[erased]");
        EXPECT_EQ(a.id_number(), "");
        EXPECT_EQ(a.phone(), "");
      }
    }
    EXPECT_EQ(erased, 4);
    EXPECT_FALSE(apps.at(p01[0]).erased());
    EXPECT_EQ(apps.at(p01[0]).name(), "王小明");
    EXPECT_TRUE(apps.at(p01[3]).erased());
    EXPECT_EQ(apps.at(p01[3]).status(), "written_absent");
    EXPECT_TRUE(apps.at(p01[4]).erased());
    EXPECT_EQ(apps.at(p01[4]).status(), "ineligible");
    for (const auto& number : out) {
      json doc;
      auto st = Export(number, &doc);
      ASSERT_TRUE(st.ok()) << Describe(st);
      EXPECT_EQ(doc, (json{{"id_number", number}}));
    }
    // The campaign goes on: 李小红, ranked first, through her checks.
    PassChecks("hp-2026", p01[1]);
  };
  check();
  daemon_->Kill();
  client_.reset();
  StartDaemon();
  {
    const auto apps = Applications("hp-2026");
    EXPECT_TRUE(apps.at(p01[4]).erased());
    EXPECT_EQ(apps.at(p01[1]).physical(), "passed");
  }

  // The one-application rule: erasure forgets the person. In a later campaign the same number
  // applies like anyone else's, once, and while that campaign takes applications its data is
  // needed again.
  v1::Campaign next;
  s = Create("hp-2026b", &next, 1, 0, [](v1::CampaignSpec& c) {
    c.mutable_posts()->RemoveLast();
    c.set_opens("2026-04-01");
    c.set_closes("2026-04-10");
  });
  ASSERT_TRUE(s.ok()) << Describe(s);
  ASSERT_TRUE(
      Step(&v1::Recruitment::Stub::ApproveCampaign, "hp-2026b", kLeadingGroup, "approved").ok());
  client_->AdvanceTo(kMonday0900 + int64_t{31} * 86'400'000);  // 2026-04-02
  s = Apply("hp-2026b", "P01", "刘芳", ValidIdNumber("34010419980404004"));
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(Apply("hp-2026b", "P01", "刘芳", ValidIdNumber("34010419980404004")).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  s = Erase(ValidIdNumber("34010419980404004"), "本人申请");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(s);
  EXPECT_NE(s.error_message().find("campaign hp-2026b is published"), std::string::npos)
      << s.error_message();
  // And still one application per person in the first campaign's replayed rule (its window is
  // over, so the window refuses first; the log replays through a second restart).
  StopDaemon();
  StartDaemon();
  EXPECT_EQ(Apply("hp-2026b", "P01", "刘芳", ValidIdNumber("34010419980404004")).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_TRUE(Applications("hp-2026").at(p01[3]).erased());
}

// The retention sweep on the fake clock: applicants not hired a month after their campaign
// ended, a worker two years after leaving; nothing before.
TEST_F(PersonalDataTest, RetentionSweepErasesWhatOutlivedItsPeriod) {
  RestartWithShortRetention();
  const int64_t worker = Hire();
  ASSERT_GT(worker, 0);
  ASSERT_EQ(Get("hp-2026").state(), "done");
  const std::string wang = ValidIdNumber("34010419950101001");  // ranked, not hired
  const std::string li = ValidIdNumber("34010419960202002");    // hired

  client_->Advance("P20D");
  EXPECT_TRUE(StillHeld(wang, 3));
  client_->Advance("P15D");
  EXPECT_FALSE(StillHeld(wang, 10));
  EXPECT_FALSE(StillHeld(ValidIdNumber("34010419700505005"), 1));
  // The hired applicant is a worker on post: kept, her application with her.
  json doc;
  ASSERT_TRUE(Export(li, &doc).ok());
  EXPECT_TRUE(doc.contains("workforce"));
  EXPECT_TRUE(doc.contains("recruitment"));

  ASSERT_TRUE(Leave(worker).ok());
  client_->Advance("P700D");
  EXPECT_TRUE(StillHeld(li, 3));
  client_->Advance("P40D");
  EXPECT_FALSE(StillHeld(li, 10));
  EXPECT_EQ(GetWorker(worker).name(), "[erased]");
  // Audited under the daemon's own name.
  const auto entries = AuditOf("shequd/PersonalDataRetention");
  EXPECT_GE(entries.size(), 7u);  // six applicants, one worker
  for (const auto& e : entries) EXPECT_EQ(e.principal(), "shequd");
}

}  // namespace
}  // namespace shequ::testing
