#pragma once

// Shared helpers for the workforce unit tests (reads policy files: tests may do I/O).

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/status/status.h"
#include "daemon/domain/workforce/policy.h"
#include "daemon/domain/workforce/registry.h"

namespace shequ::domain::workforce::testing {

inline std::string ReadSource(const std::string& relative) {
  std::ifstream in(std::string(SHEQU_SOURCE_DIR) + "/" + relative);
  EXPECT_TRUE(in.good()) << relative;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline QuotaPolicy DefaultQuota() {
  auto p = ParseQuotaPolicy(ReadSource("config/policy/quota.yaml"));
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? *p : QuotaPolicy{};
}

inline GradePolicy DefaultGrades() {
  auto p = ParseGradePolicy(ReadSource("config/policy/grades.yaml"));
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? *p : GradePolicy{};
}

// A valid resident ID number: region 340104 (Hefei Shushan), the given birth date, a sequence
// (its parity gives the gender) and the ISO 7064 MOD 11-2 check character.
inline std::string IdNumber(int seq, const char* birth = "19900307") {
  char body[32];
  std::snprintf(body, sizeof body, "340104%s%03d", birth, seq % 1000);
  static constexpr int kWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  static constexpr char kCheck[] = "10X98765432";
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (body[i] - '0') * kWeights[i];
  return std::string(body) + kCheck[sum % 11];
}

// Distinct valid ID numbers for n up to 999 × 28 (birth day varies every thousand).
inline std::string NthIdNumber(int n) {
  char birth[16];
  std::snprintf(birth, sizeof birth, "1985%02d%02d", 1 + (n / 1000) / 28 % 12, 1 + (n / 1000) % 28);
  return IdNumber(n % 1000, birth);
}

inline ::testing::AssertionResult Fails(const absl::Status& status, absl::StatusCode code,
                                        const std::string& part) {
  if (status.ok()) return ::testing::AssertionFailure() << "expected an error with " << part;
  if (status.code() != code) {
    return ::testing::AssertionFailure()
           << "code " << absl::StatusCodeToString(status.code()) << ", expected "
           << absl::StatusCodeToString(code) << ": " << status.message();
  }
  if (std::string(status.message()).find(part) == std::string::npos) {
    return ::testing::AssertionFailure()
           << "'" << status.message() << "' does not contain '" << part << "'";
  }
  return ::testing::AssertionSuccess();
}

}  // namespace shequ::domain::workforce::testing
