// The domain modules of shequd, in order: a module may use those listed before it.
// A new domain adds its folder under daemon/modules/ and one line here.

#include "daemon/modules/identity/module.h"
#include "daemon/modules/module.h"
#include "daemon/modules/personal_data/module.h"
#include "daemon/modules/recruitment/module.h"
#include "daemon/modules/reviews/module.h"
#include "daemon/modules/workforce/module.h"

namespace shequ::modules {

ModuleList AllModules() {
  ModuleList modules;
  modules.push_back(std::make_unique<identity::IdentityModule>());
  modules.push_back(std::make_unique<workforce::WorkforceModule>());
  modules.push_back(std::make_unique<recruitment::RecruitmentModule>());
  modules.push_back(std::make_unique<reviews::ReviewsModule>());
  modules.push_back(std::make_unique<personal_data::PersonalDataModule>());  // asks all others
  return modules;
}

}  // namespace shequ::modules
