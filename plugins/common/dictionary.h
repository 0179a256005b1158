#pragma once

// The district's shared data dictionary: fields that several departments read from one
// community ledger ("one datum, one source, many uses" — 一数一源、一数多用). A department
// plugin takes these from here instead of defining its own, so household_count is the same
// integer everywhere; the daemon checks this again across plugins at load time.

#include <string>
#include <vector>

#include "nlohmann/json.hpp"

namespace shequ::plugins {

using nlohmann::json;

// A shared field as a shequ.plugin.v1.Field JSON object; throws std::out_of_range for an id
// the dictionary does not hold (a plugin bug, caught when the descriptor is built).
json SharedField(const std::string& id, bool required = true);

// A department's own field.
json OwnField(const std::string& id, const std::string& label, const std::string& type,
              const std::string& unit = "", bool required = true);
json ChoiceField(const std::string& id, const std::string& label,
                 const std::vector<std::string>& choices, bool required = true);

// Every id in the dictionary (for tests).
std::vector<std::string> SharedFieldIds();

}  // namespace shequ::plugins
