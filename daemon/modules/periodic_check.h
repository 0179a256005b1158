#pragma once

// Module work due by the engine's clock that need not be exact to the minute (the retention
// sweep, the annual review's opening day): `check` runs on the io_context every minute, or
// every second under a manual clock (tests and demos move it in jumps), until this is
// destroyed. `check` itself decides whether anything is due, so a restart or a missed tick
// loses nothing.

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <utility>  // before Boost.Asio with GCC 12 in C++20

#include "daemon/core/clock.h"

namespace shequ::modules {

class PeriodicCheck {
 public:
  PeriodicCheck(boost::asio::io_context& io, const Clock& clock, std::function<void()> check)
      : timer_(io),
        every_(clock.IsManual() ? std::chrono::seconds(1) : std::chrono::seconds(60)),
        check_(std::move(check)) {
    Schedule();
  }
  ~PeriodicCheck() {
    *alive_ = false;
    timer_.cancel();
  }
  PeriodicCheck(const PeriodicCheck&) = delete;
  PeriodicCheck& operator=(const PeriodicCheck&) = delete;

 private:
  void Schedule() {
    timer_.expires_after(every_);
    timer_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
      if (ec || !*alive) return;
      check_();
      Schedule();
    });
  }

  boost::asio::steady_timer timer_;
  const std::chrono::seconds every_;
  const std::function<void()> check_;
  // False once destroyed: a tick already queued must not touch it.
  std::shared_ptr<std::atomic<bool>> alive_ = std::make_shared<std::atomic<bool>>(true);
};

}  // namespace shequ::modules
