'use strict';
const { Service, csvText } = require('../rpc');

/** The annual review (年度考核) of every community worker, one cycle per street office per year
 * (id 'bh.hp/2026').
 *
 * A cycle runs the workflow `annual-review`: per rated worker three steps — the self-report (述职),
 * the democratic appraisal (民主评议) and the scores — then the street office's sign-off,
 * publication, appeals to the leading group, and the consequences in the registry. The step calls
 * (finishStep, signOff, decideAppeal) complete that step's open task as the caller — its role and
 * unit decide who may — and resolve to the review or cycle after it moved. A step that cannot be
 * done yet rejects with FailedPrecondition naming what is missing, and the task stays open.
 *
 * Ballots are secret: no answer says who chose what; a worker's review shows the tally.
 * Enumerated values are accepted in English or Chinese (rating: excellent, competent,
 * basically_competent, incompetent, not_rated; step: report, appraisal, scores); answers use
 * English. Scores are decimal text with at most one decimal place, 0–100 ('87.5'); dates are
 * YYYY-MM-DD. */
class Reviews extends Service {
  constructor(client) {
    super(client, 'Reviews');
  }

  // ---- cycles

  /** Opens the street office's cycle for `year` now (it opens by itself on the policy's
   * `cycle_opens` day otherwise): every worker on post in the year is listed, those rated get
   * their steps. AlreadyExists when the cycle exists. */
  openCycle(streetUnitId, year, { requestId = '' } = {}) {
    return this._unary('OpenCycle', { streetUnitId, year, requestId });
  }

  /** The cycle's state (open, signed_off, published, final), its counts of workers and finished
   * steps, the sign-off, the notice and appeal windows, and once published the final ratings by
   * rating id. */
  getCycle(cycleId) {
    return this._unary('GetCycle', { cycleId });
  }

  /** The cycles of one street ('': every street the caller acts for) and year (0: any). */
  async listCycles({ streetUnitId = '', year = 0 } = {}) {
    return (await this._unary('ListCycles', { streetUnitId, year })).cycles;
  }

  // ---- workers' reviews

  /** One worker's review: the steps' data and status, the tally (never the ballots), the result
   * after sign-off, the appeal. */
  getReview(cycleId, workerId) {
    return this._unary('GetReview', { cycleId, workerId });
  }

  /** The reviews by worker id after afterWorkerId (at most limit: default 100, at most 1000),
   * optionally of the workers reviewed in unitId or under it; resolves to { reviews,
   * nextAfterWorkerId } (0 at the end). */
  listReviews(cycleId, { unitId = '', afterWorkerId = 0, limit = 0 } = {}) {
    return this._unary('ListReviews', { cycleId, unitId, afterWorkerId, limit });
  }

  /** Every review listReviews finds, page after page (limit per page). */
  async* allReviews(cycleId, { unitId = '', limit = 0 } = {}) {
    let afterWorkerId = 0;
    do {
      const page = await this.listReviews(cycleId, { unitId, afterWorkerId, limit });
      yield* page.reviews;
      afterWorkerId = page.nextAfterWorkerId;
    } while (afterWorkerId);
  }

  /** The worker's report (述职): its text and references to attachments (document ids, URLs; not
   * files). May be given again until the report step is finished. */
  submitReport(cycleId, workerId, text, attachments = [], { requestId = '' } = {}) {
    return this._unary('SubmitReport', { cycleId, workerId, text, attachments, requestId });
  }

  /** The caller's secret ballot on one worker (a rating other than not_rated); the voter kind
   * comes from the caller's role (party-member or resident-representative). A second ballot by the
   * same voter is AlreadyExists, one after the box closed FailedPrecondition. The receipt says the
   * ballots in the box, never the choice. */
  castBallot(cycleId, workerId, choice, { requestId = '' } = {}) {
    return this._unary('CastBallot', { cycleId, workerId, choice, requestId });
  }

  /** The street office's scores of one worker, until sign-off: resident satisfaction and the
   * target assessment (decimal text, '' leaves it as it was), the days of unexcused absence (旷工;
   * undefined leaves it), a grave error (重大失误: what it was; undefined leaves it, '' clears
   * it). */
  recordScores(cycleId, workerId, {
    satisfaction = '', target = '', unexcusedAbsenceDays, graveError, requestId = '',
  } = {}) {
    const request = { cycleId, workerId, satisfaction, target, requestId };
    if (unexcusedAbsenceDays !== undefined && unexcusedAbsenceDays !== null) {
      request.unexcusedAbsenceDays = unexcusedAbsenceDays;
    }
    if (graveError !== undefined && graveError !== null) request.graveError = graveError;
    return this._unary('RecordScores', request);
  }

  /** Step: finishes a worker's step — 'report' (the worker; needs the report), 'appraisal' (the
   * street office; closes the ballot box, needs the policy's ballots and share of residents) or
   * 'scores' (the street office; needs all three). */
  finishStep(cycleId, workerId, step, { comment = '', requestId = '' } = {}) {
    return this._unary('FinishStep', { cycleId, workerId, step, comment, requestId });
  }

  // ---- results

  /** The ratings as sign-off would fix them now (composite, overrides, the excellent cap),
   * changing nothing; FailedPrecondition listing every missing item. */
  calibrate(cycleId) {
    return this._unary('Calibrate', { cycleId });
  }

  /** Step (street office): signs the results off (refused while anything is missing); they are
   * published at once for the notice period, and appeals open. */
  signOff(cycleId, { comment = '', requestId = '' } = {}) {
    return this._unary('SignOff', { cycleId, comment, requestId });
  }

  /** The signed-off results per worker, with the final rating once final. */
  getResults(cycleId) {
    return this._unary('GetResults', { cycleId });
  }

  /** Resolves to the cycle's results as CSV text (UTF-8, header row). */
  async exportResults(cycleId) {
    return (await this._unary('ExportResults', { cycleId })).csv;
  }

  // ---- appeals

  /** A worker's appeal (申诉) within the appeal window; the leading group decides. */
  fileAppeal(cycleId, workerId, grounds, { requestId = '' } = {}) {
    return this._unary('FileAppeal', { cycleId, workerId, grounds, requestId });
  }

  /** Step (leading group), final: upheld sets the worker's rating; rejected keeps it. The reasons
   * are required. */
  decideAppeal(cycleId, workerId, upheld, reasons, { rating = '', requestId = '' } = {}) {
    return this._unary('DecideAppeal', { cycleId, workerId, upheld, rating, reasons, requestId });
  }

  // ---- oversight and records

  /** The open steps past their due time: { steps (per step and person), perStep (step →
   * count) }. */
  listOverdue(cycleId) {
    return this._unary('ListOverdue', { cycleId });
  }

  /** A worker's ratings by year with what they led to, the qualifying years since the last grade
   * step and whether they have promotion priority. */
  workerHistory(workerId) {
    return this._unary('WorkerHistory', { workerId });
  }

  /** Imports earlier years' final ratings from CSV text, a Buffer, or { path } of a file, header
   * 'worker_id,year,rating' and optionally ',qualifying_years'; resolves to the rows imported. All rows or none: a bad row is
   * InvalidArgument naming row and column. */
  async importRatings(csv, { requestId = '' } = {}) {
    return (await this._unary('ImportRatings', { csv: csvText(csv), requestId })).imported;
  }
}

module.exports = Reviews;
