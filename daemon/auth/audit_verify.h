#pragma once

// Checks an audit trail where it is stored: a database file (the live one or a backup copy),
// without the daemon. docs/security.md "Audit trail".

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace shequ::auth {

struct AuditVerifyOptions {
  std::string db;          // the SQLite file
  std::string witness;     // the checkpoints' copy outside it; "" = not compared
  std::string public_key;  // raw Ed25519 public key (32 bytes); "" = signatures not checked
};

struct AuditVerifyResult {
  bool ok = true;
  int64_t entries = 0;
  int64_t checkpoints = 0;     // signed checkpoints checked (database and witness)
  int64_t first_seq = 0;       // 0 when there are no entries
  int64_t last_seq = 0;
  bool signatures_checked = false;
  std::string problem;         // the first broken link, named; "" when ok
};

// Recomputes the chain from its start (entry 1, or the signed anchor retention left), checks
// every checkpoint's signature and that it matches the chain at its seq, and compares the
// witness's checkpoints with the database (a truncated tail is named as such). An error: the
// file cannot be read as a shequd database.
absl::StatusOr<AuditVerifyResult> VerifyAuditTrail(const AuditVerifyOptions& options);

}  // namespace shequ::auth
