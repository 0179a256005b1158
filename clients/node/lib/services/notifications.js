'use strict';
const { Service } = require('../rpc');

/** Reminders and notices, kept until acknowledged. */
class Notifications extends Service {
  constructor(client) {
    super(client, 'Notifications');
  }

  list({ recipient = '', role = '', includeAcked = false, pageSize = 0, pageToken = '' } = {}) {
    return this._unary('List', { recipient, role, includeAcked, page: { pageSize, pageToken } });
  }

  /** The unacknowledged backlog for the recipient or roles, then new ones live. */
  subscribe({ recipient = '', roles = [] } = {}) {
    return this._stream('Subscribe', { recipient, roles });
  }

  async ack(id, { requestId = '' } = {}) {
    await this._unary('Ack', { id, requestId });
  }
}

module.exports = Notifications;
