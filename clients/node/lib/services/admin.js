'use strict';
const { Service } = require('../rpc');

class Admin extends Service {
  constructor(client) {
    super(client, 'Admin');
  }

  /** Moves a --fake-clock daemon's clock (`by`: PT1H, P3D, 2wd; or to toMs) and fires what came
   * due; FailedPrecondition on a real clock. */
  advanceClock(by = '', { toMs = 0 } = {}) {
    return this._unary('AdvanceClock', { by, toMs });
  }

  stats() {
    return this._unary('Stats', {});
  }
}

module.exports = Admin;
