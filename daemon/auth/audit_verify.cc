#include "daemon/auth/audit_verify.h"

#include <sqlite3.h>

#include <fstream>
#include <map>
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "daemon/auth/audit_chain.h"
#include "daemon/core/status.h"

namespace shequ::auth {
namespace {

using audit::Checkpoint;
using audit::Hash;

using Db = std::unique_ptr<sqlite3, decltype(&sqlite3_close)>;
using Stmt = std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)>;

absl::Status SqlError(sqlite3* db, const std::string& what) {
  return absl::FailedPreconditionError(absl::StrCat(what, ": ", sqlite3_errmsg(db)));
}

std::string Column(sqlite3_stmt* s, int i) {
  const auto* text = sqlite3_column_text(s, i);
  return text ? std::string(reinterpret_cast<const char*>(text), sqlite3_column_bytes(s, i)) : "";
}

}  // namespace

absl::StatusOr<AuditVerifyResult> VerifyAuditTrail(const AuditVerifyOptions& options) {
  RETURN_IF_ERROR(audit::InitSodium());
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(options.db.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  Db db(raw, sqlite3_close);
  if (rc != SQLITE_OK) return SqlError(raw, absl::StrCat("cannot open ", options.db));
  auto prepare = [&](const char* sql) -> absl::StatusOr<Stmt> {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db.get(), sql, -1, &s, nullptr) != SQLITE_OK) {
      return SqlError(db.get(), absl::StrCat(options.db, " has no audit trail"));
    }
    return Stmt(s, sqlite3_finalize);
  };

  AuditVerifyResult result;
  result.signatures_checked = !options.public_key.empty();
  auto fail = [&](std::string problem) {
    if (result.ok) {
      result.ok = false;
      result.problem = std::move(problem);
    }
  };
  auto check_signature = [&](const Checkpoint& c, const std::string& where) {
    ++result.checkpoints;
    if (result.signatures_checked && !audit::VerifySignature(c, options.public_key)) {
      fail(absl::StrCat(where, " ", c.kind, " at seq ", c.seq,
                        ": signature does not verify (forged or edited)"));
    }
  };

  // The checkpoints: by seq, and the anchor.
  std::map<int64_t, Checkpoint> checkpoints;
  std::optional<Checkpoint> anchor;
  {
    auto s = prepare("SELECT key, body FROM audit_checkpoints ORDER BY key");
    if (!s.ok()) return s.status();
    int step;
    while ((step = sqlite3_step(s->get())) == SQLITE_ROW) {
      const std::string key = Column(s->get(), 0);
      auto c = audit::ParseCheckpoint(Column(s->get(), 1));
      if (!c.ok()) {
        fail(absl::StrCat("checkpoint ", key, ": ", c.status().message(), " (edited)"));
        continue;
      }
      if (key == audit::kAnchorKey) {
        if (c->kind != "anchor") fail("the anchor is not signed as one (edited)");
        anchor = *c;
      } else {
        if (key != audit::SeqKey(c->seq) || c->kind != "checkpoint") {
          fail(absl::StrCat("checkpoint ", key, ": its body says seq ", c->seq, " (edited)"));
        }
        checkpoints[c->seq] = *c;
      }
      check_signature(*c, "database");
    }
    if (step != SQLITE_DONE) return SqlError(db.get(), "reading audit_checkpoints");
  }

  // The witness: every checkpoint and anchor ever signed, as written after each commit.
  std::vector<Checkpoint> witness;
  if (!options.witness.empty()) {
    std::ifstream in(options.witness);
    if (!in) return absl::NotFoundError(absl::StrCat("witness ", options.witness, ": cannot be read"));
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
      ++n;
      if (line.empty()) continue;
      auto c = audit::ParseCheckpoint(line);
      if (!c.ok()) {
        fail(absl::StrCat("witness line ", n, ": ", c.status().message()));
        continue;
      }
      check_signature(*c, absl::StrCat("witness line ", n, ":"));
      witness.push_back(*c);
    }
  }
  // The chain's hash at each seq a checkpoint (database or witness) names.
  std::map<int64_t, Hash> wanted;
  for (const auto& [seq, c] : checkpoints) wanted[seq];
  for (const auto& c : witness) wanted[c.seq];

  const int64_t start = anchor ? anchor->seq : 0;
  Hash prev = anchor ? anchor->hash : audit::kGenesis;
  if (anchor) wanted[start] = prev;
  int64_t expected = start + 1;
  {
    auto s = prepare("SELECT key, body FROM audit_entries ORDER BY key");
    if (!s.ok()) return s.status();
    int step;
    while ((step = sqlite3_step(s->get())) == SQLITE_ROW) {
      const std::string key = Column(s->get(), 0);
      auto e = audit::ParseEntry(Column(s->get(), 1));
      if (!e.ok()) {
        fail(absl::StrCat("entry ", key, ": ", e.status().message(), " (edited)"));
        break;
      }
      const int64_t seq = e->seq;
      if (key != audit::SeqKey(seq)) {
        fail(absl::StrCat("entry ", key, ": its body says seq ", seq, " (edited)"));
        break;
      }
      if (seq < expected) {
        fail(absl::StrCat("entry ", seq, ": before the chain's start at seq ", expected,
                          anchor ? " (the anchor was moved)" : ""));
        break;
      }
      if (seq > expected) {
        fail(seq == expected + 1
                 ? absl::StrCat("entry ", expected, " missing (seq jumps from ", expected - 1,
                                " to ", seq, ")")
                 : absl::StrCat("entries ", expected, " to ", seq - 1, " missing (seq jumps from ",
                                expected - 1, " to ", seq, ")"));
        break;
      }
      const Hash h = audit::ChainHash(prev, e->canonical);
      if (audit::Hex(h) != e->hash) {
        fail(absl::StrCat("entry ", seq, ": hash does not match (edited",
                          seq > start + 1 ? ", or an entry before it was" : "", ")"));
        break;
      }
      if (auto it = wanted.find(seq); it != wanted.end()) it->second = h;
      if (result.entries == 0) result.first_seq = seq;
      result.last_seq = seq;
      ++result.entries;
      prev = h;
      expected = seq + 1;
    }
    if (result.ok && step != SQLITE_DONE) return SqlError(db.get(), "reading audit_entries");
  }
  if (!result.ok) return result;
  const int64_t last = expected - 1;  // the chain's head (the anchor's seq when it is empty)

  auto compare = [&](const Checkpoint& c, const std::string& where) {
    if (c.seq > last) {
      fail(absl::StrCat("truncated: the database ends at seq ", last, " but ", where, " ", c.kind,
                        " seq ", c.seq, " is signed"));
      return;
    }
    if (c.seq < start) return;  // before retention's anchor
    if (c.hash != wanted[c.seq]) {
      fail(absl::StrCat(where, " ", c.kind, " seq ", c.seq,
                        ": the chain's hash there differs (an entry up to seq ", c.seq,
                        " was edited)"));
    }
  };
  for (const auto& [seq, c] : checkpoints) compare(c, "database");
  for (const auto& c : witness) {
    compare(c, "witness");
    if (c.kind == "checkpoint" && c.seq > start && c.seq <= last && !checkpoints.count(c.seq)) {
      fail(absl::StrCat("checkpoint seq ", c.seq, " is in the witness but not in the database"));
    }
  }
  if (anchor && !options.witness.empty()) {
    bool witnessed = false;
    for (const auto& c : witness) {
      witnessed = witnessed || (c.kind == "anchor" && c.seq == anchor->seq && c.hash == anchor->hash);
    }
    if (!witnessed) {
      fail(absl::StrCat("the chain starts after seq ", anchor->seq,
                        " but the witness has no such anchor (entries deleted from the start)"));
    }
  }
  return result;
}

}  // namespace shequ::auth
