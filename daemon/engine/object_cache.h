#pragma once

// Engine-private: the last committed state of recently written objects, by id, so the next
// command on the same instance, task or job does not read its row back from SQLite and parse
// the JSON again. Bounded by count; the least recently used entry goes first.
//
// Only the strand touches it. It holds durable state only: an object enters when the commit
// that wrote it is acknowledged (see Engine::OnCommitted), never before. (Old definition
// versions, keyed by id and version, use it too, under the definitions' mutex.)

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <unordered_map>
#include <utility>

namespace shequ::engine {

template <typename T, typename Key = int64_t, typename Hash = std::hash<Key>>
class ObjectCache {
 public:
  explicit ObjectCache(size_t capacity) : capacity_(capacity) {}
  ObjectCache(const ObjectCache&) = delete;
  ObjectCache& operator=(const ObjectCache&) = delete;

  // The cached object, now the most recently used; null if absent.
  const T* Get(const Key& id) {
    auto it = index_.find(id);
    if (it == index_.end()) return nullptr;
    order_.splice(order_.begin(), order_, it->second);
    return &it->second->second;
  }

  void Put(const Key& id, T value) {
    if (capacity_ == 0) return;
    if (auto it = index_.find(id); it != index_.end()) {
      it->second->second = std::move(value);
      order_.splice(order_.begin(), order_, it->second);
      return;
    }
    order_.emplace_front(id, std::move(value));
    index_.emplace(id, order_.begin());
    if (order_.size() > capacity_) {
      index_.erase(order_.back().first);
      order_.pop_back();
    }
  }

  void Erase(const Key& id) {
    auto it = index_.find(id);
    if (it == index_.end()) return;
    order_.erase(it->second);
    index_.erase(it);
  }

  void Clear() {
    index_.clear();
    order_.clear();
  }

  size_t size() const { return order_.size(); }
  size_t capacity() const { return capacity_; }

 private:
  using Entry = std::pair<Key, T>;
  const size_t capacity_;
  std::list<Entry> order_;  // most recently used first
  std::unordered_map<Key, typename std::list<Entry>::iterator, Hash> index_;
};

}  // namespace shequ::engine
