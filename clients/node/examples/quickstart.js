'use strict';
// A department system's integration with shequd, start to finish (docs/integration.md).
//
//   node clients/node/examples/quickstart.js 127.0.0.1:7070
//
// Each party acts with its own API token, taken from a file of `<name> <roles> <unit> <token>`
// lines: `make run`'s var/demo-tokens.txt, or the file $SHEQU_TOKENS names. The example acts as
// the demo principals wang (street office), li (leading group), zhang.admin (administrator) and
// system:civil-affairs (a department system); $SHEQU_TOKEN, when set, is the street office's.
//
// 1. A street office starts a vacancy-approval request.
// 2. The leading group office subscribes to its reminders (here the daemon must run with
//    --fake-clock: the example moves time three working days so a reminder falls due).
// 3. The district archive runs a job worker for `archive.file` jobs.
// 4. The leading group approves; the instance ends and the worker files the decision.
const fs = require('fs');
const path = require('path');
const shequ = require('../lib'); // in a department's project: require('@shequ/client')

const DEMO_TOKENS = path.join(__dirname, '..', '..', '..', 'var', 'demo-tokens.txt');

// A small workflow with a service node: file the approved request in the archive system.
const ARCHIVE_YAML = `
id: archive-decision
name: 归档 / file a decision
start: file
nodes:
  file: {type: service, job: archive.file, retries: 3, next: done}
  done: {type: end}
`;

/** Tokens by principal name, from lines `<name> <roles> <unit> <token>` (# comments).
 * @param {string} file
 * @returns {Record<string, string>} */
function readTokens(file) {
  /** @type {Record<string, string>} */
  const tokens = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const row = line.trim().split(/\s+/);
    if (row.length === 4 && !line.startsWith('#')) tokens[row[0]] = row[3];
  }
  return tokens;
}

/** @param {string} address */
async function main(address) {
  const tokens = readTokens(process.env.SHEQU_TOKENS || DEMO_TOKENS);
  // 1. Connect as the street office and start a workflow. The request id makes a retry safe.
  const street = new shequ.Client(address, { token: process.env.SHEQU_TOKEN || tokens.wang });
  const started = await street.instances.start(
    'vacancy-approval',
    { community: 'community-7', street: 'street-1', posts: 2, vacancies: 3 },
    { businessKey: 'community-7', unit: 'community-7', requestId: 'street-1/2026-001' });
  console.log('started instance', started.instanceId);

  // 2. The leading group office: its open task, and a reminder on the subscription.
  const office = street.asCaller({ token: tokens.li }); // the same connection, another caller
  const admin = street.asCaller({ token: tokens['zhang.admin'] });
  const [task] = (await office.tasks.list({ role: 'leading-group', instanceId: started.instanceId })).tasks;
  console.log('task', task.id, task.name);
  const inbox = office.notifications.subscribe({ roles: ['leading-group'] });
  await admin.admin.advanceClock('3wd'); // demo only: a --fake-clock daemon
  for await (const note of inbox) {
    if (note.kind === 'task.reminder' && note.instanceId === started.instanceId) {
      console.log('reminder:', note.subject);
      await office.notifications.ack(note.id);
      break; // leaving the loop cancels the stream
    }
  }

  // 3. The archive's job worker, running beside the rest of the program.
  await admin.definitions.deploy(ARCHIVE_YAML);
  const archive = street.asCaller({ token: tokens['system:civil-affairs'] });
  const worker = archive.worker('district-archive');
  worker.handle('archive.file', async (job) => ({ archive_no: `A-${job.variables.request}` }));
  const running = worker.run();

  // 4. Approve; watch the instance end; file the decision and wait for the worker.
  await office.tasks.complete(task.id, 'approved', { comment: '同意' });
  const done = await street.instances.waitEnded(started.instanceId, { timeoutMs: 30000 });
  console.log('vacancy-approval ended:', done.endStatus);
  // The leading group office files the decision; the archive's worker does the job.
  const filed = await office.instances.start('archive-decision', { request: started.instanceId });
  const result = await office.instances.waitEnded(filed.instanceId, { timeoutMs: 30000 });
  console.log('archived as', shequ.variables(result).archive_no);
  await worker.stop();
  await running;
  street.close();
}

main(process.argv[2] || '127.0.0.1:7070').catch((err) => {
  console.error(err);
  process.exit(1);
});
