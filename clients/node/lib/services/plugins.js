'use strict';
const { Service, toJson } = require('../rpc');

/** The department plugins the daemon loaded from its plugins_dir: their status, what they
 * contribute (job types, operations, checklist templates, ledger fields, ...), and calls of their
 * named operations (docs/api.md, "Plugins"). */
class Plugins extends Service {
  constructor(client) {
    super(client, 'Plugins');
  }

  /** Every plugin by name, with its state (loaded, isolated, restarting, failed) and isolation
   * (inprocess, isolated, remote); lastError says why one failed. */
  async list() {
    return (await this._unary('List', {})).plugins;
  }

  /** { status, plugin }: plugin is the descriptor, empty until the plugin first loaded. Rejects
   * with NotFound for an unknown name. */
  describe(name) {
    return this._unary('Describe', { name });
  }

  /** Calls the plugin's named operation (e.g. 'validate-ledger') with input, a JSON object (or
   * its text); resolves to the output object. NotFound: no such plugin or operation;
   * Unavailable: the plugin is restarting or failed; InvalidArgument: it refused the input.
   * requestId is passed to the plugin as its idempotency key. */
  async invoke(name, operation, input, { requestId = '' } = {}) {
    const { output } = await this._unary('Invoke', {
      plugin: name, operation, input: toJson(input), requestId,
    });
    return output ? JSON.parse(output) : {};
  }
}

module.exports = Plugins;
