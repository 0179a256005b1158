#pragma once

// The gRPC services of shequ.v1 on the callback API. Commands go to the engine and finish when
// it replies (after commit); reads run on a small reader pool, never on gRPC's threads.

#include <utility>  // before Boost.Asio with GCC 12 in C++20

#include <boost/asio.hpp>

#include "daemon/auth/principal.h"
#include "daemon/auth/sessions.h"
#include "daemon/core/clock.h"
#include "daemon/engine/engine.h"
#include "daemon/server/streams.h"
#include "daemon/store/store.h"
#include "shequ/v1/admin.grpc.pb.h"
#include "shequ/v1/definitions.grpc.pb.h"
#include "shequ/v1/incidents.grpc.pb.h"
#include "shequ/v1/instances.grpc.pb.h"
#include "shequ/v1/jobs.grpc.pb.h"
#include "shequ/v1/notifications.grpc.pb.h"
#include "shequ/v1/tasks.grpc.pb.h"

namespace shequ::server {

struct ServiceContext {
  engine::Engine& engine;
  store::Store& store;
  Hub& hub;
  boost::asio::io_context& io;
  boost::asio::thread_pool& readers;
  ManualClock* manual_clock;  // null unless --fake-clock
  size_t max_variables_bytes;
  const engine::UnitTree* units;  // the registry's unit tree
  const auth::Authenticator* authenticator;  // proves who calls (daemon/auth/chain.h)
  auth::Sessions* sessions;  // the streams each API token holds open, closed on revocation
};

class DefinitionsService final : public v1::Definitions::CallbackService {
 public:
  explicit DefinitionsService(ServiceContext& c) : c_(c) {}
  grpc::ServerUnaryReactor* Deploy(grpc::CallbackServerContext*, const v1::DeployRequest*,
                                   v1::DeployResponse*) override;
  grpc::ServerUnaryReactor* Get(grpc::CallbackServerContext*, const v1::GetDefinitionRequest*,
                                v1::Definition*) override;
  grpc::ServerUnaryReactor* List(grpc::CallbackServerContext*, const v1::ListDefinitionsRequest*,
                                 v1::ListDefinitionsResponse*) override;

 private:
  ServiceContext& c_;
};

class InstancesService final : public v1::Instances::CallbackService {
 public:
  explicit InstancesService(ServiceContext& c) : c_(c) {}
  grpc::ServerUnaryReactor* Start(grpc::CallbackServerContext*, const v1::StartRequest*,
                                  v1::StartResponse*) override;
  grpc::ServerUnaryReactor* Get(grpc::CallbackServerContext*, const v1::GetInstanceRequest*,
                                v1::Instance*) override;
  grpc::ServerUnaryReactor* List(grpc::CallbackServerContext*, const v1::ListInstancesRequest*,
                                 v1::ListInstancesResponse*) override;
  grpc::ServerUnaryReactor* Cancel(grpc::CallbackServerContext*, const v1::CancelRequest*,
                                   v1::CancelResponse*) override;
  grpc::ServerUnaryReactor* PublishMessage(grpc::CallbackServerContext*,
                                           const v1::PublishMessageRequest*,
                                           v1::PublishMessageResponse*) override;
  grpc::ServerWriteReactor<v1::Event>* Watch(grpc::CallbackServerContext*,
                                             const v1::WatchRequest*) override;
  grpc::ServerUnaryReactor* History(grpc::CallbackServerContext*, const v1::HistoryRequest*,
                                    v1::HistoryResponse*) override;

 private:
  ServiceContext& c_;
};

class TasksService final : public v1::Tasks::CallbackService {
 public:
  explicit TasksService(ServiceContext& c) : c_(c) {}
  grpc::ServerUnaryReactor* List(grpc::CallbackServerContext*, const v1::ListTasksRequest*,
                                 v1::ListTasksResponse*) override;
  grpc::ServerUnaryReactor* Get(grpc::CallbackServerContext*, const v1::GetTaskRequest*,
                                v1::Task*) override;
  grpc::ServerUnaryReactor* Claim(grpc::CallbackServerContext*, const v1::ClaimRequest*,
                                  v1::TaskResponse*) override;
  grpc::ServerUnaryReactor* Complete(grpc::CallbackServerContext*, const v1::CompleteRequest*,
                                     v1::TaskResponse*) override;
  grpc::ServerUnaryReactor* Delegate(grpc::CallbackServerContext*, const v1::DelegateRequest*,
                                     v1::TaskResponse*) override;
  grpc::ServerUnaryReactor* Transfer(grpc::CallbackServerContext*, const v1::TransferRequest*,
                                     v1::TaskResponse*) override;
  grpc::ServerUnaryReactor* Return(grpc::CallbackServerContext*, const v1::ReturnRequest*,
                                   v1::TaskResponse*) override;

 private:
  ServiceContext& c_;
};

class JobsService final : public v1::Jobs::CallbackService {
 public:
  explicit JobsService(ServiceContext& c) : c_(c) {}
  grpc::ServerWriteReactor<v1::Job>* Activate(grpc::CallbackServerContext*,
                                              const v1::ActivateRequest*) override;
  grpc::ServerUnaryReactor* Complete(grpc::CallbackServerContext*, const v1::CompleteJobRequest*,
                                     v1::CompleteJobResponse*) override;
  grpc::ServerUnaryReactor* Fail(grpc::CallbackServerContext*, const v1::FailJobRequest*,
                                 v1::FailJobResponse*) override;

 private:
  ServiceContext& c_;
};

class IncidentsService final : public v1::Incidents::CallbackService {
 public:
  explicit IncidentsService(ServiceContext& c) : c_(c) {}
  grpc::ServerUnaryReactor* List(grpc::CallbackServerContext*, const v1::ListIncidentsRequest*,
                                 v1::ListIncidentsResponse*) override;
  grpc::ServerUnaryReactor* Resolve(grpc::CallbackServerContext*,
                                    const v1::ResolveIncidentRequest*,
                                    v1::ResolveIncidentResponse*) override;

 private:
  ServiceContext& c_;
};

class NotificationsService final : public v1::Notifications::CallbackService {
 public:
  explicit NotificationsService(ServiceContext& c) : c_(c) {}
  grpc::ServerUnaryReactor* List(grpc::CallbackServerContext*,
                                 const v1::ListNotificationsRequest*,
                                 v1::ListNotificationsResponse*) override;
  grpc::ServerWriteReactor<v1::Notification>* Subscribe(grpc::CallbackServerContext*,
                                                        const v1::SubscribeRequest*) override;
  grpc::ServerUnaryReactor* Ack(grpc::CallbackServerContext*, const v1::AckRequest*,
                                v1::AckResponse*) override;

 private:
  ServiceContext& c_;
};

class AdminService final : public v1::Admin::CallbackService {
 public:
  explicit AdminService(ServiceContext& c) : c_(c) {}
  grpc::ServerUnaryReactor* AdvanceClock(grpc::CallbackServerContext*,
                                         const v1::AdvanceClockRequest*,
                                         v1::AdvanceClockResponse*) override;
  grpc::ServerUnaryReactor* Stats(grpc::CallbackServerContext*, const v1::StatsRequest*,
                                  v1::StatsResponse*) override;

 private:
  ServiceContext& c_;
};

}  // namespace shequ::server
