#pragma once

// A domain module: everything one domain adds to the daemon, in daemon/modules/<name>/
// (docs/decisions/0011-domain-modules.md). The pure rules stay in daemon/domain/<name>/; the
// module holds the application layer around them: its state made durable (module records,
// daemon/store/records.h), its built-in workflow steps, its recovery, its gRPC service with the
// mapping between proto and domain types and its access rules, and its demo data.
//
// The daemon drives every module of its list (daemon/modules/all.cc) through the same phases,
// in list order: Schema (tables attached before anything runs), Open, RegisterHandlers,
// Recover, then LoadDemo and RegisterServices once the engine runs; Metrics at each scrape.
// A module may use the modules listed before it (recruitment hires into workforce's registry).

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daemon/auth/tokens.h"
#include "daemon/core/calendar.h"
#include "daemon/core/clock.h"
#include "daemon/core/config.h"
#include "daemon/core/sealer.h"
#include "daemon/engine/engine.h"
#include "daemon/server/prometheus.h"
#include "daemon/server/services.h"
#include "daemon/store/records.h"
#include "daemon/store/store.h"

namespace shequ::modules {

class Module;

// What a module may use. Built by the daemon; everything outlives the modules.
struct ModuleContext {
  engine::Engine& engine;
  store::Store& store;
  const Clock& clock;
  const WorkCalendar& calendar;
  const Sealer& sealer;  // personal data at rest
  const Config& config;
  // A module listed before the one being opened, by name; null when there is none.
  std::function<Module*(std::string_view name)> earlier;

  // Every module of the daemon, in list order (set once all are opened; null in a test that
  // builds modules by hand).
  std::function<std::vector<Module*>()> modules;

  // The earlier module `name` as its concrete type, or null.
  template <typename M>
  M* Earlier(std::string_view name) const {
    return dynamic_cast<M*>(earlier(name));
  }
};

class Module {
 public:
  virtual ~Module() = default;

  // The module's name: its folder under daemon/modules/ and the prefix of its tables.
  virtual std::string_view name() const = 0;

  // Its tables and their migrations; the store applies them before Open. None by default.
  virtual store::ModuleSchema Schema() const { return {}; }

  // Reads the module's configuration (policy files, …) and builds its state. The engine has
  // recovered but does not run yet.
  virtual absl::Status Open(const ModuleContext& ctx) = 0;

  // The module's built-in workflow steps (Engine::RegisterHandler). Before the engine runs.
  virtual void RegisterHandlers() {}

  // Rebuilds the module's state from its records. After every earlier module recovered.
  virtual absl::Status Recover() { return absl::OkStatus(); }

  // The engine runs: work that needs it before the daemon serves (the identity module's first
  // administrator). An error stops the start.
  virtual absl::Status Started() { return absl::OkStatus(); }

  // config.demo's data for this module; idempotent (a restart adds nothing). After Started().
  virtual absl::Status LoadDemo(const std::string& demo_dir) { return absl::OkStatus(); }

  // The module's gRPC services, sharing the transport's context.
  virtual void RegisterServices(server::ServiceContext& ctx,
                                std::vector<std::unique_ptr<grpc::Service>>& out) {}

  // The module's samples for /metrics.
  virtual void Metrics(server::PrometheusWriter& w) const {}

  // The tree of units that task and instance scopes refer to, when this module keeps it (the
  // daemon gives the first one to the engine and the services); null by default.
  virtual const engine::UnitTree* unit_tree() const { return nullptr; }

  // The principals and API tokens that calls authenticate against, when this module keeps them
  // (the identity module); null by default.
  virtual const auth::Directory* directory() const { return nullptr; }
  // ---- Personal data (daemon/modules/personal_data/; docs/security.md "Personal data") ----
  // Everything the module holds about the person with this ID number (normalised: 18
  // characters, final X upper case), unmasked, as a JSON object; null when it holds nothing.
  // Called on a reader thread.
  virtual absl::StatusOr<engine::json> PersonalDataOf(const std::string& id_number) const {
    return engine::json();
  }
  // Erasure (PIPL art. 47; docs/decisions/0014-erasure.md): anonymises, in `tx` (on the engine
  // strand), everything the module holds about `id_number` (normalised), keeping the records
  // themselves for statistics. Checks first: FAILED_PRECONDITION naming why the data is still
  // needed, and nothing written. Otherwise writes the anonymised records into `tx` and answers
  // how many records held the person (0: none) and what to change in memory (`commit`, may be
  // empty), which runs only once every module has agreed, so the erasure is all or nothing.
  struct Erasure {
    int64_t records = 0;
    std::function<void()> commit;
  };
  virtual absl::StatusOr<Erasure> ErasePersonalData(engine::Engine::DomainTx& tx,
                                                    const std::string& id_number) {
    return Erasure{};
  }
  // The retention sweep: the ID numbers whose data the module keeps only past its retention
  // period at `now_ms` (config personal_data.*_retention_*; 0 there = never). Called on the
  // engine strand; each is then erased as on request, and one the erasure refuses is left.
  virtual absl::StatusOr<std::vector<std::string>> ExpiredPersonalData(int64_t now_ms) const {
    return std::vector<std::string>{};
  }
  // Rotation of the sealing key (docs/decisions/0013-personal-data-keys.md): rewrites, in `tx`
  // (on the engine strand), the module's records after position `after` ("" = from the start)
  // whose sealed fields are not under the current key, looking at up to `limit` records.
  // Answers the position reached ("" once past the last record) and how many it rewrote.
  struct ResealStep {
    std::string next;
    int64_t rewritten = 0;
  };
  virtual absl::StatusOr<ResealStep> Reseal(engine::Engine::DomainTx& tx, const std::string& after,
                                            int limit) {
    return ResealStep{};
  }
};

using ModuleList = std::vector<std::unique_ptr<Module>>;

// A whole file (a policy, a demo table); NOT_FOUND naming the path when it cannot be read.
absl::StatusOr<std::string> ReadTextFile(const std::string& path);

// The modules of shequd, in order (daemon/modules/all.cc): one line per module.
ModuleList AllModules();

}  // namespace shequ::modules
