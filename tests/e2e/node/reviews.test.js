'use strict';
// The annual-review calls of the Node.js client against a fresh daemon (fake clock), as
// tests/integration/reviews_test.cc drives them: the street office opens 和平街道's 2026 cycle with
// one worker, who submits and finishes the report; fifteen residents' representatives and party
// members vote (a second ballot by the same voter is AlreadyExists); the street office records
// the scores, finishes the appraisal and the scores, and calibration shows the rating. No answer
// names a voter.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Daemon, reviseQuota, shequ } = require('./harness');

const CYCLE = 'bh.hp/2026';
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/** A well-formed resident ID: first17 and its ISO 7064 MOD 11-2 check character. */
function idNumber(first17) {
  const sum = [...first17].reduce((s, c, i) => s + Number(c) * WEIGHTS[i], 0);
  return first17 + '10X98765432'[sum % 11];
}

let daemon;
let street;
let own;
let workerId;
before(async () => {
  daemon = await new Daemon().start();
  const workforce = daemon.admin.workforce;
  await workforce.createUnit({ id: 'bh', name: '包河区', kind: 'district' });
  await workforce.createUnit({ id: 'bh.hp', parentId: 'bh', name: '和平街道', kind: 'street', unitClass: 1 });
  await workforce.createUnit({ id: 'bh.hp.xf', parentId: 'bh.hp', name: '幸福里社区', kind: 'community', communityType: '城市社区', households: 6000 });
  await reviseQuota(daemon, 'bh.hp.xf', 12, '2026-01-01', '初始核定');
  // A contract worker (a quota post): the first import of an existing roster.
  const migration = await daemon.client('e2e.roster-migration', ['roster-migration']);
  workerId = (await migration.workforce.createWorker({
    name: '工作者100', idNumber: idNumber('34011119900101100'), phone: '13900000100', education: 'bachelor',
    employment: 'contract', post: 'officer', grade: 5, unitId: 'bh.hp.xf', hiredOn: '2020-05-01', number: 'W100',
  })).id;
  street = await daemon.client('li.clerk', ['street-office'], 'bh.hp');
  // The worker acts as the principal named by their employee number.
  own = await daemon.client('W100', ['worker'], 'bh.hp.xf');
});
after(async () => {
  await daemon.cleanup();
});

/** voter-0..7 residents' representatives, voter-8.. party members of 幸福里. */
const voter = (i) => daemon.client(`voter-${i}`, [i < 8 ? 'resident-representative' : 'party-member'], 'bh.hp.xf');

const noVoter = (answer) => assert.doesNotMatch(JSON.stringify(answer), /voter-/);

test('a worker from the report to the calibrated rating', async () => {
  const rv = street.reviews;
  const w = workerId;
  const cycle = await rv.openCycle('bh.hp', 2026, { requestId: 'open-bh.hp-2026' });
  assert.equal(cycle.id, CYCLE);
  assert.deepEqual([cycle.workers, cycle.rated, cycle.notRated], [1, 1, 0]);
  assert.equal(cycle.state, 'open');
  await assert.rejects(rv.openCycle('bh.hp', 2026), shequ.AlreadyExists);
  assert.deepEqual((await rv.listCycles({ streetUnitId: 'bh.hp', year: 2026 })).map((c) => c.id), [CYCLE]);
  assert.equal((await rv.getCycle(CYCLE)).streetUnitId, 'bh.hp');

  // The report, by the worker; finished by the worker.
  let review = await own.reviews.submitReport(CYCLE, w, '2026年度述职报告', ['doc:report-100']);
  assert.equal(review.report, '2026年度述职报告');
  assert.deepEqual(review.attachments, ['doc:report-100']);
  assert.deepEqual((await own.reviews.finishStep(CYCLE, w, 'report')).stepsDone, ['report']);

  // Fifteen ballots, eight from residents' representatives; the receipt counts them.
  for (let i = 0; i < 15; i++) {
    const receipt = await (await voter(i)).reviews.castBallot(CYCLE, w, 'competent');
    assert.equal(receipt.ballots, i + 1);
  }
  await assert.rejects((await voter(0)).reviews.castBallot(CYCLE, w, 'excellent'), shequ.AlreadyExists);
  const { tally } = await rv.getReview(CYCLE, w);
  assert.deepEqual([tally.ballots, tally.residents, tally.partyMembers, tally.competent], [15, 8, 7, 15]);
  assert.equal(tally.shortfall, '');

  // The scores, then the appraisal and the scores finished by the street office.
  review = await rv.recordScores(CYCLE, w, { satisfaction: '80', target: '80', unexcusedAbsenceDays: 0 });
  assert.deepEqual([review.satisfaction, review.target, review.unexcusedAbsenceDays], ['80', '80', 0]);
  await rv.finishStep(CYCLE, w, 'appraisal', { comment: '民主评议结束' });
  review = await rv.finishStep(CYCLE, w, 'scores');
  assert.deepEqual([...review.stepsDone].sort(), ['appraisal', 'report', 'scores']);
  noVoter(review);
  const listed = [];
  for await (const r of rv.allReviews(CYCLE, { unitId: 'bh.hp.xf' })) listed.push(r.workerId);
  assert.deepEqual(listed, [w]);

  // Calibration: the rating sign-off would fix, nothing changed.
  const results = await rv.calibrate(CYCLE);
  noVoter(results);
  assert.deepEqual(results.results.map((r) => [r.workerId, r.result.rating]), [[w, 'competent']]);
  assert.equal((await rv.getCycle(CYCLE)).state, 'open');
});
