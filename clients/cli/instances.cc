// shequctl deploy, start, get, list, watch: definitions and workflow instances.

#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "clients/cli/cli.h"
#include "clients/cli/table.h"
#include "shequ/v1/definitions.grpc.pb.h"
#include "shequ/v1/instances.grpc.pb.h"

namespace shequ::cli {
namespace {

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream s;
  s << in.rdbuf();
  *out = s.str();
  return true;
}

int Deploy(Cli& cli, const Args& args) {
  v1::DeployRequest req;
  const std::string& path = args.positional[0];
  if (!ReadFile(path, req.mutable_yaml())) {
    return cli.Fail(grpc::StatusCode::NOT_FOUND, absl::StrCat(path, ": cannot read the file"));
  }
  req.set_request_id(args.Get("request-id"));
  grpc::ClientContext ctx;
  cli.Prepare(&ctx);
  v1::DeployResponse resp;
  auto s = v1::Definitions::NewStub(cli.channel())->Deploy(&ctx, req, &resp);
  if (!s.ok()) return cli.Fail(s);
  if (cli.json()) {
    cli.PrintJson(resp);
  } else {
    std::cout << "deployed " << resp.id() << " version " << resp.version()
              << (resp.changed() ? "" : " (unchanged)") << "\n";
  }
  return kOk;
}

int Start(Cli& cli, const Args& args) {
  v1::StartRequest req;
  req.set_definition_id(args.positional[0]);
  std::string error;
  if (!BuildVariables(args, req.mutable_variables(), &error)) {
    return cli.Fail(grpc::StatusCode::INVALID_ARGUMENT, error);
  }
  req.set_business_key(args.Get("business-key"));
  req.set_unit(args.Get("unit"));
  req.set_request_id(args.Get("request-id"));
  grpc::ClientContext ctx;
  cli.Prepare(&ctx);
  v1::StartResponse resp;
  auto s = v1::Instances::NewStub(cli.channel())->Start(&ctx, req, &resp);
  if (!s.ok()) return cli.Fail(s);
  if (cli.json()) {
    cli.PrintJson(resp);
  } else {
    std::cout << "started instance " << resp.instance_id() << " (" << req.definition_id()
              << " version " << resp.definition_version() << ")\n";
  }
  return kOk;
}

int Get(Cli& cli, const Args& args) {
  auto id = Cli::ParseId(args.positional[0]);
  if (!id) return cli.Usage("get", "INSTANCE must be a positive number");
  v1::GetInstanceRequest req;
  req.set_id(*id);
  grpc::ClientContext ctx;
  cli.Prepare(&ctx);
  v1::Instance inst;
  auto s = v1::Instances::NewStub(cli.channel())->Get(&ctx, req, &inst);
  if (!s.ok()) return cli.Fail(s);
  if (cli.json()) {
    cli.PrintJson(inst);
    return kOk;
  }
  Table t;
  t.Add({"id", std::to_string(inst.id())});
  t.Add({"definition", absl::StrCat(inst.definition_id(), " v", inst.definition_version())});
  t.Add({"state", inst.state()});
  if (!inst.end_status().empty()) t.Add({"end status", inst.end_status()});
  if (!inst.business_key().empty()) t.Add({"business key", inst.business_key()});
  if (!inst.unit().empty()) t.Add({"unit", inst.unit()});
  if (inst.current_nodes_size() > 0) t.Add({"at", absl::StrJoin(inst.current_nodes(), ", ")});
  if (inst.parent_id() != 0) t.Add({"parent", std::to_string(inst.parent_id())});
  t.Add({"created", FormatTime(inst.created_at_ms())});
  t.Add({"updated", FormatTime(inst.updated_at_ms())});
  if (inst.ended_at_ms() != 0) t.Add({"ended", FormatTime(inst.ended_at_ms())});
  t.Add({"variables", inst.variables().empty() ? "{}" : inst.variables()});
  t.Print(std::cout);
  return kOk;
}

int List(Cli& cli, const Args& args) {
  v1::ListInstancesRequest req;
  req.set_definition_id(args.Get("definition"));
  req.set_state(args.Get("state"));
  req.set_business_key(args.Get("business-key"));
  req.set_unit(args.Get("unit"));
  auto stub = v1::Instances::NewStub(cli.channel());
  Table t({"ID", "DEFINITION", "STATE", "STATUS", "BUSINESS KEY", "UNIT", "AT", "UPDATED"});
  t.AlignRight(0);
  do {  // every page
    grpc::ClientContext ctx;
    cli.Prepare(&ctx);
    v1::ListInstancesResponse resp;
    auto s = stub->List(&ctx, req, &resp);
    if (!s.ok()) return cli.Fail(s);
    if (cli.json()) {
      cli.PrintJson(resp);
      return kOk;  // one page: scripts follow next_page_token themselves
    }
    for (const auto& i : resp.instances()) {
      t.Add({std::to_string(i.id()), absl::StrCat(i.definition_id(), " v", i.definition_version()),
             i.state(), i.end_status(), i.business_key(), i.unit(),
             absl::StrJoin(i.current_nodes(), ","), FormatTime(i.updated_at_ms())});
    }
    req.mutable_page()->set_page_token(resp.next_page_token());
  } while (!req.page().page_token().empty());
  if (t.empty()) {
    std::cout << "no instances\n";
  } else {
    t.Print(std::cout);
  }
  return kOk;
}

int Watch(Cli& cli, const Args& args) {
  v1::WatchRequest req;
  if (!args.positional.empty()) {
    auto id = Cli::ParseId(args.positional[0]);
    if (!id) return cli.Usage("watch", "INSTANCE must be a positive number");
    req.set_instance_id(*id);
  }
  if (args.Has("after")) {
    int64_t after = 0;
    if (!absl::SimpleAtoi(args.Get("after"), &after) || after < 0) {
      return cli.Usage("watch", "--after must be a sequence number");
    }
    req.set_after_seq(after);
  }
  grpc::ClientContext ctx;
  cli.Prepare(&ctx, /*stream=*/true);
  InterruptGuard guard(&ctx);
  auto reader = v1::Instances::NewStub(cli.channel())->Watch(&ctx, req);
  v1::Event e;
  bool ended = false;
  while (!ended && reader->Read(&e)) {
    if (cli.json()) {
      cli.PrintJson(e);
    } else {
      std::cout << PadLeft(std::to_string(e.seq()), 6) << "  " << FormatTime(e.at_ms()) << "  "
                << PadLeft(std::to_string(e.instance_id()), 5) << "  " << PadRight(e.type(), 20)
                << "  " << PadRight(e.node_id(), 12) << "  " << PadRight(e.actor(), 10) << "  "
                << (e.data() == "{}" ? "" : e.data()) << std::endl;
    }
    // Watching one instance ends with it.
    ended = req.instance_id() != 0 &&
            (e.type() == "instance.completed" || e.type() == "instance.cancelled" ||
             e.type() == "instance.failed");
  }
  if (ended) ctx.TryCancel();
  grpc::Status s = reader->Finish();
  if (ended || InterruptGuard::interrupted()) return kOk;
  if (!s.ok()) return cli.Fail(s);
  return kOk;
}

}  // namespace

