from __future__ import annotations

import os
from typing import Iterable, Mapping

from .._rpc import Service, csv_text, message as _message
from ..v1 import recruitment_pb2 as pb, recruitment_pb2_grpc as pb_grpc


class Recruitment(Service):
    """Open recruitment (公开招聘) inside the quota, from the announcement to hired workers.

    A campaign runs the workflow `recruitment`: the step calls (approve_campaign, finish_review,
    decide_shortfall, shortlist, rank, start_notice, decide_objection) complete the campaign's
    open task for that step as the caller — its role and unit decide who may — and return the
    campaign after it moved. A step the campaign refuses raises FailedPrecondition with the
    reason, and the task stays open. The street office of the campaign's street keeps its
    records (review, scores, checks, withdrawals); anyone may apply or file an objection.

    Personal data in applications comes back masked unless the caller has one of the daemon's
    `workforce.personal_data_roles`. Enumerated values (state, status, source, education) are
    accepted in English or Chinese; scores are decimal text ("87.5"); dates are YYYY-MM-DD."""

    stub = pb_grpc.RecruitmentStub

    # ---- campaigns

    def create_campaign(self, campaign: pb.CampaignSpec | dict, *,
                        request_id: str = "") -> pb.Campaign:
        """Checks the announcement and the quota, reserves the posts in the registry (all or
        none; FailedPrecondition beyond the vacancies) and starts the workflow, whose first task
        is the leading group's approval. campaign: a CampaignSpec or its fields, e.g.
        {"id": "hp-2026", "street_unit_id": "bh.hp", "title": "…", "opens": "2026-03-02",
        "closes": "2026-03-06", "posts": [{"id": "P01", "unit_id": "bh.hp.xf",
        "post": "assistant", "count": 1}]}; without "requirements" the policy's defaults apply."""
        return self._unary("CreateCampaign", pb.CreateCampaignRequest(
            campaign=_message(pb.CampaignSpec, campaign), request_id=request_id))

    def get_campaign(self, id: str) -> pb.Campaign:
        """The campaign's state, funnel (applied → … → hired), time in each state, shortfalls,
        open steps (the tasks waiting, with role and due date) and hired workers."""
        return self._unary("GetCampaign", pb.GetCampaignRequest(id=id))

    def list_campaigns(self, *, street_unit_id: str = "", state: str = "") -> list[pb.Campaign]:
        return list(self._unary("ListCampaigns", pb.ListCampaignsRequest(
            street_unit_id=street_unit_id, state=state)).campaigns)

    def approve_campaign(self, campaign_id: str, outcome: str = "approved", *, comment: str = "",
                         request_id: str = "") -> pb.Campaign:
        """Step (leading group): "approved" publishes the announcement; "rejected" releases the
        reserved posts."""
        return self._step("ApproveCampaign", campaign_id, outcome, comment, request_id)

    # ---- applications and eligibility

    def apply(self, campaign_id: str, application: pb.Application | dict, *,
              request_id: str = "") -> int:
        """Files an application while the campaign is published and today is within the window;
        returns its id (报名号). application: post_id, name, id_number, phone, education,
        certificates, source, categories (bonus), community_since. One per person per campaign
        (AlreadyExists); a bad field is InvalidArgument naming it."""
        return self._unary("Apply", pb.ApplyRequest(
            campaign_id=campaign_id, application=_message(pb.Application, application),
            request_id=request_id)).application_id

    def list_applications(self, campaign_id: str, *, post_id: str = "", status: str = "",
                          after_id: int = 0, limit: int = 0) -> list[pb.Application]:
        """The applications by id after `after_id` (at most `limit`: default 100, at most
        1000), optionally of one post or status."""
        return list(self._unary("ListApplications", pb.ListApplicationsRequest(
            campaign_id=campaign_id, post_id=post_id, status=status, after_id=after_id,
            limit=limit)).applications)

    def review_application(self, campaign_id: str, application_id: int, eligible: bool,
                           reason: str = "", *, request_id: str = "") -> pb.Application:
        """Confirms or overturns the automatic eligibility result; a refusal needs a reason,
        which the applicant sees in `refusals`."""
        return self._unary("ReviewApplication", pb.ReviewApplicationRequest(
            campaign_id=campaign_id, application_id=application_id, eligible=eligible,
            reason=reason, request_id=request_id))

    def finish_review(self, campaign_id: str, *, comment: str = "",
                      request_id: str = "") -> pb.Campaign:
        """Step (street office): the eligibility review is done. With too few eligible
        applicants on a post the campaign stays applications_closed with `shortfalls`, and the
        leading group decides (decide_shortfall)."""
        return self._step("FinishReview", campaign_id, "", comment, request_id)

    def decide_shortfall(self, campaign_id: str, *,
                         cut: Mapping[str, int] | Iterable[pb.PostCount | dict] = (),
                         extend_until: str = "", comment: str = "",
                         request_id: str = "") -> pb.Campaign:
        """Step (leading group): cut posts — `cut` maps post id → the count left, 0 drops the
        post, e.g. {"P02": 0}; their reservations are released — or reopen applications until
        `extend_until`."""
        if isinstance(cut, Mapping):
            cuts = [pb.PostCount(post_id=post, count=count) for post, count in cut.items()]
        else:
            cuts = [_message(pb.PostCount, c) for c in cut]
        return self._unary("DecideShortfall", pb.DecideShortfallRequest(
            campaign_id=campaign_id, cut=cuts, extend_until=extend_until, comment=comment,
            request_id=request_id))

    # ---- scores and ranking

    def import_scores(self, campaign_id: str, csv: str | bytes | os.PathLike, *,
                      request_id: str = "") -> int:
        """Imports written or interview scores (the campaign's state says which) from CSV text
        (a str), its bytes, or a file (a pathlib.Path); returns the rows imported. Header
        报名号/application_id or 身份证号/id_number, and 笔试成绩/written or 面试成绩/interview; a
        blank score or 缺考 marks absence. All rows or none: a bad row is InvalidArgument naming
        row and column."""
        return self._unary("ImportScores", pb.ImportScoresRequest(
            campaign_id=campaign_id, csv=csv_text(csv), request_id=request_id)).rows

    def shortlist(self, campaign_id: str, *, comment: str = "",
                  request_id: str = "") -> pb.Campaign:
        """Step: the written scores are in; shortlists the best posts × shortlist_ratio per post
        for the interview (ties at the cut line all go through)."""
        return self._step("Shortlist", campaign_id, "", comment, request_id)

    def rank(self, campaign_id: str, *, comment: str = "", request_id: str = "") -> pb.Campaign:
        """Step: the interview scores are in; ranks each post by composite score (weights plus
        bonus, then the tie-break order) and selects the candidates for the checks."""
        return self._step("Rank", campaign_id, "", comment, request_id)

    def get_ranking(self, campaign_id: str, post_id: str = "") -> list[pb.Application]:
        """The post's ranked applications, best first, with scores, rank and status."""
        return list(self._unary("GetRanking", pb.GetRankingRequest(
            campaign_id=campaign_id, post_id=post_id)).applications)

    # ---- checks, notice and objections

    def record_check(self, campaign_id: str, application_id: int, kind: str, passed: bool,
                     reason: str = "", *, request_id: str = "") -> pb.CheckResponse:
        """Records a physical examination or background check (`kind`); a failure (which needs
        a reason) removes the candidate and promotes the next on the ranking (递补):
        removed_id, promoted_id (0: nobody left)."""
        return self._unary("RecordCheck", pb.RecordCheckRequest(
            campaign_id=campaign_id, application_id=application_id, kind=kind, passed=passed,
            reason=reason, request_id=request_id))

    def withdraw(self, campaign_id: str, application_id: int, reason: str, *,
                 request_id: str = "") -> pb.CheckResponse:
        """A candidate withdraws: removed, and the next on the ranking is promoted."""
        return self._unary("Withdraw", pb.WithdrawRequest(
            campaign_id=campaign_id, application_id=application_id, reason=reason,
            request_id=request_id))

    def start_notice(self, campaign_id: str, *, comment: str = "",
                     request_id: str = "") -> pb.Campaign:
        """Step: the checks are done; the candidates who passed go into public notice (公示)
        for the policy's notice_working_days, after which the workflow hires them."""
        return self._step("StartNotice", campaign_id, "", comment, request_id)

    def file_objection(self, campaign_id: str, application_id: int, text: str, *,
                       request_id: str = "") -> pb.Objection:
        """An objection to a candidate during the notice; opens an investigation task
        (workflow `recruitment-objection`) for the street office."""
        return self._unary("FileObjection", pb.FileObjectionRequest(
            campaign_id=campaign_id, application_id=application_id, text=text,
            request_id=request_id))

    def decide_objection(self, campaign_id: str, objection_id: int, upheld: bool, reason: str,
                         *, request_id: str = "") -> pb.Objection:
        """Completes the investigation: upheld removes the candidate and promotes the next;
        dismissed keeps them."""
        return self._unary("DecideObjection", pb.DecideObjectionRequest(
            campaign_id=campaign_id, objection_id=objection_id, upheld=upheld, reason=reason,
            request_id=request_id))

    def _step(self, method: str, campaign_id: str, outcome: str, comment: str,
              request_id: str) -> pb.Campaign:
        return self._unary(method, pb.StepRequest(campaign_id=campaign_id, outcome=outcome,
                                                  comment=comment, request_id=request_id))
