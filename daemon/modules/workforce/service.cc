#include "daemon/modules/workforce/service.h"

#include <algorithm>
#include <cmath>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daemon/auth/authorization.h"
#include "daemon/core/status.h"
#include "daemon/domain/workforce/roster.h"
#include "daemon/modules/workforce/convert.h"
#include "daemon/server/reactors.h"

namespace shequ::modules::workforce {

using server::Answer;
using server::OnReader;
using server::OnRevealingReader;
using server::PageOf;
using server::Refuse;
using server::Stream;
using server::ToGrpc;
using server::ToProto;
using engine::json;

namespace {

using wf::Registry;

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

// The registry in hand as the unit tree scopes are decided on: inside a change the registry is
// locked already, so the gate's own tree (which locks it again) must not be asked.
class TreeOf final : public engine::UnitTree {
 public:
  explicit TreeOf(const Registry& reg) : reg_(reg) {}
  bool Covers(std::string_view scope, std::string_view unit) const override {
    return reg_.Covers(scope, unit);
  }
  std::vector<std::string> Subtree(std::string_view) const override { return {}; }

 private:
  const Registry& reg_;
};

absl::Status InScope(const Registry& reg, const engine::Caller& caller, std::string_view field,
                     std::string_view unit) {
  TreeOf tree(reg);
  if (auth::ActsFor(caller, unit, &tree)) return absl::OkStatus();
  return auth::OutOfScope(caller, field, unit);
}

// A worker the caller may change: in its scope.
absl::Status MayChange(const Registry& reg, const engine::Caller& caller, int64_t worker_id) {
  ASSIGN_OR_RETURN(wf::Worker w, reg.GetWorker(worker_id));
  return InScope(reg, caller, "worker's unit", w.unit_id);
}

// Contract employment is a quota post: a contract worker enters the roster through recruitment's
// hire, or through the first import of an existing roster by roster-migration.
absl::Status MayEmployOnContract(const engine::Caller& caller, const char* via) {
  if (caller.HasRole(std::string(auth::kRosterMigration))) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(
      via, ": a contract (quota) worker enters the roster only through recruitment's hire or an "
      "import of an existing roster by role roster-migration"));
}

// Whose answer reveals personal data unmasked, for the audit trail; none when it is masked.
std::optional<engine::Caller> Revealer(const engine::Caller& caller, bool masked) {
  if (masked) return std::nullopt;
  return caller;  // the gate named its call
}

std::vector<int64_t> Ids(const json& answer, const char* key) {
  std::vector<int64_t> ids;
  for (const auto& v : answer.at(key)) ids.push_back(v.get<int64_t>());
  return ids;
}

}  // namespace

// ---- Units ---------------------------------------------------------------------------------

