// reviews_bench: an annual-review cycle for 10,000 community workers (issue 15) through gRPC
// against the real shequd: the fan-out of Reviews/OpenCycle (one transaction that lists every
// worker and starts one annual-review-worker child per rated worker, three user tasks each), the
// intake rate of Reviews/CastBallot against grpc.health.v1.Health/Check in the same run, and two
// reads over the cycle's sheets (GetCycle, one ListReviews page of 1000).
//
// The daemon is the real binary (tests/integration/daemon_process.h): its own temporary data
// directory, synchronous=FULL, the fake clock at Monday 2026-03-02. Setup: one district, one
// street office (class 1), communities of 100 quota posts each (城市社区, 2400 households), and
// the workers on post since 2020-05-01 imported in one Workforce/ImportRoster stream as
// roster-migration: distinct valid ID numbers, employee numbers W0..W9999 (so each worker's
// report task is assigned to the worker). engine.max_spawned_instances (10,000 per root tree by
// default) fits the cycle's 10,000 children exactly.
//
// Ballots go through the same client as grpc_bench (bench/load_runner.h): one channel,
// grpc::GenericStub with the callback API, requests serialized up front, 64 calls outstanding,
// each call with its own voter in x-shequ-* metadata. Ballot i is on worker i % workers by voter
// i / workers of the worker's community ("bz.s1.c7.v2"), alternately a residents'
// representative and a party member, so every (voter, worker) pair is unique and no ballot is
// refused as a second vote. Phases alternate Health (fixed time) and CastBallot (a fixed share
// of the ballots).
//
//   reviews_bench [--quick] [--workers N] [--ballots-per-worker N] [--rounds N]
//                 [--health-seconds S] [--concurrency C]

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

constexpr char kStreet[] = "bz.s1";
constexpr int kYear = 2026;
constexpr int kWorkersPerCommunity = 100;
constexpr double kTarget = 0.25;  // issue 15: CastBallot/s ÷ Health/s

const Who kAdmin{"bench.admin", "district-admin", ""};
const Who kMigration{"bench.migration", "roster-migration", ""};
const Who kStreetOffice{"bench.clerk", "street-office", kStreet};

std::string CommunityId(int c) { return std::string(kStreet) + ".c" + std::to_string(c); }

// Worker i works in community i / 100, on post since 2020-05-01.
std::string Roster(int64_t workers) {
  static const char* kSurnames[] = {"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周"};
  static const char* kGiven[] = {"芳", "伟", "敏", "静", "磊", "洋", "艳", "勇", "军", "杰"};
  std::string csv = "工号,姓名,身份证号,手机号,单位,岗位,等级,用工性质,状态,学历,入职日期\n";
  for (int64_t i = 0; i < workers; ++i) {
    char phone[24];
    std::snprintf(phone, sizeof phone, "139%08lld", static_cast<long long>(i % 100'000'000));
    // Appends, not one long `+` chain: GCC 12 warns falsely (-Wrestrict) on the chain.
    csv.append("W").append(std::to_string(i)).append(",");
    csv.append(kSurnames[i % 10]).append(kGiven[i / 10 % 10]).append(kGiven[i / 100 % 10]);
    csv.append(",").append(IdNumber(i, 1980)).append(",").append(phone).append(",");
    csv.append(CommunityId(static_cast<int>(i / kWorkersPerCommunity))).append(",主办,");
    csv.append(std::to_string(3 + i % 12)).append(",聘用合同,在岗,本科,2020-05-01\n");
  }
  return csv;
}

// ---- Setup through the generated stubs ------------------------------------------------------

int64_t ImportRoster(st::Stubs& stubs, const std::string& csv) {
  grpc::ClientContext ctx;
  Prepare(&ctx, kMigration);
  v1::ImportRosterResponse out;
  auto writer = stubs.workforce->ImportRoster(&ctx, &out);
  constexpr size_t kChunk = 64 * 1024;
  for (size_t at = 0; at < csv.size(); at += kChunk) {
    v1::ImportRosterChunk c;
    c.set_data(csv.substr(at, kChunk));
    if (!writer->Write(c)) break;
  }
  writer->WritesDone();
  auto s = writer->Finish();
  if (!s.ok()) Die("ImportRoster: " + Describe(s));
  return out.rows();
}

