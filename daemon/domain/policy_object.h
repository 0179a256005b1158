#pragma once

// Reading a policy file (config/policy/*.yaml, converted to JSON): one mapping at a time, with
// its key path in every message, refusing keys nobody asked for so a typo is never ignored.

#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "daemon/core/status.h"
#include "nlohmann/json.hpp"

namespace shequ::domain {

class PolicyObject {
 public:
  using json = nlohmann::json;

  // `file` names the file in messages; `path` is the mapping's key path ("" at the top).
  PolicyObject(std::string file, std::string path, const json& j)
      : file_(std::move(file)), path_(std::move(path)), j_(j) {}

  absl::Status CheckObject() const {
    if (!j_.is_object()) return Err("", "must be a mapping");
    return absl::OkStatus();
  }
  std::string Path(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }
  absl::Status Err(std::string_view key, std::string_view what) const {
    const std::string p = key.empty() ? path_ : Path(key);
    return absl::InvalidArgumentError(file_ + ": " + (p.empty() ? "" : p + ": ") +
                                      std::string(what));
  }
  // The value of `key`, null when absent; marks the key as known.
  const json* Find(std::string_view key) {
    used_.insert(std::string(key));
    auto it = j_.find(std::string(key));
    if (it == j_.end() || it->is_null()) return nullptr;
    return &*it;
  }
  absl::Status Int(std::string_view key, bool required, int64_t min, int64_t max, int64_t* out) {
    const json* v = Find(key);
    if (!v) return required ? Err(key, "required") : absl::OkStatus();
    if (!v->is_number_integer()) return Err(key, "must be a whole number, got " + v->dump());
    const int64_t x = v->get<int64_t>();
    if (x < min || x > max) {
      return Err(key, std::to_string(x) + " is outside " + std::to_string(min) + "–" +
                          std::to_string(max));
    }
    *out = x;
    return absl::OkStatus();
  }
  absl::Status Int(std::string_view key, bool required, int64_t min, int64_t max, int* out) {
    int64_t x = *out;
    RETURN_IF_ERROR(Int(key, required, min, max, &x));
    *out = static_cast<int>(x);
    return absl::OkStatus();
  }
  absl::Status Num(std::string_view key, bool required, double min, double max, double* out) {
    const json* v = Find(key);
    if (!v) return required ? Err(key, "required") : absl::OkStatus();
    if (!v->is_number()) return Err(key, "must be a number, got " + v->dump());
    const double x = v->get<double>();
    if (!(x >= min && x <= max)) {
      return Err(key, v->dump() + " is outside " + json(min).dump() + "–" + json(max).dump());
    }
    *out = x;
    return absl::OkStatus();
  }
  absl::Status Str(std::string_view key, bool required, std::string* out) {
    const json* v = Find(key);
    if (!v) return required ? Err(key, "required") : absl::OkStatus();
    if (!v->is_string() || v->get<std::string>().empty()) {
      return Err(key, "must be non-empty text, got " + v->dump());
    }
    *out = v->get<std::string>();
    return absl::OkStatus();
  }
  // Call last: any key present but never looked up is a typo or an unsupported setting.
  absl::Status NoUnknownKeys() const {
    for (auto it = j_.begin(); it != j_.end(); ++it) {
      if (!used_.count(it.key())) return Err(it.key(), "unknown key");
    }
    return absl::OkStatus();
  }
  const std::string& file() const { return file_; }
  const json& j() const { return j_; }

 private:
  std::string file_;
  std::string path_;
  const json& j_;
  std::set<std::string> used_;
};

}  // namespace shequ::domain
