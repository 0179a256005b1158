#include "clients/cli/cli.h"

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "nlohmann/json.hpp"

namespace shequ::cli {
namespace {

using nlohmann::json;

const std::vector<Flag>& GlobalFlags() {
  static const std::vector<Flag> flags = {
      {"addr", "HOST:PORT", "the daemon's gRPC address (default 127.0.0.1:7070; $SHEQU_ADDR)"},
      {"token", "TOKEN",
       "your API token, sent as `authorization: Bearer` ($SHEQU_TOKEN; `shequctl tokens "
       "create`)"},
      {"ca", "FILE", "TLS: the CA certificate (PEM) the daemon's is checked against ($SHEQU_CA)"},
      {"cert", "FILE", "mTLS: your client certificate (PEM; $SHEQU_CERT), with --key"},
      {"key", "FILE", "mTLS: the client certificate's private key (PEM; $SHEQU_KEY)"},
      {"server-name", "NAME",
       "TLS: the name the daemon's certificate must carry, if not the host of --addr "
       "($SHEQU_SERVER_NAME)"},
      {"tls", "",
       "use TLS (the default when --ca, --cert or --server-name is given or --addr is not "
       "loopback)"},
      {"plaintext", "", "no TLS (the default for 127.0.0.1 and localhost)"},
      {"user", "USER", "development mode (`auth: headers`) only: x-shequ-user ($SHEQU_USER)"},
      {"roles", "R1,R2", "development mode only: x-shequ-roles ($SHEQU_ROLES)"},
      {"unit", "UNIT",
       "development mode only: x-shequ-unit ($SHEQU_UNIT); after a command that has its own "
       "--unit, put it before the command"},
      {"json", "", "print the answers as JSON, one message per line (proto field names)"},
      {"timeout", "SECONDS", "deadline of each call (default 30; streams that follow have none)"},
  };
  return flags;
}

std::vector<Command> AllCommands() {
  std::vector<Command> all;
  for (auto group : {InstanceCommands, TaskCommands, IncidentCommands, NotifyCommands,
                     WorkforceCommands, RecruitmentCommands, ReviewCommands, PluginCommands,
                     AdminCommands, AuditCommands, PrincipalCommands, PersonalDataCommands}) {
    for (auto& c : group()) all.push_back(std::move(c));
  }
  return all;
}

std::string Env(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

std::string FlagLine(const Flag& f) {
  std::string left = f.short_name ? absl::StrCat("-", std::string(1, f.short_name), ", --", f.name)
                                  : absl::StrCat("    --", f.name);
  if (!f.value_name.empty()) absl::StrAppend(&left, " ", f.value_name);
  if (f.repeated) absl::StrAppend(&left, " ...");
  std::string line = absl::StrCat("  ", left);
  line.append(left.size() < 28 ? 28 - left.size() : 1, ' ');
  return absl::StrCat(line, f.help, "\n");
}

constexpr char kExitCodes[] =
    "Exit codes:\n"
    "  0  done\n"
    "  1  any other error\n"
    "  2  usage: the command line is wrong (unknown command or flag, missing argument)\n"
    "  3  INVALID_ARGUMENT: a value is malformed; the message names the field (or row and "
    "column)\n"
    "  4  NOT_FOUND: no such instance, task, incident, unit, worker, plugin, operation or file\n"
    "  5  FAILED_PRECONDITION or ALREADY_EXISTS: the state does not allow it (a completed task, "
    "a full quota)\n"
    "  6  UNAVAILABLE: the daemon cannot be reached, or its store refuses writes (retry with the "
    "same --request-id)\n"
    "  7  UNAUTHENTICATED or PERMISSION_DENIED: no token, or one the daemon refuses (expired, "
    "revoked), or the call is not allowed to you\n"
    "Errors are printed on stderr as `shequctl: CODE: message`.\n";

// Commands with subcommands ("workforce units"): one line each in the top help, and their own
// help page.
struct Group {
  const char* name;
  const char* summary;  // the top help's line
  const char* intro;    // the group help's text before the subcommands
};

const std::vector<Group>& Groups() {
  static const std::vector<Group> groups = {
      {"workforce", "the workforce registry: units, quotas, workers, roster import/export, reports",
       "The workforce registry. Personal data (name, ID number, phone) is masked unless you "
       "have a\npersonal-data role (personnel, district-admin by default): pass --roles.\n"},
      {"recruitment", "open-recruitment campaigns: where each stands (funnel, waiting steps)",
       "Open-recruitment campaigns (docs/api.md, \"Recruitment\"), read-only: the steps are taken\n"
       "by the department systems through the API or the clients.\n"},
      {"reviews", "the annual review: cycles, reports, ballots, scores, results, appeals",
       "The annual review (年度考核) of the community workers (docs/api.md, \"Annual review\"):\n"
       "one cycle per street office per year (bh.hp/2026). The steps complete the workflow's\n"
       "tasks as you: your role and unit decide which you may take.\n"},
      {"plugins", "the department plugins: list, describe, invoke their operations",
       "The department plugins the daemon loaded from its plugins_dir (docs/api.md, "
       "\"Plugins\").\n"},
      {"audit", "the audit trail: verify its chain (a database file or the daemon's), list entries",
       "The hash-chained audit trail of every change, refusal and reveal of personal data\n"
       "(docs/security.md, \"Audit trail\").\n"},
      {"personal-data", "what is held about one ID number (PIPL): export, erase",
       "Personal data under PIPL (docs/security.md, \"Personal data\"): everything held about "
       "one\nID number, and its erasure. Roles personnel and district-admin.\n"},
      {"principals", "people and department systems: their roles and unit scope",
       "Principals: who may call the daemon, with which roles, for which unit and the units "
       "under it\n(docs/security.md). Administrators only.\n"},
      {"tokens", "API tokens: create (shown once), list, revoke",
       "API tokens of principals (docs/security.md). A token's secret is printed once, by "
       "`tokens create`;\nthe daemon keeps only its hash. Administrators only.\n"},
  };
  return groups;
}

const Group* FindGroup(const std::string& name) {
  for (const Group& g : Groups()) {
    if (name == g.name) return &g;
  }
  return nullptr;
}

// The group of a command name ("workforce units" -> workforce), or nullptr.
const Group* GroupOf(const std::string& command) {
  const auto space = command.find(' ');
  return space == std::string::npos ? nullptr : FindGroup(command.substr(0, space));
}

void PrintTopHelp(std::ostream& out, const std::vector<Command>& commands) {
  out << "shequctl — the command line for shequd (gRPC API shequ.v1)\n\n"
         "Usage: shequctl [global flags] COMMAND [arguments] [flags]\n\nCommands:\n";
  for (const Command& c : commands) {
    if (GroupOf(c.name)) continue;
    out << "  " << c.name << std::string(c.name.size() < 15 ? 15 - c.name.size() : 1, ' ')
        << c.summary << "\n";
  }
  for (const Group& g : Groups()) {
    const std::string name = g.name;
    out << "  " << name << std::string(name.size() < 15 ? 15 - name.size() : 1, ' ') << g.summary
        << "\n                 (shequctl " << name << " --help)\n";
  }
  out << "\nGlobal flags (before the command, or after it):\n";
  for (const Flag& f : GlobalFlags()) out << FlagLine(f);
  out << "  -h, --help                  help; `shequctl COMMAND --help` for a command\n\n"
      << kExitCodes;
}

void PrintGroupHelp(std::ostream& out, const Group& group, const std::vector<Command>& commands) {
  const std::string prefix = absl::StrCat(group.name, " ");
  out << "Usage: shequctl " << group.name << " SUBCOMMAND [arguments] [flags]\n\n"
      << group.intro << "\nSubcommands:\n";
  for (const Command& c : commands) {
    if (!absl::StartsWith(c.name, prefix)) continue;
    const std::string sub = c.name.substr(prefix.size());
    out << "  " << sub << std::string(sub.size() < 12 ? 12 - sub.size() : 1, ' ') << c.summary
        << "\n";
  }
  out << "\n`shequctl " << group.name << " SUBCOMMAND --help` for one of them.\n";
}

void PrintCommandHelp(std::ostream& out, const Command& c) {
  out << "Usage: shequctl " << c.name << (c.usage.empty() ? "" : " ") << c.usage << "\n\n"
      << c.summary << "\n";
  if (!c.details.empty()) out << "\n" << c.details << (c.details.back() == '\n' ? "" : "\n");
  if (!c.flags.empty()) {
    out << "\nFlags:\n";
    for (const Flag& f : c.flags) out << FlagLine(f);
  }
  out << "\nGlobal flags: --addr, --token, --ca, --cert, --key, --server-name, --tls, --plaintext,\n"
         "--json, --timeout; --user, --roles, --unit in development mode (shequctl --help).\n";
}

const Flag* FindFlag(const std::vector<Flag>& flags, const std::string& name, bool short_form) {
  for (const Flag& f : flags) {
    if (short_form ? (name.size() == 1 && f.short_name == name[0]) : f.name == name) return &f;
  }
  return nullptr;
}

// Applies a global flag's value; false with *error when the value is wrong.
bool SetGlobal(Globals* g, const std::string& name, const std::string& value, std::string* error) {
  if (name == "addr") {
    g->addr = value;
  } else if (name == "token") {
    g->token = value;
  } else if (name == "ca") {
    g->ca_file = value;
  } else if (name == "cert") {
    g->cert_file = value;
  } else if (name == "key") {
    g->key_file = value;
  } else if (name == "server-name") {
    g->server_name = value;
  } else if (name == "tls") {
    g->tls = true;
  } else if (name == "plaintext") {
    g->tls = false;
  } else if (name == "user") {
    g->user = value;
  } else if (name == "roles") {
    g->roles = value;
  } else if (name == "unit") {
    g->unit = value;
  } else if (name == "json") {
    g->json = true;
  } else if (name == "timeout") {
    if (!absl::SimpleAtod(value, &g->timeout_s) || g->timeout_s <= 0) {
      *error = absl::StrCat("--timeout: '", value, "' is not a positive number of seconds");
      return false;
    }
  }
  return true;
}

// Parses the flags and arguments after the command name (from argv[*i]). Returns kOk, or
// kUsage after printing why; -1 when help was printed.
int ParseCommandLine(const Command& c, const std::vector<std::string>& argv, size_t i, Globals* g,
                     Args* args) {
  const std::string where = absl::StrCat("shequctl ", c.name);
  auto usage = [&](const std::string& message) {
    std::cerr << "shequctl: " << c.name << ": " << message << "\n(see `" << where << " --help`)\n";
    return static_cast<int>(kUsage);
  };
  bool only_positional = false;
  for (; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (only_positional || a.size() < 2 || a[0] != '-' ||
        (a[1] != '-' && !std::isalpha(static_cast<unsigned char>(a[1])))) {
      args->positional.push_back(a);
      continue;
    }
    if (a == "--") {
      only_positional = true;
      continue;
    }
    if (a == "--help" || a == "-h") {
      PrintCommandHelp(std::cout, c);
      return -1;
    }
    const bool short_form = a[1] != '-';
    std::string name = a.substr(short_form ? 1 : 2);
    std::optional<std::string> value;
    if (auto eq = name.find('='); !short_form && eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    const Flag* flag = FindFlag(c.flags, name, short_form);
    const bool global = flag == nullptr && !short_form && FindFlag(GlobalFlags(), name, false);
    if (global) flag = FindFlag(GlobalFlags(), name, false);
    if (flag == nullptr) return usage(absl::StrCat("unknown flag ", a));
    if (flag->value_name.empty()) {
      if (value) return usage(absl::StrCat("--", flag->name, " takes no value"));
      value = "";
    } else if (!value) {
      if (i + 1 >= argv.size())
        return usage(absl::StrCat(a, " needs a value (", flag->value_name, ")"));
      value = argv[++i];
    }
    if (global) {
      std::string error;
      if (!SetGlobal(g, flag->name, *value, &error)) return usage(error);
      continue;
    }
    if (args->Has(flag->name) && !flag->repeated) {
      return usage(absl::StrCat("--", flag->name, " given twice"));
    }
    args->Set(flag->name, *std::move(value));
  }
  if (args->positional.size() < c.min_args) {
    return usage(absl::StrCat("missing argument", c.usage.empty() ? "" : ": ", c.usage));
  }
  if (args->positional.size() > c.max_args) {
    return usage(absl::StrCat("unexpected argument '", args->positional[c.max_args], "'"));
  }
  return kOk;
}

// The whole file, or NOT_FOUND naming it (`what` says which option gave it).
grpc::Status ReadPem(const std::string& path, const std::string& what, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  if (in) text << in.rdbuf();
  if (!in || in.bad()) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        absl::StrCat(what, ": cannot read ", path));
  }
  *out = text.str();
  return grpc::Status::OK;
}

std::atomic<bool> g_interrupted{false};

extern "C" void OnInterrupt(int) { g_interrupted = true; }

}  // namespace

std::string Args::Get(const std::string& flag, const std::string& fallback) const {
  auto it = values_.find(flag);
  return it == values_.end() ? fallback : it->second.back();
}

const std::vector<std::string>& Args::All(const std::string& flag) const {
  static const std::vector<std::string> kNone;
  auto it = values_.find(flag);
  return it == values_.end() ? kNone : it->second;
}

std::string CodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED:
      return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS:
      return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    default:
      return absl::StrCat("CODE_", static_cast<int>(code));
  }
}