v1::StatsResponse Stats(st::Stubs& stubs) {
  grpc::ClientContext ctx;
  Prepare(&ctx, kAdmin, 60);
  v1::StatsResponse out;
  auto s = stubs.admin->Stats(&ctx, v1::StatsRequest(), &out);
  if (!s.ok()) Die("Stats: " + Describe(s));
  return out;
}

v1::Cycle GetCycle(st::Stubs& stubs, const std::string& id) {
  v1::GetCycleRequest req;
  req.set_cycle_id(id);
  grpc::ClientContext ctx;
  Prepare(&ctx, kStreetOffice, 60);
  v1::Cycle out;
  auto s = stubs.reviews->GetCycle(&ctx, req, &out);
  if (!s.ok()) Die("GetCycle: " + Describe(s));
  return out;
}

std::string BallotBytes(const std::string& cycle, int64_t worker_id, int64_t i) {
  static const char* kChoices[] = {"competent", "excellent", "competent", "basically_competent",
                                   "competent", "excellent", "incompetent"};
  v1::CastBallotRequest req;
  req.set_cycle_id(cycle);
  req.set_worker_id(worker_id);
  req.set_choice(kChoices[i % 7]);
  return req.SerializeAsString();
}

}  // namespace
}  // namespace shequ::bench

