#include "daemon/server/convert.h"

#include <atomic>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "daemon/core/json_depth.h"
#include "daemon/core/status.h"

namespace shequ::server {
namespace {

std::string Metadata(const grpc::CallbackServerContext* ctx, const char* key) {
  const auto& md = ctx->client_metadata();
  auto it = md.find(key);
  return it == md.end() ? "" : std::string(it->second.data(), it->second.size());
}

std::atomic<const auth::Authenticator*> caller_authenticator{nullptr};

}  // namespace

void SetCallerAuthenticator(const auth::Authenticator* authenticator) {
  caller_authenticator.store(authenticator);
}

engine::Caller ToCaller(const auth::Principal& p) {
  engine::Caller c;
  c.user = p.name;
  c.roles = p.roles;
  c.unit = p.unit;
  c.credential = p.credential;
  return c;
}

absl::StatusOr<engine::Caller> AuthenticatedCallerOf(const grpc::CallbackServerContext* ctx) {
  if (const auth::Authenticator* a = caller_authenticator.load()) {
    auto p = a->Authenticate(*ctx);
    if (!p.ok()) return p.status();
    return ToCaller(*p);
  }
  engine::Caller c;
  c.user = Metadata(ctx, "x-shequ-user");
  c.unit = Metadata(ctx, "x-shequ-unit");
  for (absl::string_view r : absl::StrSplit(Metadata(ctx, "x-shequ-roles"), ',',
                                             absl::SkipWhitespace())) {
    c.roles.emplace_back(absl::StripAsciiWhitespace(r));
  }
  return c;
}

engine::Caller CallerOf(const grpc::CallbackServerContext* ctx) {
  auto c = AuthenticatedCallerOf(ctx);
  return c.ok() ? *std::move(c) : engine::Caller{};
}

grpc::Status ToGrpc(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

absl::StatusOr<json> ParseVariables(const std::string& text, const std::string& field,
                                    size_t max_bytes) {
  if (text.size() > max_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat(field, ": ", text.size(), " bytes is over the limit of ", max_bytes));
  }
  if (text.empty()) return json::object();
  absl::Status too_deep;
  json v = ParseBoundedJson(text, field, &too_deep);
  RETURN_IF_ERROR(too_deep);
  if (v.is_discarded()) return absl::InvalidArgumentError(absl::StrCat(field, ": not valid JSON"));
  if (!v.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": the JSON root must be an object"));
  }
  return v;
}

absl::StatusOr<store::Page> PageOf(const shequ::v1::PageRequest& page) {
  store::Page p;
  if (page.page_size() < 0 || page.page_size() > 1000) {
    return absl::InvalidArgumentError("page.page_size: must be from 0 to 1000");
  }
  if (page.page_size() > 0) p.limit = page.page_size();
  if (!page.page_token().empty() && !absl::SimpleAtoi(page.page_token(), &p.after_id)) {
    return absl::InvalidArgumentError("page.page_token: not a token this server issued");
  }
  return p;
}

std::string NextPageToken(int64_t last_id, size_t returned, int limit) {
  return returned == static_cast<size_t>(limit) ? std::to_string(last_id) : "";
}

void ToProto(const store::InstanceRow& row, shequ::v1::Instance* out) {
  engine::Instance inst = engine::FromRow(row);
  out->set_id(inst.id);
  out->set_definition_id(inst.definition_id);
  out->set_definition_version(inst.version);
  out->set_business_key(inst.business_key);
  out->set_unit(inst.unit);
  out->set_state(inst.state);
  out->set_end_status(inst.end_status);
  out->set_variables(inst.variables.dump());
  for (const auto& n : inst.CurrentNodes()) out->add_current_nodes(n);
  out->set_parent_id(inst.parent_id);
  out->set_created_at_ms(inst.created_at_ms);
  out->set_updated_at_ms(inst.updated_at_ms);
  out->set_ended_at_ms(inst.ended_at_ms);
}

void ToProto(const engine::Task& t, shequ::v1::Task* out) {
  out->set_id(t.id);
  out->set_instance_id(t.instance_id);
  out->set_node_id(t.node);
  out->set_name(t.name);
  out->set_state(t.state);
  out->set_role(t.role);
  out->set_unit(t.unit);
  for (const auto& c : t.candidates) out->add_candidates(c);
  out->set_assignee(t.assignee);
  out->set_owner(t.owner);
  out->set_due_at_ms(t.due_at_ms);
  for (const auto& o : t.outcomes) out->add_outcomes(o);
  out->set_outcome(t.outcome);
  out->set_completed_by(t.completed_by);
  out->set_escalated(t.escalated);
  out->set_escalation_role(t.escalation_role);
  out->set_group_id(t.group_id);
  out->set_created_at_ms(t.created_at_ms);
  out->set_completed_at_ms(t.completed_at_ms);
  out->set_definition_id(t.definition_id);
}

void ToProto(const engine::Job& j, const json& variables, shequ::v1::Job* out) {
  out->set_id(j.id);
  out->set_type(j.type);
  out->set_instance_id(j.instance_id);
  out->set_node_id(j.node);
  out->set_variables(variables.dump());
  out->set_retries_left(j.retries_left);
  out->set_attempt(j.attempt);
  out->set_deadline_ms(j.due_at_ms);
  out->set_definition_id(j.definition_id);
}

void ToProto(const engine::Incident& i, shequ::v1::Incident* out) {
  out->set_id(i.id);
  out->set_instance_id(i.instance_id);
  out->set_node_id(i.node);
  out->set_kind(i.kind);
  out->set_message(i.message);
  out->set_job_id(i.job_id);
  out->set_state(i.state);
  out->set_created_at_ms(i.created_at_ms);
  out->set_resolved_at_ms(i.resolved_at_ms);
}

void ToProto(const engine::Notification& n, shequ::v1::Notification* out) {
  out->set_id(n.id);
  out->set_recipient(n.recipient);
  out->set_role(n.role);
  out->set_unit(n.unit);
  out->set_kind(n.kind);
  out->set_subject(n.subject);
  out->set_body(n.body);
  out->set_task_id(n.task_id);
  out->set_instance_id(n.instance_id);
  out->set_created_at_ms(n.created_at_ms);
  out->set_acked_at_ms(n.acked_at_ms);
  out->set_acked_by(n.acked_by);
}

void ToProto(const store::EventRow& row, shequ::v1::Event* out) {
  out->set_seq(row.seq);
  out->set_instance_id(row.instance_id);
  out->set_type(row.type);
  json data = json::parse(row.body, nullptr, false);
  if (data.is_object()) {
    out->set_node_id(data.value("node", ""));
    out->set_actor(data.value("actor", ""));
    data.erase("node");
    data.erase("actor");
    out->set_data(data.dump());
  }
  out->set_at_ms(row.at_ms);
}

}  // namespace shequ::server
