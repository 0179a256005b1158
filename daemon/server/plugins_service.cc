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

// A department invokes only its own plugin: the plugin's department is the caller's unit. The
// leading group and the administrator invoke any.
absl::Status PluginsService::OwnPlugin(const engine::Caller& caller,
                                       const std::string& name) const {
  if (caller.HasRole("district-admin") || caller.HasRole("leading-group")) {
    return absl::OkStatus();
  }
  for (const auto& info : plugins_.List()) {
    if (info.name != name) continue;
    if (!caller.unit.empty() && info.department == caller.unit) return absl::OkStatus();
    return absl::PermissionDeniedError(absl::StrCat(
        "department ", caller.unit.empty() ? "(no unit)" : caller.unit,
        " may invoke only its own plugin; ", name, " is the plugin of ",
        info.department.empty() ? "no department" : info.department));
  }
  return absl::NotFoundError(absl::StrCat("plugin: no plugin '", name, "'"));
}

// List and Describe read a snapshot under a short lock: no store, nothing to wait for.
grpc::ServerUnaryReactor* PluginsService::List(grpc::CallbackServerContext* ctx,
                                               const v1::ListPluginsRequest* req,
                                               v1::ListPluginsResponse* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Plugins/List", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  for (const auto& info : plugins_.List()) ToProto(info, resp->add_plugins());
  return Refuse(ctx, absl::OkStatus());
}

grpc::ServerUnaryReactor* PluginsService::Describe(grpc::CallbackServerContext* ctx,
                                                   const v1::DescribePluginRequest* req,
                                                   v1::DescribePluginResponse* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Plugins/Describe", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
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
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Plugins/Invoke", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  if (req->plugin().empty()) return Refuse(ctx, absl::InvalidArgumentError("plugin: required"));
  if (req->operation().empty()) {
    return Refuse(ctx, absl::InvalidArgumentError("operation: required"));
  }
  auto input = ParseVariables(req->input(), "input", c_.max_variables_bytes);
  if (!input.ok()) return Refuse(ctx, input.status());
  if (auto own = OwnPlugin(*caller, req->plugin()); !own.ok()) return Refuse(ctx, own);
  plugin::pb::InvokeRequest call;
  call.set_operation(req->operation());
  call.set_input(input->dump());
  call.set_request_id(req->request_id());
  call.set_caller_user(caller->user);
  for (const auto& role : caller->roles) call.add_caller_roles(role);
  call.set_caller_unit(caller->unit);
  auto* r = ctx->DefaultReactor();
  plugins_.Invoke(req->plugin(), std::move(call), [r, resp](absl::StatusOr<std::string> out) {
    if (!out.ok()) return r->Finish(ToGrpc(out.status()));
    resp->set_output(*std::move(out));
    r->Finish(grpc::Status::OK);
  });
  return r;
}

}  // namespace shequ::server
