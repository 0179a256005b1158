#include "daemon/auth/limits.h"

#include <google/protobuf/any.pb.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/duration.pb.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/message.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace shequ::auth {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

absl::Status TooLong(const std::string& path, size_t size, size_t max) {
  return absl::ResourceExhaustedError(absl::StrCat(path, ": ", size, " bytes, at most ", max));
}

// The error of a sub-message, with the path to it in front: "posts[2]." + "title: …".
absl::Status Within(const absl::Status& s, const std::string& where) {
  return absl::Status(s.code(), absl::StrCat(where, ".", s.message()));
}

// Paths are built only on the way out of a refusal: an accepted request allocates nothing for
// them.
absl::Status Check(const Message& m, const FieldLimits& limits) {
  const Reflection* r = m.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(m, &fields);  // only those set: an empty request costs nothing
  std::string scratch;
  for (const FieldDescriptor* f : fields) {
    const bool text = f->cpp_type() == FieldDescriptor::CPPTYPE_STRING;
    const bool message = f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE;
    if (!text && !message && !f->is_repeated()) continue;
    const size_t max_bytes = limits.max_string_bytes;
    auto BoundOf = [&](size_t size) {
      // The payload table is consulted only past the common bound, off the hot path.
      if (size <= max_bytes) return max_bytes;
      auto it = limits.payloads.find(f->full_name());
      return it == limits.payloads.end() ? max_bytes : it->second;
    };
    if (!f->is_repeated()) {
      if (text) {
        const std::string& s = r->GetStringReference(m, f, &scratch);
        if (size_t bound = BoundOf(s.size()); s.size() > bound) {
          return TooLong(f->name(), s.size(), bound);
        }
      } else if (message) {
        if (auto s = Check(r->GetMessage(m, f), limits); !s.ok()) return Within(s, f->name());
      }
      continue;
    }
    const int n = r->FieldSize(m, f);
    if (static_cast<size_t>(n) > limits.max_repeated) {
      return absl::ResourceExhaustedError(
          absl::StrCat(f->name(), ": ", n, " entries, at most ", limits.max_repeated));
    }
    for (int i = 0; i < n && (text || message); ++i) {
      if (text) {
        const std::string& s = r->GetRepeatedStringReference(m, f, i, &scratch);
        if (size_t bound = BoundOf(s.size()); s.size() > bound) {
          return TooLong(absl::StrCat(f->name(), "[", i, "]"), s.size(), bound);
        }
      } else if (auto s = Check(r->GetRepeatedMessage(m, f, i), limits); !s.ok()) {
        return Within(s, absl::StrCat(f->name(), "[", i, "]"));
      }
    }
  }
  return absl::OkStatus();
}

int64_t SteadyNowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// google.rpc.RetryInfo { google.protobuf.Duration retry_delay = 1; }, encoded by hand: Debian
// ships no googleapis protos, and the message is one length-delimited field.
std::string RetryInfoBytes(int64_t delay_ms) {
  google::protobuf::Duration d;
  d.set_seconds(delay_ms / 1000);
  d.set_nanos(static_cast<int32_t>(delay_ms % 1000) * 1'000'000);
  const std::string inner = d.SerializeAsString();
  std::string out;
  out.push_back(0x0a);                             // field 1, length-delimited
  out.push_back(static_cast<char>(inner.size()));  // a Duration is always < 128 bytes
  out += inner;
  return out;
}

}  // namespace

FieldLimits DefaultFieldLimits(size_t max_string_bytes, size_t max_repeated,
                               size_t max_variables_bytes, size_t max_import_bytes) {
  FieldLimits l;
  l.max_string_bytes = max_string_bytes;
  l.max_repeated = max_repeated;
  for (const char* f :
       {"shequ.v1.DeployRequest.yaml", "shequ.v1.StartRequest.variables",
        "shequ.v1.PublishMessageRequest.variables", "shequ.v1.CompleteRequest.variables",
        "shequ.v1.CompleteJobRequest.variables", "shequ.v1.ResolveIncidentRequest.variables",
        "shequ.v1.InvokePluginRequest.input"}) {
    l.payloads[f] = max_variables_bytes;
  }
  for (const char* f : {"shequ.v1.ImportScoresRequest.csv", "shequ.v1.ImportRosterChunk.data"}) {
    l.payloads[f] = max_import_bytes;
  }
  return l;
}

absl::Status CheckFieldSizes(const Message& request, const FieldLimits& limits) {
  return Check(request, limits);
}

std::string RpcStatusDetails(const absl::Status& s) {
  auto payload = s.GetPayload(kRetryInfoType);
  if (!payload) return "";
  google::protobuf::Any any;
  any.set_type_url(std::string(kRetryInfoType));
  any.set_value(std::string(*payload));
  const std::string detail = any.SerializeAsString();
  // google.rpc.Status { int32 code = 1; string message = 2; repeated Any details = 3; }
  std::string out;
  {
    google::protobuf::io::StringOutputStream raw(&out);
    google::protobuf::io::CodedOutputStream o(&raw);
    o.WriteTag((1 << 3) | 0);
    o.WriteVarint32(static_cast<uint32_t>(s.code()));
    o.WriteTag((2 << 3) | 2);
    o.WriteVarint32(static_cast<uint32_t>(s.message().size()));
    o.WriteRaw(s.message().data(), static_cast<int>(s.message().size()));
    o.WriteTag((3 << 3) | 2);
    o.WriteVarint32(static_cast<uint32_t>(detail.size()));
    o.WriteString(detail);
  }
  return out;
}

