#pragma once

// shequ.v1.Audit: the audit trail's entries, filtered, and a check of the live database's chain
// (daemon/auth/audit_trail.h, docs/security.md "Audit trail").

#include "daemon/auth/audit_verify.h"
#include "daemon/server/services.h"
#include "shequ/v1/audit.grpc.pb.h"

namespace shequ::server {

class AuditService final : public v1::Audit::CallbackService {
 public:
  // `verify`: the live database, the witness file and the public key.
  AuditService(ServiceContext& c, auth::AuditVerifyOptions verify)
      : c_(c), verify_(std::move(verify)) {}
  grpc::ServerUnaryReactor* List(grpc::CallbackServerContext*, const v1::ListAuditRequest*,
                                 v1::ListAuditResponse*) override;
  grpc::ServerUnaryReactor* Verify(grpc::CallbackServerContext*, const v1::VerifyAuditRequest*,
                                   v1::VerifyAuditResponse*) override;

  // Rows one List call reads at most before it answers with what it found and a page token,
  // so that a filter that matches little never scans the whole trail in one call.
  static constexpr int kMaxScannedPerCall = 20'000;

 private:
  ServiceContext& c_;
  const auth::AuditVerifyOptions verify_;
};

}  // namespace shequ::server
