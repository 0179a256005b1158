// Service jobs: hand-out to workers (activations with credits), complete, fail with retries
// and back-off, release, and their lock and retry timers.

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "daemon/core/logging.h"
#include "daemon/core/status.h"
#include "daemon/engine/engine_impl.h"
#include "daemon/engine/transaction.h"

namespace shequ::engine {
namespace {
// A job's row is deleted when it completes or is withdrawn, so a job id this engine issued but
// cannot find is no longer active: completing or failing it again is a wrong state, not an
// unknown job.
absl::Status MissingJob(int64_t job_id, const std::map<std::string, int64_t>& sequences) {
  auto issued = sequences.find("job");
  if (issued != sequences.end() && job_id <= issued->second) {
    return absl::FailedPreconditionError(absl::StrCat(
        "job ", job_id, " is no longer active: it was completed, or withdrawn with its node"));
  }
  return absl::NotFoundError(absl::StrCat("job_id: no job ", job_id));
}

// The job is active, and in the hand-out the worker answers.
absl::Status CheckAnswerable(const Job& job, int attempt) {
  if (job.state != "active") {
    return absl::FailedPreconditionError(
        absl::StrCat("job ", job.id, " is ", job.state, ", not active"));
  }
  if (attempt > 0 && attempt != job.attempt) {
    return absl::FailedPreconditionError(
        absl::StrCat("attempt: job ", job.id, " was handed out again (attempt ", job.attempt,
                     "); this answers attempt ", attempt, ", whose lock expired"));
  }
  return absl::OkStatus();
}

// The active job a worker's answer is for, with the instance and token waiting on it.
struct AnsweredJob {
  Job* job;
  Instance* inst;
  Token* token;
};
absl::StatusOr<AnsweredJob> FindAnswered(Tx& tx, const JobRef& ref,
                                         const std::map<std::string, int64_t>& sequences) {
  Job* job = tx.GetJob(ref.id);
  if (!job) return MissingJob(ref.id, sequences);
  RETURN_IF_ERROR(CheckAnswerable(*job, ref.attempt));
  Instance* inst = tx.GetInstance(job->instance_id);
  Token* token = inst ? inst->FindToken(job->token) : nullptr;
  if (!token) return absl::FailedPreconditionError(absl::StrCat("job ", ref.id, " was withdrawn"));
  return AnsweredJob{job, inst, token};
}
}  // namespace

int64_t Engine::Impl::OpenActivation(std::vector<std::string> types, std::string worker,
                               int64_t lock_ms, JobSink sink) {
  const int64_t id = next_activation_++;  // only touched on the strand, see below
  boost::asio::post(strand_, [this, id, types = std::move(types), worker = std::move(worker),
                              lock_ms, sink = std::move(sink)]() mutable {
    activations_[id] = Activation{std::move(types), std::move(worker),
                                  lock_ms > 0 ? lock_ms : options_.default_job_lock_ms,
                                  std::move(sink), 0};
  });
  return id;
}

void Engine::Impl::RequestJob(int64_t activation_id) {
  boost::asio::post(strand_, [this, activation_id] {
    auto it = activations_.find(activation_id);
    if (it == activations_.end()) return;
    ++it->second.credits;
    Dispatch();
  });
}

void Engine::Impl::CloseActivation(int64_t activation_id) {
  boost::asio::post(strand_, [this, activation_id] { activations_.erase(activation_id); });
}

void Engine::Impl::Dispatch() {
  if (!store_.Health().ok() || activations_.empty()) return;
  Tx tx(*this, "");
  bool progress = true;
  while (progress) {
    progress = false;
    for (auto& [id, act] : activations_) {
      if (act.credits <= 0) continue;
      for (const auto& type : act.types) {
        auto q = ready_jobs_.find(type);
        if (q == ready_jobs_.end()) continue;
        while (!q->second.empty() && act.credits > 0) {
          int64_t job_id = q->second.front();
          q->second.pop_front();
          Job* job = tx.GetJob(job_id);
          Instance* inst = job && job->state == "activatable" ? tx.GetInstance(job->instance_id)
                                                              : nullptr;
          if (!tx.read_error.ok()) {
            // The job stays ready for the next dispatch; what was handed out so far commits.
            q->second.push_front(job_id);
            Logger("engine")->error("dispatching jobs: {}", tx.read_error.ToString());
            if (!tx.activated.empty()) Commit(tx, json::object(), "", nullptr);
            return;
          }
          if (!job || job->state != "activatable") continue;  // cancelled, or handed out
          if (!inst || inst->state != "active") continue;
          job->state = "active";
          job->worker = act.worker;
          job->attempt += 1;
          job->due_at_ms = tx.now + act.lock_ms;
          Timer lock{0, job->due_at_ms, job->instance_id, TimerKind::kJobLock, job->id, json::object()};
          job->timer = tx.AddTimer(lock);
          tx.Save(*job);
          tx.Event(job->instance_id, "job.activated", job->node,
                   {{"job", job->id}, {"worker", act.worker}});
          tx.activated.push_back({id, {*job, inst->variables}});
          --act.credits;
          progress = true;
          break;  // round-robin: one job per activation per pass
        }
        if (q->second.empty()) ready_jobs_.erase(q);
        if (progress) break;
      }
    }
  }
  if (!tx.activated.empty()) Commit(tx, json::object(), "", nullptr);
}

void Engine::Impl::CompleteJob(Caller caller, CompleteJobRequest request, Reply reply) {
  Execute("CompleteJob", std::move(request.request_id), caller,
          [this, ref = request.job,
           variables = std::move(request.variables)](Tx& tx) -> absl::StatusOr<json> {
    const int64_t job_id = ref.id;
    ASSIGN_OR_RETURN(auto answered, FindAnswered(tx, ref, sequences_));
    auto [job, inst, token] = answered;
    absl::Status size_ok;
    json merged = MergedSize(inst->variables, variables, options_.max_variables_bytes, &size_ok);
    RETURN_IF_ERROR(size_ok);
    inst->variables = std::move(merged);
    tx.DeleteTimer(job->timer);
    tx.DeleteJob(job_id);
    token->job = 0;
    tx.Event(inst->id, "job.completed", job->node, {{"job", job_id}});
    tx.Save(*inst);
    auto def = DefinitionOf(tx, *inst);
    if (!def) return tx.read_error;
    Leave(tx, *inst, token->id, def->Find(token->node)->next);
    return json::object();
  }, std::move(reply));
}

void Engine::Impl::ReleaseJob(int64_t job_id, int attempt) {
  Execute("ReleaseJob", "", Caller{}, [this, job_id, attempt](Tx& tx) -> absl::StatusOr<json> {
    Job* job = tx.GetJob(job_id);
    // Only the hand-out that never arrived: the job may since have timed out, been completed
    // or been handed out again.
    if (!job || job->state != "active" || job->attempt != attempt) return json::object();
    tx.DeleteTimer(job->timer);
    tx.Event(job->instance_id, "job.released", job->node,
             {{"job", job->id}, {"worker", job->worker}});
    Requeue(tx, *job);
    return json::object();
  }, [](absl::StatusOr<json>) {});
}

void Engine::Impl::FailJob(Caller caller, FailJobRequest request, Reply reply) {
  Execute("FailJob", std::move(request.request_id), caller,
          [this, ref = request.job, error = std::move(request.error),
           retries_left = request.retries_left](Tx& tx) -> absl::StatusOr<json> {
    const int64_t job_id = ref.id;
    ASSIGN_OR_RETURN(auto answered, FindAnswered(tx, ref, sequences_));
    auto [job, inst, token] = answered;
    tx.DeleteTimer(job->timer);
    job->timer = 0;
    job->error = error;
    job->worker.clear();
    job->retries_left = retries_left >= 0 ? retries_left : job->retries_left - 1;
    tx.Save(*job);
    if (job->retries_left > 0) {
      // Exponential back-off: backoff, 2×, 4×, … capped.
      int64_t delay = job->backoff_ms;
      for (int i = 1; i < job->attempt && delay < options_.max_backoff_ms; ++i) delay *= 2;
      delay = std::min(delay, options_.max_backoff_ms);
      job->state = "activatable";
      job->due_at_ms = tx.now + delay;
      job->timer = tx.AddTimer({0, job->due_at_ms, job->instance_id, TimerKind::kJobRetry, job_id, {}});
      tx.Event(inst->id, "job.failed", job->node,
               {{"job", job_id}, {"error", error}, {"retry_at_ms", job->due_at_ms},
                {"retries_left", job->retries_left}});
      return json{{"incident", false}, {"retry_at_ms", job->due_at_ms}};
    }
    job->state = "failed";
    tx.Event(inst->id, "job.failed", job->node, {{"job", job_id}, {"error", error}});
    RaiseIncident(tx, *inst, *token, "job-failed",
                  absl::StrCat("job ", job->type, " failed and has no retries left: ", error),
                  job_id);
    return json{{"incident", true}, {"retry_at_ms", 0}};
  }, std::move(reply));
}

void Engine::Impl::Requeue(Tx& tx, Job& job) {
  job.state = "activatable";
  job.worker.clear();
  job.timer = 0;
  job.due_at_ms = tx.now;
  tx.Save(job);
  tx.ready_jobs.emplace_back(job.id, job.type);
}

void Engine::Impl::FireJobTimer(Tx& tx, const Timer& timer) {
  Job* job = tx.GetJob(timer.ref_id);
  if (!job || job->timer != timer.id) return;
  if (timer.kind == TimerKind::kJobLock) {
    if (job->state != "active") return;
    tx.Event(job->instance_id, "job.timed-out", job->node,
             {{"job", job->id}, {"worker", job->worker}});
  }
  Requeue(tx, *job);  // the timer that fired was its only one
}

}  // namespace shequ::engine
