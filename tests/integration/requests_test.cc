// Request validation and request_id idempotency through gRPC on the real daemon: bad requests
// name the field at fault with an honest code, and a retry with the same request_id returns the
// first answer without a second effect.

#include <gtest/gtest.h>

#include <chrono>
#include <functional>

#include "nlohmann/json.hpp"
#include "tests/integration/client.h"

namespace shequ::testing {
namespace {

using grpc::StatusCode;
using nlohmann::json;

constexpr char kApproveYaml[] = R"(
id: r-approve
start: approve
nodes:
  approve:
    type: user
    role: clerk
    outcomes: [approved, rejected]
    next: done
  done: {type: end}
)";

constexpr char kPersonalYaml[] = R"(
id: r-personal
start: decide
nodes:
  decide: {type: user, assignees: ["${owner}"], next: done}
  done: {type: end}
)";

constexpr char kTwoStepYaml[] = R"(
id: r-two-step
start: draft
nodes:
  draft: {type: user, assignees: ["${author}"], next: review}
  review: {type: user, assignees: ["${reviewer}"], next: done}
  done: {type: end}
)";

constexpr char kMessageYaml[] = R"(
id: r-message
start: wait
nodes:
  wait: {type: message, name: paid, correlate: "${order}", next: done}
  done: {type: end}
)";

constexpr char kJobYaml[] = R"(
id: r-job
start: work
nodes:
  work: {type: service, job: r.work, retries: 3, next: done}
  done: {type: end}
)";

// The call failed with `code` and its message names `field`.
#define EXPECT_FIELD_ERROR(status, code, field)                                     \
  do {                                                                              \
    const grpc::Status s_ = (status);                                               \
    EXPECT_EQ(s_.error_code(), (code)) << Describe(s_);                             \
    EXPECT_NE(s_.error_message().find(field), std::string::npos) << Describe(s_);   \
  } while (0)

// Who starts instances, and who cancels them.
const Caller kStarter{"starter", "leading-group"};  // acts for the whole district
const Caller kAdmin{"admin", "district-admin"};

class RequestsTest : public DaemonTest {
 protected:
  RequestsTest() : DaemonTest("requests") {}

  // The bank reports a payment.
  grpc::Status Publish(const std::string& correlation, const std::string& request_id,
                       v1::PublishMessageResponse* out, const std::string& variables = "") {
    v1::PublishMessageRequest req;
    req.set_name("paid");
    req.set_correlation(correlation);
    req.set_variables(variables);
    req.set_request_id(request_id);
    return client_->TryPublish(req, out, {"bank", "job-worker"});
  }

  // Activates one job of `type`; its id, or 0.
  v1::Job ActivateOne(const std::string& type) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    v1::ActivateRequest req;
    req.add_types(type);
    req.set_worker("worker-1");
    req.set_max_jobs(1);
    client_->Prepare(&ctx, kJobWorker);
    auto reader = client_->stubs.jobs->Activate(&ctx, req);
    v1::Job job;
    EXPECT_TRUE(reader->Read(&job));
    v1::Job extra;
    EXPECT_FALSE(reader->Read(&extra));
    grpc::Status s = reader->Finish();
    EXPECT_TRUE(s.ok()) << Describe(s);
    return job;
  }
};

// ---- bad requests --------------------------------------------------------------------------

