// shequctl recruitment campaigns, recruitment campaign: where the open-recruitment campaigns
// stand (read-only; the steps are taken by the department systems and the clients).

#include <iostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "clients/cli/cli.h"
#include "clients/cli/table.h"
#include "shequ/v1/recruitment.grpc.pb.h"

namespace shequ::cli {
namespace {

std::string Posts(const v1::CampaignSpec& spec) {
  int64_t posts = 0;
  for (const auto& p : spec.posts()) posts += p.count();
  return std::to_string(posts);
}

std::string Funnel(const v1::Funnel& f) {
  return absl::StrCat(f.applied(), " → ", f.eligible(), " → ", f.examined(), " → ",
                      f.interviewed(), " → ", f.notified(), " → ", f.hired());
}

std::string Num(int64_t v) { return std::to_string(v); }

// "3d" from a day on, else "5h".
std::string Duration(int64_t ms) {
  return ms >= 86'400'000 ? absl::StrCat(ms / 86'400'000, "d") : absl::StrCat(ms / 3'600'000, "h");
}

int ListCampaigns(Cli& cli, const Args& args) {
  v1::ListCampaignsRequest req;
  req.set_street_unit_id(args.Get("street"));
  req.set_state(args.Get("state"));
  auto stub = v1::Recruitment::NewStub(cli.channel());
  grpc::ClientContext ctx;
  cli.Prepare(&ctx);
  v1::ListCampaignsResponse resp;
  if (auto s = stub->ListCampaigns(&ctx, req, &resp); !s.ok()) return cli.Fail(s);
  if (cli.json()) {
    for (const auto& c : resp.campaigns()) cli.PrintJson(c);
    return kOk;
  }
  if (resp.campaigns().empty()) {
    std::cout << "no campaigns\n";
    return kOk;
  }
  Table t({"ID", "STREET", "STATE", "WINDOW", "POSTS", "APPLIED → ELIGIBLE → EXAMINED → "
                                                       "INTERVIEWED → NOTIFIED → HIRED",
           "TITLE"});
  t.AlignRight(4);
  for (const auto& c : resp.campaigns()) {
    t.Add({c.spec().id(), c.spec().street_unit_id(), c.state(),
           c.spec().opens() + " – " + c.spec().closes(), Posts(c.spec()), Funnel(c.funnel()),
           c.spec().title()});
  }
  t.Print(std::cout);
  return kOk;
}

int ShowCampaign(Cli& cli, const Args& args) {
  v1::GetCampaignRequest req;
  req.set_id(args.positional[0]);
  auto stub = v1::Recruitment::NewStub(cli.channel());
  grpc::ClientContext ctx;
  cli.Prepare(&ctx);
  v1::Campaign c;
  if (auto s = stub->GetCampaign(&ctx, req, &c); !s.ok()) return cli.Fail(s);
  if (cli.json()) {
    cli.PrintJson(c);
    return kOk;
  }
  const auto& spec = c.spec();
  std::cout << spec.id() << "  " << spec.title() << "\n"
            << "street " << spec.street_unit_id() << ", applications " << spec.opens() << " – "
            << spec.closes() << ", state " << c.state() << "\n"
            << "funnel (applied → eligible → examined → interviewed → notified → hired): "
            << Funnel(c.funnel()) << "\n\n";
  Table posts({"POST", "UNIT", "KIND", "COUNT"});
  posts.AlignRight(3);
  for (const auto& p : spec.posts()) posts.Add({p.id(), p.unit_id(), p.post(), Num(p.count())});
  posts.Print(std::cout);
  if (!c.shortfalls().empty()) {
    std::cout << "\nshortfalls (too few eligible applicants; the leading group decides):\n";
    Table t({"POST", "UNIT", "POSTS", "ELIGIBLE", "NEEDED"});
    for (size_t col : {2, 3, 4}) t.AlignRight(col);
    for (const auto& s : c.shortfalls()) {
      t.Add({s.post_id(), s.unit_id(), Num(s.posts()), Num(s.eligible()), Num(s.needed())});
    }
    t.Print(std::cout);
  }
  if (!c.open_steps().empty()) {
    std::cout << "\nwaiting for:\n";
    Table t({"STEP", "TASK", "ROLE", "DUE"});
    t.AlignRight(1);
    for (const auto& s : c.open_steps()) {
      t.Add({s.step(), Num(s.task_id()), s.role(), s.due_at_ms() ? FormatTime(s.due_at_ms()) : ""});
    }
    t.Print(std::cout);
  }
  std::cout << "\n";
  Table stages({"STATE", "SINCE", "FOR"});
  stages.AlignRight(2);
  for (const auto& s : c.stages()) {
    stages.Add({s.state(), FormatTime(s.at_ms()), Duration(s.ms_in_state())});
  }
  stages.Print(std::cout);
  return kOk;
}

}  // namespace

std::vector<Command> RecruitmentCommands() {
  return {
      {"recruitment campaigns",
       "[--street UNIT] [--state STATE]",
       "Lists the open-recruitment campaigns with their funnels",
       "",
       {{"street", "UNIT", "campaigns of this street office"},
        {"state", "STATE", "draft, published, applications_closed, …, done, cancelled"}},
       0,
       0,
       ListCampaigns},
      {"recruitment campaign",
       "ID",
       "Shows a campaign: posts, funnel, shortfalls, the steps it waits for, time per state",
       "",
       {},
       1,
       1,
       ShowCampaign},
  };
}

}  // namespace shequ::cli
