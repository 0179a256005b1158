#include "daemon/modules/personal_data.h"

#include <gtest/gtest.h>

namespace shequ::modules {
namespace {

TEST(PersonalDataPolicy, OnlyTheConfiguredRolesSeePersonalData) {
  PersonalDataPolicy policy({"district-admin", "personnel"});
  EXPECT_TRUE(policy.MaySee({"li", {"street-office", "personnel"}, "bh.whl"}));
  EXPECT_TRUE(policy.MaySee({"root", {"district-admin"}, ""}));
  EXPECT_FALSE(policy.MaySee({"wang", {"street-office"}, "bh.whl"}));
  EXPECT_FALSE(policy.MaySee({"anon", {}, ""}));
}

TEST(PersonalDataPolicy, NoRolesMeansEveryoneSeesMaskedData) {
  PersonalDataPolicy policy({});
  EXPECT_FALSE(policy.MaySee({"root", {"district-admin", "personnel"}, ""}));
}

}  // namespace
}  // namespace shequ::modules
