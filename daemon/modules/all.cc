// The domain modules of shequd, in order: a module may use those listed before it.
// A new domain adds its folder under daemon/modules/ and one line here.

#include "daemon/modules/identity/module.h"
#include "daemon/modules/module.h"
#include "daemon/modules/recruitment/module.h"
#include "daemon/modules/workforce/module.h"

namespace shequ::modules {

ModuleList AllModules() {
  ModuleList modules;
  modules.push_back(std::make_unique<identity::IdentityModule>());
  modules.push_back(std::make_unique<workforce::WorkforceModule>());
  modules.push_back(std::make_unique<recruitment::RecruitmentModule>());
  return modules;
}

}  // namespace shequ::modules
