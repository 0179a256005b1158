#pragma once

// Recruitment campaigns made durable (issue 6; docs/decisions/0009-recruitment.md).
//
// Each campaign (daemon/domain/recruitment) is held in memory and stored as the log of the
// commands it accepted (the module record table recruitment_campaign_log, arguments sealed): a
// restart replays the log, and since every command carries its instants and dates, the replay
// rebuilds the same campaign. Commands run inside engine transactions, so a campaign's log
// records, the registry records it changes (quota reservations, hired workers), its history
// entries and the workflows it moves or starts commit together or not at all.
//
// The workflow `recruitment` drives a campaign: its user tasks are the human decisions, and its
// built-in service steps (Engine::RegisterHandler, job types "recruitment.*") apply the
// decisions to the campaign in the task's own transaction. A step the campaign refuses (scores
// still missing, checks pending …) sets the variable `refused` and the workflow goes back to
// the task.

#include <functional>
#include <map>
#include <shared_mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/core/sealer.h"
#include "daemon/domain/recruitment/campaign.h"
#include "daemon/engine/engine.h"
#include "daemon/modules/workforce/durable_registry.h"
#include "daemon/store/records.h"
#include "daemon/store/store.h"

namespace shequ::modules::recruitment {

namespace rc = ::shequ::domain::recruitment;

// A campaign as the API shows it at one instant: what rc::Campaign holds, with its workflow
// and the figures of `now_ms`.
struct CampaignView {
  rc::CampaignSpec spec;
  rc::CampaignState state = rc::CampaignState::kDraft;
  int64_t instance_id = 0;  // the recruitment workflow
  int64_t now_ms = 0;
  std::vector<rc::StateEntry> history;
  rc::Funnel funnel;
  std::vector<rc::Shortfall> shortfalls;  // only while applications are closed
  std::vector<int64_t> hired_workers;
};
CampaignView ViewOf(const rc::Campaign& c, int64_t instance_id, int64_t now_ms);

struct ObjectionView {
  rc::Objection objection;
  int64_t instance_id = 0;  // the investigation workflow, 0 if none
};

class DurableRecruitment {
 public:
  static constexpr char kWorkflow[] = "recruitment";
  static constexpr char kObjectionWorkflow[] = "recruitment-objection";
  static constexpr char kOnboardingWorkflow[] = "onboarding";
  // The module's table (migrations/0001_campaign_log.sql): every campaign's accepted commands,
  // append only, keyed "<campaign>/<seq of 12 digits>".
  static constexpr char kLog[] = "recruitment_campaign_log";
  static std::vector<store::TableSpec> Tables();

  // `policy_yaml` is config/policy/recruitment.yaml: each campaign keeps the policy text it was
  // created under (in its first log entry), so a later edit of the file leaves it as it was.
  DurableRecruitment(engine::Engine& engine, store::Store& store,
                     workforce::DurableRegistry& registry, Sealer sealer,
                     std::string policy_yaml);

  // The built-in steps of the recruitment, objection and onboarding workflows. Call before the
  // engine runs.
  void RegisterHandlers();
  // Replays every campaign's log. Call after the registry recovered, before serving.
  absl::Status Recover();

  // Commands; each replies with the campaign's answer after the commit.
  // The announcement read against the policy a campaign is created under (its defaults).
  using SpecFn = std::function<absl::StatusOr<rc::CampaignSpec>(const rc::RecruitmentPolicy&)>;
  // Replies {"campaign_id", "instance_id"}.
  void Create(const engine::Caller& caller, SpecFn spec, std::string request_id,
              engine::Reply reply);
  // A campaign command from the API: apply, review, scores_csv, check, withdraw, objection.
  void Command(const engine::Caller& caller, std::string campaign_id, std::string command,
               engine::json args, std::string request_id, engine::Reply reply);

  // Key rotation: rewrites, in `tx`, the log entries after key `after_key` (up to `limit`)
  // whose arguments are not sealed under the current key. The log is append only, so what the
  // store holds is what was written. Answers the last key looked at ("" past the end) and how
  // many were rewritten.
  absl::StatusOr<std::pair<std::string, int64_t>> Reseal(engine::Engine::DomainTx& tx,
                                                         const std::string& after_key, int limit);

