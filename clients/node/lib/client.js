'use strict';
const grpc = require('@grpc/grpc-js');
const { shequV1 } = require('./proto');
const { Unavailable } = require('./errors');
const SERVICES = require('./services');

// Reconnect quickly after a daemon restart (gRPC's default back-off starts at 1 s and grows to
// 2 min); the worker loop adds its own back-off on top.
const CHANNEL_OPTIONS = {
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 2000,
  'grpc.max_receive_message_length': 16 << 20,
};

/** A connection to shequd, speaking as one caller.
 *
 *   const client = new Client('127.0.0.1:7070', { user: 'wang', roles: ['street-office'] });
 *   await client.instances.start('vacancy-approval', { posts: 2, vacancies: 3 });
 *
 * TLS is not enabled yet: the channel is plaintext. Calls time out after timeoutMs (streams
 * never). Every failure rejects with a ShequError subclass. */
class Client {
  constructor(address = '127.0.0.1:7070', { user = '', roles = [], unit = '', timeoutMs = 30000 } = {}, shared) {
    this.address = address;
    this.timeoutMs = timeoutMs;
    this.identity = { user, roles: typeof roles === 'string' ? roles : roles.join(','), unit };
    // Stubs are shared with the clients made by asCaller: one connection, several callers.
    this._shared = shared || { stubs: {} };
    for (const [name, Cls] of Object.entries(SERVICES)) this[name] = new Cls(this);
  }

  /** The same connection, speaking as someone else. */
  asCaller({ user = '', roles = [], unit = '' } = {}) {
    return new Client(this.address, { user, roles, unit, timeoutMs: this.timeoutMs }, this._shared);
  }

  /** A job worker named `name`; see Worker for the options. */
  worker(name, options) {
    const { Worker } = require('./worker');
    return new Worker(this, name, options);
  }

  /** x-shequ-user / x-shequ-roles / x-shequ-unit; empty ones are left out. */
  metadata() {
    const md = new grpc.Metadata();
    if (this.identity.user) md.set('x-shequ-user', this.identity.user);
    if (this.identity.roles) md.set('x-shequ-roles', this.identity.roles);
    if (this.identity.unit) md.set('x-shequ-unit', this.identity.unit);
    return md;
  }

  _stub(service) {
    const stubs = this._shared.stubs;
    if (!stubs[service]) {
      stubs[service] = new (shequV1()[service])(this.address, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
    }
    return stubs[service];
  }

  /** Resolves once connected; rejects with Unavailable after timeoutMs. */
  waitReady(timeoutMs = 10000) {
    return new Promise((resolve, reject) => {
      this._stub('Admin').waitForReady(Date.now() + timeoutMs, (err) =>
        err ? reject(new Unavailable(`${this.address} not reachable within ${timeoutMs} ms`)) : resolve());
    });
  }

  close() {
    for (const stub of Object.values(this._shared.stubs)) stub.close();
    this._shared.stubs = {};
  }
}

module.exports = { Client };
