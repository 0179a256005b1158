'use strict';
// The workforce calls of the Node.js client against a fresh daemon: a small district, roster
// import (a bad row refuses the file), masking by role, a transfer over quota, occupancy, export;
// and clients/node/examples/workforce.js, the guide's example.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { Daemon, SOURCE_DIR, createStreet, shequ } = require('./harness');

const HEADER = '姓名,身份证号,手机号,单位,岗位,等级,用工性质,状态,学历,入职日期\n';
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/** A well-formed resident ID (ISO 7064 MOD 11-2 check character). */
function idNumber(seq3) {
  const first17 = `34011119900101${seq3}`;
  const sum = [...first17].reduce((s, c, i) => s + Number(c) * WEIGHTS[i], 0);
  return first17 + '10X98765432'[sum % 11];
}

const row = (name, seq3, unit, grade = 5) =>
  `${name},${idNumber(seq3)},13900000${seq3},${unit},主办,${grade},聘用合同,在岗,本科,2021-03-01\n`;

let daemon;
let hr;
let migration; // the first import of an existing roster (contract workers): roster-migration
let clerk;
let imported;
before(async () => {
  daemon = await new Daemon().start();
  hr = await daemon.client('zhou', ['personnel']);
  migration = await daemon.client('e2e.roster-migration', ['roster-migration']);
  clerk = await daemon.client('li', ['street-office'], 'bh.hp');
  await createStreet(daemon, 4);
});
after(async () => {
  hr.close();
  await daemon.cleanup();
});

test('units, tree and quota', async () => {
  const wf = clerk.workforce;
  const ids = (await wf.unitTree()).map((u) => u.id);
  assert.deepEqual(ids.slice(0, 2), ['bh', 'bh.hp']);
  assert.deepEqual(ids.slice(2).sort(), ['bh.hp.df', 'bh.hp.xf']);
  const xf = await wf.getUnit('bh.hp.xf');
  assert.equal(xf.approvedQuota, 2);
  assert.equal(xf.effectiveClass, 1);
  const q = await wf.computeQuota('bh.hp.xf');
  assert.equal(q.base, 16);
  assert.equal(q.staffQuota, 19);
  assert.deepEqual((await wf.quotaHistory('bh.hp.df')).map((r) => r.approved), [4]);
  await assert.rejects(wf.getUnit('bh.nowhere'), shequ.NotFound);
});

test('a bad row refuses the whole file, naming row and column', async () => {
  const bad = HEADER + row('甲', '201', 'bh.hp.df') + row('乙', '202', 'bh.hp.df', 19);
  const err = await migration.workforce.importRoster(Buffer.from(bad)).catch((e) => e);
  assert.ok(err instanceof shequ.InvalidArgument, String(err));
  assert.match(err.message, /row 2/);
  assert.match(err.message, /等级/);
  assert.equal((await hr.workforce.listWorkers()).workers.length, 0); // nothing imported

  // Then a good one, from a file, in small chunks with progress.
  const file = path.join(daemon.dataDir, 'roster.csv');
  fs.writeFileSync(file, HEADER + [['王芳', '101', 'bh.hp.xf'], ['李强', '102', 'bh.hp.xf'],
    ['张敏', '103', 'bh.hp.df'], ['赵丽', '104', 'bh.hp.df'], ['孙杰', '105', 'bh.hp.df']]
    .map(([n, s, u]) => row(n, s, u)).join(''));
  const dry = await migration.workforce.importRoster(file, { dryRun: true });
  assert.equal(dry.dryRun, true);
  assert.equal((await hr.workforce.listWorkers()).workers.length, 0);
  const seen = [];
  imported = await migration.workforce.importRoster(file, {
    requestId: 'roster-1', chunkSize: 100, onProgress: (sent, total) => seen.push([sent, total]),
  });
  const size = fs.statSync(file).size;
  assert.equal(imported.rows, 5);
  assert.equal(imported.lastWorkerId - imported.firstWorkerId, 4);
  assert.deepEqual(seen.at(-1), [size, size]);
  assert.equal(seen.length, Math.ceil(size / 100));
});

test('masked for the street office, in the clear for personnel; paging', async () => {
  const first = imported.firstWorkerId;
  const clear = await hr.workforce.getWorker(first);
  const masked = await clerk.workforce.getWorker(first);
  assert.equal(clear.masked, false);
  assert.equal(clear.name, '王芳');
  assert.equal(clear.idNumber, idNumber('101'));
  assert.equal(masked.masked, true);
  assert.notEqual(masked.name, '王芳');
  assert.match(masked.idNumber, /\*/);
  assert.equal(masked.unitId, 'bh.hp.xf');
  const ids = [];
  for await (const w of clerk.workforce.allWorkers({ unitId: 'bh.hp', pageSize: 1 })) ids.push(w.id);
  assert.deepEqual(ids, [first, first + 1, first + 2, first + 3, first + 4]);
});

test('update with a field mask, status, history', async () => {
  const id = imported.firstWorkerId + 2;
  const w = await hr.workforce.updateWorker(id, { grade: 6, idNumber: idNumber('103') }, { reason: '年度晋级' });
  assert.equal(w.grade, 6);
  await assert.rejects(hr.workforce.updateWorker(id, { unitId: 'bh.hp.xf' }),
    (e) => e instanceof shequ.InvalidArgument && /update_mask: unit_id/.test(e.message));
  assert.equal((await hr.workforce.changeStatus(id, '休假', '产假')).status, 'on_leave');
  const types = (await hr.workforce.history({ workerId: id })).map((c) => c.type);
  assert.equal(types[0], 'worker.imported');
  assert.ok(types.length >= 3, types.join());
  await assert.rejects(hr.workforce.convertDispatch(id, '不是派遣'), shequ.FailedPrecondition);
});

