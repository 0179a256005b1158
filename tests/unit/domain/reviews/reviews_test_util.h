#pragma once

// Shared helpers for the annual-review unit tests (reads policy files: tests may do I/O).

#include <string>

#include "daemon/domain/reviews/policy.h"
#include "tests/unit/domain/workforce/workforce_test_util.h"

namespace shequ::domain::reviews::testing {

using workforce::testing::Fails;
using workforce::testing::ReadSource;

inline ReviewPolicy DefaultPolicy() {
  auto p = ParseReviewPolicy(ReadSource("config/policy/review.yaml"));
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? *p : ReviewPolicy{};
}

// config/policy/review.yaml with the first `from` replaced by `to`.
inline std::string Edited(const std::string& from, const std::string& to) {
  std::string text = ReadSource("config/policy/review.yaml");
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

}  // namespace shequ::domain::reviews::testing
