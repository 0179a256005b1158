#pragma once

// Server-streaming RPCs: Instances/Watch, Notifications/Subscribe and Jobs/Activate.
//
// A Stream keeps a queue and writes one message at a time, as the callback API requires. Other
// threads reach it through a Handle that outlives it, so a message published after the client
// went away is dropped instead of touching a deleted reactor.

#include <utility>  // before Boost.Asio with GCC 12 in C++20

#include <grpcpp/grpcpp.h>

#include <boost/asio.hpp>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <vector>

#include "daemon/auth/sessions.h"
#include "daemon/engine/engine.h"
#include "daemon/store/store.h"
#include "shequ/v1/instances.pb.h"
#include "shequ/v1/jobs.pb.h"
#include "shequ/v1/notifications.pb.h"

namespace shequ::server {

template <typename Msg>
class Stream : public grpc::ServerWriteReactor<Msg> {
 public:
  // A slow reader is cut off rather than allowed to grow the queue without bound.
  static constexpr size_t kMaxQueued = 10'000;

  class Handle {
   public:
    // False when the stream has ended or is ending and will not write `m`.
    bool Push(Msg m) {
      std::lock_guard lock(mu_);
      return stream_ && stream_->Enqueue(std::move(m));
    }
    void Close(grpc::Status s) {
      std::lock_guard lock(mu_);
      if (stream_) stream_->Close(std::move(s));
    }

   private:
    friend class Stream;
    std::mutex mu_;
    Stream* stream_ = nullptr;
  };

  Stream() : handle_(std::make_shared<Handle>()) { handle_->stream_ = this; }
  std::shared_ptr<Handle> handle() const { return handle_; }

  bool Enqueue(Msg m) {
    std::lock_guard lock(mu_);
    if (finished_ || closing_) return false;
    if (queue_.size() >= kMaxQueued) {
      FinishLocked(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                "the stream's reader fell too far behind"));
      return false;
    }
    queue_.push_back(std::move(m));
    if (!writing_) {
      writing_ = true;
      this->StartWrite(&queue_.front());
    }
    return true;
  }

  void Close(grpc::Status s) {
    std::lock_guard lock(mu_);
    if (finished_) return;
    if (writing_) {
      closing_ = true;
      close_status_ = std::move(s);
    } else {
      FinishLocked(std::move(s));
    }
  }

  void OnWriteDone(bool ok) override {
    bool wrote = false;
    {
      std::lock_guard lock(mu_);
      if (!ok) {
        Dropped(queue_.front());
        queue_.pop_front();
        writing_ = false;
        FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "stream write failed"));
        return;
      }
      queue_.pop_front();
      if (finished_) {
        writing_ = false;
        return;
      }
      wrote = true;
      if (!queue_.empty()) {
        this->StartWrite(&queue_.front());
      } else {
        writing_ = false;
        if (closing_) FinishLocked(close_status_);
      }
    }
    if (wrote) AfterWrite();
  }

  void OnCancel() override { Close(grpc::Status::CANCELLED); }

  void OnDone() override {
    {
      std::lock_guard lock(handle_->mu_);
      handle_->stream_ = nullptr;
    }
    Ended();
    delete this;
  }

 protected:
  virtual void AfterWrite() {}
  virtual void Ended() {}
  // A queued message that will never be written. Called under the stream's lock: must not block.
  virtual void Dropped(const Msg&) {}

 private:
  void FinishLocked(grpc::Status s) {
    if (finished_) return;
    finished_ = true;
    // Finish is allowed while a write is outstanding: that message stays at the front and its
    // OnWriteDone settles it; the rest are dropped now.
    const size_t keep = writing_ ? 1 : 0;
    for (size_t i = keep; i < queue_.size(); ++i) Dropped(queue_[i]);
    queue_.resize(keep);
    this->Finish(std::move(s));
  }

  std::shared_ptr<Handle> handle_;
  std::mutex mu_;
  std::deque<Msg> queue_;
  bool writing_ = false;
  bool closing_ = false;
  bool finished_ = false;
  grpc::Status close_status_;
};

