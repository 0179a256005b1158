#pragma once

// shequ.v1.Reviews: the annual review over gRPC (proto/shequ/v1/reviews.proto).

#include <string>
#include <vector>

#include "daemon/modules/reviews/durable_reviews.h"
#include "daemon/server/services.h"
#include "shequ/v1/reviews.grpc.pb.h"

namespace shequ::modules::reviews {

class ReviewsService final : public v1::Reviews::CallbackService {
 public:
  ReviewsService(server::ServiceContext& c, DurableReviews& reviews,
                 const workforce::DurableRegistry& registry)
      : c_(c), rev_(reviews), registry_(registry) {}

  using Ctx = grpc::CallbackServerContext;
  using Reactor = grpc::ServerUnaryReactor;
  Reactor* OpenCycle(Ctx*, const v1::OpenCycleRequest*, v1::Cycle*) override;
  Reactor* GetCycle(Ctx*, const v1::GetCycleRequest*, v1::Cycle*) override;
  Reactor* ListCycles(Ctx*, const v1::ListCyclesRequest*, v1::ListCyclesResponse*) override;
  Reactor* GetReview(Ctx*, const v1::GetReviewRequest*, v1::WorkerReview*) override;
  Reactor* ListReviews(Ctx*, const v1::ListReviewsRequest*, v1::ListReviewsResponse*) override;
  Reactor* SubmitReport(Ctx*, const v1::SubmitReportRequest*, v1::WorkerReview*) override;
  Reactor* CastBallot(Ctx*, const v1::CastBallotRequest*, v1::BallotReceipt*) override;
  Reactor* RecordScores(Ctx*, const v1::RecordScoresRequest*, v1::WorkerReview*) override;
  Reactor* FinishStep(Ctx*, const v1::FinishStepRequest*, v1::WorkerReview*) override;
  Reactor* Calibrate(Ctx*, const v1::GetCycleRequest*, v1::CycleResults*) override;
  Reactor* SignOff(Ctx*, const v1::SignOffRequest*, v1::Cycle*) override;
  Reactor* GetResults(Ctx*, const v1::GetCycleRequest*, v1::CycleResults*) override;
  Reactor* ExportResults(Ctx*, const v1::GetCycleRequest*, v1::ExportResultsResponse*) override;
  Reactor* FileAppeal(Ctx*, const v1::FileAppealRequest*, v1::WorkerReview*) override;
  Reactor* DecideAppeal(Ctx*, const v1::DecideAppealRequest*, v1::WorkerReview*) override;
  Reactor* ListOverdue(Ctx*, const v1::GetCycleRequest*, v1::ListOverdueResponse*) override;
  Reactor* WorkerHistory(Ctx*, const v1::WorkerHistoryRequest*,
                         v1::WorkerHistoryResponse*) override;
  Reactor* ImportRatings(Ctx*, const v1::ImportRatingsRequest*,
                         v1::ImportRatingsResponse*) override;

 private:
  // PERMISSION_DENIED unless the caller acts for the cycle's street office.
  absl::Status RequireCycleScope(const engine::Caller& caller, const std::string& cycle_id) const;
  // Whether the caller may see or act on a worker's sheet: a worker only their own; staff for
  // the reviewing unit (or, reading, the informed home unit).
  absl::Status SheetScope(const engine::Caller& caller, const Sheet& sheet, bool reading) const;
  DurableReviews::SheetCheck ScopeCheck(const engine::Caller& caller) const;
  absl::Status FillCycle(const std::string& id, v1::Cycle* out) const;
  absl::Status FillReview(const std::string& cycle_id, int64_t worker_id,
                          v1::WorkerReview* out) const;
  void FillReview(const CycleInfo& cycle, const Sheet& sheet, v1::WorkerReview* out) const;
  absl::Status FillResults(const std::string& cycle_id, v1::CycleResults* out) const;
  server::ServiceContext& c_;
  DurableReviews& rev_;
  const workforce::DurableRegistry& registry_;
};

}  // namespace shequ::modules::reviews
