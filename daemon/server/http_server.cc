#include "daemon/server/http_server.h"

// GCC 12 in C++20 mode needs <utility> (in this block) before the Boost.Asio headers.
#include <atomic>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "boost/asio/dispatch.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/post.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/asio/strand.hpp"
#include "boost/asio/ssl.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "boost/beast/ssl.hpp"
#include "daemon/core/logging.h"
#include "openssl/x509v3.h"

namespace shequ::server {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

namespace {

// Pause before accepting again after an accept error, so that running out of descriptors does
// not turn the accept loop into a busy loop.
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(100);

bool IsHttpParseError(const beast::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_method).category();
}

absl::StatusOr<std::shared_ptr<net::ssl::context>> MakeTlsContext(const HttpServer::Tls& tls) {
  auto ctx = std::make_shared<net::ssl::context>(net::ssl::context::tls_server);
  beast::error_code ec;
  ctx->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                       net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                       net::ssl::context::no_tlsv1_1,
                   ec);
  auto failed = [&ec](const char* what) {
    return absl::InvalidArgumentError(absl::StrCat("http: TLS ", what, ": ", ec.message()));
  };
  if (ec) return failed("options");
  if (ctx->use_certificate_chain(net::buffer(tls.cert_pem), ec)) return failed("certificate");
  if (ctx->use_private_key(net::buffer(tls.key_pem), net::ssl::context::pem, ec)) {
    return failed("private key");
  }
  if (!tls.client_ca_pem.empty()) {
    if (ctx->add_certificate_authority(net::buffer(tls.client_ca_pem), ec)) {
      return failed("client CA");
    }
    // Asked for, and verified when sent; a client without one authenticates otherwise.
    ctx->set_verify_mode(net::ssl::verify_peer, ec);
    if (ec) return failed("verify mode");
  }
  return ctx;
}

// The subject CN and the first subject alternative name of the peer's certificate, when the
// handshake verified one.
void PeerCertificate(SSL* ssl, HttpRequest& request) {
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (cert == nullptr || SSL_get_verify_result(ssl) != X509_V_OK) return;
  X509_NAME* subject = X509_get_subject_name(cert);
  int at = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (at >= 0) {
    const ASN1_STRING* cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, at));
    request.certificate_cn.emplace(reinterpret_cast<const char*>(ASN1_STRING_get0_data(cn)),
                                   ASN1_STRING_length(cn));
  }
  auto* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type == GEN_DNS || name->type == GEN_URI || name->type == GEN_EMAIL) {
      const ASN1_STRING* v = name->d.ia5;
      request.certificate_san.emplace(reinterpret_cast<const char*>(ASN1_STRING_get0_data(v)),
                                      ASN1_STRING_length(v));
      break;
    }
  }
  GENERAL_NAMES_free(names);
}

}  // namespace

// What the server, its listener and its sessions share. Sessions and pending handlers hold it
// by shared_ptr, so it outlives the HttpServer object if the io_context still has work for it.
struct HttpServer::State {
  State(net::io_context& io, HttpHandler handler, Options options)
      : io(io), handler(std::move(handler)), options(options), log(shequ::Logger("http")) {}

  net::io_context& io;
  const HttpHandler handler;
  const Options options;
  const std::shared_ptr<spdlog::logger> log;
  std::shared_ptr<net::ssl::context> tls;  // set by Listen() when options.tls; else plain
  std::atomic<bool> stopped{false};
  std::atomic<int> port{0};

  std::mutex sessions_mu;
  // Closes each open session. They capture the session weakly, so that a session dies as soon
  // as its connection is done with.
  std::unordered_map<const void*, std::function<void()>> sessions;
};

