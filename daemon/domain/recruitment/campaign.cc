#include "daemon/domain/recruitment/campaign.h"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_set>

#include "daemon/core/csv.h"
#include "daemon/core/status.h"

namespace shequ::domain::recruitment {
namespace {

using workforce::Education;
using workforce::EnglishName;

std::string S(std::string_view s) { return std::string(s); }
std::string N(int64_t v) { return std::to_string(v); }

absl::Status Invalid(std::string_view field, std::string_view what) {
  return absl::InvalidArgumentError(S(field) + ": " + S(what));
}

std::string Trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return S(s);
}

bool ValidCode(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '_' || c == '-')) {
      return false;
    }
  }
  return true;
}

// Social-work certificate levels: a higher one satisfies a requirement for a lower one.
int SocialWorkLevel(std::string_view cert) {
  if (cert == "assistant_social_worker") return 1;
  if (cert == "social_worker") return 2;
  if (cert == "senior_social_worker") return 3;
  return 0;
}

bool HoldsCertificate(const std::vector<std::string>& held, const std::string& required) {
  const int need = SocialWorkLevel(required);
  for (const std::string& c : held) {
    if (c == required) return true;
    if (need > 0 && SocialWorkLevel(c) >= need) return true;
  }
  return false;
}

bool HoldsSocialWork(const std::vector<std::string>& held) {
  for (const std::string& c : held) {
    if (SocialWorkLevel(c) > 0) return true;
  }
  return false;
}

constexpr std::array<std::string_view, 14> kStateNames = {"draft",
                                                          "approved",
                                                          "published",
                                                          "applications_closed",
                                                          "eligibility_reviewed",
                                                          "written_scored",
                                                          "shortlisted",
                                                          "interviewed",
                                                          "ranked",
                                                          "checking",
                                                          "notice",
                                                          "hiring",
                                                          "done",
                                                          "cancelled"};
constexpr std::array<std::string_view, 13> kStatusNames = {
    "applied",     "ineligible",       "eligible",      "written_absent", "not_shortlisted",
    "shortlisted", "interview_absent", "ranked",        "selected",       "notice",
    "hired",       "removed",          "post_cancelled"};

bool IsCandidate(CandidateStatus s) {
  return s == CandidateStatus::kSelected || s == CandidateStatus::kNotice;
}

}  // namespace

std::string_view StateName(CampaignState s) { return kStateNames[static_cast<int>(s)]; }
std::string_view CandidateStatusName(CandidateStatus s) {
  return kStatusNames[static_cast<int>(s)];
}

Requirements DefaultRequirements(const RecruitmentPolicy& policy) {
  Requirements r;
  r.min_age = policy.eligibility.min_age;
  r.max_age = policy.eligibility.max_age;
  r.min_education = policy.eligibility.min_education;
  return r;
}

// ---------------------------------------------------------------- creation and states

absl::StatusOr<Campaign> Campaign::Create(CampaignSpec spec, RecruitmentPolicy policy,
                                          int64_t at_ms, DedupeKeyFn dedupe) {
  if (!ValidCode(spec.id)) {
    return Invalid("campaign.id", "must be 1–64 letters, digits, '.', '_' or '-'");
  }
  if (spec.street_unit_id.empty()) return Invalid("campaign.street_unit_id", "required");
  if (Trimmed(spec.title).empty()) return Invalid("campaign.title", "required");
  if (spec.posts.empty()) return Invalid("campaign.posts", "at least one post");
  std::set<std::string> ids;
  for (size_t i = 0; i < spec.posts.size(); ++i) {
    const CampaignPost& p = spec.posts[i];
    const std::string f = "campaign.posts[" + N(static_cast<int64_t>(i)) + "]";
    if (!ValidCode(p.id))
      return Invalid(f + ".id", "must be 1–64 letters, digits, '.', '_' or '-'");
    if (!ids.insert(p.id).second) return Invalid(f + ".id", "'" + p.id + "' is listed twice");
    if (p.unit_id.empty()) return Invalid(f + ".unit_id", "required");
    if (p.post.empty()) return Invalid(f + ".post", "required");
    if (p.count <= 0) return Invalid(f + ".count", N(p.count) + " must be > 0");
  }
  const Requirements& r = spec.requirements;
  if (r.min_age < 16 || r.max_age > 100 || r.max_age < r.min_age) {
    return Invalid("campaign.requirements.age",
                   "range " + N(r.min_age) + "–" + N(r.max_age) + " must lie within 16–100");
  }
  for (std::string& c : spec.requirements.certificates) c = workforce::NormalizeCertificate(c);
  if (!workforce::IsValidDate(spec.opens)) {
    return Invalid("campaign.opens", "'" + spec.opens + "' is not a date (YYYY-MM-DD)");
  }
  if (!workforce::IsValidDate(spec.closes)) {
    return Invalid("campaign.closes", "'" + spec.closes + "' is not a date (YYYY-MM-DD)");
  }
  if (spec.closes < spec.opens) return Invalid("campaign.closes", "is before opens");

  Campaign c;
  c.spec_ = std::move(spec);
  c.policy_ = std::move(policy);
  c.dedupe_ = std::move(dedupe);
  for (size_t i = 0; i < c.spec_.posts.size(); ++i) c.posts_[c.spec_.posts[i].id].index = i;
  c.history_.push_back({CampaignState::kDraft, at_ms});
  return c;
}

absl::Status Campaign::Require(CampaignState s, std::string_view op) const {
  if (state_ != s) {
    return absl::FailedPreconditionError(S(op) + ": campaign " + spec_.id + " is " +
                                         S(StateName(state_)) + ", needs " + S(StateName(s)));
  }
  return absl::OkStatus();
}

