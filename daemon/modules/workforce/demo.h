#pragma once

// The demo district of config/demo/district/: units.csv (units and their initial quotas),
// roster.csv, revisions.csv. Each step carries a request_id, so a restart (even after a crash
// half-way) completes what is missing and adds nothing else.

#include <string>

#include "absl/status/status.h"
#include "daemon/modules/workforce/durable_registry.h"

namespace shequ::modules::workforce {

absl::Status LoadDemoDistrict(DurableRegistry& registry, const std::string& dir);

}  // namespace shequ::modules::workforce
