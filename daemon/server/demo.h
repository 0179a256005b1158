#pragma once

// Demo data for `make run` (config/demo/): a district with its units, quotas and roster, and a
// few workflow instances. Loading is idempotent: a restart finds the data present and adds
// nothing.

#include <string>

#include "absl/status/status.h"
#include "daemon/engine/engine.h"
#include "daemon/server/recruitment.h"
#include "daemon/server/workforce.h"

namespace shequ::server {

// units.csv (units and their initial quotas), roster.csv, revisions.csv of `dir`. Each step
// carries a request_id, so a restart (even after a crash half-way) completes what is missing.
absl::Status LoadDemoDistrict(DurableRegistry& registry, const std::string& dir);

// instances.yaml: each instance carries a request_id, so it is started once.
absl::Status StartDemoInstances(engine::Engine& engine, const std::string& file);
// The `campaigns` of the same file: recruitment campaigns opened by a street office.
absl::Status StartDemoCampaigns(DurableRecruitment& recruitment, const std::string& file);

}  // namespace shequ::server
