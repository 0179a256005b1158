#include "daemon/server/http_server.h"

// GCC 12 in C++20 mode needs <utility> (in this block) before the Boost.Asio headers.
#include <chrono>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

#include "boost/asio/executor_work_guard.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/write.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "gtest/gtest.h"

namespace shequ::server {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

// Every client operation has a deadline, so a broken server fails a test instead of hanging it.
constexpr auto kClientDeadline = std::chrono::seconds(10);

// A blocking HTTP client: each call runs one Beast operation on a private io_context to
// completion, bounded by tcp_stream's expiry.
class Client {
 public:
  beast::error_code Connect(int port) {
    stream_.expires_after(kClientDeadline);
    beast::error_code result;
    stream_.async_connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port),
                          [&](beast::error_code ec) { result = ec; });
    Run();
    return result;
  }

  beast::error_code Write(http::request<http::string_body> req) {
    req.prepare_payload();
    stream_.expires_after(kClientDeadline);
    beast::error_code result;
    http::async_write(stream_, req, [&](beast::error_code ec, std::size_t) { result = ec; });
    Run();
    return result;
  }

  beast::error_code WriteRaw(const std::string& bytes) {
    stream_.expires_after(kClientDeadline);
    beast::error_code result;
    net::async_write(stream_, net::buffer(bytes),
                     [&](beast::error_code ec, std::size_t) { result = ec; });
    Run();
    return result;
  }

  // `head`: the response answers a HEAD request, so it has no body whatever its headers say.
  beast::error_code Read(http::response<http::string_body>& res, bool head = false) {
    http::response_parser<http::string_body> parser;
    parser.skip(head);
    stream_.expires_after(kClientDeadline);
    beast::error_code result;
    http::async_read(stream_, buffer_, parser,
                     [&](beast::error_code ec, std::size_t) { result = ec; });
    Run();
    if (!result) res = parser.release();
    return result;
  }

  // Reads until the server closes the connection; returns how the last read ended.
  beast::error_code ReadUntilClosed() {
    stream_.expires_after(kClientDeadline);
    beast::error_code result;
    std::function<void(beast::error_code, std::size_t)> on_read = [&](beast::error_code ec,
                                                                      std::size_t) {
      if (ec) {
        result = ec;
        return;
      }
      stream_.async_read_some(net::buffer(scratch_), on_read);
    };
    stream_.async_read_some(net::buffer(scratch_), on_read);
    Run();
    return result;
  }

  beast::error_code Get(const std::string& target, http::response<http::string_body>& res) {
    if (auto ec = Write(Request(http::verb::get, target))) return ec;
    return Read(res);
  }

  static http::request<http::string_body> Request(http::verb method, const std::string& target,
                                                  std::string body = "") {
    http::request<http::string_body> req(method, target, 11);
    req.set(http::field::host, "127.0.0.1");
    req.body() = std::move(body);
    return req;
  }

 private:
  void Run() {
    io_.restart();
    io_.run();
  }

  net::io_context io_;
  beast::tcp_stream stream_{io_};
  beast::flat_buffer buffer_;
  char scratch_[4096];
};

bool IsClosed(const beast::error_code& ec) {
  return ec == net::error::eof || ec == net::error::connection_reset;
}

class HttpServerTest : public ::testing::Test {
 protected:
  void Start(HttpServer::Options options = HttpServer::Options()) {
    server_ = std::make_unique<HttpServer>(
        io_, [this](const HttpRequest& req) { return Handle(req); }, options);
    absl::Status status = server_->Listen("127.0.0.1", 0);
    ASSERT_TRUE(status.ok()) << status;
    ASSERT_NE(server_->port(), 0);
    thread_ = std::thread([this] { io_.run(); });
  }

  void TearDown() override {
    if (server_ != nullptr) server_->Stop();
    // With the port and every session closed, run() returns once the handlers drain.
    work_.reset();
    if (thread_.joinable()) thread_.join();
    server_.reset();
  }

