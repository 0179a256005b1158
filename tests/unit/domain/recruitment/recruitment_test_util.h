#pragma once

// Shared helpers for the recruitment unit tests (reads policy files: tests may do I/O).

#include "daemon/domain/recruitment/policy.h"
#include "tests/unit/domain/workforce/workforce_test_util.h"

namespace shequ::domain::recruitment::testing {

using workforce::testing::ReadSource;

inline RecruitmentPolicy DefaultPolicy() {
  auto p = ParseRecruitmentPolicy(ReadSource("config/policy/recruitment.yaml"));
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? *p : RecruitmentPolicy{};
}

inline RecruitmentPolicy SecondPolicy() {
  auto p = ParseRecruitmentPolicy(ReadSource("tests/fixtures/policy/recruitment-second.yaml"));
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? *p : RecruitmentPolicy{};
}

}  // namespace shequ::domain::recruitment::testing
