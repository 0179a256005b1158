#include "daemon/auth/audit_chain.h"

#include <openssl/evp.h>
#include <sodium.h>

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "daemon/core/strings.h"

namespace shequ::auth::audit {

// Declared by the generated source of audit_migrations/ (CMakeLists.txt).
std::vector<store::SqlMigration> Migrations();

namespace {

using engine::json;

// Invalid UTF-8 in a name must not throw on the engine strand: it is replaced, the same way
// every time, so the canonical bytes stay reproducible.
std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

json CanonicalObject(const engine::AuditEntry& e, int64_t seq) {
  return json{{"seq", seq},
              {"at_ms", e.at_ms},
              {"principal", e.principal},
              {"roles", e.roles},
              {"method", e.method},
              {"request_id", e.request_id},
              {"resources", e.resources},
              {"resource_count", e.resource_count},
              {"outcome", e.outcome},
              {"detail", e.detail}};
}

}  // namespace

store::ModuleSchema Schema() {
  return {kModule,
          {{kEntries, {"principal", "method"}}, {kCheckpoints, {}}},
          Migrations()};
}

std::string Hex(const uint8_t* bytes, size_t n) {
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(bytes), n));
}
std::string Hex(const Hash& h) { return Hex(h.data(), h.size()); }

std::optional<Hash> HashFromHex(std::string_view hex) {
  if (hex.size() != 64) return std::nullopt;
  for (char c : hex) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
  }
  const std::string raw = absl::HexStringToBytes(Sv(hex));
  Hash h;
  std::copy(raw.begin(), raw.end(), h.begin());
  return h;
}

std::string SeqKey(int64_t seq) { return absl::StrCat(absl::Dec(seq, absl::kZeroPad12)); }

std::string Canonical(const engine::AuditEntry& e, int64_t seq) {
  return Dump(CanonicalObject(e, seq));
}

Hash ChainHash(const Hash& prev, std::string_view canonical) {
  Hash out{};
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned int len = 0;
  const bool ok = ctx != nullptr && EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1 &&
                  EVP_DigestUpdate(ctx, prev.data(), prev.size()) == 1 &&
                  EVP_DigestUpdate(ctx, canonical.data(), canonical.size()) == 1 &&
                  EVP_DigestFinal_ex(ctx, out.data(), &len) == 1 && len == out.size();
  EVP_MD_CTX_free(ctx);
  // SHA-256 of bytes in memory fails only when OpenSSL cannot allocate: no chain can go on.
  if (!ok) std::abort();
  return out;
}

std::string EntryBody(const engine::AuditEntry& e, int64_t seq, const Hash& hash) {
  json j = CanonicalObject(e, seq);
  j["hash"] = Hex(hash);
  return Dump(j);
}

absl::StatusOr<StoredEntry> ParseEntry(std::string_view body) {
  json j = json::parse(body, nullptr, false);
  if (!j.is_object()) return absl::InvalidArgumentError("not a JSON object");
  StoredEntry out;
  auto hash = j.find("hash");
  if (hash == j.end() || !hash->is_string()) return absl::InvalidArgumentError("no hash");
  out.hash = hash->get<std::string>();
  j.erase("hash");
  out.canonical = Dump(j);
  try {
    out.seq = j.at("seq").get<int64_t>();
    auto& e = out.entry;
    e.at_ms = j.at("at_ms").get<int64_t>();
    e.principal = j.at("principal").get<std::string>();
    e.roles = j.at("roles").get<std::vector<std::string>>();
    e.method = j.at("method").get<std::string>();
    e.request_id = j.at("request_id").get<std::string>();
    e.resources = j.at("resources").get<std::vector<std::string>>();
    e.resource_count = j.at("resource_count").get<int64_t>();
    e.outcome = j.at("outcome").get<std::string>();
    e.detail = j.at("detail").get<std::string>();
  } catch (const json::exception& ex) {
    return absl::InvalidArgumentError(absl::StrCat("malformed: ", ex.what()));
  }
  return out;
}

std::string SignedBytes(const Checkpoint& c) {
  return absl::StrCat("shequ-audit-v1 ", c.kind, " ", c.seq, " ", Hex(c.hash), " ", c.at_ms);
}

std::string CheckpointBody(const Checkpoint& c) {
  return Dump(json{{"kind", c.kind},
                   {"seq", c.seq},
                   {"hash", Hex(c.hash)},
                   {"at_ms", c.at_ms},
                   {"signature", c.signature}});
}

absl::StatusOr<Checkpoint> ParseCheckpoint(std::string_view body) {
  json j = json::parse(body, nullptr, false);
  if (!j.is_object()) return absl::InvalidArgumentError("not a JSON object");
  Checkpoint c;
  try {
    c.kind = j.at("kind").get<std::string>();
    c.seq = j.at("seq").get<int64_t>();
    auto hash = HashFromHex(j.at("hash").get<std::string>());
    if (!hash) return absl::InvalidArgumentError("hash: not 64 hex digits");
    c.hash = *hash;
    c.at_ms = j.at("at_ms").get<int64_t>();
    c.signature = j.at("signature").get<std::string>();
  } catch (const json::exception& ex) {
    return absl::InvalidArgumentError(absl::StrCat("malformed: ", ex.what()));
  }
  if (c.kind != "checkpoint" && c.kind != "anchor") {
    return absl::InvalidArgumentError(absl::StrCat("kind: '", c.kind, "'"));
  }
  return c;
}

absl::Status InitSodium() {
  if (sodium_init() < 0) return absl::InternalError("libsodium cannot be initialised");
  return absl::OkStatus();
}

std::string Sign(const Checkpoint& c, const std::string& secret_key) {
  const std::string msg = SignedBytes(c);
  std::array<uint8_t, kSignatureBytes> sig{};
  crypto_sign_detached(sig.data(), nullptr, reinterpret_cast<const unsigned char*>(msg.data()),
                       msg.size(), reinterpret_cast<const unsigned char*>(secret_key.data()));
  return Hex(sig.data(), sig.size());
}

bool VerifySignature(const Checkpoint& c, const std::string& public_key) {
  if (public_key.size() != kPublicKeyBytes || c.signature.size() != 2 * kSignatureBytes) {
    return false;
  }
  for (char ch : c.signature) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(ch))) return false;
  }
  const std::string sig = absl::HexStringToBytes(c.signature);
  const std::string msg = SignedBytes(c);
  return crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(sig.data()),
                                     reinterpret_cast<const unsigned char*>(msg.data()),
                                     msg.size(),
                                     reinterpret_cast<const unsigned char*>(public_key.data())) ==
         0;
}

absl::StatusOr<std::string> ReadPublicKeyFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("public key ", path, ": cannot be read"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  absl::string_view hex = absl::StripAsciiWhitespace(text);
  bool is_hex = hex.size() == 2 * kPublicKeyBytes;
  for (char c : hex) is_hex = is_hex && absl::ascii_isxdigit(static_cast<unsigned char>(c));
  if (!is_hex) {
    return absl::InvalidArgumentError(
        absl::StrCat("public key ", path, ": expected ", 2 * kPublicKeyBytes, " hex digits"));
  }
  return absl::HexStringToBytes(hex);
}

}  // namespace shequ::auth::audit
