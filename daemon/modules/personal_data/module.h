#pragma once

// The personal_data module: what the daemon holds about one person under China's PIPL
// (docs/security.md "Personal data"), and the rotation of the key that seals it at rest
// (docs/decisions/0013-personal-data-keys.md). It asks every module of the daemon through the
// Module hooks (PersonalDataOf, Reseal); its only table is the state of a rotation. Listed
// last, so that every other module is opened before it.

#include <utility>  // before Boost.Asio with GCC 12 in C++20

#include <boost/asio.hpp>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "daemon/modules/module.h"
#include "daemon/modules/periodic_check.h"

namespace shequ::modules::personal_data {

// migrations/NNNN_name.sql, compiled in (shequ_embed_sql).
std::vector<store::SqlMigration> Migrations();

class PersonalDataModule final : public Module {
 public:
  static constexpr char kName[] = "personal_data";
  static constexpr char kState[] = "personal_data_state";

  ~PersonalDataModule() override;
  std::string_view name() const override { return kName; }
  store::ModuleSchema Schema() const override;
  absl::Status Open(const ModuleContext& ctx) override;
  absl::Status Recover() override;
  void RegisterServices(server::ServiceContext& ctx,
                        std::vector<std::unique_ptr<grpc::Service>>& out) override;

  // Everything every module holds about `id_number` (validated and normalised first):
  // {"id_number": …, "<module>": {…}, …}, one member per module that holds something.
  absl::StatusOr<engine::json> Export(const std::string& id_number) const;

  // Erasure (docs/decisions/0014-erasure.md): anonymises everything every module holds about
  // `id_number` in one engine transaction, all or nothing. `justification` (why: the retention
  // period, the person's request and its reference, the legal basis) is required and kept in
  // the event history. Replies {"records", "modules"}; FAILED_PRECONDITION from the module that
  // still needs the data, NOT_FOUND when nothing is held.
  void Erase(const engine::Caller& caller, const std::string& id_number,
             const std::string& justification, std::string request_id, engine::Reply reply);

  // The retention sweep: every module's ExpiredPersonalData, each number erased in its own
  // transaction (a refusal is logged and the number left). Runs once a day on the engine's
  // clock (checked every minute, every second on a fake clock); `done` (may be null) is called
  // with how many were erased once it has finished.
  void Sweep(std::function<void(int64_t erased)> done = nullptr);

  // A new key becomes current, then the re-seal starts in the background. Replies with the
  // status once the rotation is recorded. FAILED_PRECONDITION while a re-seal is running.
  void RotateKey(const engine::Caller& caller, std::string request_id, engine::Reply reply);

  struct KeyStatus {
    uint32_t current_key_id = 0;
    std::vector<uint32_t> key_ids;
    bool resealing = false;
    int64_t resealed = 0;
    std::string detail;
  };
  KeyStatus Status() const;

 private:
  // The rotation's progress, as stored in personal_data_state "rotation".
  struct Rotation {
    bool active = false;
    uint32_t key_id = 0;
    size_t module = 0;   // index into the modules list
    std::string after;   // that module's position
    int64_t resealed = 0;
    int pass = 1;              // a pass walks every module once
    int64_t pass_rewritten = 0;
    std::string error;         // why the re-seal stopped, if it did
    engine::json ToJson() const;
    static Rotation FromJson(const engine::json& j);
  };
  // One batch of the re-seal as an engine command; the next follows its commit.
  void ResealBatch();
  absl::StatusOr<engine::json> ResealIn(engine::Engine::DomainTx& tx);
  std::vector<Module*> Others() const;
  // The erasure of one normalised number inside `tx`; answers {"records", "modules"}.
  absl::StatusOr<engine::json> EraseIn(engine::Engine::DomainTx& tx, const std::string& number,
                                       const std::string& justification);
  void EraseNext(std::shared_ptr<std::vector<std::string>> numbers, size_t i, int64_t erased,
                 std::function<void(int64_t)> done);

  const ModuleContext* ctx_ = nullptr;
  std::unique_ptr<Sealer> sealer_;  // shares the daemon's keyring
  int batch_ = 200;
  mutable std::mutex mu_;  // rotation_ (written on the strand, read by KeyStatus)
  Rotation rotation_;
  // The retention sweep: the next one due on the engine's clock, and whether one runs.
  std::atomic<int64_t> next_sweep_ms_{0};
  std::atomic<bool> sweeping_{false};
  std::unique_ptr<PeriodicCheck> sweep_check_;
  // False once the module is gone: a reply arriving late must not touch it.
  std::shared_ptr<std::atomic<bool>> alive_ = std::make_shared<std::atomic<bool>>(true);
};

}  // namespace shequ::modules::personal_data
