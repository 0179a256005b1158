// shequctl advance-clock: moves a --fake-clock daemon's clock (demos and tests).

#include "clients/cli/cli.h"
#include "clients/cli/table.h"
#include "shequ/v1/admin.grpc.pb.h"

namespace shequ::cli {
namespace {

int AdvanceClock(Cli& cli, const Args& args) {
  v1::AdvanceClockRequest req;
  req.set_by(args.positional[0]);
  grpc::ClientContext ctx;
  cli.Prepare(&ctx);
  v1::AdvanceClockResponse resp;
  auto s = v1::Admin::NewStub(cli.channel())->AdvanceClock(&ctx, req, &resp);
  if (!s.ok()) return cli.Fail(s);
  if (cli.json()) {
    cli.PrintJson(resp);
  } else {
    std::cout << "clock at " << FormatTime(resp.now_ms()) << ", " << resp.timers_fired()
              << " timers fired\n";
  }
  return kOk;
}

}  // namespace

std::vector<Command> AdminCommands() {
  return {
      {"advance-clock",
       "DURATION",
       "Moves a --fake-clock daemon's clock forward (demos, tests)",
       "DURATION: PT1H, P3D, or working days such as 3wd. What came due fires before the\n"
       "answer. A daemon on the real clock refuses (exit 5).",
       {},
       1,
       1,
       AdvanceClock},
  };
}

}  // namespace shequ::cli
