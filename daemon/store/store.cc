#include "daemon/store/store.h"

#include <algorithm>
#include <iterator>

namespace shequ::store {
namespace {
template <typename T>
void MoveAppend(std::vector<T>& to, std::vector<T>& from) {
  to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
}
}  // namespace

size_t WriteBatch::size() const {
  return definitions.size() + instances.size() + tasks.size() + jobs.size() + deleted_jobs.size() +
         timers.size() + deleted_timers.size() + messages.size() + deleted_messages.size() +
         subscriptions.size() + deleted_subscriptions.size() + incidents.size() +
         notifications.size() + events.size() + requests.size() + units.size() +
         quota_revisions.size() + workers.size() + reservations.size() + campaign_log.size() +
         records.size() + sequences.size() + (forget_requests_before_ms > 0 ? 1 : 0);
}

bool WriteBatch::empty() const { return size() == 0; }

bool NotificationFilter::Matches(const NotificationRow& n) const {
  if (!recipient.empty() && n.recipient == recipient) return true;
  return !n.role.empty() && std::find(roles.begin(), roles.end(), n.role) != roles.end() &&
         (units.empty() || n.unit.empty() ||
          std::find(units.begin(), units.end(), n.unit) != units.end());
}

void WriteBatch::Append(WriteBatch&& o) {
  MoveAppend(definitions, o.definitions);
  MoveAppend(instances, o.instances);
  MoveAppend(tasks, o.tasks);
  MoveAppend(jobs, o.jobs);
  MoveAppend(deleted_jobs, o.deleted_jobs);
  MoveAppend(timers, o.timers);
  MoveAppend(deleted_timers, o.deleted_timers);
  MoveAppend(messages, o.messages);
  MoveAppend(deleted_messages, o.deleted_messages);
  MoveAppend(subscriptions, o.subscriptions);
  MoveAppend(deleted_subscriptions, o.deleted_subscriptions);
  MoveAppend(incidents, o.incidents);
  MoveAppend(notifications, o.notifications);
  MoveAppend(events, o.events);
  MoveAppend(requests, o.requests);
  MoveAppend(units, o.units);
  MoveAppend(quota_revisions, o.quota_revisions);
  MoveAppend(workers, o.workers);
  MoveAppend(reservations, o.reservations);
  MoveAppend(campaign_log, o.campaign_log);
  MoveAppend(records, o.records);
  for (auto& [k, v] : o.sequences) sequences[k] = v;
  forget_requests_before_ms = std::max(forget_requests_before_ms, o.forget_requests_before_ms);
}

absl::Status ForEachRecord(Store& store, RecordScan scan,
                           const std::function<absl::Status(Record&&)>& fn) {
  if (scan.limit <= 0) return absl::InvalidArgumentError("ForEachRecord: limit must be positive");
  while (true) {
    absl::StatusOr<std::vector<Record>> page = store.ScanRecords(scan);
    if (!page.ok()) return page.status();
    const bool last = page->size() < static_cast<size_t>(scan.limit);
    if (!page->empty()) scan.after_key = page->back().key;
    for (Record& r : *page) {
      absl::Status status = fn(std::move(r));
      if (!status.ok()) return status;
    }
    if (last) return absl::OkStatus();
  }
}

}  // namespace shequ::store
