#include "daemon/server/streams.h"

#include <algorithm>

#include "daemon/server/convert.h"

namespace shequ::server {

std::shared_ptr<Hub::Watcher> Hub::Watch(EventFilter f,
                                         std::shared_ptr<Stream<v1::Event>::Handle> out) {
  auto w = std::make_shared<Watcher>(f, std::move(out));
  std::lock_guard lock(mu_);
  watchers_.push_back(w);
  return w;
}

std::shared_ptr<Hub::Subscriber> Hub::Subscribe(
    NotificationFilter f, std::shared_ptr<Stream<v1::Notification>::Handle> out) {
  auto s = std::make_shared<Subscriber>(std::move(f), std::move(out));
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
  } else {
    buffered_.push_back(e);
  }
}

void Hub::Watcher::Go(const std::vector<store::EventRow>& history, int64_t after_seq) {
  std::lock_guard lock(mu_);
  last_seq_ = after_seq;
  for (const auto& e : history) Send(e);
  for (const auto& e : buffered_) Send(e);
  buffered_.clear();
  live_ = true;
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
  } else {
    buffered_.push_back(n);
  }
}

void Hub::Subscriber::Go(const std::vector<store::NotificationRow>& backlog) {
  std::lock_guard lock(mu_);
  for (const auto& n : backlog) Send(n);
  for (const auto& n : buffered_) Send(n);
  buffered_.clear();
  live_ = true;
}

ActivateStream::ActivateStream(engine::Engine& engine, boost::asio::io_context& io,
                               const v1::ActivateRequest& request)
    : engine_(engine),
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
