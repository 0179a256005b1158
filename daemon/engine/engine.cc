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
namespace {

// Looks an object up in the transaction, then in writes pending commit, then in the cache of
// committed objects (if any), then in the store.
template <typename T, typename PendingMap, typename Loader>
T* LoadInto(TxTable<T>& table, PendingMap& pending, std::type_identity_t<ObjectCache<T>>* cache,
            int64_t id, Loader&& from_store) {
  if (table.deleted.count(id)) return nullptr;
  if (auto it = table.rows.find(id); it != table.rows.end()) return &it->second;
  if (auto it = pending.find(id); it != pending.end()) {
    if (it->second.deleted) return nullptr;
    return &table.rows.emplace(id, it->second.value).first->second;
  }
  if (cache) {
    if (const T* hit = cache->Get(id)) return &table.rows.emplace(id, *hit).first->second;
  }
  auto row = from_store(id);
  if (!row) return nullptr;
  return &table.rows.emplace(id, FromRow(*row)).first->second;
}

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

}  // namespace

bool Caller::HasRole(const std::string& role) const {
  return !role.empty() && std::find(roles.begin(), roles.end(), role) != roles.end();
}

// ---- Tx ------------------------------------------------------------------------------------

Instance* Tx::GetInstance(int64_t id) {
  return LoadInto(instances, engine_.pending_instances_, &engine_.cached_instances_, id,
                  [&](int64_t i) { return engine_.store_.GetInstance(i); });
}
Task* Tx::GetTask(int64_t id) {
  return LoadInto(tasks, engine_.pending_tasks_, &engine_.cached_tasks_, id,
                  [&](int64_t i) { return engine_.store_.GetTask(i); });
}
Job* Tx::GetJob(int64_t id) {
  return LoadInto(jobs, engine_.pending_jobs_, &engine_.cached_jobs_, id,
                  [&](int64_t i) { return engine_.store_.GetJob(i); });
}
Incident* Tx::GetIncident(int64_t id) {
  return LoadInto(incidents, engine_.pending_incidents_, nullptr, id,
                  [&](int64_t i) { return engine_.store_.GetIncident(i); });
}
Notification* Tx::GetNotification(int64_t id) {
  return LoadInto(notifications, engine_.pending_notifications_, nullptr, id,
                  [&](int64_t i) { return engine_.store_.GetNotification(i); });
}
std::optional<Timer> Tx::GetTimer(int64_t id) {
  if (deleted_timers.count(id)) return std::nullopt;
  if (auto it = new_timers.find(id); it != new_timers.end()) return it->second;
  if (auto it = engine_.pending_timers_.find(id); it != engine_.pending_timers_.end()) {
    if (it->second.deleted) return std::nullopt;
    return it->second.value;
  }
  auto row = engine_.store_.GetTimer(id);
  if (!row) return std::nullopt;
  return FromRow(*row);
}

int64_t Tx::AddTimer(Timer t) {
  t.id = engine_.NextId("timer");
  int64_t id = t.id;
  new_timers.emplace(id, std::move(t));
  return id;
}

void Tx::CloseTask(Task& task, const char* state) {
  task.state = state;
  for (int64_t timer : task.timers) DeleteTimer(timer);
  task.timers.clear();
  Save(task);
}

void Tx::DeleteTimer(int64_t id) {
  if (id == 0) return;
  if (new_timers.erase(id)) return;  // created and dropped in the same transaction
  deleted_timers.insert(id);
}

