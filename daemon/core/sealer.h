#pragma once

// Encryption of personal data at rest (names, ID numbers, phones of workers and applicants).
//
// Seal() encrypts with AES-256-GCM under a random 96-bit nonce, so a copied database file shows
// no personal data without the key. BlindIndex() is a keyed hash (HMAC-SHA-256 under an index
// key of its own) for finding duplicates — "this ID number is already on the roster" — without
// decrypting every record. The keys live in their own file, created with mode 0600 on first
// start, so backups of the data directory can leave it out.
//
// The file holds a keyring (docs/decisions/0013-personal-data-keys.md): the current key, which
// seals, older keys that still open what they sealed until a re-seal has rewritten it, and the
// index key, which never changes. A file of exactly 32 bytes is the keyring of one key (id 1)
// whose index key is derived from it, as every database sealed before rotation existed.
//
// A Sealer is a handle: copies share one keyring, so a rotation is seen by every module.
// Every OpenSSL call is checked; a failure fails the seal (INTERNAL), never a silent bad text.

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace shequ {

class Sealer {
 public:
  static constexpr size_t kKeyBytes = 32;
  using Key = std::array<uint8_t, kKeyBytes>;
  // Fills `n` bytes at `out`; false when no randomness is to be had (RAND_bytes by default).
  using RandomSource = std::function<bool(uint8_t* out, size_t n)>;

  // Reads the key file; creates it with a fresh random key (mode 0600) when it does not exist.
  // A key file readable by group or others is refused.
  static absl::StatusOr<Sealer> OpenKeyFile(const std::string& path);
  // A keyring of one key (id 1), in memory only.
  static Sealer FromKey(const Key& key);

  // "v1:" + base64(nonce ‖ ciphertext ‖ tag) under key 1, "k<id>:" + the same under key <id>.
  // INTERNAL when no nonce can be drawn or the cipher fails.
  absl::StatusOr<std::string> Seal(const std::string& plaintext) const;
  // DATA_LOSS when the text was not sealed under a key of the ring or was altered.
  absl::StatusOr<std::string> Open(const std::string& sealed) const;
  // Lower-case hex HMAC-SHA-256 of `value` under the index key.
  absl::StatusOr<std::string> BlindIndex(const std::string& value) const;

  // The id of the key a sealed text names (0 when it names none).
  static uint32_t KeyIdOf(const std::string& sealed);
  uint32_t current_key_id() const;
  // Every key id of the ring, ascending.
  std::vector<uint32_t> key_ids() const;

  // Rotation. AddKey makes a fresh random key current and writes the ring to its file (a ring
  // built by FromKey has none: memory only); the older keys keep opening. Retire removes a key
  // that is not current from the ring and its file, keeping a copy of it aside in
  // "<key file>.retired-<id>" (mode 0600) for backups taken before the rotation.
  absl::StatusOr<uint32_t> AddKey();
  absl::Status Retire(uint32_t key_id);

  // Tests: where nonces and new keys come from.
  void SetRandomSource(RandomSource random);

 private:
  struct Ring;
  explicit Sealer(std::shared_ptr<Ring> ring) : ring_(std::move(ring)) {}
  std::shared_ptr<Ring> ring_;
};

}  // namespace shequ
