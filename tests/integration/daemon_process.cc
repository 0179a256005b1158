#include "tests/integration/daemon_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

namespace shequ::testing {

std::string MakeTempDir(const std::string& prefix) {
  const char* base = std::getenv("TMPDIR");
  std::string templ = std::string(base ? base : "/tmp") + "/" + prefix + "-XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) return "";
  return buf.data();
}

DaemonProcess::Options DaemonProcess::In(const std::string& dir, const std::string& config) {
  Options o;
  o.data_dir = dir + "/data";
  std::filesystem::create_directories(o.data_dir);
  o.config = config;
  return o;
}

std::unique_ptr<DaemonProcess> DaemonProcess::Start(const Options& o, std::string* error) {
  auto d = std::unique_ptr<DaemonProcess>(new DaemonProcess());
  d->log_path_ = o.data_dir + "/shequd.log";
  int out[2];
  if (pipe(out) != 0) {
    *error = "pipe failed";
    return nullptr;
  }
  std::vector<std::string> args = {SHEQUD_BINARY, "--config", o.config, "--data-dir", o.data_dir,
                                   "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0"};
  if (o.fake_clock) args.push_back("--fake-clock=" + std::to_string(o.fake_clock_start_ms));
  args.insert(args.end(), o.extra_args.begin(), o.extra_args.end());
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    int log = open(d->log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (log >= 0) dup2(log, STDERR_FILENO);
    close(out[0]);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out[1]);
  d->pid_ = pid;
  // Read stdout until the "serving" line, for at most 60 s.
  std::string seen;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::smatch m;
  const std::regex ready("serving gRPC on [^:]+:([0-9]+) and HTTP on [^:]+:([0-9]+)");
  while (!std::regex_search(seen, m, ready)) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{out[0], POLLIN, 0};
    if (left.count() <= 0 || poll(&p, 1, static_cast<int>(left.count())) <= 0) {
      *error = "shequd did not start in time:\n" + d->Log();
      close(out[0]);
      return nullptr;
    }
    char buf[512];
    ssize_t n = read(out[0], buf, sizeof buf);
    if (n <= 0) {
      *error = "shequd exited at start:\n" + d->Log();
      close(out[0]);
      waitpid(d->pid_, nullptr, 0);
      d->pid_ = -1;
      return nullptr;
    }
    seen.append(buf, n);
  }
  close(out[0]);  // the daemon prints nothing else on stdout
  d->grpc_port_ = std::stoi(m[1]);
  d->http_port_ = std::stoi(m[2]);
  return d;
}

DaemonProcess::~DaemonProcess() {
  if (pid_ > 0) Terminate();
}

std::shared_ptr<grpc::Channel> DaemonProcess::channel() {
  if (!channel_) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(16 << 20);
    args.SetMaxSendMessageSize(16 << 20);
    channel_ = grpc::CreateCustomChannel(address(), grpc::InsecureChannelCredentials(), args);
  }
  return channel_;
}

void DaemonProcess::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

int DaemonProcess::Terminate() {
  if (pid_ <= 0) return -1;
  channel_.reset();
  ::kill(pid_, SIGTERM);
  int status = 0;
  for (int i = 0; i < 300; ++i) {  // up to 30 s
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return status;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  Kill();
  return -1;
}

std::string DaemonProcess::Log() const {
  std::ifstream in(log_path_);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void Identify(grpc::ClientContext* ctx, const std::string& user, const std::string& roles,
              const std::string& unit) {
  if (!user.empty()) ctx->AddMetadata("x-shequ-user", user);
  if (!roles.empty()) ctx->AddMetadata("x-shequ-roles", roles);
  if (!unit.empty()) ctx->AddMetadata("x-shequ-unit", unit);
}

std::string HttpGet(int port, const std::string& target, const std::string& headers) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return "connect failed";
  }
  std::string req = "GET " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n" +
                    headers + "\r\n";
  (void)!write(fd, req.data(), req.size());
  std::string resp;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) resp.append(buf, n);
  close(fd);
  auto sp = resp.find(' ');
  auto body = resp.find("\r\n\r\n");
  if (sp == std::string::npos || body == std::string::npos) return resp;
  return resp.substr(sp + 1, 3) + " " + resp.substr(body + 4);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string AdminToken(const std::string& data_dir) {
  std::string token = ReadFile(data_dir + "/admin.token");
  while (!token.empty() && (token.back() == '\n' || token.back() == ' ')) token.pop_back();
  return token;
}

std::string ValidIdNumber(const std::string& first17) {
  static const int kWeights[] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (first17[i] - '0') * kWeights[i];
  return first17 + "10X98765432"[sum % 11];
}

}  // namespace shequ::testing
