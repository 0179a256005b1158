#pragma once

// shequ.v1.Workforce: the registry of units, quotas and workers over gRPC.

#include <string>
#include <vector>

#include "daemon/modules/personal_data.h"
#include "daemon/modules/workforce/durable_registry.h"
#include "daemon/server/services.h"
#include "shequ/v1/workforce.grpc.pb.h"

namespace shequ::modules::workforce {

struct WorkforceOptions {
  PersonalDataPolicy personal_data{{}};  // who sees names, ID numbers and phones unmasked
  size_t max_import_bytes = size_t{64} << 20;
};

class WorkforceService final : public v1::Workforce::CallbackService {
 public:
  WorkforceService(server::ServiceContext& c, DurableRegistry& registry, WorkforceOptions options)
      : c_(c), registry_(registry), options_(std::move(options)) {}

  grpc::ServerUnaryReactor* CreateUnit(grpc::CallbackServerContext*, const v1::CreateUnitRequest*,
                                       v1::Unit*) override;
  grpc::ServerUnaryReactor* UpdateUnit(grpc::CallbackServerContext*, const v1::UpdateUnitRequest*,
                                       v1::Unit*) override;
  grpc::ServerUnaryReactor* GetUnit(grpc::CallbackServerContext*, const v1::GetUnitRequest*,
                                    v1::Unit*) override;
  grpc::ServerUnaryReactor* UnitTree(grpc::CallbackServerContext*, const v1::UnitTreeRequest*,
                                     v1::UnitTreeResponse*) override;
  grpc::ServerUnaryReactor* ComputeQuota(grpc::CallbackServerContext*,
                                         const v1::ComputeQuotaRequest*,
                                         v1::QuotaComputation*) override;
  grpc::ServerUnaryReactor* ReviseQuota(grpc::CallbackServerContext*,
                                        const v1::ReviseQuotaRequest*,
                                        v1::QuotaRevision*) override;
  grpc::ServerUnaryReactor* QuotaHistory(grpc::CallbackServerContext*,
                                         const v1::QuotaHistoryRequest*,
                                         v1::QuotaHistoryResponse*) override;
  grpc::ServerUnaryReactor* CreateWorker(grpc::CallbackServerContext*,
                                         const v1::CreateWorkerRequest*, v1::Worker*) override;
  grpc::ServerUnaryReactor* UpdateWorker(grpc::CallbackServerContext*,
                                         const v1::UpdateWorkerRequest*, v1::Worker*) override;
  grpc::ServerUnaryReactor* GetWorker(grpc::CallbackServerContext*, const v1::GetWorkerRequest*,
                                      v1::Worker*) override;
  grpc::ServerUnaryReactor* ListWorkers(grpc::CallbackServerContext*,
                                        const v1::ListWorkersRequest*,
                                        v1::ListWorkersResponse*) override;
  grpc::ServerUnaryReactor* TransferWorker(grpc::CallbackServerContext*,
                                           const v1::TransferWorkerRequest*,
                                           v1::Worker*) override;
  grpc::ServerUnaryReactor* ChangeWorkerStatus(grpc::CallbackServerContext*,
                                               const v1::ChangeWorkerStatusRequest*,
                                               v1::Worker*) override;
  grpc::ServerUnaryReactor* ConvertDispatch(grpc::CallbackServerContext*,
                                            const v1::ConvertDispatchRequest*,
                                            v1::Worker*) override;
  grpc::ServerReadReactor<v1::ImportRosterChunk>* ImportRoster(
      grpc::CallbackServerContext*, v1::ImportRosterResponse*) override;
  grpc::ServerWriteReactor<v1::CsvChunk>* Export(grpc::CallbackServerContext*,
                                                 const v1::ExportRequest*) override;
  grpc::ServerUnaryReactor* Occupancy(grpc::CallbackServerContext*, const v1::OccupancyRequest*,
                                      v1::OccupancyReport*) override;
  grpc::ServerUnaryReactor* PayParity(grpc::CallbackServerContext*, const v1::PayParityRequest*,
                                      v1::PayParityReport*) override;
  grpc::ServerUnaryReactor* History(grpc::CallbackServerContext*,
                                    const v1::WorkforceHistoryRequest*,
                                    v1::WorkforceHistoryResponse*) override;

 private:
  class ImportReactor;
  static absl::Status MayRead(const wf::Registry& reg, const engine::Caller& caller,
                              const wf::Worker& w);
  bool MaySeePersonal(const engine::Caller& caller) const {
    return options_.personal_data.MaySee(caller);
  }
  // Runs a change; on success answers with worker `id` as it now stands.
  grpc::ServerUnaryReactor* ChangeWorker(grpc::CallbackServerContext* ctx,
                                         const engine::Caller& caller, const char* command,
                                         const std::string& request_id, DurableRegistry::Op op,
                                         v1::Worker* resp);

  server::ServiceContext& c_;
  DurableRegistry& registry_;
  const WorkforceOptions options_;
};

}  // namespace shequ::modules::workforce
