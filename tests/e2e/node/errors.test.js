'use strict';
// Each failure rejects with its own error class, carrying the gRPC code and message.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const { setUp, shequ } = require('./harness');

let daemon;
let client; // someone allowed to start and read instances (leading-group, district-wide)
let admin; // the administrator: deploys
let jobWorker; // a job worker (role job-worker): Jobs/*
before(async () => {
  ({ daemon } = await setUp());
  admin = daemon.admin;
  client = await daemon.client('e2e.leading-group', ['leading-group']);
  jobWorker = await daemon.client('system:node-errors', ['job-worker']);
});
after(async () => {
  await daemon.cleanup();
});

test('INVALID_ARGUMENT names the field', async () => {
  const err = await client.instances.start('vacancy-approval', '[1, 2]').catch((e) => e);
  assert.ok(err instanceof shequ.InvalidArgument, String(err));
  assert.ok(err instanceof shequ.ShequError);
  assert.equal(err.code, 'INVALID_ARGUMENT');
  assert.equal(err.grpcCode, 3);
  assert.match(err.message, /variables/);
  await assert.rejects(admin.definitions.deploy('id: broken\nstart: nowhere\nnodes:\n  a: {type: end}\n'),
    (e) => e instanceof shequ.InvalidArgument && /start/.test(e.message));
});

test('NOT_FOUND', async () => {
  const err = await client.instances.get(987654).catch((e) => e);
  assert.ok(err instanceof shequ.NotFound, String(err));
  assert.equal(err.code, 'NOT_FOUND');
  await assert.rejects(client.definitions.get('no-such-workflow'), shequ.NotFound);
  await assert.rejects(jobWorker.jobs.complete(424242), shequ.NotFound);
});

test('UNAVAILABLE when nothing listens', async () => {
  const port = await new Promise((resolve) => { // a port that was free a moment ago
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const p = srv.address().port;
      srv.close(() => resolve(p));
    });
  });
  const nowhere = new shequ.Client(`127.0.0.1:${port}`, { timeoutMs: 5000 });
  try {
    const err = await nowhere.instances.get(1).catch((e) => e);
    assert.ok(err instanceof shequ.Unavailable, String(err));
    assert.equal(err.code, 'UNAVAILABLE');
    const stream = nowhere.notifications.subscribe({ roles: ['leading-group'] });
    await assert.rejects(stream.read({ timeoutMs: 5000 }), shequ.Unavailable);
  } finally {
    nowhere.close();
  }
});
