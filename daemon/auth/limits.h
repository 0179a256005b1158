#pragma once

// Limits on what one caller may send and hold: the size of every field of a request, the rate
// of its calls, and the streams it keeps open. docs/security.md, "Limits".

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "absl/status/status.h"

namespace google::protobuf {
class Message;
}  // namespace google::protobuf

namespace shequ::auth {

// ---- Field sizes ---------------------------------------------------------------------------

struct FieldLimits {
  size_t max_string_bytes = 4096;  // every string or bytes field, unless `payloads` names it
  size_t max_repeated = 1000;      // entries of every repeated (or map) field
  // Fields that carry a payload (variables JSON, a definition's YAML, a CSV file or chunk), by
  // full name ("shequ.v1.StartRequest.variables"), with their own bound.
  std::unordered_map<std::string, size_t> payloads;
};

// The daemon's bounds: payloads of variables and definitions at `max_variables_bytes`, CSV
// imports at `max_import_bytes`, everything else at `max_string_bytes`.
FieldLimits DefaultFieldLimits(size_t max_string_bytes, size_t max_repeated,
                               size_t max_variables_bytes, size_t max_import_bytes);

// Walks every field set in `request` by reflection, into sub-messages, repeated and map fields.
// RESOURCE_EXHAUSTED naming the first field over its bound and the path to it:
// "business_key: 7340032 bytes, at most 4096", "posts[2].title: …", "types: 5000 entries, at
// most 1000".
absl::Status CheckFieldSizes(const google::protobuf::Message& request, const FieldLimits& limits);

// ---- Rate ----------------------------------------------------------------------------------

// The payload RateLimiter attaches to its refusals: a serialized google.rpc.RetryInfo, under
// this type URL (server/convert.cc turns it into the gRPC status details and a retry-after-ms
// trailer).
inline constexpr char kRetryInfoType[] = "type.googleapis.com/google.rpc.RetryInfo";

// The google.rpc.Status (code, message, details) of a refusal that carries retry info, serialized
// for grpc::Status's details (the grpc-status-details-bin trailer); "" when `s` carries none.
std::string RpcStatusDetails(const absl::Status& s);

// The delay a refusal asks the caller to wait, in milliseconds; -1 when `s` carries none.
int64_t RetryAfterMs(const absl::Status& s);

struct RateBudget {
  double per_second = 0;  // refill rate; 0 = unlimited
  double burst = 0;       // bucket size: calls allowed at once after an idle time
};

// A token bucket per principal. Job workers (Jobs/*) draw from a bucket of their own with its
// own, larger, budget, so a busy worker does not starve its principal's other calls.
// Thread-safe. Memory stays bounded: a bucket that has refilled to full is the same as no
// bucket, so such buckets are dropped once the table grows.
class RateLimiter {
 public:
  using NowUs = std::function<int64_t()>;  // monotonic microseconds
  RateLimiter(RateBudget calls, RateBudget jobs, NowUs now = nullptr);

  // Takes one token for `principal` calling `method` ("shequ.v1.Jobs/Complete"). OK, or
  // RESOURCE_EXHAUSTED with the delay after which a call would pass (in the message and as a
  // RetryInfo payload).
  absl::Status Admit(std::string_view principal, std::string_view method);

  size_t buckets() const;  // for tests and metrics

 private:
  struct Bucket {
    double tokens = 0;
    int64_t at_us = 0;
  };
  static bool IsJobs(std::string_view method);
  void SweepLocked(int64_t now_us);

  const RateBudget calls_;
  const RateBudget jobs_;
  const NowUs now_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
  size_t sweep_at_ = 1024;  // table size that triggers the next sweep
};

// ---- Streams -------------------------------------------------------------------------------

// Counts the server streams each principal holds open (Notifications/Subscribe, Instances/Watch,
// Jobs/Activate). Thread-safe.
class StreamCounter {
 public:
  explicit StreamCounter(int max_per_principal) : max_(max_per_principal) {}

  // A slot released when the stream ends; empty when refused.
  class Slot {
   public:
    Slot() = default;
    Slot(Slot&& o) noexcept : owner_(o.owner_), principal_(std::move(o.principal_)) {
      o.owner_ = nullptr;
    }
    Slot& operator=(Slot&& o) noexcept;
    ~Slot() { Release(); }
    void Release();

   private:
    friend class StreamCounter;
    StreamCounter* owner_ = nullptr;
    std::string principal_;
  };

  // RESOURCE_EXHAUSTED naming the cap when `principal` already holds max_per_principal streams.
  absl::Status Open(const std::string& principal, Slot* slot);
  int open(const std::string& principal) const;
  int max_per_principal() const { return max_; }

 private:
  void Close(const std::string& principal);
  const int max_;  // 0 = unlimited
  mutable std::mutex mu_;
  std::map<std::string, int> open_;
};

// ---- All together ----------------------------------------------------------------------

struct LimitsOptions {
  FieldLimits fields;
  RateBudget calls;
  RateBudget jobs;
  int max_streams_per_principal = 0;
};

// What Gate::Admit checks once it knows the caller, and the open-stream count the streaming
// handlers hold a slot of.
class Limits {
 public:
  explicit Limits(LimitsOptions o, RateLimiter::NowUs now = nullptr)
      : fields_(std::move(o.fields)),
        rate_(o.calls, o.jobs, std::move(now)),
        streams_(o.max_streams_per_principal) {}

  // The rate first (a refused call costs nothing more), then the size of every field.
  absl::Status Admit(std::string_view principal, std::string_view method,
                     const google::protobuf::Message& request) {
    if (absl::Status s = rate_.Admit(principal, method); !s.ok()) return s;
    return CheckFieldSizes(request, fields_);
  }
  StreamCounter& streams() { return streams_; }
  const FieldLimits& fields() const { return fields_; }

 private:
  const FieldLimits fields_;
  RateLimiter rate_;
  StreamCounter streams_;
};

}  // namespace shequ::auth