void Campaign::Enter(CampaignState s, int64_t at_ms) {
  state_ = s;
  history_.push_back({s, at_ms});
}

Application* Campaign::Find(int64_t id) {
  if (id < 1 || id > static_cast<int64_t>(apps_.size())) return nullptr;
  return &apps_[id - 1];
}
const Application* Campaign::Find(int64_t id) const {
  if (id < 1 || id > static_cast<int64_t>(apps_.size())) return nullptr;
  return &apps_[id - 1];
}
Campaign::PostState* Campaign::FindPost(std::string_view id) {
  auto it = posts_.find(S(id));
  return it == posts_.end() ? nullptr : &it->second;
}
const Campaign::PostState* Campaign::FindPost(std::string_view id) const {
  auto it = posts_.find(S(id));
  return it == posts_.end() ? nullptr : &it->second;
}

absl::StatusOr<Application> Campaign::Get(int64_t id) const {
  const Application* a = Find(id);
  if (!a) return absl::NotFoundError("application " + N(id) + " not found");
  return *a;
}

std::vector<std::pair<std::string, int>> Campaign::QuotaNeeded() const {
  std::map<std::string, int> by_unit;
  for (const CampaignPost& p : spec_.posts) {
    if (p.count > 0) by_unit[p.unit_id] += p.count;
  }
  return {by_unit.begin(), by_unit.end()};
}

absl::Status Campaign::Approve(int64_t at_ms) {
  RETURN_IF_ERROR(Require(CampaignState::kDraft, "approve"));
  Enter(CampaignState::kApproved, at_ms);
  return absl::OkStatus();
}

