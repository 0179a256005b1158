// recruitment_bench: a recruitment campaign of 100,000 applicants for 500 posts (issue 6) through
// gRPC against the real shequd: the intake rate of Recruitment/Apply against
// grpc.health.v1.Health/Check in the same run, then the time of each step after the window —
// closing it (automatic eligibility of every application), the eligibility review, the written
// scores of every eligible applicant (one CSV, all or nothing), the shortlist, the interview
// scores and the ranking — and a restart after kill -9 (campaigns replay their command log).
//
// The daemon is the real binary (tests/integration/daemon_process.h): its own temporary data
// directory, synchronous=FULL, the fake clock (Admin/AdvanceClock ends the application window,
// as in tests/integration/recruitment_test.cc). Setup: one district, one street office, 100
// communities with 5 quota posts each; the campaign has 500 post lines of count 1 (P001..P500,
// five per community), opened by the street office and approved by the leading group.
//
// Applicants have distinct, valid 18-digit ID numbers; 1 in 47 is too old (refused by the
// automatic eligibility rules), the rest pass. Application i applies to post i % 500.
//
// Intake goes through the same client as grpc_bench (bench/load_runner.h): one channel,
// grpc::GenericStub with the callback API, requests serialized up front, 64 calls outstanding. Phases alternate Health
// (fixed time) and Apply (a fixed share of the applicants), so drift in the machine's load hits
// both and a rate that falls as the campaign grows shows per round.
//
// Also printed: the daemon's VmRSS and the store's size per application, and the time from exec
// to serving after kill -9 (DIAG lines).
//
//   recruitment_bench [--quick] [--applicants N] [--posts N] [--rounds N] [--health-seconds S]
//                     [--concurrency C]

#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_util.h"
#include "bench/load_runner.h"
#include "bench/real_daemon.h"
#include "tests/integration/daemon_process.h"

namespace shequ::bench {
namespace {

namespace st = ::shequ::testing;

constexpr char kCampaign[] = "bench-2026";
constexpr char kStreet[] = "bz.s1";
constexpr int kPostsPerCommunity = 5;

const Who kStreetOffice{"bench.clerk", "street-office", kStreet};
const Who kLeadingGroup{"bench.lg", "leading-group", ""};
const Who kAdmin{"bench.admin", "district-admin", ""};

std::string PostId(int p) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "P%03d", p + 1);
  return buf;
}

std::string CommunityId(int c) { return std::string(kStreet) + ".c" + std::to_string(c); }

bool TooOld(int64_t i) { return i % 47 == 46; }  // 47: prime to the post count

// Scores from a hash of i (splitmix64): a linear formula repeats with a short period within a
// post (applicants i ≡ p mod posts) and would tie most of a post at the cut line.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
std::string Tenths(uint64_t t) { return std::to_string(t / 10) + "." + std::to_string(t % 10); }
// A written score 40.0–99.9, 缺考 for 1 in 40; an interview score 60.0–99.9.
std::string WrittenScore(int64_t i) {
  const uint64_t h = Mix(static_cast<uint64_t>(i));
  return h % 40 == 7 ? "缺考" : Tenths(400 + h / 40 % 600);
}
std::string InterviewScore(int64_t i) { return Tenths(600 + Mix(~static_cast<uint64_t>(i)) % 400); }

std::string ApplyBytes(int64_t i, int posts) {
  static const char* kSurnames[] = {"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周"};
  static const char* kGiven[] = {"芳", "伟", "敏", "静", "磊", "洋", "艳", "勇", "军", "杰"};
  static const char* kEducation[] = {"bachelor", "college", "bachelor", "master"};
  v1::ApplyRequest req;
  req.set_campaign_id(kCampaign);
  auto* a = req.mutable_application();
  a->set_post_id(PostId(static_cast<int>(i % posts)));
  a->set_name(std::string(kSurnames[i % 10]) + kGiven[i / 10 % 10] + kGiven[i / 100 % 10]);
  // Too old: born 17 years earlier, 38 to 51 on the closing day, over the policy's 35.
  a->set_id_number(IdNumber(i, TooOld(i) ? 1975 : 1992));
  char phone[16];
  std::snprintf(phone, sizeof phone, "138%08lld", static_cast<long long>(i % 100'000'000));
  a->set_phone(phone);
  a->set_education(kEducation[i % 4]);
  a->set_source(i % 20 == 3 ? "veteran" : "graduate");
  if (i % 10 == 1) a->add_certificates("assistant_social_worker");
  return req.SerializeAsString();
}

