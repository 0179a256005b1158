#include "daemon/domain/recruitment/policy.h"

#include <cmath>

#include "daemon/core/status.h"
#include "daemon/core/yaml_json.h"
#include "daemon/domain/policy_object.h"
#include "yaml-cpp/yaml.h"

namespace shequ::domain::workforce {
namespace {
using recruitment::MilestoneKind;
using recruitment::Source;
using recruitment::TieKey;
constexpr std::array<EnumSpelling<Source>, 6> kSources{{
    {Source::kGraduate, "graduate", "高校毕业生", "毕业生|应届毕业生"},
    {Source::kVeteran, "veteran", "退役军人", "退役士兵|复员军人"},
    {Source::kLaidOff, "laid_off", "下岗失业人员", "下岗职工|失业人员"},
    {Source::kResident, "resident", "社区居民", "居民"},
    {Source::kGovernmentStaff, "government_staff", "机关事业单位人员", "机关事业单位"},
    {Source::kOther, "other", "其他"},
}};
constexpr std::array<EnumSpelling<TieKey>, 6> kTieKeys{{
    {TieKey::kWritten, "written", "笔试成绩"},
    {TieKey::kInterview, "interview", "面试成绩"},
    {TieKey::kSocialWorkCertificate, "social_work_certificate", "社会工作职业水平证书"},
    {TieKey::kBonus, "bonus", "加分"},
    {TieKey::kAppliedAt, "applied_at", "报名时间"},
    {TieKey::kApplicationId, "application_id", "报名号"},
}};
constexpr std::array<EnumSpelling<MilestoneKind>, 9> kMilestoneKinds{{
    {MilestoneKind::kContract, "contract", "签订聘用合同"},
    {MilestoneKind::kArchive, "archive", "人事档案转递"},
    {MilestoneKind::kPersonnelAgency, "personnel_agency", "人事代理"},
    {MilestoneKind::kSocialInsurance, "social_insurance", "社会保险登记"},
    {MilestoneKind::kGrade, "grade", "定岗定级"},
    {MilestoneKind::kTraining, "training", "岗前培训"},
    {MilestoneKind::kProbationReview, "probation_review", "试用期考核"},
    {MilestoneKind::kConversion, "conversion", "转正"},
    {MilestoneKind::kOther, "other", "其他"},
}};
}  // namespace

template <>
std::span<const EnumSpelling<Source>> Spellings<Source>() {
  return kSources;
}
template <>
std::span<const EnumSpelling<TieKey>> Spellings<TieKey>() {
  return kTieKeys;
}
template <>
std::span<const EnumSpelling<MilestoneKind>> Spellings<MilestoneKind>() {
  return kMilestoneKinds;
}
}  // namespace shequ::domain::workforce

namespace shequ::domain::recruitment {
namespace {

using nlohmann::json;
using workforce::Education;
using workforce::EnglishName;
using workforce::EnumChoices;
using workforce::ParseEnum;

constexpr char kFile[] = "recruitment.yaml";
std::string N(int64_t v) { return std::to_string(v); }

// A mapping of recruitment.yaml, plus the value kinds only this file has.
class Obj : public domain::PolicyObject {
 public:
  Obj(std::string path, const json& j) : PolicyObject(kFile, std::move(path), j) {}

