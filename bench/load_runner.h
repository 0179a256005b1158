#pragma once

// Drives unary gRPC calls against a running shequd at a fixed concurrency and measures them:
// the client half of grpc_bench and recruitment_bench. One channel, grpc::GenericStub with the
// callback API, requests serialized up front.

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "tests/integration/daemon_process.h"

namespace shequ::bench {

// utime + stime of a process, in seconds.
inline double ProcessCpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(text.substr(close + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; rest >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::stod(field);
    if (i == 15) break;
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

inline double SelfCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// The caller sent with each call: an API token (authorization: Bearer), or the x-shequ-*
// metadata of a daemon in development mode (auth: headers); none when both are empty.
struct Who {
  std::string user, roles, unit;
  std::string token;
};

struct Phase {
  std::string name;
  int64_t calls = 0;
  int64_t errors = 0;
  double seconds = 0;
  double daemon_cpu_s = 0;
  double client_cpu_s = 0;
  std::vector<int64_t> latency_us;
  std::string first_error;
};

inline void Add(Phase& all, const Phase& one) {
  all.calls += one.calls;
  all.errors += one.errors;
  all.seconds += one.seconds;
  all.daemon_cpu_s += one.daemon_cpu_s;
  all.client_cpu_s += one.client_cpu_s;
  all.latency_us.insert(all.latency_us.end(), one.latency_us.begin(), one.latency_us.end());
  if (all.first_error.empty()) all.first_error = one.first_error;
}

constexpr int kPhaseWidth = 90;

inline void PrintPhaseHeader() {
  std::printf("%-8s %8s %7s %10s %9s %9s %9s %11s %10s\n", "call", "calls", "secs", "calls/s",
              "p50 ms", "p99 ms", "max ms", "daemon us/c", "client us/c");
}

inline void PrintPhase(const Phase& p) {
  std::vector<int64_t> lat = p.latency_us;
  const double rate = static_cast<double>(p.calls) / p.seconds;
  std::printf("%-8s %8lld %7.2f %10.0f %9.2f %9.2f %9.2f %11.0f %10.0f\n", p.name.c_str(),
              static_cast<long long>(p.calls), p.seconds, rate, Percentile(lat, 50) / 1000.0,
              Percentile(lat, 99) / 1000.0, Percentile(lat, 100) / 1000.0,
              p.calls ? p.daemon_cpu_s * 1e6 / static_cast<double>(p.calls) : 0,
              p.calls ? p.client_cpu_s * 1e6 / static_cast<double>(p.calls) : 0);
}

inline void PrintErrors(const Phase& p) {
  if (p.errors > 0) {
    std::printf("ERRORS: %s: %lld failed calls, first: %s\n", p.name.c_str(),
                static_cast<long long>(p.errors), p.first_error.c_str());
  }
}

// Keeps `concurrency` unary calls outstanding: either the same request until a deadline
// (RunFor), or each of a range of distinct requests once (RunRange), keeping each answer.
// A slot stops after 100 failed calls.
class LoadRunner {
 public:
  LoadRunner(std::shared_ptr<grpc::Channel> channel, int concurrency)
      : stub_(std::move(channel)), concurrency_(concurrency) {}

  Phase RunFor(const std::string& name, const std::string& method, const std::string& request,
               double seconds, pid_t daemon, const Who& who = {}) {
    fixed_ = &request;
    requests_ = nullptr;
    answers_ = nullptr;
    who_ = who;
    whos_ = nullptr;
    deadline_ = SteadyClock::now() + std::chrono::microseconds(static_cast<int64_t>(seconds * 1e6));
    return Run(name, method, daemon);
  }

  // Sends requests[begin, end) once each; answers[i] gets the response bytes of request i.
  // With `whos`, request i goes as (*whos)[i] instead of `who` (one caller per request: voters).
  Phase RunRange(const std::string& name, const std::string& method,
                 const std::vector<std::string>& requests, size_t begin, size_t end,
                 std::vector<std::string>* answers, const Who& who, pid_t daemon,
                 const std::vector<Who>* whos = nullptr) {
    fixed_ = nullptr;
    requests_ = &requests;
    answers_ = answers;
    who_ = who;
    whos_ = whos;
    next_ = begin;
    end_ = end;
    deadline_ = SteadyClock::time_point::max();
    return Run(name, method, daemon);
  }

 private:
  struct Slot {
    std::unique_ptr<grpc::ClientContext> ctx;
    grpc::ByteBuffer request, response;
    SteadyClock::time_point sent;
    size_t index = 0;
    std::vector<int64_t> latency_us;
    int64_t errors = 0;
    std::string first_error;
  };

  Phase Run(const std::string& name, const std::string& method, pid_t daemon) {
    Phase p;
    p.name = name;
    method_ = method;
    slots_.clear();
    slots_.resize(static_cast<size_t>(concurrency_));
    for (auto& s : slots_) s.latency_us.reserve(16384);
    const double cpu0 = ProcessCpuSeconds(daemon), self0 = SelfCpuSeconds();
    const auto t0 = SteadyClock::now();
    active_ = concurrency_;
    for (auto& s : slots_) {
      if (!Issue(&s)) Finished();
    }
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return active_ == 0; });
    }
    p.seconds = SecondsSince(t0);
    p.daemon_cpu_s = ProcessCpuSeconds(daemon) - cpu0;
    p.client_cpu_s = SelfCpuSeconds() - self0;
    for (auto& s : slots_) {
      p.calls += static_cast<int64_t>(s.latency_us.size());
      p.errors += s.errors;
      if (p.first_error.empty()) p.first_error = s.first_error;
      p.latency_us.insert(p.latency_us.end(), s.latency_us.begin(), s.latency_us.end());
    }
    return p;
  }

