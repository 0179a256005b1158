#include "daemon/engine/definition.h"

#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace shequ::engine {
namespace {

std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

::testing::AssertionResult Has(const std::string& s, const std::string& part) {
  if (s.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << s << "' does not contain '" << part << "'";
}

TEST(DefinitionTest, ShippedWorkflowsParse) {
  const std::filesystem::path dir = std::filesystem::path(SHEQU_SOURCE_DIR) / "config/workflows";
  int parsed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".yaml") continue;
    SCOPED_TRACE(entry.path().string());
    const std::string yaml = ReadFile(entry.path());
    auto def = ParseDefinition(yaml);
    ASSERT_TRUE(def.ok()) << def.status();
    EXPECT_EQ((*def)->id, entry.path().stem().string());  // one file per workflow, named by id
    EXPECT_NE((*def)->Find((*def)->start), nullptr);
    EXPECT_EQ((*def)->yaml, yaml);
    EXPECT_EQ((*def)->digest, Sha256Hex(yaml));
    ++parsed;
  }
  EXPECT_GE(parsed, 1);
}

TEST(DefinitionTest, VacancyApprovalGraph) {
  auto def = ParseDefinition(
      ReadFile(std::filesystem::path(SHEQU_SOURCE_DIR) / "config/workflows/vacancy-approval.yaml"));
  ASSERT_TRUE(def.ok()) << def.status();
  const Definition& d = **def;
  EXPECT_EQ(d.id, "vacancy-approval");
  EXPECT_EQ(d.start, "vacancies");  // read from the registry, never taken from the caller
  ASSERT_NE(d.Find("vacancies"), nullptr);
  EXPECT_EQ(d.Find("vacancies")->job, "workforce.vacancies");
  const Node* approve = d.Find("approve");
  ASSERT_NE(approve, nullptr);
  EXPECT_EQ(approve->type, NodeType::kUser);
  EXPECT_EQ(approve->role, "leading-group");
  ASSERT_TRUE(approve->due.has_value());
  EXPECT_EQ(approve->due->working_days, 5);
  EXPECT_EQ(approve->remind.size(), 3u);
  ASSERT_TRUE(approve->escalate.has_value());
  EXPECT_EQ(approve->escalate->role, "district-admin");
  EXPECT_EQ(approve->outcomes, (std::vector<std::string>{"approved", "rejected"}));
  const Node* check = d.Find("check");
  ASSERT_NE(check, nullptr);
  ASSERT_EQ(check->branches.size(), 2u);
  EXPECT_TRUE(check->branches[0].when.has_value());
  EXPECT_FALSE(check->branches[1].when.has_value());
  EXPECT_EQ(d.Find("over-quota")->status, "over-quota");
}