  // Erasure (docs/decisions/0014-erasure.md): rewrites, in `tx`, the campaign log entries that
  // carry `id_number` (the application, score sheets naming it, objections about it) with a
  // stand-in number unique in its campaign and "[erased]" for the name, and replays each such
  // campaign from its rewritten log to check it rebuilds the same; the campaigns change in
  // memory when the returned function runs. Answers how many applications. FAILED_PRECONDITION
  // naming the campaign while it still needs the data.
  absl::StatusOr<std::pair<int64_t, std::function<void()>>> Erase(engine::Engine::DomainTx& tx,
                                                                   const std::string& id_number);
  // ID numbers of applicants not hired whose every application is in a campaign that ended
  // (done or cancelled) at least `months` before `now_ms`.
  std::vector<std::string> Expired(int64_t now_ms, int months) const;

  // Reads: the domain values, copied under the lock (convert.h maps them to the API).
  absl::StatusOr<CampaignView> Campaign(const std::string& id) const;
  std::vector<CampaignView> ListCampaigns(const std::string& street_unit_id,
                                          const std::string& state) const;
  // Applications in the clear: the caller masks personal data for whom may not see it.
  absl::StatusOr<std::vector<rc::Application>> Applications(const std::string& campaign_id,
                                                            const std::string& post_id,
                                                            const std::string& status,
                                                            int64_t after_id, int limit) const;
  absl::StatusOr<rc::Application> Application(const std::string& campaign_id, int64_t id) const;
  // Best first.
  absl::StatusOr<std::vector<rc::Application>> Ranking(const std::string& campaign_id,
                                                       const std::string& post_id) const;
  absl::StatusOr<ObjectionView> Objection(const std::string& campaign_id, int64_t id) const;
  // Every application made with this ID number, in the clear, with its campaign.
  struct ApplicationOf {
    std::string campaign_id;
    std::string title;
    rc::CampaignState state = rc::CampaignState::kDraft;
    rc::Application application;
  };
  std::vector<ApplicationOf> ApplicationsOf(const std::string& id_number) const;
  size_t campaign_count() const {
    std::shared_lock lock(mu_);
    return campaigns_.size();
  }
  // The recruitment workflow instance of a campaign (0 if none).
  int64_t InstanceOf(const std::string& campaign_id) const;

 private:
  struct Entry {
    rc::Campaign campaign;
    int64_t seq = 0;          // of the last logged command
    int64_t instance_id = 0;  // the recruitment workflow
    std::map<int64_t, int64_t> investigations;  // objection id → investigation instance
  };

  rc::DedupeKeyFn Dedupe() const;
  // One log entry of a replay into `campaigns` (Recover, and the check of an erasure).
  absl::Status Replay(std::map<std::string, Entry>& campaigns, const std::string& campaign_id,
                      int64_t seq, const std::string& command, const engine::json& args);
  // Applies one logged command to a campaign: the same code live and in a replay. What it
  // answers may list posts to release in the registry ("release").
  absl::StatusOr<engine::json> Apply(Entry& e, const std::string& command,
                                     const engine::json& args);
  // Appends the command to the campaign's log in `tx`, with its arguments `sealed`.
  void Log(engine::Engine::DomainTx& tx, Entry& e, const std::string& command,
           std::string sealed);
  // Live: Apply, then log the command, record it in the history and release what it freed.
  // The caller holds mu_ exclusively.
  absl::StatusOr<engine::json> Run(engine::Engine::DomainTx& tx, Entry& e,
                                   const std::string& command, engine::json args);
  Entry* Find(const std::string& id);
  const Entry* Find(const std::string& id) const;
  void RegisterOnboardingHandlers();
  absl::StatusOr<Entry*> FromStep(const engine::Engine::HandlerCall& call);
  // The hire step: hires every candidate whose notice is over, each starting onboarding.
  absl::StatusOr<engine::json> HireReady(engine::Engine::DomainTx& tx, Entry& e);
  std::string AfterWorkingDays(int64_t from_ms, int n) const;

  engine::Engine& engine_;
  store::Store& store_;
  workforce::DurableRegistry& registry_;
  const Sealer sealer_;
  const std::string policy_yaml_;
  mutable std::shared_mutex mu_;  // campaigns_: changed on the engine strand only
  std::map<std::string, Entry> campaigns_;
};

}  // namespace shequ::modules::recruitment
