#include "daemon/plugin/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace shequ::plugin {
namespace {

using ::testing::HasSubstr;

std::string Error(const std::string& yaml) {
  auto c = ParsePluginConfig(yaml, "/etc/shequd/plugins.d/x.yaml");
  EXPECT_FALSE(c.ok());
  return c.ok() ? "" : std::string(c.status().message());
}

TEST(PluginConfigTest, ParsesANativePluginWithLimits) {
  auto c = ParsePluginConfig(R"(
name: civil_affairs
path: ../lib/libshequ_civil_affairs.so
limits: {job_deadline: PT5S, max_concurrent_jobs: 8, restart_backoff: PT0.5S,
         max_restart_backoff: PT30S, health_interval: PT2S}
)",
                             "/etc/shequd/plugins.d/civil.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->path, "/etc/shequd/lib/libshequ_civil_affairs.so");
  EXPECT_EQ(c->Isolation(), "isolated");
  EXPECT_EQ(c->limits.job_deadline_ms, 5000);
  EXPECT_EQ(c->limits.max_concurrent_jobs, 8);
  EXPECT_EQ(c->limits.restart_backoff_ms, 500);
  EXPECT_EQ(c->limits.max_restart_backoff_ms, 30000);
  EXPECT_EQ(c->limits.health_interval_ms, 2000);
}

TEST(PluginConfigTest, InprocessAndRemote) {
  auto in = ParsePluginConfig("{name: a, path: /x.so, inprocess: true}", "a.yaml");
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(in->Isolation(), "inprocess");
  auto remote = ParsePluginConfig("{name: b, address: 'unix:/run/b.sock'}", "b.yaml");
  ASSERT_TRUE(remote.ok());
  EXPECT_EQ(remote->Isolation(), "remote");
}

TEST(PluginConfigTest, RefusalsNameTheFileAndTheKey) {
  EXPECT_THAT(Error("{name: a, path: /x.so, colour: red}"),
              HasSubstr("x.yaml: colour: unknown setting"));
  EXPECT_THAT(Error("{name: a}"), HasSubstr("exactly one is needed"));
  EXPECT_THAT(Error("{name: a, path: /x.so, address: 'h:1'}"), HasSubstr("exactly one"));
  EXPECT_THAT(Error("{path: /x.so}"), HasSubstr("name: required"));
  EXPECT_THAT(Error("{name: 'Bad Name', path: /x.so}"), HasSubstr("name: 'Bad Name'"));
  EXPECT_THAT(Error("{name: a, address: 'h:1', inprocess: true}"),
              HasSubstr("inprocess: only for a native library"));
  EXPECT_THAT(Error("{name: a, path: /x.so, limits: {job_deadline: 5wd}}"),
              HasSubstr("limits.job_deadline"));
  EXPECT_THAT(Error("{name: a, path: /x.so, limits: {max_concurrent_jobs: 0}}"),
              HasSubstr("limits.max_concurrent_jobs"));
  EXPECT_THAT(Error("{name: a, path: /x.so, limits: {speed: 1}}"),
              HasSubstr("limits.speed: unknown setting"));
}

TEST(PluginConfigTest, ShippedPluginsDirLoads) {
  std::vector<std::string> errors;
  auto configs = LoadPluginsDir(std::string(SHEQU_SOURCE_DIR) + "/config/plugins.d", &errors);
  EXPECT_TRUE(errors.empty()) << errors.front();
  EXPECT_EQ(configs.size(), 6u);
  for (const auto& c : configs) EXPECT_EQ(c.Isolation(), "isolated") << c.name;
}

}  // namespace
}  // namespace shequ::plugin
