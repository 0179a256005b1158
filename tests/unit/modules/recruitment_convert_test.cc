#include "daemon/modules/recruitment/convert.h"

#include <gtest/gtest.h>

#include <string>

#include "absl/strings/match.h"
#include "tests/unit/domain/recruitment/recruitment_test_util.h"

namespace shequ::modules::recruitment {
namespace {

namespace wf = ::shequ::domain::workforce;
using ::shequ::domain::recruitment::testing::DefaultPolicy;
using ::shequ::domain::workforce::testing::IdNumber;

constexpr int64_t kDay = 86'400'000;
constexpr char kBirth[] = "19980101";  // 28 at the window's end

rc::CampaignSpec Spec() {
  rc::CampaignSpec spec;
  spec.id = "zp2026";
  spec.street_unit_id = "bh.a";
  spec.title = "2026年包河区社区工作者招聘";
  spec.posts = {{"P01", "bh.a.c1", "assistant", 1}, {"P02", "bh.a.c2", "assistant", 2}};
  spec.requirements = rc::DefaultRequirements(DefaultPolicy());
  spec.requirements.min_age = 20;
  spec.requirements.max_age = 30;
  spec.requirements.min_education = wf::Education::kBachelor;
  spec.requirements.certificates = {"assistant_social_worker"};
  spec.requirements.other_conditions = "本区户籍";
  spec.opens = "2026-04-01";
  spec.closes = "2026-04-15";
  return spec;
}

rc::Application Applicant(int seq, const std::string& post) {
  rc::Application a;
  a.personal = {"王小明", IdNumber(seq, kBirth), "13812345678"};
  a.education = wf::Education::kBachelor;
  a.source = rc::Source::kLaidOff;
  a.certificates = {"assistant_social_worker"};
  a.categories = {"community_experience"};
  a.community_since = "2024-03-01";
  a.post_id = post;
  a.applied_at_ms = 1'000 * seq;
  return a;
}

TEST(RecruitmentConvert, SpecFromProtoTakesThePolicyDefaults) {
  const rc::RecruitmentPolicy policy = DefaultPolicy();
  const rc::Requirements defaults = rc::DefaultRequirements(policy);
  v1::CampaignSpec in;
  ToProto(Spec(), &in);
  auto spec = SpecFromProto(in, policy);
  ASSERT_TRUE(spec.ok()) << spec.status();
  v1::CampaignSpec back;
  ToProto(*spec, &back);
  EXPECT_EQ(back.SerializeAsString(), in.SerializeAsString());
  EXPECT_EQ(spec->posts[1].count, 2);
  EXPECT_EQ(spec->requirements.min_education, wf::Education::kBachelor);

  // Zero ages and no education: the defaults; certificates and conditions as given (none).
  in.mutable_requirements()->set_min_age(0);
  in.mutable_requirements()->set_max_age(0);
  in.mutable_requirements()->clear_min_education();
  in.mutable_requirements()->clear_certificates();
  spec = SpecFromProto(in, policy);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->requirements.min_age, defaults.min_age);
  EXPECT_EQ(spec->requirements.max_age, defaults.max_age);
  EXPECT_EQ(spec->requirements.min_education, defaults.min_education);
  EXPECT_TRUE(spec->requirements.certificates.empty());
  EXPECT_EQ(spec->requirements.other_conditions, "本区户籍");

  // No requirements at all: the policy's.
  in.clear_requirements();
  spec = SpecFromProto(in, policy);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->requirements.certificates, defaults.certificates);
  EXPECT_EQ(spec->requirements.other_conditions, defaults.other_conditions);

  in.mutable_requirements()->set_min_education("phd");
  spec = SpecFromProto(in, policy);
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(spec.status().message(),
                               "campaign.requirements.min_education: 'phd' is not one of"))
      << spec.status();
}