TEST(DefinitionTest, EveryNodeTypeParses) {
  auto def = ParseDefinition(R"(
id: all-nodes
start: check
nodes:
  check: {type: service, job: workforce.check-quota, retries: 2, backoff: PT30S, next: both}
  both: {type: parallel, branches: [approve, notice], join: joined}
  approve:
    type: user
    assignees: ["${head}", "${deputy}"]
    completion: 1/2
    unit: "${unit_id}"
    due: 5wd
    outcomes: [approved, rejected]
    next: joined
  notice: {type: timer, duration: P3D, next: joined}
  joined: {type: exclusive, branches: [{when: "outcome == 'approved'", next: scores}, {next: refused}]}
  scores:
    type: message
    name: exam-scores
    correlate: "${campaign_id}"
    timeout: {after: P30D, next: refused}
    next: each
  each: {type: foreach, items: "${worker_ids}", as: worker_id, call: review, next: sub}
  sub: {type: call, definition: onboarding, with: {worker_id: "${worker_id}"}, out: {ok: "done"}, next: done}
  done: {type: end, set: {finished: "true"}}
  refused: {type: end, status: rejected}
)");
  ASSERT_TRUE(def.ok()) << def.status();
  const Definition& d = **def;
  EXPECT_EQ(d.nodes.size(), 10u);
  EXPECT_EQ(d.Find("check")->retries, 2);
  EXPECT_EQ(d.Find("check")->backoff.ms, 30'000);
  EXPECT_EQ(d.Find("both")->parallel, (std::vector<std::string>{"approve", "notice"}));
  EXPECT_EQ(d.Find("both")->join, "joined");
  EXPECT_TRUE(d.Find("approve")->countersign);
  EXPECT_EQ(d.Find("approve")->required, 1);
  EXPECT_EQ(d.Find("notice")->duration.ms, 3 * 24 * 3600 * 1000LL);
  EXPECT_EQ(d.Find("scores")->message, "exam-scores");
  EXPECT_EQ(d.Find("scores")->timeout_next, "refused");
  EXPECT_EQ(d.Find("each")->definition, "review");
  EXPECT_EQ(d.Find("each")->as, "worker_id");
  EXPECT_EQ(d.Find("sub")->definition, "onboarding");
  EXPECT_EQ(d.Find("sub")->out.size(), 1u);
  EXPECT_EQ(d.Find("done")->set.size(), 1u);
}

struct Malformed {
  const char* what;
  const char* yaml;
  std::vector<std::string> says;
};

class MalformedTest : public ::testing::TestWithParam<Malformed> {};

TEST_P(MalformedTest, IsRefusedNamingNodeAndField) {
  const Malformed& c = GetParam();
  auto def = ParseDefinition(c.yaml);
  ASSERT_FALSE(def.ok()) << c.what << " was accepted";
  EXPECT_EQ(def.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message(def.status().message());
  for (const auto& part : c.says) EXPECT_TRUE(Has(message, part)) << c.what;
}

INSTANTIATE_TEST_SUITE_P(
    Definitions, MalformedTest,
    ::testing::Values(
        Malformed{"yaml syntax", "id: x\nstart: a\nnodes: {a: [unclosed\n", {"YAML syntax", "line"}},
        Malformed{"not a map", "- a\n- b\n", {"map"}},
        Malformed{"unknown top-level field", R"(
id: x
start: a
owner: me
nodes: {a: {type: end}}
)", {"field 'owner'"}},
        Malformed{"missing id", "start: a\nnodes: {a: {type: end}}\n", {"field 'id'", "missing"}},
        Malformed{"bad id", "id: Bad Id\nstart: a\nnodes: {a: {type: end}}\n", {"field 'id'"}},
        Malformed{"dangling start", "id: x\nstart: nowhere\nnodes: {a: {type: end}}\n",
                  {"field 'start'", "nowhere"}},
        Malformed{"no nodes", "id: x\nstart: a\nnodes: {}\n", {"field 'nodes'"}},
        Malformed{"unknown node type", R"(
id: x
start: a
nodes:
  a: {type: teleport, next: b}
  b: {type: end}
)", {"node 'a'", "field 'type'", "teleport"}},
        Malformed{"missing type", R"(
id: x
start: a
nodes:
  a: {next: b}
  b: {type: end}
)", {"node 'a'", "field 'type'", "missing"}},
        Malformed{"dangling next", R"(
id: x
start: a
nodes:
  a: {type: timer, duration: P1D, next: nowhere}
  b: {type: end}
)", {"node 'a'", "field 'next'", "nowhere"}},
        Malformed{"missing next", R"(
id: x
start: a
nodes:
  a: {type: timer, duration: P1D}
)", {"node 'a'", "field 'next'", "missing"}},
        Malformed{"next on an end node", R"(
id: x
start: a
nodes:
  a: {type: end, next: a}
)", {"node 'a'", "field 'next'"}},
        Malformed{"dangling branch", R"(
id: x
start: r
nodes:
  r: {type: exclusive, branches: [{when: "a", next: b}, {next: ghost}]}
  b: {type: end}
)", {"node 'r'", "field 'branches[1].next'", "ghost"}},
        Malformed{"default branch not last", R"(
id: x
start: r
nodes:
  r: {type: exclusive, branches: [{next: b}, {when: "a", next: b}]}
  b: {type: end}
)", {"node 'r'", "field 'branches[0]'", "default"}},
        Malformed{"unreachable node", R"(
id: x
start: a
nodes:
  a: {type: end}
  orphan: {type: end}
)", {"node 'orphan'", "unreachable"}},
        Malformed{"bad when expression", R"(
id: x
start: r
nodes:
  r: {type: exclusive, branches: [{when: "posts <=", next: b}, {next: b}]}
  b: {type: end}
)", {"node 'r'", "field 'branches[0].when'"}},
        Malformed{"bad set expression", R"(
id: x
start: a
nodes:
  a: {type: end, set: {n: "n + * 2"}}
)", {"node 'a'", "field 'set.n'"}},
        Malformed{"unterminated template", R"(
id: x
start: a
nodes:
  a: {type: message, name: m, correlate: "${key", next: b}
  b: {type: end}
)", {"node 'a'", "field 'correlate'"}},
        Malformed{"bad duration", R"(
id: x
start: a
nodes:
  a: {type: timer, duration: 3 days, next: b}
  b: {type: end}
)", {"node 'a'", "field 'duration'", "3 days"}},
        Malformed{"timer with both duration and at", R"(
id: x
start: a
nodes:
  a: {type: timer, duration: P1D, at: "2026-01-01", next: b}
  b: {type: end}
)", {"node 'a'", "exactly one of duration or at"}},
        Malformed{"timer without duration or at", R"(
id: x
start: a
nodes:
  a: {type: timer, next: b}
  b: {type: end}
)", {"node 'a'", "exactly one of duration or at"}},
        Malformed{"missing join", R"(
id: x
start: p
nodes:
  p: {type: parallel, branches: [a, b]}
  a: {type: end}
  b: {type: end}
)", {"node 'p'", "field 'join'", "missing"}},
        Malformed{"dangling join", R"(
id: x
start: p
nodes:
  p: {type: parallel, branches: [a, b], join: nowhere}
  a: {type: timer, duration: P1D, next: c}
  b: {type: timer, duration: P1D, next: c}
  c: {type: end}
)", {"node 'p'", "field 'join'", "nowhere"}},
        Malformed{"branch never reaching join", R"(
id: x
start: p
nodes:
  p: {type: parallel, branches: [a, b], join: j}
  a: {type: timer, duration: P1D, next: j}
  b: {type: timer, duration: P1D, next: other}
  j: {type: end}
  other: {type: end}
)", {"node 'p'", "field 'join'", "'b'"}},
        Malformed{"branch that can end before its join", R"(
id: x
start: p
nodes:
  p: {type: parallel, branches: [a, b], join: j}
  a: {type: timer, duration: P1D, next: j}
  b: {type: exclusive, branches: [{when: "stop", next: early}, {next: j}]}
  j: {type: end}
  early: {type: end}
)", {"node 'p'", "field 'branches'", "'b' can end at 'early'"}},
        Malformed{"terminate that is not a boolean", R"(
id: x
start: a
nodes:
  a: {type: end, terminate: sometimes}
)", {"node 'a'", "field 'terminate'", "true or false"}},
        Malformed{"terminate on another node type", R"(
id: x
start: a
nodes:
  a: {type: timer, duration: P1D, terminate: true, next: b}
  b: {type: end}
)", {"node 'a'", "field 'terminate'"}},
        Malformed{"single parallel branch", R"(
id: x
start: p
nodes:
  p: {type: parallel, branches: [a], join: a}
  a: {type: end}
)", {"node 'p'", "field 'branches'"}},
        Malformed{"unknown field", R"(
id: x
start: a
nodes:
  a: {type: timer, durration: P1D, next: b}
  b: {type: end}
)", {"node 'a'", "field 'durration'"}},
        Malformed{"field of another node type", R"(
id: x
start: a
nodes:
  a: {type: service, job: j, duration: P1D, next: b}
  b: {type: end}
)", {"node 'a'", "field 'duration'", "service"}},
        Malformed{"service without job", R"(
id: x
start: a
nodes:
  a: {type: service, next: b}
  b: {type: end}
)", {"node 'a'", "field 'job'"}},
        Malformed{"retries not a number", R"(
id: x
start: a
nodes:
  a: {type: service, job: j, retries: many, next: b}
  b: {type: end}
)", {"node 'a'", "field 'retries'"}},
        Malformed{"user without role or assignees", R"(
id: x
start: a
nodes:
  a: {type: user, next: b}
  b: {type: end}
)", {"node 'a'", "field 'role'"}},
        Malformed{"remind without due", R"(
id: x
start: a
nodes:
  a: {type: user, role: r, remind: [-1wd], next: b}
  b: {type: end}
)", {"node 'a'", "field 'remind'", "due"}},
        Malformed{"bad completion", R"(
id: x
start: a
nodes:
  a: {type: user, assignees: [p, q], completion: 3/2, next: b}
  b: {type: end}
)", {"node 'a'", "field 'completion'"}},
        Malformed{"message timeout without next", R"(
id: x
start: a
nodes:
  a: {type: message, name: m, timeout: {after: P1D}, next: b}
  b: {type: end}
)", {"node 'a'", "field 'timeout'"}},
        Malformed{"dangling timeout next", R"(
id: x
start: a
nodes:
  a: {type: message, name: m, timeout: {after: P1D, next: gone}, next: b}
  b: {type: end}
)", {"node 'a'", "field 'timeout.next'", "gone"}},
        Malformed{"foreach without as", R"(
id: x
start: a
nodes:
  a: {type: foreach, items: "${xs}", call: c, next: b}
  b: {type: end}
)", {"node 'a'", "field 'as'"}},
        Malformed{"call without definition", R"(
id: x
start: a
nodes:
  a: {type: call, next: b}
  b: {type: end}
)", {"node 'a'", "field 'definition'"}},
        Malformed{"due and due_at", R"(
id: x
start: a
nodes:
  a: {type: user, role: r, due: 5wd, due_at: "${d}", next: b}
  b: {type: end}
)", {"node 'a'", "field 'due_at'", "not both"}},
        Malformed{"remind_at without a due time", R"(
id: x
start: a
nodes:
  a: {type: user, role: r, remind_at: ["${d}"], next: b}
  b: {type: end}
)", {"node 'a'", "field 'remind_at'"}},
        Malformed{"unterminated role template", R"(
id: x
start: a
nodes:
  a: {type: user, role: "${step.role", next: b}
  b: {type: end}
)", {"node 'a'", "field 'role'"}}),
    [](const ::testing::TestParamInfo<Malformed>& info) {
      std::string name;
      for (char ch : std::string(info.param.what)) {
        name += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
      }
      return name;
    });

TEST(DefinitionTest, ParallelBranchMayEndAtATerminatingEnd) {
  // One branch may end the whole instance (`terminate: true`) without reaching the join, or
  // only sometimes reach it; a plain end before the join is still refused (MalformedTest).
  auto def = ParseDefinition(R"(
id: x
start: p
nodes:
  p: {type: parallel, branches: [a, b, c], join: j}
  a: {type: timer, duration: P1D, next: j}
  b: {type: exclusive, branches: [{when: "stop", next: stop}, {next: j}]}
  c: {type: timer, duration: P2D, next: stop}
  j: {type: end, status: joined}
  stop: {type: end, terminate: true, status: stopped}
)");
  ASSERT_TRUE(def.ok()) << def.status();
  EXPECT_TRUE((*def)->Find("stop")->terminate);
  EXPECT_EQ((*def)->Find("stop")->status, "stopped");
  EXPECT_FALSE((*def)->Find("j")->terminate);
}

TEST(DefinitionTest, DeeplyNestedYamlIsRefusedNotACrash) {
  // Deploy parses YAML from a request; flow collections 100,000 levels deep must not recurse
  // the parser off the stack.
  for (const std::string& deep : {std::string(100'000, '[') + std::string(100'000, ']'),
                                  std::string(100'000, '{') + std::string(100'000, '}')}) {
    auto def = ParseDefinition("id: x\nstart: a\nnodes:\n  a: {type: end, status: " + deep +
                               "}\n");
    EXPECT_EQ(def.status().code(), absl::StatusCode::kInvalidArgument);
    def = ParseDefinition("id: x\nstart: a\nnodes: " + deep + "\n");
    EXPECT_EQ(def.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(DefinitionTest, DigestDependsOnTheExactText) {
  const char* a = "id: x\nstart: a\nnodes: {a: {type: end}}\n";
  const char* b = "id: x\nstart: a\nnodes: {a: {type: end, status: done}}\n";
  auto da = ParseDefinition(a);
  auto db = ParseDefinition(b);
  ASSERT_TRUE(da.ok() && db.ok());
  EXPECT_EQ((*da)->digest, (*ParseDefinition(a))->digest);
  EXPECT_NE((*da)->digest, (*db)->digest);
  // SHA-256 of the empty string, a known value.
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

}  // namespace
}  // namespace shequ::engine