int ExitCodeOf(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return kOk;
    case grpc::StatusCode::INVALID_ARGUMENT:
      return kInvalidArgument;
    case grpc::StatusCode::NOT_FOUND:
      return kNotFound;
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::ALREADY_EXISTS:
      return kConflict;
    case grpc::StatusCode::UNAVAILABLE:
      return kUnavailable;
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::PERMISSION_DENIED:
      return kDenied;
    default:
      return kOther;
  }
}

bool IsLoopback(const std::string& address) {
  if (absl::StartsWith(address, "unix:")) return true;
  std::string host = address;
  if (const auto colon = host.rfind(':'); colon != std::string::npos) host.resize(colon);
  for (const char* scheme : {"ipv4:", "ipv6:"}) {
    if (absl::StartsWith(host, scheme)) host = host.substr(std::string(scheme).size());
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return absl::StartsWith(host, "127.") || host == "localhost" || host == "::1";
}

grpc::Status Connect(const Globals& g, Connection* out) {
  out->arguments.SetMaxReceiveMessageSize(64 << 20);
  out->tls = g.tls.value_or(!g.ca_file.empty() || !g.cert_file.empty() || !g.key_file.empty() ||
                            !g.server_name.empty() || !IsLoopback(g.addr));
  if (!out->tls) {
    out->credentials = grpc::InsecureChannelCredentials();
    return grpc::Status::OK;
  }
  if (g.cert_file.empty() != g.key_file.empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "--cert and --key go together (mTLS): give both or neither");
  }
  grpc::SslCredentialsOptions ssl;
  if (!g.ca_file.empty()) {
    if (auto s = ReadPem(g.ca_file, "--ca", &ssl.pem_root_certs); !s.ok()) return s;
  }
  if (!g.cert_file.empty()) {
    if (auto s = ReadPem(g.cert_file, "--cert", &ssl.pem_cert_chain); !s.ok()) return s;
    if (auto s = ReadPem(g.key_file, "--key", &ssl.pem_private_key); !s.ok()) return s;
  }
  if (!g.server_name.empty()) out->arguments.SetSslTargetNameOverride(g.server_name);
  out->credentials = grpc::SslCredentials(ssl);
  return grpc::Status::OK;
}

