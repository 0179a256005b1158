#include "daemon/modules/workforce/service.h"

#include <algorithm>
#include <cmath>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daemon/core/status.h"
#include "daemon/domain/workforce/roster.h"
#include "daemon/modules/workforce/convert.h"
#include "daemon/server/reactors.h"

namespace shequ::modules::workforce {

using server::Answer;
using server::CallerOf;
using server::OnReader;
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
  // The export is built whole before it is sent, so its chunks may all wait in the queue: the
  // stalled-reader bound of the live streams does not apply.
  auto* stream = new Stream<v1::CsvChunk>(server::StreamBounds{SIZE_MAX, SIZE_MAX});
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

}  // namespace shequ::modules::workforce
