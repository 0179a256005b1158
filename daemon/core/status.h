#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Early-return helpers for absl::Status / absl::StatusOr.
#define SHEQU_CONCAT_INNER(a, b) a##b
#define SHEQU_CONCAT(a, b) SHEQU_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr)                       \
  do {                                              \
    ::absl::Status shequ_status_ = (expr);          \
    if (!shequ_status_.ok()) return shequ_status_;  \
  } while (0)

#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(SHEQU_CONCAT(shequ_statusor_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.status();         \
  lhs = std::move(tmp).value()