  // False when there is nothing left to send.
  bool Issue(Slot* s) {
    const std::string* body = fixed_;
    if (requests_) {
      const size_t i = next_.fetch_add(1);
      if (i >= end_) return false;
      s->index = i;
      body = &(*requests_)[i];
    } else if (SteadyClock::now() >= deadline_) {
      return false;
    }
    s->ctx = std::make_unique<grpc::ClientContext>();
    const Who& who = whos_ ? (*whos_)[s->index] : who_;
    if (!who.token.empty()) s->ctx->AddMetadata("authorization", "Bearer " + who.token);
    if (!who.user.empty()) testing::Identify(s->ctx.get(), who.user, who.roles, who.unit);
    grpc::Slice slice(*body);
    s->request = grpc::ByteBuffer(&slice, 1);
    s->response.Clear();
    s->sent = SteadyClock::now();
    stub_.UnaryCall(s->ctx.get(), method_, grpc::StubOptions(), &s->request, &s->response,
                    [this, s](grpc::Status status) { Done(s, status); });
    return true;
  }

  void Done(Slot* s, const grpc::Status& status) {
    const auto now = SteadyClock::now();
    if (status.ok()) {
      s->latency_us.push_back(
          std::chrono::duration_cast<std::chrono::microseconds>(now - s->sent).count());
      if (answers_) {
        std::vector<grpc::Slice> slices;
        (void)s->response.Dump(&slices);
        std::string& out = (*answers_)[s->index];
        for (const auto& sl : slices) {
          out.append(reinterpret_cast<const char*>(sl.begin()), sl.size());
        }
      }
    } else if (s->errors++ == 0) {
      s->first_error = std::to_string(status.error_code()) + " " + status.error_message();
    }
    if (s->errors < 100 && Issue(s)) return;
    Finished();
  }

  void Finished() {
    std::lock_guard<std::mutex> lock(mu_);
    if (--active_ == 0) cv_.notify_all();
  }

  grpc::GenericStub stub_;
  const int concurrency_;
  std::string method_;
  const std::string* fixed_ = nullptr;
  const std::vector<std::string>* requests_ = nullptr;
  std::vector<std::string>* answers_ = nullptr;
  Who who_;
  const std::vector<Who>* whos_ = nullptr;
  std::atomic<size_t> next_{0};
  size_t end_ = 0;
  std::vector<Slot> slots_;
  SteadyClock::time_point deadline_;
  std::mutex mu_;
  std::condition_variable cv_;
  int active_ = 0;
};

}  // namespace shequ::bench
