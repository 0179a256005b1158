#include "daemon/auth/audit_trail.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "daemon/core/logging.h"
#include "daemon/core/status.h"

namespace shequ::auth {
namespace {

using audit::SeqKey;
using engine::json;

constexpr int64_t kMinuteMs = 60'000;
constexpr int64_t kRetentionCheckMs = 3'600'000;
constexpr size_t kMaxRefusalWindows = 10'000;

absl::Status Errno(absl::string_view what, const std::string& path) {
  return absl::FailedPreconditionError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

absl::Status WriteFile(const std::string& path, const std::string& bytes, mode_t mode) {
  // O_EXCL: two daemons starting at once must not each write their own key.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return Errno("cannot create", path);
  const bool ok = ::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return Errno("cannot write", path);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<AuditTrail>> AuditTrail::Open(store::Store& store,
                                                             engine::Engine& engine,
                                                             const Clock& clock,
                                                             AuditOptions options) {
  if (options.retention_days < kMinRetentionDays) {
    return absl::InvalidArgumentError(absl::StrCat("audit.retention_days: ", options.retention_days,
                                                   " is below the minimum of ", kMinRetentionDays,
                                                   " days (six months)"));
  }
  if (options.checkpoint_every < 1 || options.checkpoint_every > kMaxEntriesDeletedPerCommit) {
    return absl::InvalidArgumentError(absl::StrCat("audit.checkpoint_every: from 1 to ",
                                                   kMaxEntriesDeletedPerCommit));
  }
  if (options.checkpoint_interval_ms < 1000) {
    return absl::InvalidArgumentError("audit.checkpoint_minutes: must be positive");
  }
  RETURN_IF_ERROR(audit::InitSodium());
  std::unique_ptr<AuditTrail> trail(new AuditTrail(store, engine, clock, std::move(options)));
  RETURN_IF_ERROR(trail->LoadKey());
  RETURN_IF_ERROR(trail->Recover());
  if (!trail->options_.witness.empty()) {
    // There from the first start, so that a verification before the first checkpoint finds an
    // empty witness rather than none (a missing witness is a finding of its own).
    int fd = ::open(trail->options_.witness.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
                    0600);
    if (fd < 0) return Errno("cannot create the audit witness", trail->options_.witness);
    ::close(fd);
  }
  engine.SetAuditHook(trail.get());
  return trail;
}

AuditTrail::~AuditTrail() { Stop(); }

absl::Status AuditTrail::LoadKey() {
  const std::string& path = options_.signing_key;
  std::string pub_path = options_.public_key.empty() ? path + ".pub" : options_.public_key;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) {
    std::string pk(audit::kPublicKeyBytes, '\0'), sk(audit::kSecretKeyBytes, '\0');
    crypto_sign_keypair(reinterpret_cast<unsigned char*>(pk.data()),
                        reinterpret_cast<unsigned char*>(sk.data()));
    RETURN_IF_ERROR(WriteFile(path, sk, 0600));
    Logger("audit")->info("audit: created signing key {}", path);
    secret_key_ = std::move(sk);
  } else {
    if (fd < 0) return Errno("cannot open audit signing key", path);
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      ::close(fd);
      return Errno("cannot stat audit signing key", path);
    }
    if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
      ::close(fd);
      return absl::FailedPreconditionError(absl::StrCat(
          "audit signing key ", path, " is readable by others; run: chmod 600 ", path));
    }
    std::string sk(audit::kSecretKeyBytes, '\0');
    const ssize_t n = ::read(fd, sk.data(), sk.size());
    char extra;
    const ssize_t more = ::read(fd, &extra, 1);
    ::close(fd);
    if (n != static_cast<ssize_t>(sk.size()) || more != 0) {
      return absl::DataLossError(absl::StrCat("audit signing key ", path, " must hold exactly ",
                                              audit::kSecretKeyBytes, " bytes"));
    }
    secret_key_ = std::move(sk);
  }
  std::string pk(audit::kPublicKeyBytes, '\0');
  crypto_sign_ed25519_sk_to_pk(reinterpret_cast<unsigned char*>(pk.data()),
                               reinterpret_cast<const unsigned char*>(secret_key_.data()));
  public_key_ = pk;
  // The public key next to it, for whoever verifies a copy elsewhere; rewritten when it differs.
  auto existing = audit::ReadPublicKeyFile(pub_path);
  if (!existing.ok() || *existing != pk) {
    std::error_code ec;
    std::filesystem::remove(pub_path, ec);
    RETURN_IF_ERROR(WriteFile(pub_path, audit::Hex(reinterpret_cast<const uint8_t*>(pk.data()),
                                                   pk.size()) + "\n",
                              0644));
  }
  return absl::OkStatus();
}

absl::Status AuditTrail::Recover() {
  auto log = Logger("audit");
  std::optional<audit::Checkpoint> anchor, last;
  store::RecordScan scan;
  scan.table = audit::kCheckpoints;
  RETURN_IF_ERROR(store::ForEachRecord(store_, scan, [&](store::Record&& r) -> absl::Status {
    auto c = audit::ParseCheckpoint(r.body);
    if (!c.ok()) {
      return absl::DataLossError(absl::StrCat(audit::kCheckpoints, " ", r.key, ": ",
                                              c.status().message()));
    }
    if (r.key == audit::kAnchorKey) {
      anchor = *c;
    } else {
      checkpoints_.emplace_back(c->seq, c->at_ms);
      last = *c;
    }
    return absl::OkStatus();
  }));
  if (anchor) {
    anchor_seq_ = anchor->seq;
    while (!checkpoints_.empty() && checkpoints_.front().first < anchor_seq_) {
      checkpoints_.pop_front();
    }
  }
  // The head: entries are contiguous from the anchor on, so the last one is found by probing
  // (doubling, then halving) from the last checkpoint, never by reading them all.
  int64_t known = std::max(anchor_seq_, last ? last->seq : 0);
  audit::Hash known_hash = audit::kGenesis;
  if (last && last->seq == known) known_hash = last->hash;
  else if (anchor && anchor->seq == known) known_hash = anchor->hash;
  auto exists = [&](int64_t seq) -> absl::StatusOr<bool> {
    ASSIGN_OR_RETURN(auto r, store_.GetRecord(audit::kEntries, SeqKey(seq)));
    return r.has_value();
  };
  int64_t lo = known, step = 1, hi = 0;
  for (;;) {
    ASSIGN_OR_RETURN(bool there, exists(lo + step));
    if (!there) {
      hi = lo + step;  // lo exists (or is the known start), hi does not
      break;
    }
    lo += step;
    step *= 2;
  }
  while (hi - lo > 1) {
    const int64_t mid = lo + (hi - lo) / 2;
    ASSIGN_OR_RETURN(bool there, exists(mid));
    (there ? lo : hi) = mid;
  }
  head_seq_ = lo;
  head_hash_ = known_hash;
  if (lo > known) {
    ASSIGN_OR_RETURN(auto r, store_.GetRecord(audit::kEntries, SeqKey(lo)));
    auto e = audit::ParseEntry(r ? r->body : "");
    auto h = e.ok() ? audit::HashFromHex(e->hash) : std::nullopt;
    if (!h) {
      return absl::DataLossError(absl::StrCat("audit entry ", lo, ": unreadable; run shequctl "
                                              "audit verify on the database"));
    }
    head_hash_ = *h;
  }
  last_checkpoint_seq_ = known;
  last_checkpoint_ms_ = last ? last->at_ms : clock_.NowMs();
  head_seq_atomic_ = head_seq_;
  checkpointed_seq_atomic_ = last_checkpoint_seq_;
  checkpointed_ms_atomic_ = last_checkpoint_ms_;
  log->info("audit trail: head at seq {}, {} checkpoints, anchored at seq {}", head_seq_,
            checkpoints_.size(), anchor_seq_);
  return absl::OkStatus();
}

audit::Checkpoint AuditTrail::Checkpoint(const char* kind, int64_t seq, const audit::Hash& hash,
                                         int64_t at_ms) {
  audit::Checkpoint c;
  c.kind = kind;
  c.seq = seq;
  c.hash = hash;
  c.at_ms = at_ms;
  c.signature = audit::Sign(c, secret_key_);
  return c;
}

void AuditTrail::OnCommit(const engine::AuditEntry* entry, int64_t now_ms,
                          store::WriteBatch& batch, std::function<void()>& after_commit) {
  std::vector<std::string> witness;
  if (entry) {
    const int64_t seq = ++head_seq_;
    const std::string canonical = audit::Canonical(*entry, seq);
    head_hash_ = audit::ChainHash(head_hash_, canonical);
    batch.records.push_back({store::RecordWrite::Op::kAppend, audit::kEntries, SeqKey(seq),
                             audit::EntryBody(*entry, seq, head_hash_),
                             {entry->principal, entry->method}});
    head_seq_atomic_ = seq;
  }
  if (head_seq_ > last_checkpoint_seq_ &&
      (head_seq_ - last_checkpoint_seq_ >= options_.checkpoint_every ||
       now_ms - last_checkpoint_ms_ >= options_.checkpoint_interval_ms)) {
    audit::Checkpoint c = Checkpoint("checkpoint", head_seq_, head_hash_, now_ms);
    std::string body = audit::CheckpointBody(c);
    batch.records.push_back(
        {store::RecordWrite::Op::kPut, audit::kCheckpoints, SeqKey(c.seq), body, {}});
    witness.push_back(std::move(body));
    checkpoints_.emplace_back(c.seq, c.at_ms);
    last_checkpoint_seq_ = c.seq;
    last_checkpoint_ms_ = now_ms;
    checkpointed_seq_atomic_ = c.seq;
    checkpointed_ms_atomic_ = now_ms;
  }
  if (now_ms >= next_retention_ms_) Retain(now_ms, batch, witness);
  if (!witness.empty()) {
    // Only what is durable goes to the witness: a line for a batch that failed would look like
    // a truncated database.
    after_commit = [this, witness = std::move(witness)] { AppendWitness(witness); };
  }
}

void AuditTrail::Retain(int64_t now_ms, store::WriteBatch& batch,
                        std::vector<std::string>& witness) {
  next_retention_ms_ = now_ms + kRetentionCheckMs;
  const int64_t cutoff = now_ms - int64_t{options_.retention_days} * 86'400'000;
  // The newest checkpoint older than the cutoff, within one bounded step from the anchor (a
  // backlog is worked off over the following commits).
  std::optional<std::pair<int64_t, int64_t>> to;
  for (const auto& cp : checkpoints_) {
    if (cp.second > cutoff || cp.first <= anchor_seq_) continue;
    if (to && cp.first - anchor_seq_ > kMaxEntriesDeletedPerCommit) break;
    to = cp;
  }
  if (!to) return;
  // Its hash: the checkpoint's record holds it; read back rather than kept for every one.
  auto record = store_.GetRecord(audit::kCheckpoints, SeqKey(to->first));
  auto cp = record.ok() && record->has_value() ? audit::ParseCheckpoint((*record)->body)
                                               : absl::StatusOr<audit::Checkpoint>(
                                                     absl::NotFoundError("no checkpoint"));
  if (!cp.ok()) {
    Logger("audit")->error("retention: checkpoint {} cannot be read: {}", to->first,
                           cp.status().ToString());
    return;
  }
  for (int64_t seq = anchor_seq_ + 1; seq <= to->first; ++seq) {
    batch.records.push_back(
        {store::RecordWrite::Op::kDelete, audit::kEntries, SeqKey(seq), "", {}});
  }
  while (!checkpoints_.empty() && checkpoints_.front().first < to->first) {
    batch.records.push_back({store::RecordWrite::Op::kDelete, audit::kCheckpoints,
                             SeqKey(checkpoints_.front().first), "", {}});
    checkpoints_.pop_front();
  }
  audit::Checkpoint anchor = Checkpoint("anchor", cp->seq, cp->hash, cp->at_ms);
  std::string body = audit::CheckpointBody(anchor);
  batch.records.push_back(
      {store::RecordWrite::Op::kPut, audit::kCheckpoints, audit::kAnchorKey, body, {}});
  witness.push_back(std::move(body));
  Logger("audit")->info("retention: entries up to seq {} deleted; the chain starts there",
                        anchor.seq);
  anchor_seq_ = anchor.seq;
  // More may be due: the next commit goes on.
  next_retention_ms_ = now_ms;
}

void AuditTrail::AppendWitness(const std::vector<std::string>& lines) {
  if (options_.witness.empty()) return;
  std::string text;
  for (const auto& l : lines) absl::StrAppend(&text, l, "\n");
  int fd = ::open(options_.witness.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  const bool ok = fd >= 0 &&
                  ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                  ::fsync(fd) == 0;
  if (fd >= 0) ::close(fd);
  if (!ok) {
    // The checkpoint is in the database; only its copy is missing, which verify reports.
    Logger("audit")->error("audit witness {}: cannot append: {}", options_.witness,
                           std::strerror(errno));
  }
}

void AuditTrail::RecordRefusal(const std::string& principal,
                               const std::vector<std::string>& roles, const std::string& method,
                               const std::string& request_id, const absl::Status& status) {
  const int64_t now = clock_.NowMs();
  int64_t coalesced = 0, over_cap = 0;
  {
    std::lock_guard lock(refusals_mu_);
    auto key = std::make_pair(principal, method);
    auto it = windows_.find(key);
    if (it != windows_.end() && now - it->second.start_ms < kMinuteMs) {
      ++it->second.suppressed;
      return;
    }
    if (now - minute_start_ms_ >= kMinuteMs) {
      minute_start_ms_ = now;
      minute_count_ = 0;
    }
    if (minute_count_ >= options_.refusals_per_minute) {
      ++over_cap_;
      return;
    }
    ++minute_count_;
    if (it != windows_.end()) coalesced = it->second.suppressed;
    if (windows_.size() >= kMaxRefusalWindows) {
      std::erase_if(windows_, [&](const auto& w) {
        return now - w.second.start_ms >= kMinuteMs && w.second.suppressed == 0;
      });
      if (windows_.size() >= kMaxRefusalWindows) {
        for (const auto& [k, w] : windows_) over_cap_ += w.suppressed;
        windows_.clear();
      }
    }
    windows_[key] = {now, 0, roles};
    over_cap = std::exchange(over_cap_, 0);
  }
  std::string detail(status.message());
  if (coalesced > 0) absl::StrAppend(&detail, " (and ", coalesced, " more refused before it)");
  if (over_cap > 0) {
    absl::StrAppend(&detail, " (", over_cap, " other refusals over the cap not recorded)");
  }
  engine::Caller caller{principal, roles, "", method};
  engine_.ExecuteDomain(
      "Audit.Refusal", "", std::move(caller),
      [code = std::string(absl::StatusCodeToString(status.code())), detail,
       request_id](engine::Engine::DomainTx& tx) -> absl::StatusOr<json> {
        tx.AuditOutcome(code, detail, request_id);
        return json::object();
      },
      [](absl::StatusOr<json> r) {
        if (!r.ok()) Logger("audit")->error("recording a refusal: {}", r.status().ToString());
      });
}

void AuditTrail::FlushRefusals() {
  const int64_t now = clock_.NowMs();
  struct Flush {
    std::string principal, method;
    std::vector<std::string> roles;
    int64_t count;
  };
  std::vector<Flush> due;
  {
    std::lock_guard lock(refusals_mu_);
    for (auto it = windows_.begin(); it != windows_.end();) {
      if (now - it->second.start_ms < kMinuteMs) {
        ++it;
        continue;
      }
      if (it->second.suppressed > 0) {
        due.push_back({it->first.first, it->first.second, it->second.roles,
                       it->second.suppressed});
      }
      it = windows_.erase(it);
    }
  }
  for (auto& f : due) {
    engine_.ExecuteDomain(
        "Audit.Refusal", "", engine::Caller{f.principal, f.roles, "", f.method},
        [count = f.count](engine::Engine::DomainTx& tx) -> absl::StatusOr<json> {
          tx.AuditOutcome("REFUSED", absl::StrCat(count, " more refusals in the minute after "
                                                         "the last entry"));
          return json::object();
        },
        [](absl::StatusOr<json>) {});
  }
}

void AuditTrail::Start(boost::asio::io_context& io) {
  timer_ = std::make_unique<boost::asio::steady_timer>(io);
  Tick();
}

void AuditTrail::Stop() {
  // The timer is only ever touched by its own handler (the io_context has several threads); a
  // pending wait finds the trail stopped, or is dropped with the io_context.
  *alive_ = false;
}

void AuditTrail::Tick() {
  timer_->expires_after(std::chrono::seconds(60));
  timer_->async_wait([this, alive = alive_](boost::system::error_code ec) {
    if (ec || !*alive) return;
    FlushRefusals();
    const int64_t now = clock_.NowMs();
    if (head_seq_atomic_ > checkpointed_seq_atomic_ &&
        now - checkpointed_ms_atomic_ >= options_.checkpoint_interval_ms) {
      Nudge();
    }
    Tick();
  });
}

void AuditTrail::Nudge() {
  engine_.ExecuteDomain(
      "Audit.Checkpoint", "", engine::Caller{},
      [](engine::Engine::DomainTx&) -> absl::StatusOr<json> { return json::object(); },
      [](absl::StatusOr<json>) {});
}

}  // namespace shequ::auth
