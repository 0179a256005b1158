#include "daemon/auth/tls.h"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace shequ::auth {
namespace {

absl::StatusOr<std::string> ReadPem(const std::string& path, const char* field) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(field, ": cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  if (text.str().find("-----BEGIN ") == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": ", path, " holds no PEM"));
  }
  return text.str();
}

}  // namespace

absl::StatusOr<TlsFiles> LoadTls(const TlsConfig& tls) {
  TlsFiles f;
  auto cert = ReadPem(tls.cert, "tls.cert");
  if (!cert.ok()) return cert.status();
  auto key = ReadPem(tls.key, "tls.key");
  if (!key.ok()) return key.status();
  f.cert_pem = *std::move(cert);
  f.key_pem = *std::move(key);
  if (!tls.client_ca.empty()) {
    auto ca = ReadPem(tls.client_ca, "tls.client_ca");
    if (!ca.ok()) return ca.status();
    f.client_ca_pem = *std::move(ca);
  }
  // Checked here, so that a wrong pair is a clear error at start rather than failed handshakes.
  BIO* cb = BIO_new_mem_buf(f.cert_pem.data(), static_cast<int>(f.cert_pem.size()));
  BIO* kb = BIO_new_mem_buf(f.key_pem.data(), static_cast<int>(f.key_pem.size()));
  X509* x = cb ? PEM_read_bio_X509(cb, nullptr, nullptr, nullptr) : nullptr;
  EVP_PKEY* k = kb ? PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr) : nullptr;
  absl::Status s;
  if (!x) {
    s = absl::InvalidArgumentError(absl::StrCat("tls.cert: ", tls.cert, ": not a certificate"));
  } else if (!k) {
    s = absl::InvalidArgumentError(absl::StrCat("tls.key: ", tls.key, ": not a private key"));
  } else if (X509_check_private_key(x, k) != 1) {
    s = absl::InvalidArgumentError(
        absl::StrCat("tls.key: ", tls.key, " is not the key of ", tls.cert));
  }
  X509_free(x);
  EVP_PKEY_free(k);
  BIO_free(cb);
  BIO_free(kb);
  if (!s.ok()) return s;
  return f;
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> GrpcServerCredentials(
    const TlsConfig& tls) {
  if (tls.cert.empty()) return grpc::InsecureServerCredentials();
  auto files = LoadTls(tls);
  if (!files.ok()) return files.status();
  grpc::SslServerCredentialsOptions options(
      files->client_ca_pem.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                                   : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_root_certs = files->client_ca_pem;
  options.pem_key_cert_pairs.push_back({files->key_pem, files->cert_pem});
  return grpc::SslServerCredentials(options);
}

}  // namespace shequ::auth
