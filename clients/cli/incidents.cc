// shequctl incidents, resolve.

#include "absl/strings/numbers.h"
#include "clients/cli/cli.h"
#include "clients/cli/table.h"
#include "shequ/v1/incidents.grpc.pb.h"

namespace shequ::cli {
namespace {

int ListIncidents(Cli& cli, const Args& args) {
  v1::ListIncidentsRequest req;
  req.set_state(args.Get("state"));
  if (args.Has("instance")) {
    auto id = Cli::ParseId(args.Get("instance"));
    if (!id) return cli.Usage("incidents", "--instance must be a positive number");
    req.set_instance_id(*id);
  }
  auto stub = v1::Incidents::NewStub(cli.channel());
  Table t({"ID", "INSTANCE", "NODE", "KIND", "STATE", "CREATED", "MESSAGE"});
  t.AlignRight(0);
  t.AlignRight(1);
  do {
    grpc::ClientContext ctx;
    cli.Prepare(&ctx);
    v1::ListIncidentsResponse resp;
    auto s = stub->List(&ctx, req, &resp);
    if (!s.ok()) return cli.Fail(s);
    if (cli.json()) {
      cli.PrintJson(resp);
      return kOk;
    }
    for (const auto& i : resp.incidents()) {
      t.Add({std::to_string(i.id()), std::to_string(i.instance_id()), i.node_id(), i.kind(),
             i.state(), FormatTime(i.created_at_ms()), i.message()});
    }
    req.mutable_page()->set_page_token(resp.next_page_token());
  } while (!req.page().page_token().empty());
  if (t.empty()) {
    std::cout << "no incidents\n";
  } else {
    t.Print(std::cout);
  }
  return kOk;
}

int Resolve(Cli& cli, const Args& args) {
  auto id = Cli::ParseId(args.positional[0]);
  if (!id) return cli.Usage("resolve", "INCIDENT must be a positive number");
  v1::ResolveIncidentRequest req;
  req.set_id(*id);
  if (args.Has("retries")) {
    int retries = 0;
    if (!absl::SimpleAtoi(args.Get("retries"), &retries) || retries < 0) {
      return cli.Usage("resolve", "--retries must be a number");
    }
    req.set_retries(retries);
  }
  std::string error;
  if (!BuildVariables(args, req.mutable_variables(), &error)) {
    return cli.Fail(grpc::StatusCode::INVALID_ARGUMENT, error);
  }
  req.set_request_id(args.Get("request-id"));
  grpc::ClientContext ctx;
  cli.Prepare(&ctx);
  v1::ResolveIncidentResponse resp;
  auto s = v1::Incidents::NewStub(cli.channel())->Resolve(&ctx, req, &resp);
  if (!s.ok()) return cli.Fail(s);
  if (cli.json()) {
    cli.PrintJson(resp);
  } else {
    std::cout << "resolved incident " << *id << "\n";
  }
  return kOk;
}

}  // namespace

std::vector<Command> IncidentCommands() {
  return {
      {"incidents",
       "[--state S] [--instance ID]",
       "Lists incidents (open ones unless --state)",
       "",
       {{"state", "STATE", "open, resolved, closed"}, {"instance", "ID", "of this instance"}},
       0,
       0,
       ListIncidents},
      {"resolve",
       "INCIDENT [--retries N] [--vars JSON]",
       "Retries what failed",
       "A job incident gets N new attempts (default 1); any other node is entered again. The\n"
       "variables are merged into the instance first.",
       {{"retries", "N", "new attempts for a job"},
        {"vars", "JSON", "variables (a JSON object) merged before retrying"},
        {"var", "K=V", "one variable", true},
        {"request-id", "ID", "makes a retry safe"}},
       1,
       1,
       Resolve},
  };
}

}  // namespace shequ::cli
