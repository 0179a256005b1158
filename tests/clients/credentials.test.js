'use strict';
// The Node.js client's credentials, against a stand-in daemon that reports what it received
// (fake_daemon.py): the token on unary calls, streams and a worker's calls; $SHEQU_TOKEN; the
// x-shequ-* metadata of development mode; TLS with a CA, mTLS with a client certificate and a
// server name; refusals at the handshake; the hint on UNAUTHENTICATED without a token.
const { test, before, after, beforeEach } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const path = require('node:path');
const readline = require('node:readline');

const SOURCE_DIR = process.env.SHEQU_SOURCE_DIR || path.resolve(__dirname, '..', '..');
const shequ = require(path.join(SOURCE_DIR, 'clients', 'node'));
const { isLoopback } = require(path.join(SOURCE_DIR, 'clients', 'node', 'lib', 'client'));
const PYTHON = process.env.SHEQU_PYTHON || '/usr/bin/python3';
const TOKEN = 'sqt_test.0123456789abcdef';

let fake;
let ports;
const cert = (name) => path.join(ports.certs, name);
const seen = (principal) => JSON.parse(principal.via);

before(async () => {
  fake = spawn(PYTHON, [path.join(__dirname, 'fake_daemon.py')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise((resolve, reject) => {
    readline.createInterface({ input: fake.stdout }).once('line', resolve);
    fake.once('exit', (code) => reject(new Error(`fake_daemon.py exited (${code})`)));
  });
  ports = JSON.parse(line);
});

after(async () => {
  await new Promise((resolve) => {
    fake.once('exit', resolve);
    fake.kill('SIGTERM');
  });
});

beforeEach(() => {
  for (const name of Object.keys(process.env)) if (name.startsWith('SHEQU_') && name !== 'SHEQU_SOURCE_DIR') delete process.env[name];
});

/** Runs fn with a client, then closes it. */
async function using(client, fn) {
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}

const plain = () => `127.0.0.1:${ports.plain}`;
const mtls = (options = {}) => new shequ.Client(`127.0.0.1:${ports.tls}`, {
  caFile: cert('ca.pem'), certFile: cert('client.pem'), keyFile: cert('client.key'),
  serverName: 'shequd.test', timeoutMs: 5000, ...options,
});

test('the token goes with every unary call', () => using(new shequ.Client(plain(), { token: TOKEN }), async (client) => {
  assert.equal(client.tls, false);
  const got = seen(await client.principals.whoami());
  assert.deepEqual(got.metadata, { authorization: `Bearer ${TOKEN}` });
  assert.equal(got.tls, false);
}));

test('SHEQU_TOKEN; an explicit token wins; asCaller inherits nothing', async () => {
  process.env.SHEQU_TOKEN = 'from-env';
  await using(new shequ.Client(plain()), async (client) => {
    assert.deepEqual(seen(await client.principals.whoami()).metadata, { authorization: 'Bearer from-env' });
    assert.deepEqual(seen(await client.asCaller({ token: 'other' }).principals.whoami()).metadata,
      { authorization: 'Bearer other' });
    await assert.rejects(client.asCaller().principals.whoami(), shequ.Unauthenticated);
  });
  await using(new shequ.Client(plain(), { token: 'explicit' }), async (client) => {
    assert.deepEqual(seen(await client.principals.whoami()).metadata, { authorization: 'Bearer explicit' });
  });
});

test('the token goes with streams and a worker\'s calls', () => using(new shequ.Client(plain(), { token: TOKEN }), async (client) => {
  const inbox = client.notifications.subscribe({ roles: ['leading-group'] });
  const note = await inbox.read({ timeoutMs: 5000 });
  inbox.cancel();
  assert.deepEqual(JSON.parse(note.body).metadata, { authorization: `Bearer ${TOKEN}` });

  const worker = client.worker('archive', { backoffMs: 50 });
  let activated;
  worker.handle('archive.file', async (job) => {
    activated = job.variables.activate.metadata;
    return { done: true };
  });
  const running = worker.run();
  const deadline = Date.now() + 5000;
  while (worker.completed === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await worker.stop();
  await running;
  assert.equal(worker.completed, 1);
  assert.deepEqual(activated, { authorization: `Bearer ${TOKEN}` });
  // The completion reached the stand-in with the token too (it answers WhoAmI with it).
  assert.deepEqual(seen(await client.principals.whoami()).metadata, { authorization: `Bearer ${TOKEN}` });
}));

test('development mode: the x-shequ-* metadata', () => using(
  new shequ.Client(plain(), { user: 'wang', roles: ['street-office', 'x'], unit: 'bh.whl' }), async (client) => {
    assert.deepEqual(seen(await client.principals.whoami()).metadata,
      { 'x-shequ-user': 'wang', 'x-shequ-roles': 'street-office,x', 'x-shequ-unit': 'bh.whl' });
  }));

test('UNAUTHENTICATED without a token says how to send one', () => using(new shequ.Client(plain()), async (client) => {
  const err = await client.principals.whoami().catch((e) => e);
  assert.ok(err instanceof shequ.Unauthenticated, String(err));
  assert.equal(err.code, 'UNAUTHENTICATED');
  assert.equal(err.grpcCode, 16);
  assert.match(err.message, /no credentials/);
  assert.match(err.message, /no token was sent.*SHEQU_TOKEN/);
}));

test('mTLS with a CA, a client certificate and the server name', () => using(mtls({ token: TOKEN }), async (client) => {
  assert.equal(client.tls, true);
  const got = seen(await client.principals.whoami());
  assert.equal(got.tls, true);
  assert.equal(got.client_cert, 'dept-system');
  assert.deepEqual(got.metadata, { authorization: `Bearer ${TOKEN}` });
}));

test('TLS options from the environment', async () => {
  Object.assign(process.env, {
    SHEQU_CA: cert('ca.pem'), SHEQU_CERT: cert('client.pem'), SHEQU_KEY: cert('client.key'),
    SHEQU_SERVER_NAME: 'shequd.test',
  });
  await using(new shequ.Client(`127.0.0.1:${ports.tls}`, { timeoutMs: 5000 }), async (client) => {
    assert.equal(seen(await client.principals.whoami()).client_cert, 'dept-system');
  });
});

test('refused at the handshake', async () => {
  for (const options of [
    { serverName: undefined }, // the certificate is for shequd.test, not 127.0.0.1
    { certFile: cert('other-client.pem'), keyFile: cert('other-client.key') }, // an untrusted CA
    { certFile: undefined, keyFile: undefined }, // no client certificate
    { caFile: cert('other-ca.pem') }, // the server's certificate against the wrong CA
  ]) {
    await using(mtls(options), (client) => assert.rejects(client.principals.whoami(), shequ.Unavailable,
      JSON.stringify(options)));
  }
  await using(new shequ.Client(`127.0.0.1:${ports.tls}`, { tls: false, token: TOKEN, timeoutMs: 5000 }),
    (client) => assert.rejects(client.principals.whoami(), shequ.Unavailable));
  assert.throws(() => new shequ.Client(`127.0.0.1:${ports.tls}`, { certFile: cert('client.pem') }),
    /certFile and keyFile/);
});

test('TLS by default off loopback', () => {
  for (const a of ['127.0.0.1:7070', 'localhost:7070', '[::1]:7070', 'unix:/run/s.sock']) assert.ok(isLoopback(a), a);
  for (const a of ['shequd.district.example:7070', '10.1.2.3:7070', '[2001:db8::1]:7070']) assert.ok(!isLoopback(a), a);
  const remote = new shequ.Client('shequd.district.example:7070');
  assert.equal(remote.tls, true);
  remote.close();
  const forced = new shequ.Client('shequd.district.example:7070', { tls: false });
  assert.equal(forced.tls, false);
  forced.close();
});