  HttpResponse Handle(const HttpRequest& req) {
    if (req.target == "/hello") return {200, "text/plain; charset=utf-8", "hello\n"};
    if (req.target == "/echo") {
      return {200, "application/octet-stream",
              req.method + " " + std::to_string(req.body.size()) + " " + req.body.substr(0, 8)};
    }
    if (req.target == "/throw") throw std::runtime_error("boom");
    if (req.target == "/stop") {
      server_->Stop();
      return {200, "text/plain; charset=utf-8", "stopping\n"};
    }
    return {404, "text/plain; charset=utf-8", "not found\n"};
  }

  int port() const { return server_->port(); }

  net::io_context io_;
  net::executor_work_guard<net::io_context::executor_type> work_ = net::make_work_guard(io_);
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
};

TEST_F(HttpServerTest, GetReturnsHandlerResponse) {
  Start();
  Client client;
  ASSERT_FALSE(client.Connect(port()));
  http::response<http::string_body> res;
  ASSERT_FALSE(client.Get("/hello", res));
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res.body(), "hello\n");
  EXPECT_EQ(res[http::field::content_type], "text/plain; charset=utf-8");
  EXPECT_EQ(res[http::field::content_length], "6");
  EXPECT_EQ(res[http::field::server], "shequd");
}

TEST_F(HttpServerTest, HandlerStatusPassesThrough) {
  Start();
  Client client;
  ASSERT_FALSE(client.Connect(port()));
  http::response<http::string_body> res;
  ASSERT_FALSE(client.Get("/nowhere", res));
  EXPECT_EQ(res.result_int(), 404);
  EXPECT_EQ(res.body(), "not found\n");
}

TEST_F(HttpServerTest, KeepAliveServesTwoRequestsOnOneConnection) {
  Start();
  Client client;
  ASSERT_FALSE(client.Connect(port()));
  http::response<http::string_body> first;
  ASSERT_FALSE(client.Get("/hello", first));
  EXPECT_EQ(first.result_int(), 200);
  EXPECT_TRUE(first.keep_alive());
  http::response<http::string_body> second;
  ASSERT_FALSE(client.Get("/nowhere", second));
  EXPECT_EQ(second.result_int(), 404);
  EXPECT_EQ(second.body(), "not found\n");
}

TEST_F(HttpServerTest, ConnectionCloseIsHonoured) {
  Start();
  Client client;
  ASSERT_FALSE(client.Connect(port()));
  auto req = Client::Request(http::verb::get, "/hello");
  req.keep_alive(false);
  ASSERT_FALSE(client.Write(req));
  http::response<http::string_body> res;
  ASSERT_FALSE(client.Read(res));
  EXPECT_EQ(res.body(), "hello\n");
  EXPECT_FALSE(res.keep_alive());
  EXPECT_TRUE(IsClosed(client.ReadUntilClosed()));
}

TEST_F(HttpServerTest, PostBodyReachesHandler) {
  Start();
  Client client;
  ASSERT_FALSE(client.Connect(port()));
  ASSERT_FALSE(client.Write(Client::Request(http::verb::post, "/echo", "{\"a\":1}")));
  http::response<http::string_body> res;
  ASSERT_FALSE(client.Read(res));
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res.body(), "POST 7 {\"a\":1}");
  EXPECT_EQ(res[http::field::content_type], "application/octet-stream");
}

TEST_F(HttpServerTest, HeadSendsHeadersWithoutBody) {
  Start();
  Client client;
  ASSERT_FALSE(client.Connect(port()));
  ASSERT_FALSE(client.Write(Client::Request(http::verb::head, "/hello")));
  http::response<http::string_body> res;
  ASSERT_FALSE(client.Read(res, /*head=*/true));
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res[http::field::content_length], "6");
  EXPECT_EQ(res.body(), "");
  // The connection is still in step: no stray body bytes precede the next response.
  ASSERT_FALSE(client.Get("/hello", res));
  EXPECT_EQ(res.body(), "hello\n");
}

TEST_F(HttpServerTest, MalformedRequestGets400AndClose) {
  Start();
  Client client;
  ASSERT_FALSE(client.Connect(port()));
  ASSERT_FALSE(client.WriteRaw("this is not http\r\n\r\n"));
  http::response<http::string_body> res;
  ASSERT_FALSE(client.Read(res));
  EXPECT_EQ(res.result_int(), 400);
  EXPECT_FALSE(res.keep_alive());
  EXPECT_TRUE(IsClosed(client.ReadUntilClosed()));
}

