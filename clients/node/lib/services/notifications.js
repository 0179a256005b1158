'use strict';
const { Service } = require('../rpc');

/** Reminders and notices, kept until acknowledged. */
class Notifications extends Service {
  constructor(client) {
    super(client, 'Notifications');
  }

  /** `unit` leaves out the role's notifications for other units. */
  list({ recipient = '', role = '', unit = '', includeAcked = false, pageSize = 0, pageToken = '' } = {}) {
    return this._unary('List', { recipient, role, unit, includeAcked, page: { pageSize, pageToken } });
  }

  /** The unacknowledged backlog for the recipient or roles (of `unit`, if given), then new ones live. */
  subscribe({ recipient = '', roles = [], unit = '' } = {}) {
    return this._stream('Subscribe', { recipient, roles, unit });
  }

  async ack(id, { requestId = '' } = {}) {
    await this._unary('Ack', { id, requestId });
  }
}

module.exports = Notifications;
