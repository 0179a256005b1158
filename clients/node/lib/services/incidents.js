'use strict';
const { Service, toJson } = require('../rpc');

class Incidents extends Service {
  constructor(client) {
    super(client, 'Incidents');
  }

  /** Open incidents unless `state` says otherwise (resolved, closed). */
  list({ state = '', instanceId = 0, pageSize = 0, pageToken = '' } = {}) {
    return this._unary('List', { state, instanceId, page: { pageSize, pageToken } });
  }

  /** Retries what failed (a job gets `retries` new attempts) after merging variables. */
  async resolve(id, { retries = 0, variables, requestId = '' } = {}) {
    await this._unary('Resolve', { id, retries, variables: toJson(variables), requestId });
  }
}

module.exports = Incidents;
