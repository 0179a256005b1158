// Transactions and the commit pipeline: a command's Tx reads through its own writes, the
// writes pending commit, the cache of committed objects and the store; Commit hands the
// Tx's rows to the store as one WriteBatch and replies once the batch is durable
// (docs/decisions/0001-engine-transactions.md).

#include <algorithm>
#include <optional>
#include <set>
#include <type_traits>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "daemon/core/logging.h"
#include "daemon/core/status.h"
#include "daemon/engine/engine_impl.h"
#include "daemon/engine/transaction.h"

namespace shequ::engine {
namespace {

// Looks an object up in the transaction, then in writes pending commit, then in the cache of
// committed objects (if any), then in the store. A failed store read answers null and is kept
// in `read_error`, which fails the command.
template <typename T, typename PendingMap, typename Loader>
T* LoadInto(TxTable<T>& table, PendingMap& pending, std::type_identity_t<ObjectCache<T>>* cache,
            int64_t id, absl::Status& read_error, Loader&& from_store) {
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
  if (!row.ok()) {
    read_error.Update(row.status());
    return nullptr;
  }
  if (!row->has_value()) return nullptr;
  return &table.rows.emplace(id, FromRow(**row)).first->second;
}

}  // namespace

Instance* Tx::GetInstance(int64_t id) {
  return LoadInto(instances, engine_.pending_instances_, &engine_.cached_instances_, id,
                  read_error, [&](int64_t i) { return engine_.store_.GetInstance(i); });
}

Task* Tx::GetTask(int64_t id) {
  return LoadInto(tasks, engine_.pending_tasks_, &engine_.cached_tasks_, id, read_error,
                  [&](int64_t i) { return engine_.store_.GetTask(i); });
}

Job* Tx::GetJob(int64_t id) {
  return LoadInto(jobs, engine_.pending_jobs_, &engine_.cached_jobs_, id, read_error,
                  [&](int64_t i) { return engine_.store_.GetJob(i); });
}

Incident* Tx::GetIncident(int64_t id) {
  return LoadInto(incidents, engine_.pending_incidents_, nullptr, id, read_error,
                  [&](int64_t i) { return engine_.store_.GetIncident(i); });
}

Notification* Tx::GetNotification(int64_t id) {
  return LoadInto(notifications, engine_.pending_notifications_, nullptr, id, read_error,
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
  if (!row.ok()) {
    read_error.Update(row.status());
    return std::nullopt;
  }
  if (!row->has_value()) return std::nullopt;
  return FromRow(**row);
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

int64_t Engine::Impl::NextId(const std::string& sequence) {
  // Sequences of rows never deleted are recovered from the rows (Store::HighestIds): writing
  // them was 4 of the 10 rows of a Start.
  if (std::find(store::kIdsRecoveredFromRows.begin(), store::kIdsRecoveredFromRows.end(),
                sequence) == store::kIdsRecoveredFromRows.end()) {
    changed_sequences_.insert(sequence);
  }
  return ++sequences_[sequence];
}

void Engine::Impl::Execute(const char* command, std::string request_id, Caller caller,
                     std::function<absl::StatusOr<json>(Tx&)> body, Reply reply) {
  // A request id names one call of one command by one caller: the same id sent with another
  // command, or by another caller, is a different request, never answered with the first
  // reply (the name's length first, so no name and id can be confused for another pair).
  std::string scoped;
  if (!request_id.empty()) {
    scoped = absl::StrCat(command, ":", caller.user.size(), ":", caller.user, ":", request_id);
  }
  boost::asio::post(strand_, [this, scoped = std::move(scoped), request_id = std::move(request_id),
                              caller = std::move(caller), body = std::move(body),
                              reply = std::move(reply)]() mutable {
    if (absl::Status health = store_.Health(); !health.ok()) {
      reply(absl::UnavailableError(absl::StrCat("store unavailable: ", health.message())));
      return;
    }
    if (!scoped.empty()) {
      if (auto it = pending_requests_.find(scoped); it != pending_requests_.end()) {
        // The first attempt is still committing: answer when it is durable.
        auto& flight = in_flight_[it->second.gen];
        flight.replies.push_back(std::move(reply));
        flight.answers.push_back(it->second.value);
        return;
      }
      absl::StatusOr<std::optional<store::RequestRow>> row = store_.GetRequest(scoped);
      if (!row.ok()) {
        reply(row.status());
        return;
      }
      if (row->has_value()) {
        reply(json::parse((*row)->reply));
        return;
      }
    }
    Tx tx(*this, std::move(caller), std::move(request_id));
    absl::StatusOr<json> result = body(tx);
    if (result.ok()) RunScheduled(tx);
    // A read the store failed fails the command, whatever the body made of the missing row; the
    // transaction is dropped, so nothing changes.
    if (!tx.read_error.ok()) result = tx.read_error;
    if (!result.ok()) {
      reply(result.status());
      return;
    }
    Commit(tx, *std::move(result), scoped, std::move(reply));
  });
}

namespace {

// The audit entry of the call `tx` serves: who, what, and the ids it wrote (the first
// kMaxAuditResources, and their count).
AuditEntry EntryOf(const Tx& tx) {
  AuditEntry e;
  e.at_ms = tx.now;
  e.principal = tx.caller.user;
  e.roles = tx.caller.roles;
  e.method = tx.caller.call;
  e.request_id = tx.audit_request_id.empty() ? tx.request_id : tx.audit_request_id;
  if (!tx.audit_outcome.empty()) e.outcome = tx.audit_outcome;
  e.detail = tx.audit_detail;
  auto add = [&e](std::string resource) {
    if (e.resources.size() < kMaxAuditResources) e.resources.push_back(std::move(resource));
    ++e.resource_count;
  };
  for (const auto& r : tx.audit_resources) add(r);
  std::set<std::string_view> subjects;  // a module's changes, named by their events
  for (const auto& ev : tx.events) {
    if (!ev.subject.empty() && subjects.insert(ev.subject).second) add(ev.subject);
  }
  auto ids = [&](const char* kind, const auto& set) {
    for (int64_t id : set) add(absl::StrCat(kind, ":", id));
  };
  ids("instance", tx.instances.dirty);
  ids("task", tx.tasks.dirty);
  ids("job", tx.jobs.dirty);
  ids("job", tx.jobs.deleted);
  ids("incident", tx.incidents.dirty);
  ids("notification", tx.notifications.dirty);
  for (const auto& d : tx.definitions) add(absl::StrCat("definition:", d.id, "@", d.version));
  return e;
}

}  // namespace

void Engine::Impl::Commit(Tx& tx, json answer, std::string request_id, Reply done) {
  const uint64_t gen = next_gen_++;
  InFlight& flight = in_flight_[gen];
  store::WriteBatch batch = std::move(tx.domain_rows);
  std::optional<AuditEntry> entry;
  if (audit_ && !tx.caller.call.empty()) entry = EntryOf(tx);  // before the rows move on

  for (auto& def : tx.deployed) {
    std::unique_lock lock(definitions_mu_);
    definitions_[def->id][def->version] = def;
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

  if (audit_) {
    // A batch the store would refuse takes no seq: the chain must have no gap.
    if (absl::Status s = store_.CheckBatch(batch); !s.ok()) return Committed(gen, std::move(s));
    // On the strand and in commit order, so the chain's head follows the database.
    audit_->OnCommit(entry ? &*entry : nullptr, tx.now, batch, flight.after_commit);
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
        it->second.erase(def->version);
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

  if (flight.after_commit) flight.after_commit();
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

}  // namespace shequ::engine
