#pragma once

// The audit trail's format, shared by the daemon that writes it (audit_trail.h) and the offline
// check that reads it (audit_verify.h). docs/decisions/0012-audit-trail.md.
//
// Entry n is a JSON object (keys sorted, no spaces: the canonical bytes) of seq, at_ms,
// principal, roles, method, request_id, resources, resource_count, outcome and detail; it is
// stored with one more key, "hash" = hex SHA-256(hash_{n-1} || canonical bytes of entry n), the
// hash before entry 1 being 32 zero bytes. A checkpoint signs (kind, seq, hash, at_ms) with
// Ed25519; kind "checkpoint" vouches for the chain up to seq, kind "anchor" says that the
// chain starts after seq (retention deleted what came before).

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "daemon/engine/engine.h"
#include "daemon/store/records.h"

namespace shequ::auth::audit {

inline constexpr char kModule[] = "audit";
inline constexpr char kEntries[] = "audit_entries";          // principal, method
inline constexpr char kCheckpoints[] = "audit_checkpoints";  // by seq; and "anchor"
inline constexpr char kAnchorKey[] = "anchor";

// The tables, for Store::AttachModule.
store::ModuleSchema Schema();

using Hash = std::array<uint8_t, 32>;
inline constexpr Hash kGenesis{};

std::string Hex(const uint8_t* bytes, size_t n);
std::string Hex(const Hash& h);
std::optional<Hash> HashFromHex(std::string_view hex);
// `seq` in 12 digits, the tables' key.
std::string SeqKey(int64_t seq);

// The entry's canonical bytes (without its hash).
std::string Canonical(const engine::AuditEntry& e, int64_t seq);
// SHA-256(prev || canonical).
Hash ChainHash(const Hash& prev, std::string_view canonical);
// The stored body: the canonical object plus "hash".
std::string EntryBody(const engine::AuditEntry& e, int64_t seq, const Hash& hash);
// An entry read back from its body; INVALID_ARGUMENT naming what is wrong.
struct StoredEntry {
  int64_t seq = 0;
  engine::AuditEntry entry;
  std::string canonical;  // recomputed from the body without "hash"
  std::string hash;       // as stored, hex
};
absl::StatusOr<StoredEntry> ParseEntry(std::string_view body);

struct Checkpoint {
  std::string kind = "checkpoint";  // or "anchor"
  int64_t seq = 0;
  Hash hash{};
  int64_t at_ms = 0;
  std::string signature;  // hex, 64 bytes
};
// The bytes a checkpoint's signature covers.
std::string SignedBytes(const Checkpoint& c);
// One line of JSON, as stored in the table and the witness file.
std::string CheckpointBody(const Checkpoint& c);
absl::StatusOr<Checkpoint> ParseCheckpoint(std::string_view body);

// Ed25519 (libsodium). The secret key holds its public key (64 bytes); keys are raw bytes.
inline constexpr size_t kPublicKeyBytes = 32;
inline constexpr size_t kSecretKeyBytes = 64;
inline constexpr size_t kSignatureBytes = 64;
// sodium_init, once; an error when libsodium cannot start.
absl::Status InitSodium();
std::string Sign(const Checkpoint& c, const std::string& secret_key);  // hex signature
bool VerifySignature(const Checkpoint& c, const std::string& public_key);
// A public key file: the key in hex on one line (audit-signing.pub).
absl::StatusOr<std::string> ReadPublicKeyFile(const std::string& path);

}  // namespace shequ::auth::audit
