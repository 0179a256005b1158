#pragma once

// The frame of shequctl: commands and their flags, the command line, the connection to the
// daemon, and how results and errors are printed (tables, --json, exit codes).

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "google/protobuf/message.h"

namespace shequ::cli {

// Exit codes, one per class of failure (documented in `shequctl --help`).
enum Exit : int {
  kOk = 0,
  kOther = 1,            // any other error
  kUsage = 2,            // the command line is wrong
  kInvalidArgument = 3,  // INVALID_ARGUMENT: a malformed field (the message names it)
  kNotFound = 4,         // NOT_FOUND
  kConflict = 5,         // FAILED_PRECONDITION, ALREADY_EXISTS: the state does not allow it
  kUnavailable = 6,      // UNAVAILABLE: the daemon is not reachable (or refuses writes)
  kDenied = 7,           // UNAUTHENTICATED, PERMISSION_DENIED: no valid token, or not allowed
};

// The exit code for a failed call's status.
int ExitCodeOf(grpc::StatusCode code);
// "NOT_FOUND"
std::string CodeName(grpc::StatusCode code);

struct Flag {
  std::string name;        // without the dashes: "business-key"
  std::string value_name;  // "KEY"; empty for a switch
  std::string help;
  bool repeated = false;  // may be given more than once (--var k=v --var k2=v2)
  char short_name = 0;    // also accepted as -x
};

// What a command received: positional arguments and flag values.
class Args {
 public:
  std::vector<std::string> positional;

  bool Has(const std::string& flag) const { return values_.count(flag) > 0; }
  std::string Get(const std::string& flag, const std::string& fallback = "") const;
  const std::vector<std::string>& All(const std::string& flag) const;
  void Set(const std::string& flag, std::string value) {
    values_[flag].push_back(std::move(value));
  }

 private:
  std::map<std::string, std::vector<std::string>> values_;
};

class Cli;

struct Command {
  std::string name;   // "start", or "workforce import"
  std::string usage;  // after the name: "DEFINITION [--var K=V ...]"
  std::string summary;
  std::string details;  // more help text, may be empty
  std::vector<Flag> flags;
  size_t min_args = 0;
  size_t max_args = 0;
  std::function<int(Cli&, const Args&)> run;
};

// Every command, registered by the command group files.
std::vector<Command> InstanceCommands();
std::vector<Command> TaskCommands();
std::vector<Command> IncidentCommands();
std::vector<Command> NotifyCommands();
std::vector<Command> WorkforceCommands();
std::vector<Command> AdminCommands();
std::vector<Command> PluginCommands();
std::vector<Command> RecruitmentCommands();
std::vector<Command> ReviewCommands();
std::vector<Command> AuditCommands();
std::vector<Command> PrincipalCommands();
std::vector<Command> PersonalDataCommands();

struct Globals {
  std::string addr = "127.0.0.1:7070";
  std::string token;             // sent as `authorization: Bearer <token>`
  std::string user, roles, unit;  // x-shequ-* metadata: development mode (`auth: headers`)
  // TLS: std::nullopt = TLS when a TLS option is given or the address is not loopback.
  std::optional<bool> tls;
  std::string ca_file, cert_file, key_file, server_name;
  bool json = false;
  double timeout_s = 30;
};

// Whether `address` (host:port) names this machine: 127.x.y.z, [::1], localhost, unix:.
bool IsLoopback(const std::string& address);

// The channel credentials and arguments for the connection `g` describes, with the PEM files
// read. Fails (NOT_FOUND naming the file, INVALID_ARGUMENT for a certificate without its key)
// before anything is sent.
struct Connection {
  bool tls = false;
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  grpc::ChannelArguments arguments;
};
grpc::Status Connect(const Globals& g, Connection* out);

// The connection and output conventions shared by the commands.
class Cli {
 public:
  explicit Cli(Globals globals);

  // Prepares the connection (reads the TLS files); call once before channel().
  grpc::Status Open();

  const Globals& globals() const { return globals_; }
  bool json() const { return globals_.json; }
  std::shared_ptr<grpc::Channel> channel();

  // The token (and development mode's identity metadata), and the --timeout deadline unless
  // `stream` (streams run until done).
  void Prepare(grpc::ClientContext* ctx, bool stream = false) const;

  // Prints "shequctl: CODE: message" on stderr and returns the code's exit code. UNAUTHENTICATED
  // without a token adds how to give one.
  int Fail(const grpc::Status& status) const;
  int Fail(grpc::StatusCode code, const std::string& message) const;
  // Prints "shequctl: <command>: message" and a hint on stderr; returns kUsage.
  int Usage(const std::string& command, const std::string& message) const;

  // The message as one line of JSON (proto field names, every field printed).
  void PrintJson(const google::protobuf::Message& message) const;

  // A positive integer id, or nullopt.
  static std::optional<int64_t> ParseId(const std::string& text);

 private:
  Globals globals_;
  std::shared_ptr<grpc::Channel> channel_;
  Connection connection_;
  bool connected_ = false;
};

// One unary call of a stub's method (&v1::Reviews::Stub::GetCycle): its answer as JSON with
// --json, else as `human` prints it; a failed call prints its error and answers the exit code.
template <typename Stub, typename Req, typename Resp, typename Human>
int Unary(Cli& cli, grpc::Status (Stub::*call)(grpc::ClientContext*, const Req&, Resp*),
          const Req& req, Human human) {
  Stub stub(cli.channel());
  grpc::ClientContext ctx;
  cli.Prepare(&ctx);
  Resp resp;
  grpc::Status s = (stub.*call)(&ctx, req, &resp);
  if (!s.ok()) return cli.Fail(s);
  if (cli.json()) {
    cli.PrintJson(resp);
  } else {
    human(resp);
  }
  return kOk;
}

// Variables from --vars JSON and --var K=V (V parsed as JSON when it is, else a string), as the
// JSON object text the API takes. Returns false and sets *error when they are malformed.
bool BuildVariables(const Args& args, std::string* out, std::string* error);

// Runs shequctl; returns the exit code.
int Main(int argc, char** argv);

// Cancels `ctx` when the user presses Ctrl-C while `ctx` is alive (streams that run until
// interrupted). Only one at a time.
class InterruptGuard {
 public:
  explicit InterruptGuard(grpc::ClientContext* ctx);
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;
  static bool interrupted();

 private:
  std::atomic<bool> done_{false};
  std::thread watcher_;
};

}  // namespace shequ::cli
