#pragma once

// The mapping from the recruitment domain (daemon/domain/recruitment) and the module's reads
// (durable_recruitment.h) to the API messages (proto/shequ/v1/recruitment.proto): the only
// place that knows both.

#include "absl/status/statusor.h"
#include "daemon/domain/recruitment/campaign.h"
#include "daemon/engine/model.h"
#include "daemon/modules/recruitment/durable_recruitment.h"
#include "shequ/v1/recruitment.pb.h"

namespace shequ::modules::recruitment {

// Requirements left unset, or zero ages and no education in them, are the policy's defaults.
absl::StatusOr<rc::CampaignSpec> SpecFromProto(const v1::CampaignSpec& in,
                                               const rc::RecruitmentPolicy& policy);
void ToProto(const rc::CampaignSpec& s, v1::CampaignSpec* out);
// Stages up to the view's instant; open steps are not part of the view (OpenStepToProto).
void ToProto(const CampaignView& c, v1::Campaign* out);
// An open task of the campaign's workflow.
void OpenStepToProto(const engine::Task& t, v1::OpenStep* out);
// `personal`: in the clear; otherwise masked (PersonalDataPolicy).
void ToProto(const rc::Application& a, bool personal, v1::Application* out);
// promoted_id is the decision's, not the objection's: the caller sets it.
void ToProto(const ObjectionView& o, v1::Objection* out);

}  // namespace shequ::modules::recruitment