TEST_F(RequestsTest, StartNamesTheFieldAtFault) {
  ASSERT_TRUE(client_->TryDeploy(kApproveYaml).ok());
  v1::StartRequest req;
  req.set_definition_id("");
  EXPECT_FIELD_ERROR(client_->TryStart(req, nullptr, kStarter), StatusCode::INVALID_ARGUMENT,
                     "definition_id");

  req.set_definition_id("no-such-workflow");
  EXPECT_FIELD_ERROR(client_->TryStart(req, nullptr, kStarter), StatusCode::NOT_FOUND,
                     "no-such-workflow");

  req.set_definition_id("r-approve");
  req.set_version(7);
  EXPECT_FIELD_ERROR(client_->TryStart(req, nullptr, kStarter), StatusCode::NOT_FOUND, "version");
  req.set_version(-1);
  EXPECT_FIELD_ERROR(client_->TryStart(req, nullptr, kStarter), StatusCode::INVALID_ARGUMENT,
                     "version");
  req.set_version(0);

  for (const char* bad : {"{not json", "{\"a\": 1", "nul"}) {
    req.set_variables(bad);
    EXPECT_FIELD_ERROR(client_->TryStart(req, nullptr, kStarter), StatusCode::INVALID_ARGUMENT,
                       "variables");
  }
  for (const char* not_object : {"[1, 2]", "42", "\"text\"", "null", "true"}) {
    req.set_variables(not_object);
    EXPECT_FIELD_ERROR(client_->TryStart(req, nullptr, kStarter), StatusCode::INVALID_ARGUMENT,
                       "variables");
  }
  // Just over 1 MiB of JSON text.
  req.set_variables(json{{"blob", std::string(1 << 20, 'x')}}.dump());
  EXPECT_FIELD_ERROR(client_->TryStart(req, nullptr, kStarter), StatusCode::RESOURCE_EXHAUSTED,
                     "variables");
  EXPECT_TRUE(client_->Instances("r-approve").empty());  // nothing of that started anything

  // Just under the limit is fine.
  req.set_variables(json{{"blob", std::string((1 << 20) - 100, 'x')}}.dump());
  v1::StartResponse resp;
  grpc::Status ok = client_->TryStart(req, &resp, kStarter);
  ASSERT_TRUE(ok.ok()) << Describe(ok);
  EXPECT_EQ(resp.definition_version(), 1);
  EXPECT_EQ(client_->Instances("r-approve").size(), 1u);
}

TEST_F(RequestsTest, CompleteRefusesBadAndOversizeVariables) {
  ASSERT_TRUE(client_->TryDeploy(kApproveYaml).ok());
  int64_t id = client_->Start("r-approve", {{"blob", std::string(600 << 10, 'a')}}, kStarter);
  v1::Task task = client_->OnlyTask(id);
  EXPECT_FIELD_ERROR(client_->Complete(task.id(), {"li", "clerk"}, "approved", nullptr, "[]"),
                     StatusCode::INVALID_ARGUMENT, "variables");
  EXPECT_FIELD_ERROR(client_->Complete(task.id(), {"li", "clerk"}, "approved", nullptr, "{oops"),
                     StatusCode::INVALID_ARGUMENT, "variables");
  // Each part is under 1 MiB; merged into the instance they would not be.
  EXPECT_FIELD_ERROR(client_->Complete(task.id(), {"li", "clerk"}, "approved", nullptr,
                                       json{{"more", std::string(600 << 10, 'b')}}.dump()),
                     StatusCode::RESOURCE_EXHAUSTED, "variables");
  EXPECT_EQ(client_->OnlyTask(id).state(), "open");
  EXPECT_EQ(client_->Instance(id).state(), "active");
}

// {"a":{"a":…{"a":1}…}}: `levels` objects, the root included.
std::string Nested(int levels) {
  std::string text;
  text.reserve(levels * 6);
  for (int i = 0; i < levels; ++i) text += "{\"a\":";
  text += "1";
  text.append(levels, '}');
  return text;
}

