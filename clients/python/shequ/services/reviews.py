from __future__ import annotations

import os
from typing import Iterable, Iterator

from .._rpc import Service, csv_text
from ..v1 import reviews_pb2 as pb, reviews_pb2_grpc as pb_grpc


class Reviews(Service):
    """The annual review (年度考核) of every community worker, one cycle per street office per
    year (id "bh.hp/2026").

    A cycle runs the workflow `annual-review`: per rated worker three steps — the self-report
    (述职), the democratic appraisal (民主评议) and the scores — then the street office's
    sign-off, publication, appeals to the leading group, and the consequences in the registry.
    The step calls (finish_step, sign_off, decide_appeal) complete that step's open task as the
    caller — its role and unit decide who may — and return the review or cycle after it moved.
    A step that cannot be done yet raises FailedPrecondition naming what is missing, and the
    task stays open.

    Ballots are secret: no answer says who chose what; a worker's review shows the tally.
    Enumerated values are accepted in English or Chinese (rating: excellent, competent,
    basically_competent, incompetent, not_rated; step: report, appraisal, scores); answers use
    English. Scores are decimal text with at most one decimal place, 0–100 ("87.5"); dates are
    YYYY-MM-DD."""

    stub = pb_grpc.ReviewsStub

    # ---- cycles

    def open_cycle(self, street_unit_id: str, year: int, *, request_id: str = "") -> pb.Cycle:
        """Opens the street office's cycle for `year` now (it opens by itself on the policy's
        `cycle_opens` day otherwise): every worker on post in the year is listed, those rated
        get their steps. AlreadyExists when the cycle exists."""
        return self._unary("OpenCycle", pb.OpenCycleRequest(
            street_unit_id=street_unit_id, year=year, request_id=request_id))

    def get_cycle(self, cycle_id: str) -> pb.Cycle:
        """The cycle's state (open, signed_off, published, final), its counts of workers and
        finished steps, the sign-off, the notice and appeal windows, and once published the
        final ratings by rating id."""
        return self._unary("GetCycle", pb.GetCycleRequest(cycle_id=cycle_id))

    def list_cycles(self, *, street_unit_id: str = "", year: int = 0) -> list[pb.Cycle]:
        """The cycles of one street ("": every street the caller acts for) and year (0: any)."""
        return list(self._unary("ListCycles", pb.ListCyclesRequest(
            street_unit_id=street_unit_id, year=year)).cycles)

    # ---- workers' reviews

    def get_review(self, cycle_id: str, worker_id: int) -> pb.WorkerReview:
        """One worker's review: the steps' data and status, the tally (never the ballots), the
        result after sign-off, the appeal."""
        return self._unary("GetReview", pb.GetReviewRequest(cycle_id=cycle_id,
                                                            worker_id=worker_id))

    def list_reviews(self, cycle_id: str, *, unit_id: str = "", after_worker_id: int = 0,
                     limit: int = 0) -> pb.ListReviewsResponse:
        """The reviews by worker id after `after_worker_id` (at most `limit`: default 100, at
        most 1000), optionally of the workers reviewed in `unit_id` or under it;
        next_after_worker_id is 0 at the end."""
        return self._unary("ListReviews", pb.ListReviewsRequest(
            cycle_id=cycle_id, unit_id=unit_id, after_worker_id=after_worker_id, limit=limit))

    def iter_reviews(self, cycle_id: str, *, unit_id: str = "",
                     limit: int = 0) -> Iterator[pb.WorkerReview]:
        """Every review list_reviews finds, page after page (`limit` per page)."""
        after = 0
        while True:
            page = self.list_reviews(cycle_id, unit_id=unit_id, after_worker_id=after,
                                     limit=limit)
            yield from page.reviews
            after = page.next_after_worker_id
            if not after:
                return

    def submit_report(self, cycle_id: str, worker_id: int, text: str,
                      attachments: Iterable[str] = (), *,
                      request_id: str = "") -> pb.WorkerReview:
        """The worker's report (述职): its text and references to attachments (document ids,
        URLs; not files). May be given again until the report step is finished."""
        return self._unary("SubmitReport", pb.SubmitReportRequest(
            cycle_id=cycle_id, worker_id=worker_id, text=text, attachments=list(attachments),
            request_id=request_id))

    def cast_ballot(self, cycle_id: str, worker_id: int, choice: str, *,
                    request_id: str = "") -> pb.BallotReceipt:
        """The caller's secret ballot on one worker (a rating other than not_rated); the voter
        kind comes from the caller's role (party-member or resident-representative). A second
        ballot by the same voter is AlreadyExists, one after the box closed
        FailedPrecondition. The receipt says the ballots in the box, never the choice."""
        return self._unary("CastBallot", pb.CastBallotRequest(
            cycle_id=cycle_id, worker_id=worker_id, choice=choice, request_id=request_id))

    def record_scores(self, cycle_id: str, worker_id: int, *, satisfaction: str = "",
                      target: str = "", unexcused_absence_days: int | None = None,
                      grave_error: str | None = None,
                      request_id: str = "") -> pb.WorkerReview:
        """The street office's scores of one worker, until sign-off: resident satisfaction and
        the target assessment (decimal text, "" leaves it as it was), the days of unexcused
        absence (旷工; None leaves it), a grave error (重大失误: what it was; None leaves it, ""
        clears it)."""
        fields = {}
        if unexcused_absence_days is not None:
            fields["unexcused_absence_days"] = unexcused_absence_days
        if grave_error is not None:
            fields["grave_error"] = grave_error
        return self._unary("RecordScores", pb.RecordScoresRequest(
            cycle_id=cycle_id, worker_id=worker_id, satisfaction=satisfaction, target=target,
            request_id=request_id, **fields))

    def finish_step(self, cycle_id: str, worker_id: int, step: str, *, comment: str = "",
                    request_id: str = "") -> pb.WorkerReview:
        """Step: finishes a worker's `step` — report (the worker; needs the report),
        appraisal (the street office; closes the ballot box, needs the policy's ballots and
        share of residents) or scores (the street office; needs all three)."""
        return self._unary("FinishStep", pb.FinishStepRequest(
            cycle_id=cycle_id, worker_id=worker_id, step=step, comment=comment,
            request_id=request_id))

    # ---- results

    def calibrate(self, cycle_id: str) -> pb.CycleResults:
        """The ratings as sign-off would fix them now (composite, overrides, the excellent
        cap), changing nothing; FailedPrecondition listing every missing item."""
        return self._unary("Calibrate", pb.GetCycleRequest(cycle_id=cycle_id))

    def sign_off(self, cycle_id: str, *, comment: str = "", request_id: str = "") -> pb.Cycle:
        """Step (street office): signs the results off (refused while anything is missing);
        they are published at once for the notice period, and appeals open."""
        return self._unary("SignOff", pb.SignOffRequest(cycle_id=cycle_id, comment=comment,
                                                        request_id=request_id))

    def get_results(self, cycle_id: str) -> pb.CycleResults:
        """The signed-off results per worker, with the final rating once final."""
        return self._unary("GetResults", pb.GetCycleRequest(cycle_id=cycle_id))

    def export_results(self, cycle_id: str) -> str:
        """The cycle's results as CSV text (UTF-8, header row), for the notice board and
        files."""
        return self._unary("ExportResults", pb.GetCycleRequest(cycle_id=cycle_id)).csv

    # ---- appeals

    def file_appeal(self, cycle_id: str, worker_id: int, grounds: str, *,
                    request_id: str = "") -> pb.WorkerReview:
        """A worker's appeal (申诉) within the appeal window; the leading group decides."""
        return self._unary("FileAppeal", pb.FileAppealRequest(
            cycle_id=cycle_id, worker_id=worker_id, grounds=grounds, request_id=request_id))

    def decide_appeal(self, cycle_id: str, worker_id: int, upheld: bool, reasons: str, *,
                      rating: str = "", request_id: str = "") -> pb.WorkerReview:
        """Step (leading group), final: upheld sets the worker's `rating`; rejected keeps it.
        The reasons are required."""
        return self._unary("DecideAppeal", pb.DecideAppealRequest(
            cycle_id=cycle_id, worker_id=worker_id, upheld=upheld, rating=rating,
            reasons=reasons, request_id=request_id))

    # ---- oversight and records

    def list_overdue(self, cycle_id: str) -> pb.ListOverdueResponse:
        """The open steps past their due time: `steps` (per step and person) and `per_step`
        (step → count)."""
        return self._unary("ListOverdue", pb.GetCycleRequest(cycle_id=cycle_id))

    def worker_history(self, worker_id: int) -> pb.WorkerHistoryResponse:
        """A worker's ratings by year with what they led to, the qualifying years since the
        last grade step and whether they have promotion priority."""
        return self._unary("WorkerHistory", pb.WorkerHistoryRequest(worker_id=worker_id))

    def import_ratings(self, csv: str | bytes | os.PathLike, *, request_id: str = "") -> int:
        """Imports earlier years' final ratings from CSV text (a str), its bytes, or a file (a
        pathlib.Path), header "worker_id,year,rating" and optionally ",qualifying_years"; returns
        the rows imported. All rows or none: a bad row is InvalidArgument naming row and
        column."""
        return self._unary("ImportRatings", pb.ImportRatingsRequest(
            csv=csv_text(csv), request_id=request_id)).imported
