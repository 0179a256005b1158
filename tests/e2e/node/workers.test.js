'use strict';
// Job workers through the Node.js client: handlers complete service jobs; a handler that throws
// fails the job with its message, the engine retries after its back-off (on the fake clock) and
// raises an incident when attempts run out; stop() lets running handlers finish and report;
// the jobs() async iterator. One worker serves the file: a job dispatched to a stream that is
// being cancelled stays locked to it until its lock expires, so tests do not hand a job type
// from one worker to the next.
const { test, before, after, beforeEach } = require('node:test');
const assert = require('node:assert/strict');
const { setUp, shequ, waitFor } = require('./harness');

const jobsYaml = (type) => `
id: ${type}
start: work
nodes:
  work: {type: service, job: ${type}, retries: 3, backoff: PT10S, next: done}
  done: {type: end, status: ok}
`;

/** What the handler does depends on the instance's `mode`. */
async function handle(job) {
  const mode = job.variables.mode || 'ok';
  if (mode === 'flaky' && job.attempt === 1) throw new Error('registry timed out');
  if (mode === 'broken') throw new Error(`registry refused attempt ${job.attempt}`);
  if (mode === 'fatal') throw new shequ.JobError('ID number malformed', { retriesLeft: 0 });
  return { doubled: (job.variables.n || 0) * 2, attempt_seen: job.attempt };
}

let daemon;
let client; // starts and reads the instances: someone allowed to (leading-group, district-wide)
let admin; // the administrator: deploys, advances the fake clock, resolves incidents
let jobWorker; // the job worker (role job-worker), as external workers are
let worker;
let calls;
before(async () => {
  ({ daemon } = await setUp());
  admin = daemon.admin;
  client = await daemon.client('e2e.leading-group', ['leading-group']);
  jobWorker = await daemon.client('system:node-worker', ['job-worker']);
  for (const type of ['node.work', 'node.slow', 'node.manual']) await admin.definitions.deploy(jobsYaml(type));
  worker = jobWorker.worker('node-test', { concurrency: 4 });
  worker.handle('node.work', (job) => {
    calls.push([job.instanceId, job.attempt]);
    return handle(job);
  });
  worker.run();
});
after(async () => {
  await worker.stop();
  await daemon.cleanup();
});
beforeEach(() => {
  calls = [];
});

const start = async (variables, type = 'node.work') => (await client.instances.start(type, variables)).instanceId;
const failures = async (id) => (await client.instances.history(id)).filter((e) => e.type === 'job.failed');
const attemptsOf = (id) => calls.filter(([i]) => i === id).map(([, a]) => a);

test('completes service jobs', async () => {
  const ids = [];
  for (let n = 0; n < 6; n++) ids.push(await start({ n }));
  for (const [n, id] of ids.entries()) {
    const inst = await client.instances.waitEnded(id, { timeoutMs: 15000 });
    assert.deepEqual([inst.state, inst.endStatus], ['completed', 'ok']);
    assert.equal(shequ.variables(inst).doubled, 2 * n);
  }
  assert.deepEqual(calls.map(([i]) => i).sort(), [...ids].sort());
  await waitFor(() => worker.completed >= 6, { what: '6 completions counted' });
});

test('a failure is retried after the back-off', async () => {
  const id = await start({ mode: 'flaky' });
  const [failed] = await waitFor(() => failures(id), { what: 'job.failed' });
  assert.match(failed.data, /registry timed out/);
  assert.equal((await client.instances.get(id)).state, 'active');
  assert.equal((await admin.admin.advanceClock('PT9S')).timersFired, 0);
  assert.equal((await admin.admin.advanceClock('PT1S')).timersFired, 1);
  const inst = await client.instances.waitEnded(id, { timeoutMs: 15000 });
  assert.equal(shequ.variables(inst).attempt_seen, 2);
  assert.deepEqual(attemptsOf(id), [1, 2]);
});

test('an incident when attempts run out, then resolve', async () => {
  const id = await start({ mode: 'broken' });
  for (const attempt of [1, 2]) {
    await waitFor(async () => (await failures(id)).length === attempt, { what: `failure ${attempt}` });
    await admin.admin.advanceClock('PT1H'); // past the back-off (10 s, then 20 s)
  }
  const [incident] = await waitFor(async () => (await admin.incidents.list({ instanceId: id })).incidents,
    { what: 'incident' });
  assert.equal(incident.kind, 'job-failed');
  assert.match(incident.message, /registry refused attempt 3/);
  assert.deepEqual(attemptsOf(id), [1, 2, 3]);
  await admin.incidents.resolve(incident.id, { retries: 1, variables: { mode: 'ok' } });
  assert.equal((await client.instances.waitEnded(id, { timeoutMs: 15000 })).endStatus, 'ok');
});

test('JobError without retries raises an incident at once', async () => {
  const id = await start({ mode: 'fatal' });
  const [incident] = await waitFor(async () => (await admin.incidents.list({ instanceId: id })).incidents,
    { what: 'incident' });
  assert.match(incident.message, /ID number malformed/);
  assert.equal((await failures(id)).length, 1);
});

test('stop() waits for running handlers', async () => {
  let release;
  const gate = new Promise((resolve) => { release = resolve; });
  let entered;
  const started = new Promise((resolve) => { entered = resolve; });
  const slow = jobWorker.worker('node-slow').handle('node.slow', async () => {
    entered();
    await gate;
    return { slow: true };
  });
  const running = slow.run();
  const id = await start({}, 'node.slow');
  await started;
  let stopped = false;
  const stopping = slow.stop().then(() => { stopped = true; });
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(stopped, false); // still waiting for the handler
  release();
  await stopping;
  await running;
  assert.equal(slow.completed, 1);
  assert.equal((await client.instances.get(id)).state, 'completed');
});

test('jobs() as an async iterator', async () => {
  const manual = jobWorker.worker('node-manual');
  const id = await start({ n: 21 }, 'node.manual');
  for await (const job of manual.jobs(['node.manual'])) {
    assert.equal(job.instanceId, id);
    assert.equal(await job.complete({ doubled: 42 }), true);
    break;
  }
  await manual.stop();
  const inst = await client.instances.waitEnded(id, { timeoutMs: 15000 });
  assert.equal(shequ.variables(inst).doubled, 42);
});
