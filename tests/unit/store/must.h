#pragma once

// Store reads in tests: Must(store.GetInstance(1)) is the answer of a read that has to succeed.
// A failed read fails the test at once, with the store's error (gtest reports the exception),
// rather than reading on from an empty answer.

#include <stdexcept>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace shequ {

inline void Must(const absl::Status& status) {
  if (!status.ok()) throw std::runtime_error("store read failed: " + status.ToString());
}

template <typename T>
T Must(absl::StatusOr<T> result) {
  Must(result.status());
  return *std::move(result);
}

}  // namespace shequ