int64_t RetryAfterMs(const absl::Status& s) {
  auto payload = s.GetPayload(kRetryInfoType);
  if (!payload) return -1;
  google::protobuf::Duration d;
  const std::string bytes(*payload);
  if (bytes.size() < 2 || !d.ParseFromString(bytes.substr(2))) return -1;
  return d.seconds() * 1000 + d.nanos() / 1'000'000;
}

// ---- RateLimiter ---------------------------------------------------------------------------

RateLimiter::RateLimiter(RateBudget calls, RateBudget jobs, NowUs now)
    : calls_(calls), jobs_(jobs), now_(now ? std::move(now) : NowUs(SteadyNowUs)) {}

bool RateLimiter::IsJobs(std::string_view method) {
  return method.substr(0, method.find('/')) == "shequ.v1.Jobs";
}

absl::Status RateLimiter::Admit(std::string_view principal, std::string_view method) {
  const bool jobs = IsJobs(method);
  const RateBudget& b = jobs ? jobs_ : calls_;
  if (b.per_second <= 0) return absl::OkStatus();
  const double burst = std::max(1.0, b.burst);
  const int64_t now = now_();
  std::string key = std::string(jobs ? "j:" : "c:").append(principal);
  std::lock_guard lock(mu_);
  auto [it, fresh] = buckets_.try_emplace(std::move(key));
  Bucket& bucket = it->second;
  if (fresh) {
    bucket.tokens = burst;
  } else {
    bucket.tokens = std::min(
        burst, bucket.tokens + static_cast<double>(now - bucket.at_us) * b.per_second / 1e6);
  }
  bucket.at_us = now;
  if (bucket.tokens >= 1.0) {
    bucket.tokens -= 1.0;
    if (buckets_.size() >= sweep_at_) SweepLocked(now);
    return absl::OkStatus();
  }
  const int64_t wait_ms = std::max<int64_t>(
      1, static_cast<int64_t>(std::ceil((1.0 - bucket.tokens) * 1000 / b.per_second)));
  absl::Status s = absl::ResourceExhaustedError(
      absl::StrFormat("rate limit: %s may make %g %scalls a second (bursts of %g); retry in %d ms",
                      principal.empty() ? "an anonymous caller" : std::string(principal),
                      b.per_second, jobs ? "Jobs " : "", burst, wait_ms));
  s.SetPayload(kRetryInfoType, absl::Cord(RetryInfoBytes(wait_ms)));
  return s;
}

void RateLimiter::SweepLocked(int64_t now_us) {
  std::erase_if(buckets_, [&](const auto& kv) {
    const RateBudget& b = kv.first.starts_with("j:") ? jobs_ : calls_;
    const double burst = std::max(1.0, b.burst);
    return kv.second.tokens + static_cast<double>(now_us - kv.second.at_us) * b.per_second / 1e6 >=
           burst;
  });
  // Sweep again only once the table has doubled: the cost stays constant per call.
  sweep_at_ = std::max<size_t>(1024, buckets_.size() * 2);
}

size_t RateLimiter::buckets() const {
  std::lock_guard lock(mu_);
  return buckets_.size();
}

// ---- StreamCounter -------------------------------------------------------------------------

StreamCounter::Slot& StreamCounter::Slot::operator=(Slot&& o) noexcept {
  if (this != &o) {
    Release();
    owner_ = o.owner_;
    principal_ = std::move(o.principal_);
    o.owner_ = nullptr;
  }
  return *this;
}

void StreamCounter::Slot::Release() {
  if (owner_) owner_->Close(principal_);
  owner_ = nullptr;
}

absl::Status StreamCounter::Open(const std::string& principal, Slot* slot) {
  slot->Release();
  std::lock_guard lock(mu_);
  int& n = open_[principal];
  if (max_ > 0 && n >= max_) {
    return absl::ResourceExhaustedError(
        absl::StrCat("streams: ", principal.empty() ? "an anonymous caller" : principal, " holds ",
                     n, " open streams, at most ", max_, " (limits.max_streams_per_principal)"));
  }
  ++n;
  slot->owner_ = this;
  slot->principal_ = principal;
  return absl::OkStatus();
}

void StreamCounter::Close(const std::string& principal) {
  std::lock_guard lock(mu_);
  auto it = open_.find(principal);
  if (it == open_.end()) return;
  if (--it->second <= 0) open_.erase(it);  // no entry for a principal with none open
}

int StreamCounter::open(const std::string& principal) const {
  std::lock_guard lock(mu_);
  auto it = open_.find(principal);
  return it == open_.end() ? 0 : it->second;
}

}  // namespace shequ::auth
