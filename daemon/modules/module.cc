#include "daemon/modules/module.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace shequ::modules {

absl::StatusOr<std::string> ReadTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace shequ::modules
