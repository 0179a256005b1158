#include "daemon/server/plugins_service.h"

#include "absl/strings/str_cat.h"
#include "daemon/server/reactors.h"

namespace shequ::server {
namespace {

void ToProto(const plugin::PluginInfo& i, v1::PluginStatus* out) {
  out->set_name(i.name);
  out->set_state(i.state);
  out->set_isolation(i.isolation);
  out->set_source(i.source);
  out->set_department(i.department);
  out->set_version(i.version);
  out->set_restarts(i.restarts);
  out->set_last_error(i.last_error);
  for (const auto& t : i.job_types) out->add_job_types(t);
  out->set_jobs_completed(i.jobs_completed);
  out->set_jobs_failed(i.jobs_failed);
  out->set_jobs_running(i.jobs_running);
}

}  // namespace

// List and Describe read a snapshot under a short lock: no store, nothing to wait for.
grpc::ServerUnaryReactor* PluginsService::List(grpc::CallbackServerContext* ctx,
                                               const v1::ListPluginsRequest*,
                                               v1::ListPluginsResponse* resp) {
  for (const auto& info : plugins_.List()) ToProto(info, resp->add_plugins());
  return Refuse(ctx, absl::OkStatus());
}

grpc::ServerUnaryReactor* PluginsService::Describe(grpc::CallbackServerContext* ctx,
                                                   const v1::DescribePluginRequest* req,
                                                   v1::DescribePluginResponse* resp) {
  if (req->name().empty()) return Refuse(ctx, absl::InvalidArgumentError("name: required"));
  auto d = plugins_.Describe(req->name());
  if (!d.ok()) return Refuse(ctx, d.status());
  ToProto(d->first, resp->mutable_status());
  *resp->mutable_plugin() = std::move(d->second);
  return Refuse(ctx, absl::OkStatus());
}

grpc::ServerUnaryReactor* PluginsService::Invoke(grpc::CallbackServerContext* ctx,
                                                 const v1::InvokePluginRequest* req,
                                                 v1::InvokePluginResponse* resp) {
  if (req->plugin().empty()) return Refuse(ctx, absl::InvalidArgumentError("plugin: required"));
  if (req->operation().empty()) {
    return Refuse(ctx, absl::InvalidArgumentError("operation: required"));
  }
  auto input = ParseVariables(req->input(), "input", c_.max_variables_bytes);
  if (!input.ok()) return Refuse(ctx, input.status());
  const engine::Caller caller = CallerOf(ctx);
  plugin::pb::InvokeRequest call;
  call.set_operation(req->operation());
  call.set_input(input->dump());
  call.set_request_id(req->request_id());
  call.set_caller_user(caller.user);
  for (const auto& role : caller.roles) call.add_caller_roles(role);
  call.set_caller_unit(caller.unit);
  auto* r = ctx->DefaultReactor();
  plugins_.Invoke(req->plugin(), std::move(call), [r, resp](absl::StatusOr<std::string> out) {
    if (!out.ok()) return r->Finish(ToGrpc(out.status()));
    resp->set_output(*std::move(out));
    r->Finish(grpc::Status::OK);
  });
  return r;
}

}  // namespace shequ::server