using StepFn = grpc::Status (v1::Recruitment::Stub::*)(grpc::ClientContext*, const v1::StepRequest&,
                                                         v1::Campaign*);

// A step call, timed; dies unless the campaign ends in `want`.
double Step(st::Stubs& stubs, StepFn call, const Who& as, const std::string& outcome,
            const std::string& want, const char* what) {
  v1::StepRequest req;
  req.set_campaign_id(kCampaign);
  req.set_outcome(outcome);
  grpc::ClientContext ctx;
  Prepare(&ctx, as);
  v1::Campaign out;
  const auto t0 = SteadyClock::now();
  auto s = ((*stubs.recruitment).*call)(&ctx, req, &out);
  const double secs = SecondsSince(t0);
  if (!s.ok()) Die(std::string(what) + ": " + Describe(s));
  if (out.state() != want) {
    std::string why;
    for (const auto& f : out.shortfalls()) {
      why += " shortfall " + f.post_id() + ": " + std::to_string(f.eligible()) + " of " +
             std::to_string(f.needed()) + ";";
    }
    for (const auto& o : out.open_steps()) why += " open step " + o.step() + ";";
    Die(std::string(what) + ": campaign is " + out.state() + ", expected " + want + why);
  }
  return secs;
}

v1::Campaign GetCampaign(st::Stubs& stubs, grpc::Status* status = nullptr) {
  v1::GetCampaignRequest req;
  req.set_id(kCampaign);
  grpc::ClientContext ctx;
  Prepare(&ctx, kStreetOffice, 60);
  v1::Campaign out;
  auto s = stubs.recruitment->GetCampaign(&ctx, req, &out);
  if (status) {
    *status = s;
  } else if (!s.ok()) {
    Die("GetCampaign: " + Describe(s));
  }
  return out;
}

double ImportScores(st::Stubs& stubs, const std::string& csv, int64_t rows, const char* what) {
  v1::ImportScoresRequest req;
  req.set_campaign_id(kCampaign);
  req.set_csv(csv);
  grpc::ClientContext ctx;
  Prepare(&ctx, kStreetOffice);
  v1::ImportScoresResponse out;
  const auto t0 = SteadyClock::now();
  auto s = stubs.recruitment->ImportScores(&ctx, req, &out);
  const double secs = SecondsSince(t0);
  if (!s.ok()) Die(std::string(what) + ": " + Describe(s));
  if (out.rows() != rows) {
    Die(std::string(what) + ": " + std::to_string(out.rows()) + " rows imported, sent " +
        std::to_string(rows));
  }
  return secs;
}

// Application ids with `status`, all pages.
std::vector<int64_t> ListIds(st::Stubs& stubs, const std::string& status) {
  std::vector<int64_t> ids;
  int64_t after = 0;
  for (;;) {
    v1::ListApplicationsRequest req;
    req.set_campaign_id(kCampaign);
    req.set_status(status);
    req.set_after_id(after);
    req.set_limit(1000);
    grpc::ClientContext ctx;
    Prepare(&ctx, kStreetOffice);
    v1::ListApplicationsResponse out;
    auto s = stubs.recruitment->ListApplications(&ctx, req, &out);
    if (!s.ok()) Die("ListApplications: " + Describe(s));
    if (out.applications_size() == 0) break;
    for (const auto& a : out.applications()) ids.push_back(a.id());
    after = ids.back();
  }
  return ids;
}


}  // namespace
}  // namespace shequ::bench

