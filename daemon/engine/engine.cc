#include "daemon/engine/engine.h"

#include <algorithm>
#include <type_traits>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "daemon/core/json_depth.h"
#include "daemon/core/logging.h"
#include "daemon/core/status.h"
#include "daemon/engine/engine_impl.h"
#include "daemon/engine/transaction.h"

namespace shequ::engine {

json MergedSize(const json& base, const json& update, size_t limit, absl::Status* status) {
  if (JsonDeeperThan(update)) {  // before anything recurses over it
    *status = absl::InvalidArgumentError(
        absl::StrCat("variables: nested deeper than ", kMaxJsonDepth, " levels"));
    return base;
  }
  json merged = base;
  merged.update(update);
  if (JsonTextSize(merged) > limit) {  // the dump's length, without writing it
    *status = absl::ResourceExhaustedError(
        absl::StrCat("variables: the instance's variables would exceed ", limit, " bytes"));
  }
  return merged;
}

bool Caller::HasRole(const std::string& role) const {
  return !role.empty() && std::find(roles.begin(), roles.end(), role) != roles.end();
}


// ---- Engine: lifecycle ---------------------------------------------------------------------

Engine::Impl::Impl(boost::asio::io_context& io, store::Store& store, const Clock& clock,
                   const WorkCalendar& calendar, EngineOptions options)
    : strand_(boost::asio::make_strand(io)),
      wake_(io),
      store_(store),
      clock_(clock),
      calendar_(calendar),
      options_(options),
      cached_instances_(options.cache_objects),
      cached_tasks_(options.cache_objects),
      cached_jobs_(options.cache_objects),
      old_definitions_(options.cache_definitions) {}

absl::Status Engine::Impl::Recover() {
  auto log = Logger("engine");
  // A load that fails fails the start: an engine that forgot its timers or definitions would
  // answer as if they had never been. Only the definitions in use are loaded (a store of 300
  // old 1 MiB versions took 8.8 s to start instead of 1.1 s); the rest are read when asked for.
  ASSIGN_OR_RETURN(std::vector<store::DefinitionRow> definitions, store_.LoadLiveDefinitions());
  for (const auto& row : definitions) {
    int32_t& latest = stored_latest_[row.id];
    latest = std::max(latest, row.version);
    auto def = ParseDefinition(row.yaml);
    if (!def.ok()) {
      log->error("stored definition {} v{} no longer parses: {}", row.id, row.version,
                 def.status().ToString());
      continue;
    }
    (*def)->version = row.version;
    definitions_[row.id][row.version] = *std::move(def);
  }
  ASSIGN_OR_RETURN(sequences_, store_.LoadSequences());
  ASSIGN_OR_RETURN(const auto highest_ids, store_.HighestIds());
  for (const auto& [name, highest] : highest_ids) {
    int64_t& next = sequences_[name];
    next = std::max(next, highest);
  }
  int64_t timers = 0;
  RETURN_IF_ERROR(store_.ForEachTimer([&](const store::TimerRow& r) {
    timers_.push({r.due_at_ms, r.id});
    ++timers;
  }));
  timers_pending_ = timers;
  const int64_t now = clock_.NowMs();
  RETURN_IF_ERROR(store_.ForEachJob("activatable", [&](const store::JobRow& r) {
    if (r.due_at_ms <= now) ready_jobs_[r.type].push_back(r.id);  // later ones have a retry timer
  }));
  ASSIGN_OR_RETURN(const auto messages, store_.LoadMessages());
  for (const auto& m : messages) {
    BufferedMessage msg = FromRow(m);
    buffered_[{msg.name, msg.correlation}].push_back(std::move(msg));
  }
  ASSIGN_OR_RETURN(const auto subscriptions, store_.LoadSubscriptions());
  for (const auto& s : subscriptions) {
    subscriptions_[{s.name, s.correlation}].emplace_back(s.instance_id, std::stoll(s.token_id));
  }
  log->info("recovered {} definitions ({} versions in use), {} timers, {} subscriptions",
            stored_latest_.size(), definitions.size(), timers, subscriptions_.size());
  boost::asio::post(strand_, [this] {
    uint64_t gen = 0;
    FireDueTimers(&gen).IgnoreError();  // logged; retried by the next wake-up
    ScheduleWake();
    Dispatch();
  });
  return store_.Health();
}

absl::StatusOr<std::shared_ptr<const Definition>> Engine::Impl::FindDefinition(
    const std::string& id, int32_t version) const {
  {
    std::shared_lock lock(definitions_mu_);
    auto it = definitions_.find(id);
    if (version == 0) {
      // The latest: the highest kept loaded, unless a higher one was stored but not parsed.
      int32_t latest = 0;
      if (auto s = stored_latest_.find(id); s != stored_latest_.end()) latest = s->second;
      if (it != definitions_.end() && !it->second.empty()) {
        latest = std::max(latest, it->second.rbegin()->first);
      }
      if (latest == 0) return absl::NotFoundError(absl::StrCat("no definition '", id, "'"));
      version = latest;
    }
    if (it != definitions_.end()) {
      if (auto v = it->second.find(version); v != it->second.end()) return v->second;
    }
  }
  const std::pair<std::string, int32_t> key(id, version);
  {
    std::unique_lock lock(definitions_mu_);  // a hit moves to the front of the LRU
    if (const auto* hit = old_definitions_.Get(key)) return *hit;
  }
  // Read and parsed outside the lock: a large old version does not hold up the strand's reads
  // of the loaded ones. Two threads after the same version both read it; the second Put wins.
  absl::StatusOr<std::optional<store::DefinitionRow>> row = store_.GetDefinition(id, version);
  if (!row.ok()) {
    return absl::Status(row.status().code(),
                        absl::StrCat("definition '", id, "' version ", version,
                                     ": reading it failed: ", row.status().message()));
  }
  if (!row->has_value()) {
    return absl::NotFoundError(absl::StrCat("definition '", id, "' has no version ", version));
  }
  absl::StatusOr<std::shared_ptr<Definition>> def = ParseDefinition((*row)->yaml);
  if (!def.ok()) {
    return absl::DataLossError(absl::StrCat("definition '", id, "' version ", version,
                                            ": the stored text no longer parses: ",
                                            def.status().message()));
  }
  (*def)->version = version;
  std::shared_ptr<const Definition> loaded = *std::move(def);
  std::unique_lock lock(definitions_mu_);
  old_definitions_.Put(key, loaded);
  return loaded;
}

std::shared_ptr<const Definition> Engine::Impl::GetDefinition(const std::string& id,
                                                              int32_t version) const {
  absl::StatusOr<std::shared_ptr<const Definition>> def = FindDefinition(id, version);
  if (def.ok()) return *std::move(def);
  if (!absl::IsNotFound(def.status())) Logger("engine")->error("{}", def.status().ToString());
  return nullptr;
}

std::vector<std::shared_ptr<const Definition>> Engine::Impl::LatestDefinitions() const {
  std::shared_lock lock(definitions_mu_);
  std::vector<std::shared_ptr<const Definition>> out;
  for (const auto& [id, versions] : definitions_) {
    if (versions.empty()) continue;
    // A latest version that no longer parses is left out, as a definition that is not there.
    auto s = stored_latest_.find(id);
    if (s != stored_latest_.end() && s->second > versions.rbegin()->first) continue;
    out.push_back(versions.rbegin()->second);
  }
  return out;
}

void Engine::Impl::KeepLoaded(const std::shared_ptr<const Definition>& def) {
  {
    std::shared_lock lock(definitions_mu_);
    auto it = definitions_.find(def->id);
    if (it != definitions_.end() && it->second.count(def->version)) return;  // the usual case
  }
  std::unique_lock lock(definitions_mu_);
  definitions_[def->id].emplace(def->version, def);
  old_definitions_.Erase({def->id, def->version});
}

std::shared_ptr<const Definition> Engine::Impl::DefinitionOf(Tx& tx, const Instance& inst) const {
  absl::StatusOr<std::shared_ptr<const Definition>> def =
      FindDefinition(inst.definition_id, inst.version);
  if (def.ok()) return *std::move(def);
  tx.read_error.Update(absl::Status(
      def.status().code(), absl::StrCat("instance ", inst.id, ": ", def.status().message())));
  return nullptr;
}

// ---- Engine: commands ----------------------------------------------------------------------

void Engine::Impl::Deploy(Caller caller, DeployRequest request, Reply reply) {
  Execute("Deploy", std::move(request.request_id), std::move(caller),
          [this, yaml = std::move(request.yaml)](Tx& tx) -> absl::StatusOr<json> {
    ASSIGN_OR_RETURN(std::shared_ptr<Definition> def, ParseDefinition(yaml));
    // The latest is always loaded, unless its stored text no longer parses: the new text then
    // differs from it and is numbered above it all the same.
    absl::StatusOr<std::shared_ptr<const Definition>> latest = FindDefinition(def->id, 0);
    if (latest.ok() && (*latest)->digest == def->digest) {
      return json{{"id", def->id}, {"version", (*latest)->version}, {"changed", false}};
    }
    int32_t highest = 0;
    {
      std::shared_lock lock(definitions_mu_);
      if (auto s = stored_latest_.find(def->id); s != stored_latest_.end()) highest = s->second;
      auto it = definitions_.find(def->id);
      if (it != definitions_.end() && !it->second.empty()) {
        highest = std::max(highest, it->second.rbegin()->first);
      }
    }
    def->version = highest + 1;
    tx.definitions.push_back({def->id, def->version, def->name, def->digest, def->yaml, tx.now});
    tx.deployed.push_back(def);
    Logger("engine")->info("deployed {} version {}", def->id, def->version);
    return json{{"id", def->id}, {"version", def->version}, {"changed", true}};
  }, std::move(reply));
}

// ---- Domain transactions -------------------------------------------------------------------

int64_t Engine::DomainTx::now() const { return tx_.now; }
const std::string& Engine::DomainTx::actor() const { return tx_.actor; }
const Caller& Engine::DomainTx::caller() const { return tx_.caller; }
void Engine::DomainTx::AuditResource(std::string resource) {
  tx_.audit_resources.push_back(std::move(resource));
}
void Engine::DomainTx::AuditOutcome(std::string outcome, std::string detail,
                                    std::string request_id) {
  tx_.audit_outcome = std::move(outcome);
  tx_.audit_detail = std::move(detail);
  if (!request_id.empty()) tx_.audit_request_id = std::move(request_id);
}
store::WriteBatch& Engine::DomainTx::rows() { return tx_.domain_rows; }

void Engine::DomainTx::Record(std::string subject, std::string unit, std::string type,
                              json data) {
  if (!tx_.actor.empty()) data["actor"] = tx_.actor;
  tx_.events.push_back(
      {0, 0, std::move(type), tx_.now, data.dump(), std::move(subject), std::move(unit)});
}

absl::StatusOr<int64_t> Engine::DomainTx::StartInstance(StartArgs args) {
  auto def = engine_.FindDefinition(args.definition_id, args.version);
  if (absl::IsNotFound(def.status())) {
    return absl::FailedPreconditionError(
        absl::StrCat("workflow '", args.definition_id, "' is not deployed"));
  }
  RETURN_IF_ERROR(def.status());
  ASSIGN_OR_RETURN(int64_t id, engine_.StartInstance(tx_, **def, std::move(args), 0, 0));
  engine_.KeepLoaded(*def);
  return id;
}

absl::Status Engine::DomainTx::CancelInstance(int64_t instance_id, const std::string& reason) {
  Instance* inst = tx_.GetInstance(instance_id);
  if (!inst) return absl::NotFoundError(absl::StrCat("no instance ", instance_id));
  if (inst->state == "active") engine_.CancelInstance(tx_, *inst, reason, true);
  return absl::OkStatus();
}

void Engine::Impl::RecordReveal(Caller caller, std::vector<std::string> resources,
                                std::string detail, Reply reply) {
  if (caller.call.empty()) {  // nothing to audit
    reply(json::object());
    return;
  }
  Execute("RecordReveal", "", std::move(caller),
          [resources = std::move(resources),
           detail = std::move(detail)](Tx& tx) mutable -> absl::StatusOr<json> {
            tx.audit_resources = std::move(resources);
            tx.audit_detail = std::move(detail);
            return json::object();
          },
          std::move(reply));
}

void Engine::Impl::ExecuteDomain(const char* command, std::string request_id, Caller caller,
                           std::function<absl::StatusOr<json>(DomainTx&)> body, Reply reply) {
  Execute(command, std::move(request_id), std::move(caller),
          [this, body = std::move(body)](Tx& tx) -> absl::StatusOr<json> {
            DomainTx domain(*this, tx);
            return body(domain);
          },
          std::move(reply));
}

void Engine::Impl::RunHandler(Tx& tx, Instance& inst, Token& token, const Node& node,
                        const Handler& handler) {
  DomainTx domain(*this, tx);
  absl::StatusOr<json> out =
      handler(domain, {inst.id, inst.business_key, node.id, inst.variables});
  if (out.ok() && !out->is_object()) {
    out = absl::InternalError(absl::StrCat("answered ", out->dump(), ", not a JSON object"));
  }
  absl::Status size_ok;
  json merged;
  if (out.ok()) merged = MergedSize(inst.variables, *out, options_.max_variables_bytes, &size_ok);
  if (!out.ok() || !size_ok.ok()) {
    const absl::Status& s = out.ok() ? size_ok : out.status();
    RaiseIncident(tx, inst, token, "handler", absl::StrCat(node.job, ": ", s.message()));
    return;
  }
  inst.variables = std::move(merged);
  tx.Event(inst.id, "handler.completed", node.id, {{"type", node.job}});
  tx.Save(inst);
  Leave(tx, inst, token.id, node.next);
}

void Engine::Impl::Start(Caller caller, StartRequest request, Reply reply) {
  Execute("Start", std::move(request.request_id), caller,
          [this, args = std::move(request.args)](Tx& tx) mutable -> absl::StatusOr<json> {
    auto def = FindDefinition(args.definition_id, args.version);
    if (absl::IsNotFound(def.status())) {
      return absl::NotFoundError(
          args.version == 0
              ? absl::StrCat("definition_id: no definition '", args.definition_id, "'")
              : absl::StrCat("version: definition '", args.definition_id, "' has no version ",
                             args.version));
    }
    RETURN_IF_ERROR(def.status());
    ASSIGN_OR_RETURN(int64_t id, StartInstance(tx, **def, std::move(args), 0, 0));
    KeepLoaded(*def);  // an old version now runs: its commands must not wait for a read
    return json{{"instance_id", id}, {"version", (*def)->version}};
  }, std::move(reply));
}

void Engine::Impl::Cancel(Caller caller, CancelRequest request, Reply reply) {
  Execute("Cancel", std::move(request.request_id), caller,
          [this, instance_id = request.instance_id,
           reason = std::move(request.reason)](Tx& tx) -> absl::StatusOr<json> {
    Instance* inst = tx.GetInstance(instance_id);
    if (!inst) return absl::NotFoundError(absl::StrCat("id: no instance ", instance_id));
    if (inst->state != "active") {
      return absl::FailedPreconditionError(
          absl::StrCat("instance ", instance_id, " is already ", inst->state));
    }
    CancelInstance(tx, *inst, reason, /*notify_parent=*/true);
    return json::object();
  }, std::move(reply));
}

void Engine::Impl::PublishMessage(Caller caller, PublishMessageRequest request, Reply reply) {
  Execute("PublishMessage", std::move(request.request_id), caller,
          [this, name = std::move(request.name), correlation = std::move(request.correlation),
           variables = std::move(request.variables),
           ttl_ms = request.ttl_ms](Tx& tx) -> absl::StatusOr<json> {
    auto it = subscriptions_.find({name, correlation});
    if (it != subscriptions_.end()) {
      for (auto [instance_id, token_id] : it->second) {
        Instance* inst = tx.GetInstance(instance_id);
        Token* token = inst ? inst->FindToken(token_id) : nullptr;
        if (!token || token->wait != "message") continue;
        absl::Status size_ok;
        json merged = MergedSize(inst->variables, variables, options_.max_variables_bytes, &size_ok);
        RETURN_IF_ERROR(size_ok);
        inst->variables = std::move(merged);
        tx.removed_subscriptions.push_back({instance_id, std::to_string(token_id), name, correlation});
        tx.DeleteTimer(token->timer);
        token->timer = 0;
        tx.Event(instance_id, "message.received", token->node,
                 {{"name", name}, {"correlation", correlation}});
        tx.Save(*inst);
        auto def = DefinitionOf(tx, *inst);
        if (!def) return tx.read_error;
        Leave(tx, *inst, token_id, def->Find(token->node)->next);
        return json{{"delivered_to", instance_id}, {"buffered", false}};
      }
    }
    if (ttl_ms <= 0) return json{{"delivered_to", 0}, {"buffered", false}};
    BufferedMessage m{NextId("message"), name, correlation, variables, tx.now + ttl_ms, 0};
    m.timer = tx.AddTimer({0, m.expires_at_ms, 0, TimerKind::kMessageExpire, m.id,
                           {{"name", name}, {"correlation", correlation}}});
    tx.new_messages.push_back(std::move(m));
    return json{{"delivered_to", 0}, {"buffered", true}};
  }, std::move(reply));
}

void Engine::Impl::ResolveIncident(Caller caller, ResolveIncidentRequest request, Reply reply) {
  Execute("ResolveIncident", std::move(request.request_id), caller,
          [this, incident_id = request.incident_id, retries = request.retries,
           variables = std::move(request.variables)](Tx& tx) -> absl::StatusOr<json> {
    Incident* incident = tx.GetIncident(incident_id);
    if (!incident) return absl::NotFoundError(absl::StrCat("id: no incident ", incident_id));
    if (incident->state != "open") {
      return absl::FailedPreconditionError(
          absl::StrCat("incident ", incident_id, " is already ", incident->state));
    }
    Instance* inst = tx.GetInstance(incident->instance_id);
    Token* token = inst ? inst->FindToken(incident->token) : nullptr;
    if (!token || inst->state != "active") {
      return absl::FailedPreconditionError(
          absl::StrCat("incident ", incident_id, "'s instance is no longer active"));
    }
    absl::Status size_ok;
    json merged = MergedSize(inst->variables, variables, options_.max_variables_bytes, &size_ok);
    RETURN_IF_ERROR(size_ok);
    inst->variables = std::move(merged);
    incident->state = "resolved";
    incident->resolved_at_ms = tx.now;
    tx.Save(*incident);
    tx.Save(*inst);
    tx.Event(inst->id, "incident.resolved", incident->node, {{"incident", incident_id}});
    token->incident = 0;
    if (incident->job_id != 0) {
      Job* job = tx.GetJob(incident->job_id);
      if (!job) return absl::InternalError("incident's job is missing");
      job->retries_left = std::max(1, retries);
      Requeue(tx, *job);  // its lock and retry timers went when it failed
      token->wait = "job";
      return json::object();
    }
    tx.steps.erase(inst->id);  // a fresh allowance of steps after an operator looked at it
    if (!token->resume_next.empty()) {
      std::string next = std::exchange(token->resume_next, "");
      token->wait.clear();
      MoveTo(tx, *inst, token->id, next);
    } else {
      token->wait.clear();
      tx.Schedule(inst->id, token->id);
    }
    return json::object();
  }, std::move(reply));
}

void Engine::Impl::AckNotification(Caller caller, AckNotificationRequest request, Reply reply) {
  Execute("AckNotification", std::move(request.request_id), caller,
          [this, caller,
           notification_id = request.notification_id](Tx& tx) -> absl::StatusOr<json> {
    Notification* n = tx.GetNotification(notification_id);
    if (!n) return absl::NotFoundError(absl::StrCat("id: no notification ", notification_id));
    // A role's notice for a unit is for the holders who may take its task (decision 0003).
    const bool addressed = n->recipient.empty()
                               ? caller.HasRole(n->role) && InScope(caller, n->unit)
                               : n->recipient == caller.user;
    if (!addressed) {
      return absl::PermissionDeniedError(
          absl::StrCat("notification ", notification_id, " is not addressed to ",
                       caller.user.empty() ? "an unnamed caller" : caller.user));
    }
    if (n->acked_at_ms == 0) {
      n->acked_at_ms = tx.now;
      n->acked_by = caller.user;
      tx.Save(*n);
    }
    return json::object();
  }, std::move(reply));
}

void Engine::Impl::ExpireMessage(Tx& tx, const Timer& timer) {
  std::string name = timer.data.value("name", ""), corr = timer.data.value("correlation", "");
  tx.consumed_messages.push_back({{name, corr}, timer.ref_id});
}

// ---- Engine: the contract's forwarding ------------------------------------------------------

Engine::Engine(boost::asio::io_context& io, store::Store& store, const Clock& clock,
               const WorkCalendar& calendar, EngineOptions options)
    : impl_(std::make_unique<Impl>(io, store, clock, calendar, options)) {}

Engine::~Engine() = default;

absl::Status Engine::Recover() { return impl_->Recover(); }

void Engine::Deploy(DeployRequest request, Reply reply) {
  impl_->Deploy(Caller{}, std::move(request), std::move(reply));
}
void Engine::Deploy(Caller caller, DeployRequest request, Reply reply) {
  impl_->Deploy(std::move(caller), std::move(request), std::move(reply));
}
void Engine::RecordReveal(Caller caller, std::vector<std::string> resources, std::string detail,
                          Reply reply) {
  impl_->RecordReveal(std::move(caller), std::move(resources), std::move(detail),
                      std::move(reply));
}
void Engine::Start(Caller caller, StartRequest request, Reply reply) {
  impl_->Start(std::move(caller), std::move(request), std::move(reply));
}
void Engine::Cancel(Caller caller, CancelRequest request, Reply reply) {
  impl_->Cancel(std::move(caller), std::move(request), std::move(reply));
}
void Engine::PublishMessage(Caller caller, PublishMessageRequest request, Reply reply) {
  impl_->PublishMessage(std::move(caller), std::move(request), std::move(reply));
}
void Engine::ClaimTask(Caller caller, ClaimTaskRequest request, Reply reply) {
  impl_->ClaimTask(std::move(caller), std::move(request), std::move(reply));
}
void Engine::CompleteTask(Caller caller, CompleteTaskRequest request, Reply reply) {
  impl_->CompleteTask(std::move(caller), std::move(request), std::move(reply));
}
void Engine::DelegateTask(Caller caller, DelegateTaskRequest request, Reply reply) {
  impl_->DelegateTask(std::move(caller), std::move(request), std::move(reply));
}
void Engine::TransferTask(Caller caller, TransferTaskRequest request, Reply reply) {
  impl_->TransferTask(std::move(caller), std::move(request), std::move(reply));
}
void Engine::ReturnTask(Caller caller, ReturnTaskRequest request, Reply reply) {
  impl_->ReturnTask(std::move(caller), std::move(request), std::move(reply));
}
void Engine::CompleteJob(Caller caller, CompleteJobRequest request, Reply reply) {
  impl_->CompleteJob(std::move(caller), std::move(request), std::move(reply));
}
void Engine::FailJob(Caller caller, FailJobRequest request, Reply reply) {
  impl_->FailJob(std::move(caller), std::move(request), std::move(reply));
}
void Engine::ResolveIncident(Caller caller, ResolveIncidentRequest request, Reply reply) {
  impl_->ResolveIncident(std::move(caller), std::move(request), std::move(reply));
}
void Engine::AckNotification(Caller caller, AckNotificationRequest request, Reply reply) {
  impl_->AckNotification(std::move(caller), std::move(request), std::move(reply));
}
void Engine::AdvanceClock(ManualClock& clock, int64_t to_ms, Reply reply) {
  impl_->AdvanceClock(clock, to_ms, std::move(reply));
}
void Engine::ExecuteDomain(const char* command, std::string request_id, Caller caller,
                           std::function<absl::StatusOr<json>(DomainTx&)> body, Reply reply) {
  impl_->ExecuteDomain(command, std::move(request_id), std::move(caller), std::move(body),
                       std::move(reply));
}
void Engine::RegisterHandler(std::string job_type, Handler handler) {
  impl_->handlers_[std::move(job_type)] = std::move(handler);
}
int64_t Engine::OpenActivation(std::vector<std::string> types, std::string worker,
                               int64_t lock_ms, JobSink sink) {
  return impl_->OpenActivation(std::move(types), std::move(worker), lock_ms, std::move(sink));
}
void Engine::RequestJob(int64_t activation_id) { impl_->RequestJob(activation_id); }
void Engine::CloseActivation(int64_t activation_id) { impl_->CloseActivation(activation_id); }
void Engine::ReleaseJob(int64_t job_id, int attempt) { impl_->ReleaseJob(job_id, attempt); }
void Engine::AddCommitListener(CommitListener listener) {
  impl_->listeners_.push_back(std::move(listener));
}
void Engine::SetUnitTree(const UnitTree* units) { impl_->units_ = units; }
void Engine::SetAuditHook(AuditHook* hook) { impl_->audit_ = hook; }
bool Engine::MayAct(const Caller& caller, const Task& task) const {
  return impl_->CanClaim(caller, task);
}
absl::StatusOr<std::shared_ptr<const Definition>> Engine::FindDefinition(const std::string& id,
                                                                         int32_t version) const {
  return impl_->FindDefinition(id, version);
}
std::shared_ptr<const Definition> Engine::GetDefinition(const std::string& id,
                                                        int32_t version) const {
  return impl_->GetDefinition(id, version);
}
std::vector<std::shared_ptr<const Definition>> Engine::LatestDefinitions() const {
  return impl_->LatestDefinitions();
}
int64_t Engine::TimersPending() const { return impl_->timers_pending_.load(); }
const WorkCalendar& Engine::calendar() const { return impl_->calendar_; }
const Clock& Engine::clock() const { return impl_->clock_; }

}  // namespace shequ::engine
