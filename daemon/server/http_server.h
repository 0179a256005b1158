#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace shequ::server {

struct HttpRequest {
  std::string method;  // "GET", "POST", ... as sent
  std::string target;  // path and query, e.g. "/metrics?x=1"
  std::string body;
  std::map<std::string, std::string> headers;  // names in lower case; a repeated one: the last
  // Of a client certificate the server's client CA verified (TLS only); nullopt: none.
  std::optional<std::string> certificate_cn;
  std::optional<std::string> certificate_san;  // its first subject alternative name
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers = {};  // more response headers
};

// Called on an io_context thread for each complete request. It must not block: the same
// io_context runs the engine strand and timers. Routing, 404 and 405 are its business. For HEAD
// requests the server sends the headers of the returned response and drops its body.
using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

// A small HTTP/1.1 server (health, metrics, JSON, console) on the daemon's io_context.
//
// Over TLS when Options::tls is set: a client certificate is asked for when a client CA is
// given, and one the CA did not sign fails the handshake (a client without one still gets in,
// to authenticate otherwise). Connections are kept alive as the client asks. The server itself answers 400 to requests it
// cannot parse, 413 to bodies over the limit and 431 to oversized headers, then closes the
// connection. A connection idle or stalled for `read_timeout` is closed without an answer.
//
// Thread safety: Listen() and Stop() may be called from any thread, including from inside the
// handler. The HttpServer must be destroyed before the io_context it was given.
class HttpServer {
 public:
  struct Tls {
    std::string cert_pem;       // certificate chain
    std::string key_pem;        // its private key
    std::string client_ca_pem;  // "" = no client certificates
  };
  struct Options {
    std::chrono::steady_clock::duration read_timeout = std::chrono::seconds(30);
    std::size_t body_limit = 1024 * 1024;
    std::optional<Tls> tls;  // nullopt: plain HTTP
  };

  HttpServer(boost::asio::io_context& io, HttpHandler handler);
  HttpServer(boost::asio::io_context& io, HttpHandler handler, Options options);
  ~HttpServer();  // Stop()s.

  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds host:port (port 0 picks a free port; see port()) and starts accepting. `host` is an
  // address or a name to resolve ("0.0.0.0", "::", "127.0.0.1", "localhost"). Fails with
  // FAILED_PRECONDITION if already listening or stopped, UNAVAILABLE if the bind fails,
  // INVALID_ARGUMENT if the TLS certificate, key or CA cannot be used.
  absl::Status Listen(const std::string& host, int port);

  // The bound port once Listen() has succeeded, otherwise 0.
  int port() const;

  // Closes the listening socket (before returning: a new connect is refused afterwards) and
  // every open connection (asynchronously, on the io_context). Idempotent; a stopped server
  // cannot listen again.
  void Stop();

 private:
  class Listener;
  template <class Stream>
  class Session;
  struct State;

  std::shared_ptr<State> state_;
  std::shared_ptr<Listener> listener_;
};

}  // namespace shequ::server
