#pragma once

// Server-streaming RPCs: Instances/Watch, Notifications/Subscribe and Jobs/Activate.
//
// A Stream keeps a queue and writes one message at a time, as the callback API requires. Other
// threads reach it through a Handle that outlives it, so a message published after the client
// went away is dropped instead of touching a deleted reactor.

#include <utility>  // before Boost.Asio with GCC 12 in C++20

#include <grpcpp/grpcpp.h>

#include <boost/asio.hpp>
#include <algorithm>
#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "daemon/auth/limits.h"
#include "daemon/auth/sessions.h"
#include "daemon/engine/engine.h"
#include "daemon/store/store.h"
#include "shequ/v1/instances.pb.h"
#include "shequ/v1/jobs.pb.h"
#include "shequ/v1/notifications.pb.h"

namespace shequ::server {

// How far a stream's reader may fall behind before the stream is ended (limits.stream_queue_*).
struct StreamBounds {
  size_t max_messages = 1000;
  size_t max_bytes = size_t{16} << 20;
};

template <typename Msg>
class Stream : public grpc::ServerWriteReactor<Msg> {
 public:

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
    // True while the stream is open and its queue below half its bounds: room for more of a
    // backlog (Backfill).
    bool HasRoom() {
      std::lock_guard lock(mu_);
      return stream_ && stream_->HasRoom();
    }

   private:
    friend class Stream;
    std::mutex mu_;
    Stream* stream_ = nullptr;
  };

  // `slot` is the caller's open-stream slot, given back when the stream ends.
  explicit Stream(StreamBounds bounds = {}, auth::StreamCounter::Slot slot = {})
      : handle_(std::make_shared<Handle>()), bounds_(bounds), slot_(std::move(slot)) {
    handle_->stream_ = this;
  }
  std::shared_ptr<Handle> handle() const { return handle_; }

  // A reader that stops reading is cut off rather than allowed to grow the queue without
  // bound; it resumes from the last message it saw (Watch's after_seq, Subscribe's backlog).
  bool Enqueue(Msg m) {
    std::lock_guard lock(mu_);
    if (finished_ || closing_) return false;
    const size_t size = m.ByteSizeLong();
    if (queue_.size() >= bounds_.max_messages ||
        (!queue_.empty() && queued_bytes_ + size > bounds_.max_bytes)) {
      FinishLocked(grpc::Status(
          grpc::StatusCode::RESOURCE_EXHAUSTED,
          absl::StrCat("reader too slow: ", queue_.size(), " messages behind (",
                       queued_bytes_ + size, " bytes; at most ", bounds_.max_messages,
                       " messages and ", bounds_.max_bytes, " bytes)")));
      return false;
    }
    queued_bytes_ += size;
    queue_.push_back(std::move(m));
    if (!writing_) {
      writing_ = true;
      this->StartWrite(&queue_.front());
    }
    return true;
  }

  bool HasRoom() {
    std::lock_guard lock(mu_);
    return !finished_ && !closing_ && queue_.size() < bounds_.max_messages / 2 + 1 &&
           queued_bytes_ < bounds_.max_bytes / 2;
  }
  // Rows of a backlog read from the store at once.
  size_t page_size() const { return std::clamp<size_t>(bounds_.max_messages / 2, 1, 1000); }

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
      queued_bytes_ -= std::min(queued_bytes_, queue_.front().ByteSizeLong());
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
  // After each message written (the reader took it), without the stream's lock.
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
    queued_bytes_ = keep ? queue_.front().ByteSizeLong() : 0;
    this->Finish(std::move(s));
  }

  std::shared_ptr<Handle> handle_;
  const StreamBounds bounds_;
  auth::StreamCounter::Slot slot_;
  std::mutex mu_;
  std::deque<Msg> queue_;
  size_t queued_bytes_ = 0;
  bool writing_ = false;
  bool closing_ = false;
  bool finished_ = false;
  grpc::Status close_status_;
};

