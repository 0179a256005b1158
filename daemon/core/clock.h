#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace shequ {

// Milliseconds since the Unix epoch. The engine reads time only through a Clock, so that it is
// deterministic given (commands, clock) and tests can run on a manual clock.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowMs() const = 0;
  virtual bool IsManual() const { return false; }
};

class SystemClock final : public Clock {
 public:
  int64_t NowMs() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// Moves only when told to (`--fake-clock`, Admin/AdvanceClock).
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t start_ms) : now_ms_(start_ms) {}
  int64_t NowMs() const override { return now_ms_.load(std::memory_order_acquire); }
  bool IsManual() const override { return true; }
  void Set(int64_t ms) { now_ms_.store(ms, std::memory_order_release); }

 private:
  std::atomic<int64_t> now_ms_;
};

}  // namespace shequ