// One connection over a beast::tcp_stream or a TlsStream. All its handlers run on its own
// strand; Close() may come from any thread.
template <class Stream>
class HttpServer::Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  Session(tcp::socket socket, std::shared_ptr<State> state) : state_(std::move(state)) {
    if constexpr (kTls) {
      stream_.emplace(std::move(socket), *state_->tls);
    } else {
      stream_.emplace(std::move(socket));
    }
  }

  ~Session() {
    std::lock_guard<std::mutex> lock(state_->sessions_mu);
    state_->sessions.erase(this);
  }

  void Start() {
    net::dispatch(stream_->get_executor(), [self = this->shared_from_this()] {
      if constexpr (kTls) {
        self->Lowest().expires_after(self->state_->options.read_timeout);
        self->stream_->async_handshake(
            net::ssl::stream_base::server,
            beast::bind_front_handler(&Session::OnHandshake, self));
      } else {
        self->DoRead();
      }
    });
  }

  void Close() {
    net::post(stream_->get_executor(), [self = this->shared_from_this()] { self->Lowest().close(); });
  }

 private:
  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(*stream_); }

  void OnHandshake(beast::error_code ec) {
    // A client certificate the CA did not sign, plain HTTP on the TLS port, a timeout.
    if (ec) return state_->log->debug("TLS handshake failed: {}", ec.message());
    if constexpr (kTls) PeerCertificate(stream_->native_handle(), peer_);
    DoRead();
  }

  void DoRead() {
    if (state_->stopped) return DoClose();
    // A fresh parser per request: the body limit applies to each request, not the connection.
    parser_.emplace();
    parser_->body_limit(state_->options.body_limit);
    // Covers both an idle keep-alive connection and a client that stalls mid-request.
    Lowest().expires_after(state_->options.read_timeout);
    http::async_read(*stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::OnRead, this->shared_from_this()));
  }

  void OnRead(beast::error_code ec, std::size_t /*bytes*/) {
    if (ec == http::error::end_of_stream) return DoClose();
    if (ec == http::error::body_limit) return SendError(413, "request body too large\n");
    if (ec == http::error::header_limit) return SendError(431, "request header too large\n");
    // partial_message: the peer hung up mid-request; there is nobody left to answer.
    if (IsHttpParseError(ec) && ec != http::error::partial_message) {
      return SendError(400, "malformed request\n");
    }
    // Timeout (tcp_stream already closed the socket), Close() from Stop(), or a reset.
    if (ec) return;

    http::request<http::string_body> req = parser_->release();
    HttpRequest request{std::string(req.method_string()), std::string(req.target()),
                        std::move(req.body())};
    for (const auto& field : req) {
      request.headers[absl::AsciiStrToLower(absl::string_view(field.name_string().data(),
                                                               field.name_string().size()))] =
          std::string(field.value());
    }
    request.certificate_cn = peer_.certificate_cn;
    request.certificate_san = peer_.certificate_san;
    HttpResponse response;
    try {
      response = state_->handler(request);
    } catch (const std::exception& e) {
      // A throwing handler must not take down the io_context thread it runs on.
      state_->log->error("handler threw for {}: {}", request.method, e.what());
      response = HttpResponse{500, "text/plain; charset=utf-8", "internal error\n"};
    }
    if (response.status < 200 || response.status > 599) {
      state_->log->error("handler returned invalid status {}", response.status);
      response = HttpResponse{500, "text/plain; charset=utf-8", "internal error\n"};
    }

    res_ = {};
    res_.version(req.version());
    res_.result(static_cast<unsigned>(response.status));
    res_.set(http::field::server, "shequd");
    res_.set(http::field::content_type, response.content_type);
    for (const auto& [name, value] : response.headers) res_.set(name, value);
    res_.keep_alive(req.keep_alive());
    if (req.method() == http::verb::head) {
      // Headers as for GET, no body.
      res_.content_length(response.body.size());
    } else {
      // 204 and 304 must not carry a body; prepare_payload() would throw on one.
      if (response.status == 204 || response.status == 304) response.body.clear();
      res_.body() = std::move(response.body);
      res_.prepare_payload();
    }
    DoWrite(res_.need_eof());
  }

  // Answers a request the server rejects itself, then closes: the rest of the stream cannot be
  // trusted to start at a message boundary.
  void SendError(int status, std::string body) {
    res_ = {};
    res_.version(11);
    res_.result(static_cast<unsigned>(status));
    res_.set(http::field::server, "shequd");
    res_.set(http::field::content_type, "text/plain; charset=utf-8");
    res_.keep_alive(false);
    res_.body() = std::move(body);
    res_.prepare_payload();
    DoWrite(/*close=*/true);
  }

  void DoWrite(bool close) {
    // Also bounds a client that stops reading its responses.
    Lowest().expires_after(state_->options.read_timeout);
    http::async_write(*stream_, res_,
                      beast::bind_front_handler(&Session::OnWrite, this->shared_from_this(), close));
  }

  void OnWrite(bool close, beast::error_code ec, std::size_t /*bytes*/) {
    if (ec) return;
    if (close || state_->stopped) return DoClose();
    res_ = {};
    DoRead();
  }

  void DoClose() {
    if constexpr (kTls) {
      // close_notify, bounded by the timeout; the socket closes with the session.
      Lowest().expires_after(state_->options.read_timeout);
      stream_->async_shutdown([self = this->shared_from_this()](beast::error_code) {});
    } else {
      // Send FIN; the socket itself closes when the last handler lets go of the session.
      beast::error_code ec;
      Lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
    }
  }

  std::optional<Stream> stream_;  // optional: constructed from the socket in the constructor
  HttpRequest peer_;  // only its certificate names: those of the connection, for every request
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> res_;  // Must outlive async_write.
  const std::shared_ptr<State> state_;
};

// The accept loop. Every use of acceptor_ and retry_timer_ happens under mu_, which is what lets
// Stop() close the port synchronously from any thread while an accept is pending.
class HttpServer::Listener : public std::enable_shared_from_this<Listener> {
 public:
  explicit Listener(std::shared_ptr<State> state)
      : state_(std::move(state)), acceptor_(state_->io), retry_timer_(state_->io) {}

