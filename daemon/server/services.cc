#include "daemon/server/services.h"

#include "absl/strings/str_cat.h"
#include "daemon/auth/authorization.h"
#include "daemon/core/duration.h"
#include "daemon/core/status.h"
#include "daemon/server/convert.h"
#include "daemon/server/reactors.h"

namespace shequ::server {
namespace {

using engine::json;

// The units a request's `unit` filter stands for: none, that unit, or with `within_unit` that
// unit and every unit under it in the registry (as of now).
absl::StatusOr<std::vector<std::string>> UnitsOf(const ServiceContext& c, const std::string& unit,
                                                 bool within_unit) {
  if (!within_unit) return unit.empty() ? std::vector<std::string>{} : std::vector{unit};
  if (unit.empty()) return absl::InvalidArgumentError("within_unit: needs a unit");
  std::vector<std::string> units;
  if (c.units != nullptr) units = c.units->Subtree(unit);
  if (units.empty()) {
    return absl::NotFoundError(absl::StrCat("unit: no unit '", unit, "' in the registry"));
  }
  return units;
}

// Per-record scope, for what the gate cannot judge from the request alone: a caller holding a
// district-wide role reads every unit's records; the others only those of their unit and the
// units under it (a record with no unit is the district's, not theirs).
absl::Status RequireRecordScope(const ServiceContext& c, const engine::Caller& caller,
                                const std::string& what, const std::string& unit) {
  if (auth::HoldsDistrictWideRole(caller)) return absl::OkStatus();
  if (unit.empty()) {
    return absl::PermissionDeniedError(absl::StrCat(
        what, " is the whole district's; ", caller.user, " acts only for unit ", caller.unit));
  }
  return c.gate.RequireScope(caller, absl::StrCat(what, "'s unit"), unit);
}

// The stored instance `id` (NOT_FOUND without one) is in `caller`'s scope.
absl::Status RequireInstanceScope(const ServiceContext& c, const engine::Caller& caller,
                                  int64_t id) {
  ASSIGN_OR_RETURN(auto inst, c.store.GetInstance(id));
  if (!inst) return absl::NotFoundError(absl::StrCat("instance_id: no instance ", id));
  return RequireRecordScope(c, caller, absl::StrCat("instance ", id), inst->unit);
}

// A task is visible to whoever may act on it (Engine::MayAct), its assignee or owner, and to
// callers whose unit covers the task's.
bool MaySeeTask(const ServiceContext& c, const engine::Caller& caller, const engine::Task& t) {
  if (auth::HoldsDistrictWideRole(caller) || caller.user == t.assignee ||
      caller.user == t.owner || c.engine.MayAct(caller, t)) {
    return true;
  }
  return !t.unit.empty() && c.gate.ActsFor(caller, t.unit);
}

template <typename Read>
grpc::ServerUnaryReactor* OnReader(ServiceContext& c, grpc::CallbackServerContext* ctx,
                                   Read read) {
  return OnReader(c.readers, ctx, std::move(read));
}

absl::Status RequireId(int64_t id, const char* field) {
  if (id <= 0) return absl::InvalidArgumentError(absl::StrCat(field, ": must be a positive id"));
  return absl::OkStatus();
}

// Takes one of the caller's open-stream slots, held until the stream ends.
absl::Status OpenStreamSlot(const ServiceContext& c, const std::string& principal,
                            auth::StreamCounter::Slot* slot) {
  return c.limits ? c.limits->streams().Open(principal, slot) : absl::OkStatus();
}

void FillTask(const json& answer, v1::TaskResponse* resp) {
  ToProto(answer.at("task").get<engine::Task>(), resp->mutable_task());
}

}  // namespace

// ---- Definitions ---------------------------------------------------------------------------

grpc::ServerUnaryReactor* DefinitionsService::Deploy(grpc::CallbackServerContext* ctx,
                                                     const v1::DeployRequest* req,
                                                     v1::DeployResponse* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Definitions/Deploy", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  if (req->yaml().empty()) return Refuse(ctx, absl::InvalidArgumentError("yaml: empty"));
  if (req->yaml().size() > c_.max_variables_bytes) {
    return Refuse(ctx, absl::ResourceExhaustedError("yaml: larger than 1 MiB"));
  }
  auto* r = ctx->DefaultReactor();
  c_.engine.Deploy(*caller, {req->yaml(), req->request_id()},
                   Answer(r, [resp](const json& a) {
                     resp->set_id(a.at("id"));
                     resp->set_version(a.at("version"));
                     resp->set_changed(a.at("changed"));
                   }));
  return r;
}

namespace {
void ToProto(const engine::Definition& d, bool with_yaml, v1::Definition* out) {
  out->set_id(d.id);
  out->set_version(d.version);
  out->set_name(d.name);
  out->set_digest(d.digest);
  if (with_yaml) out->set_yaml(d.yaml);
}
}  // namespace

grpc::ServerUnaryReactor* DefinitionsService::Get(grpc::CallbackServerContext* ctx,
                                                  const v1::GetDefinitionRequest* req,
                                                  v1::Definition* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Definitions/Get", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  if (req->id().empty()) return Refuse(ctx, absl::InvalidArgumentError("id: empty"));
  // On a reader: an old version may be read from the store and parsed (Engine::FindDefinition).
  return OnReader(c_, ctx, [this, req, resp]() -> absl::Status {
    auto def = c_.engine.FindDefinition(req->id(), req->version());
    if (absl::IsNotFound(def.status())) {
      return absl::NotFoundError(absl::StrCat("id: no definition '", req->id(), "'",
                                              req->version() ? " of that version" : ""));
    }
    RETURN_IF_ERROR(def.status());
    ToProto(**def, true, resp);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* DefinitionsService::List(grpc::CallbackServerContext* ctx,
                                                   const v1::ListDefinitionsRequest* req,
                                                   v1::ListDefinitionsResponse* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Definitions/List", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  for (const auto& d : c_.engine.LatestDefinitions()) ToProto(*d, false, resp->add_definitions());
  return Refuse(ctx, absl::OkStatus());
}

// ---- Instances -----------------------------------------------------------------------------

grpc::ServerUnaryReactor* InstancesService::Start(grpc::CallbackServerContext* ctx,
                                                  const v1::StartRequest* req,
                                                  v1::StartResponse* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Instances/Start", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  if (req->definition_id().empty()) {
    return Refuse(ctx, absl::InvalidArgumentError("definition_id: empty"));
  }
  if (req->version() < 0) return Refuse(ctx, absl::InvalidArgumentError("version: negative"));
  auto vars = ParseVariables(req->variables(), "variables", c_.max_variables_bytes);
  if (!vars.ok()) return Refuse(ctx, vars.status());
  auto* r = ctx->DefaultReactor();
  engine::StartArgs args{req->definition_id(), req->version(), req->business_key(), req->unit(),
                         *std::move(vars)};
  c_.engine.Start(*caller, {std::move(args), req->request_id()},
                  Answer(r, [resp](const json& a) {
                    resp->set_instance_id(a.at("instance_id"));
                    resp->set_definition_version(a.at("version"));
                  }));
  return r;
}

grpc::ServerUnaryReactor* InstancesService::Get(grpc::CallbackServerContext* ctx,
                                                const v1::GetInstanceRequest* req,
                                                v1::Instance* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Instances/Get", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  if (auto s = RequireId(req->id(), "id"); !s.ok()) return Refuse(ctx, s);
  return OnReader(c_, ctx, [this, id = req->id(), resp, who = *caller]() -> absl::Status {
    ASSIGN_OR_RETURN(auto row, c_.store.GetInstance(id));
    if (!row) return absl::NotFoundError(absl::StrCat("id: no instance ", id));
    RETURN_IF_ERROR(RequireRecordScope(c_, who, absl::StrCat("instance ", id), row->unit));
    ToProto(*row, resp);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* InstancesService::List(grpc::CallbackServerContext* ctx,
                                                 const v1::ListInstancesRequest* req,
                                                 v1::ListInstancesResponse* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Instances/List", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  auto page = PageOf(req->page());
  if (!page.ok()) return Refuse(ctx, page.status());
  static const std::set<std::string> kStates = {"", "active", "completed", "cancelled", "failed"};
  if (!kStates.count(req->state())) {
    return Refuse(ctx, absl::InvalidArgumentError(absl::StrCat(
                           "state: '", req->state(), "' is not active, completed, cancelled or failed")));
  }
  store::InstanceFilter f{req->definition_id(), req->state(), req->business_key(), req->unit()};
  return OnReader(c_, ctx, [this, f, p = *page, resp]() -> absl::Status {
    ASSIGN_OR_RETURN(auto rows, c_.store.ListInstances(f, p));
    for (const auto& row : rows) ToProto(row, resp->add_instances());
    if (!rows.empty()) resp->set_next_page_token(NextPageToken(rows.back().id, rows.size(), p.limit));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* InstancesService::Cancel(grpc::CallbackServerContext* ctx,
                                                   const v1::CancelRequest* req,
                                                   v1::CancelResponse*) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Instances/Cancel", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  if (auto s = RequireId(req->id(), "id"); !s.ok()) return Refuse(ctx, s);
  auto* r = ctx->DefaultReactor();
  c_.engine.Cancel(*caller, {req->id(), req->reason(), req->request_id()}, Answer(r));
  return r;
}

grpc::ServerUnaryReactor* InstancesService::PublishMessage(grpc::CallbackServerContext* ctx,
                                                           const v1::PublishMessageRequest* req,
                                                           v1::PublishMessageResponse* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Instances/PublishMessage", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  if (req->name().empty()) return Refuse(ctx, absl::InvalidArgumentError("name: empty"));
  if (req->ttl_ms() < 0) return Refuse(ctx, absl::InvalidArgumentError("ttl_ms: negative"));
  auto vars = ParseVariables(req->variables(), "variables", c_.max_variables_bytes);
  if (!vars.ok()) return Refuse(ctx, vars.status());
  auto* r = ctx->DefaultReactor();
  c_.engine.PublishMessage(
      *caller,
      {req->name(), req->correlation(), *std::move(vars), req->ttl_ms(), req->request_id()},
      Answer(r, [resp](const json& a) {
        resp->set_delivered_to(a.at("delivered_to"));
        resp->set_buffered(a.at("buffered"));
      }));
  return r;
}

namespace {
class WatchStream : public Stream<v1::Event> {
 public:
  WatchStream(ServiceContext& c, const v1::WatchRequest& req, engine::Caller caller,
              auth::StreamCounter::Slot slot)
      : Stream(c.stream_bounds, std::move(slot)), c_(c) {
    const size_t page = page_size();
    watcher_ = c.hub.Watch({req.instance_id()}, handle(), req.after_seq(), page * 2);
    // Catch up from the store a page at a time as the reader takes them, then go live. The
    // first page waits for the instance's unit to be checked against the caller's scope.
    backfill_ = std::make_shared<Backfill>(
        c.readers,
        [&c, w = watcher_, id = req.instance_id(), page, caller = std::move(caller),
         admitted = false]() mutable {
          if (!admitted) {
            // A district-wide role may also watch for an instance not started yet; the others
            // need one whose unit can be checked.
            absl::Status s = auth::HoldsDistrictWideRole(caller)
                                 ? absl::OkStatus()
                                 : RequireInstanceScope(c, caller, id);
            if (!s.ok()) {
              w->Close(ToGrpc(s));
              return false;
            }
            admitted = true;
          }
          auto rows = c.store.History(id, w->BeginPage(), static_cast<int>(page));
          if (!rows.ok()) {
            w->Close(ToGrpc(rows.status()));
            return false;
          }
          return w->CatchUp(*rows, rows->size() >= page);
        },
        [h = handle()] { return h->HasRoom(); });
    backfill_->Kick();
  }

 private:
  void AfterWrite() override { backfill_->Kick(); }
  void Ended() override { c_.hub.Remove(watcher_.get()); }
  ServiceContext& c_;
  std::shared_ptr<Hub::Watcher> watcher_;
  std::shared_ptr<Backfill> backfill_;
};
}  // namespace

grpc::ServerWriteReactor<v1::Event>* InstancesService::Watch(grpc::CallbackServerContext* ctx,
                                                             const v1::WatchRequest* req) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Instances/Watch", *req);
  if (!caller.ok()) return new RefusedStream<v1::Event>(ToGrpc(caller.status()));
  auth::StreamCounter::Slot slot;
  if (auto s = OpenStreamSlot(c_, caller->user, &slot); !s.ok()) {
    return new RefusedStream<v1::Event>(ToGrpc(s));
  }
  auto* stream = new WatchStream(c_, *req, *caller, std::move(slot));
  CloseOnRevoke<v1::Event>(&c_.sessions, caller->credential, stream->handle());
  return stream;
}

grpc::ServerUnaryReactor* InstancesService::History(grpc::CallbackServerContext* ctx,
                                                    const v1::HistoryRequest* req,
                                                    v1::HistoryResponse* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Instances/History", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  if (auto s = RequireId(req->instance_id(), "instance_id"); !s.ok()) return Refuse(ctx, s);
  if (req->limit() < 0 || req->limit() > 10000) {
    return Refuse(ctx, absl::InvalidArgumentError("limit: must be from 0 to 10000"));
  }
  return OnReader(c_, ctx, [this, req, resp, who = *caller]() -> absl::Status {
    RETURN_IF_ERROR(RequireInstanceScope(c_, who, req->instance_id()));
    ASSIGN_OR_RETURN(auto events, c_.store.History(req->instance_id(), req->after_seq(),
                                                   req->limit() ? req->limit() : 500));
    for (const auto& e : events) {
      ToProto(e, resp->add_events());
    }
    return absl::OkStatus();
  });
}

// ---- Tasks ---------------------------------------------------------------------------------

grpc::ServerUnaryReactor* TasksService::List(grpc::CallbackServerContext* ctx,
                                             const v1::ListTasksRequest* req,
                                             v1::ListTasksResponse* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Tasks/List", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  auto page = PageOf(req->page());
  if (!page.ok()) return Refuse(ctx, page.status());
  static const std::set<std::string> kStates = {"",          "open",      "claimed",
                                                "delegated", "completed", "cancelled"};
  if (!kStates.count(req->state())) {
    return Refuse(ctx, absl::InvalidArgumentError(absl::StrCat(
                           "state: '", req->state(),
                           "' is not open, claimed, delegated, completed or cancelled")));
  }
  // A caller bound to a unit lists its unit's tree unless it names a unit (the gate checked it).
  absl::StatusOr<std::vector<std::string>> units;
  if (req->unit().empty() && !auth::HoldsDistrictWideRole(*caller) && !caller->unit.empty()) {
    units = c_.units != nullptr ? c_.units->Subtree(caller->unit) : std::vector<std::string>{};
    if (units->empty()) units->push_back(caller->unit);  // a unit the registry does not hold
  } else {
    units = UnitsOf(c_, req->unit(), req->within_unit());
  }
  if (!units.ok()) return Refuse(ctx, units.status());
  store::TaskFilter f{req->role(), req->assignee(), *std::move(units), req->state(),
                      req->instance_id()};
  return OnReader(c_, ctx, [this, f, p = *page, resp, who = *caller]() -> absl::Status {
    ASSIGN_OR_RETURN(auto rows, c_.store.ListTasks(f, p));
    for (const auto& row : rows) {
      engine::Task task = engine::FromRow(row);
      // A unit-bound caller without a unit sees only the tasks it may act on; the page token
      // still follows the store's rows.
      if (MaySeeTask(c_, who, task)) ToProto(task, resp->add_tasks());
    }
    if (!rows.empty()) resp->set_next_page_token(NextPageToken(rows.back().id, rows.size(), p.limit));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* TasksService::Get(grpc::CallbackServerContext* ctx,
                                            const v1::GetTaskRequest* req, v1::Task* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Tasks/Get", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  if (auto s = RequireId(req->id(), "id"); !s.ok()) return Refuse(ctx, s);
  return OnReader(c_, ctx, [this, id = req->id(), resp, who = *caller]() -> absl::Status {
    ASSIGN_OR_RETURN(auto row, c_.store.GetTask(id));
    if (!row) return absl::NotFoundError(absl::StrCat("id: no task ", id));
    engine::Task task = engine::FromRow(*row);
    if (!MaySeeTask(c_, who, task)) {
      return RequireRecordScope(c_, who, absl::StrCat("task ", id), task.unit);
    }
    ToProto(task, resp);
    ASSIGN_OR_RETURN(auto inst, c_.store.GetInstance(row->instance_id));
    if (inst) resp->set_variables(engine::FromRow(*inst).variables.dump());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* TasksService::Claim(grpc::CallbackServerContext* ctx,
                                              const v1::ClaimRequest* req,
                                              v1::TaskResponse* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Tasks/Claim", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  if (auto s = RequireId(req->task_id(), "task_id"); !s.ok()) return Refuse(ctx, s);
  auto* r = ctx->DefaultReactor();
  c_.engine.ClaimTask(*caller, {req->task_id(), req->request_id()},
                      Answer(r, [resp](const json& a) { FillTask(a, resp); }));
  return r;
}

grpc::ServerUnaryReactor* TasksService::Complete(grpc::CallbackServerContext* ctx,
                                                 const v1::CompleteRequest* req,
                                                 v1::TaskResponse* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Tasks/Complete", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  if (auto s = RequireId(req->task_id(), "task_id"); !s.ok()) return Refuse(ctx, s);
  auto vars = ParseVariables(req->variables(), "variables", c_.max_variables_bytes);
  if (!vars.ok()) return Refuse(ctx, vars.status());
  auto* r = ctx->DefaultReactor();
  c_.engine.CompleteTask(
      *caller,
      {req->task_id(), req->outcome(), *std::move(vars), req->comment(), req->request_id()},
      Answer(r, [resp](const json& a) { FillTask(a, resp); }));
  return r;
}

grpc::ServerUnaryReactor* TasksService::Delegate(grpc::CallbackServerContext* ctx,
                                                 const v1::DelegateRequest* req,
                                                 v1::TaskResponse* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Tasks/Delegate", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  if (auto s = RequireId(req->task_id(), "task_id"); !s.ok()) return Refuse(ctx, s);
  auto* r = ctx->DefaultReactor();
  c_.engine.DelegateTask(*caller,
                         {req->task_id(), req->to(), req->comment(), req->request_id()},
                         Answer(r, [resp](const json& a) { FillTask(a, resp); }));
  return r;
}

grpc::ServerUnaryReactor* TasksService::Transfer(grpc::CallbackServerContext* ctx,
                                                 const v1::TransferRequest* req,
                                                 v1::TaskResponse* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Tasks/Transfer", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  if (auto s = RequireId(req->task_id(), "task_id"); !s.ok()) return Refuse(ctx, s);
  auto* r = ctx->DefaultReactor();
  c_.engine.TransferTask(*caller,
                         {req->task_id(), req->to(), req->comment(), req->request_id()},
                         Answer(r, [resp](const json& a) { FillTask(a, resp); }));
  return r;
}

grpc::ServerUnaryReactor* TasksService::Return(grpc::CallbackServerContext* ctx,
                                               const v1::ReturnRequest* req,
                                               v1::TaskResponse* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Tasks/Return", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  if (auto s = RequireId(req->task_id(), "task_id"); !s.ok()) return Refuse(ctx, s);
  if (req->to_node().empty()) return Refuse(ctx, absl::InvalidArgumentError("to_node: empty"));
  auto* r = ctx->DefaultReactor();
  c_.engine.ReturnTask(*caller,
                       {req->task_id(), req->to_node(), req->comment(), req->request_id()},
                       Answer(r, [resp](const json& a) { FillTask(a, resp); }));
  return r;
}

// ---- Jobs ----------------------------------------------------------------------------------

grpc::ServerWriteReactor<v1::Job>* JobsService::Activate(grpc::CallbackServerContext* ctx,
                                                         const v1::ActivateRequest* req) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Jobs/Activate", *req);
  if (!caller.ok()) return new RefusedStream<v1::Job>(ToGrpc(caller.status()));
  if (req->types().empty() || req->max_jobs() < 0 || req->timeout_ms() < 0 ||
      req->long_poll_ms() < 0) {
    return new RefusedStream<v1::Job>(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                    req->types().empty()
                                        ? "types: name at least one job type"
                                        : "max_jobs, timeout_ms, long_poll_ms: must not be negative"));
  }
  auth::StreamCounter::Slot slot;
  if (auto s = OpenStreamSlot(c_, caller->user, &slot); !s.ok()) {
    return new RefusedStream<v1::Job>(ToGrpc(s));
  }
  auto* stream = new ActivateStream(c_.engine, c_.io, *req, c_.stream_bounds, std::move(slot));
  CloseOnRevoke<v1::Job>(&c_.sessions, caller->credential, stream->handle());
  return stream;
}

grpc::ServerUnaryReactor* JobsService::Complete(grpc::CallbackServerContext* ctx,
                                                const v1::CompleteJobRequest* req,
                                                v1::CompleteJobResponse*) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Jobs/Complete", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  if (auto s = RequireId(req->job_id(), "job_id"); !s.ok()) return Refuse(ctx, s);
  if (req->attempt() < 0) {
    return Refuse(ctx, absl::InvalidArgumentError("attempt: must not be negative"));
  }
  auto vars = ParseVariables(req->variables(), "variables", c_.max_variables_bytes);
  if (!vars.ok()) return Refuse(ctx, vars.status());
  auto* r = ctx->DefaultReactor();
  c_.engine.CompleteJob(*caller,
                        {{req->job_id(), req->attempt()}, *std::move(vars), req->request_id()},
                        Answer(r));
  return r;
}

grpc::ServerUnaryReactor* JobsService::Fail(grpc::CallbackServerContext* ctx,
                                            const v1::FailJobRequest* req,
                                            v1::FailJobResponse* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Jobs/Fail", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  if (auto s = RequireId(req->job_id(), "job_id"); !s.ok()) return Refuse(ctx, s);
  if (req->retries_left() < -1) {
    return Refuse(ctx, absl::InvalidArgumentError("retries_left: -1 or a count"));
  }
  if (req->attempt() < 0) {
    return Refuse(ctx, absl::InvalidArgumentError("attempt: must not be negative"));
  }
  auto* r = ctx->DefaultReactor();
  // Absent is the same as -1: the node's retry policy decides (proto3 would read 0, "none left").
  c_.engine.FailJob(*caller,
                    {{req->job_id(), req->attempt()},
                     req->error(),
                     req->has_retries_left() ? req->retries_left() : -1,
                     req->request_id()},
                    Answer(r, [resp](const json& a) {
                      resp->set_incident(a.at("incident"));
                      resp->set_retry_at_ms(a.at("retry_at_ms"));
                    }));
  return r;
}

// ---- Incidents -----------------------------------------------------------------------------

grpc::ServerUnaryReactor* IncidentsService::List(grpc::CallbackServerContext* ctx,
                                                 const v1::ListIncidentsRequest* req,
                                                 v1::ListIncidentsResponse* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Incidents/List", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  auto page = PageOf(req->page());
  if (!page.ok()) return Refuse(ctx, page.status());
  // "closed": withdrawn with its instance (cancelled) rather than resolved by an operator.
  static const std::set<std::string> kStates = {"", "open", "resolved", "closed"};
  if (!kStates.count(req->state())) {
    return Refuse(ctx, absl::InvalidArgumentError(absl::StrCat(
                           "state: '", req->state(), "' is not open, resolved or closed")));
  }
  store::IncidentFilter f{req->state(), req->instance_id()};
  return OnReader(c_, ctx, [this, f, p = *page, resp]() -> absl::Status {
    ASSIGN_OR_RETURN(auto rows, c_.store.ListIncidents(f, p));
    for (const auto& row : rows) ToProto(engine::FromRow(row), resp->add_incidents());
    if (!rows.empty()) resp->set_next_page_token(NextPageToken(rows.back().id, rows.size(), p.limit));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* IncidentsService::Resolve(grpc::CallbackServerContext* ctx,
                                                    const v1::ResolveIncidentRequest* req,
                                                    v1::ResolveIncidentResponse*) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Incidents/Resolve", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  if (auto s = RequireId(req->id(), "id"); !s.ok()) return Refuse(ctx, s);
  if (req->retries() < 0) return Refuse(ctx, absl::InvalidArgumentError("retries: negative"));
  auto vars = ParseVariables(req->variables(), "variables", c_.max_variables_bytes);
  if (!vars.ok()) return Refuse(ctx, vars.status());
  auto* r = ctx->DefaultReactor();
  c_.engine.ResolveIncident(
      *caller, {req->id(), req->retries(), *std::move(vars), req->request_id()}, Answer(r));
  return r;
}

// ---- Notifications -------------------------------------------------------------------------

grpc::ServerUnaryReactor* NotificationsService::List(grpc::CallbackServerContext* ctx,
                                                     const v1::ListNotificationsRequest* req,
                                                     v1::ListNotificationsResponse* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Notifications/List", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  auto page = PageOf(req->page());
  if (!page.ok()) return Refuse(ctx, page.status());
  if (req->recipient().empty() && req->role().empty()) {
    return Refuse(ctx, absl::InvalidArgumentError("recipient, role: name at least one"));
  }
  auto units = UnitsOf(c_, req->unit(), req->within_unit());
  if (!units.ok()) return Refuse(ctx, units.status());
  store::NotificationFilter f{req->recipient(), {}, *std::move(units), req->include_acked()};
  if (!req->role().empty()) f.roles.push_back(req->role());
  return OnReader(c_, ctx, [this, f, p = *page, resp]() -> absl::Status {
    ASSIGN_OR_RETURN(auto rows, c_.store.ListNotifications(f, p));
    for (const auto& row : rows) ToProto(engine::FromRow(row), resp->add_notifications());
    if (!rows.empty()) resp->set_next_page_token(NextPageToken(rows.back().id, rows.size(), p.limit));
    return absl::OkStatus();
  });
}

namespace {
class SubscribeStream : public Stream<v1::Notification> {
 public:
  SubscribeStream(ServiceContext& c, const Hub::NotificationFilter& f,
                  auth::StreamCounter::Slot slot)
      : Stream(c.stream_bounds, std::move(slot)), c_(c) {
    const size_t page = page_size();
    subscriber_ = c.hub.Subscribe(f, handle(), page * 2);
    // The backlog a page at a time as the reader takes them, then live.
    backfill_ = std::make_shared<Backfill>(
        c.readers,
        [&c, s = subscriber_, f, page] {
          auto rows = c.store.ListNotifications(
              f, store::Page{s->BeginPage(), static_cast<int>(page)});
          if (!rows.ok()) {
            s->Close(ToGrpc(rows.status()));
            return false;
          }
          return s->CatchUp(*rows, rows->size() >= page);
        },
        [h = handle()] { return h->HasRoom(); });
    backfill_->Kick();
  }

 private:
  void AfterWrite() override { backfill_->Kick(); }
  void Ended() override { c_.hub.Remove(subscriber_.get()); }
  ServiceContext& c_;
  std::shared_ptr<Hub::Subscriber> subscriber_;
  std::shared_ptr<Backfill> backfill_;
};
}  // namespace

grpc::ServerWriteReactor<v1::Notification>* NotificationsService::Subscribe(
    grpc::CallbackServerContext* ctx, const v1::SubscribeRequest* req) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Notifications/Subscribe", *req);
  if (!caller.ok()) return new RefusedStream<v1::Notification>(ToGrpc(caller.status()));
  if (req->recipient().empty() && req->roles().empty()) {
    return new RefusedStream<v1::Notification>(grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT, "recipient, roles: name at least one"));
  }
  auto units = UnitsOf(c_, req->unit(), req->within_unit());
  if (!units.ok()) return new RefusedStream<v1::Notification>(ToGrpc(units.status()));
  auth::StreamCounter::Slot slot;
  if (auto s = OpenStreamSlot(c_, caller->user, &slot); !s.ok()) {
    return new RefusedStream<v1::Notification>(ToGrpc(s));
  }
  auto* stream = new SubscribeStream(
      c_, {req->recipient(), {req->roles().begin(), req->roles().end()}, *std::move(units)},
      std::move(slot));
  CloseOnRevoke<v1::Notification>(&c_.sessions, caller->credential, stream->handle());
  return stream;
}

grpc::ServerUnaryReactor* NotificationsService::Ack(grpc::CallbackServerContext* ctx,
                                                    const v1::AckRequest* req, v1::AckResponse*) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Notifications/Ack", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  if (auto s = RequireId(req->id(), "id"); !s.ok()) return Refuse(ctx, s);
  auto* r = ctx->DefaultReactor();
  c_.engine.AckNotification(*caller, {req->id(), req->request_id()}, Answer(r));
  return r;
}

// ---- Admin ---------------------------------------------------------------------------------

grpc::ServerUnaryReactor* AdminService::AdvanceClock(grpc::CallbackServerContext* ctx,
                                                     const v1::AdvanceClockRequest* req,
                                                     v1::AdvanceClockResponse* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Admin/AdvanceClock", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  if (!c_.manual_clock) {
    return Refuse(ctx, absl::FailedPreconditionError(
                           "the clock is real; start shequd with --fake-clock to move it"));
  }
  int64_t to = req->to_ms();
  if (!req->by().empty()) {
    auto d = ParseDuration(req->by());
    if (!d.ok()) return Refuse(ctx, absl::InvalidArgumentError(absl::StrCat("by: ", d.status().message())));
    to = ApplyDuration(c_.manual_clock->NowMs(), *d, c_.engine.calendar());
  } else if (to == 0) {
    return Refuse(ctx, absl::InvalidArgumentError("by, to_ms: give one"));
  }
  auto* r = ctx->DefaultReactor();
  c_.engine.AdvanceClock(*c_.manual_clock, to, Answer(r, [resp](const json& a) {
    resp->set_now_ms(a.at("now_ms"));
    resp->set_timers_fired(a.at("timers_fired"));
  }));
  return r;
}

grpc::ServerUnaryReactor* AdminService::Stats(grpc::CallbackServerContext* ctx,
                                              const v1::StatsRequest* req,
                                              v1::StatsResponse* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Admin/Stats", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  return OnReader(c_, ctx, [this, resp]() -> absl::Status {
    ASSIGN_OR_RETURN(const store::Counts n, c_.store.Count());
    store::CommitStats cs = c_.store.GetCommitStats();
    absl::Status health = c_.store.Health();
    resp->set_now_ms(c_.engine.clock().NowMs());
    resp->set_instances_active(n.instances_active);
    resp->set_tasks_open(n.tasks_open);
    resp->set_jobs_pending(n.jobs_pending);
    resp->set_timers_pending(c_.engine.TimersPending());
    resp->set_incidents_open(n.incidents_open);
    resp->set_notifications_unacked(n.notifications_unacked);
    resp->set_commits(cs.commits);
    resp->set_committed_records(cs.records);
    resp->set_store_healthy(health.ok());
    resp->set_store_error(std::string(health.message()));
    resp->set_definitions(static_cast<int32_t>(c_.engine.LatestDefinitions().size()));
    return absl::OkStatus();
  });
}

}  // namespace shequ::server
