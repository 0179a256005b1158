// shequctl notify: reminders and notices (list, or --follow the subscription).

#include "absl/strings/str_split.h"
#include "clients/cli/cli.h"
#include "clients/cli/table.h"
#include "shequ/v1/notifications.grpc.pb.h"

namespace shequ::cli {
namespace {

std::vector<std::string> Row(const v1::Notification& n) {
  return {std::to_string(n.id()),
          n.kind(),
          n.recipient().empty() ? n.role() : n.recipient(),
          n.task_id() ? std::to_string(n.task_id()) : "",
          n.instance_id() ? std::to_string(n.instance_id()) : "",
          FormatTime(n.created_at_ms()),
          n.subject()};
}

const std::vector<std::string> kHeader = {"ID",       "KIND",    "FOR",    "TASK",
                                          "INSTANCE", "CREATED", "SUBJECT"};

int Follow(Cli& cli, const Args& args) {
  v1::SubscribeRequest req;
  req.set_recipient(args.Get("recipient"));
  req.set_unit(args.Get("unit"));
  req.set_within_unit(args.Has("within"));
  for (const std::string& role : args.All("role")) {
    for (auto r : absl::StrSplit(role, ',', absl::SkipEmpty())) req.add_roles(std::string(r));
  }
  grpc::ClientContext ctx;
  cli.Prepare(&ctx, /*stream=*/true);
  InterruptGuard guard(&ctx);
  auto reader = v1::Notifications::NewStub(cli.channel())->Subscribe(&ctx, req);
  v1::Notification n;
  while (reader->Read(&n)) {
    if (cli.json()) {
      cli.PrintJson(n);
    } else {
      Table line;  // one row at a time, in fixed minimum widths so lines roughly align
      auto row = Row(n);
      const int widths[] = {6, 16, 14, 5, 8, 19};
      for (size_t i = 0; i + 1 < row.size(); ++i) row[i] = PadRight(row[i], widths[i]);
      line.Add(row);
      std::cout << line.Render() << std::flush;
    }
  }
  grpc::Status s = reader->Finish();
  if (InterruptGuard::interrupted()) return kOk;
  return s.ok() ? kOk : cli.Fail(s);
}

int Notify(Cli& cli, const Args& args) {
  if (args.Has("follow")) return Follow(cli, args);
  if (args.All("role").size() > 1) return cli.Usage("notify", "one --role without --follow");
  v1::ListNotificationsRequest req;
  req.set_recipient(args.Get("recipient"));
  req.set_role(args.Get("role"));
  req.set_unit(args.Get("unit"));
  req.set_within_unit(args.Has("within"));
  req.set_include_acked(args.Has("all"));
  auto stub = v1::Notifications::NewStub(cli.channel());
  Table t(kHeader);
  t.AlignRight(0);
  do {
    grpc::ClientContext ctx;
    cli.Prepare(&ctx);
    v1::ListNotificationsResponse resp;
    auto s = stub->List(&ctx, req, &resp);
    if (!s.ok()) return cli.Fail(s);
    if (cli.json()) {
      cli.PrintJson(resp);
      return kOk;
    }
    for (const auto& n : resp.notifications()) t.Add(Row(n));
    req.mutable_page()->set_page_token(resp.next_page_token());
  } while (!req.page().page_token().empty());
  if (t.empty()) {
    std::cout << "no notifications\n";
  } else {
    t.Print(std::cout);
  }
  return kOk;
}

}  // namespace

std::vector<Command> NotifyCommands() {
  return {
      {"notify",
       "[--recipient USER] [--role ROLE] [--unit UNIT [--within]] [--follow]",
       "Lists reminders and notices, or follows them as they come",
       "Without --follow: the unacknowledged notifications (--all: acknowledged ones too).\n"
       "With --follow: the unacknowledged backlog, then new ones as they commit, until Ctrl-C\n"
       "(exit 0); --role may then be repeated or comma-separated.",
       {{"recipient", "USER", "notifications for this person"},
        {"role", "ROLE", "notifications for this role", true},
        {"unit", "UNIT", "only the role's notifications for this unit (and unit-less ones)"},
        {"within", "", "with --unit: and for every unit under it (a street's communities)"},
        {"all", "", "include acknowledged ones"},
        {"follow", "", "subscribe: keep printing new ones"}},
       0,
       0,
       Notify},
  };
}

}  // namespace shequ::cli
