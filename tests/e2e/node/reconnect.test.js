'use strict';
// A dropped connection: shequd is killed (-9) while a Node.js worker holds jobs, and restarted on
// the same data directory and port. The worker reconnects with back-off, reports what its
// handlers finished (retrying with the same request id), serves new jobs, and no job is lost or
// completed twice.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { setUp, waitFor } = require('./harness');

const YAML = `
id: node-reconnect
start: work
nodes:
  work: {type: service, job: node.reconnect, next: done}
  done: {type: end}
`;

test('the worker survives a daemon restart', async () => {
  const { daemon } = await setUp();
  const admin = daemon.admin; // deploys; reads the clock
  const client = await daemon.client('e2e.leading-group', ['leading-group']); // starts the instances
  const jobWorker = await daemon.client('system:node-reconnect', ['job-worker']);
  let release;
  const gate = new Promise((resolve) => { release = resolve; });
  let held = 0;
  const handled = new Map();
  const worker = jobWorker.worker('node-reconnect', { concurrency: 8, timeoutMs: 60000, maxBackoffMs: 1000 });
  worker.handle('node.reconnect', async (job) => {
    handled.set(job.instanceId, (handled.get(job.instanceId) || 0) + 1);
    if (job.variables.hold) {
      held += 1;
      await gate;
    }
    return { done: true };
  });
  const ids = [];
  const startMany = async (n, variables) => {
    for (let i = 0; i < n; i++) ids.push((await client.instances.start('node-reconnect', variables)).instanceId);
  };
  try {
    await admin.definitions.deploy(YAML);
    const running = worker.run();
    await startMany(5, {});
    await waitFor(() => worker.completed === 5, { what: 'the first 5 jobs' });
    await startMany(3, { hold: true });
    await waitFor(() => held === 3, { what: '3 handlers running' });

    const { nowMs } = await admin.admin.stats();
    await daemon.kill();
    release(); // the handlers finish while the daemon is down
    await waitFor(() => worker.reportRetries >= 3, { what: 'reports retried' });
    daemon.fakeClockMs = nowMs;
    await daemon.start(); // same data directory, same port

    await waitFor(() => worker.completed === 8, { timeoutMs: 30000, what: 'held jobs reported' });
    assert.ok(worker.reconnects >= 1);
    await startMany(4, {});
    for (const id of ids) {
      assert.equal((await client.instances.waitEnded(id, { timeoutMs: 20000 })).state, 'completed');
    }
    assert.equal(worker.completed, 12);
    assert.equal(worker.lost, 0);
    await worker.stop();
    await running;
    for (const id of ids) {
      const events = (await client.instances.history(id)).map((e) => e.type);
      assert.equal(events.filter((t) => t === 'job.completed').length, 1, `instance ${id}`);
      assert.equal(handled.get(id), 1, `instance ${id}`);
    }
  } finally {
    release();
    await worker.stop();
    await daemon.cleanup();
  }
});
