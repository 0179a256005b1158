#pragma once

// Plugin descriptors: parsing the JSON a native plugin returns, and the checks every descriptor
// passes before the daemon serves its job types (native, isolated or remote alike).

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "shequ/plugin/v1/plugin.pb.h"

namespace shequ::plugin {

namespace pb = ::shequ::plugin::v1;

inline constexpr uint32_t kProtocolVersion = 1;

// text, integer, decimal, boolean, date, choice, roster.
bool IsFieldType(const std::string& type);

// shequ.plugin.v1.Descriptor in protobuf's JSON mapping; unknown keys are refused.
absl::StatusOr<pb::Descriptor> ParseDescriptorJson(absl::string_view json);

// One descriptor on its own: a name, the protocol version, known field types (choice with
// choices, roster with columns), ids unique within their list, job types and operations named.
// The error names the path at fault ("checklists[0].fields[2].type: ...").
absl::Status ValidateDescriptor(const pb::Descriptor& d);

// Across plugins: a field id means one datum, so it has one type wherever it appears; a job
// type is served by one plugin. Returns every conflict found (empty: consistent).
std::vector<std::string> CrossCheck(const std::vector<pb::Descriptor>& descriptors);

}  // namespace shequ::plugin
