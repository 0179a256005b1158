// TLS and client certificates on the gRPC and HTTP ports, with a CA, a server certificate and
// client certificates made by the openssl command for each run: the right CA's client
// certificate proves the principal its CN names; a certificate from another CA fails the
// handshake.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/ssl.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "boost/beast/ssl.hpp"
#include "shequ/v1/principals.grpc.pb.h"
#include "tests/integration/client.h"
#include "tests/integration/daemon_process.h"

namespace shequ::testing {
namespace {

class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pki_ = new std::string(MakeTempDir("shequ-pki"));
    const std::string d = *pki_;
    std::ofstream(d + "/server.ext") << "subjectAltName=DNS:localhost,IP:127.0.0.1\n";
    std::ofstream(d + "/client.ext") << "extendedKeyUsage=clientAuth\n";
    const std::string script =
        "set -e; cd " + d + "\n"
        "ca() { openssl req -x509 -newkey rsa:2048 -nodes -keyout $1.key -out $1.pem -days 2 "
        "  -subj /CN=$1 2>/dev/null; }\n"
        "cert() { openssl req -newkey rsa:2048 -nodes -keyout $1.key -out $1.csr "
        "  -subj \"/CN=$2\" 2>/dev/null; openssl x509 -req -in $1.csr -CA $3.pem -CAkey $3.key "
        "  -CAcreateserial -out $1.pem -days 2 -extfile $4 2>/dev/null; }\n"
        "ca district-ca; ca other-ca\n"
        "cert server localhost district-ca server.ext\n"
        "cert civil 'system:civil-affairs' district-ca client.ext\n"
        "cert stranger 'system:stranger' district-ca client.ext\n"
        "cert forged 'system:civil-affairs' other-ca client.ext\n";
    ASSERT_EQ(std::system(("bash -c '" + Escape(script) + "'").c_str()), 0);
  }
  static std::string Escape(const std::string& s) {
    std::string out;
    for (char c : s) {
      if (c == '\'') {
        out += "'\\''";
      } else {
        out += c;
      }
    }
    return out;
  }

  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(*pki_ + "/forged.pem"));
    dir_ = MakeTempDir("shequ-tls");
    const std::string src = SHEQU_SOURCE_DIR;
    const std::string config = dir_ + "/shequd.yaml";
    std::ofstream(config) << "calendar_dir: " << src << "/config/calendar\n"
                          << "workflows_dir: " << src << "/config/workflows\n"
                          << "policy_dir: " << src << "/config/policy\n"
                          << "tls:\n  cert: " << *pki_ << "/server.pem\n  key: " << *pki_
                          << "/server.key\n  client_ca: " << *pki_ << "/district-ca.pem\n";
    DaemonProcess::Options o = DaemonProcess::In(dir_, config);
    std::string error;
    daemon_ = DaemonProcess::Start(o, &error);
    ASSERT_TRUE(daemon_) << error;
    admin_ = AdminToken(o.data_dir);
  }

  // A TLS channel trusting the district CA, with the client certificate `client` ("" = none).
  std::shared_ptr<grpc::Channel> Channel(const std::string& client) {
    grpc::SslCredentialsOptions o;
    o.pem_root_certs = ReadFile(*pki_ + "/district-ca.pem");
    if (!client.empty()) {
      o.pem_private_key = ReadFile(*pki_ + "/" + client + ".key");
      o.pem_cert_chain = ReadFile(*pki_ + "/" + client + ".pem");
    }
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");
    return grpc::CreateCustomChannel(daemon_->address(), grpc::SslCredentials(o), args);
  }
  grpc::Status WhoAmI(const std::shared_ptr<grpc::Channel>& ch, const std::string& token,
                      v1::Principal* out) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (!token.empty()) ctx.AddMetadata("authorization", "Bearer " + token);
    return v1::Principals::NewStub(ch)->WhoAmI(&ctx, v1::WhoAmIRequest(), out);
  }

  // Registers `name` as a system principal of `role` with the administrator's token.
  void Register(const std::string& name, const std::string& role) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + admin_);
    v1::PutPrincipalRequest req;
    req.mutable_principal()->set_name(name);
    req.mutable_principal()->set_kind("system");
    req.mutable_principal()->set_unit("bh");
    req.mutable_principal()->add_roles()->set_role(role);
    v1::Principal out;
    auto s = v1::Principals::NewStub(Channel(""))->Put(&ctx, req, &out);
    ASSERT_TRUE(s.ok()) << Describe(s);
  }

  // GET `target` from the HTTP port over TLS, trusting the district CA, with the client
  // certificate `client` ("" = none) and the bearer `token` ("" = none): "<status> <body>", or
  // where it failed ("handshake: …", "read: …").
  std::string HttpsGet(const std::string& target, const std::string& client,
                       const std::string& token) {
    namespace net = boost::asio;
    namespace beast = boost::beast;
    namespace http = beast::http;
    net::io_context io;
    net::ssl::context ctx(net::ssl::context::tls_client);
    const std::string ca = ReadFile(*pki_ + "/district-ca.pem");
    ctx.add_certificate_authority(net::buffer(ca));
    ctx.set_verify_mode(net::ssl::verify_peer);
    if (!client.empty()) {
      const std::string cert = ReadFile(*pki_ + "/" + client + ".pem");
      const std::string key = ReadFile(*pki_ + "/" + client + ".key");
      ctx.use_certificate_chain(net::buffer(cert));
      ctx.use_private_key(net::buffer(key), net::ssl::context::pem);
    }
    beast::ssl_stream<beast::tcp_stream> stream(io, ctx);
    stream.set_verify_callback(net::ssl::host_name_verification("localhost"));
    beast::error_code ec;
    beast::get_lowest_layer(stream).connect(
        net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), daemon_->http_port()), ec);
    if (ec) return "connect: " + ec.message();
    stream.handshake(net::ssl::stream_base::client, ec);
    if (ec) return "handshake: " + ec.message();
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, "localhost");
    if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    http::write(stream, req, ec);
    if (ec) return "write: " + ec.message();
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res, ec);
    if (ec) return "read: " + ec.message();
    return std::to_string(res.result_int()) + " " + res.body();
  }

  static std::string* pki_;
  std::string dir_, admin_;
  std::unique_ptr<DaemonProcess> daemon_;
};
std::string* TlsTest::pki_ = nullptr;

