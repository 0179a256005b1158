#pragma once

// Bounds on how deeply JSON may nest. Parsing, measuring, copying, comparing and dumping a JSON
// value recurse once per level (nlohmann's and ours alike), so a request with variables nested
// 100,000 levels deep would overflow the stack. Text from outside is checked before it is parsed,
// and values an expression builds before they are stored.

#include <cstddef>
#include <string_view>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"

namespace shequ {

// Levels of arrays and objects one JSON value may have; the root object is level 1.
inline constexpr int kMaxJsonDepth = 64;

// Scans `text` without parsing it (no recursion) and refuses nesting deeper than `max_depth`:
// INVALID_ARGUMENT "<field>: nested deeper than 64 levels". Malformed text passes: the parser
// that runs next reports it.
absl::Status CheckJsonTextDepth(std::string_view text, std::string_view field,
                                int max_depth = kMaxJsonDepth);

// Whether `value` has more than `max_depth` levels of arrays and objects (without recursion).
bool JsonDeeperThan(const nlohmann::json& value, int max_depth = kMaxJsonDepth);

// Parses JSON text from outside the daemon after CheckJsonTextDepth; a discarded value when
// it is malformed or too deep (*depth_error says which).
nlohmann::json ParseBoundedJson(std::string_view text, std::string_view field,
                                absl::Status* depth_error);

}  // namespace shequ