Cli::Cli(Globals globals) : globals_(std::move(globals)) {}

grpc::Status Cli::Open() {
  if (auto s = Connect(globals_, &connection_); !s.ok()) return s;
  connected_ = true;
  return grpc::Status::OK;
}

std::shared_ptr<grpc::Channel> Cli::channel() {
  if (!channel_) {
    if (!connected_) Open();  // a failure leaves insecure credentials: calls then fail
    if (!connection_.credentials) connection_.credentials = grpc::InsecureChannelCredentials();
    channel_ = grpc::CreateCustomChannel(globals_.addr, connection_.credentials,
                                         connection_.arguments);
  }
  return channel_;
}

void Cli::Prepare(grpc::ClientContext* ctx, bool stream) const {
  if (!globals_.token.empty()) {
    ctx->AddMetadata("authorization", absl::StrCat("Bearer ", globals_.token));
  }
  if (!globals_.user.empty()) ctx->AddMetadata("x-shequ-user", globals_.user);
  if (!globals_.roles.empty()) ctx->AddMetadata("x-shequ-roles", globals_.roles);
  if (!globals_.unit.empty()) ctx->AddMetadata("x-shequ-unit", globals_.unit);
  if (!stream) {
    ctx->set_deadline(std::chrono::system_clock::now() +
                      std::chrono::milliseconds(static_cast<int64_t>(globals_.timeout_s * 1000)));
  }
}