// Sends a stream's backlog from the store (Watch's history, Subscribe's unacknowledged
// notifications) a page at a time on the reader pool, no faster than the reader takes it: the
// next page is read only once the queue has drained below half its bounds (Kick, after each
// write), so a long backlog never sits in memory whole.
class Backfill : public std::enable_shared_from_this<Backfill> {
 public:
  // `step` sends the next page and returns true while more remains; `has_room` is the stream
  // handle's HasRoom.
  Backfill(boost::asio::thread_pool& readers, std::function<bool()> step,
           std::function<bool()> has_room)
      : readers_(readers), step_(std::move(step)), has_room_(std::move(has_room)) {}
  void Kick();

 private:
  enum State { kWaiting, kReading, kDone };
  boost::asio::thread_pool& readers_;
  std::function<bool()> step_;
  std::function<bool()> has_room_;
  std::atomic<int> state_{kWaiting};
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

  // Registers a watcher; events committed from now on are buffered (at most `max_buffered`)
  // while the stored history after `after_seq` is sent a page at a time (CatchUp), then
  // released, skipping what the history already covered.
  class Watcher;
  std::shared_ptr<Watcher> Watch(EventFilter f, std::shared_ptr<Stream<v1::Event>::Handle> out,
                                 int64_t after_seq, size_t max_buffered);
  class Subscriber;
  std::shared_ptr<Subscriber> Subscribe(NotificationFilter f,
                                        std::shared_ptr<Stream<v1::Notification>::Handle> out,
                                        size_t max_buffered);
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
  Watcher(EventFilter f, std::shared_ptr<Stream<v1::Event>::Handle> out, int64_t after_seq,
          size_t max_buffered)
      : filter_(f), out_(std::move(out)), last_seq_(after_seq), max_buffered_(max_buffered) {}
  void Offer(const store::EventRow& e);
  // Where the next page of history starts (the last event sent).
  int64_t BeginPage();
  // Sends a page of the stored history while the stream has room; when `full` is false and
  // nothing was left out, then also what arrived meanwhile, and goes live. True while more
  // history remains to be read.
  bool CatchUp(const std::vector<store::EventRow>& page, bool full);
  void Close(grpc::Status s) { out_->Close(std::move(s)); }

 private:
  void Send(const store::EventRow& e);
  EventFilter filter_;
  std::shared_ptr<Stream<v1::Event>::Handle> out_;
  std::mutex mu_;
  bool live_ = false;
  int64_t last_seq_ = 0;
  const size_t max_buffered_;
  bool overflowed_ = false;  // buffered events were dropped: the store has them, read again
  std::vector<store::EventRow> buffered_;
};

class Hub::Subscriber {
 public:
  Subscriber(NotificationFilter f, std::shared_ptr<Stream<v1::Notification>::Handle> out,
             size_t max_buffered)
      : filter_(std::move(f)), out_(std::move(out)), max_buffered_(max_buffered) {}
  void Offer(const store::NotificationRow& n);
  int64_t BeginPage();  // the last notification sent
  bool CatchUp(const std::vector<store::NotificationRow>& page, bool full);  // as Watcher's
  void Close(grpc::Status s) { out_->Close(std::move(s)); }
  const NotificationFilter& filter() const { return filter_; }

 private:
  void Send(const store::NotificationRow& n);
  NotificationFilter filter_;
  std::shared_ptr<Stream<v1::Notification>::Handle> out_;
  std::mutex mu_;
  bool live_ = false;
  int64_t last_id_ = 0;
  const size_t max_buffered_;
  bool overflowed_ = false;
  std::vector<store::NotificationRow> buffered_;
};

// Jobs/Activate: asks the engine for one job at a time and writes it.
class ActivateStream : public Stream<v1::Job> {
 public:
  ActivateStream(engine::Engine& engine, boost::asio::io_context& io,
                 const v1::ActivateRequest& request, StreamBounds bounds = {},
                 auth::StreamCounter::Slot slot = {});

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