int main(int argc, char** argv) {
  using namespace shequ::bench;
  namespace v1 = shequ::v1;
  g_real.name = "reviews_bench";
  const bool quick = HasFlag(argc, argv, "--quick");
  const int64_t workers = std::stoll(FlagValue(argc, argv, "--workers", quick ? "1000" : "10000"));
  const int per_worker =
      std::stoi(FlagValue(argc, argv, "--ballots-per-worker", quick ? "4" : "16"));
  const int rounds = std::stoi(FlagValue(argc, argv, "--rounds", quick ? "2" : "4"));
  const double health_s = std::stod(FlagValue(argc, argv, "--health-seconds", quick ? "1" : "3"));
  const int concurrency = std::stoi(FlagValue(argc, argv, "--concurrency", "64"));
  if (workers <= 0 || workers % kWorkersPerCommunity != 0) {
    Die("--workers must be a positive multiple of 100");
  }
  if (per_worker <= 0 || rounds <= 0) Die("--ballots-per-worker and --rounds must be positive");
  const int communities = static_cast<int>(workers / kWorkersPerCommunity);
  const int64_t ballots = workers * per_worker;

  std::printf("reviews_bench: a %d cycle of %lld workers (%d communities x %d), %lld ballots "
              "(%d per worker), %d concurrent calls\n",
              kYear, static_cast<long long>(workers), communities, kWorkersPerCommunity,
              static_cast<long long>(ballots), per_worker, concurrency);
  std::printf("  real shequd (synchronous=FULL, fake clock); %d rounds of Health %.0f s / "
              "CastBallot %lld; %s\n",
              rounds, health_s, static_cast<long long>(ballots / rounds), MachineLine().c_str());

  TempDir dir("shequ-reviews-bench");
  if (dir.path().empty()) Die("cannot make a temporary directory (is $TMPDIR there?)");
  g_real.dir = dir.path();
  auto daemon = StartDaemon(DaemonOptions(dir.path()));
  auto channel = daemon->channel();
  st::Stubs stubs(channel);

  // ---- Setup: units, quota, the roster ----
  const auto setup_t0 = SteadyClock::now();
  CreateUnit(stubs, "bz", "", "district", "", 0, 0);
  CreateUnit(stubs, kStreet, "bz", "street", "", 0, 1);
  for (int c = 0; c < communities; ++c) {
    CreateUnit(stubs, CommunityId(c), kStreet, "community", "城市社区", 2400, 0);
    // In force before the hire date, so the import finds the posts free on 2020-05-01.
    ReviseQuota(stubs, CommunityId(c), kWorkersPerCommunity, "2020-01-01");
  }
  const double units_s = SecondsSince(setup_t0);
  const std::string roster = Roster(workers);
  const auto import_t0 = SteadyClock::now();
  const int64_t imported = ImportRoster(stubs, roster);
  const double import_s = SecondsSince(import_t0);
  if (imported != workers) {
    Die("ImportRoster: " + std::to_string(imported) + " rows, sent " + std::to_string(workers));
  }

  // ---- 1. Fan-out: OpenCycle, then every step task ----
  const int64_t tasks0 = Stats(stubs).tasks_open();
  const int64_t rss0 = RssBytes(daemon->pid());
  const int64_t disk0 = StoreBytes(dir.path());
  const double cpu0 = ProcessCpuSeconds(daemon->pid());
  v1::Cycle opened;
  const auto open_t0 = SteadyClock::now();
  {
    v1::OpenCycleRequest req;
    req.set_street_unit_id(kStreet);
    req.set_year(kYear);
    grpc::ClientContext ctx;
    Prepare(&ctx, kStreetOffice);
    auto s = stubs.reviews->OpenCycle(&ctx, req, &opened);
    if (!s.ok()) Die("OpenCycle: " + Describe(s));
  }
  const double open_reply_s = SecondsSince(open_t0);
  if (opened.workers() != workers || opened.rated() != workers) {
    Die("OpenCycle: " + std::to_string(opened.workers()) + " workers listed, " +
        std::to_string(opened.rated()) + " rated; expected " + std::to_string(workers));
  }
  const int64_t want_tasks = tasks0 + 3 * workers;
  int64_t tasks = 0, polls = 0;
  for (;;) {
    tasks = Stats(stubs).tasks_open();
    ++polls;
    if (tasks >= want_tasks) break;
    if (SecondsSince(open_t0) > 1800) {
      Die("only " + std::to_string(tasks - tasks0) + " of " + std::to_string(3 * workers) +
          " step tasks after 30 minutes");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const double open_tasks_s = SecondsSince(open_t0);
  const double open_cpu_s = ProcessCpuSeconds(daemon->pid()) - cpu0;
  const v1::StatsResponse after_open = Stats(stubs);
  const int64_t rss1 = RssBytes(daemon->pid());
  const int64_t disk1 = StoreBytes(dir.path());
  const std::string cycle_id = opened.id();

  // Worker ids from the sheets (ListReviews pages), for the ballots.
  std::vector<int64_t> worker_ids;
  std::vector<std::string> worker_unit;
  const auto list_all_t0 = SteadyClock::now();
  for (int64_t after = 0;;) {
    v1::ListReviewsRequest req;
    req.set_cycle_id(cycle_id);
    req.set_after_worker_id(after);
    req.set_limit(1000);
    grpc::ClientContext ctx;
    Prepare(&ctx, kStreetOffice);
    v1::ListReviewsResponse out;
    auto s = stubs.reviews->ListReviews(&ctx, req, &out);
    if (!s.ok()) Die("ListReviews: " + Describe(s));
    for (const auto& r : out.reviews()) {
      worker_ids.push_back(r.worker_id());
      worker_unit.push_back(r.unit_id());
    }
    if (out.next_after_worker_id() == 0) break;
    after = out.next_after_worker_id();
  }
  const double list_all_s = SecondsSince(list_all_t0);
  if (static_cast<int64_t>(worker_ids.size()) != workers) {
    Die("ListReviews: " + std::to_string(worker_ids.size()) + " sheets, expected " +
        std::to_string(workers));
  }

  // ---- 2. Ballot intake against Health/Check ----
  std::vector<std::string> requests;
  std::vector<Who> voters;
  requests.reserve(static_cast<size_t>(ballots));
  voters.reserve(static_cast<size_t>(ballots));
  for (int64_t i = 0; i < ballots; ++i) {
    const size_t w = static_cast<size_t>(i % workers);
    const int64_t k = i / workers;
    requests.push_back(BallotBytes(cycle_id, worker_ids[w], i));
    voters.push_back({worker_unit[w] + ".v" + std::to_string(k),
                      k % 2 == 0 ? "resident-representative" : "party-member", worker_unit[w]});
  }
  std::vector<std::string> answers(static_cast<size_t>(ballots));
  const std::string health_bytes;  // HealthCheckRequest{service: ""}
  const std::string kCast = "/shequ.v1.Reviews/CastBallot";
  const std::string kHealth = "/grpc.health.v1.Health/Check";

  LoadRunner runner(channel, concurrency);
  runner.RunFor("warm", kHealth, health_bytes, quick ? 0.5 : 1.0, daemon->pid());
  const int64_t disk2 = StoreBytes(dir.path());

  Phase health_all, cast_all;
  health_all.name = "Health";
  cast_all.name = "Ballot";
  Rule(kPhaseWidth);
  PrintPhaseHeader();
  Rule(kPhaseWidth);
  for (int r = 0; r < rounds; ++r) {
    Phase h = runner.RunFor("Health", kHealth, health_bytes, health_s, daemon->pid());
    PrintPhase(h);
    const size_t begin = static_cast<size_t>(ballots * r / rounds);
    const size_t end = static_cast<size_t>(ballots * (r + 1) / rounds);
    Phase b = runner.RunRange("Ballot", kCast, requests, begin, end, &answers, Who{},
                              daemon->pid(), &voters);
    PrintPhase(b);
    Add(health_all, h);
    Add(cast_all, b);
  }
  Rule(kPhaseWidth);
  PrintPhase(health_all);
  PrintPhase(cast_all);
  Rule(kPhaseWidth);
  PrintErrors(health_all);
  PrintErrors(cast_all);
  // Every ballot counted: an OK receipt for each, naming its voter and worker.
  int64_t receipts = 0;
  for (int64_t i = 0; i < ballots; ++i) {
    v1::BallotReceipt r;
    const size_t at = static_cast<size_t>(i);
    if (answers[at].empty() || !r.ParseFromString(answers[at])) continue;
    if (r.worker_id() == worker_ids[static_cast<size_t>(i % workers)] &&
        r.voter() == voters[at].user && r.ballots() >= 1) {
      ++receipts;
    }
  }
  if (receipts != ballots) {
    Die(std::to_string(receipts) + " ballot receipts of " + std::to_string(ballots));
  }
  const int64_t rss2 = RssBytes(daemon->pid());
  const int64_t disk3 = StoreBytes(dir.path());
  answers.clear();
  answers.shrink_to_fit();
  requests.clear();
  requests.shrink_to_fit();

  // ---- 3. Reads over the sheets, one of each ----
  auto t0 = SteadyClock::now();
  const v1::Cycle cycle = GetCycle(stubs, cycle_id);
  const double get_cycle_s = SecondsSince(t0);
  int page_size = 0;
  double list_page_s = 0;
  {
    v1::ListReviewsRequest req;
    req.set_cycle_id(cycle_id);
    req.set_after_worker_id(worker_ids[static_cast<size_t>(workers / 2)]);
    req.set_limit(1000);
    grpc::ClientContext ctx;
    Prepare(&ctx, kStreetOffice);
    v1::ListReviewsResponse out;
    t0 = SteadyClock::now();
    auto s = stubs.reviews->ListReviews(&ctx, req, &out);
    list_page_s = SecondsSince(t0);
    if (!s.ok()) Die("ListReviews: " + Describe(s));
    page_size = out.reviews_size();
  }

  // ---- Report ----
  const double cast_rate = static_cast<double>(cast_all.calls) / cast_all.seconds;
  const double health_rate = static_cast<double>(health_all.calls) / health_all.seconds;
  std::vector<int64_t> bl = cast_all.latency_us, hl = health_all.latency_us;
  const double n = static_cast<double>(workers);
  std::printf("setup: %d units and quota revisions %.2f s, ImportRoster of %lld workers %.2f s "
              "(%.1f MB CSV)\n",
              communities + 2, units_s, static_cast<long long>(workers), import_s,
              static_cast<double>(roster.size()) / 1e6);
  std::printf("cycle %s: %d workers, %d rated, state %s; %lld step tasks open after the fan-out "
              "(%lld instances active, %lld commits)\n",
              cycle_id.c_str(), cycle.workers(), cycle.rated(), cycle.state().c_str(),
              static_cast<long long>(after_open.tasks_open() - tasks0),
              static_cast<long long>(after_open.instances_active()),
              static_cast<long long>(after_open.commits()));
  std::printf("daemon RSS: %s before OpenCycle, %s after the fan-out, %s after the ballots; "
              "store files %s before, %s after the fan-out, %s after the ballots\n",
              Mb(rss0).c_str(), Mb(rss1).c_str(), Mb(rss2).c_str(), Mb(disk0).c_str(),
              Mb(disk1).c_str(), Mb(disk3).c_str());
  std::printf("CastBallot calls/s %.0f (p50 %.2f ms, p99 %.2f ms), Health calls/s %.0f (p50 %.2f "
              "ms, p99 %.2f ms); daemon CPU per ballot %.0f us, per Health %.0f us\n",
              cast_rate, Percentile(bl, 50) / 1000.0, Percentile(bl, 99) / 1000.0, health_rate,
              Percentile(hl, 50) / 1000.0, Percentile(hl, 99) / 1000.0,
              cast_all.daemon_cpu_s * 1e6 / static_cast<double>(cast_all.calls),
              health_all.daemon_cpu_s * 1e6 / static_cast<double>(health_all.calls));
  std::printf("DIAG reviews_fanout reply=%.3fs all_tasks=%.3fs (%lld tasks, %lld polls) "
              "daemon_cpu=%.2fs\n",
              open_reply_s, open_tasks_s, static_cast<long long>(3 * workers),
              static_cast<long long>(polls), open_cpu_s);
  std::printf("DIAG reviews_fanout_memory rss_before=%s rss_after=%s (%.0f B per worker) "
              "store_before=%s store_after=%s (%.0f B per worker)\n",
              Mb(rss0).c_str(), Mb(rss1).c_str(), static_cast<double>(rss1 - rss0) / n,
              Mb(disk0).c_str(), Mb(disk1).c_str(), static_cast<double>(disk1 - disk0) / n);
  std::printf("DIAG reviews_ballot_store store_per_ballot=%.0fB rss_after_ballots=%s\n",
              static_cast<double>(disk3 - disk2) / static_cast<double>(ballots),
              Mb(rss2).c_str());
  std::printf("DIAG reviews_reads get_cycle=%.4fs list_reviews_page=%.4fs (%d sheets of %lld, "
              "%d ballots each) list_all_before_ballots=%.3fs (%lld pages of 1000)\n",
              get_cycle_s, list_page_s, page_size, static_cast<long long>(workers), per_worker,
              list_all_s, static_cast<long long>((workers + 999) / 1000));
  std::printf("RESULT reviews_fanout reply=%.3fs all_tasks=%.3fs (%lld workers, %lld tasks) "
              "reported\n",
              open_reply_s, open_tasks_s, static_cast<long long>(workers),
              static_cast<long long>(3 * workers));
  const bool calls_ok = health_all.errors == 0 && cast_all.errors == 0;
  const double ratio = cast_rate / health_rate;
  std::printf("RESULT reviews_ballot_intake ratio=%.3f (CastBallot %.0f/s ÷ Health %.0f/s, %d "
              "concurrent, %lld ballots on %lld workers) target>=%.2f %s%s\n",
              ratio, cast_rate, health_rate, concurrency, static_cast<long long>(ballots),
              static_cast<long long>(workers), kTarget, Verdict(ratio >= kTarget),
              calls_ok ? "" : " (calls failed)");
  daemon.reset();
  return calls_ok ? 0 : 1;
}
