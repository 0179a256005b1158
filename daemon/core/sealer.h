#pragma once

// Encryption of personal data at rest (names, ID numbers, phones of workers and applicants).
//
// Seal() encrypts with AES-256-GCM under a random 96-bit nonce, so a copied database file shows
// no personal data without the key. BlindIndex() is a keyed hash (HMAC-SHA-256 under a key
// derived from the same secret) for finding duplicates — "this ID number is already on the
// roster" — without decrypting every record. The key lives in its own file, created with mode
// 0600 on first start, so backups of the data directory can leave it out.

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace shequ {

class Sealer {
 public:
  static constexpr size_t kKeyBytes = 32;

  // Reads the key file; creates it with a fresh random key (mode 0600) when it does not exist.
  // A key file readable by group or others is refused.
  static absl::StatusOr<Sealer> OpenKeyFile(const std::string& path);
  static Sealer FromKey(const std::array<uint8_t, kKeyBytes>& key);

  // "v1:" + base64(nonce ‖ ciphertext ‖ tag).
  std::string Seal(const std::string& plaintext) const;
  // DATA_LOSS when the text was not sealed under this key or was altered.
  absl::StatusOr<std::string> Open(const std::string& sealed) const;
  // Lower-case hex HMAC-SHA-256 of `value`.
  std::string BlindIndex(const std::string& value) const;

 private:
  std::array<uint8_t, kKeyBytes> key_{};
  std::array<uint8_t, kKeyBytes> index_key_{};
};

}  // namespace shequ
