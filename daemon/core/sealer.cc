#include "daemon/core/sealer.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <shared_mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace shequ {
namespace {

constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;
constexpr char kPrefix[] = "v1:";  // key 1, as sealed before keyrings
constexpr char kRingHeader[] = "shequ-keyring 1";

using Key = Sealer::Key;
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

absl::Status CryptoError(absl::string_view what) {
  return absl::InternalError(absl::StrCat("personal data: ", what, " failed"));
}

absl::StatusOr<Key> Hmac(const Key& key, const std::string& data) {
  Key out{};
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(),
           &len) == nullptr ||
      len != out.size()) {
    return CryptoError("HMAC-SHA-256");
  }
  return out;
}

// A cipher context with the key schedule already done, one per thread and direction: setting
// up AES-GCM with a key costs more than sealing a short text, so only the nonce changes per call.
// Null when the context cannot be made.
EVP_CIPHER_CTX* KeyedContext(const Key& key, bool encrypt) {
  struct Keyed {
    CipherCtx ctx{nullptr, EVP_CIPHER_CTX_free};
    Key key{};
    bool ready = false;
  };
  thread_local Keyed contexts[2];
  Keyed& k = contexts[encrypt ? 1 : 0];
  if (!k.ctx) k.ctx.reset(EVP_CIPHER_CTX_new());
  if (!k.ctx) return nullptr;
  if (!k.ready || k.key != key) {
    k.ready = false;
    if (EVP_CipherInit_ex(k.ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), nullptr,
                          encrypt ? 1 : 0) != 1) {
      return nullptr;
    }
    k.key = key;
    k.ready = true;
  }
  return k.ctx.get();
}

absl::Status Errno(absl::string_view what, const std::string& path) {
  return absl::FailedPreconditionError(
      absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

std::string Hex(const Key& key) {
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(key.data()), key.size()));
}

bool FromHex(absl::string_view hex, Key* key) {
  if (hex.size() != 2 * Sealer::kKeyBytes) return false;
  for (char c : hex) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  const std::string bytes = absl::HexStringToBytes(hex);
  std::memcpy(key->data(), bytes.data(), key->size());
  return true;
}

// Writes `data` to `path` with mode 0600 so that a crash leaves the old file or the new one.
absl::Status WriteAtomically(const std::string& path, const std::string& data) {
  const std::string tmp = path + ".tmp";
  int out = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (out < 0) return Errno("cannot create key file", tmp);
  const bool written = ::write(out, data.data(), data.size()) ==
                           static_cast<ssize_t>(data.size()) &&
                       ::fchmod(out, 0600) == 0 && ::fsync(out) == 0;
  ::close(out);
  if (!written) return Errno("cannot write key file", tmp);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return Errno("cannot replace key file", path);
  const std::string dir = std::filesystem::path(path).parent_path().string();
  int d = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (d >= 0) {
    ::fsync(d);
    ::close(d);
  }
  return absl::OkStatus();
}

bool SystemRandom(uint8_t* out, size_t n) {
  return RAND_bytes(out, static_cast<int>(n)) == 1;
}

}  // namespace

struct Sealer::Ring {
  mutable std::shared_mutex mu;
  std::map<uint32_t, Key> keys;
  uint32_t current = 1;
  Key index_key{};
  std::string path;  // "" for a ring in memory only
  RandomSource random = SystemRandom;

  // The text of a keyring file (a daemon that never rotated keeps its file of one raw key).
  std::string FileText() const {
    std::string text = absl::StrCat(kRingHeader, "\nindex ", Hex(index_key), "\ncurrent ",
                                    current, "\n");
    for (const auto& [id, key] : keys) absl::StrAppend(&text, "key ", id, " ", Hex(key), "\n");
    return text;
  }
};

