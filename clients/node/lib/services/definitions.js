'use strict';
const { Service } = require('../rpc');

/** Workflow definitions (YAML, see docs/workflows.md). */
class Definitions extends Service {
  constructor(client) {
    super(client, 'Definitions');
  }

  /** Validates and stores a definition; a new version only when the text changed. */
  deploy(yaml, { requestId = '' } = {}) {
    return this._unary('Deploy', { yaml, requestId });
  }

  get(id, { version = 0 } = {}) {
    return this._unary('Get', { id, version });
  }

  async list() {
    return (await this._unary('List', {})).definitions;
  }
}

module.exports = Definitions;
