'use strict';
const { Service, toJson } = require('../rpc');

const ENDED = ['completed', 'cancelled', 'failed'];

/** Workflow instances: start, look up, cancel, message, watch. */
class Instances extends Service {
  constructor(client) {
    super(client, 'Instances');
  }

  start(definitionId, variables, { businessKey = '', unit = '', version = 0, requestId = '' } = {}) {
    return this._unary('Start', {
      definitionId, version, businessKey, unit, variables: toJson(variables), requestId,
    });
  }

  get(id) {
    return this._unary('Get', { id });
  }

  list({ definitionId = '', state = '', businessKey = '', unit = '', pageSize = 0, pageToken = '' } = {}) {
    return this._unary('List', { definitionId, state, businessKey, unit, page: { pageSize, pageToken } });
  }

  async cancel(id, reason = '', { requestId = '' } = {}) {
    await this._unary('Cancel', { id, reason, requestId });
  }

  publishMessage(name, correlation, variables, { ttlMs = 0, requestId = '' } = {}) {
    return this._unary('PublishMessage', {
      name, correlation, variables: toJson(variables), ttlMs, requestId,
    });
  }

  /** Events of one instance (all when 0): stored ones after afterSeq, then live. */
  watch(instanceId = 0, { afterSeq = 0 } = {}) {
    return this._stream('Watch', { instanceId, afterSeq });
  }

  async history(instanceId, { afterSeq = 0, limit = 0 } = {}) {
    return (await this._unary('History', { instanceId, afterSeq, limit })).events;
  }

  /** Watches the instance until it ends and returns it; TimeoutError if it does not. */
  async waitEnded(instanceId, { timeoutMs = 30000 } = {}) {
    const deadline = Date.now() + timeoutMs;
    const events = this.watch(instanceId);
    try {
      for (;;) {
        const inst = await this.get(instanceId); // after the watch opened: no end slips by
        if (ENDED.includes(inst.state)) return inst;
        let event;
        do {
          event = await events.read({ timeoutMs: deadline - Date.now() });
          if (event === null) throw new Error(`watch of instance ${instanceId} ended`);
        } while (!event.type.startsWith('instance.'));
      }
    } finally {
      events.cancel();
    }
  }
}

module.exports = Instances;
