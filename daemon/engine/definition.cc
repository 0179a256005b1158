#include "daemon/engine/definition.h"

#include <openssl/evp.h>

#include <cstdio>
#include <deque>
#include <regex>
#include <set>

#include "absl/strings/str_cat.h"
#include "daemon/core/status.h"
#include "absl/strings/str_join.h"
#include "yaml-cpp/yaml.h"

namespace shequ::engine {
namespace {

const std::map<std::string, NodeType, std::less<>>& NodeTypes() {
  static const std::map<std::string, NodeType, std::less<>> kTypes = {
      {"end", NodeType::kEnd},         {"service", NodeType::kService},
      {"user", NodeType::kUser},       {"exclusive", NodeType::kExclusive},
      {"parallel", NodeType::kParallel}, {"timer", NodeType::kTimer},
      {"message", NodeType::kMessage}, {"call", NodeType::kCall},
      {"foreach", NodeType::kForeach}};
  return kTypes;
}

// The fields each node type accepts besides type/name/next/set; anything else is a typo.
const std::map<NodeType, std::set<std::string>>& AllowedFields() {
  static const std::map<NodeType, std::set<std::string>> kFields = {
      {NodeType::kEnd, {"status", "terminate"}},
      {NodeType::kService, {"job", "retries", "backoff"}},
      {NodeType::kUser,
       {"role", "unit", "assignees", "due", "due_at", "remind", "remind_at", "escalate", "outcomes",
        "completion", "guard"}},
      {NodeType::kExclusive, {"branches"}},
      {NodeType::kParallel, {"branches", "join"}},
      {NodeType::kTimer, {"duration", "at"}},
      {NodeType::kMessage, {"name", "correlate", "timeout"}},
      {NodeType::kCall, {"definition", "with", "out"}},
      {NodeType::kForeach, {"items", "as", "call", "with"}},
  };
  return kFields;
}

// Collects the first error with its location; parsing stops at the first problem.
struct Where {
  std::string node, field;
  absl::Status Error(absl::string_view what) const {
    if (node.empty()) return absl::InvalidArgumentError(absl::StrCat("field '", field, "': ", what));
    return absl::InvalidArgumentError(
        absl::StrCat("node '", node, "' field '", field, "': ", what));
  }
};

absl::StatusOr<std::string> Scalar(const YAML::Node& n, const Where& w) {
  if (!n.IsScalar()) return w.Error("expected a text value");
  return n.as<std::string>();
}

absl::StatusOr<Duration> DurationField(const YAML::Node& n, const Where& w) {
  ASSIGN_OR_RETURN(std::string text, Scalar(n, w));
  auto d = ParseDuration(text);
  if (!d.ok()) return w.Error(d.status().message());
  return *d;
}

absl::StatusOr<Expression> ExpressionField(const YAML::Node& n, const Where& w) {
  ASSIGN_OR_RETURN(std::string text, Scalar(n, w));
  auto e = Expression::Compile(text);
  if (!e.ok()) return w.Error(e.status().message());
  return *std::move(e);
}

absl::StatusOr<Template> TemplateField(const YAML::Node& n, const Where& w) {
  ASSIGN_OR_RETURN(std::string text, Scalar(n, w));
  auto t = Template::Compile(text);
  if (!t.ok()) return w.Error(t.status().message());
  return *std::move(t);
}

absl::StatusOr<std::vector<std::pair<std::string, Expression>>> ExpressionMap(
    const YAML::Node& n, Where w) {
  std::vector<std::pair<std::string, Expression>> out;
  if (!n.IsMap()) return w.Error("expected a map of variable: expression");
  const std::string field = w.field;
  for (const auto& kv : n) {
    std::string var = kv.first.as<std::string>();
    w.field = absl::StrCat(field, ".", var);
    ASSIGN_OR_RETURN(Expression e, ExpressionField(kv.second, w));
    out.emplace_back(var, std::move(e));
  }
  return out;
}

absl::StatusOr<std::vector<std::pair<std::string, Template>>> TemplateMap(const YAML::Node& n,
                                                                          Where w) {
  std::vector<std::pair<std::string, Template>> out;
  if (!n.IsMap()) return w.Error("expected a map of variable: value");
  const std::string field = w.field;
  for (const auto& kv : n) {
    std::string var = kv.first.as<std::string>();
    w.field = absl::StrCat(field, ".", var);
    ASSIGN_OR_RETURN(Template t, TemplateField(kv.second, w));
    out.emplace_back(var, std::move(t));
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> StringList(const YAML::Node& n, const Where& w) {
  if (!n.IsSequence()) return w.Error("expected a list");
  std::vector<std::string> out;
  for (const auto& item : n) {
    ASSIGN_OR_RETURN(std::string s, Scalar(item, w));
    out.push_back(s);
  }
  return out;
}

absl::StatusOr<Node> ParseNode(const std::string& id, const YAML::Node& y) {
  Node node;
  node.id = id;
  Where w{id, "type"};
  if (!y.IsMap()) return w.Error("a node must be a map");
  if (!y["type"]) return w.Error("missing");
  ASSIGN_OR_RETURN(std::string type, Scalar(y["type"], w));
  auto it = NodeTypes().find(type);
  if (it == NodeTypes().end()) {
    std::vector<std::string> names;
    for (const auto& [name, t] : NodeTypes()) names.push_back(name);
    return w.Error(absl::StrCat("unknown node type '", type, "' (known: ",
                                absl::StrJoin(names, ", "), ")"));
  }
  node.type = it->second;
  const auto& allowed = AllowedFields().at(node.type);
  for (const auto& kv : y) {
    std::string key = kv.first.as<std::string>();
    if (key == "type" || key == "name" || key == "next" || key == "set") continue;
    if (!allowed.count(key)) {
      return Where{id, key}.Error(absl::StrCat("not a field of a ", type, " node"));
    }
  }
  auto field = [&](const char* name) { return Where{id, name}; };
  if (y["name"]) {
    ASSIGN_OR_RETURN(node.name, Scalar(y["name"], field("name")));
    if (node.name.find("${") != std::string::npos) {
      ASSIGN_OR_RETURN(node.name_template, TemplateField(y["name"], field("name")));
    }
  }
  if (y["next"]) {
    ASSIGN_OR_RETURN(node.next, Scalar(y["next"], field("next")));
  }
  if (y["set"]) {
    ASSIGN_OR_RETURN(node.set, ExpressionMap(y["set"], field("set")));
  }

  const bool needs_next = node.type != NodeType::kEnd && node.type != NodeType::kExclusive &&
                          node.type != NodeType::kParallel;
  if (needs_next && node.next.empty()) return field("next").Error("missing");
  if (!needs_next && !node.next.empty()) {
    return field("next").Error(absl::StrCat("a ", type, " node has no next"));
  }

  switch (node.type) {
    case NodeType::kEnd: {
      if (y["status"]) {
        ASSIGN_OR_RETURN(node.status, Scalar(y["status"], field("status")));
      }
      if (y["terminate"]) {
        ASSIGN_OR_RETURN(std::string t, Scalar(y["terminate"], field("terminate")));
        if (t != "true" && t != "false") return field("terminate").Error("expected true or false");
        node.terminate = t == "true";
      }
      break;
    }
    case NodeType::kService: {
      if (!y["job"]) return field("job").Error("missing: the job type to run");
      ASSIGN_OR_RETURN(node.job, Scalar(y["job"], field("job")));
      if (y["retries"]) {
        ASSIGN_OR_RETURN(std::string r, Scalar(y["retries"], field("retries")));
        if (!std::regex_match(r, std::regex("[0-9]{1,3}"))) {
          return field("retries").Error("expected a whole number from 0 to 999");
        }
        node.retries = std::stoi(r);
      }
      if (y["backoff"]) {
        ASSIGN_OR_RETURN(node.backoff, DurationField(y["backoff"], field("backoff")));
        if (node.backoff.ms <= 0 || node.backoff.working_days != 0) {
          return field("backoff").Error("expected a positive ISO 8601 duration such as PT10S");
        }
      }
      break;
    }
    case NodeType::kUser: {
      if (y["role"]) {
        ASSIGN_OR_RETURN(node.role, Scalar(y["role"], field("role")));
        if (node.role.find("${") != std::string::npos) {
          ASSIGN_OR_RETURN(node.role_template, TemplateField(y["role"], field("role")));
        }
      }
      if (y["unit"]) {
        ASSIGN_OR_RETURN(node.unit, TemplateField(y["unit"], field("unit")));
      }
      if (y["assignees"]) {
        if (!y["assignees"].IsSequence()) return field("assignees").Error("expected a list");
        for (const auto& a : y["assignees"]) {
          ASSIGN_OR_RETURN(Template t, TemplateField(a, field("assignees")));
          node.assignees.push_back(std::move(t));
        }
      }
      if (node.role.empty() && node.assignees.empty()) {
        return field("role").Error("a user node needs a role or assignees");
      }
      if (y["due"] && y["due_at"]) return field("due_at").Error("give `due` or `due_at`, not both");
      if (y["due"]) {
        ASSIGN_OR_RETURN(node.due, DurationField(y["due"], field("due")));
      }
      if (y["due_at"]) {
        ASSIGN_OR_RETURN(node.due_at, TemplateField(y["due_at"], field("due_at")));
      }
      const bool has_due = node.due || node.due_at;
      if (y["remind_at"]) {
        if (!has_due) return field("remind_at").Error("reminders need a due time, which is missing");
        if (!y["remind_at"].IsSequence()) return field("remind_at").Error("expected a list of moments");
        for (const auto& r : y["remind_at"]) {
          ASSIGN_OR_RETURN(Template t, TemplateField(r, field("remind_at")));
          node.remind_at.push_back(std::move(t));
        }
      }
      if (y["remind"]) {
        if (!has_due) return field("remind").Error("reminders are relative to `due`, which is missing");
        if (!y["remind"].IsSequence()) return field("remind").Error("expected a list of durations");
        for (const auto& r : y["remind"]) {
          ASSIGN_OR_RETURN(Duration d, DurationField(r, field("remind")));
          node.remind.push_back(d);
        }
      }
      if (y["escalate"]) {
        const YAML::Node& e = y["escalate"];
        if (!has_due) return field("escalate").Error("escalation is relative to `due`, which is missing");
        if (!e.IsMap() || !e["after"] || !e["role"]) {
          return field("escalate").Error("expected {after: duration, role: name}");
        }
        Escalation esc;
        ASSIGN_OR_RETURN(esc.after, DurationField(e["after"], field("escalate.after")));
        ASSIGN_OR_RETURN(esc.role, Scalar(e["role"], field("escalate.role")));
        node.escalate = esc;
      }
      if (y["outcomes"]) {
        ASSIGN_OR_RETURN(node.outcomes, StringList(y["outcomes"], field("outcomes")));
      }
      if (y["guard"]) {
        ASSIGN_OR_RETURN(node.guard, Scalar(y["guard"], field("guard")));
      }
      if (y["completion"]) {
        ASSIGN_OR_RETURN(std::string c, Scalar(y["completion"], field("completion")));
        std::smatch m;
        node.countersign = true;
        if (c == "all") {
          node.required = 0;
        } else if (c == "any") {
          node.required = 1;
        } else if (std::regex_match(c, m, std::regex("([0-9]+)/([0-9]+)")) &&
                   std::stoi(m[1]) >= 1 && std::stoi(m[1]) <= std::stoi(m[2])) {
          node.required = std::stoi(m[1]);
        } else {
          return field("completion").Error(absl::StrCat("'", c, "' is not all, any, or n/m with 1 <= n <= m"));
        }
        if (node.assignees.empty()) {
          return field("completion").Error("countersign needs `assignees`");
        }
      }
      break;
    }
    case NodeType::kExclusive: {
      const YAML::Node& b = y["branches"];
      if (!b || !b.IsSequence() || b.size() == 0) {
        return field("branches").Error("expected a non-empty list of {when, next}");
      }
      for (size_t i = 0; i < b.size(); ++i) {
        Where bw{id, absl::StrCat("branches[", i, "]")};
        if (!b[i].IsMap() || !b[i]["next"]) return bw.Error("expected {when: expression, next: node}");
        Branch branch;
        ASSIGN_OR_RETURN(branch.next, Scalar(b[i]["next"], Where{id, bw.field + ".next"}));
        if (b[i]["when"]) {
          ASSIGN_OR_RETURN(branch.when, ExpressionField(b[i]["when"], Where{id, bw.field + ".when"}));
        } else if (i + 1 != b.size()) {
          return bw.Error("the default branch (no `when`) must be the last");
        }
        node.branches.push_back(std::move(branch));
      }
      break;
    }
    case NodeType::kParallel: {
      if (!y["branches"]) return field("branches").Error("missing");
      ASSIGN_OR_RETURN(node.parallel, StringList(y["branches"], field("branches")));
      if (node.parallel.size() < 2) return field("branches").Error("a parallel node needs two or more branches");
      if (!y["join"]) return field("join").Error("missing join: the node where the branches meet");
      ASSIGN_OR_RETURN(node.join, Scalar(y["join"], field("join")));
      break;
    }
    case NodeType::kTimer: {
      if (!y["duration"] == !y["at"]) {
        return field("duration").Error("a timer needs exactly one of duration or at");
      }
      if (y["at"]) {
        ASSIGN_OR_RETURN(node.at, TemplateField(y["at"], field("at")));
        break;
      }
      ASSIGN_OR_RETURN(node.duration, DurationField(y["duration"], field("duration")));
      break;
    }
    case NodeType::kMessage: {
      if (!y["name"]) return field("name").Error("missing: the message name to wait for");
      ASSIGN_OR_RETURN(node.message, Scalar(y["name"], field("name")));
      node.name.clear();
      if (y["correlate"]) {
        ASSIGN_OR_RETURN(node.correlate, TemplateField(y["correlate"], field("correlate")));
      }
      if (y["timeout"]) {
        const YAML::Node& t = y["timeout"];
        if (!t.IsMap() || !t["after"] || !t["next"]) {
          return field("timeout").Error("expected {after: duration, next: node}");
        }
        ASSIGN_OR_RETURN(node.timeout_after, DurationField(t["after"], field("timeout.after")));
        ASSIGN_OR_RETURN(node.timeout_next, Scalar(t["next"], field("timeout.next")));
      }
      break;
    }
    case NodeType::kCall: {
      if (!y["definition"]) return field("definition").Error("missing: the workflow to call");
      ASSIGN_OR_RETURN(node.definition, Scalar(y["definition"], field("definition")));
      if (y["with"]) {
        ASSIGN_OR_RETURN(node.with, TemplateMap(y["with"], field("with")));
      }
      if (y["out"]) {
        ASSIGN_OR_RETURN(node.out, ExpressionMap(y["out"], field("out")));
      }
      break;
    }
    case NodeType::kForeach: {
      if (!y["items"]) return field("items").Error("missing: the list to iterate");
      ASSIGN_OR_RETURN(node.items, TemplateField(y["items"], field("items")));
      if (!y["as"]) return field("as").Error("missing: the child variable holding the item");
      ASSIGN_OR_RETURN(node.as, Scalar(y["as"], field("as")));
      if (!y["call"]) return field("call").Error("missing: the workflow to run per item");
      ASSIGN_OR_RETURN(node.definition, Scalar(y["call"], field("call")));
      if (y["with"]) {
        ASSIGN_OR_RETURN(node.with, TemplateMap(y["with"], field("with")));
      }
      break;
    }
  }
  return node;
}

// Every node a node can move to, with the field that names it.
std::vector<std::pair<std::string, std::string>> Successors(const Node& n) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!n.next.empty()) out.emplace_back("next", n.next);
  for (size_t i = 0; i < n.branches.size(); ++i) {
    out.emplace_back(absl::StrCat("branches[", i, "].next"), n.branches[i].next);
  }
  for (const auto& b : n.parallel) out.emplace_back("branches", b);
  if (!n.timeout_next.empty()) out.emplace_back("timeout.next", n.timeout_next);
  return out;
}

absl::Status Validate(const Definition& def) {
  for (const auto& [id, node] : def.nodes) {
    for (const auto& [field, target] : Successors(node)) {
      if (!def.nodes.count(target)) {
        return Where{id, field}.Error(absl::StrCat("no node named '", target, "'"));
      }
    }
    if (node.type == NodeType::kParallel && !def.nodes.count(node.join)) {
      return Where{id, "join"}.Error(absl::StrCat("no node named '", node.join, "'"));
    }
  }
  // Reachability from start.
  std::set<std::string> seen{def.start};
  std::deque<std::string> queue{def.start};
  while (!queue.empty()) {
    const Node& n = def.nodes.at(queue.front());
    queue.pop_front();
    for (const auto& [field, target] : Successors(n)) {
      if (seen.insert(target).second) queue.push_back(target);
    }
  }
  for (const auto& [id, node] : def.nodes) {
    if (!seen.count(id)) {
      return Where{id, "id"}.Error(absl::StrCat("unreachable from start '", def.start, "'"));
    }
  }
  // Each parallel branch must arrive at its join and may not end before it, or the join would
  // wait forever. A terminating end is the exception: it ends the whole instance, join and all.
  for (const auto& [id, node] : def.nodes) {
    if (node.type != NodeType::kParallel) continue;
    for (const auto& head : node.parallel) {
      std::set<std::string> visited{head};
      std::deque<std::string> q{head};
      bool reaches = head == node.join;
      std::string ends_at;
      while (!q.empty() && head != node.join) {
        const Node& n = def.nodes.at(q.front());
        q.pop_front();
        if (n.type == NodeType::kEnd) {
          if (n.terminate) {
            reaches = true;
          } else if (ends_at.empty()) {
            ends_at = n.id;
          }
        }
        for (const auto& [field, target] : Successors(n)) {
          if (target == node.join) {
            reaches = true;
          } else if (target != id && visited.insert(target).second) {
            q.push_back(target);
          }
        }
      }
      if (!reaches) {
        return Where{id, "join"}.Error(absl::StrCat("branch '", head, "' never reaches join '",
                                                    node.join, "' (or a terminating end)"));
      }
      if (!ends_at.empty()) {
        return Where{id, "branches"}.Error(absl::StrCat("branch '", head, "' can end at '",
                                                        ends_at, "' before reaching join '",
                                                        node.join, "'"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::string_view NodeTypeName(NodeType type) {
  for (const auto& [name, t] : NodeTypes()) {
    if (t == type) return name;
  }
  return "?";
}

const Node* Definition::Find(const std::string& node_id) const {
  auto it = nodes.find(node_id);
  return it == nodes.end() ? nullptr : &it->second;
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr);
  std::string hex;
  char buf[3];
  for (unsigned i = 0; i < len; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", digest[i]);
    hex += buf;
  }
  return hex;
}

absl::StatusOr<std::shared_ptr<Definition>> ParseDefinition(std::string_view yaml) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("YAML syntax error at line ", e.mark.line + 1,
                                                   " column ", e.mark.column + 1, ": ", e.msg));
  }
  if (!root.IsMap()) return absl::InvalidArgumentError("a definition must be a YAML map");
  auto def = std::make_shared<Definition>();
  def->yaml = std::string(yaml);
  def->digest = Sha256Hex(yaml);
  try {
    for (const auto& kv : root) {
      std::string key = kv.first.as<std::string>();
      if (key != "id" && key != "name" && key != "start" && key != "nodes") {
        return Where{"", key}.Error("unknown top-level field (expected id, name, start, nodes)");
      }
    }
    if (!root["id"]) return Where{"", "id"}.Error("missing");
    ASSIGN_OR_RETURN(def->id, Scalar(root["id"], Where{"", "id"}));
    if (!std::regex_match(def->id, std::regex("[a-z0-9][a-z0-9._-]{0,99}"))) {
      return Where{"", "id"}.Error(
          "expected lower-case letters, digits, '.', '_' or '-', starting with a letter or digit");
    }
    if (root["name"]) {
      ASSIGN_OR_RETURN(def->name, Scalar(root["name"], Where{"", "name"}));
    }
    if (!root["start"]) return Where{"", "start"}.Error("missing: the first node");
    ASSIGN_OR_RETURN(def->start, Scalar(root["start"], Where{"", "start"}));
    const YAML::Node& nodes = root["nodes"];
    if (!nodes || !nodes.IsMap() || nodes.size() == 0) {
      return Where{"", "nodes"}.Error("expected a non-empty map of node id: node");
    }
    for (const auto& kv : nodes) {
      std::string id = kv.first.as<std::string>();
      ASSIGN_OR_RETURN(Node node, ParseNode(id, kv.second));
      def->nodes.emplace(id, std::move(node));
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("malformed definition at line ", e.mark.line + 1,
                                                   ": ", e.msg));
  }
  if (!def->nodes.count(def->start)) {
    return Where{"", "start"}.Error(absl::StrCat("no node named '", def->start, "'"));
  }
  RETURN_IF_ERROR(Validate(*def));
  return def;
}

}  // namespace shequ::engine
