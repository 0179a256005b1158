#include "daemon/server/demo.h"

#include <future>

#include "absl/strings/str_cat.h"
#include "daemon/core/logging.h"
#include "daemon/core/yaml_json.h"
#include "yaml-cpp/yaml.h"

namespace shequ::server {

using engine::json;

absl::StatusOr<json> Await(const std::function<void(engine::Reply)>& call) {
  std::promise<absl::StatusOr<json>> done;
  call([&done](absl::StatusOr<json> r) { done.set_value(std::move(r)); });
  return done.get_future().get();
}

absl::Status StartDemoInstances(engine::Engine& engine, const std::string& file) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(file);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(file, ": ", e.what()));
  }
  int started = 0;
  for (const auto& item : root["instances"]) {
    try {
      engine::StartArgs args{item["definition"].as<std::string>(), 0,
                             item["business_key"].as<std::string>(""),
                             item["unit"].as<std::string>(""), json::object()};
      if (item["variables"]) args.variables = YamlToJson(item["variables"]);
      auto result = Await([&](engine::Reply reply) {
        engine.Start({item["user"].as<std::string>("demo")},
                     {std::move(args), item["request_id"].as<std::string>()}, std::move(reply));
      });
      if (!result.ok()) {
        return absl::Status(result.status().code(),
                            absl::StrCat(file, ": ", result.status().message()));
      }
      ++started;
    } catch (const std::exception& e) {
      return absl::InvalidArgumentError(
          absl::StrCat(file, ": instance ", started + 1, ": ", e.what()));
    }
  }
  Logger("daemon")->info("demo: {} instances present from {}", started, file);
  return absl::OkStatus();
}

}  // namespace shequ::server
