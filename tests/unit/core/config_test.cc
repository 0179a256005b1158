#include "daemon/core/config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace shequ {
namespace {

std::string Write(const std::string& name, const std::string& text) {
  auto path = std::filesystem::temp_directory_path() / name;
  std::ofstream(path) << text;
  return path.string();
}

TEST(ConfigTest, ShippedConfigLoadsWithPathsRelativeToIt) {
  auto c = LoadConfig(std::string(SHEQU_SOURCE_DIR) + "/config/shequd.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->listen, "127.0.0.1:7070");
  EXPECT_EQ(c->synchronous, "FULL");
  EXPECT_EQ(c->calendar_dir, std::string(SHEQU_SOURCE_DIR) + "/config/calendar");
  EXPECT_EQ(c->data_dir, std::string(SHEQU_SOURCE_DIR) + "/var");
  EXPECT_EQ(c->max_variables_bytes, 1 << 20);
  EXPECT_EQ(c->policy_dir, std::string(SHEQU_SOURCE_DIR) + "/config/policy");
  EXPECT_EQ(c->demo, std::string(SHEQU_SOURCE_DIR) + "/config/demo");
  EXPECT_EQ(c->personal_data_key, "");  // data_dir/personal-data.key
  EXPECT_EQ(c->personal_data_roles, (std::vector<std::string>{"district-admin", "personnel"}));
  EXPECT_EQ(c->max_import_bytes, int64_t{64} << 20);
  EXPECT_EQ(c->cache_objects, 4096);
}

TEST(ConfigTest, WorkforceSettingsAreCheckedByName) {
  auto c = LoadConfig(Write("shequ-config-wf.yaml", "workforce: {personal_data_role: [x]}\n"));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("workforce.personal_data_role"), std::string::npos)
      << c.status();
}

TEST(ConfigTest, CacheObjectsIsACount) {
  auto c = LoadConfig(Write("shequ-config-cache.yaml", "engine: {cache_objects: 0}\n"));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->cache_objects, 0);
  EXPECT_EQ(c->request_retention_days, 7);
  c = LoadConfig(Write("shequ-config-cache-neg.yaml", "engine: {cache_objects: -1}\n"));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("engine.cache_objects"), std::string::npos) << c.status();
}

TEST(ConfigTest, CallDepthAndSpawnLimitsArePositive) {
  auto c = LoadConfig(Write("shequ-config-calls.yaml",
                            "engine: {max_call_depth: 4, max_spawned_instances: 50}\n"));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->max_call_depth, 4);
  EXPECT_EQ(c->max_spawned_instances, 50);
  c = LoadConfig(Write("shequ-config-calls-default.yaml", "engine: {max_steps: 10}\n"));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->max_call_depth, 16);
  EXPECT_EQ(c->max_spawned_instances, 10'000);
  c = LoadConfig(Write("shequ-config-calls-zero.yaml", "engine: {max_call_depth: 0}\n"));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("engine.max_call_depth"), std::string::npos) << c.status();
  c = LoadConfig(Write("shequ-config-spawn-zero.yaml", "engine: {max_spawned_instances: 0}\n"));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("engine.max_spawned_instances"), std::string::npos)
      << c.status();
}

TEST(ConfigTest, RequestRetentionIsDaysNotNegative) {
  auto c = LoadConfig(Write("shequ-config-ret.yaml", "engine: {request_retention_days: 0}\n"));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->request_retention_days, 0);  // forever
  c = LoadConfig(Write("shequ-config-ret-neg.yaml", "engine: {request_retention_days: -2}\n"));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("engine.request_retention_days"), std::string::npos)
      << c.status();
}

TEST(ConfigTest, UnknownSettingIsNamed) {
  auto c = LoadConfig(Write("shequ-config-typo.yaml", "listen: 1.2.3.4:5\nstore: {synchronus: FULL}\n"));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("store.synchronus"), std::string::npos) << c.status();
}

TEST(ConfigTest, BadSynchronousIsRefused) {
  auto c = LoadConfig(Write("shequ-config-sync.yaml", "store: {synchronous: OFF}\n"));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("synchronous"), std::string::npos);
}

}  // namespace
}  // namespace shequ

#include "daemon/core/yaml_json.h"

namespace shequ {
namespace {

TEST(YamlToJsonTest, PlainScalarsAreTypedQuotedStayText) {
  auto j = YamlToJson(YAML::Load("{n: 2, x: 1.5, b: true, z: ~, s: '2', t: 幸福里, l: [1, a]}"));
  EXPECT_EQ(j, nlohmann::json::parse(
                   R"({"n":2,"x":1.5,"b":true,"z":null,"s":"2","t":"幸福里","l":[1,"a"]})"));
}

TEST(ConfigTest, LimitsAreReadAndCheckedByName) {
  auto c = LoadConfig(Write("shequ-config-limits.yaml",
                            "limits: {max_message_mb: 4, max_string_bytes: 512, max_repeated: 20,\n"
                            "  rate_per_second: 5, rate_burst: 10, jobs_rate_per_second: 50,\n"
                            "  jobs_rate_burst: 60, max_streams_per_principal: 3,\n"
                            "  stream_queue_messages: 100, stream_queue_mb: 2}\n"));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->max_message_bytes, 4 << 20);
  EXPECT_EQ(c->max_string_bytes, 512);
  EXPECT_EQ(c->max_repeated, 20);
  EXPECT_EQ(c->rate_per_second, 5);
  EXPECT_EQ(c->rate_burst, 10);
  EXPECT_EQ(c->jobs_rate_per_second, 50);
  EXPECT_EQ(c->jobs_rate_burst, 60);
  EXPECT_EQ(c->max_streams_per_principal, 3);
  EXPECT_EQ(c->stream_queue_messages, 100);
  EXPECT_EQ(c->stream_queue_bytes, 2 << 20);
  c = LoadConfig(Write("shequ-config-limits-typo.yaml", "limits: {rate_per_sec: 5}\n"));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("limits.rate_per_sec"), std::string::npos) << c.status();
  c = LoadConfig(Write("shequ-config-limits-size.yaml", "limits: {max_message_mb: 0}\n"));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("limits.max_message_mb"), std::string::npos) << c.status();
  c = LoadConfig(Write("shequ-config-limits-neg.yaml", "limits: {rate_burst: -1}\n"));
  ASSERT_FALSE(c.ok());
}

}  // namespace
}  // namespace shequ
