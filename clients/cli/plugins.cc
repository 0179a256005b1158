// shequctl plugins ...: the department plugins the daemon loaded (list, describe) and their named
// operations (invoke).

#include "clients/cli/plugins.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "clients/cli/cli.h"
#include "clients/cli/table.h"
#include "nlohmann/json.hpp"
#include "shequ/v1/plugins.grpc.pb.h"

namespace shequ::cli {
namespace {

using nlohmann::json;

// Every line of `text` indented by `n` spaces.
std::string Indent(const std::string& text, int n) {
  std::string out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    absl::StrAppend(&out, line.empty() ? "" : std::string(n, ' '), line, "\n");
  }
  return out;
}

std::string FieldTable(const google::protobuf::RepeatedPtrField<plugin::v1::Field>& fields) {
  Table t({"FIELD", "LABEL", "TYPE", "UNIT", "REQUIRED"});
  for (const auto& f : fields) {
    t.Add({f.id(), f.label(), FieldType(f), f.unit(), f.required() ? "yes" : "no"});
  }
  return t.Render();
}

std::unique_ptr<v1::Plugins::Stub> Stub(Cli& cli) { return v1::Plugins::NewStub(cli.channel()); }

int List(Cli& cli, const Args&) {
  grpc::ClientContext ctx;
  cli.Prepare(&ctx);
  v1::ListPluginsResponse resp;
  if (auto s = Stub(cli)->List(&ctx, v1::ListPluginsRequest(), &resp); !s.ok()) {
    return cli.Fail(s);
  }
  if (cli.json()) {
    cli.PrintJson(resp);
  } else {
    std::cout << RenderPluginList(resp);
  }
  return kOk;
}

int Describe(Cli& cli, const Args& args) {
  v1::DescribePluginRequest req;
  req.set_name(args.positional[0]);
  grpc::ClientContext ctx;
  cli.Prepare(&ctx);
  v1::DescribePluginResponse resp;
  if (auto s = Stub(cli)->Describe(&ctx, req, &resp); !s.ok()) return cli.Fail(s);
  if (cli.json()) {
    cli.PrintJson(resp);
  } else {
    std::cout << RenderPluginDescription(resp);
  }
  return kOk;
}

// The --input or --input-file text ("-": standard input), checked to be a JSON object so a typo
// is caught before the call. Returns an exit code other than kOk after printing why.
int ReadInput(Cli& cli, const Args& args, std::string* out) {
  if (args.Has("input") && args.Has("input-file")) {
    return cli.Usage("plugins invoke", "give --input or --input-file, not both");
  }
  std::string text = args.Get("input");
  std::string what = "--input";
  if (args.Has("input-file")) {
    const std::string path = args.Get("input-file");
    what = absl::StrCat("--input-file ", path);
    std::ostringstream buffer;
    if (path == "-") {
      buffer << std::cin.rdbuf();
    } else {
      std::ifstream in(path, std::ios::binary);
      if (!in) {
        return cli.Fail(grpc::StatusCode::NOT_FOUND, absl::StrCat(path, ": cannot read the file"));
      }
      buffer << in.rdbuf();
    }
    text = buffer.str();
  }
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
    *out = "";  // none: the daemon takes "" as {}
    return kOk;
  }
  const json parsed = json::parse(text, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return cli.Fail(grpc::StatusCode::INVALID_ARGUMENT, absl::StrCat(what, ": not a JSON object"));
  }
  *out = parsed.dump();
  return kOk;
}

int Invoke(Cli& cli, const Args& args) {
  v1::InvokePluginRequest req;
  req.set_plugin(args.positional[0]);
  req.set_operation(args.positional[1]);
  req.set_request_id(args.Get("request-id"));
  std::string input;
  if (int rc = ReadInput(cli, args, &input); rc != kOk) return rc;
  req.set_input(input);
  grpc::ClientContext ctx;
  cli.Prepare(&ctx);
  v1::InvokePluginResponse resp;
  if (auto s = Stub(cli)->Invoke(&ctx, req, &resp); !s.ok()) return cli.Fail(s);
  // The output is JSON already: --json prints it on one line, otherwise indented.
  const json output = json::parse(resp.output(), nullptr, false);
  if (output.is_discarded()) {
    std::cout << resp.output() << "\n";
  } else {
    std::cout << output.dump(cli.json() ? -1 : 2, ' ', false, json::error_handler_t::replace)
              << "\n";
  }
  return kOk;
}

}  // namespace

std::string PluginKind(const std::string& isolation) {
  if (isolation == "inprocess") return "in-process";
  return isolation;
}

std::string RenderPluginList(const v1::ListPluginsResponse& list) {
  if (list.plugins().empty()) return "no plugins (plugins_dir is empty or not configured)\n";
  Table t({"NAME", "STATE", "KIND", "DEPARTMENT", "VERSION", "JOB TYPES", "LAST ERROR"});
  for (const auto& p : list.plugins()) {
    t.Add({p.name(), p.state(), PluginKind(p.isolation()), p.department(), p.version(),
           absl::StrJoin(p.job_types(), ", "), p.last_error()});
  }
  return t.Render();
}

std::string FieldType(const plugin::v1::Field& field) {
  if (field.type() == "choice" && field.choices_size() > 0) {
    return absl::StrCat("choice: ", absl::StrJoin(field.choices(), " | "));
  }
  if (field.type() == "roster" && field.columns_size() > 0) {
    std::vector<std::string> columns;
    for (const auto& c : field.columns()) columns.push_back(absl::StrCat(c.id(), " ", c.type()));
    return absl::StrCat("roster: ", absl::StrJoin(columns, ", "));
  }
  return field.type();
}

