// shequctl personal-data: what the daemon holds about one ID number (PIPL): export, erase.

#include "absl/strings/str_join.h"
#include "clients/cli/cli.h"
#include "nlohmann/json.hpp"
#include "shequ/v1/personal_data.grpc.pb.h"

namespace shequ::cli {
namespace {

int Export(Cli& cli, const Args& args) {
  v1::ExportPersonalDataRequest req;
  req.set_id_number(args.positional[0]);
  grpc::ClientContext ctx;
  cli.Prepare(&ctx);
  v1::ExportPersonalDataResponse resp;
  auto s = v1::PersonalData::NewStub(cli.channel())->Export(&ctx, req, &resp);
  if (!s.ok()) return cli.Fail(s);
  if (cli.json()) {
    cli.PrintJson(resp);
  } else {
    std::cout << nlohmann::json::parse(resp.document(), nullptr, false).dump(2) << "\n";
  }
  return kOk;
}

int Erase(Cli& cli, const Args& args) {
  if (!args.Has("justification")) {
    return cli.Usage("personal-data erase", "--justification is required");
  }
  v1::ErasePersonalDataRequest req;
  req.set_id_number(args.positional[0]);
  req.set_justification(args.Get("justification"));
  req.set_request_id(args.Get("request-id"));
  grpc::ClientContext ctx;
  cli.Prepare(&ctx);
  v1::ErasePersonalDataResponse resp;
  auto s = v1::PersonalData::NewStub(cli.channel())->Erase(&ctx, req, &resp);
  if (!s.ok()) return cli.Fail(s);
  if (cli.json()) {
    cli.PrintJson(resp);
  } else {
    std::cout << "erased: " << resp.records() << " records ("
              << absl::StrJoin(resp.modules(), ", ") << ")\n";
  }
  return kOk;
}

}  // namespace

std::vector<Command> PersonalDataCommands() {
  return {
      {"personal-data export",
       "ID_NUMBER",
       "Everything the daemon holds about one ID number, unmasked (PIPL art. 45)",
       "Prints the JSON document (one member per module). Roles personnel and district-admin;\n"
       "the export is recorded in the audit trail as a reveal.",
       {},
       1,
       1,
       Export},
      {"personal-data erase",
       "ID_NUMBER --justification TEXT",
       "Anonymises everything held about one ID number (PIPL art. 47)",
       "Worker records and applications stay for statistics with \"[erased]\" instead of name,\n"
       "ID number and phone. Refused (exit 5) while the data is still needed: a worker who has\n"
       "not left, an application a running campaign needs. Exit 4 when nothing is held.\n"
       "Roles personnel and district-admin. docs/security.md, \"Personal data\".",
       {{"justification", "TEXT",
         "required: the legal basis or the request's reference (no personal data in it)"},
        {"request-id", "ID", "makes a retry safe: the same id returns the first answer"}},
       1,
       1,
       Erase},
  };
}

}  // namespace shequ::cli
