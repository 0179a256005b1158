#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daemon/domain/recruitment/policy.h"
#include "daemon/domain/workforce/model.h"
#include "daemon/domain/workforce/registry.h"

// An open recruitment campaign (domain.md §2, issue 6): announcement, applications, eligibility,
// written exam, shortlist, interview, ranking, checks with promotion of the next candidate (递补),
// public notice with objections, and the hire into the quota reserved in the workforce registry.
//
// Pure logic over values: dates ("YYYY-MM-DD") and instants (Unix epoch milliseconds, `at_ms`)
// are parameters. Same contract as the workforce registry: everything is checked first; on a
// refusal nothing changes (INVALID_ARGUMENT naming the field, NOT_FOUND, FAILED_PRECONDITION
// naming the state for a step out of order or a rule refusal, ALREADY_EXISTS for a duplicate).
// Personal data never appears unmasked in an error.
//
// Scale: applications live in one vector indexed by id, each post keeps its own vector of
// application ids, and the one-application rule is a hash lookup, so intake is O(1) and the
// shortlist and ranking are O(n log n) per post. Not thread-safe; the owner serialises calls.
namespace shequ::domain::recruitment {

enum class CampaignState {
  kDraft,
  kApproved,
  kPublished,
  kApplicationsClosed,
  kEligibilityReviewed,
  kWrittenScored,
  kShortlisted,
  kInterviewed,
  kRanked,
  kChecking,
  kNotice,
  kHiring,
  kDone,
  kCancelled,
};
std::string_view StateName(CampaignState s);

// One post line of the announcement: `count` posts of ladder post `post` at a community.
struct CampaignPost {
  std::string id;       // post code in the announcement, e.g. "P01"
  std::string unit_id;  // the community (or street-level unit) the hire joins
  std::string post;     // grade-ladder post id, e.g. "assistant"
  int count = 0;
};

struct Requirements {
  int min_age = 18;  // age on the last day of the application window
  int max_age = 35;
  workforce::Education min_education = workforce::Education::kCollege;
  std::vector<std::string> certificates;  // all required; a higher social-work level satisfies
  std::string other_conditions;           // text, judged at the human review
};

struct CampaignSpec {
  std::string id;
  std::string street_unit_id;
  std::string title;
  std::vector<CampaignPost> posts;
  Requirements requirements;
  std::string opens;   // first day applications are accepted
  std::string closes;  // last day
};
// Requirements from the policy's eligibility defaults.
Requirements DefaultRequirements(const RecruitmentPolicy& policy);

enum class CandidateStatus {
  kApplied,          // awaiting the eligibility review
  kIneligible,       // refused at review (reasons in the application)
  kEligible,         // waiting for the written exam
  kWrittenAbsent,    // 缺考
  kNotShortlisted,   // below the written cut line
  kShortlisted,      // to the interview
  kInterviewAbsent,  // 面试缺考
  kRanked,           // interviewed and ranked; not selected (reserve for 递补)
  kSelected,         // candidate: physical exam and background check
  kNotice,           // checks passed, in public notice (公示)
  kHired,
  kRemoved,        // failed a check, withdrew, or an objection was upheld
  kPostCancelled,  // the post was dropped for too few applicants (开考比例不足)
};
std::string_view CandidateStatusName(CandidateStatus s);

enum class CheckKind { kPhysical, kBackground };
enum class CheckResult { kPending, kPassed, kFailed };

struct Application {
  // Given by the applicant.
  workforce::PersonalData personal;
  workforce::Education education = workforce::Education::kHighSchool;
  std::vector<std::string> certificates;
  Source source = Source::kOther;
  std::vector<std::string> categories;  // bonus categories claimed (policy ids)
  std::string community_since;  // start of earlier community work (YYYY-MM-DD), "" if none
  std::string post_id;          // the campaign post applied for
  int64_t applied_at_ms = 0;

