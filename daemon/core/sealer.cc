#include "daemon/core/sealer.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace shequ {
namespace {

constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;
constexpr char kPrefix[] = "v1:";

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

std::array<uint8_t, Sealer::kKeyBytes> Hmac(const std::array<uint8_t, Sealer::kKeyBytes>& key,
                                            const std::string& data) {
  std::array<uint8_t, Sealer::kKeyBytes> out{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &len);
  return out;
}

// A cipher context with the key schedule already done, one per thread and direction: setting
// up AES-GCM with a key costs more than sealing a short text, so only the nonce changes per call.
EVP_CIPHER_CTX* KeyedContext(const std::array<uint8_t, Sealer::kKeyBytes>& key, bool encrypt) {
  struct Keyed {
    CipherCtx ctx{EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free};
    std::array<uint8_t, Sealer::kKeyBytes> key{};
    bool ready = false;
  };
  thread_local Keyed contexts[2];
  Keyed& k = contexts[encrypt ? 1 : 0];
  if (!k.ready || k.key != key) {
    EVP_CipherInit_ex(k.ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), nullptr,
                      encrypt ? 1 : 0);
    k.key = key;
    k.ready = true;
  }
  return k.ctx.get();
}

absl::Status Errno(absl::string_view what, const std::string& path) {
  return absl::FailedPreconditionError(
      absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

}  // namespace

Sealer Sealer::FromKey(const std::array<uint8_t, kKeyBytes>& key) {
  Sealer s;
  s.key_ = key;
  // Separate keys for encryption and the blind index: neither use can leak the other's key.
  s.index_key_ = Hmac(key, "shequ blind index v1");
  return s;
}

absl::StatusOr<Sealer> Sealer::OpenKeyFile(const std::string& path) {
  std::array<uint8_t, kKeyBytes> key{};
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) {
    if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) {
      return absl::InternalError("no randomness for a new personal-data key");
    }
    // O_EXCL: two daemons starting at once must not each write their own key.
    int out = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (out < 0) return Errno("cannot create key file", path);
    const bool written = ::write(out, key.data(), key.size()) == static_cast<ssize_t>(key.size()) &&
                         ::fsync(out) == 0;
    ::close(out);
    if (!written) return Errno("cannot write key file", path);
    return FromKey(key);
  }
  if (fd < 0) return Errno("cannot open key file", path);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return Errno("cannot stat key file", path);
  }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    ::close(fd);
    return absl::FailedPreconditionError(absl::StrCat(
        "key file ", path, " is readable by others; run: chmod 600 ", path));
  }
  const ssize_t n = ::read(fd, key.data(), key.size());
  char extra;
  const ssize_t more = ::read(fd, &extra, 1);
  ::close(fd);
  if (n != static_cast<ssize_t>(key.size()) || more != 0) {
    return absl::DataLossError(
        absl::StrCat("key file ", path, " must hold exactly ", kKeyBytes, " bytes"));
  }
  return FromKey(key);
}

std::string Sealer::Seal(const std::string& plaintext) const {
  std::string raw(kNonceBytes + plaintext.size() + kTagBytes, '\0');
  auto* bytes = reinterpret_cast<unsigned char*>(raw.data());
  RAND_bytes(bytes, kNonceBytes);
  EVP_CIPHER_CTX* ctx = KeyedContext(key_, true);
  int len = 0;
  EVP_EncryptInit_ex(ctx, nullptr, nullptr, nullptr, bytes);
  EVP_EncryptUpdate(ctx, bytes + kNonceBytes, &len,
                    reinterpret_cast<const unsigned char*>(plaintext.data()),
                    static_cast<int>(plaintext.size()));
  EVP_EncryptFinal_ex(ctx, bytes + kNonceBytes + len, &len);
  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, kTagBytes, bytes + kNonceBytes + plaintext.size());
  return absl::StrCat(kPrefix, absl::Base64Escape(raw));
}

absl::StatusOr<std::string> Sealer::Open(const std::string& sealed) const {
  std::string raw;
  if (!absl::StartsWith(sealed, kPrefix) ||
      !absl::Base64Unescape(absl::string_view(sealed).substr(sizeof kPrefix - 1), &raw) ||
      raw.size() < kNonceBytes + kTagBytes) {
    return absl::DataLossError("sealed personal data is malformed");
  }
  const size_t n = raw.size() - kNonceBytes - kTagBytes;
  auto* bytes = reinterpret_cast<unsigned char*>(raw.data());
  std::string plain(n, '\0');
  EVP_CIPHER_CTX* ctx = KeyedContext(key_, false);
  int len = 0;
  EVP_DecryptInit_ex(ctx, nullptr, nullptr, nullptr, bytes);
  EVP_DecryptUpdate(ctx, reinterpret_cast<unsigned char*>(plain.data()), &len,
                    bytes + kNonceBytes, static_cast<int>(n));
  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, kTagBytes, bytes + kNonceBytes + n);
  if (EVP_DecryptFinal_ex(ctx, reinterpret_cast<unsigned char*>(plain.data()) + len, &len) !=
      1) {
    return absl::DataLossError(
        "sealed personal data does not open with this key (wrong key file, or altered data)");
  }
  return plain;
}

std::string Sealer::BlindIndex(const std::string& value) const {
  const auto mac = Hmac(index_key_, value);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(mac.data()), mac.size()));
}

}  // namespace shequ