grpc::ServerUnaryReactor* WorkforceService::CreateUnit(grpc::CallbackServerContext* ctx,
                                                       const v1::CreateUnitRequest* req,
                                                       v1::Unit* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Workforce/CreateUnit", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  auto unit = UnitFromProto(req->unit());
  if (!unit.ok()) return Refuse(ctx, unit.status());
  auto* r = ctx->DefaultReactor();
  registry_.Mutate(
      "Workforce.CreateUnit", *caller, req->request_id(),
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
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Workforce/UpdateUnit", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
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
      "Workforce.UpdateUnit", *caller, req->request_id(),
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
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Workforce/GetUnit", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
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
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Workforce/UnitTree", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
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
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Workforce/ComputeQuota", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
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
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Workforce/ReviseQuota", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  if (auto s = Required(req->unit_id(), "unit_id"); !s.ok()) return Refuse(ctx, s);
  // The committee's approval document (编委 文号) is the revision's authority; who approved is
  // the principal that records it, never free text.
  if (auto s = Required(req->approval_document(), "approval_document"); !s.ok()) {
    return Refuse(ctx, s);
  }
  if (!req->approved_by().empty() && req->approved_by() != caller->user) {
    return Refuse(ctx, absl::InvalidArgumentError(absl::StrCat(
                           "approved_by: is the caller (", caller->user,
                           "); leave it empty or name the caller")));
  }
  auto* r = ctx->DefaultReactor();
  registry_.Mutate(
      "Workforce.ReviseQuota", *caller, req->request_id(),
      [req = *req, by = caller->user](Registry& reg, const std::string& today) {
        return reg.ReviseQuota(req.unit_id(), req.approved(),
                               req.effective_from().empty() ? today : req.effective_from(),
                               req.reason(), by, today, req.approval_document());
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
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Workforce/QuotaHistory", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
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
                                                         const engine::Caller& caller,
                                                         const char* command,
                                                         const std::string& request_id,
                                                         DurableRegistry::Op op,
                                                         v1::Worker* resp) {
  auto* r = ctx->DefaultReactor();
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
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Workforce/CreateWorker", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  auto worker = WorkerFromProto(req->worker());
  if (!worker.ok()) return Refuse(ctx, worker.status());
  if (worker->employment == wf::Employment::kContract) {
    if (auto s = MayEmployOnContract(*caller, "worker.employment"); !s.ok()) return Refuse(ctx, s);
  }
  return ChangeWorker(
      ctx, *caller, "Workforce.CreateWorker", req->request_id(),
      [w = *std::move(worker)](Registry& reg, const std::string& today) {
        return reg.CreateWorker(w, today);
      },
      resp);
}

grpc::ServerUnaryReactor* WorkforceService::UpdateWorker(grpc::CallbackServerContext* ctx,
                                                         const v1::UpdateWorkerRequest* req,
                                                         v1::Worker* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Workforce/UpdateWorker", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  if (req->worker().id() <= 0) {
    return Refuse(ctx, absl::InvalidArgumentError("worker.id: must be a positive id"));
  }
  auto patch = PatchOf(*req);
  if (!patch.ok()) return Refuse(ctx, patch.status());
  if (patch->employment == wf::Employment::kContract) {
    if (auto s = MayEmployOnContract(*caller, "worker.employment"); !s.ok()) return Refuse(ctx, s);
  }
  return ChangeWorker(
      ctx, *caller, "Workforce.UpdateWorker", req->request_id(),
      [id = req->worker().id(), p = *std::move(patch), reason = req->reason(), c = *caller](
          Registry& reg, const std::string& today) -> absl::StatusOr<wf::Change> {
        RETURN_IF_ERROR(MayChange(reg, c, id));
        return reg.UpdateWorker(id, p, today, reason);
      },
      resp);
}

grpc::ServerUnaryReactor* WorkforceService::TransferWorker(grpc::CallbackServerContext* ctx,
                                                           const v1::TransferWorkerRequest* req,
                                                           v1::Worker* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Workforce/TransferWorker", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  return ChangeWorker(
      ctx, *caller, "Workforce.TransferWorker", req->request_id(),
      [req = *req, c = *caller](Registry& reg,
                                const std::string& today) -> absl::StatusOr<wf::Change> {
        RETURN_IF_ERROR(MayChange(reg, c, req.worker_id()));
        const std::string& by = c.user;
        return reg.TransferWorker(req.worker_id(), req.to_unit(), req.reason(),
                                  req.date().empty() ? today : req.date(), by);
      },
      resp);
}

grpc::ServerUnaryReactor* WorkforceService::ChangeWorkerStatus(
    grpc::CallbackServerContext* ctx, const v1::ChangeWorkerStatusRequest* req, v1::Worker* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Workforce/ChangeWorkerStatus", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  auto status = EnumField<wf::WorkerStatus>(req->status(), "status");
  if (!status.ok()) return Refuse(ctx, status.status());
  return ChangeWorker(
      ctx, *caller, "Workforce.ChangeWorkerStatus", req->request_id(),
      [req = *req, status = *status, c = *caller](
          Registry& reg, const std::string& today) -> absl::StatusOr<wf::Change> {
        RETURN_IF_ERROR(MayChange(reg, c, req.worker_id()));
        return reg.ChangeStatus(req.worker_id(), status, req.reason(),
                                req.date().empty() ? today : req.date());
      },
      resp);
}

grpc::ServerUnaryReactor* WorkforceService::ConvertDispatch(grpc::CallbackServerContext* ctx,
                                                            const v1::ConvertDispatchRequest* req,
                                                            v1::Worker* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Workforce/ConvertDispatch", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  return ChangeWorker(
      ctx, *caller, "Workforce.ConvertDispatch", req->request_id(),
      [req = *req, c = *caller](Registry& reg,
                                const std::string& today) -> absl::StatusOr<wf::Change> {
        RETURN_IF_ERROR(MayChange(reg, c, req.worker_id()));
        return reg.ConvertDispatch(req.worker_id(), req.reason(),
                                   req.date().empty() ? today : req.date());
      },
      resp);
}

