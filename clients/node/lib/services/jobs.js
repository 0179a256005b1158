'use strict';
const { Service, toJson } = require('../rpc');

/** Raw job calls. Most integrations want `client.worker(...)` instead. */
class Jobs extends Service {
  constructor(client) {
    super(client, 'Jobs');
  }

  /** Jobs of `types` as they become due, each locked to you for timeoutMs. waitForReady: while
   * the daemon is unreachable, wait for it instead of failing at once. */
  activate(types, worker, { maxJobs = 0, timeoutMs = 0, longPollMs = 0, waitForReady = false } = {}) {
    return this._stream('Activate', { types, worker, maxJobs, timeoutMs, longPollMs }, { waitForReady });
  }

  /** attempt: the job's attempt being answered; once the job was handed out again (its lock
   * expired) that answer is refused with FailedPrecondition. 0: not checked. */
  async complete(jobId, variables, { requestId = '', attempt = 0 } = {}) {
    await this._unary('Complete', { jobId, variables: toJson(variables), requestId, attempt });
  }

  /** retriesLeft -1 lets the engine count down (retry with back-off, then an incident); 0
   * raises the incident now. attempt: as in complete(). */
  fail(jobId, error, { retriesLeft = -1, requestId = '', attempt = 0 } = {}) {
    return this._unary('Fail', { jobId, error, retriesLeft, requestId, attempt });
  }
}

module.exports = Jobs;
