// Timers: the in-memory index of due times, firing what came due in bounded transactions, the
// wake-up on the real clock and the manual clock's AdvanceClock. What a timer does is up to
// its kind's unit (tasks, jobs, messages, the interpreter).

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "daemon/core/logging.h"
#include "daemon/core/status.h"
#include "daemon/engine/engine_impl.h"
#include "daemon/engine/transaction.h"

namespace shequ::engine {

absl::StatusOr<int> Engine::Impl::FireDueTimers(uint64_t* last_gen) {
  int total = 0;
  if (!store_.Health().ok()) return total;
  for (;;) {
    const int64_t now = clock_.NowMs();
    if (timers_.empty() || timers_.top().due_at_ms > now) return total;
    Tx tx(*this, "system");
    std::vector<TimerEntry> taken;
    int fired = 0;
    while (!timers_.empty() && timers_.top().due_at_ms <= now &&
           fired < options_.max_timers_per_transaction) {
      TimerEntry entry = timers_.top();
      timers_.pop();
      taken.push_back(entry);
      std::optional<Timer> timer = tx.GetTimer(entry.id);
      if (!timer || timer->due_at_ms != entry.due_at_ms) continue;  // deleted or stale entry
      tx.DeleteTimer(entry.id);
      FireTimer(tx, *timer);
      ++fired;
    }
    if (fired > 0) RunScheduled(tx);
    if (!tx.read_error.ok()) {
      // Nothing of this transaction happened: its timers stay due.
      for (const TimerEntry& entry : taken) timers_.push(entry);
      timers_retry_at_ms_ = clock_.NowMs() + kTimerRetryMs;
      Logger("engine")->error("firing timers: {}", tx.read_error.ToString());
      return tx.read_error;
    }
    if (fired == 0) continue;
    total += fired;
    *last_gen = next_gen_;
    Commit(tx, json::object(), "", nullptr);
  }
}

void Engine::Impl::ScheduleWake() {
  if (clock_.IsManual() || timers_.empty()) return;
  const int64_t due = std::max(timers_.top().due_at_ms, timers_retry_at_ms_);
  if (wake_at_ms_ != 0 && wake_at_ms_ <= due) return;
  wake_at_ms_ = due;
  // Sleep at most a minute, so a wall-clock jump is noticed.
  const int64_t delay = std::clamp<int64_t>(due - clock_.NowMs(), 0, 60'000);
  wake_.expires_after(std::chrono::milliseconds(delay));
  wake_.async_wait(boost::asio::bind_executor(strand_, [this](boost::system::error_code ec) {
    if (ec) return;
    wake_at_ms_ = 0;
    uint64_t gen = 0;
    FireDueTimers(&gen).IgnoreError();  // logged; retried by the next wake-up
    ScheduleWake();
  }));
}

void Engine::Impl::AdvanceClock(ManualClock& clock, int64_t to_ms, Reply reply) {
  boost::asio::post(strand_, [this, &clock, to_ms, reply = std::move(reply)]() mutable {
    if (to_ms < clock.NowMs()) {
      reply(absl::InvalidArgumentError("to: the clock cannot move backwards"));
      return;
    }
    const int64_t from_ms = clock.NowMs();
    clock.Set(to_ms);
    uint64_t gen = 0;
    const absl::StatusOr<int> fired = FireDueTimers(&gen);
    if (!fired.ok()) {
      clock.Set(from_ms);  // timers that fired before the failed read stay fired
      reply(fired.status());
      return;
    }
    // The time reached is stored, so a restart goes on from it (decision 0004). Commits are
    // durable in order: answering after this one answers after every timer fired above.
    sequences_[kFakeClockSequence] = to_ms;
    changed_sequences_.insert(kFakeClockSequence);
    Tx tx(*this, "system");
    Commit(tx, json{{"now_ms", to_ms}, {"timers_fired", *fired}}, "", std::move(reply));
  });
}

void Engine::Impl::FireTimer(Tx& tx, const Timer& timer) {
  switch (timer.kind) {
    case TimerKind::kNode:
    case TimerKind::kMessageTimeout:
      FireTokenTimer(tx, timer);
      return;
    case TimerKind::kTaskRemind:
    case TimerKind::kTaskEscalate:
      FireTaskTimer(tx, timer);
      return;
    case TimerKind::kJobRetry:
    case TimerKind::kJobLock:
      FireJobTimer(tx, timer);
      return;
    case TimerKind::kMessageExpire:
      ExpireMessage(tx, timer);
      return;
    case TimerKind::kUnknown:
      return;  // stored by a later version: not ours to interpret
  }
}

}  // namespace shequ::engine