// Admitted as a worker only: no other role of the rule that would widen what it reads.
static bool OnlyWorker(const engine::Caller& caller) {
  for (auto role : auth::FindRule("shequ.v1.Workforce/GetWorker")->roles) {
    if (role != auth::kWorker && caller.HasRole(std::string(role))) return false;
  }
  return true;
}

// A worker's record is read within the caller's scope; a worker reads only their own (the
// principal's name is the employee number).
absl::Status WorkforceService::MayRead(const Registry& reg, const engine::Caller& caller,
                                       const wf::Worker& w) {
  const bool own = !w.number.empty() && w.number == caller.user;
  if (own) return absl::OkStatus();
  if (OnlyWorker(caller)) {
    return absl::PermissionDeniedError(absl::StrCat(
        "worker ", caller.user, " may read only their own record (employee number ", caller.user,
        ")"));
  }
  return InScope(reg, caller, "worker's unit", w.unit_id);
}

grpc::ServerUnaryReactor* WorkforceService::GetWorker(grpc::CallbackServerContext* ctx,
                                                      const v1::GetWorkerRequest* req,
                                                      v1::Worker* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Workforce/GetWorker", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  if (req->id() <= 0) return Refuse(ctx, absl::InvalidArgumentError("id: must be a positive id"));
  const bool masked = !MaySeePersonal(*caller);
  return OnRevealingReader(
      c_.readers, c_.engine, ctx, Revealer(*caller, masked),
      [this, id = req->id(), masked, c = *caller, resp](std::vector<std::string>* revealed) {
        return registry_.Read([&](const Registry& reg) -> absl::Status {
          ASSIGN_OR_RETURN(wf::Worker w, reg.GetWorker(id));
          RETURN_IF_ERROR(MayRead(reg, c, w));
          ToProto(w, masked, registry_.Today(), resp);
          revealed->push_back(absl::StrCat("worker:", w.id));
          return absl::OkStatus();
        });
      });
}

