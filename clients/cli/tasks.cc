// shequctl tasks, claim, complete: user tasks.

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "clients/cli/cli.h"
#include "clients/cli/table.h"
#include "shequ/v1/tasks.grpc.pb.h"

namespace shequ::cli {
namespace {

int ListTasks(Cli& cli, const Args& args) {
  v1::ListTasksRequest req;
  req.set_role(args.Get("role"));
  req.set_assignee(args.Get("assignee"));
  req.set_unit(args.Get("unit"));
  req.set_within_unit(args.Has("within"));
  req.set_state(args.Get("state"));
  if (args.Has("instance")) {
    auto id = Cli::ParseId(args.Get("instance"));
    if (!id) return cli.Usage("tasks", "--instance must be a positive number");
    req.set_instance_id(*id);
  }
  auto stub = v1::Tasks::NewStub(cli.channel());
  Table t({"ID", "INSTANCE", "TASK", "STATE", "ROLE", "UNIT", "ASSIGNEE", "DUE", "OUTCOMES"});
  t.AlignRight(0);
  t.AlignRight(1);
  do {
    grpc::ClientContext ctx;
    cli.Prepare(&ctx);
    v1::ListTasksResponse resp;
    auto s = stub->List(&ctx, req, &resp);
    if (!s.ok()) return cli.Fail(s);
    if (cli.json()) {
      cli.PrintJson(resp);
      return kOk;
    }
    for (const auto& k : resp.tasks()) {
      t.Add({std::to_string(k.id()), std::to_string(k.instance_id()), k.name(),
             k.state() + (k.escalated() ? " (escalated)" : ""), k.role(), k.unit(), k.assignee(),
             FormatTime(k.due_at_ms()), absl::StrJoin(k.outcomes(), "/")});
    }
    req.mutable_page()->set_page_token(resp.next_page_token());
  } while (!req.page().page_token().empty());
  if (t.empty()) {
    std::cout << "no tasks\n";
  } else {
    t.Print(std::cout);
  }
  return kOk;
}

int Claim(Cli& cli, const Args& args) {
  auto id = Cli::ParseId(args.positional[0]);
  if (!id) return cli.Usage("claim", "TASK must be a positive number");
  v1::ClaimRequest req;
  req.set_task_id(*id);
  req.set_request_id(args.Get("request-id"));
  grpc::ClientContext ctx;
  cli.Prepare(&ctx);
  v1::TaskResponse resp;
  auto s = v1::Tasks::NewStub(cli.channel())->Claim(&ctx, req, &resp);
  if (!s.ok()) return cli.Fail(s);
  if (cli.json()) {
    cli.PrintJson(resp.task());
  } else {
    std::cout << "claimed task " << resp.task().id() << " (" << resp.task().name() << "), assignee "
              << resp.task().assignee() << "\n";
  }
  return kOk;
}

int Complete(Cli& cli, const Args& args) {
  auto id = Cli::ParseId(args.positional[0]);
  if (!id) return cli.Usage("complete", "TASK must be a positive number");
  v1::CompleteRequest req;
  req.set_task_id(*id);
  req.set_outcome(args.Get("outcome"));
  std::string error;
  if (!BuildVariables(args, req.mutable_variables(), &error)) {
    return cli.Fail(grpc::StatusCode::INVALID_ARGUMENT, error);
  }
  req.set_comment(args.Get("comment"));
  req.set_request_id(args.Get("request-id"));
  grpc::ClientContext ctx;
  cli.Prepare(&ctx);
  v1::TaskResponse resp;
  auto s = v1::Tasks::NewStub(cli.channel())->Complete(&ctx, req, &resp);
  if (!s.ok()) return cli.Fail(s);
  if (cli.json()) {
    cli.PrintJson(resp.task());
  } else {
    std::cout << "completed task " << resp.task().id() << " (" << resp.task().name() << ")"
              << (resp.task().outcome().empty() ? "" : ": " + resp.task().outcome()) << "\n";
  }
  return kOk;
}

}  // namespace

std::vector<Command> TaskCommands() {
  const Flag request_id{"request-id", "ID",
                        "makes a retry safe: the same id returns the first answer"};
  return {
      {"tasks",
       "[flags]",
       "Lists user tasks (open and claimed ones unless --state)",
       "",
       {{"role", "ROLE", "tasks for this role"},
        {"assignee", "USER", "tasks assigned to this person"},
        {"unit", "UNIT", "tasks of this unit"},
        {"within", "", "with --unit: and of every unit under it (a street's communities)"},
        {"state", "STATE", "open, claimed, delegated, completed, cancelled"},
        {"instance", "ID", "tasks of this instance"}},
       0,
       0,
       ListTasks},
      {"claim",
       "TASK",
       "Claims a task for yourself (--user, --roles)",
       "",
       {request_id},
       1,
       1,
       Claim},
      {"complete",
       "TASK [--outcome O] [--vars JSON]",
       "Completes a task",
       "The outcome is one of the task's OUTCOMES (shequctl tasks); variables are merged into\n"
       "the instance.",
       {{"outcome", "OUTCOME", "e.g. approved"},
        {"vars", "JSON", "variables (a JSON object) merged into the instance"},
        {"var", "K=V", "one variable", true},
        {"comment", "TEXT", "a comment kept with the task"},
        request_id},
       1,
       1,
       Complete},
  };
}

}  // namespace shequ::cli
