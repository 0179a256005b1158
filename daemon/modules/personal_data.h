#pragma once

// Who sees personal data (names, ID numbers, phones) in the clear: the one access rule every
// module's service applies. Callers without one of the configured roles (config
// personal_data_roles) get masked values (王*, 3401**********1234, 138****5678).

#include <string>
#include <vector>

#include "daemon/engine/engine.h"

namespace shequ::modules {

class PersonalDataPolicy {
 public:
  explicit PersonalDataPolicy(std::vector<std::string> roles) : roles_(std::move(roles)) {}

  // True when `caller` holds one of the roles that see personal data unmasked.
  bool MaySee(const engine::Caller& caller) const;
  const std::vector<std::string>& roles() const { return roles_; }

 private:
  std::vector<std::string> roles_;
};

}  // namespace shequ::modules