grpc::ServerUnaryReactor* WorkforceService::ListWorkers(grpc::CallbackServerContext* ctx,
                                                        const v1::ListWorkersRequest* req,
                                                        v1::ListWorkersResponse* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Workforce/ListWorkers", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
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
  const bool masked = !MaySeePersonal(*caller);
  // Searching by name or ID number would reveal them: only the employee number for others.
  filter.search = req->search();
  return OnRevealingReader(
      c_.readers, c_.engine, ctx, Revealer(*caller, masked),
      [this, filter, page = *page, masked, resp](std::vector<std::string>* revealed) {
    return registry_.Read([&](const Registry& reg) -> absl::Status {
      ASSIGN_OR_RETURN(wf::WorkerPage found,
                       reg.ListWorkers(filter, page.after_id, static_cast<size_t>(page.limit)));
      if (masked && !filter.search.empty()) {
        std::erase_if(found.workers, [&](const wf::Worker& w) {
          return w.number != filter.search && std::to_string(w.id) != filter.search;
        });
      }
      const std::string today = registry_.Today();
      for (const auto& w : found.workers) {
        ToProto(w, masked, today, resp->add_workers());
        revealed->push_back(absl::StrCat("worker:", w.id));
      }
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
  // A caller the gate refused is answered at once, with nothing read.
  ImportReactor(WorkforceService& service, absl::StatusOr<engine::Caller> caller,
                v1::ImportRosterResponse* resp)
      : service_(service), caller_(caller.ok() ? *caller : engine::Caller{}), resp_(resp) {
    if (!caller.ok()) {
      Finish(ToGrpc(caller.status()));
      return;
    }
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
    for (const auto& row : *rows) {
      if (row.worker.employment == wf::Employment::kContract) {
        if (auto s = MayEmployOnContract(caller_, "data"); !s.ok()) {
          Finish(ToGrpc(absl::PermissionDeniedError(
              absl::StrCat("row ", row.row, ": ", s.message()))));
          return;
        }
      }
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
  // The rows are not read yet: the gate sees the roles; the rows are checked once parsed.
  return new ImportReactor(
      *this, c_.gate.Admit(*ctx, "shequ.v1.Workforce/ImportRoster", v1::ImportRosterChunk()),
      resp);
}

grpc::ServerWriteReactor<v1::CsvChunk>* WorkforceService::Export(grpc::CallbackServerContext* ctx,
                                                                 const v1::ExportRequest* req) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Workforce/Export", *req);
  if (!caller.ok()) return new server::RefusedStream<v1::CsvChunk>(ToGrpc(caller.status()));
  // The export is built whole before it is sent, so its chunks may all wait in the queue: the
  // stalled-reader bound of the live streams does not apply.
  auto* stream = new Stream<v1::CsvChunk>(server::StreamBounds{SIZE_MAX, SIZE_MAX});
  auto handle = stream->handle();
  const bool masked = !MaySeePersonal(*caller);
  boost::asio::post(c_.readers, [this, handle, req = *req, masked,
                                 revealer = Revealer(*caller, masked)] {
    std::vector<std::string> revealed;
    absl::StatusOr<std::string> csv = registry_.Read([&](const Registry& reg)
                                                         -> absl::StatusOr<std::string> {
      if (req.what() == "roster") {
        ASSIGN_OR_RETURN(auto workers, AllWorkers(reg, req.unit_id()));
        for (const auto& w : workers) revealed.push_back(absl::StrCat("worker:", w.id));
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
    auto send = [handle, csv = *std::move(csv)] {
      constexpr size_t kChunk = 1 << 20;
      for (size_t at = 0; at < csv.size(); at += kChunk) {
        v1::CsvChunk chunk;
        chunk.set_data(csv.substr(at, kChunk));
        handle->Push(std::move(chunk));
      }
      handle->Close(grpc::Status::OK);
    };
    if (!revealer || revealed.empty()) {
      send();
      return;
    }
    // An unmasked roster leaves only once its audit entry is durable.
    c_.engine.RecordReveal(
        *revealer, std::move(revealed), "personal data unmasked: roster export",
        [this, handle, send = std::move(send)](absl::StatusOr<json> done) mutable {
          if (!done.ok()) {
            handle->Close(ToGrpc(done.status()));
            return;
          }
          boost::asio::post(c_.readers, std::move(send));  // off the engine strand
        });
  });
  return stream;
}

// ---- Reports and history -------------------------------------------------------------------

grpc::ServerUnaryReactor* WorkforceService::Occupancy(grpc::CallbackServerContext* ctx,
                                                      const v1::OccupancyRequest* req,
                                                      v1::OccupancyReport* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Workforce/Occupancy", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
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
                                                      const v1::PayParityRequest* req,
                                                      v1::PayParityReport* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Workforce/PayParity", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  return OnReader(c_.readers, ctx, [this, resp] {
    registry_.Read([&](const Registry& reg) { ToProto(reg.PayParity(), resp); });
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* WorkforceService::History(grpc::CallbackServerContext* ctx,
                                                    const v1::WorkforceHistoryRequest* req,
                                                    v1::WorkforceHistoryResponse* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Workforce/History", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  if ((req->worker_id() > 0) == !req->unit_id().empty()) {
    return Refuse(ctx, absl::InvalidArgumentError("worker_id, unit_id: give exactly one"));
  }
  const std::string subject =
      req->worker_id() > 0 ? absl::StrCat("worker:", req->worker_id()) : "";
  const int limit = req->limit() <= 0 ? 100 : std::min(req->limit(), 1000);
  return OnReader(c_.readers, ctx, [this, subject, unit = req->unit_id(),
                                    worker = req->worker_id(), c = *caller,
                                    after = req->after_seq(), limit, resp]() -> absl::Status {
    RETURN_IF_ERROR(registry_.Read([&](const Registry& reg) -> absl::Status {
      if (worker > 0) {
        ASSIGN_OR_RETURN(wf::Worker w, reg.GetWorker(worker));
        return MayRead(reg, c, w);
      }
      if (OnlyWorker(c)) {
        return absl::PermissionDeniedError(
            absl::StrCat("worker ", c.user, " may read only their own history (worker_id)"));
      }
      return InScope(reg, c, "unit_id", unit);
    }));
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

}  // namespace shequ::modules::workforce