  // A number with at most one decimal place, in tenths.
  absl::Status Points(std::string_view key, bool required, Tenths min, Tenths max, Tenths* out) {
    const json* v = Find(key);
    if (!v) return required ? Err(key, "required") : absl::OkStatus();
    if (!v->is_number()) return Err(key, "must be a number, got " + v->dump());
    const double x = v->get<double>() * 10;
    const double r = std::round(x);
    if (std::abs(x - r) > 1e-6) return Err(key, v->dump() + " has more than one decimal place");
    if (r < static_cast<double>(min) || r > static_cast<double>(max)) {
      return Err(key, v->dump() + " is outside " + FormatTenths(min) + "–" + FormatTenths(max));
    }
    *out = static_cast<Tenths>(r);
    return absl::OkStatus();
  }
  template <typename E>
  absl::Status Enum(std::string_view key, bool required, E* out) {
    std::string s;
    RETURN_IF_ERROR(Str(key, required, &s));
    if (s.empty()) return absl::OkStatus();
    auto e = ParseEnum<E>(s);
    if (!e) return Err(key, "'" + s + "' is not one of " + EnumChoices<E>());
    *out = *e;
    return absl::OkStatus();
  }
};

absl::Status ParseId(Obj& o, std::string* id) {
  RETURN_IF_ERROR(o.Str("id", true, id));
  for (char c : *id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      return o.Err("id", "'" + *id + "' must be lower-case letters, digits and _");
    }
  }
  return absl::OkStatus();
}

int BandLimit(const std::vector<ProbationBand>& bands, int term_months) {
  for (const ProbationBand& b : bands) {
    if (term_months == kOpenEndedTerm) {
      if (!b.term_under_months) return b.max_probation_months;
      continue;
    }
    if (!b.term_under_months || term_months < *b.term_under_months) return b.max_probation_months;
  }
  return 0;
}

absl::Status ParseBonus(Obj& top, RecruitmentPolicy& p) {
  const json* bonus = top.Find("bonus");
  if (!bonus) return absl::OkStatus();
  Obj o("bonus", *bonus);
  RETURN_IF_ERROR(o.CheckObject());
  if (const json* certs = o.Find("certificates")) {
    Obj c("bonus.certificates", *certs);
    RETURN_IF_ERROR(c.CheckObject());
    for (auto it = certs->begin(); it != certs->end(); ++it) {
      const std::string id = workforce::NormalizeCertificate(it.key());
      Tenths t = 0;
      RETURN_IF_ERROR(c.Points(it.key(), true, 0, 1000, &t));
      if (!p.certificate_bonus.emplace(id, t).second) {
        return c.Err(it.key(), "certificate listed twice");
      }
    }
  }
  if (const json* sources = o.Find("sources")) {
    Obj s("bonus.sources", *sources);
    RETURN_IF_ERROR(s.CheckObject());
    for (const auto& sp : workforce::Spellings<Source>()) {
      RETURN_IF_ERROR(s.Points(sp.en, false, 0, 1000, &p.source_bonus[static_cast<int>(sp.value)]));
    }
    RETURN_IF_ERROR(s.NoUnknownKeys());
  }
  if (const json* cats = o.Find("categories")) {
    if (!cats->is_array()) return o.Err("categories", "must be a list of {id, name, points}");
    for (size_t i = 0; i < cats->size(); ++i) {
      Obj c("bonus.categories[" + N(static_cast<int64_t>(i)) + "]", (*cats)[i]);
      RETURN_IF_ERROR(c.CheckObject());
      BonusCategory b;
      RETURN_IF_ERROR(ParseId(c, &b.id));
      RETURN_IF_ERROR(c.Str("name", true, &b.name));
      RETURN_IF_ERROR(c.Points("points", true, 0, 1000, &b.points));
      RETURN_IF_ERROR(c.NoUnknownKeys());
      if (p.FindCategory(b.id)) return c.Err("id", "'" + b.id + "' is listed twice");
      p.categories.push_back(std::move(b));
    }
  }
  return o.NoUnknownKeys();
}

absl::Status ParseProbation(Obj& top, RecruitmentPolicy& p) {
  const json* prob = top.Find("probation");
  if (!prob) return top.Err("probation", "required");
  Obj o("probation", *prob);
  RETURN_IF_ERROR(o.CheckObject());
  RETURN_IF_ERROR(o.Str("basis", true, &p.probation_basis));
  const json* bands = o.Find("bands");
  if (!bands || !bands->is_array() || bands->empty()) {
    return o.Err("bands", "required: a non-empty list of {term_under_months, max_months}");
  }
  for (size_t i = 0; i < bands->size(); ++i) {
    Obj b("probation.bands[" + N(static_cast<int64_t>(i)) + "]", (*bands)[i]);
    RETURN_IF_ERROR(b.CheckObject());
    ProbationBand band;
    const bool last = i + 1 == bands->size();
    int under = 0;
    RETURN_IF_ERROR(b.Int("term_under_months", !last, 1, 1200, &under));
    if (b.Find("term_under_months")) {
      if (last) return b.Err("term_under_months", "the last band is open-ended: leave it out");
      if (!p.probation.empty() && under <= *p.probation.back().term_under_months) {
        return b.Err("term_under_months", "bands must ascend");
      }
      band.term_under_months = under;
    }
    RETURN_IF_ERROR(b.Int("max_months", true, 0, 120, &band.max_probation_months));
    RETURN_IF_ERROR(b.NoUnknownKeys());
    p.probation.push_back(band);
  }
  RETURN_IF_ERROR(o.NoUnknownKeys());
  // The file may be stricter than the law, never looser: compare at every term up to 100 years
  // and for open-ended contracts.
  const auto& law = LawProbationBands();
  for (int term = 1; term <= 1200; ++term) {
    const int mine = BandLimit(p.probation, term), allowed = BandLimit(law, term);
    if (mine > allowed) {
      return o.Err("bands", "allows " + N(mine) + " months of probation for a " + N(term) +
                                "-month contract; the Labour Contract Law art. 19 allows at most " +
                                N(allowed));
    }
  }
  if (BandLimit(p.probation, kOpenEndedTerm) > BandLimit(law, kOpenEndedTerm)) {
    return o.Err("bands",
                 "allows more than 6 months of probation for an open-ended contract "
                 "(Labour Contract Law art. 19)");
  }
  return absl::OkStatus();
}

absl::Status ParseOnboarding(Obj& top, RecruitmentPolicy& p) {
  const json* steps = top.Find("onboarding");
  if (!steps) return top.Err("onboarding", "required");
  if (!steps->is_array() || steps->empty()) return top.Err("onboarding", "must be a list of steps");
  std::set<std::string> ids;
  std::set<MilestoneKind> kinds;
  std::set<std::string> insurance;
  for (size_t i = 0; i < steps->size(); ++i) {
    Obj o("onboarding[" + N(static_cast<int64_t>(i)) + "]", (*steps)[i]);
    RETURN_IF_ERROR(o.CheckObject());
    Milestone m;
    RETURN_IF_ERROR(ParseId(o, &m.id));
    if (!ids.insert(m.id).second) return o.Err("id", "'" + m.id + "' is listed twice");
    RETURN_IF_ERROR(o.Str("name", true, &m.name));
    RETURN_IF_ERROR(o.Enum("kind", true, &m.kind));
    RETURN_IF_ERROR(o.Str("owner", true, &m.owner));
    std::string anchor = "hire";
    RETURN_IF_ERROR(o.Str("anchor", false, &anchor));
    if (anchor == "hire") {
      m.anchor = MilestoneAnchor::kHire;
    } else if (anchor == "probation_end") {
      m.anchor = MilestoneAnchor::kProbationEnd;
    } else {
      return o.Err("anchor", "'" + anchor + "' is not hire or probation_end");
    }
    RETURN_IF_ERROR(o.Int("due_days", true, -365, 3650, &m.due_days));
    RETURN_IF_ERROR(o.Int("remind_days_before", false, 0, 365, &m.remind_days_before));
    RETURN_IF_ERROR(o.Str("basis", false, &m.basis));
    if (const json* ins = o.Find("insurance")) {
      if (m.kind != MilestoneKind::kSocialInsurance) {
        return o.Err("insurance", "only for kind social_insurance");
      }
      static const std::set<std::string> kKnown = {"pension", "medical", "unemployment",
                                                   "work_injury", "maternity"};
      if (!ins->is_array()) return o.Err("insurance", "must be a list");
      for (const json& k : *ins) {
        if (!k.is_string() || !kKnown.count(k.get<std::string>())) {
          return o.Err("insurance", k.dump() +
                                        " is not pension, medical, unemployment, work_injury "
                                        "or maternity");
        }
        m.insurance.push_back(k.get<std::string>());
        insurance.insert(k.get<std::string>());
      }
    }
    if (m.kind == MilestoneKind::kProbationReview && m.anchor != MilestoneAnchor::kProbationEnd) {
      return o.Err("anchor", "a probation review falls due relative to probation_end");
    }
    RETURN_IF_ERROR(o.NoUnknownKeys());
    kinds.insert(m.kind);
    p.onboarding.push_back(std::move(m));
  }
  // domain.md §3: each of these must happen for a hire to become a worker.
  for (MilestoneKind k :
       {MilestoneKind::kContract, MilestoneKind::kArchive, MilestoneKind::kPersonnelAgency,
        MilestoneKind::kSocialInsurance, MilestoneKind::kGrade, MilestoneKind::kTraining,
        MilestoneKind::kProbationReview, MilestoneKind::kConversion}) {
    if (!kinds.count(k)) {
      return top.Err("onboarding", "has no step of kind " + std::string(EnglishName(k)));
    }
  }
  for (const char* k : {"pension", "medical", "unemployment"}) {
    if (!insurance.count(k)) {
      return top.Err("onboarding", std::string("no social_insurance step enrols ") + k +
                                       " (pension, medical and unemployment at least)");
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::optional<Tenths> ParseTenths(std::string_view t) {
  while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
  if (t.empty() || t.size() > 12) return std::nullopt;
  Tenths whole = 0;
  size_t i = 0;
  for (; i < t.size() && t[i] >= '0' && t[i] <= '9'; ++i) whole = whole * 10 + (t[i] - '0');
  if (i == 0) return std::nullopt;
  if (i == t.size()) return whole * 10;
  if (t[i] != '.' || i + 1 == t.size()) return std::nullopt;
  // "87.50" is still one decimal place of information; "87.55" is not.
  Tenths tenth = 0;
  for (size_t k = i + 1; k < t.size(); ++k) {
    if (t[k] < '0' || t[k] > '9') return std::nullopt;
    if (k == i + 1) {
      tenth = t[k] - '0';
    } else if (t[k] != '0') {
      return std::nullopt;
    }
  }
  return whole * 10 + tenth;
}

std::string FormatTenths(Tenths v) {
  std::string s;
  if (v < 0) {
    s.push_back('-');
    v = -v;
  }
  s += N(v / 10);
  if (v % 10 != 0) {
    s.push_back('.');
    s += N(v % 10);
  }
  return s;
}

const std::vector<ProbationBand>& LawProbationBands() {
  static const std::vector<ProbationBand> kLaw = {{3, 0}, {12, 1}, {36, 2}, {std::nullopt, 6}};
  return kLaw;
}

const BonusCategory* RecruitmentPolicy::FindCategory(std::string_view id) const {
  for (const BonusCategory& c : categories) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

int RecruitmentPolicy::MaxProbation(int term_months) const {
  return BandLimit(probation, term_months);
}

absl::StatusOr<RecruitmentPolicy> ParseRecruitmentPolicy(std::string_view yaml_text) {
  json root;
  try {
    root = YamlToJson(YAML::Load(std::string(yaml_text)));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(std::string(kFile) + ": " + e.what());
  }
  if (!root.is_object())
    return absl::InvalidArgumentError(std::string(kFile) + ": must be a mapping");
  Obj top("", root);
  RecruitmentPolicy p;
  RETURN_IF_ERROR(top.Int("min_applicants_per_post", true, 1, 1000, &p.min_applicants_per_post));
  RETURN_IF_ERROR(top.Int("shortlist_ratio", true, 1, 100, &p.shortlist_ratio));

  const json* scores = top.Find("scores");
  if (!scores) return top.Err("scores", "required");
  {
    Obj o("scores", *scores);
    RETURN_IF_ERROR(o.CheckObject());
    RETURN_IF_ERROR(o.Points("min", true, 0, 10000, &p.score_min));
    RETURN_IF_ERROR(o.Points("max", true, 1, 10000, &p.score_max));
    if (p.score_max <= p.score_min) return o.Err("max", "must be above min");
    RETURN_IF_ERROR(o.NoUnknownKeys());
  }
  const json* comp = top.Find("composite");
  if (!comp) return top.Err("composite", "required");
  {
    Obj o("composite", *comp);
    RETURN_IF_ERROR(o.CheckObject());
    RETURN_IF_ERROR(o.Int("written_weight", true, 0, 100, &p.written_weight));
    RETURN_IF_ERROR(o.Int("interview_weight", true, 0, 100, &p.interview_weight));
    if (p.written_weight + p.interview_weight != 100) {
      return o.Err("interview_weight", "written_weight + interview_weight must be 100, got " +
                                           N(p.written_weight + p.interview_weight));
    }
    RETURN_IF_ERROR(o.NoUnknownKeys());
  }
  RETURN_IF_ERROR(ParseBonus(top, p));

  const json* tie = top.Find("tie_break");
  if (!tie || !tie->is_array() || tie->empty()) {
    return top.Err("tie_break", "required: a list of keys after the composite");
  }
  for (size_t i = 0; i < tie->size(); ++i) {
    const json& k = (*tie)[i];
    std::optional<TieKey> key;
    if (k.is_string()) key = ParseEnum<TieKey>(k.get<std::string>());
    const std::string path = "tie_break[" + N(static_cast<int64_t>(i)) + "]";
    if (!key) {
      return top.Err(path, k.dump() + " is not one of " + EnumChoices<TieKey>());
    }
    for (TieKey seen : p.tie_break) {
      if (seen == *key) return top.Err(path, k.dump() + " is listed twice");
    }
    p.tie_break.push_back(*key);
  }
  if (p.tie_break.back() != TieKey::kApplicationId) {
    return top.Err("tie_break", "must end with application_id (unique), so the order is total");
  }

  RETURN_IF_ERROR(top.Int("notice_working_days", true, 1, 60, &p.notice_working_days));
  const json* elig = top.Find("eligibility");
  if (!elig) return top.Err("eligibility", "required");
  {
    Obj o("eligibility", *elig);
    RETURN_IF_ERROR(o.CheckObject());
    RETURN_IF_ERROR(o.Int("min_age", true, 16, 100, &p.eligibility.min_age));
    RETURN_IF_ERROR(o.Int("max_age", true, 16, 100, &p.eligibility.max_age));
    if (p.eligibility.max_age < p.eligibility.min_age) return o.Err("max_age", "is below min_age");
    RETURN_IF_ERROR(o.Enum("min_education", true, &p.eligibility.min_education));
    RETURN_IF_ERROR(o.NoUnknownKeys());
  }
  RETURN_IF_ERROR(ParseProbation(top, p));
  RETURN_IF_ERROR(ParseOnboarding(top, p));
  RETURN_IF_ERROR(top.NoUnknownKeys());
  return p;
}

absl::Status ValidateProbation(int term, int probation, const RecruitmentPolicy& policy) {
  if (term != kOpenEndedTerm && term <= 0) {
    return absl::InvalidArgumentError("contract_term_months: " + N(term) +
                                      " must be > 0 (or open-ended)");
  }
  if (probation < 0) {
    return absl::InvalidArgumentError("probation_months: " + N(probation) + " must be ≥ 0");
  }
  const int limit = policy.MaxProbation(term);
  if (probation > limit) {
    const std::string contract =
        term == kOpenEndedTerm ? "an open-ended contract" : "a " + N(term) + "-month contract";
    return absl::InvalidArgumentError("probation_months: " + N(probation) +
                                      " exceeds the limit of " + N(limit) + " for " + contract +
                                      (limit == 0 ? " (no probation may be agreed)" : "") + " (" +
                                      policy.probation_basis + ")");
  }
  return absl::OkStatus();
}

}  // namespace shequ::domain::recruitment
