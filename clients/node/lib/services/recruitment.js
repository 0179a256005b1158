'use strict';
const { Service, csvText } = require('../rpc');

/** Open recruitment (公开招聘) inside the quota, from the announcement to hired workers.
 *
 * A campaign runs the workflow `recruitment`: the step calls (approveCampaign, finishReview,
 * decideShortfall, shortlist, rank, startNotice, decideObjection) complete the campaign's open
 * task for that step as the caller — its role and unit decide who may — and resolve to the
 * campaign after it moved. A step the campaign refuses rejects with FailedPrecondition and the
 * reason, and the task stays open. The street office of the campaign's street keeps its records
 * (review, scores, checks, withdrawals); anyone may apply or file an objection.
 *
 * Personal data in applications comes back masked unless the caller has one of the daemon's
 * `workforce.personal_data_roles`. Enumerated values (state, status, source, education) are
 * accepted in English or Chinese; scores are decimal text ('87.5'); dates are YYYY-MM-DD. */
class Recruitment extends Service {
  constructor(client) {
    super(client, 'Recruitment');
  }

  // ---- campaigns

  /** Checks the announcement and the quota, reserves the posts in the registry (all or none;
   * FailedPrecondition beyond the vacancies) and starts the workflow, whose first task is the
   * leading group's approval. campaign: e.g. { id: 'hp-2026', streetUnitId: 'bh.hp', title: '…',
   * opens: '2026-03-02', closes: '2026-03-06', posts: [{ id: 'P01', unitId: 'bh.hp.xf',
   * post: 'assistant', count: 1 }] }; without requirements the policy's defaults apply. */
  createCampaign(campaign, { requestId = '' } = {}) {
    return this._unary('CreateCampaign', { campaign, requestId });
  }

  /** The campaign's state, funnel (applied → … → hired), time in each state, shortfalls, open
   * steps (the tasks waiting, with role and due date) and hired workers. */
  getCampaign(id) {
    return this._unary('GetCampaign', { id });
  }

  async listCampaigns({ streetUnitId = '', state = '' } = {}) {
    return (await this._unary('ListCampaigns', { streetUnitId, state })).campaigns;
  }

  /** Step (leading group): 'approved' publishes the announcement; 'rejected' releases the
   * reserved posts. */
  approveCampaign(campaignId, outcome = 'approved', { comment = '', requestId = '' } = {}) {
    return this._step('ApproveCampaign', campaignId, outcome, comment, requestId);
  }

  // ---- applications and eligibility

  /** Files an application while the campaign is published and today is within the window;
   * resolves to its id (报名号). application: postId, name, idNumber, phone, education,
   * certificates, source, categories (bonus), communitySince. One per person per campaign
   * (AlreadyExists); a bad field is InvalidArgument naming it. */
  async apply(campaignId, application, { requestId = '' } = {}) {
    return (await this._unary('Apply', { campaignId, application, requestId })).applicationId;
  }

  /** The applications by id after afterId (at most limit: default 100, at most 1000),
   * optionally of one post or status. */
  async listApplications(campaignId, { postId = '', status = '', afterId = 0, limit = 0 } = {}) {
    return (await this._unary('ListApplications', { campaignId, postId, status, afterId, limit })).applications;
  }

  /** Confirms or overturns the automatic eligibility result; a refusal needs a reason, which the
   * applicant sees in `refusals`. */
  reviewApplication(campaignId, applicationId, eligible, reason = '', { requestId = '' } = {}) {
    return this._unary('ReviewApplication', { campaignId, applicationId, eligible, reason, requestId });
  }

  /** Step (street office): the eligibility review is done. With too few eligible applicants on a
   * post the campaign stays applications_closed with `shortfalls`, and the leading group decides
   * (decideShortfall). */
  finishReview(campaignId, { comment = '', requestId = '' } = {}) {
    return this._step('FinishReview', campaignId, '', comment, requestId);
  }

  /** Step (leading group): cut posts — `cut` maps post id → the count left, 0 drops the post,
   * e.g. { P02: 0 } (or is a list of { postId, count }); their reservations are released — or
   * reopen applications until extendUntil. */
  decideShortfall(campaignId, { cut = {}, extendUntil = '', comment = '', requestId = '' } = {}) {
    const cuts = Array.isArray(cut) ? cut : Object.entries(cut).map(([postId, count]) => ({ postId, count }));
    return this._unary('DecideShortfall', { campaignId, cut: cuts, extendUntil, comment, requestId });
  }

  // ---- scores and ranking

  /** Imports written or interview scores (the campaign's state says which) from CSV text, a
   * Buffer, or { path } of a file; resolves to the rows imported. Header 报名号/application_id or
   * 身份证号/id_number, and 笔试成绩/written or 面试成绩/interview; a blank score or 缺考 marks
   * absence. All rows or none: a bad row is InvalidArgument naming row and column. */
  async importScores(campaignId, csv, { requestId = '' } = {}) {
    return (await this._unary('ImportScores', { campaignId, csv: csvText(csv), requestId })).rows;
  }

  /** Step: the written scores are in; shortlists the best posts × shortlist_ratio per post for
   * the interview (ties at the cut line all go through). */
  shortlist(campaignId, { comment = '', requestId = '' } = {}) {
    return this._step('Shortlist', campaignId, '', comment, requestId);
  }

  /** Step: the interview scores are in; ranks each post by composite score (weights plus bonus,
   * then the tie-break order) and selects the candidates for the checks. */
  rank(campaignId, { comment = '', requestId = '' } = {}) {
    return this._step('Rank', campaignId, '', comment, requestId);
  }

  /** The post's ranked applications, best first, with scores, rank and status. */
  async getRanking(campaignId, postId = '') {
    return (await this._unary('GetRanking', { campaignId, postId })).applications;
  }

  // ---- checks, notice and objections

  /** Records a physical examination or background check (kind); a failure (which needs a reason)
   * removes the candidate and promotes the next on the ranking (递补): removedId, promotedId
   * (0: nobody left). */
  recordCheck(campaignId, applicationId, kind, passed, reason = '', { requestId = '' } = {}) {
    return this._unary('RecordCheck', { campaignId, applicationId, kind, passed, reason, requestId });
  }

  /** A candidate withdraws: removed, and the next on the ranking is promoted. */
  withdraw(campaignId, applicationId, reason, { requestId = '' } = {}) {
    return this._unary('Withdraw', { campaignId, applicationId, reason, requestId });
  }

  /** Step: the checks are done; the candidates who passed go into public notice (公示) for the
   * policy's notice_working_days, after which the workflow hires them. */
  startNotice(campaignId, { comment = '', requestId = '' } = {}) {
    return this._step('StartNotice', campaignId, '', comment, requestId);
  }

  /** An objection to a candidate during the notice; opens an investigation task (workflow
   * `recruitment-objection`) for the street office. */
  fileObjection(campaignId, applicationId, text, { requestId = '' } = {}) {
    return this._unary('FileObjection', { campaignId, applicationId, text, requestId });
  }

  /** Completes the investigation: upheld removes the candidate and promotes the next; dismissed
   * keeps them. */
  decideObjection(campaignId, objectionId, upheld, reason, { requestId = '' } = {}) {
    return this._unary('DecideObjection', { campaignId, objectionId, upheld, reason, requestId });
  }

  _step(method, campaignId, outcome, comment, requestId) {
    return this._unary(method, { campaignId, outcome, comment, requestId });
  }
}

module.exports = Recruitment;
