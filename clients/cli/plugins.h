#pragma once

// How `shequctl plugins` prints plugins: pure text formatting, apart from the calls, so it can be
// unit-tested without a daemon.

#include <string>

#include "shequ/v1/plugins.pb.h"

namespace shequ::cli {

// The KIND column: "isolated", "in-process" or "remote" for PluginStatus.isolation (an unknown
// value is shown as it came).
std::string PluginKind(const std::string& isolation);

// The table of `plugins list` (header NAME STATE KIND DEPARTMENT VERSION JOB TYPES LAST ERROR),
// or "no plugins ..." when there are none.
std::string RenderPluginList(const v1::ListPluginsResponse& list);

// A field's type as one cell: "integer", "choice: a | b", "roster: name text, born date".
std::string FieldType(const plugin::v1::Field& field);

// The human-readable summary of `plugins describe`: status, job types, operations, checklist
// templates with their fields and types, ledger fields, signboards, notification channels.
std::string RenderPluginDescription(const v1::DescribePluginResponse& d);

}  // namespace shequ::cli
