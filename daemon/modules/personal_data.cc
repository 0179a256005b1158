#include "daemon/modules/personal_data.h"

#include <algorithm>

namespace shequ::modules {

bool PersonalDataPolicy::MaySee(const engine::Caller& caller) const {
  return std::any_of(roles_.begin(), roles_.end(),
                     [&](const std::string& role) { return caller.HasRole(role); });
}

}  // namespace shequ::modules
