'use strict';
// The vacancy-approval workflow through the Node.js client: start, task, reminders on a
// Notifications/Subscribe stream as the fake clock moves, claim and complete, Watch to the end;
// and delegate / transfer / return on a two-step workflow.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { setUp, shequ, createStreetOne } = require('./harness');

const TWO_STEP_YAML = `
id: node-two-step
start: draft
nodes:
  draft: {type: user, assignees: ["\${author}"], next: review}
  review: {type: user, role: reviewer, outcomes: [pass, fail], next: done}
  done: {type: end}
`;

let daemon;
let client; // the street office wang (street-1): starts vacancy approvals for its unit
let admin; // the administrator: deploys and moves the fake clock
before(async () => {
  ({ daemon, client } = await setUp());
  admin = daemon.admin;
  await createStreetOne(daemon); // street-1 and its community-7, with vacant posts
});
after(async () => {
  client.close();
  await daemon.cleanup();
});

test('start, remind, complete, watch', async () => {
  const office = await daemon.client('li', ['leading-group']);
  const vars = { community: 'community-7', street: 'street-1', posts: 2, vacancies: 3 };
  const started = await client.instances.start('vacancy-approval', vars, { businessKey: 'community-7', unit: 'community-7', requestId: 'node/vacancy-1' });
  const again = await client.instances.start('vacancy-approval', vars, { businessKey: 'community-7', unit: 'community-7', requestId: 'node/vacancy-1' });
  assert.equal(again.instanceId, started.instanceId); // a retry, not a second instance
  const id = started.instanceId;

  const { tasks } = await office.tasks.list({ role: 'leading-group', instanceId: id });
  assert.equal(tasks.length, 1);
  const [task] = tasks;
  assert.deepEqual([task.nodeId, task.state, task.role], ['approve', 'open', 'leading-group']);

  const inbox = office.notifications.subscribe({ roles: ['leading-group'] });
  const events = client.instances.watch(id);
  const mine = async () => { // the next notification of this instance
    for (;;) {
      const n = await inbox.read({ timeoutMs: 10000 });
      if (n.instanceId === id) return n;
    }
  };
  try {
    assert.equal((await mine()).kind, 'task.created'); // the backlog first
    assert.ok((await admin.admin.advanceClock('3wd')).timersFired >= 1);
    const reminder = await mine();
    assert.equal(reminder.kind, 'task.reminder');
    assert.equal(reminder.taskId, task.id);
    await office.notifications.ack(reminder.id);
    await admin.admin.advanceClock('1wd');
    assert.equal((await mine()).kind, 'task.reminder');
    await admin.admin.advanceClock('1wd');
    assert.equal((await mine()).kind, 'task.due');

    const claimed = await office.tasks.claim(task.id);
    assert.deepEqual([claimed.state, claimed.assignee], ['claimed', 'li']);
    const done = await office.tasks.complete(task.id, 'approved', { note: '同意' });
    assert.equal(done.state, 'completed');
    const seen = [];
    for await (const event of events) {
      seen.push(event.type);
      if (event.type === 'instance.completed') break;
    }
    assert.equal(seen[0], 'instance.started');
    assert.ok(seen.includes('task.reminded'));
    assert.ok(seen.includes('task.completed'));
  } finally {
    inbox.cancel();
    events.cancel();
  }

  const inst = await client.instances.get(id);
  assert.deepEqual([inst.state, inst.endStatus], ['completed', 'approved']);
  assert.equal(shequ.variables(inst).approved_posts, 2);
  assert.equal(shequ.variables(inst).note, '同意');
  const listed = await client.instances.list({ definitionId: 'vacancy-approval', state: 'completed', unit: 'community-7' });
  assert.ok(listed.instances.some((i) => i.id === id));
  await assert.rejects(office.tasks.complete(task.id, 'approved'), shequ.FailedPrecondition);
});

test('delegate, return, transfer', async () => {
  await admin.definitions.deploy(TWO_STEP_YAML);
  // Someone allowed to start it, for the whole district.
  const starter = await daemon.client('e2e.leading-group', ['leading-group']);
  // The author is not the leading group's li of the test above: one name, one identity.
  const li = await daemon.client('liu');
  const wu = await daemon.client('wu', ['reviewer']);
  const id = (await starter.instances.start('node-two-step', { author: 'liu' })).instanceId;

  const [draft] = (await li.tasks.list({ instanceId: id })).tasks;
  const delegated = await li.tasks.delegate(draft.id, 'zhang', { comment: 'please look' });
  assert.deepEqual([delegated.state, delegated.assignee, delegated.owner], ['delegated', 'zhang', 'liu']);
  const back = await (await daemon.client('zhang')).tasks.complete(draft.id);
  assert.deepEqual([back.state, back.assignee], ['claimed', 'liu']);
  await li.tasks.complete(draft.id);

  const [review] = (await wu.tasks.list({ role: 'reviewer', instanceId: id })).tasks;
  assert.equal(review.nodeId, 'review');
  assert.equal((await wu.tasks.returnTo(review.id, 'draft', { comment: 'please redo' })).state, 'cancelled');

  const [redraft] = (await li.tasks.list({ instanceId: id })).tasks;
  assert.deepEqual([redraft.nodeId, redraft.assignee], ['draft', 'liu']);
  assert.equal((await li.tasks.transfer(redraft.id, 'zhao')).assignee, 'zhao');
  await assert.rejects(li.tasks.complete(redraft.id), shequ.PermissionDenied);
  await (await daemon.client('zhao')).tasks.complete(redraft.id);

  const [review2] = (await wu.tasks.list({ instanceId: id })).tasks;
  await wu.tasks.claim(review2.id);
  await wu.tasks.complete(review2.id, 'pass');
  assert.equal((await starter.instances.waitEnded(id, { timeoutMs: 10000 })).state, 'completed');
});
