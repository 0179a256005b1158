#pragma once

#include "nlohmann/json.hpp"
#include "yaml-cpp/yaml.h"

namespace shequ {

// Converts YAML to JSON the way a reader expects: plain scalars that look like numbers,
// booleans or null become those; quoted scalars stay text. Throws YAML::Exception on bad input.
nlohmann::json YamlToJson(const YAML::Node& node);

}  // namespace shequ