namespace {

absl::StatusOr<Key> DeriveIndexKey(const Key& key) {
  // Separate keys for encryption and the blind index: neither use can leak the other's key.
  return Hmac(key, "shequ blind index v1");
}

absl::Status ParseRing(const std::string& path, const std::string& text, Sealer::Key* index,
                       std::map<uint32_t, Sealer::Key>* keys, uint32_t* current) {
  auto bad = [&](absl::string_view why) {
    return absl::DataLossError(absl::StrCat("key file ", path, ": ", why));
  };
  std::vector<std::string> lines = absl::StrSplit(text, '\n', absl::SkipEmpty());
  if (lines.empty() || lines[0] != kRingHeader) {
    return bad(absl::StrCat("must hold exactly ", Sealer::kKeyBytes, " bytes or a keyring"));
  }
  bool has_index = false;
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string> f = absl::StrSplit(lines[i], ' ');
    uint32_t id = 0;
    Sealer::Key key{};
    if (f.size() == 2 && f[0] == "index" && FromHex(f[1], index)) {
      has_index = true;
    } else if (f.size() == 2 && f[0] == "current" && absl::SimpleAtoi(f[1], current)) {
    } else if (f.size() == 3 && f[0] == "key" && absl::SimpleAtoi(f[1], &id) && id > 0 &&
               FromHex(f[2], &key)) {
      (*keys)[id] = key;
    } else {
      return bad(absl::StrCat("line ", i + 1, " is not 'index HEX', 'current ID' or 'key ID HEX'"));
    }
  }
  if (!has_index || !keys->count(*current)) return bad("no index key or no current key");
  return absl::OkStatus();
}

}  // namespace

Sealer Sealer::FromKey(const Key& key) {
  auto ring = std::make_shared<Ring>();
  ring->keys[1] = key;
  // HMAC-SHA-256 of a constant under a 32-byte key fails only when OpenSSL itself is broken;
  // then nothing can be sealed either, and every seal reports it.
  ring->index_key = DeriveIndexKey(key).value_or(Key{});
  return Sealer(std::move(ring));
}

absl::StatusOr<Sealer> Sealer::OpenKeyFile(const std::string& path) {
  Key key{};
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) {
    if (!SystemRandom(key.data(), key.size())) {
      return absl::InternalError("no randomness for a new personal-data key");
    }
    // O_EXCL: two daemons starting at once must not each write their own key.
    int out = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (out < 0) return Errno("cannot create key file", path);
    const bool written = ::write(out, key.data(), key.size()) == static_cast<ssize_t>(key.size()) &&
                         ::fsync(out) == 0;
    ::close(out);
    if (!written) return Errno("cannot write key file", path);
    Sealer s = FromKey(key);
    s.ring_->path = path;
    return s;
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
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0 && text.size() < (1 << 20);) {
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  if (text.size() == kKeyBytes) {
    std::memcpy(key.data(), text.data(), kKeyBytes);
    Sealer s = FromKey(key);
    s.ring_->path = path;
    return s;
  }
  auto ring = std::make_shared<Ring>();
  if (auto st = ParseRing(path, text, &ring->index_key, &ring->keys, &ring->current); !st.ok()) {
    return st;
  }
  ring->path = path;
  return Sealer(std::move(ring));
}

absl::StatusOr<std::string> Sealer::Seal(const std::string& plaintext) const {
  uint32_t id;
  Key key;
  RandomSource random;
  {
    std::shared_lock lock(ring_->mu);
    id = ring_->current;
    key = ring_->keys.at(id);
    random = ring_->random;
  }
  std::string raw(kNonceBytes + plaintext.size() + kTagBytes, '\0');
  auto* bytes = reinterpret_cast<unsigned char*>(raw.data());
  if (!random(bytes, kNonceBytes)) return CryptoError("drawing a random nonce");
  EVP_CIPHER_CTX* ctx = KeyedContext(key, true);
  if (!ctx) return CryptoError("setting up AES-256-GCM");
  int len = 0, final_len = 0;
  if (EVP_EncryptInit_ex(ctx, nullptr, nullptr, nullptr, bytes) != 1) {
    return CryptoError("setting the nonce");
  }
  if (EVP_EncryptUpdate(ctx, bytes + kNonceBytes, &len,
                        reinterpret_cast<const unsigned char*>(plaintext.data()),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx, bytes + kNonceBytes + len, &final_len) != 1 ||
      static_cast<size_t>(len + final_len) != plaintext.size()) {
    return CryptoError("AES-256-GCM encryption");
  }
  if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, kTagBytes,
                          bytes + kNonceBytes + plaintext.size()) != 1) {
    return CryptoError("reading the GCM tag");
  }
  return absl::StrCat(id == 1 ? std::string(kPrefix) : absl::StrCat("k", id, ":"),
                      absl::Base64Escape(raw));
}

uint32_t Sealer::KeyIdOf(const std::string& sealed) {
  if (absl::StartsWith(sealed, kPrefix)) return 1;
  uint32_t id = 0;
  const size_t colon = sealed.find(':');
  if (sealed.empty() || sealed[0] != 'k' || colon == std::string::npos ||
      !absl::SimpleAtoi(absl::string_view(sealed).substr(1, colon - 1), &id)) {
    return 0;
  }
  return id;
}

