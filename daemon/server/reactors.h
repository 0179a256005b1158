#pragma once

// Small helpers shared by the unary handlers of every service.

#include <utility>  // before Boost.Asio with GCC 12 in C++20

#include <grpcpp/grpcpp.h>

#include <boost/asio.hpp>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "daemon/auth/limits.h"
#include "daemon/server/convert.h"

namespace shequ::server {

// Finishes the call at once with `s` (OK when the response is already filled).
inline grpc::ServerUnaryReactor* Refuse(grpc::CallbackServerContext* ctx, const absl::Status& s) {
  // Clients that do not read status details still learn when to come back.
  if (int64_t ms = auth::RetryAfterMs(s); ms >= 0) {
    ctx->AddTrailingMetadata("retry-after-ms", std::to_string(ms));
  }
  auto* r = ctx->DefaultReactor();
  r->Finish(ToGrpc(s));
  return r;
}

// Finishes the call with the engine's answer; `fill` copies it into the response and may still
// refuse.
template <typename Fill>
engine::Reply Answer(grpc::ServerUnaryReactor* r, Fill fill) {
  return [r, fill = std::move(fill)](absl::StatusOr<json> result) mutable {
    if (!result.ok()) {
      r->Finish(ToGrpc(result.status()));
      return;
    }
    if constexpr (std::is_same_v<decltype(fill(*result)), absl::Status>) {
      r->Finish(ToGrpc(fill(*result)));
    } else {
      fill(*result);
      r->Finish(grpc::Status::OK);
    }
  };
}
inline engine::Reply Answer(grpc::ServerUnaryReactor* r) {
  return Answer(r, [](const json&) {});
}

// Runs a read on the reader pool, never on gRPC's threads; `read` returns the call's status.
template <typename Read>
grpc::ServerUnaryReactor* OnReader(boost::asio::thread_pool& readers,
                                   grpc::CallbackServerContext* ctx, Read read) {
  auto* r = ctx->DefaultReactor();
  boost::asio::post(readers, [r, read = std::move(read)]() mutable {
    absl::Status s;
    try {
      s = read();
    } catch (const std::exception& e) {
      s = absl::InternalError(absl::StrCat("read failed: ", e.what()));
    }
    r->Finish(ToGrpc(s));
  });
  return r;
}

// Like OnReader, for reads that may show personal data unmasked: `read(&revealed)` fills the
// response and names what it showed unmasked ("worker:3"). When it names anything and
// `revealer` is set, the answer waits for the audit entry of the reveal to commit
// (Engine::RecordReveal): no personal data leaves without its trace.
template <typename Read>
grpc::ServerUnaryReactor* OnRevealingReader(boost::asio::thread_pool& readers,
                                            engine::Engine& engine,
                                            grpc::CallbackServerContext* ctx,
                                            std::optional<engine::Caller> revealer, Read read) {
  auto* r = ctx->DefaultReactor();
  boost::asio::post(readers, [r, &engine, revealer = std::move(revealer),
                              read = std::move(read)]() mutable {
    absl::Status s;
    std::vector<std::string> revealed;
    try {
      s = read(&revealed);
    } catch (const std::exception& e) {
      s = absl::InternalError(absl::StrCat("read failed: ", e.what()));
    }
    if (!s.ok() || !revealer || revealed.empty()) {
      r->Finish(ToGrpc(s));
      return;
    }
    engine.RecordReveal(*std::move(revealer), std::move(revealed), "personal data unmasked",
                        [r](absl::StatusOr<json> done) { r->Finish(ToGrpc(done.status())); });
  });
  return r;
}

}  // namespace shequ::server