  // Kept by the campaign.
  int64_t id = 0;  // 报名号, from 1
  std::string birth_date;
  CandidateStatus status = CandidateStatus::kApplied;
  std::vector<std::string> refusals;  // reasons the applicant sees, automatic or reviewer's
  bool auto_eligible = false;
  bool reviewed = false;
  std::string reviewed_by;
  std::string review_reason;
  std::optional<Tenths> written;
  std::optional<Tenths> interview;
  Tenths bonus = 0;
  std::string bonus_for;        // what earned it: certificate, source or category id
  int64_t composite_milli = 0;  // composite × 1000, exact
  int rank = 0;                 // 1-based place in its post's ranking, 0 if not ranked
  CheckResult physical = CheckResult::kPending;
  CheckResult background = CheckResult::kPending;
  std::string notice_from;
  std::string notice_until;
  std::string removed_reason;
  int64_t worker_id = 0;
};

struct Shortfall {
  std::string post_id;
  std::string unit_id;
  int posts = 0;
  int64_t eligible = 0;
  int64_t needed = 0;  // posts × policy minimum
};

// What the caller passes on to the registry after cutting posts.
struct PostCut {
  std::string post_id;
  std::string unit_id;
  int released = 0;
};

struct ScoreEntry {
  int64_t application_id = 0;
  std::optional<Tenths> score;  // none: absent (缺考)
};
enum class ScoreKind { kWritten, kInterview };

struct ShortlistResult {
  std::string post_id;
  int posts = 0;
  int64_t quota = 0;    // posts × ratio
  Tenths cut_line = 0;  // written score of the last one through
  int64_t through = 0;  // may exceed quota by the ties at the cut line
};

// A removal and who took the place (递补).
struct Promotion {
  int64_t removed_id = 0;
  std::string post_id;
  std::optional<int64_t> promoted_id;  // none: nobody left on the post's ranking
};

struct Objection {
  int64_t id = 0;
  int64_t application_id = 0;
  std::string text;
  std::string filed_on;
  enum class State { kOpen, kUpheld, kDismissed } state = State::kOpen;
  std::string decision_reason;
};

// What the caller needs to start an investigation task.
struct Investigation {
  int64_t objection_id = 0;
  int64_t application_id = 0;
  std::string post_id;
  std::string unit_id;
  std::string candidate;  // masked name
  std::string notice_until;
};

struct StateEntry {
  CampaignState state;
  int64_t at_ms = 0;
};

struct Funnel {
  int64_t applied = 0;
  int64_t eligible = 0;
  int64_t examined = 0;     // sat the written exam
  int64_t interviewed = 0;  // sat the interview
  int64_t notified = 0;     // entered public notice
  int64_t hired = 0;
  // Time spent in each state entered so far, in state order; the current one up to `now_ms`.
  std::vector<std::pair<CampaignState, int64_t>> ms_in_state;
};

// Maps a normalised resident ID number to the key of the one-application rule. The daemon passes
// its blind index (a keyed hash) so that raw numbers are never a map key; by default the number
// itself.
using DedupeKeyFn = std::function<std::string(std::string_view id_number)>;

class Campaign {
 public:
  // Validates the announcement (ids, posts, dates, requirements) and starts in draft.
  static absl::StatusOr<Campaign> Create(CampaignSpec spec, RecruitmentPolicy policy, int64_t at_ms,
                                         DedupeKeyFn dedupe = nullptr);

  const CampaignSpec& spec() const { return spec_; }
  CampaignState state() const { return state_; }
  const std::vector<StateEntry>& history() const { return history_; }
  const std::vector<Application>& applications() const { return apps_; }
  const std::vector<Objection>& objections() const { return objections_; }
  absl::StatusOr<Application> Get(int64_t application_id) const;
  // Posts to reserve per unit (summed), for workforce::Registry::ReserveQuotas.
  std::vector<std::pair<std::string, int>> QuotaNeeded() const;

  // ---- Announcement ----
  absl::Status Approve(int64_t at_ms);  // draft → approved (leading group; quota reserved)
  absl::Status Publish(int64_t at_ms);  // approved → published
  // From any state but done: returns the posts still to release per unit (not yet hired).
  absl::StatusOr<std::vector<PostCut>> Cancel(std::string_view reason, int64_t at_ms);

  // ---- Applications ----
  // While published and opens ≤ today ≤ closes. Returns the application id.
  absl::StatusOr<int64_t> Apply(Application app, std::string_view today);
  // published → applications closed once the window is over (today > closes); runs the
  // automatic eligibility rules for every application not yet decided by a reviewer.
  absl::Status CloseApplications(std::string_view today, int64_t at_ms);
  // Human review in applications closed: confirm or overturn the automatic result. A refusal
  // needs a reason (the applicant sees it); so does overturning a refusal.
  absl::Status Review(int64_t application_id, bool eligible, std::string_view reason,
                      std::string_view by);
  // Posts whose eligible applicants are below count × min_applicants_per_post.
  std::vector<Shortfall> Shortfalls() const;
  // The decision on a shortfall: cut the post's count (0 drops the post and its applicants
  // leave the competition as post_cancelled, with the reason among their refusals) …
  absl::StatusOr<PostCut> CutPosts(std::string_view post_id, int new_count);
  // … or reopen applications until `new_closes` (applications closed → published).
  absl::Status ExtendWindow(std::string_view new_closes, int64_t at_ms);
  // applications closed → eligibility reviewed; refused while there is a shortfall.
  absl::Status FinishEligibilityReview(int64_t at_ms);

