#pragma once

// shequ.v1.Plugins: the department plugins loaded from plugins.d, their state, their
// descriptors, and their named operations.

#include "daemon/plugin/manager.h"
#include "daemon/server/services.h"
#include "shequ/v1/plugins.grpc.pb.h"

namespace shequ::server {

class PluginsService final : public v1::Plugins::CallbackService {
 public:
  PluginsService(ServiceContext& c, plugin::Manager& plugins) : c_(c), plugins_(plugins) {}
  grpc::ServerUnaryReactor* List(grpc::CallbackServerContext*, const v1::ListPluginsRequest*,
                                 v1::ListPluginsResponse*) override;
  grpc::ServerUnaryReactor* Describe(grpc::CallbackServerContext*, const v1::DescribePluginRequest*,
                                     v1::DescribePluginResponse*) override;
  grpc::ServerUnaryReactor* Invoke(grpc::CallbackServerContext*, const v1::InvokePluginRequest*,
                                   v1::InvokePluginResponse*) override;

 private:
  absl::Status OwnPlugin(const engine::Caller& caller, const std::string& name) const;

  ServiceContext& c_;
  plugin::Manager& plugins_;
};

}  // namespace shequ::server
