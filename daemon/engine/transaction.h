#pragma once

// Engine-private: the unit of work of one command. Objects are copied in on first use and
// changed in place; nothing reaches the engine's state or the store unless the command
// succeeds and Engine::Commit takes the transaction.

#include <deque>
#include <map>
#include <optional>
#include <set>

#include "daemon/engine/engine_impl.h"
#include "daemon/core/json_writer.h"

namespace shequ::engine {

template <typename T>
struct TxTable {
  std::map<int64_t, T> rows;
  std::set<int64_t> dirty;
  std::set<int64_t> deleted;
};

class Tx {
 public:
  Tx(Engine::Impl& engine, std::string actor)
      : engine_(engine), now(engine.clock_.NowMs()), actor(std::move(actor)) {}
  Tx(Engine::Impl& engine, Caller caller, std::string request_id)
      : engine_(engine),
        now(engine.clock_.NowMs()),
        actor(caller.user),
        caller(std::move(caller)),
        request_id(std::move(request_id)) {}

  Instance* GetInstance(int64_t id);
  Task* GetTask(int64_t id);
  Job* GetJob(int64_t id);
  Incident* GetIncident(int64_t id);
  Notification* GetNotification(int64_t id);
  std::optional<Timer> GetTimer(int64_t id);

  void Save(const Instance& i) { instances.dirty.insert(i.id); }
  void Save(const Task& t) { tasks.dirty.insert(t.id); }
  void Save(const Job& j) { jobs.dirty.insert(j.id); }
  void Save(const Incident& i) { incidents.dirty.insert(i.id); }
  void Save(const Notification& n) { notifications.dirty.insert(n.id); }

  Instance& Add(Instance i) { return Insert(instances, std::move(i)); }
  Task& Add(Task t) { return Insert(tasks, std::move(t)); }
  Job& Add(Job j) { return Insert(jobs, std::move(j)); }
  Incident& Add(Incident i) { return Insert(incidents, std::move(i)); }
  Notification& Add(Notification n) { return Insert(notifications, std::move(n)); }

  void DeleteJob(int64_t id) {
    jobs.deleted.insert(id);
    jobs.dirty.erase(id);
  }
  // Ends an open task (completed or cancelled) and drops its reminder/escalation timers.
  void CloseTask(Task& task, const char* state);
  int64_t AddTimer(Timer t);
  void DeleteTimer(int64_t id);

  // Body: `data` plus node and actor, keys sorted (the text an nlohmann object would dump).
  void Event(int64_t instance_id, std::string type, std::string_view node,
             std::initializer_list<JsonMember> data = {});
  void Schedule(int64_t instance_id, int64_t token_id) { runnable.emplace_back(instance_id, token_id); }

  Engine::Impl& engine_;
  const int64_t now;
  const std::string actor;
  const Caller caller;            // empty for the daemon's own transactions
  const std::string request_id;  // as the caller sent it, for the audit entry
  // The audit entry's: resources named besides those written, and a refusal's outcome.
  std::vector<std::string> audit_resources;
  std::string audit_outcome, audit_detail, audit_request_id;

  TxTable<Instance> instances;
  TxTable<Task> tasks;
  TxTable<Job> jobs;
  TxTable<Incident> incidents;
  TxTable<Notification> notifications;
  std::map<int64_t, Timer> new_timers;
  std::set<int64_t> deleted_timers;
  std::vector<store::DefinitionRow> definitions;
  std::vector<std::shared_ptr<Definition>> deployed;
  std::vector<BufferedMessage> new_messages;
  std::vector<std::pair<SubscriptionKey, int64_t>> consumed_messages;  // key, message id
  std::vector<store::SubscriptionRow> new_subscriptions;
  std::vector<store::SubscriptionRow> removed_subscriptions;
  std::vector<store::EventRow> events;
  store::WriteBatch domain_rows;  // written by domain modules through DomainTx
  std::vector<std::pair<int64_t, std::string>> ready_jobs;  // id, type: queued after commit
  std::vector<std::pair<int64_t, std::pair<Job, json>>> activated;
  std::deque<std::pair<int64_t, int64_t>> runnable;
  std::map<int64_t, int> steps;  // per instance, for the loop guard
  // The first store read that failed (the getters then answer null): the transaction must not
  // commit.
  absl::Status read_error;

 private:
  template <typename T>
  T& Insert(TxTable<T>& table, T value) {
    int64_t id = value.id;
    table.dirty.insert(id);
    table.deleted.erase(id);
    return table.rows.insert_or_assign(id, std::move(value)).first->second;
  }
};

}  // namespace shequ::engine
