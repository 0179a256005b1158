#pragma once

// The audit trail (docs/decisions/0012-audit-trail.md, docs/security.md "Audit trail"): one
// hash-chained entry per API call that changed something, in the same commit as the change;
// signed checkpoints, also appended to a witness file outside the database; refusals and reveals
// of personal data; retention.
//
// The trail is the engine's AuditHook: it numbers and chains the entries on the engine strand,
// where batches are handed to the store in the order it writes them, so the chain's head in
// memory is always the head of what the store holds (or will hold) and survives a restart by
// being read back (Open).

#include <utility>  // before Boost.Asio with GCC 12 in C++20

#include <boost/asio.hpp>
#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/auth/audit_chain.h"
#include "daemon/core/clock.h"
#include "daemon/engine/engine.h"
#include "daemon/store/store.h"

namespace shequ::auth {

struct AuditOptions {
  // Ed25519 secret key (64 raw bytes, mode 0600), created at first start; its public key is
  // written next to it in hex, as `public_key`.
  std::string signing_key;
  std::string public_key;
  // Every checkpoint is also appended here (one JSON line, fsync'd): a copy outside the database.
  std::string witness;
  int64_t checkpoint_every = 1000;                 // entries, at most
  int64_t checkpoint_interval_ms = 15 * 60'000;    // or this long after the last checkpoint
  int retention_days = 365;                        // at least kMinRetentionDays
  // Refusals recorded per minute in all; beyond it, and beyond one per principal and method a
  // minute, they are counted into the next entry instead of each making one.
  int refusals_per_minute = 60;
};

class AuditTrail final : public engine::AuditHook {
 public:
  static constexpr int kMinRetentionDays = 183;  // six months (issue 14)
  static constexpr int64_t kMaxEntriesDeletedPerCommit = 20'000;

  // Loads (or creates) the signing key and reads the chain's head and checkpoints back from
  // `store`, whose audit tables (audit::Schema()) must be attached; then sets itself as
  // `engine`'s hook. Before the engine runs.
  static absl::StatusOr<std::unique_ptr<AuditTrail>> Open(store::Store& store,
                                                          engine::Engine& engine,
                                                          const Clock& clock,
                                                          AuditOptions options);
  ~AuditTrail() override;

  // engine::AuditHook: on the strand.
  void OnCommit(const engine::AuditEntry* entry, int64_t now_ms, store::WriteBatch& batch,
                std::function<void()>& after_commit) override;

  // A call refused before it ran (UNAUTHENTICATED, PERMISSION_DENIED, …): an entry with the
  // code's name as outcome and the message as detail, coalesced per principal and method (one a
  // minute, the rest counted into the next) and capped per minute in all, so that a flood of
  // refusals cannot fill the disk. Thread-safe; does not wait for the commit.
  void RecordRefusal(const std::string& principal, const std::vector<std::string>& roles,
                     const std::string& method, const std::string& request_id,
                     const absl::Status& status);

  // Checkpoints and retention are done in the commits that pass by; on the real clock a timer
  // also commits an empty batch when one is due and nothing else commits. Stop before the
  // io_context is destroyed.
  void Start(boost::asio::io_context& io);
  void Stop();

  const std::string& public_key() const { return public_key_; }  // raw, 32 bytes
  int64_t head_seq() const { return head_seq_atomic_.load(); }

 private:
  AuditTrail(store::Store& store, engine::Engine& engine, const Clock& clock,
             AuditOptions options)
      : store_(store), engine_(engine), clock_(clock), options_(std::move(options)) {}
  absl::Status LoadKey();
  absl::Status Recover();
  // A signed checkpoint of the head, its record and its witness line (after the commit).
  audit::Checkpoint Checkpoint(const char* kind, int64_t seq, const audit::Hash& hash,
                               int64_t at_ms);
  void Retain(int64_t now_ms, store::WriteBatch& batch, std::vector<std::string>& witness);
  void AppendWitness(const std::vector<std::string>& lines);
  void FlushRefusals();
  void Tick();
  void Nudge();  // an empty engine commit, which passes the hook

  store::Store& store_;
  engine::Engine& engine_;
  const Clock& clock_;
  const AuditOptions options_;
  std::string secret_key_;  // raw, 64 bytes
  std::string public_key_;

  // On the engine strand (or before the engine runs).
  int64_t head_seq_ = 0;
  audit::Hash head_hash_ = audit::kGenesis;
  int64_t anchor_seq_ = 0;
  int64_t last_checkpoint_seq_ = 0;
  int64_t last_checkpoint_ms_ = 0;
  std::deque<std::pair<int64_t, int64_t>> checkpoints_;  // seq, at_ms, after the anchor
  int64_t next_retention_ms_ = 0;
  std::atomic<int64_t> head_seq_atomic_{0};
  std::atomic<int64_t> checkpointed_seq_atomic_{0};
  std::atomic<int64_t> checkpointed_ms_atomic_{0};

  // Refusals: guarded by refusals_mu_.
  struct Window {
    int64_t start_ms = 0;
    int64_t suppressed = 0;
    std::vector<std::string> roles;
  };
  std::mutex refusals_mu_;
  std::map<std::pair<std::string, std::string>, Window> windows_;  // principal, method
  int64_t minute_start_ms_ = 0;
  int minute_count_ = 0;
  int64_t over_cap_ = 0;  // refusals over the per-minute cap, not yet reported

  std::unique_ptr<boost::asio::steady_timer> timer_;
  std::shared_ptr<std::atomic<bool>> alive_ = std::make_shared<std::atomic<bool>>(true);
};

}  // namespace shequ::auth
