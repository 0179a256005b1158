#include "daemon/modules/personal_data/module.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daemon/core/logging.h"
#include "daemon/core/status.h"
#include "daemon/core/strings.h"
#include "daemon/domain/workforce/model.h"
#include "daemon/modules/personal_data/service.h"
#include "daemon/modules/records.h"

namespace shequ::modules::personal_data {

using engine::json;

namespace {
constexpr char kRotationKey[] = "rotation";
constexpr std::string_view kRotationFields[] = {
    "active", "key_id", "module", "after", "resealed", "pass", "pass_rewritten", "error"};
}  // namespace

json PersonalDataModule::Rotation::ToJson() const {
  return {{"active", active}, {"key_id", key_id},     {"module", module},
          {"after", after},   {"resealed", resealed}, {"pass", pass},
          {"pass_rewritten", pass_rewritten},         {"error", error}};
}

PersonalDataModule::Rotation PersonalDataModule::Rotation::FromJson(const json& j) {
  Rotation r;
  r.active = j.value("active", false);
  r.key_id = j.value("key_id", 0u);
  r.module = j.value("module", size_t{0});
  r.after = j.value("after", "");
  r.resealed = j.value("resealed", int64_t{0});
  r.pass = j.value("pass", 1);
  r.pass_rewritten = j.value("pass_rewritten", int64_t{0});
  r.error = j.value("error", "");
  return r;
}

PersonalDataModule::~PersonalDataModule() {
  *alive_ = false;
}

store::ModuleSchema PersonalDataModule::Schema() const {
  return {kName, {{kState, {}}}, Migrations()};
}

absl::Status PersonalDataModule::Open(const ModuleContext& ctx) {
  ctx_ = &ctx;
  sealer_ = std::make_unique<Sealer>(ctx.sealer);
  batch_ = ctx.config.personal_data_reseal_batch;
  return absl::OkStatus();
}

absl::Status PersonalDataModule::Recover() {
  ASSIGN_OR_RETURN(auto record, ctx_->store.GetRecord(kState, kRotationKey));
  if (!record) return absl::OkStatus();
  ASSIGN_OR_RETURN(json body, ReadBody(kState, *record, kRotationFields));
  std::lock_guard lock(mu_);
  rotation_ = Rotation::FromJson(body);
  if (rotation_.active) {
    Logger("personal_data")
        ->info("key rotation to key {}: re-seal resumes (pass {}, {} records so far)",
               rotation_.key_id, rotation_.pass, rotation_.resealed);
  }
  return absl::OkStatus();
}

void PersonalDataModule::RegisterServices(server::ServiceContext& ctx,
                                          std::vector<std::unique_ptr<grpc::Service>>& out) {
  out.push_back(std::make_unique<PersonalDataService>(ctx, *this));
  // The engine runs now: a re-seal cut short by a restart goes on.
  bool resume;
  {
    std::lock_guard lock(mu_);
    resume = rotation_.active;
  }
  if (resume) ResealBatch();
  // The retention sweep: a first one now, then once a day on the engine's clock.
  sweep_check_ = std::make_unique<PeriodicCheck>(ctx.io, ctx_->clock, [this] {
    if (!sweeping_ && ctx_->clock.NowMs() >= next_sweep_ms_) Sweep();
  });
}

std::vector<Module*> PersonalDataModule::Others() const {
  std::vector<Module*> out;
  if (!ctx_->modules) return out;
  for (Module* m : ctx_->modules()) {
    if (m != this) out.push_back(m);
  }
  return out;
}

absl::StatusOr<json> PersonalDataModule::Export(const std::string& id_number) const {
  std::string normalized;
  RETURN_IF_ERROR(domain::workforce::ValidateIdNumber(id_number, "id_number", "", &normalized));
  json doc = {{"id_number", normalized}};
  for (const Module* m : Others()) {
    auto part = m->PersonalDataOf(normalized);
    if (!part.ok()) {
      return absl::Status(part.status().code(),
                          Cat("module ", m->name(), ": ", part.status().message()));
    }
    if (!part->is_null()) doc[std::string(m->name())] = *std::move(part);
  }
  return doc;
}

namespace {
constexpr size_t kMaxJustificationBytes = 1000;
constexpr int64_t kSweepEveryMs = 86'400'000;

std::string Trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}
}  // namespace