absl::StatusOr<std::string> Sealer::Open(const std::string& sealed) const {
  const uint32_t id = KeyIdOf(sealed);
  std::string raw;
  if (id == 0 ||
      !absl::Base64Unescape(absl::string_view(sealed).substr(sealed.find(':') + 1), &raw) ||
      raw.size() < kNonceBytes + kTagBytes) {
    return absl::DataLossError("sealed personal data is malformed");
  }
  Key key;
  {
    std::shared_lock lock(ring_->mu);
    auto it = ring_->keys.find(id);
    if (it == ring_->keys.end()) {
      return absl::DataLossError(absl::StrCat(
          "sealed personal data names key ", id, ", which the key file does not hold (wrong "
          "key file, or a key retired before its re-seal finished)"));
    }
    key = it->second;
  }
  const size_t n = raw.size() - kNonceBytes - kTagBytes;
  auto* bytes = reinterpret_cast<unsigned char*>(raw.data());
  std::string plain(n, '\0');
  EVP_CIPHER_CTX* ctx = KeyedContext(key, false);
  if (!ctx) return CryptoError("setting up AES-256-GCM");
  int len = 0;
  if (EVP_DecryptInit_ex(ctx, nullptr, nullptr, nullptr, bytes) != 1 ||
      EVP_DecryptUpdate(ctx, reinterpret_cast<unsigned char*>(plain.data()), &len,
                        bytes + kNonceBytes, static_cast<int>(n)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, kTagBytes, bytes + kNonceBytes + n) != 1) {
    return CryptoError("AES-256-GCM decryption");
  }
  if (EVP_DecryptFinal_ex(ctx, reinterpret_cast<unsigned char*>(plain.data()) + len, &len) !=
      1) {
    return absl::DataLossError(
        "sealed personal data does not open with this key (wrong key file, or altered data)");
  }
  return plain;
}

absl::StatusOr<std::string> Sealer::BlindIndex(const std::string& value) const {
  Key index;
  {
    std::shared_lock lock(ring_->mu);
    index = ring_->index_key;
  }
  auto mac = Hmac(index, value);
  if (!mac.ok()) return mac.status();
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(mac->data()), mac->size()));
}

uint32_t Sealer::current_key_id() const {
  std::shared_lock lock(ring_->mu);
  return ring_->current;
}

std::vector<uint32_t> Sealer::key_ids() const {
  std::shared_lock lock(ring_->mu);
  std::vector<uint32_t> ids;
  for (const auto& [id, key] : ring_->keys) ids.push_back(id);
  return ids;
}

absl::StatusOr<uint32_t> Sealer::AddKey() {
  std::unique_lock lock(ring_->mu);
  Key key{};
  if (!ring_->random(key.data(), key.size())) {
    return CryptoError("drawing a new personal-data key");
  }
  const uint32_t id = ring_->keys.rbegin()->first + 1;
  Ring next;  // written first: the ring changes only once the file holds the new key
  next.keys = ring_->keys;
  next.keys[id] = key;
  next.current = id;
  next.index_key = ring_->index_key;
  if (!ring_->path.empty()) {
    if (auto s = WriteAtomically(ring_->path, next.FileText()); !s.ok()) return s;
  }
  ring_->keys = std::move(next.keys);
  ring_->current = id;
  return id;
}

absl::Status Sealer::Retire(uint32_t key_id) {
  std::unique_lock lock(ring_->mu);
  auto it = ring_->keys.find(key_id);
  if (it == ring_->keys.end()) return absl::OkStatus();  // retired already
  if (key_id == ring_->current) {
    return absl::FailedPreconditionError(
        absl::StrCat("key ", key_id, " is the current key; rotate first"));
  }
  Ring next;
  next.keys = ring_->keys;
  next.keys.erase(key_id);
  next.current = ring_->current;
  next.index_key = ring_->index_key;
  if (!ring_->path.empty()) {
    Ring retired;
    retired.keys[key_id] = it->second;
    retired.current = key_id;
    retired.index_key = ring_->index_key;
    if (auto s = WriteAtomically(absl::StrCat(ring_->path, ".retired-", key_id),
                                 retired.FileText());
        !s.ok()) {
      return s;
    }
    if (auto s = WriteAtomically(ring_->path, next.FileText()); !s.ok()) return s;
  }
  ring_->keys = std::move(next.keys);
  return absl::OkStatus();
}

void Sealer::SetRandomSource(RandomSource random) {
  std::unique_lock lock(ring_->mu);
  ring_->random = random ? std::move(random) : SystemRandom;
}

}  // namespace shequ
