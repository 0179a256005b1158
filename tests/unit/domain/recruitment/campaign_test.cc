#include "daemon/domain/recruitment/campaign.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/domain/recruitment/recruitment_test_util.h"

namespace shequ::domain::recruitment {
namespace {

using testing::DefaultPolicy;
using workforce::Education;
using workforce::testing::DefaultGrades;
using workforce::testing::DefaultQuota;
using workforce::testing::Fails;
using workforce::testing::IdNumber;
using Code = absl::StatusCode;

constexpr int64_t kDay = 86'400'000;

// Campaign zp2026 of street bh.a: post P01 (1 assistant at community c1) and P02 (2 at c2);
// applications 2026-04-01 to 2026-04-15; ages 18–35 on 2026-04-15, college or higher.
class CampaignTest : public ::testing::Test {
 protected:
  CampaignTest() : reg_(DefaultQuota(), DefaultGrades()) {}

  void SetUp() override {
    using workforce::Unit;
    using workforce::UnitKind;
    auto unit = [&](std::string id, std::string parent, UnitKind kind) {
      Unit u;
      u.id = id;
      u.parent_id = parent;
      u.name = "单位" + id;
      u.kind = kind;
      u.unit_class = kind == UnitKind::kStreet ? 1 : 0;
      if (kind == UnitKind::kCommunity)
        u.community_type = workforce::CommunityType::kUrbanCommunity;
      ASSERT_TRUE(reg_.CreateUnit(u, "2026-01-01").ok());
    };
    unit("bh", "", UnitKind::kDistrict);
    unit("bh.a", "bh", UnitKind::kStreet);
    unit("bh.a.c1", "bh.a", UnitKind::kCommunity);
    unit("bh.a.c2", "bh.a", UnitKind::kCommunity);
    ASSERT_TRUE(reg_.ReviseQuota("bh.a.c1", 3, "2025-01-01", "核定", "编委", "t").ok());
    ASSERT_TRUE(reg_.ReviseQuota("bh.a.c2", 4, "2025-01-01", "核定", "编委", "t").ok());

    CampaignSpec spec;
    spec.id = "zp2026";
    spec.street_unit_id = "bh.a";
    spec.title = "2026年包河区社区工作者招聘";
    spec.posts = {{"P01", "bh.a.c1", "assistant", 1}, {"P02", "bh.a.c2", "assistant", 2}};
    spec.requirements = DefaultRequirements(DefaultPolicy());
    spec.opens = "2026-04-01";
    spec.closes = "2026-04-15";
    auto c = Campaign::Create(spec, DefaultPolicy(), 0);
    ASSERT_TRUE(c.ok()) << c.status();
    campaign_.emplace(std::move(*c));
  }

  Campaign& c() { return *campaign_; }

  static Application App(int seq, const std::string& post, const char* birth = "19950101",
                         Education edu = Education::kBachelor) {
    Application a;
    a.personal = {"申请人" + std::to_string(seq), IdNumber(seq, birth), "13900001111"};
    a.education = edu;
    a.source = Source::kGraduate;
    a.post_id = post;
    a.applied_at_ms = 1'000 * seq;
    return a;
  }

  void Open() {
    ASSERT_TRUE(reg_.ReserveQuotas("zp2026", c().QuotaNeeded(), "2026-03-20").ok());
    ASSERT_TRUE(c().Approve(1 * kDay).ok());
    ASSERT_TRUE(c().Publish(2 * kDay).ok());
  }
  int64_t Apply(Application a, const char* today = "2026-04-05") {
    auto id = c().Apply(std::move(a), today);
    EXPECT_TRUE(id.ok()) << id.status();
    return id.ok() ? *id : 0;
  }
  // n applicants to each post: P01 gets seq 1..n, P02 seq 101..100+n.
  void Applicants(int p01, int p02) {
    for (int i = 1; i <= p01; ++i) Apply(App(i, "P01"));
    for (int i = 1; i <= p02; ++i) Apply(App(100 + i, "P02"));
  }
  void ToEligibilityReviewed() {
    ASSERT_TRUE(c().CloseApplications("2026-04-16", 20 * kDay).ok());
    ASSERT_TRUE(c().FinishEligibilityReview(21 * kDay).ok());
  }
  void Scores(ScoreKind kind, const std::vector<std::pair<int64_t, double>>& s) {
    std::vector<ScoreEntry> entries;
    for (auto [id, v] : s) entries.push_back({id, static_cast<Tenths>(v * 10 + 0.5)});
    auto st = c().RecordScores(kind, entries);
    ASSERT_TRUE(st.ok()) << st;
  }

