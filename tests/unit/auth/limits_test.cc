#include "daemon/auth/limits.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "shequ/v1/admin.pb.h"
#include "shequ/v1/audit.pb.h"
#include "shequ/v1/definitions.pb.h"
#include "shequ/v1/incidents.pb.h"
#include "shequ/v1/instances.pb.h"
#include "shequ/v1/jobs.pb.h"
#include "shequ/v1/notifications.pb.h"
#include "shequ/v1/plugins.pb.h"
#include "shequ/v1/principals.pb.h"
#include "shequ/v1/recruitment.pb.h"
#include "shequ/v1/tasks.pb.h"
#include "shequ/v1/workforce.pb.h"

namespace shequ::auth {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

constexpr size_t kString = 64, kRepeated = 8, kVariables = 256, kImport = 512;

FieldLimits Limits() { return DefaultFieldLimits(kString, kRepeated, kVariables, kImport); }

// Every service of shequ.v1, linked in by naming one message of each file.
std::vector<const google::protobuf::ServiceDescriptor*> Services() {
  const std::vector<const Descriptor*> anchors = {
      v1::StatsRequest::descriptor(),       v1::ListAuditRequest::descriptor(),
      v1::DeployRequest::descriptor(),      v1::ListIncidentsRequest::descriptor(),
      v1::StartRequest::descriptor(),       v1::ActivateRequest::descriptor(),
      v1::SubscribeRequest::descriptor(),   v1::InvokePluginRequest::descriptor(),
      v1::CreateTokenRequest::descriptor(), v1::ImportScoresRequest::descriptor(),
      v1::CompleteRequest::descriptor(),    v1::ImportRosterChunk::descriptor()};
  std::vector<const google::protobuf::ServiceDescriptor*> out;
  for (const Descriptor* d : anchors) {
    for (int i = 0; i < d->file()->service_count(); ++i) out.push_back(d->file()->service(i));
  }
  return out;
}

size_t BoundOf(const FieldDescriptor* f) {
  auto l = Limits();
  auto it = l.payloads.find(f->full_name());
  return it == l.payloads.end() ? kString : it->second;
}

struct Walk {
  Message* root;
  std::string method;
  int checks = 0;

  void Expect(const std::string& path, size_t size, size_t bound) {
    absl::Status s = CheckFieldSizes(*root, Limits());
    ++checks;
    EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << method << " " << path;
    EXPECT_TRUE(absl::StartsWith(s.message(), absl::StrCat(path, ": ", size, " ")))
        << method << ": " << s.message() << " (expected " << path << ")";
    EXPECT_TRUE(absl::StrContains(s.message(), absl::StrCat("at most ", bound))) << s.message();
  }
  void ExpectOk(const std::string& path) {
    absl::Status s = CheckFieldSizes(*root, Limits());
    ++checks;
    EXPECT_TRUE(s.ok()) << method << " " << path << ": " << s;
  }

