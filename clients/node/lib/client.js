'use strict';
const fs = require('fs');
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

/** Whether `address` (host:port) names this machine: 127.x.y.z, [::1], localhost, unix:. */
function isLoopback(address) {
  if (address.startsWith('unix:')) return true;
  let host = address.includes(':') ? address.slice(0, address.lastIndexOf(':')) : address;
  host = host.replace(/^ipv[46]:/, '').replace(/^\[|\]$/g, '');
  return host.startsWith('127.') || host === 'localhost' || host === '::1';
}

/** The channel credentials and options for the TLS settings (see Client). */
function connection(address, { tls, caFile, certFile, keyFile, serverName }) {
  caFile = caFile || process.env.SHEQU_CA;
  certFile = certFile || process.env.SHEQU_CERT;
  keyFile = keyFile || process.env.SHEQU_KEY;
  serverName = serverName || process.env.SHEQU_SERVER_NAME;
  if (tls === undefined || tls === null) {
    tls = Boolean(caFile || certFile || keyFile || serverName) || !isLoopback(address);
  }
  if (!tls) return { tls, credentials: grpc.credentials.createInsecure(), options: CHANNEL_OPTIONS };
  if (Boolean(certFile) !== Boolean(keyFile)) {
    throw new Error('certFile and keyFile go together (mTLS): give both or neither');
  }
  const read = (file) => (file ? fs.readFileSync(file) : null);
  const credentials = grpc.credentials.createSsl(read(caFile), read(keyFile), read(certFile));
  const options = { ...CHANNEL_OPTIONS };
  if (serverName) options['grpc.ssl_target_name_override'] = serverName;
  return { tls, credentials, options };
}

/** A connection to shequd, speaking as one caller.
 *
 *   const client = new Client('shequd.district.example:7070', { token, caFile: '/etc/shequ/ca.pem' });
 *   await client.instances.start('vacancy-approval', { posts: 2, vacancies: 3 });
 *
 * token: the API token, sent as `authorization: Bearer <token>` with every call (streams and
 * workers included); undefined reads $SHEQU_TOKEN. tls: undefined means TLS when a TLS option
 * is given or the address is not loopback, plaintext for 127.0.0.1 / localhost; true or false
 * forces it. caFile: the CA of the daemon's certificate (default: the system's roots); certFile
 * and keyFile: a client certificate for mTLS; serverName: the name the daemon's certificate
 * must carry when it differs from the address's host. Each defaults to $SHEQU_CA, $SHEQU_CERT,
 * $SHEQU_KEY, $SHEQU_SERVER_NAME.
 *
 * user, roles, unit: the x-shequ-* identity metadata, believed only by a daemon in development
 * mode (`auth: headers`). Calls time out after timeoutMs (streams never). Every failure rejects
 * with a ShequError subclass. */
class Client {
  constructor(address = '127.0.0.1:7070', {
    token, tls, caFile, certFile, keyFile, serverName,
    user = '', roles = [], unit = '', timeoutMs = 30000,
  } = {}, shared) {
    this.address = address;
    this.timeoutMs = timeoutMs;
    this.token = token === undefined || token === null ? (process.env.SHEQU_TOKEN || '') : token;
    this.identity = { user, roles: typeof roles === 'string' ? roles : roles.join(','), unit };
    // Stubs are shared with the clients made by asCaller: one connection, several callers.
    this._shared = shared || { stubs: {}, ...connection(address, { tls, caFile, certFile, keyFile, serverName }) };
    this.tls = this._shared.tls;
    for (const [name, Cls] of Object.entries(SERVICES)) this[name] = new Cls(this);
  }

  /** The same connection, speaking as someone else: with another token, or (development mode)
   * other x-shequ-* metadata. Nothing is inherited: no token means none. */
  asCaller({ token = '', user = '', roles = [], unit = '' } = {}) {
    return new Client(this.address, { token, user, roles, unit, timeoutMs: this.timeoutMs }, this._shared);
  }

  /** A job worker named `name`; see Worker for the options. */
  worker(name, options) {
    const { Worker } = require('./worker');
    return new Worker(this, name, options);
  }

  /** authorization: Bearer <token>, and x-shequ-user / x-shequ-roles / x-shequ-unit
   * (development mode); empty ones are left out. */
  metadata() {
    const md = new grpc.Metadata();
    if (this.token) md.set('authorization', `Bearer ${this.token}`);
    if (this.identity.user) md.set('x-shequ-user', this.identity.user);
    if (this.identity.roles) md.set('x-shequ-roles', this.identity.roles);
    if (this.identity.unit) md.set('x-shequ-unit', this.identity.unit);
    return md;
  }

  _stub(service) {
    const stubs = this._shared.stubs;
    if (!stubs[service]) {
      stubs[service] = new (shequV1()[service])(this.address, this._shared.credentials, this._shared.options);
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

module.exports = { Client, isLoopback };