// A stream refused before it started, e.g. for a bad request.
template <typename Msg>
class RefusedStream : public grpc::ServerWriteReactor<Msg> {
 public:
  explicit RefusedStream(grpc::Status s) { this->Finish(std::move(s)); }
  void OnDone() override { delete this; }
};

// Ends the stream behind `handle` with UNAUTHENTICATED when the API token `credential` that
// opened it is revoked ("" = not opened with a token: nothing to track).
template <typename Msg>
void CloseOnRevoke(auth::Sessions* sessions, const std::string& credential,
                   const std::shared_ptr<typename Stream<Msg>::Handle>& handle) {
  if (!sessions || credential.empty()) return;
  std::weak_ptr<typename Stream<Msg>::Handle> weak = handle;
  sessions->Track(credential, weak, [weak](const absl::Status& s) {
    if (auto h = weak.lock()) {
      h->Close(grpc::Status(grpc::StatusCode::UNAUTHENTICATED, std::string(s.message())));
    }
  });
}

// Fans what each commit made durable out to the open Watch and Subscribe streams.
class Hub {
 public:
  struct EventFilter {
    int64_t instance_id = 0;  // 0 = all
  };
  using NotificationFilter = store::NotificationFilter;

  // Registers a watcher; events committed from now on are buffered until Go() releases them
  // (after the stored history was sent), skipping what the history already covered.
  class Watcher;
  std::shared_ptr<Watcher> Watch(EventFilter f, std::shared_ptr<Stream<v1::Event>::Handle> out);
  class Subscriber;
  std::shared_ptr<Subscriber> Subscribe(
      NotificationFilter f, std::shared_ptr<Stream<v1::Notification>::Handle> out);
  void Remove(const void* who);

  void Publish(const std::vector<store::EventRow>& events,
               const std::vector<store::NotificationRow>& notifications);
  void CloseAll();

 private:
  std::mutex mu_;
  std::vector<std::shared_ptr<Watcher>> watchers_;
  std::vector<std::shared_ptr<Subscriber>> subscribers_;
};

class Hub::Watcher {
 public:
  Watcher(EventFilter f, std::shared_ptr<Stream<v1::Event>::Handle> out)
      : filter_(f), out_(std::move(out)) {}
  void Offer(const store::EventRow& e);
  // Sends the stored history, then whatever arrived meanwhile.
  void Go(const std::vector<store::EventRow>& history, int64_t after_seq);
  void Close(grpc::Status s) { out_->Close(std::move(s)); }

 private:
  void Send(const store::EventRow& e);
  EventFilter filter_;
  std::shared_ptr<Stream<v1::Event>::Handle> out_;
  std::mutex mu_;
  bool live_ = false;
  int64_t last_seq_ = 0;
  std::vector<store::EventRow> buffered_;
};

class Hub::Subscriber {
 public:
  Subscriber(NotificationFilter f, std::shared_ptr<Stream<v1::Notification>::Handle> out)
      : filter_(std::move(f)), out_(std::move(out)) {}
  void Offer(const store::NotificationRow& n);
  void Go(const std::vector<store::NotificationRow>& backlog);
  void Close(grpc::Status s) { out_->Close(std::move(s)); }
  const NotificationFilter& filter() const { return filter_; }

 private:
  void Send(const store::NotificationRow& n);
  NotificationFilter filter_;
  std::shared_ptr<Stream<v1::Notification>::Handle> out_;
  std::mutex mu_;
  bool live_ = false;
  int64_t last_id_ = 0;
  std::vector<store::NotificationRow> buffered_;
};

// Jobs/Activate: asks the engine for one job at a time and writes it.
class ActivateStream : public Stream<v1::Job> {
 public:
  ActivateStream(engine::Engine& engine, boost::asio::io_context& io,
                 const v1::ActivateRequest& request);

 private:
  void AfterWrite() override;
  void Ended() override;
  void Dropped(const v1::Job& job) override;
  void ArmLongPoll();

  engine::Engine& engine_;
  int64_t activation_ = 0;
  int max_jobs_;
  int sent_ = 0;
  int64_t long_poll_ms_;
  std::shared_ptr<boost::asio::steady_timer> long_poll_;
};

}  // namespace shequ::server
