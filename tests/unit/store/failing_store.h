#pragma once

// A Store whose engine-row reads fail on demand: while `fail` is set, every read answers
// `error` (UNAVAILABLE unless changed) and counts itself; writes and module records pass through.

#include <atomic>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "daemon/store/forwarding_store.h"

namespace shequ::store {

class FailingStore final : public ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;

  std::atomic<bool> fail{false};
  std::atomic<int> failed_reads{0};
  absl::Status error = absl::UnavailableError("disk I/O error [SQLITE_IOERR]");

  absl::StatusOr<std::vector<DefinitionRow>> LoadDefinitions() override {
    return Or([&] { return ForwardingStore::LoadDefinitions(); });
  }
  absl::StatusOr<std::vector<DefinitionRow>> LoadLiveDefinitions() override {
    return Or([&] { return ForwardingStore::LoadLiveDefinitions(); });
  }
  absl::StatusOr<std::optional<DefinitionRow>> GetDefinition(const std::string& id,
                                                             int32_t version) override {
    return Or([&] { return ForwardingStore::GetDefinition(id, version); });
  }
  absl::StatusOr<std::map<std::string, int64_t>> LoadSequences() override {
    return Or([&] { return ForwardingStore::LoadSequences(); });
  }
  absl::StatusOr<std::map<std::string, int64_t>> HighestIds() override {
    return Or([&] { return ForwardingStore::HighestIds(); });
  }
  absl::Status ForEachTimer(const std::function<void(const TimerRow&)>& fn) override {
    return Or([&] { return ForwardingStore::ForEachTimer(fn); });
  }
  absl::Status ForEachJob(const std::string& state,
                          const std::function<void(const JobRow&)>& fn) override {
    return Or([&] { return ForwardingStore::ForEachJob(state, fn); });
  }
  absl::StatusOr<std::vector<MessageRow>> LoadMessages() override {
    return Or([&] { return ForwardingStore::LoadMessages(); });
  }
  absl::StatusOr<std::vector<SubscriptionRow>> LoadSubscriptions() override {
    return Or([&] { return ForwardingStore::LoadSubscriptions(); });
  }
  absl::StatusOr<std::optional<InstanceRow>> GetInstance(int64_t id) override {
    return Or([&] { return ForwardingStore::GetInstance(id); });
  }
  absl::StatusOr<std::vector<InstanceRow>> ListInstances(const InstanceFilter& f,
                                                         const Page& p) override {
    return Or([&] { return ForwardingStore::ListInstances(f, p); });
  }
  absl::StatusOr<std::optional<TaskRow>> GetTask(int64_t id) override {
    return Or([&] { return ForwardingStore::GetTask(id); });
  }
  absl::StatusOr<std::vector<TaskRow>> ListTasks(const TaskFilter& f, const Page& p) override {
    return Or([&] { return ForwardingStore::ListTasks(f, p); });
  }
  absl::StatusOr<std::optional<JobRow>> GetJob(int64_t id) override {
    return Or([&] { return ForwardingStore::GetJob(id); });
  }
  absl::StatusOr<std::optional<TimerRow>> GetTimer(int64_t id) override {
    return Or([&] { return ForwardingStore::GetTimer(id); });
  }
  absl::StatusOr<std::optional<IncidentRow>> GetIncident(int64_t id) override {
    return Or([&] { return ForwardingStore::GetIncident(id); });
  }
  absl::StatusOr<std::vector<IncidentRow>> ListIncidents(const IncidentFilter& f,
                                                         const Page& p) override {
    return Or([&] { return ForwardingStore::ListIncidents(f, p); });
  }
  absl::StatusOr<std::optional<NotificationRow>> GetNotification(int64_t id) override {
    return Or([&] { return ForwardingStore::GetNotification(id); });
  }
  absl::StatusOr<std::vector<NotificationRow>> ListNotifications(const NotificationFilter& f,
                                                                 const Page& p) override {
    return Or([&] { return ForwardingStore::ListNotifications(f, p); });
  }
  absl::StatusOr<std::vector<EventRow>> History(int64_t instance_id, int64_t after_seq,
                                                int limit) override {
    return Or([&] { return ForwardingStore::History(instance_id, after_seq, limit); });
  }
  absl::StatusOr<std::optional<RequestRow>> GetRequest(const std::string& request_id) override {
    return Or([&] { return ForwardingStore::GetRequest(request_id); });
  }
  absl::StatusOr<std::vector<EventRow>> SubjectHistory(const std::string& subject,
                                                       const std::string& unit, int64_t after_seq,
                                                       int limit) override {
    return Or([&] { return ForwardingStore::SubjectHistory(subject, unit, after_seq, limit); });
  }
  absl::StatusOr<Counts> Count() override {
    return Or([&] { return ForwardingStore::Count(); });
  }

 private:
  // The error while failing, else the forwarded read.
  template <typename Read>
  auto Or(const Read& read) -> decltype(read()) {
    if (fail) {
      ++failed_reads;
      return error;
    }
    return read();
  }
};

}  // namespace shequ::store