// A campaign with two posts and applications, its window closed: the view maps field by field.
TEST(RecruitmentConvert, CampaignMapsFieldByField) {
  auto created = rc::Campaign::Create(Spec(), DefaultPolicy(), 0);
  ASSERT_TRUE(created.ok()) << created.status();
  rc::Campaign& c = *created;
  ASSERT_TRUE(c.Approve(1 * kDay).ok());
  ASSERT_TRUE(c.Publish(2 * kDay).ok());
  ASSERT_TRUE(c.Apply(Applicant(1, "P01"), "2026-04-05").ok());
  ASSERT_TRUE(c.Apply(Applicant(2, "P02"), "2026-04-06").ok());
  ASSERT_TRUE(c.CloseApplications("2026-04-16", 20 * kDay).ok());

  v1::Campaign out;
  ToProto(ViewOf(c, 77, 25 * kDay), &out);

  const v1::CampaignSpec& spec = out.spec();
  EXPECT_EQ(spec.id(), "zp2026");
  EXPECT_EQ(spec.street_unit_id(), "bh.a");
  EXPECT_EQ(spec.title(), "2026年包河区社区工作者招聘");
  ASSERT_EQ(spec.posts_size(), 2);
  EXPECT_EQ(spec.posts(1).id(), "P02");
  EXPECT_EQ(spec.posts(1).unit_id(), "bh.a.c2");
  EXPECT_EQ(spec.posts(1).post(), "assistant");
  EXPECT_EQ(spec.posts(1).count(), 2);
  ASSERT_TRUE(spec.has_requirements());
  EXPECT_EQ(spec.requirements().min_age(), 20);
  EXPECT_EQ(spec.requirements().max_age(), 30);
  EXPECT_EQ(spec.requirements().min_education(), "bachelor");
  ASSERT_EQ(spec.requirements().certificates_size(), 1);
  EXPECT_EQ(spec.requirements().certificates(0), "assistant_social_worker");
  EXPECT_EQ(spec.requirements().other_conditions(), "本区户籍");
  EXPECT_EQ(spec.opens(), "2026-04-01");
  EXPECT_EQ(spec.closes(), "2026-04-15");

  EXPECT_EQ(out.state(), "applications_closed");
  EXPECT_EQ(out.instance_id(), 77);
  ASSERT_TRUE(out.has_funnel());
  EXPECT_EQ(out.funnel().applied(), 2);
  EXPECT_EQ(out.funnel().hired(), 0);
  // draft at 0, approved day 1, published day 2, closed day 20: the last one up to day 25.
  ASSERT_EQ(out.stages_size(), 4);
  EXPECT_EQ(out.stages(0).state(), "draft");
  EXPECT_EQ(out.stages(0).ms_in_state(), 1 * kDay);
  EXPECT_EQ(out.stages(2).state(), "published");
  EXPECT_EQ(out.stages(2).at_ms(), 2 * kDay);
  EXPECT_EQ(out.stages(2).ms_in_state(), 18 * kDay);
  EXPECT_EQ(out.stages(3).state(), "applications_closed");
  EXPECT_EQ(out.stages(3).ms_in_state(), 5 * kDay);
  // One applicant each, three needed per post.
  ASSERT_EQ(out.shortfalls_size(), 2);
  EXPECT_EQ(out.shortfalls(1).post_id(), "P02");
  EXPECT_EQ(out.shortfalls(1).unit_id(), "bh.a.c2");
  EXPECT_EQ(out.shortfalls(1).posts(), 2);
  EXPECT_EQ(out.shortfalls(1).eligible(), 1);
  EXPECT_EQ(out.shortfalls(1).needed(), 6);
  EXPECT_EQ(out.hired_workers_size(), 0);
  EXPECT_EQ(out.open_steps_size(), 0);  // the service's, from the workflow

  // The applications as the campaign keeps them.
  v1::Application app;
  ToProto(c.applications()[1], true, &app);
  EXPECT_EQ(app.id(), 2);
  EXPECT_EQ(app.post_id(), "P02");
  EXPECT_EQ(app.status(), "eligible");
  EXPECT_EQ(app.applied_at_ms(), 2'000);
}

TEST(RecruitmentConvert, HiredWorkersAndOpenSteps) {
  CampaignView v;
  v.spec = Spec();
  v.state = rc::CampaignState::kHiring;
  v.hired_workers = {41, 42};
  v1::Campaign out;
  ToProto(v, &out);
  EXPECT_EQ(out.state(), "hiring");
  EXPECT_EQ(out.stages_size(), 0);
  EXPECT_EQ(out.shortfalls_size(), 0);
  ASSERT_EQ(out.hired_workers_size(), 2);
  EXPECT_EQ(out.hired_workers(1), 42);

  engine::Task t;
  t.id = 9;
  t.node = "checks";
  t.role = "street-office";
  t.due_at_ms = 123;
  v1::OpenStep step;
  OpenStepToProto(t, &step);
  EXPECT_EQ(step.step(), "checks");
  EXPECT_EQ(step.task_id(), 9);
  EXPECT_EQ(step.role(), "street-office");
  EXPECT_EQ(step.due_at_ms(), 123);
}

// An application far along: every field the campaign keeps, scores as decimal text.
TEST(RecruitmentConvert, ApplicationMapsFieldByField) {
  rc::Application a = Applicant(3, "P01");
  a.id = 3;
  a.status = rc::CandidateStatus::kRemoved;
  a.refusals = {"年龄不符", "学历不符"};
  a.written = 875;
  a.interview = 900;
  a.bonus = 20;
  a.bonus_for = "assistant_social_worker";
  a.composite_milli = 86'250;
  a.rank = 2;
  a.physical = rc::CheckResult::kPassed;
  a.background = rc::CheckResult::kFailed;
  a.notice_until = "2026-06-10";
  a.removed_reason = "政审不合格";
  a.worker_id = 0;

  v1::Application out;
  ToProto(a, true, &out);
  EXPECT_EQ(out.id(), 3);
  EXPECT_EQ(out.post_id(), "P01");
  EXPECT_EQ(out.name(), "王小明");
  EXPECT_EQ(out.id_number(), IdNumber(3, kBirth));
  EXPECT_EQ(out.phone(), "13812345678");
  EXPECT_EQ(out.education(), "bachelor");
  ASSERT_EQ(out.certificates_size(), 1);
  EXPECT_EQ(out.certificates(0), "assistant_social_worker");
  EXPECT_EQ(out.source(), "laid_off");
  ASSERT_EQ(out.categories_size(), 1);
  EXPECT_EQ(out.categories(0), "community_experience");
  EXPECT_EQ(out.community_since(), "2024-03-01");
  EXPECT_EQ(out.status(), "removed");
  ASSERT_EQ(out.refusals_size(), 2);
  EXPECT_EQ(out.refusals(1), "学历不符");
  EXPECT_EQ(out.written(), "87.5");
  EXPECT_EQ(out.interview(), "90");
  EXPECT_EQ(out.bonus(), "2");
  EXPECT_EQ(out.bonus_for(), "assistant_social_worker");
  EXPECT_EQ(out.composite(), "86.250");
  EXPECT_EQ(out.rank(), 2);
  EXPECT_EQ(out.physical(), "passed");
  EXPECT_EQ(out.background(), "failed");
  EXPECT_EQ(out.notice_until(), "2026-06-10");
  EXPECT_EQ(out.removed_reason(), "政审不合格");
  EXPECT_EQ(out.worker_id(), 0);
  EXPECT_EQ(out.applied_at_ms(), 3'000);

  // Not yet scored or ranked: no scores, no composite, checks pending.
  rc::Application fresh = Applicant(4, "P01");
  fresh.composite_milli = 12'345;
  v1::Application f;
  ToProto(fresh, true, &f);
  EXPECT_EQ(f.written(), "");
  EXPECT_EQ(f.interview(), "");
  EXPECT_EQ(f.bonus(), "");
  EXPECT_EQ(f.composite(), "");
  EXPECT_EQ(f.physical(), "pending");
  EXPECT_EQ(f.background(), "pending");
  EXPECT_EQ(f.status(), "applied");
}

// Without the right to see personal data: name, ID number and phone masked, nothing else.
TEST(RecruitmentConvert, MaskedApplicant) {
  const rc::Application a = Applicant(5, "P02");
  const std::string id_number = IdNumber(5, kBirth);
  v1::Application out;
  ToProto(a, false, &out);
  EXPECT_EQ(out.name(), "王*明");
  EXPECT_EQ(out.id_number(), "340***********" + id_number.substr(14));
  EXPECT_EQ(out.phone(), "138****5678");
  EXPECT_EQ(out.post_id(), "P02");
  EXPECT_EQ(out.education(), "bachelor");
  const std::string all = out.DebugString();
  EXPECT_EQ(all.find(id_number), std::string::npos);
  EXPECT_EQ(all.find("13812345678"), std::string::npos);
}

TEST(RecruitmentConvert, ObjectionMapsFieldByField) {
  ObjectionView v;
  v.objection.id = 4;
  v.objection.application_id = 12;
  v.objection.text = "学历造假";
  v.objection.filed_on = "2026-06-03";
  v.objection.state = rc::Objection::State::kUpheld;
  v.objection.decision_reason = "查实";
  v.instance_id = 501;
  v1::Objection out;
  ToProto(v, &out);
  EXPECT_EQ(out.id(), 4);
  EXPECT_EQ(out.application_id(), 12);
  EXPECT_EQ(out.text(), "学历造假");
  EXPECT_EQ(out.filed_on(), "2026-06-03");
  EXPECT_EQ(out.state(), "upheld");
  EXPECT_EQ(out.decision_reason(), "查实");
  EXPECT_EQ(out.instance_id(), 501);
  EXPECT_EQ(out.promoted_id(), 0);  // the decision's, set by the service

  v.objection.state = rc::Objection::State::kOpen;
  ToProto(v, &out);
  EXPECT_EQ(out.state(), "open");
  v.objection.state = rc::Objection::State::kDismissed;
  ToProto(v, &out);
  EXPECT_EQ(out.state(), "dismissed");
}

}  // namespace
}  // namespace shequ::modules::recruitment