  // Oversizes each field of `m` in turn (and the fields of its sub-messages), then puts it back.
  void Fields(Message* m, const std::string& prefix, int depth) {
    const Descriptor* d = m->GetDescriptor();
    const auto* r = m->GetReflection();
    for (int i = 0; i < d->field_count(); ++i) {
      const FieldDescriptor* f = d->field(i);
      const std::string path = prefix.empty() ? f->name() : prefix + "." + f->name();
      const bool text = f->cpp_type() == FieldDescriptor::CPPTYPE_STRING;
      const bool message = f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE;
      if (!f->is_repeated()) {
        if (text) {
          const size_t bound = BoundOf(f);
          r->SetString(m, f, std::string(bound, 'x'));
          ExpectOk(path);
          r->SetString(m, f, std::string(bound + 1, 'x'));
          Expect(path, bound + 1, bound);
          r->ClearField(m, f);
        } else if (message && depth < 4) {
          Fields(r->MutableMessage(m, f), path, depth + 1);
          r->ClearField(m, f);
        }
        continue;
      }
      // Repeated: one entry too many, then one entry too long.
      for (size_t n = 0; n <= kRepeated; ++n) {
        if (text)
          r->AddString(m, f, "x");
        else if (message)
          r->AddMessage(m, f);
        else if (f->cpp_type() == FieldDescriptor::CPPTYPE_INT64)
          r->AddInt64(m, f, 1);
        else if (f->cpp_type() == FieldDescriptor::CPPTYPE_INT32)
          r->AddInt32(m, f, 1);
        else if (f->cpp_type() == FieldDescriptor::CPPTYPE_ENUM)
          r->AddEnumValue(m, f, 0);
        else if (f->cpp_type() == FieldDescriptor::CPPTYPE_BOOL)
          r->AddBool(m, f, true);
        else if (f->cpp_type() == FieldDescriptor::CPPTYPE_DOUBLE)
          r->AddDouble(m, f, 1);
        else
          break;
        if (n + 1 == kRepeated) ExpectOk(path);
      }
      if (r->FieldSize(*m, f) == static_cast<int>(kRepeated + 1)) {
        absl::Status s = CheckFieldSizes(*root, Limits());
        ++checks;
        EXPECT_EQ(s.message(),
                  absl::StrCat(path, ": ", kRepeated + 1, " entries, at most ", kRepeated))
            << method;
      }
      r->ClearField(m, f);
      if (text) {
        r->AddString(m, f, "ok");
        r->AddString(m, f, std::string(BoundOf(f) + 1, 'x'));
        Expect(path + "[1]", BoundOf(f) + 1, BoundOf(f));
      } else if (message && depth < 4) {
        r->AddMessage(m, f);
        Fields(r->MutableRepeatedMessage(m, f, 0), path + "[0]", depth + 1);
      }
      r->ClearField(m, f);
    }
  }
};

TEST(FieldSizes, EveryRequestOfEveryServiceNamesTheFieldOverItsBound) {
  auto& factory = *google::protobuf::MessageFactory::generated_factory();
  int methods = 0, checks = 0;
  for (const auto* service : Services()) {
    for (int i = 0; i < service->method_count(); ++i) {
      const auto* method = service->method(i);
      std::unique_ptr<Message> req(factory.GetPrototype(method->input_type())->New());
      EXPECT_TRUE(CheckFieldSizes(*req, Limits()).ok()) << method->full_name();
      Walk w{req.get(), method->full_name()};
      w.Fields(req.get(), "", 0);
      checks += w.checks;
      ++methods;
    }
  }
  EXPECT_EQ(Services().size(), 12u);
  EXPECT_GE(methods, 75);  // every RPC of shequ.v1 at the time of writing
  EXPECT_GT(checks, 400);  // the walk reached the fields, not only empty messages
}

TEST(FieldSizes, PayloadFieldsExistAndKeepTheirOwnBound) {
  Services();  // links the files in
  for (const auto& [name, bound] : Limits().payloads) {
    EXPECT_NE(google::protobuf::DescriptorPool::generated_pool()->FindFieldByName(name), nullptr)
        << name << " is not a field of the API";
  }
  v1::StartRequest start;
  start.set_variables(std::string(kVariables, ' '));
  EXPECT_TRUE(CheckFieldSizes(start, Limits()).ok());
  start.set_business_key(std::string(kVariables, 'k'));
  EXPECT_EQ(CheckFieldSizes(start, Limits()).message(),
            absl::StrCat("business_key: ", kVariables, " bytes, at most ", kString));
}

TEST(FieldSizes, SevenMebibyteBusinessKeyWithTheDaemonsDefaults) {
  v1::StartRequest req;
  req.set_definition_id("vacancy-approval");
  req.set_business_key(std::string(size_t{7} << 20, 'k'));
  absl::Status s = CheckFieldSizes(req, DefaultFieldLimits(4096, 1000, 1 << 20, 64 << 20));
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(s.message(), "business_key: 7340032 bytes, at most 4096");
}

// ---- RateLimiter ---------------------------------------------------------------------------

struct FakeClock {
  int64_t us = 1'000'000;
  RateLimiter::NowUs fn() {
    return [this] { return us; };
  }
};

TEST(RateLimiter, BurstThenRefillAtTheRate) {
  FakeClock clock;
  RateLimiter limiter({10, 5}, {100, 50}, clock.fn());
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(limiter.Admit("wang.li", "shequ.v1.Tasks/Complete").ok()) << i;
  }
  absl::Status refused = limiter.Admit("wang.li", "shequ.v1.Tasks/Complete");
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(absl::StrContains(refused.message(), "wang.li")) << refused.message();
  EXPECT_TRUE(absl::StrContains(refused.message(), "retry in 100 ms")) << refused.message();
  EXPECT_EQ(RetryAfterMs(refused), 100);
  // Another principal has its own bucket.
  EXPECT_TRUE(limiter.Admit("zhao.min", "shequ.v1.Tasks/Complete").ok());
  clock.us += 50'000;  // half a token
  refused = limiter.Admit("wang.li", "shequ.v1.Tasks/Get");
  EXPECT_EQ(RetryAfterMs(refused), 50);
  clock.us += 50'000;
  EXPECT_TRUE(limiter.Admit("wang.li", "shequ.v1.Tasks/Get").ok());
  EXPECT_FALSE(limiter.Admit("wang.li", "shequ.v1.Tasks/Get").ok());
  // A long idle time refills to the burst, no further.
  clock.us += 60'000'000;
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(limiter.Admit("wang.li", "shequ.v1.Tasks/Get").ok());
  EXPECT_FALSE(limiter.Admit("wang.li", "shequ.v1.Tasks/Get").ok());
}

