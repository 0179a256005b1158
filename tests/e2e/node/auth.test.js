'use strict';
// API tokens through the Node.js client: a call without a token (or with a wrong one) is
// UNAUTHENTICATED saying why; WhoAmI; an administrator puts a principal and creates, lists and
// revokes its token; a revoked token is refused, and the stream it opened is closed.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { setUp, shequ } = require('./harness');

const MONDAY_0900 = 1772413200000;
const DAY_MS = 86400000;

let daemon;
let client;
before(async () => ({ daemon, client } = await setUp()));
after(async () => {
  client.close();
  await daemon.cleanup();
});

test('a call without a token is UNAUTHENTICATED', async () => {
  const anonymous = new shequ.Client(daemon.address, { timeoutMs: 5000 });
  try {
    assert.equal(anonymous.token, '');
    const err = await anonymous.principals.whoami().catch((e) => e);
    assert.ok(err instanceof shequ.Unauthenticated, String(err));
    assert.equal(err.code, 'UNAUTHENTICATED');
    assert.match(err.message, /no token was sent: pass \{ token \} or set SHEQU_TOKEN/);
    const stream = anonymous.notifications.subscribe({ roles: ['leading-group'] });
    await assert.rejects(stream.read({ timeoutMs: 5000 }), shequ.Unauthenticated);
  } finally {
    anonymous.close();
  }
  const wrong = new shequ.Client(daemon.address, { token: 'not-a-token', timeoutMs: 5000 });
  try {
    const err = await wrong.principals.whoami().catch((e) => e);
    assert.ok(err instanceof shequ.Unauthenticated, String(err));
    assert.doesNotMatch(err.message, /no token was sent/);
  } finally {
    wrong.close();
  }
});

test('whoami', async () => {
  const me = await client.principals.whoami();
  assert.equal(me.name, 'wang');
  assert.deepEqual(me.roles.map((g) => g.role), ['street-office']);
  assert.equal(me.unit, 'street-1');
  assert.ok(me.via);
});

test('create, list, revoke a token', async () => {
  const { admin } = daemon;
  const put = await admin.principals.put({ name: 'auth.node', roles: ['leading-group'], displayName: '测试' }, { reason: 'e2e' });
  assert.deepEqual([put.name, put.kind, put.roles.map((g) => g.role)], ['auth.node', 'person', ['leading-group']]);
  assert.ok((await admin.principals.list({ role: 'leading-group' })).some((p) => p.name === 'auth.node'));

  const created = await admin.principals.createToken('auth.node', { description: 'node e2e', expiresIn: 'P30D' });
  const { token } = created;
  assert.ok(created.secret);
  assert.deepEqual([token.principal, token.description], ['auth.node', 'node e2e']);
  assert.equal(token.expiresAtMs, MONDAY_0900 + 30 * DAY_MS);
  const listed = await admin.principals.listTokens('auth.node');
  assert.ok(listed.some((t) => t.id === token.id));
  assert.ok(!JSON.stringify(listed).includes(created.secret));

  const user = admin.asCaller({ token: created.secret });
  assert.equal((await user.principals.whoami()).name, 'auth.node');
  const inbox = user.notifications.subscribe({ roles: ['leading-group'] });

  const revoked = await admin.principals.revokeToken(token.id, { reason: 'e2e' });
  assert.ok(revoked.revokedAtMs > 0);
  const err = await user.principals.whoami().catch((e) => e);
  assert.ok(err instanceof shequ.Unauthenticated, String(err));
  assert.match(err.message, /revoked/);
  await assert.rejects((async () => { // the stream it opened is closed
    for (;;) if ((await inbox.read({ timeoutMs: 10000 })) === null) return;
  })(), shequ.Unauthenticated);
  assert.ok(!(await admin.principals.listTokens('auth.node')).some((t) => t.id === token.id));
  const all = await admin.principals.listTokens('auth.node', { includeRevoked: true });
  assert.deepEqual(all.filter((t) => t.id === token.id).map((t) => t.revokedAtMs), [revoked.revokedAtMs]);
});