test('a transfer over quota is refused', async () => {
  const id = imported.firstWorkerId + 4;
  const err = await clerk.workforce.transferWorker(id, 'bh.hp.xf', '工作需要').catch((e) => e);
  assert.ok(err instanceof shequ.FailedPrecondition, String(err));
  assert.match(err.message, /to_unit/);
  assert.equal((await clerk.workforce.getWorker(id)).unitId, 'bh.hp.df');
});

test('occupancy figures and pay parity', async () => {
  const report = await clerk.workforce.occupancy({ unitId: 'bh.hp' });
  const by = Object.fromEntries(report.rows.map((r) => [r.unitId, r]));
  assert.equal(report.rows[0].unitId, 'bh.hp');
  assert.equal(by['bh.hp.xf'].subtree.occupied, 2);
  assert.equal(by['bh.hp.xf'].subtree.vacant, 0);
  assert.equal(by['bh.hp.df'].depth, 1);
  // One of the three at 东风 is on leave now: still occupying a post.
  assert.equal(by['bh.hp.df'].subtree.occupied, 3);
  assert.equal(by['bh.hp.df'].subtree.onLeave, 1);
  assert.equal(report.rows[0].subtree.approved, 6);
  const parity = await clerk.workforce.payParity();
  assert.ok(parity.rows.some((r) => r.post === 'officer'), JSON.stringify(parity.rows));
});

test('export round trip', async () => {
  const text = await hr.workforce.export('roster', { unitId: 'bh.hp' });
  assert.ok(text.includes(idNumber('105')));
  assert.ok(text.includes('孙杰'));
  assert.equal(text.replace(/^\uFEFF/, '').trim().split('\n').length, 6);
  assert.ok(!(await clerk.workforce.export('roster', { unitId: 'bh.hp' })).includes(idNumber('105')));
  // The export is a roster the import reads: every ID number is already on it.
  await assert.rejects(migration.workforce.importRoster(Buffer.from(text), { dryRun: true }), shequ.AlreadyExists);
  assert.match(await clerk.workforce.export('occupancy', { unitId: 'bh.hp' }), /幸福里社区/);
  await assert.rejects(clerk.workforce.export('everything', { unitId: 'bh.hp' }),
    (e) => e instanceof shequ.InvalidArgument && /what/.test(e.message));
});

test('a street office takes its communities\' tasks', async () => {
  await daemon.admin.definitions.deploy(`
id: e2e-scoped-node
name: a step scoped to a unit
start: check
nodes:
  check: {type: user, role: clerk, unit: "\${unit}", next: done}
  done: {type: end}
`);
  const started = await hr.instances.start('e2e-scoped-node', { unit: 'bh.hp.xf' });
  const street = await daemon.client('wu', ['clerk'], 'bh.hp');
  const mine = (await street.tasks.list({ unit: 'bh.hp', withinUnit: true })).tasks
    .filter((t) => t.instanceId === started.instanceId);
  assert.equal(mine.length, 1);
  assert.equal(mine[0].unit, 'bh.hp.xf');
  const own = (await street.tasks.list({ unit: 'bh.hp' })).tasks.filter((t) => t.instanceId === started.instanceId);
  assert.equal(own.length, 0);
  // A unit the registry does not know is outside the street office's unit; a district-wide
  // caller (personnel) learns that it does not exist.
  await assert.rejects(street.tasks.list({ unit: 'bh.nowhere', withinUnit: true }), shequ.PermissionDenied);
  await assert.rejects(hr.tasks.list({ unit: 'bh.nowhere', withinUnit: true }),
    (e) => e instanceof shequ.NotFound && /bh\.nowhere/.test(e.message));
  await assert.rejects((await daemon.client('qian', ['clerk'], 'bh.hp.df')).tasks.claim(mine[0].id),
    (e) => e instanceof shequ.PermissionDenied);
  assert.equal((await street.tasks.claim(mine[0].id)).assignee, 'wu');
});

test('workforce example', async () => {
  const fresh = await new Daemon().start();
  try {
    const example = path.join(SOURCE_DIR, 'clients/node/examples/workforce.js');
    const tokens = await fresh.writeTokens(path.join(fresh.dataDir, 'tokens.txt'), [
      ['zhou.personnel', ['personnel'], ''], ['wang.street', ['street-office'], 'bh.hp'],
      ['zhang.admin', ['district-admin'], ''], ['bianwei', ['establishment-committee'], ''],
      ['migration.hr', ['roster-migration'], '']]);
    const env = { ...process.env, SHEQU_TOKENS: tokens };
    const stdout = await new Promise((resolve, reject) => {
      execFile(process.execPath, [example, fresh.address], { timeout: 60000, env }, (err, out, errOut) =>
        err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(out));
    });
    assert.match(stdout, /imported 3 workers \(dry run found 3 good rows\)/);
    assert.match(stdout, /personnel sees: 王芳/);
    assert.match(stdout, /street office sees: 王\*/);
    assert.match(stdout, /transfer refused: to_unit: /);
    assert.match(stdout, /\n {2}幸福里社区: approved 2, occupied 2, vacant 0/);
    assert.match(stdout, /\n {2}东风社区: approved 4, occupied 1, vacant 3/);
  } finally {
    await fresh.cleanup();
  }
});
