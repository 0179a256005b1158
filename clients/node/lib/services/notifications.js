'use strict';
const { Service } = require('../rpc');

/** Reminders and notices, kept until acknowledged. */
class Notifications extends Service {
  constructor(client) {
    super(client, 'Notifications');
  }

  /** `unit` leaves out the role's notifications for other units; `withinUnit` keeps those of the units under it. */
  list({ recipient = '', role = '', unit = '', withinUnit = false, includeAcked = false, pageSize = 0, pageToken = '' } = {}) {
    return this._unary('List', { recipient, role, unit, withinUnit, includeAcked, page: { pageSize, pageToken } });
  }

  /** The unacknowledged backlog for the recipient or roles (of `unit`, and with `withinUnit` of the units under it, if given), then new ones live. */
  subscribe({ recipient = '', roles = [], unit = '', withinUnit = false } = {}) {
    return this._stream('Subscribe', { recipient, roles, unit, withinUnit });
  }

  async ack(id, { requestId = '' } = {}) {
    await this._unary('Ack', { id, requestId });
  }
}

module.exports = Notifications;