  workforce::Registry reg_;
  std::optional<Campaign> campaign_;
};

TEST_F(CampaignTest, CreateValidatesTheAnnouncement) {
  CampaignSpec spec = c().spec();
  spec.posts.push_back({"P01", "bh.a.c1", "assistant", 1});
  EXPECT_TRUE(Fails(Campaign::Create(spec, DefaultPolicy(), 0).status(), Code::kInvalidArgument,
                    "campaign.posts[2].id: 'P01' is listed twice"));
  spec = c().spec();
  spec.closes = "2026-03-01";
  EXPECT_TRUE(Fails(Campaign::Create(spec, DefaultPolicy(), 0).status(), Code::kInvalidArgument,
                    "campaign.closes: is before opens"));
  spec = c().spec();
  spec.posts[1].count = 0;
  EXPECT_TRUE(Fails(Campaign::Create(spec, DefaultPolicy(), 0).status(), Code::kInvalidArgument,
                    "campaign.posts[1].count"));
  EXPECT_EQ(c().QuotaNeeded(),
            (std::vector<std::pair<std::string, int>>{{"bh.a.c1", 1}, {"bh.a.c2", 2}}));
}

TEST_F(CampaignTest, StepsOutOfOrderNameTheState) {
  EXPECT_TRUE(Fails(c().Publish(0), Code::kFailedPrecondition,
                    "publish: campaign zp2026 is draft, needs approved"));
  EXPECT_TRUE(Fails(c().Apply(App(1, "P01"), "2026-04-05").status(), Code::kFailedPrecondition,
                    "is draft, needs published"));
  Open();
  EXPECT_TRUE(Fails(c().Rank(0), Code::kFailedPrecondition, "is published, needs interviewed"));
  EXPECT_TRUE(Fails(c().Shortlist(0).status(), Code::kFailedPrecondition, "needs written_scored"));
}

TEST_F(CampaignTest, ApplicationWindowAndOnePersonOnce) {
  Open();
  EXPECT_TRUE(Fails(c().Apply(App(1, "P01"), "2026-03-31").status(), Code::kFailedPrecondition,
                    "the application window is 2026-04-01 to 2026-04-15; 2026-03-31 is outside"));
  EXPECT_TRUE(Fails(c().Apply(App(1, "P01"), "2026-04-16").status(), Code::kFailedPrecondition,
                    "2026-04-16 is outside"));
  EXPECT_EQ(Apply(App(1, "P01"), "2026-04-15"), 1);
  // The same person again, even for another post: refused, the number masked.
  Application again = App(1, "P02");
  const std::string number = again.personal.id_number;
  auto dup = c().Apply(again, "2026-04-15");
  EXPECT_TRUE(Fails(dup.status(), Code::kAlreadyExists,
                    "application.id_number: " + workforce::MaskIdNumber(number) +
                        " has already applied to campaign zp2026"));
  EXPECT_EQ(std::string(dup.status().message()).find(number), std::string::npos);
  // Bad personal data names the field; unknown posts and categories are refused.
  Application bad = App(2, "P01");
  bad.personal.id_number[17] = bad.personal.id_number[17] == '1' ? '2' : '1';
  EXPECT_TRUE(Fails(c().Apply(bad, "2026-04-05").status(), Code::kInvalidArgument,
                    "application.id_number: check digit"));
  bad = App(2, "P01");
  bad.personal.phone = "12345";
  EXPECT_TRUE(
      Fails(c().Apply(bad, "2026-04-05").status(), Code::kInvalidArgument, "application.phone"));
  bad = App(2, "P09");
  EXPECT_TRUE(Fails(c().Apply(bad, "2026-04-05").status(), Code::kNotFound, "P09"));
  bad = App(2, "P01");
  bad.categories = {"nope"};
  EXPECT_TRUE(Fails(c().Apply(bad, "2026-04-05").status(), Code::kInvalidArgument,
                    "unknown bonus category 'nope'"));
  bad = App(2, "P01");
  bad.community_since = "2026-04-06";
  EXPECT_TRUE(Fails(c().Apply(bad, "2026-04-05").status(), Code::kInvalidArgument,
                    "application.community_since: 2026-04-06 is after today"));
  bad.community_since = "2019/06/01";
  EXPECT_TRUE(Fails(c().Apply(bad, "2026-04-05").status(), Code::kInvalidArgument,
                    "application.community_since: not a date"));
  EXPECT_EQ(c().applications().size(), 1u);
}

TEST_F(CampaignTest, DedupeKeyComesFromTheHook) {
  CampaignSpec spec = c().spec();
  int calls = 0;
  // A blind index that maps everyone born in 1995 to one key.
  auto hook = [&calls](std::string_view number) {
    ++calls;
    return std::string("blind:") + std::string(number.substr(6, 4));
  };
  auto made = Campaign::Create(spec, DefaultPolicy(), 0, hook);
  ASSERT_TRUE(made.ok());
  Campaign other = std::move(*made);
  ASSERT_TRUE(other.Approve(0).ok());
  ASSERT_TRUE(other.Publish(0).ok());
  EXPECT_TRUE(other.Apply(App(1, "P01"), "2026-04-05").ok());
  EXPECT_TRUE(Fails(other.Apply(App(2, "P01"), "2026-04-05").status(), Code::kAlreadyExists,
                    "already applied"));
  EXPECT_TRUE(other.Apply(App(3, "P01", "19960101"), "2026-04-05").ok());
  EXPECT_EQ(calls, 3);
}

TEST_F(CampaignTest, EligibilityRulesAndHumanReview) {
  CampaignSpec spec = c().spec();
  spec.requirements.certificates = {"助理社会工作师"};
  spec.requirements.other_conditions = "本区户籍";
  campaign_.emplace(*Campaign::Create(spec, DefaultPolicy(), 0));
  Open();
  Application ok = App(1, "P01");
  ok.certificates = {"社会工作师"};             // a higher level satisfies the lower requirement
  Application old = App(2, "P01", "19900415");  // 36 on 2026-04-15
  old.certificates = {"assistant_social_worker"};
  Application young = App(3, "P01", "19900416");  // still 35 on 2026-04-15
  young.certificates = {"assistant_social_worker"};
  Application school = App(4, "P01", "19950101", Education::kSecondary);
  const int64_t a1 = Apply(ok), a2 = Apply(old), a3 = Apply(young), a4 = Apply(school);
  EXPECT_TRUE(Fails(c().Review(a1, true, "", "审核员"), Code::kFailedPrecondition,
                    "needs applications_closed"));
  EXPECT_TRUE(Fails(c().CloseApplications("2026-04-15", 0), Code::kFailedPrecondition,
                    "the window runs to 2026-04-15 inclusive"));
  ASSERT_TRUE(c().CloseApplications("2026-04-16", 0).ok());
  EXPECT_EQ(c().Get(a1)->status, CandidateStatus::kEligible);
  EXPECT_EQ(c().Get(a3)->status, CandidateStatus::kEligible);
  EXPECT_EQ(c().Get(a2)->status, CandidateStatus::kIneligible);
  EXPECT_EQ(
      c().Get(a2)->refusals,
      std::vector<std::string>{"年龄不符合要求：报名截止日(2026-04-15)时36周岁，要求18至35周岁"});
  const auto r4 = c().Get(a4)->refusals;
  ASSERT_EQ(r4.size(), 2u);
  EXPECT_EQ(r4[0], "学历不符合要求：中专，要求大专及以上");
  EXPECT_EQ(r4[1], "缺少要求的证书：助理社会工作师");
  // The human review: refusing needs a reason the applicant sees; so does overturning.
  EXPECT_TRUE(Fails(c().Review(a1, false, "", "审核员"), Code::kInvalidArgument, "reason"));
  EXPECT_TRUE(Fails(c().Review(a2, true, " ", "审核员"), Code::kInvalidArgument,
                    "reason: required to overturn"));
  ASSERT_TRUE(c().Review(a1, false, "不符合“本区户籍”条件", "审核员").ok());
  EXPECT_EQ(c().Get(a1)->refusals, std::vector<std::string>{"不符合“本区户籍”条件"});
  ASSERT_TRUE(c().Review(a4, true, "持有同等学力证明，经复核认定", "审核员").ok());
  EXPECT_EQ(c().Get(a4)->status, CandidateStatus::kEligible);
  EXPECT_TRUE(c().Get(a4)->refusals.empty());
  EXPECT_TRUE(c().Review(a3, true, "", "审核员").ok());  // confirming needs no reason
  EXPECT_TRUE(Fails(c().Review(99, true, "", "x"), Code::kNotFound, "application 99"));
}

TEST_F(CampaignTest, LowApplicantRatioCutsPostsOrExtendsTheWindow) {
  Open();
  Applicants(3, 4);  // P01: 3 for 1 post (enough); P02: 4 for 2 posts (needs 6)
  ASSERT_TRUE(c().CloseApplications("2026-04-16", 20 * kDay).ok());
  auto shortfalls = c().Shortfalls();
  ASSERT_EQ(shortfalls.size(), 1u);
  EXPECT_EQ(shortfalls[0].post_id, "P02");
  EXPECT_EQ(shortfalls[0].eligible, 4);
  EXPECT_EQ(shortfalls[0].needed, 6);
  EXPECT_TRUE(Fails(c().FinishEligibilityReview(0), Code::kFailedPrecondition,
                    "post P02: 4 eligible applicants for 2 posts, the policy needs 6 (3 per "
                    "post): cut posts or extend the window"));
  // Extending reopens applications; two more come in and the check passes.
  EXPECT_TRUE(Fails(c().ExtendWindow("2026-04-10", 0), Code::kInvalidArgument, "closes"));
  ASSERT_TRUE(c().ExtendWindow("2026-04-25", 21 * kDay).ok());
  EXPECT_EQ(c().state(), CampaignState::kPublished);
  Apply(App(105, "P02"), "2026-04-20");
  Apply(App(106, "P02"), "2026-04-25");
  ASSERT_TRUE(c().CloseApplications("2026-04-26", 30 * kDay).ok());
  EXPECT_TRUE(c().Shortfalls().empty());

  // The other decision: cutting a post releases its reservation in the registry.
  Applicants(0, 0);
  ASSERT_TRUE(c().ExtendWindow("2026-04-30", 31 * kDay).ok());
  ASSERT_TRUE(c().CloseApplications("2026-05-01", 32 * kDay).ok());
  EXPECT_TRUE(Fails(c().CutPosts("P02", 2).status(), Code::kInvalidArgument, "count"));
  auto cut = c().CutPosts("P02", 1);
  ASSERT_TRUE(cut.ok());
  EXPECT_EQ(cut->unit_id, "bh.a.c2");
  EXPECT_EQ(cut->released, 1);
  ASSERT_TRUE(reg_.ReleaseReservation("zp2026", cut->unit_id, cut->released, "2026-05-01").ok());
  EXPECT_EQ(reg_.ReservedPosts("bh.a.c2"), 1);
  EXPECT_TRUE(c().FinishEligibilityReview(33 * kDay).ok());
}

// Dropping a post takes its applicants out of the competition with a reason they see; they no
// longer count as eligible and cannot be reviewed back in.
TEST_F(CampaignTest, ApplicantsOfADroppedPostAreOutWithTheReason) {
  Open();
  Applicants(3, 4);  // ids 1–3 for P01, 4–7 for P02 (2 posts, needs 6)
  ASSERT_TRUE(c().CloseApplications("2026-04-16", 20 * kDay).ok());
  ASSERT_TRUE(c().CutPosts("P02", 0).ok());
  for (int64_t id = 4; id <= 7; ++id) {
    auto a = c().Get(id);
    ASSERT_TRUE(a.ok()) << a.status();
    EXPECT_EQ(CandidateStatusName(a->status), "post_cancelled");
    ASSERT_FALSE(a->refusals.empty());
    EXPECT_EQ(a->refusals.back(), "报考岗位P02因开考比例不足取消");
  }
  EXPECT_EQ(CandidateStatusName(c().Get(1)->status), "eligible");
  EXPECT_EQ(c().GetFunnel(20 * kDay).eligible, 3);
  EXPECT_TRUE(Fails(c().Review(4, true, "复核", "li"), Code::kFailedPrecondition,
                    "application 4: its post P02 was cancelled"));
  EXPECT_TRUE(c().FinishEligibilityReview(21 * kDay).ok());
}

TEST_F(CampaignTest, ScoresAreAllOrNothingFromCsv) {
  Open();
  Applicants(3, 6);
  ToEligibilityReviewed();
  const std::string p1 = IdNumber(1, "19950101"), p2 = IdNumber(2, "19950101");
  // Interview scores are not due yet.
  EXPECT_TRUE(Fails(c().ImportScoresCsv("报名号,面试成绩\n1,80\n"), Code::kFailedPrecondition,
                    "is not due"));
  // Row 3 names someone who never applied: nothing of rows 1–2 is kept.
  const std::string stranger = IdNumber(77, "19950101");
  EXPECT_TRUE(Fails(c().ImportScoresCsv("姓名,身份证号,笔试成绩\n甲," + p1 + ",80\n乙," + p2 +
                                        ",81.5\n丙," + stranger + ",70\n"),
                    Code::kNotFound,
                    "row 3 (line 4), column 身份证号: " + workforce::MaskIdNumber(stranger) +
                        " has not applied to campaign zp2026"));
  EXPECT_FALSE(c().Get(1)->written.has_value());
  // Out of range, and more than one decimal place.
  EXPECT_TRUE(Fails(c().ImportScoresCsv("报名号,笔试成绩\n1,80\n2,100.5\n"), Code::kInvalidArgument,
                    "row 2 (line 3), column 笔试成绩: 100.5 is outside 0–100"));
  EXPECT_TRUE(Fails(c().ImportScoresCsv("application_id,written\n1,80.25\n"),
                    Code::kInvalidArgument,
                    "row 1 (line 2), column written: '80.25' is not a score"));
  EXPECT_TRUE(Fails(c().ImportScoresCsv("报名号,笔试成绩\n1,80\n99,70\n"), Code::kNotFound,
                    "row 2 (line 3), column 报名号: no application 99"));
  EXPECT_TRUE(Fails(c().ImportScoresCsv("报名号,笔试成绩\n1,80\n1,70\n"), Code::kInvalidArgument,
                    "row 2 (line 3), column 报名号: application 1 appears "
                    "twice"));
  EXPECT_TRUE(Fails(c().ImportScoresCsv("报名号,成绩\n1,80\n"), Code::kInvalidArgument,
                    "unknown column '成绩'"));
  EXPECT_FALSE(c().Get(1)->written.has_value());
  EXPECT_TRUE(Fails(c().RecordScores(ScoreKind::kWritten, {{1, 800}, {2, -10}}),
                    Code::kInvalidArgument, "scores[1].written: -1 is outside 0–100"));
  EXPECT_FALSE(c().Get(1)->written.has_value());
  // A good file: by ID number or application id; blank or 缺考 is absent.
  ASSERT_TRUE(
      c().ImportScoresCsv("\xEF\xBB\xBF身份证号,笔试成绩\r\n" + p1 + ",80\r\n" + p2 + ",81.5\r\n")
          .ok());
  ASSERT_TRUE(
      c().ImportScoresCsv("报名号,笔试成绩\n3,缺考\n4,90\n5,\n6,77\n7,76\n8,75\n9,74\n").ok());
  EXPECT_EQ(c().Get(2)->written, 815);
  EXPECT_EQ(c().Get(3)->status, CandidateStatus::kWrittenAbsent);
  EXPECT_EQ(c().Get(5)->status, CandidateStatus::kWrittenAbsent);
  ASSERT_TRUE(c().FinishWrittenScores(22 * kDay).ok());
  ASSERT_TRUE(c().Shortlist(23 * kDay).ok());
  // Interview scores only for the shortlisted.
  EXPECT_TRUE(Fails(c().ImportScoresCsv("报名号,面试成绩\n3,80\n"), Code::kFailedPrecondition,
                    "row 1 (line 2): application 3 is written_absent, not shortlisted"));
}

TEST_F(CampaignTest, ShortlistTakesEveryoneTiedAtTheCutLine) {
  Open();
  Applicants(5, 7);
  ToEligibilityReviewed();
  // P01 (1 post × 3): 90, 85, 80, 80, 70 → the cut line is 80 and both 80s go through.
  Scores(ScoreKind::kWritten, {{1, 90}, {2, 85}, {3, 80}, {4, 80}, {5, 70}});
  // P02 (2 posts × 3 = 6 of 7): 60 … 66.5; the lowest is out.
  Scores(ScoreKind::kWritten, {{6, 60}, {7, 61}, {8, 62}, {9, 63}, {10, 64}, {11, 65}, {12, 66.5}});
  EXPECT_TRUE(Fails(c().Shortlist(0).status(), Code::kFailedPrecondition, "written_scored"));
  ASSERT_TRUE(c().FinishWrittenScores(0).ok());
  auto r = c().Shortlist(0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].quota, 3);
  EXPECT_EQ((*r)[0].cut_line, 800);
  EXPECT_EQ((*r)[0].through, 4);
  EXPECT_EQ((*r)[1].through, 6);
  EXPECT_EQ((*r)[1].cut_line, 610);
  EXPECT_EQ(c().Get(4)->status, CandidateStatus::kShortlisted);
  EXPECT_EQ(c().Get(5)->status, CandidateStatus::kNotShortlisted);
  EXPECT_EQ(c().Get(6)->status, CandidateStatus::kNotShortlisted);
  EXPECT_TRUE(Fails(c().FinishInterviews(0), Code::kFailedPrecondition,
                    "shortlisted applicants have no interview score"));
}

// Drives P01 to ranked with written/interview per applicant and returns its ranking.
class RankingTest : public CampaignTest {
 protected:
  std::vector<int64_t> RankP01(const std::vector<Application>& apps,
                               const std::vector<std::pair<double, double>>& scores) {
    Open();
    for (const Application& a : apps) Apply(a);
    Applicants(0, 6);
    ToEligibilityReviewed();
    std::vector<std::pair<int64_t, double>> written, interview;
    for (size_t i = 0; i < scores.size(); ++i) {
      written.emplace_back(i + 1, scores[i].first);
      interview.emplace_back(i + 1, scores[i].second);
    }
    for (int64_t id = apps.size() + 1; id <= static_cast<int64_t>(apps.size()) + 6; ++id) {
      written.emplace_back(id, 60);
      interview.emplace_back(id, 60);
    }
    Scores(ScoreKind::kWritten, written);
    EXPECT_TRUE(c().FinishWrittenScores(0).ok());
    EXPECT_TRUE(c().Shortlist(0).ok());
    std::vector<std::pair<int64_t, double>> shortlisted;
    for (auto [id, v] : interview) {
      if (c().Get(id)->status == CandidateStatus::kShortlisted) shortlisted.emplace_back(id, v);
    }
    Scores(ScoreKind::kInterview, shortlisted);
    EXPECT_TRUE(c().FinishInterviews(0).ok());
    EXPECT_TRUE(c().Rank(0).ok());
    return *c().Ranking("P01");
  }
};

TEST_F(RankingTest, LargestBonusAppliesNotTheSum) {
  Application all = App(1, "P01");  // social worker 2 + veteran 2 + experience 1: gets 2
  all.certificates = {"社会工作师"};
  all.source = Source::kVeteran;
  all.categories = {"community_experience"};
  Application senior = App(2, "P01");  // senior social worker: 3
  senior.certificates = {"senior_social_worker", "assistant_social_worker"};
  Application none = App(3, "P01");
  auto ranking = RankP01({all, senior, none}, {{80, 80}, {80, 80}, {82, 82}});
  EXPECT_EQ(c().Get(1)->bonus, 20);
  EXPECT_EQ(c().Get(1)->bonus_for, "social_worker");
  EXPECT_EQ(c().Get(2)->bonus, 30);
  EXPECT_EQ(c().Get(3)->bonus, 0);
  // Composites: 80 + 2 = 82, 80 + 3 = 83, 82.
  EXPECT_EQ(c().Get(1)->composite_milli, 82'000);
  EXPECT_EQ(c().Get(2)->composite_milli, 83'000);
  EXPECT_EQ(c().Get(3)->composite_milli, 82'000);
  // 82 vs 82: written decides (82 > 80).
  EXPECT_EQ(ranking, (std::vector<int64_t>{2, 3, 1}));
  EXPECT_EQ(c().Get(2)->status, CandidateStatus::kSelected);
  EXPECT_EQ(c().Get(3)->status, CandidateStatus::kRanked);
  EXPECT_EQ(c().Get(3)->rank, 2);
}

TEST_F(RankingTest, TieBreakingIsATotalOrder) {
  // All five have composite 80. 1 wins on the written score (82 / 78); 2–5 tie on written and
  // interview too, so the certificate holder (3) comes next, then the earlier applications
  // (4 and 5 at the same instant: the lower id first), then 2. Certificates earn no bonus here,
  // so the composite stays equal.
  RecruitmentPolicy p = DefaultPolicy();
  p.certificate_bonus.clear();
  CampaignSpec spec = c().spec();
  campaign_.emplace(*Campaign::Create(spec, p, 0));
  Application a1 = App(1, "P01"), a2 = App(2, "P01"), a3 = App(3, "P01"), a4 = App(4, "P01"),
              a5 = App(5, "P01");
  a3.certificates = {"assistant_social_worker"};
  a2.applied_at_ms = 5'000;  // later than 4 (4'000)
  a4.applied_at_ms = 4'000;
  a5.applied_at_ms = 4'000;  // same time as 4: the lower id (4) first
  a1.applied_at_ms = 9'000;
  auto ranking = RankP01({a1, a2, a3, a4, a5}, {{82, 78}, {80, 80}, {80, 80}, {80, 80}, {80, 80}});
  for (int64_t id = 1; id <= 5; ++id) EXPECT_EQ(c().Get(id)->composite_milli, 80'000) << id;
  EXPECT_EQ(ranking, (std::vector<int64_t>{1, 3, 4, 5, 2}));
}

// The whole back half: checks, promotion, notice, objections and the hire into the quota.
class BackHalfTest : public CampaignTest {
 protected:
  void SetUp() override {
    CampaignTest::SetUp();
    Open();
    Applicants(4, 6);
    ToEligibilityReviewed();
    // P01: 1 > 2 > 3 > 4 (4 is cut at the shortlist); P02: 5 > … > 10.
    Scores(ScoreKind::kWritten, {{1, 90},
                                 {2, 85},
                                 {3, 80},
                                 {4, 70},
                                 {5, 90},
                                 {6, 89},
                                 {7, 88},
                                 {8, 87},
                                 {9, 86},
                                 {10, 85}});
    ASSERT_TRUE(c().FinishWrittenScores(22 * kDay).ok());
    ASSERT_TRUE(c().Shortlist(23 * kDay).ok());
    Scores(ScoreKind::kInterview,
           {{1, 90}, {2, 85}, {3, 80}, {5, 90}, {6, 89}, {7, 88}, {8, 87}, {9, 86}, {10, 85}});
    ASSERT_TRUE(c().FinishInterviews(24 * kDay).ok());
    ASSERT_TRUE(c().Rank(25 * kDay).ok());
    ASSERT_TRUE(c().StartChecks(26 * kDay).ok());
  }
  void Pass(int64_t id) {
    ASSERT_TRUE(c().RecordCheck(id, CheckKind::kPhysical, true, "").ok());
    ASSERT_TRUE(c().RecordCheck(id, CheckKind::kBackground, true, "").ok());
  }
};

TEST_F(BackHalfTest, AFailedCheckOrAWithdrawalPromotesTheNext) {
  EXPECT_EQ(c().Get(1)->status, CandidateStatus::kSelected);
  EXPECT_EQ(c().Get(5)->status, CandidateStatus::kSelected);
  EXPECT_EQ(c().Get(6)->status, CandidateStatus::kSelected);
  EXPECT_EQ(c().Get(7)->status, CandidateStatus::kRanked);
  EXPECT_TRUE(Fails(c().RecordCheck(1, CheckKind::kPhysical, false, "").status(),
                    Code::kInvalidArgument, "reason"));
  auto p = c().RecordCheck(1, CheckKind::kPhysical, false, "血压");
  ASSERT_TRUE(p.ok() && p->has_value());
  EXPECT_EQ((*p)->removed_id, 1);
  EXPECT_EQ((*p)->promoted_id, 2);
  EXPECT_EQ(c().Get(1)->status, CandidateStatus::kRemoved);
  EXPECT_EQ(c().Get(1)->removed_reason, "体检不合格: 血压");
  EXPECT_EQ(c().Get(2)->status, CandidateStatus::kSelected);
  // A withdrawal from P02 promotes 7; another failure then promotes 8.
  auto w = c().Withdraw(5, "个人原因");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->promoted_id, 7);
  p = c().RecordCheck(7, CheckKind::kBackground, false, "考察不合格");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ((*p)->promoted_id, 8);
  // P01 runs dry: 2 fails, 3 takes the place, 3 withdraws: nobody left.
  ASSERT_TRUE(c().RecordCheck(2, CheckKind::kPhysical, false, "x").ok());
  w = c().Withdraw(3, "x");
  ASSERT_TRUE(w.ok());
  EXPECT_FALSE(w->promoted_id.has_value());
  EXPECT_TRUE(Fails(c().Withdraw(3, "x").status(), Code::kFailedPrecondition, "removed"));
  EXPECT_TRUE(Fails(c().RecordCheck(9, CheckKind::kPhysical, true, "").status(),
                    Code::kFailedPrecondition, "application 9 is ranked"));
}

TEST_F(BackHalfTest, UpheldObjectionPromotesTheNextAndHiresFillTheReservation) {
  Pass(1);
  Pass(5);
  EXPECT_TRUE(Fails(c().StartNotice("2026-05-11", "2026-05-15", 0).status(),
                    Code::kFailedPrecondition, "application 6 has checks pending"));
  Pass(6);
  auto noticed = c().StartNotice("2026-05-11", "2026-05-15", 27 * kDay);
  ASSERT_TRUE(noticed.ok());
  EXPECT_EQ(*noticed, (std::vector<int64_t>{1, 5, 6}));
  EXPECT_EQ(c().state(), CampaignState::kNotice);
  EXPECT_TRUE(Fails(c().FileObjection(5, "学历造假", "2026-05-16").status(),
                    Code::kFailedPrecondition, "not in public notice on 2026-05-16"));
  auto inv = c().FileObjection(5, "学历造假", "2026-05-12");
  ASSERT_TRUE(inv.ok());
  EXPECT_EQ(inv->unit_id, "bh.a.c2");
  EXPECT_EQ(inv->candidate, "申****1");  // 申请人101, masked
  EXPECT_EQ(inv->notice_until, "2026-05-15");
  // An open objection blocks the hire; the others are ready after the notice.
  EXPECT_EQ(c().ReadyToHire("2026-05-15"), std::vector<int64_t>{});
  EXPECT_EQ(c().ReadyToHire("2026-05-16"), (std::vector<int64_t>{1, 6}));
  auto decided = c().DecideObjection(inv->objection_id, true, "核实学历造假");
  ASSERT_TRUE(decided.ok() && decided->has_value());
  EXPECT_EQ((*decided)->promoted_id, 7);
  EXPECT_EQ(c().Get(5)->removed_reason, "公示异议成立: 核实学历造假");
  EXPECT_TRUE(Fails(c().DecideObjection(inv->objection_id, false, "x").status(),
                    Code::kFailedPrecondition, "already decided"));

  // Hires into the reservation.
  EXPECT_TRUE(Fails(c().Hire(7, reg_, 2, "2026-05-16", 0).status(), Code::kFailedPrecondition,
                    "application 7 is selected"));
  auto hired = c().Hire(1, reg_, 2, "2026-05-16", 30 * kDay);
  ASSERT_TRUE(hired.ok()) << hired.status();
  EXPECT_EQ(c().state(), CampaignState::kHiring);
  EXPECT_EQ(hired->workers[0].unit_id, "bh.a.c1");
  EXPECT_EQ(hired->workers[0].post, "assistant");
  EXPECT_EQ(c().Get(1)->worker_id, hired->workers[0].id);
  EXPECT_EQ(reg_.ReservedPosts("bh.a.c1"), 0);

  // Quota changed before the hire: c2 cut from 4 to 0 while 2 posts are reserved for P02.
  Pass(7);
  ASSERT_TRUE(c().StartNotice("2026-05-18", "2026-05-22", 31 * kDay).ok());
  ASSERT_TRUE(reg_.ReviseQuota("bh.a.c2", 0, "2026-05-20", "压减", "编委", "t").ok());
  auto refused = c().Hire(7, reg_, 2, "2026-05-25", 32 * kDay);
  EXPECT_TRUE(Fails(refused.status(), Code::kFailedPrecondition,
                    "unit bh.a.c2 (单位bh.a.c2) cannot take this hire of campaign zp2026: "
                    "approved 0 on 2026-05-25, occupied 0, reserved 2 (2 by this campaign)"));
  // Refused in the registry, unchanged in the campaign.
  EXPECT_EQ(c().Get(7)->status, CandidateStatus::kNotice);
  EXPECT_EQ(reg_.ReservedPosts("bh.a.c2"), 2);
  EXPECT_EQ(reg_.worker_count(), 1u);
  // The leading group restores the quota; the hires go through.
  ASSERT_TRUE(reg_.ReviseQuota("bh.a.c2", 4, "2026-05-24", "恢复", "编委", "t").ok());
  ASSERT_TRUE(c().Hire(7, reg_, 2, "2026-05-25", 33 * kDay).ok());
  EXPECT_TRUE(Fails(c().Finish(34 * kDay).status(), Code::kFailedPrecondition,
                    "application 6 is still notice"));
  ASSERT_TRUE(c().Hire(6, reg_, 2, "2026-05-25", 34 * kDay).ok());
  EXPECT_EQ(reg_.ReservedPosts("bh.a.c2"), 0);
  auto left = c().Finish(40 * kDay);
  ASSERT_TRUE(left.ok()) << left.status();
  EXPECT_TRUE(left->empty());

  const Funnel f = c().GetFunnel(41 * kDay);
  EXPECT_EQ(f.applied, 10);
  EXPECT_EQ(f.eligible, 10);
  EXPECT_EQ(f.examined, 10);
  EXPECT_EQ(f.interviewed, 9);
  EXPECT_EQ(f.notified, 4);
  EXPECT_EQ(f.hired, 3);
  ASSERT_FALSE(f.ms_in_state.empty());
  EXPECT_EQ(f.ms_in_state.front().first, CampaignState::kDraft);
  EXPECT_EQ(f.ms_in_state.front().second, 1 * kDay);
  EXPECT_EQ(f.ms_in_state.back().first, CampaignState::kDone);
  EXPECT_EQ(f.ms_in_state.back().second, 1 * kDay);
}

TEST_F(CampaignTest, CancelGivesBackTheReservations) {
  Open();
  auto cut = c().Cancel("经费未落实", 5 * kDay);
  ASSERT_TRUE(cut.ok());
  ASSERT_EQ(cut->size(), 2u);
  EXPECT_EQ((*cut)[1].released, 2);
  EXPECT_EQ(c().state(), CampaignState::kCancelled);
  EXPECT_TRUE(Fails(c().Cancel("x", 0).status(), Code::kFailedPrecondition, "cancelled"));
}

}  // namespace
}  // namespace shequ::domain::recruitment
