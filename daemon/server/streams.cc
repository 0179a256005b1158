#include "daemon/server/streams.h"

#include <algorithm>

#include "daemon/server/convert.h"

namespace shequ::server {

void Backfill::Kick() {
  int waiting = kWaiting;
  if (!has_room_() || !state_.compare_exchange_strong(waiting, kReading)) return;
  boost::asio::post(readers_, [self = shared_from_this()] {
    if (!self->step_()) {
      self->state_ = kDone;
      return;
    }
    // Waiting first, then the room: a write that drained the queue meanwhile either sees
    // kWaiting in its own Kick or left the room this Kick sees.
    self->state_ = kWaiting;
    self->Kick();
  });
}

std::shared_ptr<Hub::Watcher> Hub::Watch(EventFilter f,
                                         std::shared_ptr<Stream<v1::Event>::Handle> out,
                                         int64_t after_seq, size_t max_buffered) {
  auto w = std::make_shared<Watcher>(f, std::move(out), after_seq, max_buffered);
  std::lock_guard lock(mu_);
  watchers_.push_back(w);
  return w;
}

std::shared_ptr<Hub::Subscriber> Hub::Subscribe(
    NotificationFilter f, std::shared_ptr<Stream<v1::Notification>::Handle> out,
    size_t max_buffered) {
  auto s = std::make_shared<Subscriber>(std::move(f), std::move(out), max_buffered);
  std::lock_guard lock(mu_);
  subscribers_.push_back(s);
  return s;
}

void Hub::Remove(const void* who) {
  std::lock_guard lock(mu_);
  std::erase_if(watchers_, [&](const auto& w) { return w.get() == who; });
  std::erase_if(subscribers_, [&](const auto& s) { return s.get() == who; });
}

void Hub::Publish(const std::vector<store::EventRow>& events,
                  const std::vector<store::NotificationRow>& notifications) {
  std::lock_guard lock(mu_);
  for (const auto& w : watchers_) {
    for (const auto& e : events) w->Offer(e);
  }
  for (const auto& s : subscribers_) {
    for (const auto& n : notifications) {
      if (s->filter().Matches(n)) s->Offer(n);
    }
  }
}

void Hub::CloseAll() {
  std::lock_guard lock(mu_);
  grpc::Status closing(grpc::StatusCode::UNAVAILABLE, "the daemon is shutting down");
  for (const auto& w : watchers_) w->Close(closing);
  for (const auto& s : subscribers_) s->Close(closing);
}

void Hub::Watcher::Send(const store::EventRow& e) {
  if (e.seq <= last_seq_) return;
  if (filter_.instance_id != 0 && e.instance_id != filter_.instance_id) return;
  last_seq_ = e.seq;
  v1::Event msg;
  ToProto(e, &msg);
  out_->Push(std::move(msg));
}

void Hub::Watcher::Offer(const store::EventRow& e) {
  std::lock_guard lock(mu_);
  if (live_) {
    Send(e);
  } else if (buffered_.size() >= max_buffered_) {
    // Committed, so the store has them: the catch-up reads them instead.
    buffered_.clear();
    overflowed_ = true;
  } else {
    buffered_.push_back(e);
  }
}

int64_t Hub::Watcher::BeginPage() {
  std::lock_guard lock(mu_);
  overflowed_ = false;  // what is dropped from now on comes after this page's start
  return last_seq_;
}

bool Hub::Watcher::CatchUp(const std::vector<store::EventRow>& page, bool full) {
  std::lock_guard lock(mu_);
  for (const auto& e : page) {
    if (!out_->HasRoom()) return true;  // the rest again, once the reader has caught up
    Send(e);
  }
  if (full || overflowed_) return true;
  for (const auto& e : buffered_) Send(e);
  buffered_.clear();
  live_ = true;
  return false;
}

void Hub::Subscriber::Send(const store::NotificationRow& n) {
  if (n.id <= last_id_) return;
  last_id_ = n.id;
  v1::Notification msg;
  ToProto(engine::FromRow(n), &msg);
  out_->Push(std::move(msg));
}

void Hub::Subscriber::Offer(const store::NotificationRow& n) {
  std::lock_guard lock(mu_);
  if (live_) {
    Send(n);
  } else if (buffered_.size() >= max_buffered_) {
    buffered_.clear();
    overflowed_ = true;
  } else {
    buffered_.push_back(n);
  }
}

int64_t Hub::Subscriber::BeginPage() {
  std::lock_guard lock(mu_);
  overflowed_ = false;
  return last_id_;
}

bool Hub::Subscriber::CatchUp(const std::vector<store::NotificationRow>& page, bool full) {
  std::lock_guard lock(mu_);
  for (const auto& n : page) {
    if (!out_->HasRoom()) return true;
    Send(n);
  }
  if (full || overflowed_) return true;
  for (const auto& n : buffered_) Send(n);
  buffered_.clear();
  live_ = true;
  return false;
}

ActivateStream::ActivateStream(engine::Engine& engine, boost::asio::io_context& io,
                               const v1::ActivateRequest& request, StreamBounds bounds,
                               auth::StreamCounter::Slot slot)
    : Stream(bounds, std::move(slot)),
      engine_(engine),
      max_jobs_(request.max_jobs()),
      long_poll_ms_(request.long_poll_ms()),
      long_poll_(std::make_shared<boost::asio::steady_timer>(boost::asio::make_strand(io))) {
  std::vector<std::string> types(request.types().begin(), request.types().end());
  auto out = handle();
  activation_ = engine_.OpenActivation(
      std::move(types), request.worker(), request.timeout_ms(),
      [out](const engine::Job& job, const engine::json& variables) {
        v1::Job msg;
        ToProto(job, variables, &msg);
        return out->Push(std::move(msg));
      });
  engine_.RequestJob(activation_);
  ArmLongPoll();
}

void ActivateStream::ArmLongPoll() {
  if (long_poll_ms_ <= 0) return;
  // Timers are not thread-safe: touch this one only on its own strand.
  boost::asio::post(long_poll_->get_executor(),
                    [timer = long_poll_, ms = long_poll_ms_, out = std::weak_ptr<Handle>(handle())] {
                      timer->expires_after(std::chrono::milliseconds(ms));
                      timer->async_wait([out](boost::system::error_code ec) {
                        if (ec) return;
                        if (auto h = out.lock()) h->Close(grpc::Status::OK);
                      });
                    });
}

void ActivateStream::AfterWrite() {
  ++sent_;
  if (max_jobs_ > 0 && sent_ >= max_jobs_) {
    Close(grpc::Status::OK);
    return;
  }
  ArmLongPoll();
  engine_.RequestJob(activation_);
}

void ActivateStream::Dropped(const v1::Job& job) {
  engine_.ReleaseJob(job.id(), job.attempt());
}

void ActivateStream::Ended() {
  engine_.CloseActivation(activation_);
  boost::asio::post(long_poll_->get_executor(), [timer = long_poll_] { timer->cancel(); });
}

}  // namespace shequ::server