int Cli::Fail(grpc::StatusCode code, const std::string& message) const {
  std::string text = message;
  if (code == grpc::StatusCode::UNAVAILABLE) {
    text = absl::StrCat(globals_.addr, ": ", text);  // say which daemon is unreachable
  }
  if (code == grpc::StatusCode::UNAUTHENTICATED && globals_.token.empty()) {
    absl::StrAppend(&text, " (no token was sent: pass --token or set SHEQU_TOKEN)");
  }
  std::cerr << "shequctl: " << CodeName(code) << ": " << text << std::endl;
  return ExitCodeOf(code);
}

int Cli::Fail(const grpc::Status& status) const {
  return Fail(status.error_code(), status.error_message());
}

int Cli::Usage(const std::string& command, const std::string& message) const {
  std::cerr << "shequctl: " << command << ": " << message << "\n(see `shequctl " << command
            << " --help`)" << std::endl;
  return kUsage;
}

void Cli::PrintJson(const google::protobuf::Message& message) const {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string out;
  auto status = google::protobuf::util::MessageToJsonString(message, &out, options);
  if (!status.ok()) out = nlohmann::json{{"error", std::string(status.message())}}.dump();
  std::cout << out << std::endl;
}

std::optional<int64_t> Cli::ParseId(const std::string& text) {
  int64_t id = 0;
  if (!absl::SimpleAtoi(text, &id) || id <= 0) return std::nullopt;
  return id;
}

