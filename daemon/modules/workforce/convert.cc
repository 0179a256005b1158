#include "daemon/modules/workforce/convert.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "daemon/core/status.h"

namespace shequ::modules::workforce {

absl::Status Required(const std::string& value, absl::string_view field) {
  if (value.empty()) return absl::InvalidArgumentError(absl::StrCat(field, ": required"));
  return absl::OkStatus();
}

// ---- Units ----

absl::StatusOr<wf::Unit> UnitFromProto(const v1::Unit& in) {
  wf::Unit u;
  u.id = in.id();
  u.parent_id = in.parent_id();
  u.name = in.name();
  ASSIGN_OR_RETURN(u.kind, EnumField<wf::UnitKind>(in.kind(), "unit.kind"));
  if (!in.community_type().empty()) {
    ASSIGN_OR_RETURN(u.community_type,
                     EnumField<wf::CommunityType>(in.community_type(), "unit.community_type"));
  }
  u.households = in.households();
  u.residents = in.residents();
  u.area_km2 = in.area_km2();
  u.unit_class = in.unit_class();
  return u;
}

void ToProto(const wf::Unit& u, const wf::Registry& reg, const std::string& today, v1::Unit* out) {
  out->set_id(u.id);
  out->set_parent_id(u.parent_id);
  out->set_name(u.name);
  out->set_kind(En(u.kind));
  if (u.community_type != wf::CommunityType::kNone) out->set_community_type(En(u.community_type));
  out->set_households(static_cast<int32_t>(u.households));
  out->set_residents(static_cast<int32_t>(u.residents));
  out->set_area_km2(u.area_km2);
  out->set_unit_class(u.unit_class);
  if (auto q = reg.ComputeQuota(u.id); q.ok()) out->set_effective_class(q->unit_class);
  if (auto a = reg.ApprovedQuota(u.id, today); a.ok()) out->set_approved_quota(*a);
}

void ToProto(const wf::QuotaRevision& r, v1::QuotaRevision* out) {
  out->set_id(r.id);
  out->set_unit_id(r.unit_id);
  out->set_approved(r.approved);
  out->set_computed(r.computed.value_or(0));
  out->set_effective_from(r.effective_from);
  out->set_reason(r.reason);
  out->set_approved_by(r.approved_by);
  out->set_recorded_on(r.recorded_at);
  out->set_approval_document(r.approval_document);
}

// ---- Workers ----

absl::StatusOr<wf::Worker> WorkerFromProto(const v1::Worker& in) {
  wf::Worker w;
  w.number = in.number();
  w.personal = {in.name(), in.id_number(), in.phone()};
  ASSIGN_OR_RETURN(w.education, EnumField<wf::Education>(in.education(), "worker.education"));
  for (const auto& c : in.certificates()) w.certificates.push_back(wf::NormalizeCertificate(c));
  ASSIGN_OR_RETURN(w.employment, EnumField<wf::Employment>(in.employment(), "worker.employment"));
  w.post = in.post();
  w.grade = in.grade();
  w.unit_id = in.unit_id();
  if (!in.status().empty()) {
    ASSIGN_OR_RETURN(w.status, EnumField<wf::WorkerStatus>(in.status(), "worker.status"));
  }
  w.hired_on = in.hired_on();
  w.community_since = in.community_since();
  w.reserve_cadre = in.reserve_cadre();
  if (in.has_pay()) w.pay = wf::Pay{in.pay().base(), in.pay().performance()};
  return w;
}

void ToProto(const wf::Worker& w, bool masked, const std::string& today, v1::Worker* out) {
  out->set_id(w.id);
  out->set_number(w.number);
  out->set_masked(masked);
  out->set_name(masked ? wf::MaskName(w.personal.name) : w.personal.name);
  out->set_id_number(masked ? wf::MaskIdNumber(w.personal.id_number) : w.personal.id_number);
  out->set_phone(masked ? wf::MaskPhone(w.personal.phone) : w.personal.phone);
  if (!w.personal.erased_on.empty()) {
    out->set_masked(false);  // nothing left to mask
    out->set_name(w.personal.name);
    out->set_erased_on(w.personal.erased_on);
  } else {
    out->set_gender(En(w.gender));
    if (!masked) out->set_birth_date(w.birth_date);
  }
  out->set_education(En(w.education));
  for (const auto& c : w.certificates) out->add_certificates(c);
  out->set_employment(En(w.employment));
  out->set_post(w.post);
  out->set_grade(w.grade);
  out->set_unit_id(w.unit_id);
  out->set_status(En(w.status));
  out->set_hired_on(w.hired_on);
  out->set_community_since(w.community_since);
  if (!w.community_since.empty()) {
    out->set_years_of_service(std::max(0, wf::FullYearsBetween(w.community_since, today)));
  }
  out->set_reserve_cadre(w.reserve_cadre);
  out->set_probation_until(w.probation_until);
  out->set_regular_on(w.regular_on);
  out->set_status_since(w.status_since);
  if (w.pay) {
    out->mutable_pay()->set_base(static_cast<int32_t>(w.pay->base));
    out->mutable_pay()->set_performance(static_cast<int32_t>(w.pay->performance));
  }
  for (const auto& t : w.transfers) {
    auto* o = out->add_transfers();
    o->set_from_unit(t.from);
    o->set_to_unit(t.to);
    o->set_date(t.date);
    o->set_reason(t.reason);
    o->set_by(t.by);
  }
}

// The fields of update_mask, taken from `in`.
absl::StatusOr<wf::WorkerPatch> PatchOf(const v1::UpdateWorkerRequest& req) {
  const v1::Worker& in = req.worker();
  wf::WorkerPatch p;
  if (req.update_mask().empty()) {
    return absl::InvalidArgumentError("update_mask: name at least one field to change");
  }
  for (const std::string& f : req.update_mask()) {
    if (f == "name") {
      p.name = in.name();
    } else if (f == "id_number") {
      p.id_number = in.id_number();
    } else if (f == "phone") {
      p.phone = in.phone();
    } else if (f == "education") {
      ASSIGN_OR_RETURN(p.education, EnumField<wf::Education>(in.education(), "worker.education"));
    } else if (f == "certificates") {
      p.certificates.emplace();
      for (const auto& c : in.certificates()) p.certificates->push_back(wf::NormalizeCertificate(c));
    } else if (f == "employment") {
      ASSIGN_OR_RETURN(p.employment,
                       EnumField<wf::Employment>(in.employment(), "worker.employment"));
    } else if (f == "post") {
      p.post = in.post();
    } else if (f == "grade") {
      p.grade = in.grade();
    } else if (f == "hired_on") {
      p.hired_on = in.hired_on();
    } else if (f == "community_since") {
      p.community_since = in.community_since();
    } else if (f == "reserve_cadre") {
      p.reserve_cadre = in.reserve_cadre();
    } else if (f == "pay") {
      p.pay = wf::Pay{in.pay().base(), in.pay().performance()};
    } else if (f == "number") {
      p.number = in.number();
    } else if (f == "unit_id" || f == "status") {
      return absl::InvalidArgumentError(absl::StrCat(
          "update_mask: ", f, " changes only through ",
          f == "unit_id" ? "TransferWorker (a filed transfer)" : "ChangeWorkerStatus"));
    } else {
      return absl::InvalidArgumentError(absl::StrCat("update_mask: no field '", f, "'"));
    }
  }
  return p;
}

// ---- Reports ----

void ToProto(const wf::OccupancyFigures& f, v1::OccupancyFigures* out) {
  auto i = [](int64_t v) { return static_cast<int32_t>(v); };
  out->set_approved(i(f.approved));
  out->set_workstation_posts(i(f.workstation_posts));
  out->set_occupied(i(f.occupied));
  out->set_on_post(i(f.on_post));
  out->set_seconded_street(i(f.seconded_street));
  out->set_seconded_district(i(f.seconded_district));
  out->set_retired_in_place(i(f.retired_in_place));
  out->set_on_leave(i(f.on_leave));
  out->set_vacant(i(f.vacant));
  out->set_over_quota(i(f.over_quota));
  out->set_hollow(i(f.hollow));
  out->set_outside_quota(i(f.outside_quota));
  out->set_dispatch(i(f.dispatch));
  out->set_reserved(i(f.reserved));
}

void ToProto(const wf::PayParityReport& r, v1::PayParityReport* out) {
  out->set_tolerance(r.tolerance);
  out->set_flagged(static_cast<int32_t>(r.flagged_groups));
  for (const auto& g : r.groups) {
    auto* row = out->add_rows();
    row->set_post(g.post);
    row->set_grade(g.grade);
    row->set_table(static_cast<int32_t>(g.table));
    row->set_gap(static_cast<int32_t>(std::lround(g.gap)));
    row->set_different_pay(g.different_pay);
    bool off = false;
    for (const auto& s : g.streets) {
      auto* st = row->add_streets();
      st->set_street_id(s.street_id);
      st->set_street_name(s.street_name);
      st->set_workers(static_cast<int32_t>(s.count));
      st->set_average(static_cast<int32_t>(std::lround(s.average)));
      st->set_min(static_cast<int32_t>(s.min));
      st->set_max(static_cast<int32_t>(s.max));
      st->set_off_table(s.off_table);
      off = off || s.off_table;
    }
    row->set_flagged(g.different_pay || off);
  }
}

}  // namespace shequ::modules::workforce