std::vector<Command> InstanceCommands() {
  const Flag request_id{"request-id", "ID",
                        "makes a retry safe: the same id returns the first answer"};
  return {
      {"deploy",
       "FILE",
       "Deploys a workflow definition (YAML, docs/workflows.md)",
       "A new version is stored only when the text changed.",
       {request_id},
       1,
       1,
       Deploy},
      {"start",
       "DEFINITION [--var K=V ...] [--vars JSON]",
       "Starts a workflow instance",
       "Variables: --vars takes a JSON object; each --var K=V sets one (V is read as JSON when it\n"
       "is valid JSON, e.g. 2 or true, else as text) on top of it.",
       {{"var", "K=V", "one variable", true},
        {"vars", "JSON", "variables as a JSON object"},
        {"business-key", "KEY", "your reference, e.g. community-7"},
        {"unit", "UNIT", "the unit the instance belongs to (its tasks' scope)"},
        request_id},
       1,
       1,
       Start},
      {"get", "INSTANCE", "Shows one instance", "", {}, 1, 1, Get},
      {"list",
       "[flags]",
       "Lists instances (every page)",
       "",
       {{"definition", "ID", "only this definition"},
        {"state", "STATE", "active, completed, cancelled, failed"},
        {"business-key", "KEY", "only this business key"},
        {"unit", "UNIT", "only this unit"}},
       0,
       0,
       List},
      {"watch",
       "[INSTANCE] [--after SEQ]",
       "Follows the events of an instance (or of all)",
       "Prints the stored events after SEQ, then new ones as they commit, until Ctrl-C or (with\n"
       "INSTANCE) until the instance ends. Ctrl-C exits with 0.",
       {{"after", "SEQ", "start after this event sequence number (default: from the first)"}},
       0,
       1,
       Watch},
  };
}

}  // namespace shequ::cli