TEST_F(TlsTest, RightCaCertificateProvesItsPrincipal) {
  // An administrator's token over TLS, without a client certificate, registers the system.
  auto plain = Channel("");
  v1::Principal me;
  auto s = WhoAmI(plain, admin_, &me);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(me.name(), "admin");
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + admin_);
    v1::PutPrincipalRequest req;
    req.mutable_principal()->set_name("system:civil-affairs");
    req.mutable_principal()->set_kind("system");
    req.mutable_principal()->set_unit("bh");
    req.mutable_principal()->add_roles()->set_role("department");
    v1::Principal out;
    s = v1::Principals::NewStub(plain)->Put(&ctx, req, &out);
    ASSERT_TRUE(s.ok()) << Describe(s);
  }
  s = WhoAmI(Channel("civil"), "", &me);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(me.name(), "system:civil-affairs");
  EXPECT_EQ(me.via(), "mtls");
  EXPECT_EQ(me.unit(), "bh");
  ASSERT_EQ(me.roles_size(), 1);
  EXPECT_EQ(me.roles(0).role(), "department");

  // A certificate of the right CA for a principal nobody registered proves nothing.
  s = WhoAmI(Channel("stranger"), "", &me);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << Describe(s);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "system:stranger")) << Describe(s);
  // Nor does a TLS connection with neither a certificate nor a token.
  s = WhoAmI(plain, "", &me);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << Describe(s);
}

TEST_F(TlsTest, WrongCaCertificateFailsTheHandshake) {
  v1::Principal me;
  auto s = WhoAmI(Channel("forged"), "", &me);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << Describe(s);
  // Even with a valid token: the connection itself is refused.
  s = WhoAmI(Channel("forged"), admin_, &me);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << Describe(s);
  // And a client that does not speak TLS gets nothing either.
  s = WhoAmI(daemon_->channel(), admin_, &me);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << Describe(s);
}

TEST_F(TlsTest, HttpPortServesTlsAndTakesTheSameCredentials) {
  EXPECT_EQ(HttpsGet("/healthz", "", ""), "200 ok\n");
  // Plain HTTP to the TLS port gets no answer.
  EXPECT_NE(HttpGet(daemon_->http_port(), "/healthz").substr(0, 4), "200 ");
  // The metrics need a principal: a bearer token, or a client certificate naming one.
  EXPECT_EQ(HttpsGet("/metrics", "", "").substr(0, 4), "401 ");
  EXPECT_EQ(HttpsGet("/metrics", "", admin_).substr(0, 4), "200 ");
  Register("system:civil-affairs", "department");
  const std::string department = HttpsGet("/metrics", "civil", "");
  EXPECT_EQ(department.substr(0, 4), "403 ") << department;
  EXPECT_TRUE(absl::StrContains(department, "needs one of the roles")) << department;
  Register("system:stranger", "monitoring");
  EXPECT_EQ(HttpsGet("/metrics", "stranger", "").substr(0, 4), "200 ");
  // A certificate of another CA: the server ends the handshake (under TLS 1.3 the client learns
  // it at its first read).
  const std::string forged = HttpsGet("/metrics", "forged", "");
  EXPECT_TRUE(absl::StartsWith(forged, "handshake: ") || absl::StartsWith(forged, "read: ") ||
              absl::StartsWith(forged, "write: "))
      << forged;
}

TEST(TlsConfigTest, KeyOfAnotherCertificateIsRefusedAtStart) {
  const std::string d = MakeTempDir("shequ-badtls");
  ASSERT_EQ(std::system(("cd " + d +
                         " && openssl req -x509 -newkey rsa:2048 -nodes -keyout a.key -out a.pem "
                         "-days 1 -subj /CN=a 2>/dev/null && openssl req -x509 -newkey rsa:2048 "
                         "-nodes -keyout b.key -out b.pem -days 1 -subj /CN=b 2>/dev/null")
                            .c_str()),
            0);
  const std::string src = SHEQU_SOURCE_DIR;
  std::ofstream(d + "/shequd.yaml") << "calendar_dir: " << src << "/config/calendar\n"
                                    << "workflows_dir: " << src << "/config/workflows\n"
                                    << "policy_dir: " << src << "/config/policy\n"
                                    << "tls: {cert: a.pem, key: b.key}\n";
  DaemonProcess::Options o = DaemonProcess::In(d, d + "/shequd.yaml");
  std::string error;
  EXPECT_FALSE(DaemonProcess::Start(o, &error));
  EXPECT_TRUE(absl::StrContains(error, "is not the key of")) << error;
}

}  // namespace
}  // namespace shequ::testing
