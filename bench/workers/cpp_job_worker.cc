// cpp_job_worker: the C++ baseline of bench/client_workers_bench. A job worker on the generated
// C++ stubs doing what the Python and Node.js client workers do: one Jobs/Activate stream, at
// most --concurrency jobs in hand, each answered with a blocking Jobs/Complete (request id from
// worker, job and attempt) by a pool of threads. The handler parses the variables and returns
// {"done": true}.
//
// Prints `jobs=N seconds=S`: from the first job received to the last completion acknowledged.
//
//   cpp_job_worker --address HOST:PORT --type TYPE --jobs N [--concurrency C] [--name NAME]

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <optional>
#include <semaphore>
#include <string>
#include <thread>
#include <vector>

#include "nlohmann/json.hpp"
#include "shequ/v1/jobs.grpc.pb.h"

namespace {

using Clock = std::chrono::steady_clock;

// The daemon the bench starts runs `auth: headers`: the worker names itself a job worker.
void AsJobWorker(grpc::ClientContext& ctx) {
  ctx.AddMetadata("x-shequ-user", "bench");
  ctx.AddMetadata("x-shequ-roles", "job-worker");
}

std::string Flag(int argc, char** argv, const std::string& name, const std::string& fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (argv[i] == "--" + name) return argv[i + 1];
  }
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string address = Flag(argc, argv, "address", "127.0.0.1:7070");
  const std::string type = Flag(argc, argv, "type", "bench.cpp");
  const std::string name = Flag(argc, argv, "name", "cpp-bench");
  const long jobs = std::stol(Flag(argc, argv, "jobs", "1000"));
  const int concurrency = std::stoi(Flag(argc, argv, "concurrency", "16"));

  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  auto stub = shequ::v1::Jobs::NewStub(channel);

  std::mutex mu;
  std::condition_variable cv;
  std::deque<shequ::v1::Job> queue;
  bool closing = false;
  std::counting_semaphore<1 << 16> slots(concurrency);
  std::atomic<long> completed{0}, errors{0};
  Clock::time_point first, last;

  std::vector<std::thread> pool;
  for (int i = 0; i < concurrency; ++i) {
    pool.emplace_back([&] {
      for (;;) {
        std::optional<shequ::v1::Job> job;
        {
          std::unique_lock lock(mu);
          cv.wait(lock, [&] { return !queue.empty() || closing; });
          if (queue.empty()) return;
          job = std::move(queue.front());
          queue.pop_front();
        }
        auto vars = nlohmann::json::parse(job->variables().empty() ? "{}" : job->variables());
        (void)vars;
        shequ::v1::CompleteJobRequest req;
        req.set_job_id(job->id());
        req.set_variables(nlohmann::json{{"done", true}}.dump());
        req.set_request_id(name + "/" + std::to_string(job->id()) + "/" +
                           std::to_string(job->attempt()));
        shequ::v1::CompleteJobResponse resp;
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
        AsJobWorker(ctx);
        if (!stub->Complete(&ctx, req, &resp).ok()) errors.fetch_add(1);
        slots.release();
        if (completed.fetch_add(1) + 1 == jobs) {
          std::lock_guard lock(mu);
          last = Clock::now();
          closing = true;
          cv.notify_all();
        }
      }
    });
  }

  grpc::ClientContext ctx;
  AsJobWorker(ctx);
  shequ::v1::ActivateRequest req;
  req.add_types(type);
  req.set_worker(name);
  auto reader = stub->Activate(&ctx, req);
  shequ::v1::Job job;
  long received = 0;
  while (received < jobs && reader->Read(&job)) {
    if (received++ == 0) first = Clock::now();
    slots.acquire();
    std::lock_guard lock(mu);
    queue.push_back(job);
    cv.notify_one();
  }
  for (auto& t : pool) t.join();
  ctx.TryCancel();
  reader->Finish();
  if (completed.load() < jobs || errors.load() > 0) {
    std::fprintf(stderr, "cpp_job_worker: %ld of %ld jobs completed, %ld errors\n",
                 completed.load(), jobs, errors.load());
    return 1;
  }
  std::printf("jobs=%ld seconds=%.6f\n", jobs, std::chrono::duration<double>(last - first).count());
  return 0;
}