TEST(RateLimiter, JobWorkersDrawFromTheirOwnLargerBudget) {
  FakeClock clock;
  RateLimiter limiter({10, 2}, {100, 50}, clock.fn());
  EXPECT_TRUE(limiter.Admit("system:civil-affairs", "shequ.v1.Tasks/List").ok());
  EXPECT_TRUE(limiter.Admit("system:civil-affairs", "shequ.v1.Tasks/List").ok());
  EXPECT_FALSE(limiter.Admit("system:civil-affairs", "shequ.v1.Tasks/List").ok());
  for (int i = 0; i < 50; ++i) {
    EXPECT_TRUE(limiter.Admit("system:civil-affairs", "shequ.v1.Jobs/Complete").ok()) << i;
  }
  absl::Status s = limiter.Admit("system:civil-affairs", "shequ.v1.Jobs/Complete");
  EXPECT_EQ(RetryAfterMs(s), 10);
  EXPECT_TRUE(absl::StrContains(s.message(), "Jobs calls")) << s.message();
}

TEST(RateLimiter, ZeroRateIsUnlimited) {
  FakeClock clock;
  RateLimiter limiter({0, 0}, {0, 0}, clock.fn());
  for (int i = 0; i < 10'000; ++i) ASSERT_TRUE(limiter.Admit("x", "shequ.v1.Tasks/List").ok());
  EXPECT_EQ(limiter.buckets(), 0u);
}

TEST(RateLimiter, IdleBucketsAreDropped) {
  FakeClock clock;
  RateLimiter limiter({10, 5}, {100, 50}, clock.fn());
  for (int i = 0; i < 5000; ++i) {
    ASSERT_TRUE(limiter.Admit("p" + std::to_string(i), "shequ.v1.Tasks/List").ok());
    clock.us += 1000;  // 5 s in all: the early buckets refill meanwhile
  }
  EXPECT_LT(limiter.buckets(), 2100u);  // not 5000
  // A principal that is still short of tokens keeps its bucket.
  for (int i = 0; i < 5; ++i) (void)limiter.Admit("busy", "shequ.v1.Tasks/List");
  for (int i = 0; i < 5000; ++i) {
    (void)limiter.Admit("q" + std::to_string(i), "shequ.v1.Tasks/List");
  }
  EXPECT_FALSE(limiter.Admit("busy", "shequ.v1.Tasks/List").ok());
}

TEST(RateLimiter, ThreadSafe) {
  FakeClock clock;
  RateLimiter limiter({1, 1000}, {1, 1}, clock.fn());
  std::atomic<int> passed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) passed += limiter.Admit("same", "shequ.v1.Tasks/List").ok();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(passed.load(), 1000);
}

// ---- StreamCounter -------------------------------------------------------------------------

TEST(StreamCounter, CapsOpenStreamsPerPrincipalAndReleasesOnEnd) {
  StreamCounter counter(2);
  StreamCounter::Slot a, b, c;
  ASSERT_TRUE(counter.Open("wang.li", &a).ok());
  ASSERT_TRUE(counter.Open("wang.li", &b).ok());
  absl::Status s = counter.Open("wang.li", &c);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(absl::StrContains(s.message(), "at most 2")) << s.message();
  EXPECT_TRUE(counter.Open("zhao.min", &c).ok());
  EXPECT_EQ(counter.open("wang.li"), 2);
  a.Release();
  EXPECT_EQ(counter.open("wang.li"), 1);
  {
    StreamCounter::Slot d;
    ASSERT_TRUE(counter.Open("wang.li", &d).ok());
    StreamCounter::Slot moved = std::move(d);
    EXPECT_EQ(counter.open("wang.li"), 2);
  }
  EXPECT_EQ(counter.open("wang.li"), 1);
  b.Release();
  c.Release();
  EXPECT_EQ(counter.open("wang.li"), 0);
  EXPECT_EQ(counter.open("zhao.min"), 0);
}

}  // namespace
}  // namespace shequ::auth