int main(int argc, char** argv) {
  using namespace shequ::bench;
  namespace v1 = shequ::v1;
  g_real.name = "recruitment_bench";
  const bool quick = HasFlag(argc, argv, "--quick");
  const int64_t applicants =
      std::stoll(FlagValue(argc, argv, "--applicants", quick ? "10000" : "100000"));
  const int posts = std::stoi(FlagValue(argc, argv, "--posts", quick ? "50" : "500"));
  const int rounds = std::stoi(FlagValue(argc, argv, "--rounds", quick ? "2" : "4"));
  const double health_s = std::stod(FlagValue(argc, argv, "--health-seconds", quick ? "1" : "3"));
  const int concurrency = std::stoi(FlagValue(argc, argv, "--concurrency", "64"));
  if (posts % kPostsPerCommunity != 0) Die("--posts must be a multiple of 5");
  const int communities = posts / kPostsPerCommunity;

  std::printf("recruitment_bench: %lld applicants for %d posts (%d communities x %d), %d "
              "concurrent calls\n",
              static_cast<long long>(applicants), posts, communities, kPostsPerCommunity,
              concurrency);
  std::printf("  real shequd (synchronous=FULL, fake clock); %d rounds of Health %.0f s / Apply "
              "%lld; %s\n",
              rounds, health_s, static_cast<long long>(applicants / rounds),
              MachineLine().c_str());

  TempDir dir("shequ-recruitment-bench");
  if (dir.path().empty()) Die("cannot make a temporary directory (is $TMPDIR there?)");
  g_real.dir = dir.path();
  st::DaemonProcess::Options opts = DaemonOptions(dir.path());
  auto daemon = StartDaemon(opts);
  auto channel = daemon->channel();
  st::Stubs stubs(channel);

  // The unit tree and its quota; the campaign opened, approved and published.
  CreateUnit(stubs, "bz", "", "district", "", 0, 0);
  CreateUnit(stubs, kStreet, "bz", "street", "", 0, 1);
  for (int c = 0; c < communities; ++c) {
    CreateUnit(stubs, CommunityId(c), kStreet, "community", "城市社区", 2400, 0);
    ReviseQuota(stubs, CommunityId(c), kPostsPerCommunity, "2026-01-01");
  }
  {
    v1::CreateCampaignRequest req;
    auto* c = req.mutable_campaign();
    c->set_id(kCampaign);
    c->set_street_unit_id(kStreet);
    c->set_title("bench 2026 社区工作者招聘");
    for (int p = 0; p < posts; ++p) {
      auto* post = c->add_posts();
      post->set_id(PostId(p));
      post->set_unit_id(CommunityId(p / kPostsPerCommunity));
      post->set_post("assistant");
      post->set_count(1);
    }
    c->set_opens("2026-03-02");
    c->set_closes("2026-03-06");
    grpc::ClientContext ctx;
    Prepare(&ctx, kStreetOffice);
    v1::Campaign out;
    auto s = stubs.recruitment->CreateCampaign(&ctx, req, &out);
    if (!s.ok()) Die("CreateCampaign: " + Describe(s));
  }
  Step(stubs, &v1::Recruitment::Stub::ApproveCampaign, kLeadingGroup, "approved", "published",
       "ApproveCampaign");

  // ---- 1. Intake against Health/Check ----
  std::vector<std::string> requests;
  requests.reserve(static_cast<size_t>(applicants));
  for (int64_t i = 0; i < applicants; ++i) requests.push_back(ApplyBytes(i, posts));
  std::vector<std::string> answers(static_cast<size_t>(applicants));
  const std::string health_bytes;  // HealthCheckRequest{service: ""}
  const std::string kApply = "/shequ.v1.Recruitment/Apply";
  const std::string kHealth = "/grpc.health.v1.Health/Check";
  const Who applicant{"applicant", "", ""};

  LoadRunner runner(channel, concurrency);
  runner.RunFor("warm", kHealth, health_bytes, quick ? 0.5 : 1.0, daemon->pid());
  const int64_t rss0 = RssBytes(daemon->pid());
  const int64_t disk0 = StoreBytes(dir.path());

  Phase health_all, apply_all;
  health_all.name = "Health";
  apply_all.name = "Apply";
  Rule(kPhaseWidth);
  PrintPhaseHeader();
  Rule(kPhaseWidth);
  for (int r = 0; r < rounds; ++r) {
    Phase h = runner.RunFor("Health", kHealth, health_bytes, health_s, daemon->pid());
    PrintPhase(h);
    const size_t begin = static_cast<size_t>(applicants * r / rounds);
    const size_t end = static_cast<size_t>(applicants * (r + 1) / rounds);
    Phase a = runner.RunRange("Apply", kApply, requests, begin, end, &answers, applicant,
                              daemon->pid());
    PrintPhase(a);
    Add(health_all, h);
    Add(apply_all, a);
  }
  Rule(kPhaseWidth);
  PrintPhase(health_all);
  PrintPhase(apply_all);
  Rule(kPhaseWidth);
  PrintErrors(health_all);
  PrintErrors(apply_all);
  if (apply_all.calls != applicants) Die("not every application was accepted");
  const int64_t rss1 = RssBytes(daemon->pid());
  const int64_t disk1 = StoreBytes(dir.path());

  // Application ids (报名号) from the answers; the eligible ones get written scores.
  std::vector<int64_t> app_id(static_cast<size_t>(applicants));
  for (int64_t i = 0; i < applicants; ++i) {
    v1::ApplyResponse resp;
    if (!resp.ParseFromString(answers[static_cast<size_t>(i)])) Die("unreadable ApplyResponse");
    app_id[static_cast<size_t>(i)] = resp.application_id();
  }
  answers.clear();
  answers.shrink_to_fit();
  requests.clear();
  requests.shrink_to_fit();

  // ---- 2. Closing, review, written scores ----
  const int64_t closed_at = st::kMonday0900 + 5 * st::kDay;  // Saturday 2026-03-07 09:00
  double close_s = 0;
  {
    v1::AdvanceClockRequest req;
    req.set_to_ms(closed_at);
    grpc::ClientContext ctx;
    Prepare(&ctx, kAdmin);
    v1::AdvanceClockResponse out;
    const auto t0 = SteadyClock::now();
    auto s = stubs.admin->AdvanceClock(&ctx, req, &out);
    if (!s.ok()) Die("AdvanceClock: " + Describe(s));
    // The window's timer ran the close step; wait until the campaign shows it.
    while (GetCampaign(stubs).state() != "applications_closed") {
      if (SecondsSince(t0) > 600) Die("the campaign did not close");
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    close_s = SecondsSince(t0);
  }
  const v1::Campaign closed = GetCampaign(stubs);
  const double review_s = Step(stubs, &v1::Recruitment::Stub::FinishReview, kStreetOffice, "",
                               "eligibility_reviewed", "FinishReview");

  std::string written_csv = "报名号,笔试成绩\n";
  int64_t written_rows = 0;
  for (int64_t i = 0; i < applicants; ++i) {
    if (TooOld(i)) continue;
    written_csv += std::to_string(app_id[static_cast<size_t>(i)]) + "," + WrittenScore(i) + "\n";
    ++written_rows;
  }
  const double written_s = ImportScores(stubs, written_csv, written_rows, "ImportScores (written)");

  // ---- 3. Shortlist, interview scores, rank ----
  const double shortlist_s = Step(stubs, &v1::Recruitment::Stub::Shortlist, kStreetOffice, "",
                                  "shortlisted", "Shortlist");
  const auto list_t0 = SteadyClock::now();
  const std::vector<int64_t> shortlisted = ListIds(stubs, "shortlisted");
  const double list_s = SecondsSince(list_t0);
  std::string interview_csv = "报名号,面试成绩\n";
  for (int64_t id : shortlisted) interview_csv += std::to_string(id) + "," + InterviewScore(id) + "\n";
  const double interview_s = ImportScores(stubs, interview_csv,
                                          static_cast<int64_t>(shortlisted.size()),
                                          "ImportScores (interview)");
  const double rank_s =
      Step(stubs, &v1::Recruitment::Stub::Rank, kStreetOffice, "", "checking", "Rank");
  double ranking_s = 0;
  int ranked_first_post = 0;
  {
    v1::GetRankingRequest req;
    req.set_campaign_id(kCampaign);
    req.set_post_id(PostId(0));
    grpc::ClientContext ctx;
    Prepare(&ctx, kStreetOffice);
    v1::Ranking out;
    const auto t0 = SteadyClock::now();
    auto s = stubs.recruitment->GetRanking(&ctx, req, &out);
    ranking_s = SecondsSince(t0);
    if (!s.ok()) Die("GetRanking: " + Describe(s));
    ranked_first_post = out.applications_size();
  }
  // GetCampaign counts the funnel over every application: best of 3.
  double get_campaign_s = 1e9;
  v1::Campaign ranked;
  for (int i = 0; i < 3; ++i) {
    const auto t0 = SteadyClock::now();
    ranked = GetCampaign(stubs);
    get_campaign_s = std::min(get_campaign_s, SecondsSince(t0));
  }
  const int64_t rss2 = RssBytes(daemon->pid());
  const int64_t disk2 = StoreBytes(dir.path());

  // ---- 4. Restart after kill -9 ----
  daemon->Kill();
  g_real.pid = 0;
  daemon.reset();
  channel.reset();
  opts.fake_clock_start_ms = closed_at;  // the fake clock may not move backwards
  const auto restart_t0 = SteadyClock::now();
  daemon = StartDaemon(opts);
  const double listening_s = SecondsSince(restart_t0);
  st::Stubs stubs2(daemon->channel());
  grpc::Status gs;
  v1::Campaign after = GetCampaign(stubs2, &gs);
  while (!gs.ok() && SecondsSince(restart_t0) < 120) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    after = GetCampaign(stubs2, &gs);
  }
  const double serving_s = SecondsSince(restart_t0);
  if (!gs.ok()) Die("GetCampaign after the restart: " + Describe(gs));
  if (after.state() != ranked.state() || after.funnel().applied() != ranked.funnel().applied() ||
      after.funnel().interviewed() != ranked.funnel().interviewed()) {
    Die("the campaign after the restart differs: " + after.state() + ", " +
        std::to_string(after.funnel().applied()) + " applied");
  }
  const int64_t rss3 = RssBytes(daemon->pid());

  // ---- Report ----
  const double apply_rate = static_cast<double>(apply_all.calls) / apply_all.seconds;
  const double health_rate = static_cast<double>(health_all.calls) / health_all.seconds;
  std::vector<int64_t> al = apply_all.latency_us, hl = health_all.latency_us;
  const double n = static_cast<double>(applicants);
  std::printf("campaign: %lld applied, %lld eligible, %lld examined, %lld shortlisted (%lld "
              "interviewed); %d ranked on %s\n",
              static_cast<long long>(ranked.funnel().applied()),
              static_cast<long long>(closed.funnel().eligible()),
              static_cast<long long>(ranked.funnel().examined()),
              static_cast<long long>(shortlisted.size()),
              static_cast<long long>(ranked.funnel().interviewed()), ranked_first_post,
              PostId(0).c_str());
  std::printf("steps (one RPC each, s): close %.3f, FinishReview %.3f, written scores %.3f "
              "(%lld rows, %.1f MB CSV), Shortlist %.3f, interview scores %.3f (%zu rows), Rank "
              "%.3f, GetRanking %.4f, GetCampaign %.4f; listing the shortlisted %.3f\n",
              close_s, review_s, written_s, static_cast<long long>(written_rows),
              static_cast<double>(written_csv.size()) / 1e6, shortlist_s, interview_s,
              shortlisted.size(), rank_s, ranking_s, get_campaign_s, list_s);
  std::printf("daemon RSS: %s before intake, %s after, %s after ranking, %s restarted; store "
              "files %s before, %s after intake, %s after ranking\n",
              Mb(rss0).c_str(), Mb(rss1).c_str(), Mb(rss2).c_str(), Mb(rss3).c_str(),
              Mb(disk0).c_str(), Mb(disk1).c_str(), Mb(disk2).c_str());
  std::printf("Apply calls/s %.0f (p50 %.2f ms, p99 %.2f ms), Health calls/s %.0f (p50 %.2f ms, "
              "p99 %.2f ms); daemon CPU per Apply %.0f us\n",
              apply_rate, Percentile(al, 50) / 1000.0, Percentile(al, 99) / 1000.0, health_rate,
              Percentile(hl, 50) / 1000.0, Percentile(hl, 99) / 1000.0,
              apply_all.daemon_cpu_s * 1e6 / static_cast<double>(apply_all.calls));
  std::printf("DIAG recruitment_close_review close=%.3fs finish_review=%.3fs written_scores=%.3fs "
              "(%lld rows) interview_scores=%.3fs\n",
              close_s, review_s, written_s, static_cast<long long>(written_rows), interview_s);
  std::printf("DIAG recruitment_restart listening=%.2fs serving=%.2fs after kill -9 (%lld "
              "applications replayed)\n",
              listening_s, serving_s, static_cast<long long>(applicants));
  std::printf("DIAG recruitment_memory rss_per_application=%.0fB (intake) %.0fB (restarted "
              "daemon vs before intake) store_per_application=%.0fB (intake) %.0fB (after "
              "ranking)\n",
              static_cast<double>(rss1 - rss0) / n, static_cast<double>(rss3 - rss0) / n,
              static_cast<double>(disk1 - disk0) / n, static_cast<double>(disk2 - disk0) / n);
  const bool ok = health_all.errors == 0 && apply_all.errors == 0;
  std::printf("RESULT recruitment_intake ratio=%.3f (Apply %.0f/s ÷ Health %.0f/s, %d "
              "concurrent, %lld applicants) reported (issue 6 sets no ratio)%s\n",
              apply_rate / health_rate, apply_rate, health_rate, concurrency,
              static_cast<long long>(applicants), ok ? "" : " (calls failed)");
  std::printf("RESULT recruitment_rank_shortlist shortlist=%.3fs rank=%.3fs total=%.3fs (%lld "
              "applicants, %d posts) reported\n",
              shortlist_s, rank_s, shortlist_s + rank_s, static_cast<long long>(applicants),
              posts);
  daemon.reset();
  return ok ? 0 : 1;
}