absl::StatusOr<json> PersonalDataModule::EraseIn(engine::Engine::DomainTx& tx,
                                                 const std::string& number,
                                                 const std::string& justification) {
  int64_t records = 0;
  json modules = json::array();
  std::vector<std::function<void()>> commits;
  // Every module checks and writes first; memory changes only once all of them agreed.
  for (Module* m : Others()) {
    auto erased = m->ErasePersonalData(tx, number);
    if (!erased.ok()) {
      return absl::Status(erased.status().code(),
                          Cat("module ", m->name(), ": ", erased.status().message()));
    }
    if (erased->records == 0) continue;
    records += erased->records;
    modules.push_back(std::string(m->name()));
    if (erased->commit) commits.push_back(std::move(erased->commit));
  }
  if (records == 0) {
    return absl::NotFoundError(Cat("id_number: nothing is held about ",
                                   domain::workforce::MaskIdNumber(number)));
  }
  for (auto& commit : commits) commit();
  // Names the erasure, never the number (the history and the audit trail outlive it).
  tx.Record("personal-data:erasure", "", "personal_data.erased",
            {{"justification", justification}, {"records", records}, {"modules", modules}});
  Logger("personal_data")
      ->info("personal data of {} erased: {} records ({})",
             domain::workforce::MaskIdNumber(number), records, modules.dump());
  return json{{"records", records}, {"modules", modules}};
}

void PersonalDataModule::Erase(const engine::Caller& caller, const std::string& id_number,
                               const std::string& justification, std::string request_id,
                               engine::Reply reply) {
  std::string number;
  if (auto s = domain::workforce::ValidateIdNumber(id_number, "id_number", "", &number);
      !s.ok()) {
    reply(s);
    return;
  }
  const std::string why(Trim(justification));
  if (why.empty()) {
    reply(absl::InvalidArgumentError(
        "justification: required: the legal basis or the request's reference (the retention "
        "period over, the person's request of <date>, …)"));
    return;
  }
  if (why.size() > kMaxJustificationBytes) {
    reply(absl::InvalidArgumentError(
        Cat("justification: at most ", kMaxJustificationBytes, " bytes, got ", why.size())));
    return;
  }
  ctx_->engine.ExecuteDomain(
      "PersonalData.Erase", std::move(request_id), caller,
      [this, number, why](engine::Engine::DomainTx& tx) { return EraseIn(tx, number, why); },
      std::move(reply));
}

void PersonalDataModule::Sweep(std::function<void(int64_t)> done) {
  sweeping_ = true;
  next_sweep_ms_ = ctx_->clock.NowMs() + kSweepEveryMs;
  auto alive = alive_;
  auto numbers = std::make_shared<std::vector<std::string>>();
  // The candidates are gathered on the strand (the modules' state is changed only there); the
  // list stays in memory, never in a reply or a row.
  ctx_->engine.ExecuteDomain(
      "PersonalData.RetentionSweep", "", engine::Caller{},
      [this, numbers](engine::Engine::DomainTx& tx) -> absl::StatusOr<json> {
        std::set<std::string> all;
        for (const Module* m : Others()) {
          ASSIGN_OR_RETURN(std::vector<std::string> expired, m->ExpiredPersonalData(tx.now()));
          all.insert(expired.begin(), expired.end());
        }
        numbers->assign(all.begin(), all.end());
        return json{{"expired", numbers->size()}};
      },
      [this, alive, numbers, done = std::move(done)](absl::StatusOr<json> r) mutable {
        if (!*alive) return;
        if (!r.ok()) {
          Logger("personal_data")->warn("retention sweep: {}", r.status().ToString());
          sweeping_ = false;
          if (done) done(0);
          return;
        }
        EraseNext(numbers, 0, 0, std::move(done));
      });
}

void PersonalDataModule::EraseNext(std::shared_ptr<std::vector<std::string>> numbers, size_t i,
                                   int64_t erased, std::function<void(int64_t)> done) {
  if (i >= numbers->size()) {
    if (!numbers->empty()) {
      Logger("personal_data")
          ->info("retention sweep: {} of {} people erased", erased, numbers->size());
    }
    sweeping_ = false;
    if (done) done(erased);
    return;
  }
  auto alive = alive_;
  // Audited like a call, under the daemon's own name.
  engine::Caller sweeper{"shequd", {}, "", "shequd/PersonalDataRetention"};
  const std::string number = (*numbers)[i];
  ctx_->engine.ExecuteDomain(
      "PersonalData.Erase", "", std::move(sweeper),
      [this, number](engine::Engine::DomainTx& tx) {
        return EraseIn(tx, number,
                       "retention period over (personal_data.worker_retention_years, "
                       "personal_data.applicant_retention_months)");
      },
      [this, alive, numbers, i, erased, number, done = std::move(done)](
          absl::StatusOr<json> r) mutable {
        if (!*alive) return;
        if (!r.ok()) {
          // Still needed elsewhere (a campaign running, a worker on post): the next sweep
          // tries again.
          Logger("personal_data")
              ->info("retention sweep: {} kept: {}", domain::workforce::MaskIdNumber(number),
                     r.status().ToString());
        }
        EraseNext(numbers, i + 1, erased + (r.ok() ? 1 : 0), std::move(done));
      });
}

