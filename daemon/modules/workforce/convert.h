#pragma once

// The mapping between the workforce domain (daemon/domain/workforce) and its API messages
// (proto/shequ/v1/workforce.proto), in both directions: the only place that knows both.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "daemon/domain/workforce/registry.h"
#include "shequ/v1/workforce.pb.h"

namespace shequ::modules::workforce {

namespace wf = ::shequ::domain::workforce;

// An enum field given by its English id; INVALID_ARGUMENT naming `field` and the choices.
template <typename E>
absl::StatusOr<E> EnumField(const std::string& text, absl::string_view field) {
  if (auto v = wf::ParseEnum<E>(text)) return *v;
  return absl::InvalidArgumentError(absl::StrCat(field, ": '", text, "' is not one of ",
                                                 wf::EnumChoices<E>()));
}
std::string En(auto value) { return std::string(wf::EnglishName(value)); }
absl::Status Required(const std::string& value, absl::string_view field);

absl::StatusOr<wf::Unit> UnitFromProto(const v1::Unit& in);
// With the unit's effective class and its approved quota on `today`, from `reg`.
void ToProto(const wf::Unit& u, const wf::Registry& reg, const std::string& today, v1::Unit* out);
void ToProto(const wf::QuotaRevision& r, v1::QuotaRevision* out);

absl::StatusOr<wf::Worker> WorkerFromProto(const v1::Worker& in);
// `masked`: personal data masked for callers outside PersonalDataPolicy (birth date left out).
void ToProto(const wf::Worker& w, bool masked, const std::string& today, v1::Worker* out);
// The fields of the request's update_mask, taken from its worker.
absl::StatusOr<wf::WorkerPatch> PatchOf(const v1::UpdateWorkerRequest& req);

void ToProto(const wf::OccupancyFigures& f, v1::OccupancyFigures* out);
void ToProto(const wf::PayParityReport& r, v1::PayParityReport* out);

}  // namespace shequ::modules::workforce
