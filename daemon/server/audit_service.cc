#include "daemon/server/audit_service.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "daemon/auth/audit_chain.h"
#include "daemon/core/status.h"
#include "daemon/server/reactors.h"

namespace shequ::server {

grpc::ServerUnaryReactor* AuditService::List(grpc::CallbackServerContext* ctx,
                                             const v1::ListAuditRequest* req,
                                             v1::ListAuditResponse* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Audit/List", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  auto page = PageOf(req->page());
  if (!page.ok()) return Refuse(ctx, page.status());
  if (req->from_ms() < 0 || req->to_ms() < 0) {
    return Refuse(ctx, absl::InvalidArgumentError("from_ms, to_ms: must not be negative"));
  }
  return OnReader(c_.readers, ctx, [this, req = *req, page = *page, resp]() -> absl::Status {
    // The most selective declared column scans; the other filters are checked per entry.
    store::RecordScan scan;
    scan.table = auth::audit::kEntries;
    if (!req.principal().empty()) {
      scan.column = "principal";
      scan.value = req.principal();
    } else if (!req.method().empty()) {
      scan.column = "method";
      scan.value = req.method();
    }
    if (page.after_id > 0) scan.after_key = auth::audit::SeqKey(page.after_id);
    scan.limit = std::min(1000, kMaxScannedPerCall);
    int scanned = 0;
    int64_t last_seq = 0;
    bool more = true;
    while (more && resp->entries_size() < page.limit && scanned < kMaxScannedPerCall) {
      ASSIGN_OR_RETURN(std::vector<store::Record> rows, c_.store.ScanRecords(scan));
      more = static_cast<int>(rows.size()) == scan.limit;
      for (const auto& row : rows) {
        ++scanned;
        scan.after_key = row.key;
        auto e = auth::audit::ParseEntry(row.body);
        if (!e.ok()) {
          return absl::DataLossError(absl::StrCat("audit entry ", row.key, ": ",
                                                  e.status().message()));
        }
        last_seq = e->seq;
        const auto& entry = e->entry;
        const bool match =
            (req.principal().empty() || entry.principal == req.principal()) &&
            (req.method().empty() || entry.method == req.method()) &&
            entry.at_ms >= req.from_ms() && (req.to_ms() == 0 || entry.at_ms < req.to_ms()) &&
            (req.resource().empty() ||
             std::find(entry.resources.begin(), entry.resources.end(), req.resource()) !=
                 entry.resources.end());
        if (match) {
          auto* out = resp->add_entries();
          out->set_seq(e->seq);
          out->set_at_ms(entry.at_ms);
          out->set_principal(entry.principal);
          for (const auto& r : entry.roles) out->add_roles(r);
          out->set_method(entry.method);
          out->set_request_id(entry.request_id);
          for (const auto& r : entry.resources) out->add_resources(r);
          out->set_outcome(entry.outcome);
          out->set_detail(entry.detail);
          out->set_hash(e->hash);
        }
        if (resp->entries_size() == page.limit || scanned == kMaxScannedPerCall) {
          more = more || &row != &rows.back();
          break;
        }
      }
    }
    if (more && last_seq > 0) resp->set_next_page_token(std::to_string(last_seq));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AuditService::Verify(grpc::CallbackServerContext* ctx,
                                               const v1::VerifyAuditRequest* req,
                                               v1::VerifyAuditResponse* resp) {
  auto caller = c_.gate.Admit(*ctx, "shequ.v1.Audit/Verify", *req);
  if (!caller.ok()) return Refuse(ctx, caller.status());
  return OnReader(c_.readers, ctx, [this, resp]() -> absl::Status {
    ASSIGN_OR_RETURN(auth::AuditVerifyResult r, auth::VerifyAuditTrail(verify_));
    resp->set_ok(r.ok);
    resp->set_entries(r.entries);
    resp->set_checkpoints(r.checkpoints);
    resp->set_first_seq(r.first_seq);
    resp->set_last_seq(r.last_seq);
    resp->set_problem(r.problem);
    return absl::OkStatus();
  });
}

}  // namespace shequ::server
