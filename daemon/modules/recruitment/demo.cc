#include "daemon/modules/recruitment/demo.h"

#include <google/protobuf/util/json_util.h>

#include "absl/strings/str_cat.h"
#include "daemon/core/logging.h"
#include "daemon/core/yaml_json.h"
#include "daemon/modules/recruitment/convert.h"
#include "daemon/server/demo.h"
#include "yaml-cpp/yaml.h"

namespace shequ::modules::recruitment {

using server::Await;

absl::Status StartDemoCampaigns(DurableRecruitment& recruitment, const std::string& file) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(file);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(file, ": ", e.what()));
  }
  int created = 0;
  for (const auto& item : root["campaigns"]) {
    try {
      engine::Caller caller{item["user"].as<std::string>("demo"), {"street-office"},
                            item["unit"].as<std::string>("")};
      // The campaign in the API's shape (recruitment.proto), read strictly.
      v1::CampaignSpec spec;
      const auto parsed =
          google::protobuf::util::JsonStringToMessage(YamlToJson(item["campaign"]).dump(), &spec);
      if (!parsed.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(file, ": campaign ", created + 1, ": ",
                                                       std::string(parsed.message())));
      }
      auto result = Await([&](engine::Reply reply) {
        recruitment.Create(
            caller,
            [spec](const rc::RecruitmentPolicy& policy) { return SpecFromProto(spec, policy); },
            item["request_id"].as<std::string>(), std::move(reply));
      });
      if (!result.ok()) {
        return absl::Status(result.status().code(),
                            absl::StrCat(file, ": campaign ", created + 1, ": ",
                                         result.status().message()));
      }
      ++created;
    } catch (const std::exception& e) {
      return absl::InvalidArgumentError(
          absl::StrCat(file, ": campaign ", created + 1, ": ", e.what()));
    }
  }
  Logger("recruitment")->info("demo: {} recruitment campaigns present from {}", created, file);
  return absl::OkStatus();
}

}  // namespace shequ::modules::recruitment
