'use strict';
const { Service, toJson } = require('../rpc');

/** User tasks. "Yours" is decided by the caller identity set on the client. */
class Tasks extends Service {
  constructor(client) {
    super(client, 'Tasks');
  }

  /** `withinUnit`: the tasks of `unit` and of every unit under it in the registry. */
  list({ role = '', assignee = '', unit = '', withinUnit = false, state = '', instanceId = 0, pageSize = 0, pageToken = '' } = {}) {
    return this._unary('List', { role, assignee, unit, withinUnit, state, instanceId, page: { pageSize, pageToken } });
  }

  get(id) {
    return this._unary('Get', { id });
  }

  async claim(taskId, { requestId = '' } = {}) {
    return (await this._unary('Claim', { taskId, requestId })).task;
  }

  async complete(taskId, outcome = '', variables, { comment = '', requestId = '' } = {}) {
    return (await this._unary('Complete', {
      taskId, outcome, variables: toJson(variables), comment, requestId,
    })).task;
  }

  /** 委派: `to` works on it, then it comes back to the current assignee. */
  async delegate(taskId, to, { comment = '', requestId = '' } = {}) {
    return (await this._unary('Delegate', { taskId, to, comment, requestId })).task;
  }

  /** 转办: the task moves to `to` for good. */
  async transfer(taskId, to, { comment = '', requestId = '' } = {}) {
    return (await this._unary('Transfer', { taskId, to, comment, requestId })).task;
  }

  /** 退回: withdraws the task; the instance goes back to the earlier user step `toNode`. */
  async returnTo(taskId, toNode, { comment = '', requestId = '' } = {}) {
    return (await this._unary('Return', { taskId, toNode, comment, requestId })).task;
  }
}

module.exports = Tasks;
