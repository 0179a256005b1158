#include "daemon/server/step_tasks.h"

#include <boost/asio/post.hpp>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "daemon/engine/model.h"
#include "daemon/server/convert.h"

namespace shequ::server {

void CompleteStepTask(ServiceContext& c, grpc::ServerUnaryReactor* r, engine::Caller caller,
                      int64_t instance_id, std::vector<std::string> nodes, std::string what,
                      engine::CompleteTaskRequest request, std::function<absl::Status()> fill) {
  boost::asio::post(c.readers, [&c, r, caller = std::move(caller), instance_id,
                                nodes = std::move(nodes), what = std::move(what),
                                request = std::move(request), fill = std::move(fill)]() mutable {
    if (instance_id) {
      store::TaskFilter f;
      f.instance_id = instance_id;
      auto tasks = c.store.ListTasks(f, {0, 100});
      if (!tasks.ok()) return r->Finish(ToGrpc(tasks.status()));
      for (const auto& row : *tasks) {
        const std::string node = engine::FromRow(row).node;
        if (std::find(nodes.begin(), nodes.end(), node) != nodes.end()) request.task_id = row.id;
      }
    }
    if (request.task_id == 0) {
      return r->Finish(ToGrpc(absl::FailedPreconditionError(absl::StrCat(
          what, " is not open now (finished already, or not reached yet)"))));
    }
    c.engine.CompleteTask(std::move(caller), std::move(request),
                          [&c, r, fill = std::move(fill)](absl::StatusOr<engine::json> done) {
                            if (!done.ok()) return r->Finish(ToGrpc(done.status()));
                            // The answer reads back: on a reader, not on the engine's strand.
                            boost::asio::post(c.readers, [r, fill] { r->Finish(ToGrpc(fill())); });
                          });
  });
}

}  // namespace shequ::server