void PersonalDataModule::RotateKey(const engine::Caller& caller, std::string request_id,
                                   engine::Reply reply) {
  auto alive = alive_;
  ctx_->engine.ExecuteDomain(
      "PersonalData.RotateKey", std::move(request_id), caller,
      [this](engine::Engine::DomainTx& tx) -> absl::StatusOr<json> {
        Rotation next;
        {
          std::lock_guard lock(mu_);
          if (rotation_.active) {
            return absl::FailedPreconditionError(absl::StrCat(
                "a re-seal under key ", rotation_.key_id, " is running (", rotation_.resealed,
                " records so far); rotate again once it has finished"));
          }
        }
        // The key file holds the new key before anything is sealed under it. Should this
        // transaction not commit, the ring keeps a key nothing uses yet: harmless.
        ASSIGN_OR_RETURN(uint32_t id, sealer_->AddKey());
        next.active = true;
        next.key_id = id;
        tx.rows().records.push_back(PutRecord(kState, kRotationKey, next.ToJson().dump()));
        tx.Record("personal-data:key", "", "personal_data.key_rotated", {{"key_id", id}});
        {
          std::lock_guard lock(mu_);
          rotation_ = next;
        }
        Logger("personal_data")->info("key {} is current; re-sealing", id);
        return json{{"key_id", id}};
      },
      [this, alive, reply = std::move(reply)](absl::StatusOr<json> r) {
        const bool start = r.ok();
        reply(std::move(r));
        if (start && *alive) ResealBatch();
      });
}

absl::StatusOr<json> PersonalDataModule::ResealIn(engine::Engine::DomainTx& tx) {
  Rotation r;
  {
    std::lock_guard lock(mu_);
    r = rotation_;
  }
  if (!r.active) return json{{"active", false}};
  const std::vector<Module*> others = Others();
  if (r.module < others.size()) {
    ASSIGN_OR_RETURN(ResealStep step, others[r.module]->Reseal(tx, r.after, batch_));
    r.resealed += step.rewritten;
    r.pass_rewritten += step.rewritten;
    r.after = step.next;
    if (step.next.empty()) ++r.module;
  } else if (r.pass_rewritten > 0 || r.pass < 2) {
    // Another pass: done only once a whole pass found nothing left under an older key (the
    // first pass may have read the store before a change sealed under the old key committed).
    ++r.pass;
    r.module = 0;
    r.after.clear();
    r.pass_rewritten = 0;
  } else {
    for (uint32_t id : sealer_->key_ids()) {
      if (id != sealer_->current_key_id()) RETURN_IF_ERROR(sealer_->Retire(id));
    }
    r.active = false;
    tx.Record("personal-data:key", "", "personal_data.reseal_finished",
              {{"key_id", r.key_id}, {"resealed", r.resealed}});
    Logger("personal_data")
        ->info("re-seal under key {} finished: {} records; older keys retired", r.key_id,
               r.resealed);
  }
  r.error.clear();
  tx.rows().records.push_back(PutRecord(kState, kRotationKey, r.ToJson().dump()));
  {
    std::lock_guard lock(mu_);
    rotation_ = r;
  }
  return r.ToJson();
}

void PersonalDataModule::ResealBatch() {
  auto alive = alive_;
  ctx_->engine.ExecuteDomain(
      "PersonalData.Reseal", "", engine::Caller{},
      [this](engine::Engine::DomainTx& tx) { return ResealIn(tx); },
      [this, alive](absl::StatusOr<json> r) {
        if (!*alive) return;
        if (!r.ok()) {
          // Stopped (the daemon stopping, a record that does not open): the state on disk is
          // the last batch committed, and a restart resumes from it. The old keys stay.
          std::lock_guard lock(mu_);
          rotation_.error = r.status().ToString();
          Logger("personal_data")->warn("re-seal stopped: {}", rotation_.error);
          return;
        }
        if ((*r).value("active", false)) ResealBatch();
      });
}

PersonalDataModule::KeyStatus PersonalDataModule::Status() const {
  KeyStatus s;
  s.current_key_id = sealer_->current_key_id();
  s.key_ids = sealer_->key_ids();
  std::lock_guard lock(mu_);
  s.resealing = rotation_.active;
  s.resealed = rotation_.resealed;
  if (!rotation_.error.empty()) {
    s.detail = absl::StrCat("stopped: ", rotation_.error);
  } else if (rotation_.active) {
    s.detail = absl::StrCat("pass ", rotation_.pass, ", module ", rotation_.module, " after '",
                            rotation_.after, "'");
  }
  return s;
}

}  // namespace shequ::modules::personal_data