  // ---- Scores ----
  // All or nothing. Written scores in eligibility reviewed (eligible applicants), interview
  // scores in shortlisted (shortlisted applicants). A later batch corrects an earlier score.
  absl::Status RecordScores(ScoreKind kind, const std::vector<ScoreEntry>& scores);
  // CSV (daemon/core/csv.h) with a header: 身份证号/id_number or 报名号/application_id, and
  // 笔试成绩/written or 面试成绩/interview (the state says which is due); 姓名/name is allowed
  // and ignored. A blank score or 缺考/absent marks absence. Errors name row, line and column.
  absl::Status ImportScoresCsv(std::string_view csv_text);
  // eligibility reviewed → written scored: every eligible applicant has a score or is absent.
  absl::Status FinishWrittenScores(int64_t at_ms);
  // written scored → shortlisted: per post, the best `posts × shortlist_ratio` by written score.
  absl::StatusOr<std::vector<ShortlistResult>> Shortlist(int64_t at_ms);
  // shortlisted → interviewed: every shortlisted applicant has a score or is absent.
  absl::Status FinishInterviews(int64_t at_ms);
  // interviewed → ranked: composite and bonus for everyone interviewed, ranked per post by the
  // policy's total order; the top `count` of each post become candidates (kSelected).
  absl::Status Rank(int64_t at_ms);
  // The ranking of a post (application ids, best first), once ranked.
  absl::StatusOr<std::vector<int64_t>> Ranking(std::string_view post_id) const;

  // ---- Checks, notice, hire ----
  absl::Status StartChecks(int64_t at_ms);  // ranked → checking
  // Physical exam or background check of a candidate (checking, notice or hiring: a promoted
  // candidate goes through them too). A failure removes the candidate and promotes the next.
  absl::StatusOr<std::optional<Promotion>> RecordCheck(int64_t application_id, CheckKind kind,
                                                       bool passed, std::string_view reason);
  // A candidate withdraws (ranked through hiring): removed, the next promoted.
  absl::StatusOr<Promotion> Withdraw(int64_t application_id, std::string_view reason);
  // Puts every candidate who passed both checks into public notice from `from` to `until` (the
  // caller counts policy().notice_working_days on its calendar). From checking it moves to
  // notice; in notice or hiring it is the supplementary notice of promoted candidates.
  // Refused while a candidate's checks are pending, or when nobody is ready.
  absl::StatusOr<std::vector<int64_t>> StartNotice(std::string_view from, std::string_view until,
                                                   int64_t at_ms);
  // An objection during the candidate's notice opens an investigation.
  absl::StatusOr<Investigation> FileObjection(int64_t application_id, std::string_view text,
                                              std::string_view date);
  // Upheld: the candidate is removed and the next promoted. Dismissed: nothing else changes.
  absl::StatusOr<std::optional<Promotion>> DecideObjection(int64_t objection_id, bool upheld,
                                                           std::string_view reason);
  // Candidates whose notice ended before `today` without an open objection.
  std::vector<int64_t> ReadyToHire(std::string_view today) const;
  // The worker a hire creates (contract employment, on post, at the post's unit).
  absl::StatusOr<workforce::Worker> WorkerFor(int64_t application_id, int grade,
                                              std::string_view hired_on) const;
  // Hires a ready candidate into the campaign's reservation (Registry::HireReserved), atomically
  // with the campaign: on a registry refusal (quota cut meanwhile) nothing changes here either.
  // notice → hiring on the first hire.
  absl::StatusOr<workforce::Change> Hire(int64_t application_id, workforce::Registry& registry,
                                         int grade, std::string_view today, int64_t at_ms);
  // Hire in two halves, for a caller that applies the registry change itself: the checks and
  // the worker to create, then recording the hire once the registry created worker `worker_id`.
  absl::StatusOr<workforce::Worker> PrepareHire(int64_t application_id, int grade,
                                                std::string_view today) const;
  absl::Status RecordHire(int64_t application_id, int64_t worker_id, int64_t at_ms);
  // hiring → done once no candidate is pending; returns the posts left unfilled per post
  // (to release in the registry).
  absl::StatusOr<std::vector<PostCut>> Finish(int64_t at_ms);

  Funnel GetFunnel(int64_t now_ms) const;
  const RecruitmentPolicy& policy() const { return policy_; }

 private:
  struct PostState {
    size_t index = 0;                 // in spec_.posts
    std::vector<int64_t> applicants;  // application ids
    std::vector<int64_t> ranking;     // after Rank, best first
    size_t next = 0;                  // ranking cursor for promotion
    int hired = 0;
  };
  Campaign() = default;

  absl::Status Require(CampaignState s, std::string_view op) const;
  void Enter(CampaignState s, int64_t at_ms);
  Application* Find(int64_t id);
  const Application* Find(int64_t id) const;
  PostState* FindPost(std::string_view post_id);
  const PostState* FindPost(std::string_view post_id) const;
  std::string DedupeKey(std::string_view id_number) const;
  void AutoEligibility(Application& a) const;
  void ComputeBonus(Application& a) const;
  bool Before(const Application& a, const Application& b) const;  // ranking order
  Promotion RemoveAndPromote(Application& a, std::string_view reason);

  CampaignSpec spec_;
  RecruitmentPolicy policy_;
  DedupeKeyFn dedupe_;
  CampaignState state_ = CampaignState::kDraft;
  std::vector<StateEntry> history_;
  std::vector<Application> apps_;  // apps_[id - 1]
  std::unordered_map<std::string, int64_t> by_key_;
  std::unordered_map<std::string, PostState> posts_;
  std::vector<Objection> objections_;
};

}  // namespace shequ::domain::recruitment
