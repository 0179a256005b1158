#pragma once

// A Store that passes every call to another one: the base of decorators that watch or record
// what the engine asks of its store (tests, benchmarks) and override only what they watch.

#include "daemon/store/store.h"

namespace shequ::store {

class ForwardingStore : public Store {
 public:
  explicit ForwardingStore(Store& inner) : inner_(inner) {}

  void Commit(WriteBatch batch, Done done) override { inner_.Commit(std::move(batch), done); }
  absl::Status CheckBatch(const WriteBatch& batch) const override {
    return inner_.CheckBatch(batch);
  }
  absl::Status Flush() override { return inner_.Flush(); }
  absl::Status Health() const override { return inner_.Health(); }
  CommitStats GetCommitStats() const override { return inner_.GetCommitStats(); }

  absl::StatusOr<std::vector<DefinitionRow>> LoadDefinitions() override {
    return inner_.LoadDefinitions();
  }
  absl::StatusOr<std::vector<DefinitionRow>> LoadLiveDefinitions() override {
    return inner_.LoadLiveDefinitions();
  }
  absl::StatusOr<std::optional<DefinitionRow>> GetDefinition(const std::string& id,
                                                             int32_t version) override {
    return inner_.GetDefinition(id, version);
  }
  absl::StatusOr<std::map<std::string, int64_t>> LoadSequences() override {
    return inner_.LoadSequences();
  }
  absl::StatusOr<std::map<std::string, int64_t>> HighestIds() override {
    return inner_.HighestIds();
  }
  absl::Status ForEachTimer(const std::function<void(const TimerRow&)>& fn) override {
    return inner_.ForEachTimer(fn);
  }
  absl::Status ForEachJob(const std::string& state,
                          const std::function<void(const JobRow&)>& fn) override {
    return inner_.ForEachJob(state, fn);
  }
  absl::StatusOr<std::vector<MessageRow>> LoadMessages() override { return inner_.LoadMessages(); }
  absl::StatusOr<std::vector<SubscriptionRow>> LoadSubscriptions() override {
    return inner_.LoadSubscriptions();
  }

  absl::StatusOr<std::optional<InstanceRow>> GetInstance(int64_t id) override {
    return inner_.GetInstance(id);
  }
  absl::StatusOr<std::vector<InstanceRow>> ListInstances(const InstanceFilter& f,
                                                         const Page& p) override {
    return inner_.ListInstances(f, p);
  }
  absl::StatusOr<std::optional<TaskRow>> GetTask(int64_t id) override { return inner_.GetTask(id); }
  absl::StatusOr<std::vector<TaskRow>> ListTasks(const TaskFilter& f, const Page& p) override {
    return inner_.ListTasks(f, p);
  }
  absl::StatusOr<std::optional<JobRow>> GetJob(int64_t id) override { return inner_.GetJob(id); }
  absl::StatusOr<std::optional<TimerRow>> GetTimer(int64_t id) override {
    return inner_.GetTimer(id);
  }
  absl::StatusOr<std::optional<IncidentRow>> GetIncident(int64_t id) override {
    return inner_.GetIncident(id);
  }
  absl::StatusOr<std::vector<IncidentRow>> ListIncidents(const IncidentFilter& f,
                                                         const Page& p) override {
    return inner_.ListIncidents(f, p);
  }
  absl::StatusOr<std::optional<NotificationRow>> GetNotification(int64_t id) override {
    return inner_.GetNotification(id);
  }
  absl::StatusOr<std::vector<NotificationRow>> ListNotifications(const NotificationFilter& f,
                                                                 const Page& p) override {
    return inner_.ListNotifications(f, p);
  }
  absl::StatusOr<std::vector<EventRow>> History(int64_t instance_id, int64_t after_seq,
                                                int limit) override {
    return inner_.History(instance_id, after_seq, limit);
  }
  absl::StatusOr<std::optional<RequestRow>> GetRequest(const std::string& request_id) override {
    return inner_.GetRequest(request_id);
  }
  absl::StatusOr<std::vector<EventRow>> SubjectHistory(const std::string& subject,
                                                       const std::string& unit, int64_t after_seq,
                                                       int limit) override {
    return inner_.SubjectHistory(subject, unit, after_seq, limit);
  }
  absl::StatusOr<Counts> Count() override { return inner_.Count(); }

  absl::Status AttachModule(const ModuleSchema& schema) override {
    return inner_.AttachModule(schema);
  }
  absl::StatusOr<std::optional<Record>> GetRecord(const std::string& table,
                                                  const std::string& key) override {
    return inner_.GetRecord(table, key);
  }
  absl::StatusOr<std::vector<Record>> ScanRecords(const RecordScan& scan) override {
    return inner_.ScanRecords(scan);
  }

 private:
  Store& inner_;
};

}  // namespace shequ::store
