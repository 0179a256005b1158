#include "daemon/auth/sessions.h"

namespace shequ::auth {

void Sessions::Track(const std::string& credential, std::weak_ptr<void> alive, Close close) {
  if (credential.empty()) return;
  {
    std::lock_guard lock(mu_);
    // Amortised: a sweep every so many registrations keeps ended streams from accumulating.
    if (++tracked_since_prune_ >= 64 && tracked_since_prune_ >= entries_.size()) PruneLocked();
    entries_.emplace(credential, Entry{alive, close});
  }
  // Revocation updates the credential before it sweeps: either the sweep saw this entry or
  // this check sees the revocation.
  if (!check_) return;
  if (absl::Status now = check_(credential); !now.ok()) {
    if (auto keep = alive.lock()) close(now);
  }
}

size_t Sessions::Revoke(const std::string& credential, const std::string& reason) {
  std::vector<Entry> hit;
  {
    std::lock_guard lock(mu_);
    auto [b, e] = entries_.equal_range(credential);
    for (auto it = b; it != e; ++it) hit.push_back(std::move(it->second));
    entries_.erase(b, e);
  }
  // Outside the lock: closing takes the stream's own locks.
  size_t closed = 0;
  const absl::Status status = absl::UnauthenticatedError(reason);
  for (auto& entry : hit) {
    if (auto keep = entry.alive.lock()) {
      entry.close(status);
      ++closed;
    }
  }
  return closed;
}

size_t Sessions::open() {
  std::lock_guard lock(mu_);
  PruneLocked();
  return entries_.size();
}

void Sessions::PruneLocked() {
  for (auto it = entries_.begin(); it != entries_.end();) {
    it = it->second.alive.expired() ? entries_.erase(it) : std::next(it);
  }
  tracked_since_prune_ = 0;
}

}  // namespace shequ::auth