bool BuildVariables(const Args& args, std::string* out, std::string* error) {
  json vars = json::object();
  if (args.Has("vars")) {
    vars = json::parse(args.Get("vars"), nullptr, false);
    if (vars.is_discarded() || !vars.is_object()) {
      *error = "--vars: not a JSON object";
      return false;
    }
  }
  for (const std::string& kv : args.All("var")) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      *error = absl::StrCat("--var: '", kv, "' is not KEY=VALUE");
      return false;
    }
    const std::string value = kv.substr(eq + 1);
    json parsed = json::parse(value, nullptr, false);  // 2, true, "x", [1] as JSON
    vars[kv.substr(0, eq)] = parsed.is_discarded() ? json(value) : parsed;
  }
  *out = vars.empty() ? "" : vars.dump();
  return true;
}

InterruptGuard::InterruptGuard(grpc::ClientContext* ctx) {
  g_interrupted = false;
  struct sigaction sa {};
  sa.sa_handler = OnInterrupt;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  watcher_ = std::thread([this, ctx] {
    while (!done_) {
      if (g_interrupted) {
        ctx->TryCancel();
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
}

InterruptGuard::~InterruptGuard() {
  done_ = true;
  watcher_.join();
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
}

bool InterruptGuard::interrupted() { return g_interrupted; }

int Main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  const std::vector<Command> commands = AllCommands();
  Globals g;
  g.addr = Env("SHEQU_ADDR", g.addr);
  g.token = Env("SHEQU_TOKEN", "");
  g.ca_file = Env("SHEQU_CA", "");
  g.cert_file = Env("SHEQU_CERT", "");
  g.key_file = Env("SHEQU_KEY", "");
  g.server_name = Env("SHEQU_SERVER_NAME", "");
  g.user = Env("SHEQU_USER", "");
  g.roles = Env("SHEQU_ROLES", "");
  g.unit = Env("SHEQU_UNIT", "");

  auto usage = [](const std::string& message) {
    std::cerr << "shequctl: " << message << "\n(see `shequctl --help`)\n";
    return static_cast<int>(kUsage);
  };
  size_t i = 0;
  for (; i < args.size() && absl::StartsWith(args[i], "-"); ++i) {  // global flags first
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      PrintTopHelp(std::cout, commands);
      return kOk;
    }
    std::string name = absl::StartsWith(a, "--") ? a.substr(2) : "";
    std::optional<std::string> value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    const Flag* flag = FindFlag(GlobalFlags(), name, false);
    if (flag == nullptr) return usage(absl::StrCat("unknown flag ", a));
    if (flag->value_name.empty()) {
      value = "";
    } else if (!value) {
      if (i + 1 >= args.size()) return usage(absl::StrCat(a, " needs a value"));
      value = args[++i];
    }
    std::string error;
    if (!SetGlobal(&g, flag->name, *value, &error)) return usage(error);
  }
  if (i >= args.size()) {
    PrintTopHelp(std::cerr, commands);
    return kUsage;
  }
  std::string name = args[i++];
  if (name == "help") {
    PrintTopHelp(std::cout, commands);
    return kOk;
  }
  if (const Group* group = FindGroup(name)) {
    if (i >= args.size() || args[i] == "--help" || args[i] == "-h") {
      PrintGroupHelp(i >= args.size() ? std::cerr : std::cout, *group, commands);
      return i >= args.size() ? kUsage : kOk;
    }
    name += " " + args[i++];
  }
  const Command* command = nullptr;
  for (const Command& c : commands) {
    if (c.name == name) command = &c;
  }
  if (command == nullptr) return usage(absl::StrCat("unknown command '", name, "'"));
  Args parsed;
  if (int rc = ParseCommandLine(*command, args, i, &g, &parsed); rc != kOk) {
    return rc < 0 ? kOk : rc;
  }
  Cli cli(g);
  if (auto s = cli.Open(); !s.ok()) return cli.Fail(s);
  return command->run(cli, parsed);
}

}  // namespace shequ::cli
