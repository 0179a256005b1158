#pragma once

// The streams each credential holds open, so that revoking an API token (or disabling its
// principal) ends them at once, not when the client next reconnects.

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace shequ::auth {

class Sessions {
 public:
  using Close = std::function<void(const absl::Status&)>;

  // Registers a stream opened with `credential` ("" is not tracked). `alive` is held weakly:
  // once it is gone the entry is dropped, so a stream need not say when it ends. `close` ends
  // the stream with the given status; it may be called from any thread.
  void Track(const std::string& credential, std::weak_ptr<void> alive, Close close);

  // How a credential stands now: OK, or UNAUTHENTICATED saying why not. Track checks it after
  // registering, so that a stream admitted just before its credential was revoked, but tracked
  // just after Revoke swept, is ended too. Set before the daemon serves.
  using Check = std::function<absl::Status(const std::string& credential)>;
  void SetCheck(Check check) { check_ = std::move(check); }

  // Ends every stream opened with `credential` with UNAUTHENTICATED `reason`; returns how many.
  size_t Revoke(const std::string& credential, const std::string& reason);

  size_t open();  // streams tracked and still alive

 private:
  struct Entry {
    std::weak_ptr<void> alive;
    Close close;
  };
  void PruneLocked();
  Check check_;
  std::mutex mu_;
  std::multimap<std::string, Entry> entries_;
  size_t tracked_since_prune_ = 0;
};

}  // namespace shequ::auth