TEST_F(RequestsTest, DeeplyNestedVariablesAreRefusedAndTheDaemonStaysUp) {
  // 100,000 levels used to overflow the stack (SIGSEGV, no log line) in Start and Complete.
  ASSERT_TRUE(client_->TryDeploy(kApproveYaml).ok());
  v1::StartRequest req;
  req.set_definition_id("r-approve");
  req.set_variables(Nested(100'000));
  EXPECT_FIELD_ERROR(client_->TryStart(req, nullptr, kStarter), StatusCode::INVALID_ARGUMENT,
                     "variables: nested deeper than 64 levels");
  // Arrays count as levels too, and brackets inside strings do not.
  req.set_variables("{\"a\":" + std::string(100'000, '[') + std::string(100'000, ']') + "}");
  EXPECT_FIELD_ERROR(client_->TryStart(req, nullptr, kStarter), StatusCode::INVALID_ARGUMENT,
                     "variables: nested deeper than 64 levels");
  req.set_variables(Nested(65));
  EXPECT_FIELD_ERROR(client_->TryStart(req, nullptr, kStarter), StatusCode::INVALID_ARGUMENT,
                     "variables: nested deeper than 64 levels");
  EXPECT_TRUE(client_->Instances("r-approve").empty());
  json text_with_brackets = {{"s", std::string(1000, '[') + "\"{"}};
  req.set_variables(text_with_brackets.dump());
  ASSERT_TRUE(client_->TryStart(req, nullptr, kStarter).ok());
  req.set_variables(Nested(64));
  v1::StartResponse started;
  grpc::Status ok = client_->TryStart(req, &started, kStarter);
  ASSERT_TRUE(ok.ok()) << Describe(ok);

  v1::Task task = client_->OnlyTask(started.instance_id());
  EXPECT_FIELD_ERROR(
      client_->Complete(task.id(), {"li", "clerk"}, "approved", nullptr, Nested(100'000)),
      StatusCode::INVALID_ARGUMENT, "variables: nested deeper than 64 levels");
  EXPECT_EQ(client_->OnlyTask(started.instance_id()).state(), "open");
  // Still up, and still serving.
  EXPECT_EQ(client_->Stats().instances_active(), 2);
  ASSERT_TRUE(
      client_->Complete(task.id(), {"li", "clerk"}, "approved", nullptr, Nested(30)).ok());
  EXPECT_EQ(client_->Instance(started.instance_id()).state(), "completed");
}

TEST_F(RequestsTest, PagingIsChecked) {
  auto check = [&](const std::string& what, const std::function<grpc::Status(v1::PageRequest)>& call) {
    SCOPED_TRACE(what);
    v1::PageRequest page;
    page.set_page_size(1001);
    EXPECT_FIELD_ERROR(call(page), StatusCode::INVALID_ARGUMENT, "page_size");
    page.set_page_size(-1);
    EXPECT_FIELD_ERROR(call(page), StatusCode::INVALID_ARGUMENT, "page_size");
    page.set_page_size(1000);
    EXPECT_TRUE(call(page).ok()) << what;
    page.set_page_size(0);
    for (const char* token : {"not-a-token", "12abc", " "}) {
      SCOPED_TRACE(token);
      page.set_page_token(token);
      EXPECT_FIELD_ERROR(call(page), StatusCode::INVALID_ARGUMENT, "page_token");
    }
  };
  check("Instances/List", [&](v1::PageRequest p) {
    grpc::ClientContext ctx;
    client_->Prepare(&ctx);
    v1::ListInstancesRequest req;
    *req.mutable_page() = p;
    v1::ListInstancesResponse resp;
    return client_->stubs.instances->List(&ctx, req, &resp);
  });
  check("Tasks/List", [&](v1::PageRequest p) {
    grpc::ClientContext ctx;
    client_->Prepare(&ctx);
    v1::ListTasksRequest req;
    *req.mutable_page() = p;
    v1::ListTasksResponse resp;
    return client_->stubs.tasks->List(&ctx, req, &resp);
  });
  check("Notifications/List", [&](v1::PageRequest p) {
    grpc::ClientContext ctx;
    client_->Prepare(&ctx);
    v1::ListNotificationsRequest req;
    req.set_role("clerk");
    *req.mutable_page() = p;
    v1::ListNotificationsResponse resp;
    return client_->stubs.notifications->List(&ctx, req, &resp);
  });
  check("Incidents/List", [&](v1::PageRequest p) {
    grpc::ClientContext ctx;
    client_->Prepare(&ctx);
    v1::ListIncidentsRequest req;
    *req.mutable_page() = p;
    v1::ListIncidentsResponse resp;
    return client_->stubs.incidents->List(&ctx, req, &resp);
  });

  // Notifications/List needs an audience.
  grpc::ClientContext ctx;
  client_->Prepare(&ctx);
  v1::ListNotificationsRequest req;
  v1::ListNotificationsResponse resp;
  grpc::Status s = client_->stubs.notifications->List(&ctx, req, &resp);
  EXPECT_FIELD_ERROR(s, StatusCode::INVALID_ARGUMENT, "recipient");
}

TEST_F(RequestsTest, UnknownStateFiltersAreRefused) {
  {
    grpc::ClientContext ctx;
    client_->Prepare(&ctx);
    v1::ListInstancesRequest req;
    req.set_state("running");
    v1::ListInstancesResponse resp;
    EXPECT_FIELD_ERROR(client_->stubs.instances->List(&ctx, req, &resp),
                       StatusCode::INVALID_ARGUMENT, "state");
  }
  {
    grpc::ClientContext ctx;
    client_->Prepare(&ctx);
    v1::ListTasksRequest req;
    req.set_state("done");
    v1::ListTasksResponse resp;
    EXPECT_FIELD_ERROR(client_->stubs.tasks->List(&ctx, req, &resp), StatusCode::INVALID_ARGUMENT,
                       "state");
  }
  {
    grpc::ClientContext ctx;
    client_->Prepare(&ctx);
    v1::ListIncidentsRequest req;
    req.set_state("bogus");
    v1::ListIncidentsResponse resp;
    EXPECT_FIELD_ERROR(client_->stubs.incidents->List(&ctx, req, &resp),
                       StatusCode::INVALID_ARGUMENT, "state");
  }
  // The known ones are accepted.
  for (const char* state : {"", "active", "completed", "cancelled", "failed"}) {
    grpc::ClientContext ctx;
    client_->Prepare(&ctx);
    v1::ListInstancesRequest req;
    req.set_state(state);
    v1::ListInstancesResponse resp;
    EXPECT_TRUE(client_->stubs.instances->List(&ctx, req, &resp).ok()) << state;
  }
  for (const char* state : {"", "open", "claimed", "delegated", "completed", "cancelled"}) {
    grpc::ClientContext ctx;
    client_->Prepare(&ctx);
    v1::ListTasksRequest req;
    req.set_state(state);
    v1::ListTasksResponse resp;
    EXPECT_TRUE(client_->stubs.tasks->List(&ctx, req, &resp).ok()) << state;
  }
  for (const char* state : {"", "open", "resolved", "closed"}) {
    grpc::ClientContext ctx;
    client_->Prepare(&ctx);
    v1::ListIncidentsRequest req;
    req.set_state(state);
    v1::ListIncidentsResponse resp;
    EXPECT_TRUE(client_->stubs.incidents->List(&ctx, req, &resp).ok()) << state;
  }
}

TEST_F(RequestsTest, ZeroIdsNameTheField) {
  for (int64_t id : {int64_t{0}, int64_t{-3}}) {
    SCOPED_TRACE(id);
    v1::Instance inst;
    EXPECT_FIELD_ERROR(client_->GetInstance(id, &inst), StatusCode::INVALID_ARGUMENT, "id");
    EXPECT_FIELD_ERROR(client_->Cancel(id, "withdrawn", kAdmin), StatusCode::INVALID_ARGUMENT,
                       "id");
    {
      grpc::ClientContext ctx;
      client_->Prepare(&ctx);
      v1::HistoryRequest req;
      req.set_instance_id(id);
      v1::HistoryResponse resp;
      EXPECT_FIELD_ERROR(client_->stubs.instances->History(&ctx, req, &resp),
                         StatusCode::INVALID_ARGUMENT, "instance_id");
    }
    v1::Task task;
    EXPECT_FIELD_ERROR(client_->GetTask(id, &task), StatusCode::INVALID_ARGUMENT, "id");
    EXPECT_FIELD_ERROR(client_->Claim(id, {"li", "clerk"}), StatusCode::INVALID_ARGUMENT,
                       "task_id");
    EXPECT_FIELD_ERROR(client_->Complete(id, {"li", "clerk"}, "approved"),
                       StatusCode::INVALID_ARGUMENT, "task_id");
    EXPECT_FIELD_ERROR(client_->Delegate(id, {"li"}, "wu"), StatusCode::INVALID_ARGUMENT,
                       "task_id");
    EXPECT_FIELD_ERROR(client_->Transfer(id, {"li"}, "wu"), StatusCode::INVALID_ARGUMENT,
                       "task_id");
    EXPECT_FIELD_ERROR(client_->Return(id, {"li"}, "draft"), StatusCode::INVALID_ARGUMENT,
                       "task_id");
    EXPECT_FIELD_ERROR(client_->Ack(id, {"li"}), StatusCode::INVALID_ARGUMENT, "id");
    EXPECT_FIELD_ERROR(client_->CompleteJob(id), StatusCode::INVALID_ARGUMENT, "job_id");
    EXPECT_FIELD_ERROR(client_->FailJob(id, "", nullptr, 0), StatusCode::INVALID_ARGUMENT,
                       "job_id");
    EXPECT_FIELD_ERROR(client_->Resolve(id, json::object()), StatusCode::INVALID_ARGUMENT, "id");
  }
  // Ids that are well formed but unknown are NOT_FOUND.
  EXPECT_EQ(client_->Cancel(424242, "withdrawn", kAdmin).error_code(), StatusCode::NOT_FOUND);
  EXPECT_EQ(client_->Claim(424242, {"li", "clerk"}).error_code(), StatusCode::NOT_FOUND);
  EXPECT_EQ(client_->Ack(424242, {"li"}).error_code(), StatusCode::NOT_FOUND);
}

TEST_F(RequestsTest, DeployNamesTheFieldAtFault) {
  EXPECT_FIELD_ERROR(client_->TryDeploy(""), StatusCode::INVALID_ARGUMENT, "yaml");
  grpc::Status dangling = client_->TryDeploy(R"(
id: r-bad
start: a
nodes:
  a: {type: user, role: clerk, next: nowhere}
)");
  EXPECT_FIELD_ERROR(dangling, StatusCode::INVALID_ARGUMENT, "next");
  EXPECT_NE(dangling.error_message().find("'a'"), std::string::npos) << Describe(dangling);
  v1::Definition def;
  EXPECT_EQ(client_->GetDefinition("r-bad", &def).error_code(), StatusCode::NOT_FOUND);
}

// ---- cancel --------------------------------------------------------------------------------

TEST_F(RequestsTest, CancelOfAnEndedInstanceIsAWrongState) {
  ASSERT_TRUE(client_->TryDeploy(kApproveYaml).ok());
  int64_t done = client_->Start("r-approve", json::object(), kStarter);
  ASSERT_TRUE(client_->Complete(client_->OnlyTask(done).id(), {"li", "clerk"}, "approved").ok());
  ASSERT_EQ(client_->Instance(done).state(), "completed");
  grpc::Status s = client_->Cancel(done, "withdrawn", kAdmin);
  EXPECT_EQ(s.error_code(), StatusCode::FAILED_PRECONDITION) << Describe(s);
  EXPECT_NE(s.error_message().find("completed"), std::string::npos) << Describe(s);
  EXPECT_EQ(client_->Instance(done).state(), "completed");

  int64_t live = client_->Start("r-approve", json::object(), kStarter);
  v1::Task task = client_->OnlyTask(live);
  ASSERT_TRUE(client_->Cancel(live, "withdrawn", kAdmin).ok());
  v1::Instance inst = client_->Instance(live);
  EXPECT_EQ(inst.state(), "cancelled");
  EXPECT_EQ(inst.ended_at_ms(), kMonday0900);
  EXPECT_EQ(inst.current_nodes_size(), 0);
  EXPECT_TRUE(client_->Tasks(live).empty());
  ASSERT_EQ(client_->Tasks(live, "cancelled").size(), 1u);
  EXPECT_EQ(client_->Tasks(live, "cancelled")[0].id(), task.id());
  EXPECT_EQ(client_->Cancel(live, "withdrawn", kAdmin).error_code(),
            StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(client_->Complete(task.id(), {"li", "clerk"}, "approved").error_code(),
            StatusCode::FAILED_PRECONDITION);
}

// ---- request_id idempotency ----------------------------------------------------------------

TEST_F(RequestsTest, StartRetryReturnsTheFirstInstance) {
  ASSERT_TRUE(client_->TryDeploy(kApproveYaml).ok());
  int64_t a = client_->Start("r-approve", {{"n", 1}}, kStarter, "start-1");
  int64_t b = client_->Start("r-approve", {{"n", 2}}, kStarter,
                             "start-1");  // a retry, even if the body differs
  EXPECT_EQ(a, b);
  int64_t c = client_->Start("r-approve", {{"n", 1}}, kStarter, "start-2");
  EXPECT_NE(c, a);
  auto all = client_->Instances("r-approve");
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(json::parse(client_->Instance(a).variables())["n"], 1);
  EXPECT_EQ(client_->Tasks(a).size(), 1u);  // one task, not two
}

TEST_F(RequestsTest, DeployRetryReturnsTheFirstAnswer) {
  v1::DeployResponse first, retry, plain;
  ASSERT_TRUE(client_->TryDeploy(kApproveYaml, &first, "deploy-1").ok());
  EXPECT_EQ(first.id(), "r-approve");
  EXPECT_EQ(first.version(), 1);
  EXPECT_TRUE(first.changed());
  // Without a request id, the same text again is "unchanged"; the retry gets the first answer.
  ASSERT_TRUE(client_->TryDeploy(kApproveYaml, &retry, "deploy-1").ok());
  EXPECT_EQ(retry.version(), 1);
  EXPECT_TRUE(retry.changed());
  ASSERT_TRUE(client_->TryDeploy(kApproveYaml, &plain).ok());
  EXPECT_EQ(plain.version(), 1);
  EXPECT_FALSE(plain.changed());
  // A retry whose text differs still deploys nothing new.
  std::string changed = std::string(kApproveYaml) + "# edited\n";
  ASSERT_TRUE(client_->TryDeploy(changed, &retry, "deploy-1").ok());
  EXPECT_EQ(retry.version(), 1);
  v1::Definition def;
  ASSERT_TRUE(client_->GetDefinition("r-approve", &def).ok());
  EXPECT_EQ(def.version(), 1);
  EXPECT_EQ(def.yaml(), kApproveYaml);
}

TEST_F(RequestsTest, ClaimAndCompleteRetriesReturnTheFirstAnswer) {
  ASSERT_TRUE(client_->TryDeploy(kApproveYaml).ok());
  int64_t id = client_->Start("r-approve", json::object(), kStarter);
  v1::Task task = client_->OnlyTask(id);

  v1::Task claimed, retried;
  ASSERT_TRUE(client_->Claim(task.id(), {"li", "clerk"}, &claimed, "claim-1").ok());
  EXPECT_EQ(claimed.state(), "claimed");
  v1::Task done;
  ASSERT_TRUE(
      client_->Complete(task.id(), {"li", "clerk"}, "approved", &done, "", "complete-1").ok());
  EXPECT_EQ(done.state(), "completed");
  EXPECT_EQ(client_->Instance(id).state(), "completed");

  // Both retries answer as the first time, not FAILED_PRECONDITION for a completed task.
  grpc::Status s = client_->Claim(task.id(), {"li", "clerk"}, &retried, "claim-1");
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(retried.id(), task.id());
  EXPECT_EQ(retried.state(), "claimed");
  EXPECT_EQ(retried.assignee(), "li");
  s = client_->Complete(task.id(), {"li", "clerk"}, "rejected", &retried, "", "complete-1");
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(retried.state(), "completed");
  EXPECT_EQ(retried.outcome(), "approved");
  EXPECT_EQ(retried.completed_by(), "li");
  // ... with no second effect.
  v1::Task stored = client_->Tasks(id, "completed").at(0);
  EXPECT_EQ(stored.outcome(), "approved");
  EXPECT_EQ(json::parse(client_->Instance(id).variables())["outcome"], "approved");
  // Without the request id it is the wrong state it is.
  EXPECT_EQ(client_->Complete(task.id(), {"li", "clerk"}, "approved").error_code(),
            StatusCode::FAILED_PRECONDITION);
}

TEST_F(RequestsTest, CompleteRetryDoesNotCompleteTheNextStep) {
  ASSERT_TRUE(client_->TryDeploy(kTwoStepYaml).ok());
  int64_t id = client_->Start("r-two-step", {{"author", "li"}, {"reviewer", "li"}}, kStarter);
  v1::Task draft = client_->OnlyTask(id);
  v1::Task first, retry;
  ASSERT_TRUE(client_->Complete(draft.id(), {"li"}, "", &first, "", "step").ok());
  v1::Task review = client_->OnlyTask(id);
  EXPECT_EQ(review.node_id(), "review");
  ASSERT_TRUE(client_->Complete(draft.id(), {"li"}, "", &retry, "", "step").ok());
  EXPECT_EQ(retry.id(), draft.id());
  EXPECT_EQ(client_->OnlyTask(id).id(), review.id());  // the review is still open
  EXPECT_EQ(client_->Instance(id).state(), "active");
}

TEST_F(RequestsTest, DelegateTransferReturnRetriesReturnTheFirstAnswer) {
  ASSERT_TRUE(client_->TryDeploy(kTwoStepYaml).ok());
  int64_t id = client_->Start("r-two-step", {{"author", "li"}, {"reviewer", "wu"}}, kStarter);
  v1::Task draft = client_->OnlyTask(id);

  auto delegate = [&](const std::string& user, const std::string& to, v1::Task* out) {
    return client_->Delegate(draft.id(), {user}, to, "", out, "delegate-1");
  };
  v1::Task a, b;
  ASSERT_TRUE(delegate("li", "zhang", &a).ok());
  EXPECT_EQ(a.assignee(), "zhang");
  // The retry does not delegate zhang's task a second time (which would be refused).
  grpc::Status s = delegate("li", "zhang", &b);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(b.state(), "delegated");
  EXPECT_EQ(b.owner(), "li");
  ASSERT_EQ(client_->Notifications("zhang", "", true).size(), 1u);  // told once

  ASSERT_TRUE(client_->Complete(draft.id(), {"zhang"}, "").ok());  // back to li
  ASSERT_TRUE(client_->Complete(draft.id(), {"li"}, "").ok());
  v1::Task review = client_->OnlyTask(id);

  auto transfer = [&](const std::string& to, v1::Task* out) {
    return client_->Transfer(review.id(), {"wu"}, to, "", out, "transfer-1");
  };
  ASSERT_TRUE(transfer("zhao", &a).ok());
  s = transfer("zhao", &b);  // wu no longer holds it, yet the retry answers as the first time
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(b.assignee(), "zhao");
  EXPECT_EQ(client_->Notifications("zhao", "", true).size(), 1u);

  auto ret = [&](v1::Task* out) {
    return client_->Return(review.id(), {"zhao"}, "draft", "", out, "return-1");
  };
  ASSERT_TRUE(ret(&a).ok());
  auto drafts = client_->Tasks(id);
  ASSERT_EQ(drafts.size(), 1u);
  s = ret(&b);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(b.state(), "cancelled");
  // One new draft task, not two.
  auto after = client_->Tasks(id);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].id(), drafts[0].id());
}

TEST_F(RequestsTest, CancelRetryReturnsOk) {
  ASSERT_TRUE(client_->TryDeploy(kApproveYaml).ok());
  int64_t id = client_->Start("r-approve", json::object(), kStarter);
  ASSERT_TRUE(client_->Cancel(id, "withdrawn", kAdmin, "cancel-1").ok());
  grpc::Status retry = client_->Cancel(id, "withdrawn", kAdmin, "cancel-1");
  EXPECT_TRUE(retry.ok()) << Describe(retry);
  EXPECT_EQ(client_->Cancel(id, "withdrawn", kAdmin).error_code(), StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(client_->Cancel(id, "withdrawn", kAdmin, "cancel-2").error_code(),
            StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(client_->Instance(id).state(), "cancelled");
  // Exactly one cancellation in the history.
  grpc::ClientContext ctx;
  client_->Prepare(&ctx);
  v1::HistoryRequest req;
  req.set_instance_id(id);
  v1::HistoryResponse resp;
  ASSERT_TRUE(client_->stubs.instances->History(&ctx, req, &resp).ok());
  int cancelled = 0;
  for (const auto& e : resp.events()) cancelled += e.type() == "instance.cancelled";
  EXPECT_EQ(cancelled, 1);
}

TEST_F(RequestsTest, PublishMessageRetryDoesNotDeliverTwice) {
  ASSERT_TRUE(client_->TryDeploy(kMessageYaml).ok());
  int64_t first = client_->Start("r-message", {{"order", "o-1"}}, kStarter);
  int64_t second = client_->Start("r-message", {{"order", "o-1"}}, kStarter);
  v1::PublishMessageResponse a, b, c;
  ASSERT_TRUE(Publish("o-1", "pay-1", &a, R"({"amount": 5})").ok());
  EXPECT_EQ(a.delivered_to(), first);
  EXPECT_FALSE(a.buffered());
  ASSERT_TRUE(Publish("o-1", "pay-1", &b, R"({"amount": 5})").ok());
  EXPECT_EQ(b.delivered_to(), first);  // the first answer again
  EXPECT_EQ(client_->Instance(first).state(), "completed");
  EXPECT_EQ(client_->Instance(second).state(), "active");  // not delivered a second time
  ASSERT_TRUE(Publish("o-1", "pay-2", &c).ok());
  EXPECT_EQ(c.delivered_to(), second);
  EXPECT_EQ(client_->Instance(second).state(), "completed");
  EXPECT_EQ(json::parse(client_->Instance(first).variables())["amount"], 5);

  // A buffered message is buffered once: the retry does not add a second copy.
  v1::PublishMessageResponse d, e;
  {
    v1::PublishMessageRequest req;
    req.set_name("paid");
    req.set_correlation("o-3");
    req.set_ttl_ms(kHour);
    req.set_request_id("pay-4");
    ASSERT_TRUE(client_->TryPublish(req, &d).ok());
    ASSERT_TRUE(client_->TryPublish(req, &e).ok());
  }
  EXPECT_TRUE(d.buffered());
  EXPECT_TRUE(e.buffered());
  int64_t third = client_->Start("r-message", {{"order", "o-3"}}, kStarter);
  int64_t fourth = client_->Start("r-message", {{"order", "o-3"}}, kStarter);
  EXPECT_EQ(client_->Instance(third).state(), "completed");
  EXPECT_EQ(client_->Instance(fourth).state(), "active");  // there was only one buffered copy
}

TEST_F(RequestsTest, AckRetryReturnsTheFirstAnswer) {
  ASSERT_TRUE(client_->TryDeploy(kPersonalYaml).ok());
  client_->Start("r-personal", {{"owner", "li"}}, kStarter);
  auto mine = client_->Notifications("li");
  ASSERT_EQ(mine.size(), 1u);
  ASSERT_TRUE(client_->Ack(mine[0].id(), {"li"}, "ack-1").ok());
  client_->Advance("PT1H");
  ASSERT_TRUE(client_->Ack(mine[0].id(), {"li"}, "ack-1").ok());
  auto acked = client_->Notifications("li", "", true);
  ASSERT_EQ(acked.size(), 1u);
  EXPECT_EQ(acked[0].acked_at_ms(), kMonday0900);
  EXPECT_EQ(acked[0].acked_by(), "li");
}

TEST_F(RequestsTest, JobCompleteAndFailRetriesReturnTheFirstAnswer) {
  ASSERT_TRUE(client_->TryDeploy(kJobYaml).ok());
  int64_t id = client_->Start("r-job", json::object(), kStarter);
  v1::Job job = ActivateOne("r.work");
  ASSERT_GT(job.id(), 0);
  EXPECT_EQ(job.instance_id(), id);
  EXPECT_EQ(job.retries_left(), 3);

  auto fail = [&](v1::FailJobResponse* out) {
    return client_->FailJob(job.id(), "printer on fire", out, -1, "fail-1");
  };
  v1::FailJobResponse f1, f2;
  ASSERT_TRUE(fail(&f1).ok());
  EXPECT_FALSE(f1.incident());
  EXPECT_GT(f1.retry_at_ms(), kMonday0900);
  ASSERT_TRUE(fail(&f2).ok());  // the job is no longer active; the retry answers as before
  EXPECT_EQ(f2.retry_at_ms(), f1.retry_at_ms());

  client_->Advance("PT2H");  // past the back-off
  v1::Job again = ActivateOne("r.work");
  EXPECT_EQ(again.id(), job.id());
  EXPECT_EQ(again.retries_left(), 2);  // counted down once, not twice
  EXPECT_EQ(again.attempt(), 2);

  auto complete = [&]() {
    return client_->CompleteJob(job.id(), R"({"printed": true})", "done-1");
  };
  ASSERT_TRUE(complete().ok());
  EXPECT_EQ(client_->Instance(id).state(), "completed");
  grpc::Status retry = complete();
  EXPECT_TRUE(retry.ok()) << Describe(retry);
}

// A request id is a retry of the same call only: reusing one on another kind of call must not
// hand that call a foreign answer (or take the daemon down).
TEST_F(RequestsTest, RequestIdsDoNotCrossCalls) {
  ASSERT_TRUE(client_->TryDeploy(kApproveYaml).ok());
  int64_t id = client_->Start("r-approve", json::object(), kStarter, "shared-1");
  ASSERT_GT(id, 0);

  // Cancel with that id really cancels.
  ASSERT_TRUE(client_->Cancel(id, "withdrawn", kAdmin, "shared-1").ok());
  EXPECT_EQ(client_->Instance(id).state(), "cancelled");

  // Deploy with that id deploys, and answers with a definition.
  v1::DeployResponse deployed;
  grpc::Status s = client_->TryDeploy(kPersonalYaml, &deployed, "shared-1");
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(deployed.id(), "r-personal");
  EXPECT_EQ(deployed.version(), 1);

  // Claim with it answers with a task.
  int64_t other = client_->Start("r-approve", json::object(), kStarter);
  v1::Task task = client_->OnlyTask(other);
  v1::Task claimed;
  s = client_->Claim(task.id(), {"li", "clerk"}, &claimed, "shared-1");
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(claimed.id(), task.id());
  EXPECT_EQ(claimed.assignee(), "li");

  // And the original call's retry still gets its own first answer.
  EXPECT_EQ(client_->Start("r-approve", json::object(), kStarter, "shared-1"), id);
  // The daemon is still serving.
  grpc::ClientContext ctx;
  client_->Prepare(&ctx);
  v1::StatsRequest req;
  v1::StatsResponse stats;
  EXPECT_TRUE(client_->stubs.admin->Stats(&ctx, req, &stats).ok());
}

}  // namespace
}  // namespace shequ::testing
