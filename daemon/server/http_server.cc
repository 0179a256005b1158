#include "daemon/server/http_server.h"

// GCC 12 in C++20 mode needs <utility> (in this block) before the Boost.Asio headers.
#include <atomic>
#include <exception>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "boost/asio/dispatch.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/post.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/asio/strand.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "daemon/core/logging.h"

namespace shequ::server {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

// Pause before accepting again after an accept error, so that running out of descriptors does
// not turn the accept loop into a busy loop.
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(100);

bool IsHttpParseError(const beast::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_method).category();
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
  std::atomic<bool> stopped{false};
  std::atomic<int> port{0};

  std::mutex sessions_mu;
  // Weak, so that a session dies as soon as its connection is done with.
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions;
};

// One connection. All its handlers run on its own strand; Close() may come from any thread.
class HttpServer::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<State> state)
      : stream_(std::move(socket)), state_(std::move(state)) {}

  ~Session() {
    std::lock_guard<std::mutex> lock(state_->sessions_mu);
    state_->sessions.erase(this);
  }

  void Start() {
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&Session::DoRead, shared_from_this()));
  }

  void Close() {
    net::post(stream_.get_executor(), [self = shared_from_this()] { self->stream_.close(); });
  }

 private:
  void DoRead() {
    if (state_->stopped) return DoClose();
    // A fresh parser per request: the body limit applies to each request, not the connection.
    parser_.emplace();
    parser_->body_limit(state_->options.body_limit);
    // Covers both an idle keep-alive connection and a client that stalls mid-request.
    stream_.expires_after(state_->options.read_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::OnRead, shared_from_this()));
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
    stream_.expires_after(state_->options.read_timeout);
    http::async_write(stream_, res_,
                      beast::bind_front_handler(&Session::OnWrite, shared_from_this(), close));
  }

  void OnWrite(bool close, beast::error_code ec, std::size_t /*bytes*/) {
    if (ec) return;
    if (close || state_->stopped) return DoClose();
    res_ = {};
    DoRead();
  }

  void DoClose() {
    // Send FIN; the socket itself closes when the last handler lets go of the session.
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  beast::tcp_stream stream_;
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
    for (const tcp::endpoint& endpoint : endpoints) {
      ec = Bind(endpoint);
      if (!ec) {
        int bound = acceptor_.local_endpoint(ec).port();
        state_->port = bound;
        state_->log->info("listening on {}:{}", host, bound);
        DoAccept();
        return absl::OkStatus();
      }
      acceptor_.close(ec);
    }
    return absl::UnavailableError(
        absl::StrCat("http: cannot listen on ", host, ":", port, ": ", ec.message()));
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

    std::shared_ptr<Session> session;
    {
      // Checked under the lock Stop() collects sessions under, so none slips past it.
      std::lock_guard<std::mutex> lock(state_->sessions_mu);
      if (state_->stopped) return;
      session = std::make_shared<Session>(std::move(socket), state_);
      state_->sessions.emplace(session.get(), session);
    }
    session->Start();

    std::lock_guard<std::mutex> lock(mu_);
    if (acceptor_.is_open()) DoAccept();
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
  std::vector<std::shared_ptr<Session>> open;
  {
    std::lock_guard<std::mutex> lock(state_->sessions_mu);
    for (auto& [ptr, weak] : state_->sessions) {
      if (auto session = weak.lock()) open.push_back(std::move(session));
    }
  }
  for (const auto& session : open) session->Close();
  if (state_->port != 0) state_->log->info("stopped listening on port {}", state_->port.load());
}

}  // namespace shequ::server
