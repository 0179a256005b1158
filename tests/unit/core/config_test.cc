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
  EXPECT_EQ(c->auth.mode, "tokens");
  EXPECT_EQ(c->auth.token_ttl_ms, int64_t{90} * 86'400'000);
  EXPECT_TRUE(c->tls.cert.empty());
}

TEST(ConfigTest, AuthIsTokensUnlessHeadersAreAskedFor) {
  auto c = LoadConfig(Write("shequ-config-auth0.yaml", "log_level: info\n"));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->auth.mode, "tokens");
  c = LoadConfig(Write("shequ-config-auth1.yaml", "auth: headers\n"));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->auth.mode, "headers");
  c = LoadConfig(Write("shequ-config-auth2.yaml", "auth: {mode: headers, token_ttl: PT12H}\n"));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->auth.mode, "headers");
  EXPECT_EQ(c->auth.token_ttl_ms, 12 * 3'600'000);
  c = LoadConfig(Write("shequ-config-auth3.yaml", "auth: anything\n"));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("auth.mode"), std::string::npos) << c.status();
  c = LoadConfig(Write("shequ-config-auth4.yaml", "auth: {token_ttl: 5wd}\n"));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("auth.token_ttl"), std::string::npos) << c.status();
  c = LoadConfig(Write("shequ-config-auth5.yaml", "auth: {moed: headers}\n"));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("auth.moed: unknown setting"), std::string::npos)
      << c.status();
}

TEST(ConfigTest, JwtAndTlsSettings) {
  auto c = LoadConfig(Write("shequ-config-jwt.yaml", R"(auth:
  jwt:
    jwks_file: sso.json
    issuer: https://sso.bh.gov.cn
    audience: [shequd, console]
    leeway_s: 30
    claims: {name: preferred_username, roles: groups, unit: org}
    roles: {lg: leading-group, hr: [personnel, district-admin]}
  mtls: {identity: san}
tls: {cert: s.pem, key: s.key, client_ca: ca.pem}
)"));
  ASSERT_TRUE(c.ok()) << c.status();
  const auto dir = std::filesystem::temp_directory_path().string();
  EXPECT_EQ(c->auth.jwt.jwks_file, dir + "/sso.json");
  EXPECT_EQ(c->auth.jwt.audiences, (std::vector<std::string>{"shequd", "console"}));
  EXPECT_EQ(c->auth.jwt.leeway_s, 30);
  EXPECT_EQ(c->auth.jwt.name_claim, "preferred_username");
  EXPECT_EQ(c->auth.jwt.role_map.at("lg"), std::vector<std::string>{"leading-group"});
  EXPECT_EQ(c->auth.jwt.role_map.at("hr").size(), 2u);
  EXPECT_EQ(c->auth.mtls.identity, "san");
  EXPECT_EQ(c->tls.client_ca, dir + "/ca.pem");

  c = LoadConfig(Write("shequ-config-jwt2.yaml", "auth: {jwt: {jwks_file: k.json}}\n"));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("issuer"), std::string::npos) << c.status();
  c = LoadConfig(Write("shequ-config-tls2.yaml", "tls: {cert: s.pem}\n"));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("tls"), std::string::npos) << c.status();
  c = LoadConfig(Write("shequ-config-tls3.yaml", "tls: {client_ca: ca.pem}\n"));
  ASSERT_FALSE(c.ok());
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

TEST(ConfigTest, CacheDefinitionsIsACount) {
  auto c = LoadConfig(Write("shequ-config-defs.yaml", "engine: {}\n"));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->cache_definitions, 16);
  c = LoadConfig(Write("shequ-config-defs-2.yaml", "engine: {cache_definitions: 2}\n"));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->cache_definitions, 2);
  c = LoadConfig(Write("shequ-config-defs-neg.yaml", "engine: {cache_definitions: -1}\n"));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("engine.cache_definitions"), std::string::npos)
      << c.status();
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

TEST(ConfigTest, PersonalDataRetentionIsBoundedAndNamed) {
  auto c = LoadConfig(Write("shequ-config-pd0.yaml", "log_level: info\n"));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->personal_data_worker_retention_years, 5);
  EXPECT_EQ(c->personal_data_applicant_retention_months, 6);
  c = LoadConfig(Write("shequ-config-pd1.yaml",
                       "personal_data: {worker_retention_years: 0, "
                       "applicant_retention_months: 18}\n"));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->personal_data_worker_retention_years, 0);  // never by itself
  EXPECT_EQ(c->personal_data_applicant_retention_months, 18);
  for (const char* bad : {"worker_retention_years: 1", "worker_retention_years: -3",
                          "worker_retention_years: 101"}) {
    c = LoadConfig(Write("shequ-config-pd2.yaml", std::string("personal_data: {") + bad + "}\n"));
    ASSERT_FALSE(c.ok()) << bad;
    EXPECT_NE(c.status().message().find("personal_data.worker_retention_years"),
              std::string::npos)
        << c.status();
  }
  for (const char* bad : {"applicant_retention_months: -1", "applicant_retention_months: 1201"}) {
    c = LoadConfig(Write("shequ-config-pd3.yaml", std::string("personal_data: {") + bad + "}\n"));
    ASSERT_FALSE(c.ok()) << bad;
    EXPECT_NE(c.status().message().find("personal_data.applicant_retention_months"),
              std::string::npos)
        << c.status();
  }
  c = LoadConfig(Write("shequ-config-pd4.yaml", "personal_data: {retention_years: 3}\n"));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("personal_data.retention_years"), std::string::npos);
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
