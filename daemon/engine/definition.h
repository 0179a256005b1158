#pragma once

// Workflow definitions: YAML text (format in docs/workflows.md) parsed into an immutable,
// validated graph. Everything a running instance evaluates is compiled here, at deploy, so a
// malformed definition is refused with the node and field at fault and never half-deployed.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/core/duration.h"
#include "daemon/engine/expression.h"

namespace shequ::engine {

enum class NodeType { kEnd, kService, kUser, kExclusive, kParallel, kTimer, kMessage, kCall, kForeach };

std::string_view NodeTypeName(NodeType type);

struct Branch {
  std::optional<Expression> when;  // none = the default branch
  std::string next;
};

struct Escalation {
  Duration after;  // relative to the due time
  std::string role;
};

struct Node {
  std::string id;
  NodeType type = NodeType::kEnd;
  std::string name;
  std::string next;
  std::vector<std::pair<std::string, Expression>> set;  // applied when the node completes

  std::string status;     // end
  bool terminate = false;  // end: ends the whole instance, withdrawing its other tokens

  std::string job;  // service
  int retries = 3;
  Duration backoff{10'000, 0};

  std::string role;  // user
  // User tasks: `role` and `name` may hold `${…}` parts, evaluated when the task is created.
  std::optional<Template> role_template, name_template;
  std::optional<Template> unit;
  std::vector<Template> assignees;
  std::optional<Duration> due;
  std::optional<Template> due_at;   // instead of `due`: epoch ms or a YYYY-MM-DD date
  std::vector<Duration> remind;     // relative to the due time
  std::vector<Template> remind_at;  // absolute, like `due_at`
  std::optional<Escalation> escalate;
  std::vector<std::string> outcomes;
  // A built-in handler (Engine::RegisterHandler) that checks each completion before anything
  // changes: its error refuses the completion with that error, what it answers is merged into
  // the submitted variables. The domain's "not yet" reaches whoever completes the task.
  std::string guard;
  int required = 0;  // countersign: completions needed; 0 = all, 1 = any; n of "n/m"
  bool countersign = false;

  std::vector<Branch> branches;  // exclusive

  std::vector<std::string> parallel;  // parallel: the branch heads
  std::string join;

  Duration duration;           // timer: relative to entering the node
  std::optional<Template> at;  // timer: absolute, epoch ms or a "YYYY-MM-DD" date (00:00 local)

  std::string message;  // message
  std::optional<Template> correlate;
  std::optional<Duration> timeout_after;
  std::string timeout_next;

  std::string definition;                               // call, and foreach's `call`
  std::vector<std::pair<std::string, Template>> with;  // call/foreach: child variables
  std::vector<std::pair<std::string, Expression>> out;  // call: parent vars from the child's
  std::optional<Template> items;                        // foreach
  std::string as;
};

struct Definition {
  std::string id;
  std::string name;
  std::string start;
  int32_t version = 0;  // set by the engine on deploy
  std::string yaml;
  std::string digest;
  std::map<std::string, Node> nodes;

  const Node* Find(const std::string& node_id) const;
};

// Parses and validates. Errors are INVALID_ARGUMENT: "node 'approve' field 'due': ...".
absl::StatusOr<std::shared_ptr<Definition>> ParseDefinition(std::string_view yaml);

std::string Sha256Hex(std::string_view data);

}  // namespace shequ::engine
