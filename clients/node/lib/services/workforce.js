'use strict';
const fs = require('fs');
const { Service } = require('../rpc');
const { fromGrpcError } = require('../errors');

const CHUNK_SIZE = 64 << 10; // bytes per ImportRoster chunk

/** 'idNumber' → 'id_number': update masks name the .proto fields. */
const snake = (name) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** The workforce registry: units, quotas, workers, roster import/export and reports.
 *
 * Personal data (name, ID number, phone) comes back masked unless the caller has one of the
 * daemon's `workforce.personal_data_roles` (by default `personnel`, `district-admin`);
 * `worker.masked` says which. Enumerated values are accepted in English or Chinese. */
class Workforce extends Service {
  constructor(client) {
    super(client, 'Workforce');
  }

  // ---- units

  /** unit: e.g. { id: 'bh.hp', parentId: 'bh', name: '和平街道', kind: 'street', unitClass: 1 }. */
  createUnit(unit, { reason = '', requestId = '' } = {}) {
    return this._unary('CreateUnit', { unit, reason, requestId });
  }

  /** unit.id names the unit; every other field replaces the stored one. */
  updateUnit(unit, { reason = '', requestId = '' } = {}) {
    return this._unary('UpdateUnit', { unit, reason, requestId });
  }

  getUnit(id) {
    return this._unary('GetUnit', { id });
  }

  /** The unit (default: the district) and everything below it, parents first. */
  async unitTree(rootId = '') {
    return (await this._unary('UnitTree', { rootId })).units;
  }

  // ---- quota

  /** What the policy gives the unit today: a proposal, nothing is recorded. */
  computeQuota(unitId) {
    return this._unary('ComputeQuota', { unitId });
  }

  /** Records an approved quota revision, effective from a date (YYYY-MM-DD). */
  // The establishment committee's revision; approvalDocument (文号) is required, and the daemon
  // records the caller as the approver.
  reviseQuota(unitId, approved, effectiveFrom, reason, { approvalDocument = '', requestId = '' } = {}) {
    return this._unary('ReviseQuota', { unitId, approved, effectiveFrom, reason, approvalDocument, requestId });
  }

  async quotaHistory(unitId) {
    return (await this._unary('QuotaHistory', { unitId })).revisions;
  }

  // ---- workers

  createWorker(worker, { requestId = '' } = {}) {
    return this._unary('CreateWorker', { worker, requestId });
  }

  /** Replaces the fields named by the keys of `changes` (the update mask), e.g.
   * updateWorker(7, { grade: 6, post: 'deputy' }, { reason: '晋升' }). unitId and status change
   * only through transferWorker and changeStatus. */
  updateWorker(workerId, changes, { reason = '', requestId = '' } = {}) {
    return this._unary('UpdateWorker', {
      worker: { ...changes, id: workerId }, updateMask: Object.keys(changes).map(snake), reason, requestId,
    });
  }

  getWorker(id) {
    return this._unary('GetWorker', { id });
  }

  /** One page of the workers in unitId's subtree (the district when ''), by id. */
  listWorkers({ unitId = '', status = '', post = '', employment = '', reserveCadreOnly = false, search = '',
    pageSize = 0, pageToken = '' } = {}) {
    return this._unary('ListWorkers', {
      unitId, status, post, employment, reserveCadreOnly, search, page: { pageSize, pageToken },
    });
  }

  /** Every worker listWorkers(filter) finds, page after page. */
  async *allWorkers(filter = {}) {
    let pageToken = '';
    do {
      const page = await this.listWorkers({ ...filter, pageToken });
      yield* page.workers;
      pageToken = page.nextPageToken;
    } while (pageToken);
  }

  /** A filed transfer; FailedPrecondition when the target has no free quota post. */
  transferWorker(workerId, toUnit, reason, { date = '', requestId = '' } = {}) {
    return this._unary('TransferWorker', { workerId, toUnit, reason, date, requestId });
  }

  changeStatus(workerId, status, reason, { date = '', requestId = '' } = {}) {
    return this._unary('ChangeWorkerStatus', { workerId, status, reason, date, requestId });
  }

  /** Labour dispatch → contract community worker (3+ years, within quota and the 10% cap). */
  convertDispatch(workerId, reason = '', { date = '', requestId = '' } = {}) {
    return this._unary('ConvertDispatch', { workerId, reason, date, requestId });
  }

  // ---- import and export

  /** Sends a roster CSV (a Buffer, or the path of a file) in chunks. All rows or none: a bad row
   * rejects with InvalidArgument naming its row and column. dryRun validates everything and
   * stores nothing. onProgress(sent, total) is called after each chunk is written. */
  importRoster(roster, { dryRun = false, requestId = '', chunkSize = CHUNK_SIZE, onProgress, timeoutMs } = {}) {
    const data = typeof roster === 'string' ? fs.readFileSync(roster) : Buffer.from(roster);
    const ms = timeoutMs !== undefined ? timeoutMs : this._client.timeoutMs;
    const options = ms ? { deadline: Date.now() + ms } : {};
    return new Promise((resolve, reject) => {
      let answered = false; // the daemon may refuse before it has read everything
      const call = this._stub.ImportRoster(this._client.metadata(), options, (err, response) => {
        answered = true;
        if (err) reject(fromGrpcError(err, { hasToken: Boolean(this._client.token) }));
        else resolve(response);
      });
      let at = 0;
      const writeMore = () => {
        do {
          if (answered) return;
          const piece = data.subarray(at, at + chunkSize);
          const first = at === 0;
          at += piece.length;
          const more = call.write({ data: piece, requestId: first ? requestId : '', dryRun: first && dryRun });
          if (onProgress) onProgress(at, data.length);
          if (at >= data.length) {
            call.end();
            return;
          }
          if (!more) {
            call.once('drain', writeMore); // flow control: wait until the chunk left
            return;
          }
        } while (true); // eslint-disable-line no-constant-condition
      };
      writeMore();
    });
  }

  /** The roster (what 'roster'), or the 'occupancy' or 'pay_parity' report, as CSV text.
   * Personal data in the roster is masked as for every other read. */
  async export(what = 'roster', { unitId = '' } = {}) {
    const parts = [];
    for await (const chunk of this._stream('Export', { what, unitId })) parts.push(chunk.data);
    return Buffer.concat(parts).toString('utf8');
  }

  // ---- reports and history

  /** Approved, occupied, vacant, over-quota and hollow posts, pre-order from unitId; rows[0].subtree
   * is the total. */
  occupancy({ unitId = '', date = '' } = {}) {
    return this._unary('Occupancy', { unitId, date });
  }

  /** Average pay per post and grade by street office, flagging "same work, different pay". */
  payParity() {
    return this._unary('PayParity', {});
  }

  /** Who changed what, when and why, for one worker or one unit (give one of them). */
  async history({ workerId = 0, unitId = '', afterSeq = 0, limit = 0 } = {}) {
    return (await this._unary('History', { workerId, unitId, afterSeq, limit })).changes;
  }
}

module.exports = Workforce;
