#include "daemon/modules/recruitment/convert.h"

#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"

#include "daemon/domain/recruitment/policy.h"
#include "daemon/domain/workforce/model.h"

namespace shequ::modules::recruitment {

namespace wf = ::shequ::domain::workforce;

namespace {

std::string En(auto value) { return std::string(wf::EnglishName(value)); }

const char* CheckName(rc::CheckResult r) {
  switch (r) {
    case rc::CheckResult::kPassed: return "passed";
    case rc::CheckResult::kFailed: return "failed";
    default: return "pending";
  }
}

const char* ObjectionState(rc::Objection::State s) {
  switch (s) {
    case rc::Objection::State::kUpheld: return "upheld";
    case rc::Objection::State::kDismissed: return "dismissed";
    default: return "open";
  }
}

// Composite × 1000 as decimal text with three places: 86250 → "86.250".
std::string Milli(int64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld.%03lld", static_cast<long long>(v / 1000),
                static_cast<long long>(v % 1000));
  return buf;
}

}  // namespace

absl::StatusOr<rc::CampaignSpec> SpecFromProto(const v1::CampaignSpec& in,
                                               const rc::RecruitmentPolicy& policy) {
  rc::CampaignSpec spec;
  spec.id = in.id();
  spec.street_unit_id = in.street_unit_id();
  spec.title = in.title();
  spec.opens = in.opens();
  spec.closes = in.closes();
  for (const v1::CampaignPost& p : in.posts()) {
    spec.posts.push_back({p.id(), p.unit_id(), p.post(), p.count()});
  }
  spec.requirements = rc::DefaultRequirements(policy);
  if (in.has_requirements()) {
    const v1::Requirements& r = in.requirements();
    rc::Requirements& req = spec.requirements;
    if (r.min_age() > 0) req.min_age = r.min_age();
    if (r.max_age() > 0) req.max_age = r.max_age();
    if (!r.min_education().empty()) {
      auto edu = wf::ParseEnum<wf::Education>(r.min_education());
      if (!edu) {
        return absl::InvalidArgumentError(
            absl::StrCat("campaign.requirements.min_education: '", r.min_education(),
                         "' is not one of ", wf::EnumChoices<wf::Education>()));
      }
      req.min_education = *edu;
    }
    // Given requirements list their certificates and conditions, none if empty.
    req.certificates.assign(r.certificates().begin(), r.certificates().end());
    req.other_conditions = r.other_conditions();
  }
  return spec;
}

void ToProto(const rc::CampaignSpec& s, v1::CampaignSpec* out) {
  out->set_id(s.id);
  out->set_street_unit_id(s.street_unit_id);
  out->set_title(s.title);
  for (const rc::CampaignPost& p : s.posts) {
    v1::CampaignPost* post = out->add_posts();
    post->set_id(p.id);
    post->set_unit_id(p.unit_id);
    post->set_post(p.post);
    post->set_count(p.count);
  }
  // Always present: the requirements the campaign applies, defaults included.
  v1::Requirements* r = out->mutable_requirements();
  r->set_min_age(s.requirements.min_age);
  r->set_max_age(s.requirements.max_age);
  r->set_min_education(En(s.requirements.min_education));
  for (const auto& c : s.requirements.certificates) r->add_certificates(c);
  r->set_other_conditions(s.requirements.other_conditions);
  out->set_opens(s.opens);
  out->set_closes(s.closes);
}

void ToProto(const CampaignView& c, v1::Campaign* out) {
  ToProto(c.spec, out->mutable_spec());
  out->set_state(std::string(rc::StateName(c.state)));
  out->set_instance_id(c.instance_id);
  v1::Funnel* f = out->mutable_funnel();
  f->set_applied(c.funnel.applied);
  f->set_eligible(c.funnel.eligible);
  f->set_examined(c.funnel.examined);
  f->set_interviewed(c.funnel.interviewed);
  f->set_notified(c.funnel.notified);
  f->set_hired(c.funnel.hired);
  for (size_t i = 0; i < c.history.size(); ++i) {
    const int64_t end = i + 1 < c.history.size() ? c.history[i + 1].at_ms : c.now_ms;
    v1::StateTime* st = out->add_stages();
    st->set_state(std::string(rc::StateName(c.history[i].state)));
    st->set_at_ms(c.history[i].at_ms);
    st->set_ms_in_state(end - c.history[i].at_ms);
  }
  for (const rc::Shortfall& s : c.shortfalls) {
    v1::Shortfall* sf = out->add_shortfalls();
    sf->set_post_id(s.post_id);
    sf->set_unit_id(s.unit_id);
    sf->set_posts(s.posts);
    sf->set_eligible(s.eligible);
    sf->set_needed(s.needed);
  }
  for (int64_t w : c.hired_workers) out->add_hired_workers(w);
}

void OpenStepToProto(const engine::Task& t, v1::OpenStep* out) {
  out->set_step(t.node);
  out->set_task_id(t.id);
  out->set_role(t.role);
  out->set_due_at_ms(t.due_at_ms);
}

void ToProto(const rc::Application& a, bool personal, v1::Application* out) {
  out->set_id(a.id);
  out->set_post_id(a.post_id);
  const wf::PersonalData& p = a.personal;
  out->set_name(personal ? p.name : wf::MaskName(p.name));
  out->set_id_number(personal ? p.id_number : wf::MaskIdNumber(p.id_number));
  out->set_phone(personal ? p.phone : wf::MaskPhone(p.phone));
  if (wf::IsErasedIdNumber(p.id_number)) {
    // The stand-in number that keeps the campaign's log replaying is not shown.
    out->set_erased(true);
    out->set_name(std::string(wf::kErasedName));
    out->set_id_number("");
    out->set_phone("");
  }
  out->set_education(En(a.education));
  for (const auto& c : a.certificates) out->add_certificates(c);
  out->set_source(En(a.source));
  for (const auto& c : a.categories) out->add_categories(c);
  out->set_community_since(a.community_since);
  out->set_status(std::string(rc::CandidateStatusName(a.status)));
  for (const auto& r : a.refusals) out->add_refusals(r);
  if (a.written) out->set_written(rc::FormatTenths(*a.written));
  if (a.interview) out->set_interview(rc::FormatTenths(*a.interview));
  if (a.bonus) out->set_bonus(rc::FormatTenths(a.bonus));
  out->set_bonus_for(a.bonus_for);
  // The composite means something once ranked.
  if (a.rank > 0) out->set_composite(Milli(a.composite_milli));
  out->set_rank(a.rank);
  out->set_physical(CheckName(a.physical));
  out->set_background(CheckName(a.background));
  out->set_notice_until(a.notice_until);
  out->set_removed_reason(a.removed_reason);
  out->set_worker_id(a.worker_id);
  out->set_applied_at_ms(a.applied_at_ms);
}

void ToProto(const ObjectionView& o, v1::Objection* out) {
  out->set_id(o.objection.id);
  out->set_application_id(o.objection.application_id);
  out->set_text(o.objection.text);
  out->set_filed_on(o.objection.filed_on);
  out->set_state(ObjectionState(o.objection.state));
  out->set_decision_reason(o.objection.decision_reason);
  out->set_instance_id(o.instance_id);
}

}  // namespace shequ::modules::recruitment