std::string RenderPluginDescription(const v1::DescribePluginResponse& d) {
  const v1::PluginStatus& s = d.status();
  const plugin::v1::Descriptor& p = d.plugin();
  std::string out;
  Table head;
  head.Add({"plugin", s.name()});
  if (!s.department().empty()) head.Add({"department", s.department()});
  if (!s.version().empty()) head.Add({"version", s.version()});
  head.Add({"state", absl::StrCat(s.state(), " (", PluginKind(s.isolation()), ", ", s.restarts(),
                                  " restarts)")});
  head.Add({"source", s.source()});
  head.Add({"jobs", absl::StrCat(s.jobs_completed(), " completed, ", s.jobs_failed(), " failed, ",
                                 s.jobs_running(), " running")});
  if (!s.last_error().empty()) head.Add({"last error", s.last_error()});
  if (!p.description().empty()) head.Add({"description", p.description()});
  out += head.Render();
  if (p.name().empty()) {  // never loaded: nothing more is known
    return out + "\nNot described yet: the plugin has not loaded (see last error).\n";
  }

  if (p.job_types_size() > 0) {
    out += "\nJob types:\n";
    for (const auto& j : p.job_types()) {
      Table t;
      t.Add({j.type(), j.description()});
      if (j.inputs_size() > 0) t.Add({"  reads", absl::StrJoin(j.inputs(), ", ")});
      if (j.outputs_size() > 0) t.Add({"  writes", absl::StrJoin(j.outputs(), ", ")});
      out += Indent(t.Render(), 2);
    }
  }
  if (p.operations_size() > 0) {
    out += "\nOperations (shequctl plugins invoke " + s.name() + " OPERATION):\n";
    Table t;
    for (const auto& o : p.operations()) t.Add({o.name(), o.description()});
    out += Indent(t.Render(), 2);
  }
  for (const auto& c : p.checklists()) {
    absl::StrAppend(&out, "\nChecklist ", c.id(), ": ", c.title(),
                    c.frequency().empty() ? "" : absl::StrCat(" (", c.frequency(), ")"), "\n");
    if (!c.basis().empty()) absl::StrAppend(&out, "  basis: ", c.basis(), "\n");
    if (c.items_size() > 0) {
      out += "  Items:\n";
      Table t;
      for (const auto& i : c.items()) {
        t.Add({i.id(), i.text(),
               i.field_ids_size() > 0 ? absl::StrCat("[", absl::StrJoin(i.field_ids(), ", "), "]")
                                      : ""});
      }
      out += Indent(t.Render(), 4);
    }
    if (c.fields_size() > 0) {
      out += "  Fields:\n";
      out += Indent(FieldTable(c.fields()), 4);
    }
  }
  if (p.ledger_fields_size() > 0) {
    out += "\nLedger fields:\n";
    out += Indent(FieldTable(p.ledger_fields()), 2);
  }
  if (p.signboards_size() > 0) {
    out += "\nSignboards:\n";
    for (const auto& b : p.signboards()) {
      Table t;
      t.Add({b.id(), b.title()});
      std::vector<std::string> look;
      for (const std::string* part : {&b.model(), &b.size(), &b.colour()}) {
        if (!part->empty()) look.push_back(*part);
      }
      if (!look.empty()) t.Add({"  looks", absl::StrJoin(look, ", ")});
      if (!b.placement().empty()) t.Add({"  placement", b.placement()});
      if (b.photo_on_file_acceptable()) t.Add({"  photo on file", "acceptable"});
      if (!b.funded_by().empty()) t.Add({"  funded by", b.funded_by()});
      out += Indent(t.Render(), 2);
    }
  }
  if (p.channels_size() > 0) {
    out += "\nNotification channels:\n";
    Table t;
    for (const auto& ch : p.channels()) t.Add({ch.id(), ch.kind(), ch.description()});
    out += Indent(t.Render(), 2);
  }
  return out;
}

std::vector<Command> PluginCommands() {
  return {
      {"plugins list",
       "",
       "Lists the department plugins: state, kind, department, job types",
       "STATE: loaded, isolated, restarting or failed (LAST ERROR says why; a failed plugin is\n"
       "retried when the daemon reloads plugins.d on SIGHUP). KIND: isolated (its own\n"
       "shequ-plugin-host process), in-process, or remote.",
       {},
       0,
       0,
       List},
      {"plugins describe",
       "NAME",
       "What a plugin contributes: job types, operations, checklists, ledger fields, ...",
       "Prints the job types, operations, checklist templates with their fields and types, ledger\n"
       "fields, signboards and notification channels. --json prints the whole descriptor.",
       {},
       1,
       1,
       Describe},
      {"plugins invoke",
       "NAME OPERATION [--input JSON | --input-file FILE]",
       "Calls a plugin's named operation; prints its output JSON",
       "The input is a JSON object (none: {}). The output is printed indented, or on one line\n"
       "with --json. Example:\n"
       "  shequctl plugins invoke civil_affairs validate-ledger \\\n"
       "    --input '{\"ledger\": {\"household_count\": 2400}}'\n"
       "NOT_FOUND (exit 4) names the plugins or operations there are; UNAVAILABLE (exit 6): the\n"
       "plugin is restarting or failed; INVALID_ARGUMENT (exit 3): it refused the input.",
       {{"input", "JSON", "the operation's input, a JSON object"},
        {"input-file", "FILE", "read the input from FILE (- for standard input)"},
        {"request-id", "ID", "passed to the plugin as its idempotency key"}},
       2,
       2,
       Invoke},
  };
}

}  // namespace shequ::cli