  absl::Status Listen(const std::string& host, int port) {
    if (port < 0 || port > 65535) {
      return absl::InvalidArgumentError(absl::StrCat("http: bad port ", port));
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (state_->stopped) return absl::FailedPreconditionError("http: server stopped");
    if (acceptor_.is_open()) return absl::FailedPreconditionError("http: already listening");
    if (state_->options.tls) {
      auto tls = MakeTlsContext(*state_->options.tls);
      if (!tls.ok()) return tls.status();
      state_->tls = *std::move(tls);
    }

    std::vector<tcp::endpoint> endpoints;
    beast::error_code ec;
    net::ip::address address = net::ip::make_address(host, ec);
    if (!ec) {
      endpoints.emplace_back(address, static_cast<unsigned short>(port));
    } else {
      tcp::resolver resolver(state_->io);
      auto results = resolver.resolve(host, std::to_string(port), tcp::resolver::passive, ec);
      if (ec) {
        return absl::UnavailableError(absl::StrCat("http: resolve ", host, ": ", ec.message()));
      }
      for (const auto& entry : results) endpoints.push_back(entry.endpoint());
    }

    // A name may resolve to several addresses ("localhost": ::1 and 127.0.0.1); take the first
    // that binds.
    beast::error_code bind_error;
    for (const tcp::endpoint& endpoint : endpoints) {
      ec = bind_error = Bind(endpoint);
      if (!ec) {
        int bound = acceptor_.local_endpoint(ec).port();
        state_->port = bound;
        state_->log->info("listening on {}:{}{}", host, bound, state_->tls ? " (TLS)" : "");
        DoAccept();
        return absl::OkStatus();
      }
      acceptor_.close(ec);  // not the error to report: that is the bind's
    }
    return absl::UnavailableError(
        absl::StrCat("http: cannot listen on ", host, ":", port, ": ", bind_error.message()));
  }

  void Close() {
    std::lock_guard<std::mutex> lock(mu_);
    beast::error_code ec;
    acceptor_.close(ec);
    retry_timer_.cancel();
  }

 private:
  beast::error_code Bind(const tcp::endpoint& endpoint) {
    beast::error_code ec;
    if (acceptor_.open(endpoint.protocol(), ec)) return ec;
    // Lets a restarted daemon bind while old connections sit in TIME_WAIT.
    if (acceptor_.set_option(net::socket_base::reuse_address(true), ec)) return ec;
    if (acceptor_.bind(endpoint, ec)) return ec;
    acceptor_.listen(net::socket_base::max_listen_connections, ec);
    return ec;
  }

  // Requires mu_.
  void DoAccept() {
    // Each connection gets its own strand, so its handlers never run concurrently even when
    // several threads run the io_context.
    acceptor_.async_accept(net::make_strand(state_->io),
                           beast::bind_front_handler(&Listener::OnAccept, shared_from_this()));
  }

  void OnAccept(beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || state_->stopped) return;
    if (ec) {
      state_->log->warn("accept failed: {}", ec.message());
      std::lock_guard<std::mutex> lock(mu_);
      if (!acceptor_.is_open()) return;
      retry_timer_.expires_after(kAcceptRetryDelay);
      retry_timer_.async_wait(beast::bind_front_handler(&Listener::OnRetry, shared_from_this()));
      return;
    }

    if (state_->tls) {
      Open<Session<TlsStream>>(std::move(socket));
    } else {
      Open<Session<beast::tcp_stream>>(std::move(socket));
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (acceptor_.is_open()) DoAccept();
  }

  template <class S>
  void Open(tcp::socket socket) {
    std::shared_ptr<S> session;
    {
      // Checked under the lock Stop() collects sessions under, so none slips past it.
      std::lock_guard<std::mutex> lock(state_->sessions_mu);
      if (state_->stopped) return;
      session = std::make_shared<S>(std::move(socket), state_);
      state_->sessions.emplace(session.get(), [weak = std::weak_ptr<S>(session)] {
        if (auto s = weak.lock()) s->Close();
      });
    }
    session->Start();
  }

  void OnRetry(beast::error_code ec) {
    if (ec || state_->stopped) return;
    std::lock_guard<std::mutex> lock(mu_);
    if (acceptor_.is_open()) DoAccept();
  }

  const std::shared_ptr<State> state_;
  std::mutex mu_;
  tcp::acceptor acceptor_;
  net::steady_timer retry_timer_;
};

HttpServer::HttpServer(net::io_context& io, HttpHandler handler)
    : HttpServer(io, std::move(handler), Options()) {}

HttpServer::HttpServer(net::io_context& io, HttpHandler handler, Options options)
    : state_(std::make_shared<State>(io, std::move(handler), options)),
      listener_(std::make_shared<Listener>(state_)) {}

HttpServer::~HttpServer() { Stop(); }

absl::Status HttpServer::Listen(const std::string& host, int port) {
  return listener_->Listen(host, port);
}

int HttpServer::port() const { return state_->port; }

void HttpServer::Stop() {
  if (state_->stopped.exchange(true)) return;
  listener_->Close();
  std::vector<std::function<void()>> close;
  {
    std::lock_guard<std::mutex> lock(state_->sessions_mu);
    for (auto& [ptr, closer] : state_->sessions) close.push_back(closer);
  }
  // Outside the lock: a session that dies meanwhile erases itself under it.
  for (const auto& closer : close) closer();
  if (state_->port != 0) state_->log->info("stopped listening on port {}", state_->port.load());
}

}  // namespace shequ::server
