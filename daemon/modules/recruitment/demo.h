#pragma once

// The `campaigns` of config/demo/instances.yaml: recruitment campaigns opened by a street
// office, each created once (its request_id).

#include <string>

#include "absl/status/status.h"
#include "daemon/modules/recruitment/durable_recruitment.h"

namespace shequ::modules::recruitment {

absl::Status StartDemoCampaigns(DurableRecruitment& recruitment, const std::string& file);

}  // namespace shequ::modules::recruitment