void Tx::Event(int64_t instance_id, std::string type, std::string_view node,
                       std::initializer_list<JsonMember> data) {
  absl::InlinedVector<JsonMember, 8> members(data.begin(), data.end());
  if (!node.empty()) members.push_back({"node", node});
  if (!actor.empty()) members.push_back({"actor", actor});
  events.push_back(
      {0, instance_id, std::move(type), now, SortedObject(members.data(), members.size())});
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
      cached_jobs_(options.cache_objects) {}

int64_t Engine::Impl::NextId(const std::string& sequence) {
  // Sequences of rows never deleted are recovered from the rows (Store::HighestIds): writing
  // them was 4 of the 10 rows of a Start.
  if (std::find(store::kIdsRecoveredFromRows.begin(), store::kIdsRecoveredFromRows.end(),
                sequence) == store::kIdsRecoveredFromRows.end()) {
    changed_sequences_.insert(sequence);
  }
  return ++sequences_[sequence];
}

absl::Status Engine::Impl::Recover() {
  auto log = Logger("engine");
  for (const auto& row : store_.LoadDefinitions()) {
    auto def = ParseDefinition(row.yaml);
    if (!def.ok()) {
      log->error("stored definition {} v{} no longer parses: {}", row.id, row.version,
                 def.status().ToString());
      continue;
    }
    (*def)->version = row.version;
    definitions_[row.id].push_back(*std::move(def));
  }
  sequences_ = store_.LoadSequences();
  for (const auto& [name, highest] : store_.HighestIds()) {
    int64_t& next = sequences_[name];
    next = std::max(next, highest);
  }
  int64_t timers = 0;
  store_.ForEachTimer([&](const store::TimerRow& r) {
    timers_.push({r.due_at_ms, r.id});
    ++timers;
  });
  timers_pending_ = timers;
  const int64_t now = clock_.NowMs();
  store_.ForEachJob("activatable", [&](const store::JobRow& r) {
    if (r.due_at_ms <= now) ready_jobs_[r.type].push_back(r.id);  // later ones have a retry timer
  });
  for (const auto& m : store_.LoadMessages()) {
    BufferedMessage msg = FromRow(m);
    buffered_[{msg.name, msg.correlation}].push_back(std::move(msg));
  }
  for (const auto& s : store_.LoadSubscriptions()) {
    subscriptions_[{s.name, s.correlation}].emplace_back(s.instance_id, std::stoll(s.token_id));
  }
  log->info("recovered {} definitions, {} timers, {} subscriptions", definitions_.size(), timers,
            subscriptions_.size());
  boost::asio::post(strand_, [this] {
    uint64_t gen = 0;
    FireDueTimers(&gen);
    ScheduleWake();
    Dispatch();
  });
  return store_.Health();
}

std::shared_ptr<const Definition> Engine::Impl::GetDefinition(const std::string& id,
                                                        int32_t version) const {
  std::shared_lock lock(definitions_mu_);
  auto it = definitions_.find(id);
  if (it == definitions_.end() || it->second.empty()) return nullptr;
  if (version == 0) return it->second.back();
  for (const auto& d : it->second) {
    if (d->version == version) return d;
  }
  return nullptr;
}

std::vector<std::shared_ptr<const Definition>> Engine::Impl::LatestDefinitions() const {
  std::shared_lock lock(definitions_mu_);
  std::vector<std::shared_ptr<const Definition>> out;
  for (const auto& [id, versions] : definitions_) {
    if (!versions.empty()) out.push_back(versions.back());
  }
  return out;
}

std::shared_ptr<const Definition> Engine::Impl::DefinitionOf(const Instance& inst) const {
  return GetDefinition(inst.definition_id, inst.version);
}

// ---- Engine: transactions ------------------------------------------------------------------

void Engine::Impl::Execute(const char* command, std::string request_id, std::string actor,
                     std::function<absl::StatusOr<json>(Tx&)> body, Reply reply) {
  // A request id names one call of one command: the same id sent with another command is a
  // different request, never answered with the first command's reply.
  if (!request_id.empty()) request_id = absl::StrCat(command, ":", request_id);
  boost::asio::post(strand_, [this, request_id = std::move(request_id),
                              actor = std::move(actor), body = std::move(body),
                              reply = std::move(reply)]() mutable {
    if (absl::Status health = store_.Health(); !health.ok()) {
      reply(absl::UnavailableError(absl::StrCat("store unavailable: ", health.message())));
      return;
    }
    if (!request_id.empty()) {
      if (auto it = pending_requests_.find(request_id); it != pending_requests_.end()) {
        // The first attempt is still committing: answer when it is durable.
        auto& flight = in_flight_[it->second.gen];
        flight.replies.push_back(std::move(reply));
        flight.answers.push_back(it->second.value);
        return;
      }
      if (auto row = store_.GetRequest(request_id)) {
        reply(json::parse(row->reply));
        return;
      }
    }
    Tx tx(*this, actor);
    absl::StatusOr<json> result = body(tx);
    if (!result.ok()) {
      reply(result.status());
      return;
    }
    RunScheduled(tx);
    Commit(tx, *std::move(result), request_id, std::move(reply));
  });
}

void Engine::Impl::Commit(Tx& tx, json answer, std::string request_id, Reply done) {
  const uint64_t gen = next_gen_++;
  InFlight& flight = in_flight_[gen];
  store::WriteBatch batch = std::move(tx.domain_rows);

  for (auto& def : tx.deployed) {
    std::unique_lock lock(definitions_mu_);
    definitions_[def->id].push_back(def);
    flight.deployed.push_back(def);
  }
  batch.definitions = std::move(tx.definitions);

  // The transaction ends here: its objects move to the pending writes.
  auto take = [&](auto& table, auto& pending, auto& ids, auto& rows) {
    for (int64_t id : table.dirty) {
      auto& obj = table.rows.at(id);
      rows.push_back(ToRow(obj));
      pending[id] = {std::move(obj), false, gen, rows.back().body.size()};
      ids.push_back(id);
    }
  };
  for (int64_t id : tx.instances.dirty) tx.instances.rows.at(id).updated_at_ms = tx.now;
  take(tx.instances, pending_instances_, flight.instances, batch.instances);
  take(tx.tasks, pending_tasks_, flight.tasks, batch.tasks);
  take(tx.jobs, pending_jobs_, flight.jobs, batch.jobs);
  take(tx.incidents, pending_incidents_, flight.incidents, batch.incidents);
  take(tx.notifications, pending_notifications_, flight.notification_ids, batch.notifications);
  for (int64_t id : tx.jobs.deleted) {
    batch.deleted_jobs.push_back(id);
    pending_jobs_[id] = {Job{}, true, gen};
    flight.jobs.push_back(id);
  }

  for (auto& [id, timer] : tx.new_timers) {
    batch.timers.push_back(ToRow(timer));
    timers_.push({timer.due_at_ms, id});
    pending_timers_[id] = {timer, false, gen};
    flight.timers.push_back(id);
  }
  for (int64_t id : tx.deleted_timers) {
    batch.deleted_timers.push_back(id);
    pending_timers_[id] = {Timer{}, true, gen};
    flight.timers.push_back(id);
  }
  timers_pending_ += static_cast<int64_t>(tx.new_timers.size()) -
                     static_cast<int64_t>(tx.deleted_timers.size());

  for (auto& m : tx.new_messages) {
    batch.messages.push_back(ToRow(m));
    buffered_[{m.name, m.correlation}].push_back(m);
  }
  for (auto& [key, id] : tx.consumed_messages) {
    batch.deleted_messages.push_back(id);
    auto& queue = buffered_[key];
    queue.erase(std::remove_if(queue.begin(), queue.end(),
                               [id = id](const BufferedMessage& m) { return m.id == id; }),
                queue.end());
    if (queue.empty()) buffered_.erase(key);
  }
  for (auto& s : tx.new_subscriptions) {
    subscriptions_[{s.name, s.correlation}].emplace_back(s.instance_id, std::stoll(s.token_id));
    batch.subscriptions.push_back(s);
  }
  for (auto& s : tx.removed_subscriptions) {
    auto key = SubscriptionKey{s.name, s.correlation};
    auto& waiting = subscriptions_[key];
    std::pair<int64_t, int64_t> entry{s.instance_id, std::stoll(s.token_id)};
    waiting.erase(std::remove(waiting.begin(), waiting.end(), entry), waiting.end());
    if (waiting.empty()) subscriptions_.erase(key);
    batch.deleted_subscriptions.emplace_back(s.instance_id, s.token_id);
  }

  for (auto& e : tx.events) e.seq = NextId("event");
  batch.events = tx.events;
  flight.events = std::move(tx.events);
  flight.notifications = batch.notifications;
  flight.ready_jobs = std::move(tx.ready_jobs);
  flight.activated = std::move(tx.activated);

  if (!request_id.empty()) {
    batch.requests.push_back({request_id, answer.dump(), tx.now});
    pending_requests_[request_id] = {answer, false, gen};
    flight.requests.push_back(request_id);
  }
  for (const auto& name : changed_sequences_) batch.sequences[name] = sequences_[name];
  changed_sequences_.clear();
  if (options_.request_retention_ms > 0 && tx.now >= next_request_sweep_ms_) {
    constexpr int64_t kSweepEveryMs = 3'600'000;
    batch.forget_requests_before_ms = tx.now - options_.request_retention_ms;
    next_request_sweep_ms_ = tx.now + kSweepEveryMs;
  }
  if (done) {
    flight.replies.push_back(std::move(done));
    flight.answers.push_back(std::move(answer));
  }

  if (!tx.new_timers.empty()) ScheduleWake();
  store_.Commit(std::move(batch),
                [this, gen](absl::Status status) { Committed(gen, std::move(status)); });
}

void Engine::Impl::Committed(uint64_t gen, absl::Status status) {
  bool wake;
  {
    std::lock_guard lock(committed_mu_);
    wake = committed_.empty();  // else a drain is already posted and will see this one
    committed_.emplace_back(gen, std::move(status));
  }
  if (!wake) return;
  boost::asio::post(strand_, [this] {
    std::vector<std::pair<uint64_t, absl::Status>> ready;
    {
      std::lock_guard lock(committed_mu_);
      ready.swap(committed_);
    }
    for (auto& [gen, status] : ready) OnCommitted(gen, std::move(status));  // in commit order
  });
}

void Engine::Impl::OnCommitted(uint64_t gen, absl::Status status) {
  auto node = in_flight_.extract(gen);
  if (node.empty()) return;
  InFlight& flight = node.mapped();
  if (!status.ok()) {
    Logger("engine")->error("commit failed, refusing further writes: {}", status.ToString());
    if (!flight.deployed.empty()) {
      std::unique_lock lock(definitions_mu_);
      for (const auto& def : flight.deployed) {
        auto it = definitions_.find(def->id);
        if (it == definitions_.end()) continue;
        std::erase(it->second, def);
        if (it->second.empty()) definitions_.erase(it);
      }
    }
    // Nothing is written from now on (the store stays broken); drop what the cache holds
    // rather than reason about it.
    cached_instances_.Clear();
    cached_tasks_.Clear();
    cached_jobs_.Clear();
    for (auto& reply : flight.replies) reply(status);
    return;
  }
  auto evict = [gen](auto& pending, const auto& ids) {
    for (const auto& id : ids) {
      auto it = pending.find(id);
      if (it != pending.end() && it->second.gen == gen) pending.erase(it);
    }
  };
  // Commits complete in order, so what this one wrote is now the durable state: it moves to
  // the cache, unless a later write of the same object is still pending (that one is cached
  // when it commits; until then reads find it in the pending writes).
  auto settle = [this, gen](auto& pending, const auto& ids, auto& cache) {
    for (int64_t id : ids) {
      auto it = pending.find(id);
      if (it == pending.end()) continue;  // listed twice in this flight, already settled
      if (it->second.gen != gen) {
        cache.Erase(id);
        continue;
      }
      if (!it->second.deleted && it->second.bytes <= options_.cache_max_body_bytes) {
        cache.Put(id, std::move(it->second.value));
      } else {
        cache.Erase(id);
      }
      pending.erase(it);
    }
  };
  settle(pending_instances_, flight.instances, cached_instances_);
  settle(pending_tasks_, flight.tasks, cached_tasks_);
  settle(pending_jobs_, flight.jobs, cached_jobs_);
  evict(pending_timers_, flight.timers);
  evict(pending_incidents_, flight.incidents);
  evict(pending_notifications_, flight.notification_ids);
  evict(pending_requests_, flight.requests);

  for (auto& [id, type] : flight.ready_jobs) ready_jobs_[type].push_back(id);
  for (auto& [activation, job] : flight.activated) {
    // A worker that went away meanwhile does not hold the job until its lock expires.
    auto it = activations_.find(activation);
    if (it == activations_.end() || !it->second.sink(job.first, job.second)) {
      ReleaseJob(job.first.id, job.first.attempt);
    }
  }
  if (!flight.events.empty() || !flight.notifications.empty()) {
    for (auto& listener : listeners_) listener(flight.events, flight.notifications);
  }
  for (size_t i = 0; i < flight.replies.size(); ++i) flight.replies[i](flight.answers[i]);
  if (!flight.ready_jobs.empty()) Dispatch();
}

// ---- Engine: timers ------------------------------------------------------------------------

int Engine::Impl::FireDueTimers(uint64_t* last_gen) {
  int total = 0;
  if (!store_.Health().ok()) return total;
  for (;;) {
    const int64_t now = clock_.NowMs();
    if (timers_.empty() || timers_.top().due_at_ms > now) return total;
    Tx tx(*this, "system");
    int fired = 0;
    while (!timers_.empty() && timers_.top().due_at_ms <= now &&
           fired < options_.max_timers_per_transaction) {
      TimerEntry entry = timers_.top();
      timers_.pop();
      std::optional<Timer> timer = tx.GetTimer(entry.id);
      if (!timer || timer->due_at_ms != entry.due_at_ms) continue;  // deleted or stale entry
      tx.DeleteTimer(entry.id);
      FireTimer(tx, *timer);
      ++fired;
    }
    if (fired == 0) continue;
    total += fired;
    RunScheduled(tx);
    *last_gen = next_gen_;
    Commit(tx, json::object(), "", nullptr);
  }
}

void Engine::Impl::ScheduleWake() {
  if (clock_.IsManual() || timers_.empty()) return;
  const int64_t due = timers_.top().due_at_ms;
  if (wake_at_ms_ != 0 && wake_at_ms_ <= due) return;
  wake_at_ms_ = due;
  // Sleep at most a minute, so a wall-clock jump is noticed.
  const int64_t delay = std::clamp<int64_t>(due - clock_.NowMs(), 0, 60'000);
  wake_.expires_after(std::chrono::milliseconds(delay));
  wake_.async_wait(boost::asio::bind_executor(strand_, [this](boost::system::error_code ec) {
    if (ec) return;
    wake_at_ms_ = 0;
    uint64_t gen = 0;
    FireDueTimers(&gen);
    ScheduleWake();
  }));
}

void Engine::Impl::AdvanceClock(ManualClock& clock, int64_t to_ms, Reply reply) {
  boost::asio::post(strand_, [this, &clock, to_ms, reply = std::move(reply)]() mutable {
    if (to_ms < clock.NowMs()) {
      reply(absl::InvalidArgumentError("to: the clock cannot move backwards"));
      return;
    }
    clock.Set(to_ms);
    uint64_t gen = 0;
    const int fired = FireDueTimers(&gen);
    // The time reached is stored, so a restart goes on from it (decision 0004). Commits are
    // durable in order: answering after this one answers after every timer fired above.
    sequences_[kFakeClockSequence] = to_ms;
    changed_sequences_.insert(kFakeClockSequence);
    Tx tx(*this, "system");
    Commit(tx, json{{"now_ms", to_ms}, {"timers_fired", fired}}, "", std::move(reply));
  });
}

// ---- Engine: job activation ----------------------------------------------------------------

int64_t Engine::Impl::OpenActivation(std::vector<std::string> types, std::string worker,
                               int64_t lock_ms, JobSink sink) {
  const int64_t id = next_activation_++;  // only touched on the strand, see below
  boost::asio::post(strand_, [this, id, types = std::move(types), worker = std::move(worker),
                              lock_ms, sink = std::move(sink)]() mutable {
    activations_[id] = Activation{std::move(types), std::move(worker),
                                  lock_ms > 0 ? lock_ms : options_.default_job_lock_ms,
                                  std::move(sink), 0};
  });
  return id;
}

void Engine::Impl::RequestJob(int64_t activation_id) {
  boost::asio::post(strand_, [this, activation_id] {
    auto it = activations_.find(activation_id);
    if (it == activations_.end()) return;
    ++it->second.credits;
    Dispatch();
  });
}

void Engine::Impl::CloseActivation(int64_t activation_id) {
  boost::asio::post(strand_, [this, activation_id] { activations_.erase(activation_id); });
}

void Engine::Impl::Dispatch() {
  if (!store_.Health().ok() || activations_.empty()) return;
  Tx tx(*this, "");
  bool progress = true;
  while (progress) {
    progress = false;
    for (auto& [id, act] : activations_) {
      if (act.credits <= 0) continue;
      for (const auto& type : act.types) {
        auto q = ready_jobs_.find(type);
        if (q == ready_jobs_.end()) continue;
        while (!q->second.empty() && act.credits > 0) {
          int64_t job_id = q->second.front();
          q->second.pop_front();
          Job* job = tx.GetJob(job_id);
          if (!job || job->state != "activatable") continue;  // cancelled, or handed out
          Instance* inst = tx.GetInstance(job->instance_id);
          if (!inst || inst->state != "active") continue;
          job->state = "active";
          job->worker = act.worker;
          job->attempt += 1;
          job->due_at_ms = tx.now + act.lock_ms;
          Timer lock{0, job->due_at_ms, job->instance_id, TimerKind::kJobLock, job->id, json::object()};
          job->timer = tx.AddTimer(lock);
          tx.Save(*job);
          tx.Event(job->instance_id, "job.activated", job->node,
                   {{"job", job->id}, {"worker", act.worker}});
          tx.activated.push_back({id, {*job, inst->variables}});
          --act.credits;
          progress = true;
          break;  // round-robin: one job per activation per pass
        }
        if (q->second.empty()) ready_jobs_.erase(q);
        if (progress) break;
      }
    }
  }
  if (!tx.activated.empty()) Commit(tx, json::object(), "", nullptr);
}

bool Engine::Impl::CanClaim(const Caller& caller, const Task& task) const {
  if (caller.user.empty()) return false;
  if (std::find(task.candidates.begin(), task.candidates.end(), caller.user) !=
      task.candidates.end()) {
    return true;
  }
  if (task.escalated && caller.HasRole(task.escalation_role)) return true;
  return caller.HasRole(task.role) && InScope(caller, task.unit);
}

bool Engine::Impl::InScope(const Caller& caller, const std::string& unit) const {
  if (unit.empty() || caller.unit == unit) return true;
  return units_ != nullptr && !caller.unit.empty() && units_->Covers(caller.unit, unit);
}

// ---- Engine: commands ----------------------------------------------------------------------

void Engine::Impl::Deploy(DeployRequest request, Reply reply) {
  Execute("Deploy", std::move(request.request_id), "",
          [this, yaml = std::move(request.yaml)](Tx& tx) -> absl::StatusOr<json> {
    ASSIGN_OR_RETURN(std::shared_ptr<Definition> def, ParseDefinition(yaml));
    auto latest = GetDefinition(def->id);
    if (latest && latest->digest == def->digest) {
      return json{{"id", def->id}, {"version", latest->version}, {"changed", false}};
    }
    def->version = latest ? latest->version + 1 : 1;
    tx.definitions.push_back({def->id, def->version, def->name, def->digest, def->yaml, tx.now});
    tx.deployed.push_back(def);
    Logger("engine")->info("deployed {} version {}", def->id, def->version);
    return json{{"id", def->id}, {"version", def->version}, {"changed", true}};
  }, std::move(reply));
}

// ---- Domain transactions -------------------------------------------------------------------

int64_t Engine::DomainTx::now() const { return tx_.now; }
const std::string& Engine::DomainTx::actor() const { return tx_.actor; }
store::WriteBatch& Engine::DomainTx::rows() { return tx_.domain_rows; }

void Engine::DomainTx::Record(std::string subject, std::string unit, std::string type,
                              json data) {
  if (!tx_.actor.empty()) data["actor"] = tx_.actor;
  tx_.events.push_back(
      {0, 0, std::move(type), tx_.now, data.dump(), std::move(subject), std::move(unit)});
}

absl::StatusOr<int64_t> Engine::DomainTx::StartInstance(StartArgs args) {
  auto def = engine_.GetDefinition(args.definition_id, args.version);
  if (!def) {
    return absl::FailedPreconditionError(
        absl::StrCat("workflow '", args.definition_id, "' is not deployed"));
  }
  return engine_.StartInstance(tx_, *def, std::move(args), 0, 0);
}

absl::Status Engine::DomainTx::CancelInstance(int64_t instance_id, const std::string& reason) {
  Instance* inst = tx_.GetInstance(instance_id);
  if (!inst) return absl::NotFoundError(absl::StrCat("no instance ", instance_id));
  if (inst->state == "active") engine_.CancelInstance(tx_, *inst, reason, true);
  return absl::OkStatus();
}

void Engine::Impl::ExecuteDomain(const char* command, std::string request_id, std::string actor,
                           std::function<absl::StatusOr<json>(DomainTx&)> body, Reply reply) {
  Execute(command, std::move(request_id), std::move(actor),
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
  Execute("Start", std::move(request.request_id), caller.user,
          [this, args = std::move(request.args)](Tx& tx) mutable -> absl::StatusOr<json> {
    auto def = GetDefinition(args.definition_id, args.version);
    if (!def) {
      return absl::NotFoundError(
          args.version == 0
              ? absl::StrCat("definition_id: no definition '", args.definition_id, "'")
              : absl::StrCat("version: definition '", args.definition_id, "' has no version ",
                             args.version));
    }
    ASSIGN_OR_RETURN(int64_t id, StartInstance(tx, *def, std::move(args), 0, 0));
    return json{{"instance_id", id}, {"version", def->version}};
  }, std::move(reply));
}

void Engine::Impl::Cancel(Caller caller, CancelRequest request, Reply reply) {
  Execute("Cancel", std::move(request.request_id), caller.user,
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
  Execute("PublishMessage", std::move(request.request_id), caller.user,
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
        Leave(tx, *inst, token_id, DefinitionOf(*inst)->Find(token->node)->next);
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

namespace {
absl::Status TaskNotFound(int64_t id) {
  return absl::NotFoundError(absl::StrCat("task_id: no task ", id));
}
absl::Status TaskClosed(const Task& t) {
  return absl::FailedPreconditionError(absl::StrCat("task ", t.id, " is already ", t.state));
}
absl::Status NotYours(const Task& t, const Caller& c) {
  if (c.user.empty()) {
    return absl::PermissionDeniedError("the caller is not named (metadata x-shequ-user)");
  }
  if (!t.assignee.empty()) {
    return absl::PermissionDeniedError(
        absl::StrCat("task ", t.id, " is assigned to ", t.assignee, ", not ", c.user));
  }
  return absl::PermissionDeniedError(absl::StrCat(
      "task ", t.id, " is for role '", t.role, "'", t.unit.empty() ? "" : " in unit ", t.unit,
      t.unit.empty() ? "" : " (or a unit above it)", "; ", c.user, " may not take it"));
}
json TaskAnswer(const Task& t) { return json{{"task", json(t)}}; }
// After escalation the escalation role may take over a task someone else holds (docs/workflows.md).
bool HoldsEscalation(const Caller& c, const Task& t) {
  return t.escalated && !c.user.empty() && c.HasRole(t.escalation_role);
}
}  // namespace

void Engine::Impl::ClaimTask(Caller caller, ClaimTaskRequest request, Reply reply) {
  Execute("ClaimTask", std::move(request.request_id), caller.user,
          [this, caller, task_id = request.task_id](Tx& tx) -> absl::StatusOr<json> {
    Task* task = tx.GetTask(task_id);
    if (!task) return TaskNotFound(task_id);
    if (!task->IsOpen()) return TaskClosed(*task);
    std::string from;
    if (task->state != "open") {
      if (task->assignee == caller.user) return TaskAnswer(*task);
      if (!HoldsEscalation(caller, *task)) {
        return absl::FailedPreconditionError(
            absl::StrCat("task ", task_id, " is already claimed by ", task->assignee));
      }
      from = task->assignee;  // taken over from its assignee (or delegate)
    } else if (!CanClaim(caller, *task)) {
      return NotYours(*task, caller);
    }
    task->state = "claimed";
    task->assignee = caller.user;
    task->owner.clear();
    tx.Save(*task);
    if (from.empty()) {
      tx.Event(task->instance_id, "task.claimed", task->node, {{"task", task_id}});
    } else {
      tx.Event(task->instance_id, "task.claimed", task->node,
               {{"task", task_id}, {"from", from}, {"escalated", true}});
    }
    return TaskAnswer(*task);
  }, std::move(reply));
}

void Engine::Impl::CompleteTask(Caller caller, CompleteTaskRequest request, Reply reply) {
  Execute("CompleteTask", std::move(request.request_id), caller.user,
          [this, caller, task_id = request.task_id, outcome = std::move(request.outcome),
           variables = std::move(request.variables),
           comment = std::move(request.comment)](Tx& tx) -> absl::StatusOr<json> {
    Task* task = tx.GetTask(task_id);
    if (!task) return TaskNotFound(task_id);
    if (!task->IsOpen()) return TaskClosed(*task);
    if (task->state == "open") {
      if (!CanClaim(caller, *task)) return NotYours(*task, caller);
      task->assignee = caller.user;  // completing an open task claims it
    } else if (task->assignee != caller.user) {
      if (!HoldsEscalation(caller, *task)) return NotYours(*task, caller);
      // The escalation role completes it in the assignee's stead (a delegation ends with it).
      task->assignee = caller.user;
      task->owner.clear();
      task->state = "claimed";
    }
    if (!task->outcomes.empty() &&
        std::find(task->outcomes.begin(), task->outcomes.end(), outcome) == task->outcomes.end()) {
      std::string allowed;
      for (const auto& o : task->outcomes) absl::StrAppend(&allowed, allowed.empty() ? "" : ", ", o);
      return absl::InvalidArgumentError(
          absl::StrCat("outcome: '", outcome, "' is not one of: ", allowed));
    }
    Instance* inst = tx.GetInstance(task->instance_id);
    if (!inst || inst->state != "active") {
      return absl::FailedPreconditionError(absl::StrCat("task ", task_id, "'s instance has ended"));
    }
    absl::Status size_ok;
    json merged = MergedSize(inst->variables, variables, options_.max_variables_bytes, &size_ok);
    RETURN_IF_ERROR(size_ok);
    task->submitted = variables;
    task->outcome = outcome;
    task->comment = comment;
    if (task->state == "delegated") {
      // 委派: the delegate's answer goes back to the owner, who completes the task.
      task->state = "claimed";
      task->completed_by = caller.user;
      Notify(tx, {0, task->owner, "", task->unit, "task.resolved",
                  absl::StrCat("委派已办结 / delegated task done: ", task->name),
                  absl::StrCat(caller.user, " answered '", outcome, "'"), task->id,
                  task->instance_id});
      task->assignee = task->owner;
      task->owner.clear();
      tx.Save(*task);
      tx.Event(task->instance_id, "task.resolved", task->node,
               {{"task", task_id}, {"outcome", outcome}});
      return TaskAnswer(*task);
    }
    inst->variables = std::move(merged);
    task->completed_by = caller.user;
    task->completed_at_ms = tx.now;
    tx.CloseTask(*task, "completed");
    tx.Save(*inst);
    tx.Event(task->instance_id, "task.completed", task->node,
             {{"task", task_id}, {"outcome", outcome}, {"by", caller.user}});
    Token* token = inst->FindToken(task->token);
    if (token && token->wait == "task") CompleteTaskNode(tx, *inst, *token);
    return TaskAnswer(*task);
  }, std::move(reply));
}

void Engine::Impl::DelegateTask(Caller caller, DelegateTaskRequest request, Reply reply) {
  Execute("DelegateTask", std::move(request.request_id), caller.user,
          [this, caller, task_id = request.task_id, to = std::move(request.to),
           comment = std::move(request.comment)](Tx& tx) -> absl::StatusOr<json> {
    Task* task = tx.GetTask(task_id);
    if (!task) return TaskNotFound(task_id);
    if (to.empty()) return absl::InvalidArgumentError("to: whom to delegate to is missing");
    if (!task->IsOpen()) return TaskClosed(*task);
    if (task->state != "claimed") {
      return absl::FailedPreconditionError(
          absl::StrCat("task ", task_id, " is ", task->state, "; claim it before delegating"));
    }
    if (task->assignee != caller.user) return NotYours(*task, caller);
    task->owner = caller.user;
    task->assignee = to;
    task->state = "delegated";
    task->comment = comment;
    tx.Save(*task);
    Notify(tx, {0, to, "", task->unit, "task.delegated",
                absl::StrCat("委派 / delegated to you: ", task->name), comment, task->id,
                task->instance_id});
    tx.Event(task->instance_id, "task.delegated", task->node,
             {{"task", task_id}, {"from", caller.user}, {"to", to}});
    return TaskAnswer(*task);
  }, std::move(reply));
}

void Engine::Impl::TransferTask(Caller caller, TransferTaskRequest request, Reply reply) {
  Execute("TransferTask", std::move(request.request_id), caller.user,
          [this, caller, task_id = request.task_id, to = std::move(request.to),
           comment = std::move(request.comment)](Tx& tx) -> absl::StatusOr<json> {
    Task* task = tx.GetTask(task_id);
    if (!task) return TaskNotFound(task_id);
    if (to.empty()) return absl::InvalidArgumentError("to: whom to transfer to is missing");
    if (!task->IsOpen()) return TaskClosed(*task);
    if (task->assignee != caller.user && !HoldsEscalation(caller, *task)) {
      return NotYours(*task, caller);
    }
    task->assignee = to;
    task->owner.clear();
    task->state = "claimed";
    task->comment = comment;
    tx.Save(*task);
    Notify(tx, {0, to, "", task->unit, "task.transferred",
                absl::StrCat("转办 / transferred to you: ", task->name), comment, task->id,
                task->instance_id});
    tx.Event(task->instance_id, "task.transferred", task->node,
             {{"task", task_id}, {"from", caller.user}, {"to", to}});
    return TaskAnswer(*task);
  }, std::move(reply));
}

void Engine::Impl::ReturnTask(Caller caller, ReturnTaskRequest request, Reply reply) {
  Execute("ReturnTask", std::move(request.request_id), caller.user,
          [this, caller, task_id = request.task_id, to_node = std::move(request.to_node),
           comment = std::move(request.comment)](Tx& tx) -> absl::StatusOr<json> {
    Task* task = tx.GetTask(task_id);
    if (!task) return TaskNotFound(task_id);
    if (!task->IsOpen()) return TaskClosed(*task);
    if (task->state == "open" ? !CanClaim(caller, *task) : task->assignee != caller.user) {
      return NotYours(*task, caller);
    }
    Instance* inst = tx.GetInstance(task->instance_id);
    if (!inst || inst->state != "active") {
      return absl::FailedPreconditionError(absl::StrCat("task ", task_id, "'s instance has ended"));
    }
    // Earlier means before this step's first visit: after a return or a loop, the steps that
    // followed it the first time are still later steps, not earlier ones.
    const auto& visited = inst->visited;
    auto here = std::find(visited.begin(), visited.end(), task->node);
    if (to_node == task->node || here == visited.end() ||
        std::find(visited.begin(), here, to_node) == here) {
      return absl::InvalidArgumentError(absl::StrCat(
          "to_node: '", to_node, "' is not an earlier step of instance ", inst->id));
    }
    Token* token = inst->FindToken(task->token);
    if (!token) return absl::InternalError("task without token");
    ReleaseToken(tx, *inst, *token);  // withdraws this task (and its countersign siblings)
    tx.Event(inst->id, "task.returned", task->node,
             {{"task", task_id}, {"to", to_node}, {"comment", comment}});
    tx.Save(*inst);
    MoveTo(tx, *inst, token->id, to_node);
    return TaskAnswer(*tx.GetTask(task_id));
  }, std::move(reply));
}

namespace {
// A job's row is deleted when it completes or is withdrawn, so a job id this engine issued but
// cannot find is no longer active: completing or failing it again is a wrong state, not an
// unknown job.
absl::Status MissingJob(int64_t job_id, const std::map<std::string, int64_t>& sequences) {
  auto issued = sequences.find("job");
  if (issued != sequences.end() && job_id <= issued->second) {
    return absl::FailedPreconditionError(absl::StrCat(
        "job ", job_id, " is no longer active: it was completed, or withdrawn with its node"));
  }
  return absl::NotFoundError(absl::StrCat("job_id: no job ", job_id));
}

// The job is active, and in the hand-out the worker answers.
absl::Status CheckAnswerable(const Job& job, int attempt) {
  if (job.state != "active") {
    return absl::FailedPreconditionError(
        absl::StrCat("job ", job.id, " is ", job.state, ", not active"));
  }
  if (attempt > 0 && attempt != job.attempt) {
    return absl::FailedPreconditionError(
        absl::StrCat("attempt: job ", job.id, " was handed out again (attempt ", job.attempt,
                     "); this answers attempt ", attempt, ", whose lock expired"));
  }
  return absl::OkStatus();
}
}  // namespace

void Engine::Impl::CompleteJob(Caller caller, CompleteJobRequest request, Reply reply) {
  Execute("CompleteJob", std::move(request.request_id), caller.user,
          [this, ref = request.job,
           variables = std::move(request.variables)](Tx& tx) -> absl::StatusOr<json> {
    const int64_t job_id = ref.id;
    Job* job = tx.GetJob(job_id);
    if (!job) return MissingJob(job_id, sequences_);
    RETURN_IF_ERROR(CheckAnswerable(*job, ref.attempt));
    Instance* inst = tx.GetInstance(job->instance_id);
    Token* token = inst ? inst->FindToken(job->token) : nullptr;
    if (!token) return absl::FailedPreconditionError(absl::StrCat("job ", job_id, " was withdrawn"));
    absl::Status size_ok;
    json merged = MergedSize(inst->variables, variables, options_.max_variables_bytes, &size_ok);
    RETURN_IF_ERROR(size_ok);
    inst->variables = std::move(merged);
    tx.DeleteTimer(job->timer);
    tx.DeleteJob(job_id);
    token->job = 0;
    tx.Event(inst->id, "job.completed", job->node, {{"job", job_id}});
    tx.Save(*inst);
    Leave(tx, *inst, token->id, DefinitionOf(*inst)->Find(token->node)->next);
    return json::object();
  }, std::move(reply));
}

void Engine::Impl::ReleaseJob(int64_t job_id, int attempt) {
  Execute("ReleaseJob", "", "", [this, job_id, attempt](Tx& tx) -> absl::StatusOr<json> {
    Job* job = tx.GetJob(job_id);
    // Only the hand-out that never arrived: the job may since have timed out, been completed
    // or been handed out again.
    if (!job || job->state != "active" || job->attempt != attempt) return json::object();
    tx.DeleteTimer(job->timer);
    tx.Event(job->instance_id, "job.released", job->node,
             {{"job", job->id}, {"worker", job->worker}});
    Requeue(tx, *job);
    return json::object();
  }, [](absl::StatusOr<json>) {});
}

void Engine::Impl::FailJob(Caller caller, FailJobRequest request, Reply reply) {
  Execute("FailJob", std::move(request.request_id), caller.user,
          [this, ref = request.job, error = std::move(request.error),
           retries_left = request.retries_left](Tx& tx) -> absl::StatusOr<json> {
    const int64_t job_id = ref.id;
    Job* job = tx.GetJob(job_id);
    if (!job) return MissingJob(job_id, sequences_);
    RETURN_IF_ERROR(CheckAnswerable(*job, ref.attempt));
    Instance* inst = tx.GetInstance(job->instance_id);
    Token* token = inst ? inst->FindToken(job->token) : nullptr;
    if (!token) return absl::FailedPreconditionError(absl::StrCat("job ", job_id, " was withdrawn"));
    tx.DeleteTimer(job->timer);
    job->timer = 0;
    job->error = error;
    job->worker.clear();
    job->retries_left = retries_left >= 0 ? retries_left : job->retries_left - 1;
    tx.Save(*job);
    if (job->retries_left > 0) {
      // Exponential back-off: backoff, 2×, 4×, … capped.
      int64_t delay = job->backoff_ms;
      for (int i = 1; i < job->attempt && delay < options_.max_backoff_ms; ++i) delay *= 2;
      delay = std::min(delay, options_.max_backoff_ms);
      job->state = "activatable";
      job->due_at_ms = tx.now + delay;
      job->timer = tx.AddTimer({0, job->due_at_ms, job->instance_id, TimerKind::kJobRetry, job_id, {}});
      tx.Event(inst->id, "job.failed", job->node,
               {{"job", job_id}, {"error", error}, {"retry_at_ms", job->due_at_ms},
                {"retries_left", job->retries_left}});
      return json{{"incident", false}, {"retry_at_ms", job->due_at_ms}};
    }
    job->state = "failed";
    tx.Event(inst->id, "job.failed", job->node, {{"job", job_id}, {"error", error}});
    RaiseIncident(tx, *inst, *token, "job-failed",
                  absl::StrCat("job ", job->type, " failed and has no retries left: ", error),
                  job_id);
    return json{{"incident", true}, {"retry_at_ms", 0}};
  }, std::move(reply));
}

void Engine::Impl::ResolveIncident(Caller caller, ResolveIncidentRequest request, Reply reply) {
  Execute("ResolveIncident", std::move(request.request_id), caller.user,
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
  Execute("AckNotification", std::move(request.request_id), caller.user,
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

// ---- Engine: the contract's forwarding ------------------------------------------------------

Engine::Engine(boost::asio::io_context& io, store::Store& store, const Clock& clock,
               const WorkCalendar& calendar, EngineOptions options)
    : impl_(std::make_unique<Impl>(io, store, clock, calendar, options)) {}

Engine::~Engine() = default;

absl::Status Engine::Recover() { return impl_->Recover(); }

void Engine::Deploy(DeployRequest request, Reply reply) {
  impl_->Deploy(std::move(request), std::move(reply));
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
void Engine::ExecuteDomain(const char* command, std::string request_id, std::string actor,
                           std::function<absl::StatusOr<json>(DomainTx&)> body, Reply reply) {
  impl_->ExecuteDomain(command, std::move(request_id), std::move(actor), std::move(body),
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
