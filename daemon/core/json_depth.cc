#include "daemon/core/json_depth.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace shequ {

absl::Status CheckJsonTextDepth(std::string_view text, std::string_view field, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character, whatever it is
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '[':
      case '{':
        if (++depth > max_depth) {
          return absl::InvalidArgumentError(
              absl::StrCat(absl::string_view(field.data(), field.size()), ": nested deeper than ",
                           max_depth, " levels"));
        }
        break;
      case ']':
      case '}':
        --depth;
        break;
      default:
        break;
    }
  }
  return absl::OkStatus();
}

bool JsonDeeperThan(const nlohmann::json& value, int max_depth) {
  if (!value.is_structured()) return false;
  // Depth-first with an explicit stack of (container, its level).
  std::vector<std::pair<const nlohmann::json*, int>> stack{{&value, 1}};
  while (!stack.empty()) {
    auto [node, level] = stack.back();
    stack.pop_back();
    if (level > max_depth) return true;
    for (const auto& child : *node) {  // an object's values, an array's elements
      if (child.is_structured() && !child.empty()) {
        stack.emplace_back(&child, level + 1);
      } else if (child.is_structured() && level + 1 > max_depth) {
        return true;
      }
    }
  }
  return false;
}

nlohmann::json ParseBoundedJson(std::string_view text, std::string_view field,
                                absl::Status* depth_error) {
  *depth_error = CheckJsonTextDepth(text, field);
  if (!depth_error->ok()) return nlohmann::json(nlohmann::json::value_t::discarded);
  return nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
}

}  // namespace shequ