TEST_F(HttpServerTest, OversizeBodyGets413) {
  Start();
  Client client;
  ASSERT_FALSE(client.Connect(port()));
  // The declared length alone is over the limit; the server answers before any body is sent.
  ASSERT_FALSE(
      client.WriteRaw("POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1048577\r\n\r\n"));
  http::response<http::string_body> res;
  ASSERT_FALSE(client.Read(res));
  EXPECT_EQ(res.result_int(), 413);
  EXPECT_FALSE(res.keep_alive());
  EXPECT_TRUE(IsClosed(client.ReadUntilClosed()));
}

TEST_F(HttpServerTest, BodyAtLimitIsAccepted) {
  Start();
  Client client;
  ASSERT_FALSE(client.Connect(port()));
  ASSERT_FALSE(client.Write(Client::Request(http::verb::put, "/echo", std::string(1 << 20, 'x'))));
  http::response<http::string_body> res;
  ASSERT_FALSE(client.Read(res));
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res.body(), "PUT 1048576 xxxxxxxx");
}

TEST_F(HttpServerTest, HandlerExceptionGets500AndConnectionSurvives) {
  Start();
  Client client;
  ASSERT_FALSE(client.Connect(port()));
  http::response<http::string_body> res;
  ASSERT_FALSE(client.Get("/throw", res));
  EXPECT_EQ(res.result_int(), 500);
  ASSERT_FALSE(client.Get("/hello", res));
  EXPECT_EQ(res.result_int(), 200);
}

TEST_F(HttpServerTest, IdleConnectionIsClosedAfterReadTimeout) {
  HttpServer::Options options;
  options.read_timeout = std::chrono::milliseconds(50);
  Start(options);
  Client client;
  ASSERT_FALSE(client.Connect(port()));
  http::response<http::string_body> res;
  ASSERT_FALSE(client.Get("/hello", res));
  // Waits on the server's timer, not on a sleep; the client deadline is far longer.
  EXPECT_TRUE(IsClosed(client.ReadUntilClosed()));
}

TEST_F(HttpServerTest, StopClosesPortAndOpenConnections) {
  Start();
  Client idle;
  ASSERT_FALSE(idle.Connect(port()));
  http::response<http::string_body> res;
  ASSERT_FALSE(idle.Get("/hello", res));

  server_->Stop();
  EXPECT_TRUE(IsClosed(idle.ReadUntilClosed()));
  Client late;
  EXPECT_EQ(late.Connect(port()), net::error::connection_refused);
}

TEST_F(HttpServerTest, StopFromHandlerClosesPort) {
  Start();
  Client client;
  ASSERT_FALSE(client.Connect(port()));
  ASSERT_FALSE(client.Write(Client::Request(http::verb::post, "/stop")));
  // Stop() has returned by the time the connection answers or closes, whichever it does.
  http::response<http::string_body> res;
  (void)client.Read(res);
  Client late;
  EXPECT_EQ(late.Connect(port()), net::error::connection_refused);
}

TEST_F(HttpServerTest, StopIsIdempotentAndFinal) {
  Start();
  server_->Stop();
  server_->Stop();
  EXPECT_EQ(server_->Listen("127.0.0.1", 0).code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(HttpServerTest, ListenRejectsSecondListenAndBadPort) {
  Start();
  EXPECT_EQ(server_->Listen("127.0.0.1", 0).code(), absl::StatusCode::kFailedPrecondition);
  HttpServer other(io_, [](const HttpRequest&) { return HttpResponse(); });
  EXPECT_EQ(other.Listen("127.0.0.1", 70000).code(), absl::StatusCode::kInvalidArgument);
  // The port is taken by server_.
  EXPECT_EQ(other.Listen("127.0.0.1", port()).code(), absl::StatusCode::kUnavailable);
}

TEST_F(HttpServerTest, ListenResolvesHostNames) {
  HttpServer named(io_, [](const HttpRequest&) { return HttpResponse{200, "text/plain", "ok"}; });
  ASSERT_TRUE(named.Listen("localhost", 0).ok());
  EXPECT_NE(named.port(), 0);
  named.Stop();
}

}  // namespace
}  // namespace shequ::server