absl::Status Campaign::Publish(int64_t at_ms) {
  RETURN_IF_ERROR(Require(CampaignState::kApproved, "publish"));
  Enter(CampaignState::kPublished, at_ms);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<PostCut>> Campaign::Cancel(std::string_view reason, int64_t at_ms) {
  if (state_ == CampaignState::kDone || state_ == CampaignState::kCancelled) {
    return absl::FailedPreconditionError("cancel: campaign " + spec_.id + " is " +
                                         S(StateName(state_)));
  }
  if (Trimmed(reason).empty()) return Invalid("reason", "required");
  std::vector<PostCut> out;
  // Reservations exist from approval on; a draft has none to give back.
  if (state_ != CampaignState::kDraft) {
    for (const CampaignPost& p : spec_.posts) {
      const int left = p.count - posts_.at(p.id).hired;
      if (left > 0) out.push_back({p.id, p.unit_id, left});
    }
  }
  Enter(CampaignState::kCancelled, at_ms);
  return out;
}

// ---------------------------------------------------------------- applications

std::string Campaign::DedupeKey(std::string_view id_number) const {
  return dedupe_ ? dedupe_(id_number) : S(id_number);
}

absl::StatusOr<int64_t> Campaign::Apply(Application a, std::string_view today) {
  RETURN_IF_ERROR(Require(CampaignState::kPublished, "apply"));
  if (!workforce::IsValidDate(today)) return Invalid("today", "not a date (YYYY-MM-DD)");
  if (today < spec_.opens || today > spec_.closes) {
    return absl::FailedPreconditionError("applied_at: the application window is " + spec_.opens +
                                         " to " + spec_.closes + "; " + S(today) +
                                         " is outside it");
  }
  a.personal.name = Trimmed(a.personal.name);
  if (a.personal.name.empty() || a.personal.name.size() > 100) {
    return Invalid("application.name", "required, at most 100 bytes");
  }
  std::string id_number;
  RETURN_IF_ERROR(workforce::ValidateIdNumber(Trimmed(a.personal.id_number),
                                              "application.id_number", today, &id_number));
  a.personal.id_number = id_number;
  a.personal.phone = Trimmed(a.personal.phone);
  // An erased application replayed from the log: its stand-in number, and no phone.
  const bool erased = workforce::IsErasedIdNumber(id_number) && a.personal.phone.empty();
  if (!erased && !workforce::IsValidPhone(a.personal.phone)) {
    return Invalid("application.phone", "must be an 11-digit mobile number starting with 1 (" +
                                            workforce::MaskPhone(a.personal.phone) + ")");
  }
  a.community_since = Trimmed(a.community_since);
  if (!a.community_since.empty()) {
    if (!workforce::IsValidDate(a.community_since)) {
      return Invalid("application.community_since", "not a date (YYYY-MM-DD)");
    }
    if (a.community_since > today) {
      return Invalid("application.community_since", a.community_since + " is after today");
    }
  }
  const PostState* post = FindPost(a.post_id);
  if (!post) return absl::NotFoundError("application.post_id: no post '" + a.post_id + "'");
  if (spec_.posts[post->index].count == 0) {
    return absl::FailedPreconditionError("application.post_id: post " + a.post_id +
                                         " was cut to 0");
  }
  std::vector<std::string> certs;
  for (const std::string& c : a.certificates) {
    std::string id = workforce::NormalizeCertificate(c);
    if (!id.empty() && std::find(certs.begin(), certs.end(), id) == certs.end()) {
      certs.push_back(std::move(id));
    }
  }
  a.certificates = std::move(certs);
  for (const std::string& c : a.categories) {
    if (!policy_.FindCategory(c)) {
      return Invalid("application.categories", "unknown bonus category '" + c + "'");
    }
  }
  std::string key = DedupeKey(id_number);
  if (by_key_.count(key)) {
    return absl::AlreadyExistsError("application.id_number: " + workforce::MaskIdNumber(id_number) +
                                    " has already applied to campaign " + spec_.id);
  }
  a.id = static_cast<int64_t>(apps_.size()) + 1;
  a.birth_date = workforce::BirthDateOf(id_number);
  a.status = CandidateStatus::kApplied;
  a.refusals.clear();
  a.reviewed = false;
  a.written.reset();
  a.interview.reset();
  a.rank = 0;
  a.worker_id = 0;
  by_key_.emplace(std::move(key), a.id);
  posts_[a.post_id].applicants.push_back(a.id);
  apps_.push_back(std::move(a));
  return apps_.back().id;
}

void Campaign::AutoEligibility(Application& a) const {
  const Requirements& r = spec_.requirements;
  a.refusals.clear();
  const int age = workforce::FullYearsBetween(a.birth_date, spec_.closes);
  if (age < r.min_age || age > r.max_age) {
    a.refusals.push_back("年龄不符合要求：报名截止日(" + spec_.closes + ")时" + N(age) +
                         "周岁，要求" + N(r.min_age) + "至" + N(r.max_age) + "周岁");
  }
  if (a.education < r.min_education) {
    a.refusals.push_back("学历不符合要求：" + S(workforce::ChineseName(a.education)) + "，要求" +
                         S(workforce::ChineseName(r.min_education)) + "及以上");
  }
  for (const std::string& c : r.certificates) {
    if (!HoldsCertificate(a.certificates, c)) {
      a.refusals.push_back("缺少要求的证书：" + S(workforce::CertificateChineseName(c)));
    }
  }
  a.auto_eligible = a.refusals.empty();
  a.status = a.auto_eligible ? CandidateStatus::kEligible : CandidateStatus::kIneligible;
}

absl::Status Campaign::CloseApplications(std::string_view today, int64_t at_ms) {
  RETURN_IF_ERROR(Require(CampaignState::kPublished, "close applications"));
  if (!workforce::IsValidDate(today)) return Invalid("today", "not a date (YYYY-MM-DD)");
  if (today <= spec_.closes) {
    return absl::FailedPreconditionError("close applications: the window runs to " + spec_.closes +
                                         " inclusive");
  }
  // A reviewer's decision stands; everything else is judged again (the closing date, and so
  // the age, may have moved with an extension).
  for (Application& a : apps_) {
    if (!a.reviewed) AutoEligibility(a);
  }
  Enter(CampaignState::kApplicationsClosed, at_ms);
  return absl::OkStatus();
}

absl::Status Campaign::Review(int64_t id, bool eligible, std::string_view reason,
                              std::string_view by) {
  RETURN_IF_ERROR(Require(CampaignState::kApplicationsClosed, "review"));
  Application* a = Find(id);
  if (!a) return absl::NotFoundError("application " + N(id) + " not found");
  if (a->status == CandidateStatus::kPostCancelled) {
    return absl::FailedPreconditionError("application " + N(id) + ": its post " + a->post_id +
                                         " was cancelled");
  }
  if (Trimmed(by).empty()) return Invalid("by", "required");
  const bool overturn = eligible != a->auto_eligible;
  if ((!eligible || overturn) && Trimmed(reason).empty()) {
    return Invalid("reason", eligible ? "required to overturn an automatic refusal"
                                      : "required: the applicant sees why they were refused");
  }
  a->reviewed = true;
  a->reviewed_by = Trimmed(by);
  a->review_reason = Trimmed(reason);
  if (eligible) {
    a->refusals.clear();
    a->status = CandidateStatus::kEligible;
  } else {
    if (!a->review_reason.empty()) a->refusals.push_back(a->review_reason);
    a->status = CandidateStatus::kIneligible;
  }
  return absl::OkStatus();
}

std::vector<Shortfall> Campaign::Shortfalls() const {
  std::vector<Shortfall> out;
  for (const CampaignPost& p : spec_.posts) {
    if (p.count == 0) continue;
    int64_t eligible = 0;
    for (int64_t id : posts_.at(p.id).applicants) {
      eligible += Find(id)->status == CandidateStatus::kEligible;
    }
    const int64_t needed = int64_t{p.count} * policy_.min_applicants_per_post;
    if (eligible < needed) out.push_back({p.id, p.unit_id, p.count, eligible, needed});
  }
  return out;
}

absl::StatusOr<PostCut> Campaign::CutPosts(std::string_view post_id, int new_count) {
  RETURN_IF_ERROR(Require(CampaignState::kApplicationsClosed, "cut posts"));
  PostState* ps = FindPost(post_id);
  if (!ps) return absl::NotFoundError("post_id: no post '" + S(post_id) + "'");
  CampaignPost& p = spec_.posts[ps->index];
  if (new_count < 0 || new_count >= p.count) {
    return Invalid("count", N(new_count) + " must be 0–" + N(p.count - 1) + " (post " + p.id +
                                " has " + N(p.count) + ")");
  }
  PostCut cut{p.id, p.unit_id, p.count - new_count};
  p.count = new_count;
  if (new_count == 0) {
    for (int64_t id : ps->applicants) {
      Application* a = Find(id);
      if (a->status != CandidateStatus::kApplied && a->status != CandidateStatus::kEligible) {
        continue;  // refused already: keep the refusal they were given
      }
      a->status = CandidateStatus::kPostCancelled;
      a->refusals.push_back("报考岗位" + p.id + "因开考比例不足取消");
    }
  }
  return cut;
}

absl::Status Campaign::ExtendWindow(std::string_view new_closes, int64_t at_ms) {
  RETURN_IF_ERROR(Require(CampaignState::kApplicationsClosed, "extend the window"));
  if (!workforce::IsValidDate(new_closes)) {
    return Invalid("closes", "'" + S(new_closes) + "' is not a date (YYYY-MM-DD)");
  }
  if (new_closes <= spec_.closes) {
    return Invalid("closes", S(new_closes) + " must be after the current close " + spec_.closes);
  }
  spec_.closes = S(new_closes);
  Enter(CampaignState::kPublished, at_ms);
  return absl::OkStatus();
}

absl::Status Campaign::FinishEligibilityReview(int64_t at_ms) {
  RETURN_IF_ERROR(Require(CampaignState::kApplicationsClosed, "finish the eligibility review"));
  const auto shortfalls = Shortfalls();
  if (!shortfalls.empty()) {
    const Shortfall& s = shortfalls.front();
    return absl::FailedPreconditionError(
        "post " + s.post_id + ": " + N(s.eligible) + " eligible applicants for " + N(s.posts) +
        " posts, the policy needs " + N(s.needed) + " (" + N(policy_.min_applicants_per_post) +
        " per post): cut posts or extend the window" +
        (shortfalls.size() > 1
             ? " (and " + N(static_cast<int64_t>(shortfalls.size()) - 1) + " more posts)"
             : ""));
  }
  Enter(CampaignState::kEligibilityReviewed, at_ms);
  return absl::OkStatus();
}

// ---------------------------------------------------------------- scores

absl::Status Campaign::RecordScores(ScoreKind kind, const std::vector<ScoreEntry>& scores) {
  const bool written = kind == ScoreKind::kWritten;
  RETURN_IF_ERROR(
      Require(written ? CampaignState::kEligibilityReviewed : CampaignState::kShortlisted,
              written ? "record written scores" : "record interview scores"));
  const std::string field = written ? "written" : "interview";
  std::unordered_set<int64_t> seen;
  // Everything is checked before anything is written.
  for (size_t i = 0; i < scores.size(); ++i) {
    const ScoreEntry& e = scores[i];
    const std::string at = "scores[" + N(static_cast<int64_t>(i)) + "]";
    const Application* a = Find(e.application_id);
    if (!a) {
      return absl::NotFoundError(at + ".application_id: no application " + N(e.application_id));
    }
    if (!seen.insert(e.application_id).second) {
      return Invalid(at + ".application_id",
                     "application " + N(e.application_id) + " appears twice in the batch");
    }
    if (written) {
      const bool open = spec_.posts[posts_.at(a->post_id).index].count > 0;
      if (a->status != CandidateStatus::kEligible && a->status != CandidateStatus::kWrittenAbsent) {
        return absl::FailedPreconditionError(at + ": application " + N(a->id) + " is " +
                                             S(CandidateStatusName(a->status)) +
                                             ", not eligible for the written exam");
      }
      if (!open) {
        return absl::FailedPreconditionError(at + ": post " + a->post_id + " was cut to 0");
      }
    } else if (a->status != CandidateStatus::kShortlisted &&
               a->status != CandidateStatus::kInterviewAbsent) {
      return absl::FailedPreconditionError(at + ": application " + N(a->id) + " is " +
                                           S(CandidateStatusName(a->status)) +
                                           ", not shortlisted for the interview");
    }
    if (e.score && (*e.score < policy_.score_min || *e.score > policy_.score_max)) {
      return Invalid(at + "." + field, FormatTenths(*e.score) + " is outside " +
                                           FormatTenths(policy_.score_min) + "–" +
                                           FormatTenths(policy_.score_max));
    }
  }
  for (const ScoreEntry& e : scores) {
    Application& a = *Find(e.application_id);
    if (written) {
      a.written = e.score;
      a.status = e.score ? CandidateStatus::kEligible : CandidateStatus::kWrittenAbsent;
    } else {
      a.interview = e.score;
      a.status = e.score ? CandidateStatus::kShortlisted : CandidateStatus::kInterviewAbsent;
    }
  }
  return absl::OkStatus();
}

absl::Status Campaign::ImportScoresCsv(std::string_view text) {
  const bool written = state_ == CampaignState::kEligibilityReviewed;
  if (!written && state_ != CampaignState::kShortlisted) {
    return absl::FailedPreconditionError("import scores: campaign " + spec_.id + " is " +
                                         S(StateName(state_)) +
                                         ", needs eligibility_reviewed or shortlisted");
  }
  csv::Reader reader(text);
  std::vector<std::string> fields;
  ASSIGN_OR_RETURN(bool any, reader.Next(&fields));
  if (!any) return Invalid("csv", "empty: a header row is required");
  int id_col = -1, app_col = -1, score_col = -1, other_score_col = -1;
  std::vector<std::string> header = fields;
  for (size_t i = 0; i < header.size(); ++i) {
    const std::string h = Trimmed(header[i]);
    const int c = static_cast<int>(i);
    int* slot = nullptr;
    if (h == "身份证号" || h == "id_number") {
      slot = &id_col;
    } else if (h == "报名号" || h == "application_id") {
      slot = &app_col;
    } else if (h == "笔试成绩" || h == "written") {
      slot = written ? &score_col : &other_score_col;
    } else if (h == "面试成绩" || h == "interview") {
      slot = written ? &other_score_col : &score_col;
    } else if (h == "姓名" || h == "name") {
      continue;
    } else {
      return Invalid("csv", "line 1: unknown column '" + h + "'");
    }
    if (*slot >= 0) return Invalid("csv", "line 1: column '" + h + "' appears twice");
    *slot = c;
  }
  const std::string score_name = written ? "笔试成绩 (written)" : "面试成绩 (interview)";
  if (other_score_col >= 0) {
    return absl::FailedPreconditionError(
        "csv: column '" + header[other_score_col] + "' is not due: campaign " + spec_.id + " is " +
        S(StateName(state_)) + " and takes " + score_name + " scores");
  }
  if (score_col < 0) return Invalid("csv", "line 1: the column " + score_name + " is required");
  if (id_col < 0 && app_col < 0) {
    return Invalid("csv",
                   "line 1: a column 身份证号 (id_number) or 报名号 (application_id) is "
                   "required");
  }

  std::vector<ScoreEntry> entries;
  std::vector<std::pair<int, int>> where;  // (row, line) per entry
  int row = 0;
  for (;;) {
    ASSIGN_OR_RETURN(bool more, reader.Next(&fields));
    if (!more) break;
    if (fields.size() == 1 && Trimmed(fields[0]).empty()) continue;
    ++row;
    const std::string at = "row " + N(row) + " (line " + N(reader.line()) + ")";
    auto cell = [&](int c) {
      return c < static_cast<int>(fields.size()) ? Trimmed(fields[c]) : "";
    };
    ScoreEntry e;
    if (app_col >= 0 && !cell(app_col).empty()) {
      const std::string v = cell(app_col);
      int64_t id = 0;
      for (char ch : v) {
        if (ch < '0' || ch > '9' || id > (int64_t{1} << 40)) {
          return Invalid(at + ", column " + header[app_col], "'" + v + "' is not a number");
        }
        id = id * 10 + (ch - '0');
      }
      if (!Find(id)) {
        return absl::NotFoundError(at + ", column " + header[app_col] + ": no application " + v);
      }
      e.application_id = id;
    }
    if (id_col >= 0 && !cell(id_col).empty()) {
      std::string number;
      RETURN_IF_ERROR([&]() -> absl::Status {
        absl::Status s = workforce::ValidateIdNumber(cell(id_col), "id_number", "", &number);
        if (!s.ok()) {
          return absl::InvalidArgumentError(at + ", column " + header[id_col] + ": " +
                                            std::string(s.message()));
        }
        return absl::OkStatus();
      }());
      auto it = by_key_.find(DedupeKey(number));
      if (it == by_key_.end()) {
        return absl::NotFoundError(at + ", column " + header[id_col] + ": " +
                                   workforce::MaskIdNumber(number) +
                                   " has not applied to campaign " + spec_.id);
      }
      if (e.application_id != 0 && e.application_id != it->second) {
        return Invalid(at + ", column " + header[id_col], "the ID number belongs to application " +
                                                              N(it->second) + ", not " +
                                                              N(e.application_id));
      }
      e.application_id = it->second;
    }
    if (e.application_id == 0) return Invalid(at, "no applicant given");
    const std::string v = cell(score_col);
    if (!(v.empty() || v == "缺考" || v == "absent")) {
      auto t = ParseTenths(v);
      if (!t) {
        return Invalid(at + ", column " + header[score_col],
                       "'" + v + "' is not a score with at most one decimal place");
      }
      e.score = *t;
    }
    entries.push_back(e);
    where.emplace_back(row, reader.line());
  }
  absl::Status s = RecordScores(written ? ScoreKind::kWritten : ScoreKind::kInterview, entries);
  if (s.ok()) return s;
  // "scores[i]…" → the CSV row, line and column.
  std::string msg(s.message());
  if (msg.rfind("scores[", 0) == 0) {
    const size_t close = msg.find(']');
    const size_t i = std::stoul(msg.substr(7, close - 7));
    std::string rest = msg.substr(close + 1);
    std::string column;
    if (rest.rfind(".written", 0) == 0 || rest.rfind(".interview", 0) == 0) {
      column = ", column " + header[score_col];
      rest = rest.substr(rest.find(':'));
    } else if (rest.rfind(".application_id", 0) == 0) {
      column = ", column " + header[id_col >= 0 ? id_col : app_col];
      rest = rest.substr(rest.find(':'));
    }
    msg = "row " + N(where[i].first) + " (line " + N(where[i].second) + ")" + column + rest;
  }
  return absl::Status(s.code(), msg);
}

absl::Status Campaign::FinishWrittenScores(int64_t at_ms) {
  RETURN_IF_ERROR(Require(CampaignState::kEligibilityReviewed, "finish written scores"));
  int64_t missing = 0, first = 0;
  for (const Application& a : apps_) {
    if (a.status == CandidateStatus::kEligible && !a.written &&
        spec_.posts[posts_.at(a.post_id).index].count > 0) {
      if (missing++ == 0) first = a.id;
    }
  }
  if (missing > 0) {
    return absl::FailedPreconditionError("finish written scores: " + N(missing) +
                                         " eligible applicants have no written score or absence "
                                         "(first: application " +
                                         N(first) + ")");
  }
  Enter(CampaignState::kWrittenScored, at_ms);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<ShortlistResult>> Campaign::Shortlist(int64_t at_ms) {
  RETURN_IF_ERROR(Require(CampaignState::kWrittenScored, "shortlist"));
  std::vector<ShortlistResult> out;
  std::vector<int64_t> pool;
  for (const CampaignPost& p : spec_.posts) {
    const PostState& ps = posts_.at(p.id);
    pool.clear();
    for (int64_t id : ps.applicants) {
      const Application& a = apps_[id - 1];
      if (a.status == CandidateStatus::kEligible && a.written) pool.push_back(id);
    }
    ShortlistResult r{p.id, p.count, int64_t{p.count} * policy_.shortlist_ratio, 0, 0};
    const int64_t quota = std::min<int64_t>(r.quota, static_cast<int64_t>(pool.size()));
    if (quota > 0) {
      // Only the cut line is needed, not a full sort: O(n) per post.
      auto nth = pool.begin() + (quota - 1);
      std::nth_element(pool.begin(), nth, pool.end(), [&](int64_t x, int64_t y) {
        return *apps_[x - 1].written > *apps_[y - 1].written;
      });
      r.cut_line = *apps_[*nth - 1].written;
    }
    // Everyone tied with the last place inside the ratio goes through too: the written score
    // alone decides the shortlist, so equal scores are treated alike (the list may run over).
    for (int64_t id : pool) {
      Application& a = apps_[id - 1];
      if (quota > 0 && *a.written >= r.cut_line) {
        a.status = CandidateStatus::kShortlisted;
        ++r.through;
      } else {
        a.status = CandidateStatus::kNotShortlisted;
      }
    }
    out.push_back(r);
  }
  Enter(CampaignState::kShortlisted, at_ms);
  return out;
}

absl::Status Campaign::FinishInterviews(int64_t at_ms) {
  RETURN_IF_ERROR(Require(CampaignState::kShortlisted, "finish interviews"));
  int64_t missing = 0, first = 0;
  for (const Application& a : apps_) {
    if (a.status == CandidateStatus::kShortlisted && !a.interview) {
      if (missing++ == 0) first = a.id;
    }
  }
  if (missing > 0) {
    return absl::FailedPreconditionError("finish interviews: " + N(missing) +
                                         " shortlisted applicants have no interview score or "
                                         "absence (first: application " +
                                         N(first) + ")");
  }
  Enter(CampaignState::kInterviewed, at_ms);
  return absl::OkStatus();
}

void Campaign::ComputeBonus(Application& a) const {
  // The largest applicable bonus, never the sum (issue 6).
  a.bonus = 0;
  a.bonus_for.clear();
  auto consider = [&](Tenths points, std::string_view what) {
    if (points > a.bonus) {
      a.bonus = points;
      a.bonus_for = S(what);
    }
  };
  for (const std::string& c : a.certificates) {
    if (auto it = policy_.certificate_bonus.find(c); it != policy_.certificate_bonus.end()) {
      consider(it->second, c);
    }
  }
  consider(policy_.source_bonus[static_cast<int>(a.source)], EnglishName(a.source));
  for (const std::string& c : a.categories) {
    if (const BonusCategory* cat = policy_.FindCategory(c)) consider(cat->points, c);
  }
}

bool Campaign::Before(const Application& a, const Application& b) const {
  if (a.composite_milli != b.composite_milli) return a.composite_milli > b.composite_milli;
  for (TieKey k : policy_.tie_break) {
    switch (k) {
      case TieKey::kWritten:
        if (*a.written != *b.written) return *a.written > *b.written;
        break;
      case TieKey::kInterview:
        if (*a.interview != *b.interview) return *a.interview > *b.interview;
        break;
      case TieKey::kSocialWorkCertificate: {
        const bool x = HoldsSocialWork(a.certificates), y = HoldsSocialWork(b.certificates);
        if (x != y) return x;
        break;
      }
      case TieKey::kBonus:
        if (a.bonus != b.bonus) return a.bonus > b.bonus;
        break;
      case TieKey::kAppliedAt:
        if (a.applied_at_ms != b.applied_at_ms) return a.applied_at_ms < b.applied_at_ms;
        break;
      case TieKey::kApplicationId:
        if (a.id != b.id) return a.id < b.id;
        break;
    }
  }
  return a.id < b.id;  // unreachable with a parsed policy (it ends with application_id)
}

absl::Status Campaign::Rank(int64_t at_ms) {
  RETURN_IF_ERROR(Require(CampaignState::kInterviewed, "rank"));
  for (const CampaignPost& p : spec_.posts) {
    PostState& ps = posts_.at(p.id);
    ps.ranking.clear();
    for (int64_t id : ps.applicants) {
      Application& a = apps_[id - 1];
      if (a.status != CandidateStatus::kShortlisted || !a.interview) continue;
      ComputeBonus(a);
      a.composite_milli = *a.written * policy_.written_weight +
                          *a.interview * policy_.interview_weight + a.bonus * 100;
      ps.ranking.push_back(id);
    }
    std::sort(ps.ranking.begin(), ps.ranking.end(),
              [&](int64_t x, int64_t y) { return Before(apps_[x - 1], apps_[y - 1]); });
    for (size_t i = 0; i < ps.ranking.size(); ++i) {
      Application& a = apps_[ps.ranking[i] - 1];
      a.rank = static_cast<int>(i) + 1;
      a.status =
          static_cast<int>(i) < p.count ? CandidateStatus::kSelected : CandidateStatus::kRanked;
    }
    ps.next = std::min<size_t>(p.count, ps.ranking.size());
  }
  Enter(CampaignState::kRanked, at_ms);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<int64_t>> Campaign::Ranking(std::string_view post_id) const {
  const PostState* ps = FindPost(post_id);
  if (!ps) return absl::NotFoundError("post_id: no post '" + S(post_id) + "'");
  return ps->ranking;
}

// ---------------------------------------------------------------- checks, notice, hire

absl::Status Campaign::StartChecks(int64_t at_ms) {
  RETURN_IF_ERROR(Require(CampaignState::kRanked, "start checks"));
  Enter(CampaignState::kChecking, at_ms);
  return absl::OkStatus();
}

Promotion Campaign::RemoveAndPromote(Application& a, std::string_view reason) {
  a.status = CandidateStatus::kRemoved;
  a.removed_reason = S(reason);
  PostState& ps = posts_.at(a.post_id);
  Promotion p{a.id, a.post_id, std::nullopt};
  // The cursor only moves down the ranking, so promotions cost O(n) in all.
  while (ps.next < ps.ranking.size()) {
    Application& next = apps_[ps.ranking[ps.next++] - 1];
    if (next.status == CandidateStatus::kRanked) {
      next.status = CandidateStatus::kSelected;
      p.promoted_id = next.id;
      break;
    }
  }
  return p;
}

absl::StatusOr<std::optional<Promotion>> Campaign::RecordCheck(int64_t id, CheckKind kind,
                                                               bool passed,
                                                               std::string_view reason) {
  if (state_ != CampaignState::kChecking && state_ != CampaignState::kNotice &&
      state_ != CampaignState::kHiring) {
    return absl::FailedPreconditionError("record check: campaign " + spec_.id + " is " +
                                         S(StateName(state_)) +
                                         ", needs checking, notice or hiring");
  }
  Application* a = Find(id);
  if (!a) return absl::NotFoundError("application " + N(id) + " not found");
  if (a->status != CandidateStatus::kSelected) {
    return absl::FailedPreconditionError("application " + N(id) + " is " +
                                         S(CandidateStatusName(a->status)) +
                                         ", not a candidate awaiting checks");
  }
  if (!passed && Trimmed(reason).empty()) return Invalid("reason", "required for a failure");
  CheckResult& slot = kind == CheckKind::kPhysical ? a->physical : a->background;
  slot = passed ? CheckResult::kPassed : CheckResult::kFailed;
  if (passed) return std::optional<Promotion>();
  return std::optional<Promotion>(RemoveAndPromote(
      *a, (kind == CheckKind::kPhysical ? "体检不合格: " : "考察不合格: ") + Trimmed(reason)));
}

absl::StatusOr<Promotion> Campaign::Withdraw(int64_t id, std::string_view reason) {
  if (state_ < CampaignState::kRanked || state_ > CampaignState::kHiring) {
    return absl::FailedPreconditionError("withdraw: campaign " + spec_.id + " is " +
                                         S(StateName(state_)) + ", needs ranked through hiring");
  }
  Application* a = Find(id);
  if (!a) return absl::NotFoundError("application " + N(id) + " not found");
  if (!IsCandidate(a->status)) {
    return absl::FailedPreconditionError("application " + N(id) + " is " +
                                         S(CandidateStatusName(a->status)) + ", not a candidate");
  }
  return RemoveAndPromote(*a, "放弃: " + Trimmed(reason));
}

absl::StatusOr<std::vector<int64_t>> Campaign::StartNotice(std::string_view from,
                                                           std::string_view until, int64_t at_ms) {
  if (state_ != CampaignState::kChecking && state_ != CampaignState::kNotice &&
      state_ != CampaignState::kHiring) {
    return absl::FailedPreconditionError("start notice: campaign " + spec_.id + " is " +
                                         S(StateName(state_)) +
                                         ", needs checking (or notice/hiring for promoted "
                                         "candidates)");
  }
  if (!workforce::IsValidDate(from)) return Invalid("from", "not a date (YYYY-MM-DD)");
  if (!workforce::IsValidDate(until)) return Invalid("until", "not a date (YYYY-MM-DD)");
  if (until < from) return Invalid("until", "is before from");
  std::vector<int64_t> ready;
  for (const Application& a : apps_) {
    if (a.status != CandidateStatus::kSelected) continue;
    if (a.physical != CheckResult::kPassed || a.background != CheckResult::kPassed) {
      return absl::FailedPreconditionError("start notice: application " + N(a.id) +
                                           " has checks pending");
    }
    ready.push_back(a.id);
  }
  if (ready.empty()) {
    return absl::FailedPreconditionError("start notice: no candidate has passed both checks");
  }
  for (int64_t id : ready) {
    Application& a = apps_[id - 1];
    a.status = CandidateStatus::kNotice;
    a.notice_from = S(from);
    a.notice_until = S(until);
  }
  if (state_ == CampaignState::kChecking) Enter(CampaignState::kNotice, at_ms);
  return ready;
}

absl::StatusOr<Investigation> Campaign::FileObjection(int64_t id, std::string_view text,
                                                      std::string_view date) {
  if (state_ != CampaignState::kNotice && state_ != CampaignState::kHiring) {
    return absl::FailedPreconditionError("file objection: campaign " + spec_.id + " is " +
                                         S(StateName(state_)) + ", needs notice");
  }
  Application* a = Find(id);
  if (!a) return absl::NotFoundError("application " + N(id) + " not found");
  if (Trimmed(text).empty()) return Invalid("text", "required");
  if (!workforce::IsValidDate(date)) return Invalid("date", "not a date (YYYY-MM-DD)");
  if (a->status != CandidateStatus::kNotice || date < a->notice_from || date > a->notice_until) {
    return absl::FailedPreconditionError(
        "file objection: application " + N(id) + " is not in public notice on " + S(date) +
        (a->notice_from.empty() ? ""
                                : " (notice " + a->notice_from + " to " + a->notice_until + ")"));
  }
  Objection o;
  o.id = static_cast<int64_t>(objections_.size()) + 1;
  o.application_id = id;
  o.text = Trimmed(text);
  o.filed_on = S(date);
  objections_.push_back(o);
  return Investigation{o.id,
                       id,
                       a->post_id,
                       spec_.posts[posts_.at(a->post_id).index].unit_id,
                       workforce::MaskName(a->personal.name),
                       a->notice_until};
}

absl::StatusOr<std::optional<Promotion>> Campaign::DecideObjection(int64_t objection_id,
                                                                   bool upheld,
                                                                   std::string_view reason) {
  if (objection_id < 1 || objection_id > static_cast<int64_t>(objections_.size())) {
    return absl::NotFoundError("objection " + N(objection_id) + " not found");
  }
  Objection& o = objections_[objection_id - 1];
  if (o.state != Objection::State::kOpen) {
    return absl::FailedPreconditionError("objection " + N(objection_id) + " is already decided");
  }
  if (Trimmed(reason).empty()) return Invalid("reason", "required");
  Application& a = apps_[o.application_id - 1];
  if (upheld && !IsCandidate(a.status)) {
    return absl::FailedPreconditionError("application " + N(a.id) + " is " +
                                         S(CandidateStatusName(a.status)) + ", not a candidate");
  }
  o.state = upheld ? Objection::State::kUpheld : Objection::State::kDismissed;
  o.decision_reason = Trimmed(reason);
  if (!upheld) return std::optional<Promotion>();
  return std::optional<Promotion>(RemoveAndPromote(a, "公示异议成立: " + o.decision_reason));
}

std::vector<int64_t> Campaign::ReadyToHire(std::string_view today) const {
  std::unordered_set<int64_t> blocked;
  for (const Objection& o : objections_) {
    if (o.state == Objection::State::kOpen) blocked.insert(o.application_id);
  }
  std::vector<int64_t> out;
  for (const Application& a : apps_) {
    if (a.status == CandidateStatus::kNotice && a.notice_until < today && !blocked.count(a.id)) {
      out.push_back(a.id);
    }
  }
  return out;
}

absl::StatusOr<workforce::Worker> Campaign::WorkerFor(int64_t id, int grade,
                                                      std::string_view hired_on) const {
  const Application* a = Find(id);
  if (!a) return absl::NotFoundError("application " + N(id) + " not found");
  const CampaignPost& p = spec_.posts[posts_.at(a->post_id).index];
  workforce::Worker w;
  w.personal = a->personal;
  w.education = a->education;
  w.certificates = a->certificates;
  w.community_since = a->community_since;
  w.employment = workforce::Employment::kContract;  // 聘用合同制
  w.status = workforce::WorkerStatus::kOnPost;
  w.post = p.post;
  w.grade = grade;
  w.unit_id = p.unit_id;
  w.hired_on = S(hired_on);
  return w;
}

absl::StatusOr<workforce::Worker> Campaign::PrepareHire(int64_t id, int grade,
                                                       std::string_view today) const {
  if (state_ != CampaignState::kNotice && state_ != CampaignState::kHiring) {
    return absl::FailedPreconditionError("hire: campaign " + spec_.id + " is " +
                                         S(StateName(state_)) + ", needs notice or hiring");
  }
  const Application* a = Find(id);
  if (!a) return absl::NotFoundError("application " + N(id) + " not found");
  const std::vector<int64_t> ready = ReadyToHire(today);
  if (std::find(ready.begin(), ready.end(), id) == ready.end()) {
    return absl::FailedPreconditionError(
        "hire: application " + N(id) + " is " + S(CandidateStatusName(a->status)) +
        (a->status == CandidateStatus::kNotice
             ? " until " + a->notice_until + " or has an open objection"
             : ""));
  }
  return WorkerFor(id, grade, today);
}

absl::Status Campaign::RecordHire(int64_t id, int64_t worker_id, int64_t at_ms) {
  Application* a = Find(id);
  if (!a) return absl::NotFoundError("application " + N(id) + " not found");
  if (a->status != CandidateStatus::kNotice) {
    return absl::FailedPreconditionError("hire: application " + N(id) + " is " +
                                         S(CandidateStatusName(a->status)));
  }
  a->status = CandidateStatus::kHired;
  a->worker_id = worker_id;
  ++posts_.at(a->post_id).hired;
  if (state_ == CampaignState::kNotice) Enter(CampaignState::kHiring, at_ms);
  return absl::OkStatus();
}

absl::StatusOr<workforce::Change> Campaign::Hire(int64_t id, workforce::Registry& registry,
                                                 int grade, std::string_view today, int64_t at_ms) {
  ASSIGN_OR_RETURN(workforce::Worker w, PrepareHire(id, grade, today));
  // The registry checks and applies first; only on success does the campaign move.
  ASSIGN_OR_RETURN(workforce::Change change, registry.HireReserved(spec_.id, std::move(w), today));
  RETURN_IF_ERROR(RecordHire(id, change.workers.empty() ? 0 : change.workers.front().id, at_ms));
  return change;
}

absl::StatusOr<std::vector<PostCut>> Campaign::Finish(int64_t at_ms) {
  RETURN_IF_ERROR(Require(CampaignState::kHiring, "finish"));
  for (const Application& a : apps_) {
    if (IsCandidate(a.status)) {
      return absl::FailedPreconditionError("finish: application " + N(a.id) + " is still " +
                                           S(CandidateStatusName(a.status)));
    }
  }
  std::vector<PostCut> out;
  for (const CampaignPost& p : spec_.posts) {
    const int left = p.count - posts_.at(p.id).hired;
    if (left > 0) out.push_back({p.id, p.unit_id, left});
  }
  Enter(CampaignState::kDone, at_ms);
  return out;
}

Funnel Campaign::GetFunnel(int64_t now_ms) const {
  Funnel f;
  for (const Application& a : apps_) {
    ++f.applied;
    if (a.status != CandidateStatus::kApplied && a.status != CandidateStatus::kIneligible &&
        a.status != CandidateStatus::kPostCancelled) {
      ++f.eligible;
    }
    f.examined += a.written.has_value();
    f.interviewed += a.interview.has_value();
    f.notified += !a.notice_from.empty();
    f.hired += a.status == CandidateStatus::kHired;
  }
  std::map<CampaignState, int64_t> spent;
  for (size_t i = 0; i < history_.size(); ++i) {
    const int64_t end = i + 1 < history_.size() ? history_[i + 1].at_ms : now_ms;
    spent[history_[i].state] += std::max<int64_t>(end - history_[i].at_ms, 0);
  }
  f.ms_in_state.assign(spent.begin(), spent.end());
  return f;
}

}  // namespace shequ::domain::recruitment
