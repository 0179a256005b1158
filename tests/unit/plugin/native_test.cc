// The native loader: what it refuses, and with which message (tests/fixtures/plugins/).

#include "daemon/plugin/native.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "nlohmann/json.hpp"

namespace shequ::plugin {
namespace {

using ::testing::HasSubstr;

std::string Fixture(const std::string& name) {
  return std::string(SHEQU_BINARY_DIR) + "/tests/plugins/libfixture_" + name + ".so";
}

std::string Refusal(const std::string& path) {
  auto p = NativePlugin::Load(path);
  EXPECT_FALSE(p.ok()) << path << " was loaded";
  return p.ok() ? "" : std::string(p.status().message());
}

TEST(NativeLoaderTest, RefusesALibraryWithoutTheEntryPoint) {
  EXPECT_THAT(Refusal(Fixture("missing_entry")), HasSubstr("exports no shequ_plugin_entry"));
}

TEST(NativeLoaderTest, RefusesAnotherAbiMajor) {
  EXPECT_THAT(Refusal(Fixture("wrong_abi")), HasSubstr("built for plugin ABI 2.0"));
}

TEST(NativeLoaderTest, RefusesAShortDescriptor) {
  EXPECT_THAT(Refusal(Fixture("short_descriptor")), HasSubstr("short descriptor: 16 bytes"));
}

TEST(NativeLoaderTest, RefusesAMissingFile) {
  EXPECT_THAT(Refusal("/nonexistent/libnothing.so"), HasSubstr("no such plugin library"));
}

TEST(NativeLoaderTest, RefusesALibraryWritableByGroupOrOthers) {
  char tmpl[] = "/tmp/shequ-native-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string copy = std::string(tmpl) + "/libfixture_echo.so";
  std::filesystem::copy_file(Fixture("echo"), copy);
  ASSERT_EQ(chmod(copy.c_str(), 0664), 0);
  EXPECT_THAT(Refusal(copy), HasSubstr("writable by its group (mode 0664)"));
  ASSERT_EQ(chmod(copy.c_str(), 0646), 0);
  EXPECT_THAT(Refusal(copy), HasSubstr("writable by others"));
  ASSERT_EQ(chmod(copy.c_str(), 0644), 0);
  EXPECT_TRUE(NativePlugin::Load(copy).ok());
  std::filesystem::remove_all(tmpl);
}

TEST(NativeLoaderTest, LoadsAPluginAndCallsIt) {
  auto p = NativePlugin::Load(Fixture("echo"));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ((*p)->descriptor().name(), "echo");
  pb::ExecuteJobRequest job;
  job.set_type("fixture.echo");
  job.set_variables(R"({"n": 7})");
  job.set_attempt(2);
  auto out = (*p)->ExecuteJob(job);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(nlohmann::json::parse(*out), (nlohmann::json{{"echoed", 7}, {"attempt", 2}}));
  // An exception inside the plugin comes back as a code and message, not a crash.
  job.set_variables("not json");
  out = (*p)->ExecuteJob(job);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(out.status().message()), HasSubstr("unexpected error"));
  pb::InvokeRequest call;
  call.set_operation("nope");
  EXPECT_EQ((*p)->Invoke(call).status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE((*p)->Health().ok());
}

TEST(Utf8Test, AcceptsUtf8AndRefusesTheRest) {
  EXPECT_TRUE(IsValidUtf8("户数 ok"));
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xe6\x88"));      // truncated
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));      // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));  // surrogate
}

}  // namespace
}  // namespace shequ::plugin
