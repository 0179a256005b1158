#include "daemon/server/workforce_service.h"

#include <algorithm>
#include <cmath>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daemon/core/status.h"
#include "daemon/domain/workforce/roster.h"
#include "daemon/server/reactors.h"

namespace shequ::server {
namespace {

using wf::Registry;

template <typename E>
absl::StatusOr<E> EnumField(const std::string& text, absl::string_view field) {
  if (auto v = wf::ParseEnum<E>(text)) return *v;
  return absl::InvalidArgumentError(absl::StrCat(field, ": '", text, "' is not one of ",
                                                 wf::EnumChoices<E>()));
}

std::string En(auto value) { return std::string(wf::EnglishName(value)); }

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

void ToProto(const wf::Unit& u, const Registry& reg, const std::string& today, v1::Unit* out) {
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
  out->set_gender(En(w.gender));
  if (!masked) out->set_birth_date(w.birth_date);
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

// Every worker in the subtree of `unit_id`, in id order.
absl::StatusOr<std::vector<wf::Worker>> AllWorkers(const Registry& reg, const std::string& unit_id) {
  wf::WorkerFilter filter;
  filter.unit_id = unit_id;
  std::vector<wf::Worker> out;
  int64_t after = 0;
  do {
    ASSIGN_OR_RETURN(wf::WorkerPage page, reg.ListWorkers(filter, after, 10'000));
    std::move(page.workers.begin(), page.workers.end(), std::back_inserter(out));
    after = page.next_after_id;
  } while (after != 0);
  return out;
}

std::vector<int64_t> Ids(const json& answer, const char* key) {
  std::vector<int64_t> ids;
  for (const auto& v : answer.at(key)) ids.push_back(v.get<int64_t>());
  return ids;
}

}  // namespace

bool WorkforceService::MaySeePersonal(const engine::Caller& caller) const {
  return std::any_of(options_.personal_data_roles.begin(), options_.personal_data_roles.end(),
                     [&](const std::string& role) { return caller.HasRole(role); });
}

// ---- Units ---------------------------------------------------------------------------------

grpc::ServerUnaryReactor* WorkforceService::CreateUnit(grpc::CallbackServerContext* ctx,
                                                       const v1::CreateUnitRequest* req,
                                                       v1::Unit* resp) {
  auto unit = UnitFromProto(req->unit());
  if (!unit.ok()) return Refuse(ctx, unit.status());
  auto* r = ctx->DefaultReactor();
  registry_.Mutate(
      "Workforce.CreateUnit", CallerOf(ctx), req->request_id(),
      [unit = *std::move(unit)](Registry& reg, const std::string& today) {
        return reg.CreateUnit(unit, today);
      },
      Answer(r, [this, resp](const json& a) -> absl::Status {
        return registry_.Read([&](const Registry& reg) -> absl::Status {
          ASSIGN_OR_RETURN(wf::Unit u, reg.GetUnit(a.at("units").at(0).get<std::string>()));
          ToProto(u, reg, registry_.Today(), resp);
          return absl::OkStatus();
        });
      }));
  return r;
}

grpc::ServerUnaryReactor* WorkforceService::UpdateUnit(grpc::CallbackServerContext* ctx,
                                                       const v1::UpdateUnitRequest* req,
                                                       v1::Unit* resp) {
  if (auto s = Required(req->unit().id(), "unit.id"); !s.ok()) return Refuse(ctx, s);
  auto unit = UnitFromProto(req->unit());
  if (!unit.ok()) return Refuse(ctx, unit.status());
  wf::UnitPatch patch;
  patch.name = unit->name;
  patch.parent_id = unit->parent_id;
  patch.kind = unit->kind;
  patch.community_type = unit->community_type;
  patch.households = unit->households;
  patch.residents = unit->residents;
  patch.area_km2 = unit->area_km2;
  patch.unit_class = unit->unit_class;
  auto* r = ctx->DefaultReactor();
  const std::string id = req->unit().id();
  registry_.Mutate(
      "Workforce.UpdateUnit", CallerOf(ctx), req->request_id(),
      [id, patch](Registry& reg, const std::string& today) {
        return reg.UpdateUnit(id, patch, today);
      },
      Answer(r, [this, id, resp](const json&) -> absl::Status {
        return registry_.Read([&](const Registry& reg) -> absl::Status {
          ASSIGN_OR_RETURN(wf::Unit u, reg.GetUnit(id));
          ToProto(u, reg, registry_.Today(), resp);
          return absl::OkStatus();
        });
      }));
  return r;
}

grpc::ServerUnaryReactor* WorkforceService::GetUnit(grpc::CallbackServerContext* ctx,
                                                    const v1::GetUnitRequest* req,
                                                    v1::Unit* resp) {
  if (auto s = Required(req->id(), "id"); !s.ok()) return Refuse(ctx, s);
  return OnReader(c_.readers, ctx, [this, id = req->id(), resp] {
    return registry_.Read([&](const Registry& reg) -> absl::Status {
      ASSIGN_OR_RETURN(wf::Unit u, reg.GetUnit(id));
      ToProto(u, reg, registry_.Today(), resp);
      return absl::OkStatus();
    });
  });
}

grpc::ServerUnaryReactor* WorkforceService::UnitTree(grpc::CallbackServerContext* ctx,
                                                     const v1::UnitTreeRequest* req,
                                                     v1::UnitTreeResponse* resp) {
  return OnReader(c_.readers, ctx, [this, root = req->root_id(), resp] {
    return registry_.Read([&](const Registry& reg) -> absl::Status {
      ASSIGN_OR_RETURN(auto tree, reg.Tree(root));
      const std::string today = registry_.Today();
      for (const auto& [unit, depth] : tree) ToProto(unit, reg, today, resp->add_units());
      return absl::OkStatus();
    });
  });
}

// ---- Quota ---------------------------------------------------------------------------------

grpc::ServerUnaryReactor* WorkforceService::ComputeQuota(grpc::CallbackServerContext* ctx,
                                                         const v1::ComputeQuotaRequest* req,
                                                         v1::QuotaComputation* resp) {
  if (auto s = Required(req->unit_id(), "unit_id"); !s.ok()) return Refuse(ctx, s);
  return OnReader(c_.readers, ctx, [this, id = req->unit_id(), resp] {
    return registry_.Read([&](const Registry& reg) -> absl::Status {
      ASSIGN_OR_RETURN(wf::QuotaComputation q, reg.ComputeQuota(id));
      resp->set_unit_id(q.unit_id);
      resp->set_staff_quota(q.staff_quota);
      resp->set_workstation_posts(q.workstation_posts);
      resp->set_base(q.base);
      resp->set_coefficient(q.coefficient);
      resp->set_unit_class(q.unit_class);
      resp->set_class_from(q.class_source);
      resp->set_households(static_cast<int32_t>(q.households));
      std::string basis = absl::StrCat("base ", q.base, " (", q.base_key, ") × coefficient ",
                                       q.coefficient, " (class ", q.unit_class);
      if (q.class_source != q.unit_id) absl::StrAppend(&basis, " of ", q.class_source);
      absl::StrAppend(&basis, ") = ", q.staff_quota);
      if (q.workstation_posts > 0) {
        absl::StrAppend(&basis, "; ", q.households, " households → ", q.workstation_posts,
                        " workstation posts");
      }
      resp->set_basis(basis);
      return absl::OkStatus();
    });
  });
}

grpc::ServerUnaryReactor* WorkforceService::ReviseQuota(grpc::CallbackServerContext* ctx,
                                                        const v1::ReviseQuotaRequest* req,
                                                        v1::QuotaRevision* resp) {
  if (auto s = Required(req->unit_id(), "unit_id"); !s.ok()) return Refuse(ctx, s);
  auto* r = ctx->DefaultReactor();
  const engine::Caller caller = CallerOf(ctx);
  registry_.Mutate(
      "Workforce.ReviseQuota", caller, req->request_id(),
      [req = *req, caller](Registry& reg, const std::string& today) {
        return reg.ReviseQuota(req.unit_id(), req.approved(),
                               req.effective_from().empty() ? today : req.effective_from(),
                               req.reason(), req.approved_by(), today);
      },
      Answer(r, [this, resp, unit = req->unit_id()](const json& a) -> absl::Status {
        const int64_t id = a.at("revisions").at(0).get<int64_t>();
        return registry_.Read([&](const Registry& reg) -> absl::Status {
          ASSIGN_OR_RETURN(auto history, reg.QuotaHistory(unit));
          for (const auto& rev : history) {
            if (rev.id == id) ToProto(rev, resp);
          }
          return absl::OkStatus();
        });
      }));
  return r;
}

grpc::ServerUnaryReactor* WorkforceService::QuotaHistory(grpc::CallbackServerContext* ctx,
                                                         const v1::QuotaHistoryRequest* req,
                                                         v1::QuotaHistoryResponse* resp) {
  if (auto s = Required(req->unit_id(), "unit_id"); !s.ok()) return Refuse(ctx, s);
  return OnReader(c_.readers, ctx, [this, id = req->unit_id(), resp] {
    return registry_.Read([&](const Registry& reg) -> absl::Status {
      ASSIGN_OR_RETURN(auto history, reg.QuotaHistory(id));
      for (const auto& rev : history) ToProto(rev, resp->add_revisions());
      return absl::OkStatus();
    });
  });
}

// ---- Workers -------------------------------------------------------------------------------

grpc::ServerUnaryReactor* WorkforceService::ChangeWorker(grpc::CallbackServerContext* ctx,
                                                         const char* command,
                                                         const std::string& request_id,
                                                         DurableRegistry::Op op,
                                                         v1::Worker* resp) {
  auto* r = ctx->DefaultReactor();
  const engine::Caller caller = CallerOf(ctx);
  registry_.Mutate(command, caller, request_id, std::move(op),
                   Answer(r, [this, resp, masked = !MaySeePersonal(caller)](const json& a) {
                     return registry_.Read([&](const Registry& reg) -> absl::Status {
                       ASSIGN_OR_RETURN(wf::Worker w,
                                        reg.GetWorker(a.at("workers").at(0).get<int64_t>()));
                       ToProto(w, masked, registry_.Today(), resp);
                       return absl::OkStatus();
                     });
                   }));
  return r;
}

grpc::ServerUnaryReactor* WorkforceService::CreateWorker(grpc::CallbackServerContext* ctx,
                                                         const v1::CreateWorkerRequest* req,
                                                         v1::Worker* resp) {
  auto worker = WorkerFromProto(req->worker());
  if (!worker.ok()) return Refuse(ctx, worker.status());
  return ChangeWorker(
      ctx, "Workforce.CreateWorker", req->request_id(),
      [w = *std::move(worker)](Registry& reg, const std::string& today) {
        return reg.CreateWorker(w, today);
      },
      resp);
}

grpc::ServerUnaryReactor* WorkforceService::UpdateWorker(grpc::CallbackServerContext* ctx,
                                                         const v1::UpdateWorkerRequest* req,
                                                         v1::Worker* resp) {
  if (req->worker().id() <= 0) {
    return Refuse(ctx, absl::InvalidArgumentError("worker.id: must be a positive id"));
  }
  auto patch = PatchOf(*req);
  if (!patch.ok()) return Refuse(ctx, patch.status());
  return ChangeWorker(
      ctx, "Workforce.UpdateWorker", req->request_id(),
      [id = req->worker().id(), p = *std::move(patch), reason = req->reason()](
          Registry& reg, const std::string& today) {
        return reg.UpdateWorker(id, p, today, reason);
      },
      resp);
}

grpc::ServerUnaryReactor* WorkforceService::TransferWorker(grpc::CallbackServerContext* ctx,
                                                           const v1::TransferWorkerRequest* req,
                                                           v1::Worker* resp) {
  const engine::Caller caller = CallerOf(ctx);
  return ChangeWorker(
      ctx, "Workforce.TransferWorker", req->request_id(),
      [req = *req, by = caller.user](Registry& reg, const std::string& today) {
        return reg.TransferWorker(req.worker_id(), req.to_unit(), req.reason(),
                                  req.date().empty() ? today : req.date(), by);
      },
      resp);
}

grpc::ServerUnaryReactor* WorkforceService::ChangeWorkerStatus(
    grpc::CallbackServerContext* ctx, const v1::ChangeWorkerStatusRequest* req, v1::Worker* resp) {
  auto status = EnumField<wf::WorkerStatus>(req->status(), "status");
  if (!status.ok()) return Refuse(ctx, status.status());
  return ChangeWorker(
      ctx, "Workforce.ChangeWorkerStatus", req->request_id(),
      [req = *req, status = *status](Registry& reg, const std::string& today) {
        return reg.ChangeStatus(req.worker_id(), status, req.reason(),
                                req.date().empty() ? today : req.date());
      },
      resp);
}

grpc::ServerUnaryReactor* WorkforceService::ConvertDispatch(grpc::CallbackServerContext* ctx,
                                                            const v1::ConvertDispatchRequest* req,
                                                            v1::Worker* resp) {
  return ChangeWorker(
      ctx, "Workforce.ConvertDispatch", req->request_id(),
      [req = *req](Registry& reg, const std::string& today) {
        return reg.ConvertDispatch(req.worker_id(), req.reason(),
                                   req.date().empty() ? today : req.date());
      },
      resp);
}

grpc::ServerUnaryReactor* WorkforceService::GetWorker(grpc::CallbackServerContext* ctx,
                                                      const v1::GetWorkerRequest* req,
                                                      v1::Worker* resp) {
  if (req->id() <= 0) return Refuse(ctx, absl::InvalidArgumentError("id: must be a positive id"));
  const bool masked = !MaySeePersonal(CallerOf(ctx));
  return OnReader(c_.readers, ctx, [this, id = req->id(), masked, resp] {
    return registry_.Read([&](const Registry& reg) -> absl::Status {
      ASSIGN_OR_RETURN(wf::Worker w, reg.GetWorker(id));
      ToProto(w, masked, registry_.Today(), resp);
      return absl::OkStatus();
    });
  });
}

grpc::ServerUnaryReactor* WorkforceService::ListWorkers(grpc::CallbackServerContext* ctx,
                                                        const v1::ListWorkersRequest* req,
                                                        v1::ListWorkersResponse* resp) {
  auto page = PageOf(req->page());
  if (!page.ok()) return Refuse(ctx, page.status());
  wf::WorkerFilter filter;
  filter.unit_id = req->unit_id();
  filter.post = req->post();
  if (!req->status().empty()) {
    auto s = EnumField<wf::WorkerStatus>(req->status(), "status");
    if (!s.ok()) return Refuse(ctx, s.status());
    filter.status = *s;
  }
  if (!req->employment().empty()) {
    auto e = EnumField<wf::Employment>(req->employment(), "employment");
    if (!e.ok()) return Refuse(ctx, e.status());
    filter.employment = *e;
  }
  if (req->reserve_cadre_only()) filter.reserve_cadre = true;
  const bool masked = !MaySeePersonal(CallerOf(ctx));
  // Searching by name or ID number would reveal them: only the employee number for others.
  filter.search = req->search();
  return OnReader(c_.readers, ctx, [this, filter, page = *page, masked, resp] {
    return registry_.Read([&](const Registry& reg) -> absl::Status {
      ASSIGN_OR_RETURN(wf::WorkerPage found,
                       reg.ListWorkers(filter, page.after_id, static_cast<size_t>(page.limit)));
      if (masked && !filter.search.empty()) {
        std::erase_if(found.workers, [&](const wf::Worker& w) {
          return w.number != filter.search && std::to_string(w.id) != filter.search;
        });
      }
      const std::string today = registry_.Today();
      for (const auto& w : found.workers) ToProto(w, masked, today, resp->add_workers());
      if (found.next_after_id != 0) resp->set_next_page_token(std::to_string(found.next_after_id));
      return absl::OkStatus();
    });
  });
}

// ---- Import and export ---------------------------------------------------------------------

// Collects the file's chunks, then parses it on the reader pool and imports every row in one
// engine transaction (or, for a dry run, into a copy of the registry that is then dropped).
class WorkforceService::ImportReactor : public grpc::ServerReadReactor<v1::ImportRosterChunk> {
 public:
  ImportReactor(WorkforceService& service, engine::Caller caller, v1::ImportRosterResponse* resp)
      : service_(service), caller_(std::move(caller)), resp_(resp) {
    StartRead(&chunk_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the client has sent everything
      boost::asio::post(service_.c_.readers, [this] { Import(); });
      return;
    }
    if (first_) {
      request_id_ = chunk_.request_id();
      dry_run_ = chunk_.dry_run();
      first_ = false;
    }
    if (data_.size() + chunk_.data().size() > service_.options_.max_import_bytes) {
      Finish(ToGrpc(absl::ResourceExhaustedError(absl::StrCat(
          "data: the roster is larger than ", service_.options_.max_import_bytes >> 20,
          " MiB (workforce.max_import_mb)"))));
      return;
    }
    data_.append(chunk_.data());
    StartRead(&chunk_);
  }

  void OnDone() override { delete this; }

 private:
  void Import() {
    auto rows = service_.registry_.Read([&](const Registry& reg) {
      return wf::ParseRoster(data_, reg.grade_policy());
    });
    std::string().swap(data_);
    if (!rows.ok()) {
      Finish(ToGrpc(rows.status()));
      return;
    }
    const int count = static_cast<int>(rows->size());
    if (count == 0) {
      Finish(ToGrpc(absl::InvalidArgumentError("data: the roster has no rows")));
      return;
    }
    resp_->set_rows(count);
    if (dry_run_) {
      resp_->set_dry_run(true);
      auto trial = service_.registry_.Read([](const Registry& reg) { return reg; });
      auto change = trial.ImportRoster(*std::move(rows), service_.registry_.Today());
      Finish(ToGrpc(change.status()));
      return;
    }
    service_.registry_.Mutate(
        "Workforce.ImportRoster", caller_, request_id_,
        [rows = std::make_shared<std::vector<wf::RosterRow>>(*std::move(rows))](
            Registry& reg, const std::string& today) {
          reg.Reserve(rows->size());
          return reg.ImportRoster(std::move(*rows), today);
        },
        [this](absl::StatusOr<json> answer) {
          if (answer.ok()) {
            const auto ids = Ids(*answer, "workers");
            if (!ids.empty()) {
              resp_->set_first_worker_id(*std::min_element(ids.begin(), ids.end()));
              resp_->set_last_worker_id(*std::max_element(ids.begin(), ids.end()));
            }
          }
          Finish(ToGrpc(answer.status()));
        });
  }

  WorkforceService& service_;
  const engine::Caller caller_;
  v1::ImportRosterResponse* resp_;
  v1::ImportRosterChunk chunk_;
  std::string data_;
  std::string request_id_;
  bool dry_run_ = false;
  bool first_ = true;
};

grpc::ServerReadReactor<v1::ImportRosterChunk>* WorkforceService::ImportRoster(
    grpc::CallbackServerContext* ctx, v1::ImportRosterResponse* resp) {
  return new ImportReactor(*this, CallerOf(ctx), resp);
}

grpc::ServerWriteReactor<v1::CsvChunk>* WorkforceService::Export(grpc::CallbackServerContext* ctx,
                                                                 const v1::ExportRequest* req) {
  auto* stream = new Stream<v1::CsvChunk>();
  auto handle = stream->handle();
  const bool masked = !MaySeePersonal(CallerOf(ctx));
  boost::asio::post(c_.readers, [this, handle, req = *req, masked] {
    absl::StatusOr<std::string> csv = registry_.Read([&](const Registry& reg)
                                                         -> absl::StatusOr<std::string> {
      if (req.what() == "roster") {
        ASSIGN_OR_RETURN(auto workers, AllWorkers(reg, req.unit_id()));
        return wf::ExportRoster(workers, masked, &reg.grade_policy());
      }
      if (req.what() == "occupancy") {
        ASSIGN_OR_RETURN(auto report, reg.Occupancy(req.unit_id(), registry_.Today()));
        return wf::OccupancyCsv(report);
      }
      if (req.what() == "pay_parity") return wf::PayParityCsv(reg.PayParity(), &reg.grade_policy());
      return absl::InvalidArgumentError(absl::StrCat(
          "what: '", req.what(), "' is not one of roster, occupancy, pay_parity"));
    });
    if (!csv.ok()) {
      handle->Close(ToGrpc(csv.status()));
      return;
    }
    constexpr size_t kChunk = 1 << 20;
    for (size_t at = 0; at < csv->size(); at += kChunk) {
      v1::CsvChunk chunk;
      chunk.set_data(csv->substr(at, kChunk));
      handle->Push(std::move(chunk));
    }
    handle->Close(grpc::Status::OK);
  });
  return stream;
}

// ---- Reports and history -------------------------------------------------------------------

grpc::ServerUnaryReactor* WorkforceService::Occupancy(grpc::CallbackServerContext* ctx,
                                                      const v1::OccupancyRequest* req,
                                                      v1::OccupancyReport* resp) {
  return OnReader(c_.readers, ctx, [this, req = *req, resp] {
    return registry_.Read([&](const Registry& reg) -> absl::Status {
      ASSIGN_OR_RETURN(wf::OccupancyReport report,
                       reg.Occupancy(req.unit_id(),
                                     req.date().empty() ? registry_.Today() : req.date()));
      resp->set_date(report.date);
      for (const auto& row : report.rows) {
        auto* out = resp->add_rows();
        out->set_unit_id(row.unit_id);
        out->set_unit_name(row.name);
        out->set_kind(En(row.kind));
        out->set_depth(row.depth);
        ToProto(row.own, out->mutable_own());
        ToProto(row.subtree, out->mutable_subtree());
      }
      return absl::OkStatus();
    });
  });
}

grpc::ServerUnaryReactor* WorkforceService::PayParity(grpc::CallbackServerContext* ctx,
                                                      const v1::PayParityRequest*,
                                                      v1::PayParityReport* resp) {
  return OnReader(c_.readers, ctx, [this, resp] {
    registry_.Read([&](const Registry& reg) { ToProto(reg.PayParity(), resp); });
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* WorkforceService::History(grpc::CallbackServerContext* ctx,
                                                    const v1::WorkforceHistoryRequest* req,
                                                    v1::WorkforceHistoryResponse* resp) {
  if ((req->worker_id() > 0) == !req->unit_id().empty()) {
    return Refuse(ctx, absl::InvalidArgumentError("worker_id, unit_id: give exactly one"));
  }
  const std::string subject =
      req->worker_id() > 0 ? absl::StrCat("worker:", req->worker_id()) : "";
  const int limit = req->limit() <= 0 ? 100 : std::min(req->limit(), 1000);
  return OnReader(c_.readers, ctx, [this, subject, unit = req->unit_id(),
                                    after = req->after_seq(), limit, resp]() -> absl::Status {
    ASSIGN_OR_RETURN(auto changes, c_.store.SubjectHistory(subject, unit, after, limit));
    for (const auto& e : changes) {
      auto* out = resp->add_changes();
      out->set_seq(e.seq);
      out->set_type(e.type);
      out->set_subject(e.subject);
      out->set_unit_id(e.unit);
      out->set_at_ms(e.at_ms);
      json data = json::parse(e.body, nullptr, false);
      if (data.is_object()) {
        out->set_actor(data.value("actor", ""));
        out->set_reason(data.value("reason", ""));
        data.erase("actor");
      }
      out->set_data(data.dump());
    }
    return absl::OkStatus();
  });
}

}  // namespace shequ::server
