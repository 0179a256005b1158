// Start-up with many old definition versions (issue 14: 300 versions of 1 MiB took the start
// from 1.1 s to 8.8 s). The engine on a real SQLite store, started (store opened, Recover, the
// latest version answered) on a store holding one version of a ~1 MiB definition, then on the
// same store once it holds `--versions` versions of it, no instance running any. Only the
// latest version and those active instances run are loaded at start; the others stay on disk.
//
// Target: start with 300 versions ÷ start with one ≤ 1.5 (old versions cost no start-up time).
// DIAG: what loading and parsing every version (the start-up before) costs on the same store.
//   definitions_bench                  # 300 versions, median of 5 starts
//   definitions_bench --quick          # 100 versions, median of 3
//   definitions_bench --versions=N --rounds=R --kib=K

#include <utility>  // before Boost.Asio with GCC 12 in C++20

#include <boost/asio.hpp>
#include <cstdio>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/bench_util.h"
#include "daemon/core/calendar.h"
#include "daemon/core/clock.h"
#include "daemon/core/logging.h"
#include "daemon/engine/definition.h"
#include "daemon/engine/engine.h"
#include "daemon/store/sqlite/sqlite_store.h"

namespace shequ::bench {
namespace {

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "definitions_bench: %s\n", why.c_str());
  std::exit(1);
}

// Version `v` of a definition of about `bytes` of YAML: a chain of service steps, each with a
// long instruction text (what makes a real definition large is its texts, not thousands of
// nodes; about 500 steps of 2 KB here).
std::string LargeDefinition(int v, size_t bytes) {
  std::string yaml = absl::StrCat("id: large\nname: Large process v", v, "\nstart: n0\nnodes:\n");
  std::string text;
  while (text.size() < 1900) text += "check the documents against the register and record it; ";
  for (int i = 0; yaml.size() < bytes; ++i) {
    absl::StrAppend(&yaml, "  n", i, ": {type: service, job: bench.step, name: \"Step ", i, ": ",
                    text, "\", next: n", i + 1, "}\n");
    if (yaml.size() >= bytes) absl::StrAppend(&yaml, "  n", i + 1, ": {type: end}\n");
  }
  return yaml;
}

std::unique_ptr<store::Store> OpenStore(const std::string& path) {
  store::SqliteOptions opts;
  opts.path = path;
  auto s = store::SqliteStore::Open(opts);
  if (!s.ok()) Die("open store: " + s.status().ToString());
  return *std::move(s);
}

void CommitOrDie(store::Store& store, store::WriteBatch batch) {
  std::promise<absl::Status> done;
  store.Commit(std::move(batch), [&](absl::Status s) { done.set_value(std::move(s)); });
  if (auto s = done.get_future().get(); !s.ok()) Die("commit: " + s.ToString());
}

// Seconds from opening the store until the engine has recovered and answers the latest version.
double StartOnce(const std::string& path) {
  SystemClock clock;
  const WorkCalendar calendar = WorkCalendar::Empty();
  auto t0 = SteadyClock::now();
  auto store = OpenStore(path);
  boost::asio::io_context io;
  engine::Engine engine(io, *store, clock, calendar);
  if (auto s = engine.Recover(); !s.ok()) Die("recover: " + s.ToString());
  if (!engine.GetDefinition("large")) Die("the latest version is not there");
  return SecondsSince(t0);
}

double MedianStart(const std::string& path, int rounds) {
  StartOnce(path);  // warms the page cache: every round reads from memory alike
  std::vector<double> seconds;
  for (int r = 0; r < rounds; ++r) seconds.push_back(StartOnce(path));
  return Median(seconds);
}

}  // namespace
}  // namespace shequ::bench

int main(int argc, char** argv) {
  using namespace shequ;
  using namespace shequ::bench;
  SetLogLevel("warn");
  const bool quick = HasFlag(argc, argv, "--quick");
  const int versions = std::stoi(FlagValue(argc, argv, "--versions", quick ? "100" : "300"));
  const int rounds = std::stoi(FlagValue(argc, argv, "--rounds", quick ? "3" : "5"));
  const size_t bytes = std::stoul(FlagValue(argc, argv, "--kib", "1000")) << 10;
  std::printf("definitions_bench: %s; 1 then %d versions of a %zu KiB definition, median of %d "
              "starts\n",
              MachineLine().c_str(), versions, bytes >> 10, rounds);

  TempDir dir("shequ-definitions-bench");
  const std::string path = dir.path() + "/engine.db";

  // Version 1 through the engine (it must parse); the others written as a deploy writes them.
  const std::string first = LargeDefinition(1, bytes);
  {
    SystemClock clock;
    const WorkCalendar calendar = WorkCalendar::Empty();
    auto store = OpenStore(path);
    boost::asio::io_context io;
    engine::Engine engine(io, *store, clock, calendar);
    if (auto s = engine.Recover(); !s.ok()) Die("recover: " + s.ToString());
    auto work = boost::asio::make_work_guard(io);
    std::thread thread([&] { io.run(); });
    std::promise<absl::StatusOr<engine::json>> deployed;
    engine.Deploy({first, ""}, [&](absl::StatusOr<engine::json> r) { deployed.set_value(r); });
    auto r = deployed.get_future().get();
    work.reset();
    thread.join();
    if (!r.ok()) Die("deploy: " + r.status().ToString());
  }
  const double one = MedianStart(path, rounds);
  std::printf("  %4d version,  %4.0f MiB of definitions: start %.3f s\n", 1,
              static_cast<double>(first.size()) / (1 << 20), one);

  {
    auto store = OpenStore(path);
    for (int v = 2; v <= versions; v += 10) {
      store::WriteBatch batch;
      for (int w = v; w < v + 10 && w <= versions; ++w) {
        std::string yaml = LargeDefinition(w, bytes);
        std::string digest = engine::Sha256Hex(yaml);
        batch.definitions.push_back({"large", w, "Large process", digest, std::move(yaml), 0});
      }
      CommitOrDie(*store, std::move(batch));
    }
  }
  const double many = MedianStart(path, rounds);
  std::printf("  %4d versions, %4.0f MiB of definitions: start %.3f s\n", versions,
              static_cast<double>(first.size()) * versions / (1 << 20), many);

  // What the start-up did before: every stored version read and parsed.
  double all = 0;
  {
    auto store = OpenStore(path);
    auto t0 = SteadyClock::now();
    auto rows = store->LoadDefinitions();
    if (!rows.ok()) Die("load: " + rows.status().ToString());
    for (const auto& row : *rows) {
      if (!engine::ParseDefinition(row.yaml).ok()) Die("a stored version does not parse");
    }
    all = SecondsSince(t0);
  }

  const double ratio = many / one;
  std::printf("RESULT definitions_startup ratio=%.2f (start %.3f s with %d versions ÷ %.3f s with "
              "1; median of %d) target<=1.5 %s\n",
              ratio, many, versions, one, rounds, Verdict(ratio <= 1.5));
  std::printf("DIAG definitions_all_parsed %.3f s (reading and parsing all %d versions, as every "
              "start did before)\n",
              all, versions);
  return 0;
}
