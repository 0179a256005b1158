'use strict';
// The recruitment calls of the Node.js client against a fresh daemon (fake clock), as
// tests/integration/recruitment_test.cc drives them: a campaign for two posts is approved, seven
// apply (one too old, refused by the eligibility rules when the window closes), the thin post is
// cut, written and interview scores are imported, the post is ranked; a failed check promotes
// the next candidate, an objection is dismissed, and after the notice the candidate is hired.
// Bad input is refused with the error class and the field.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { Daemon, createStreet, shequ } = require('./harness');

const MONDAY_0900 = 1772413200000; // the harness's fake clock: 2026-03-02 09:00 Beijing
const DAY_MS = 86400000;
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/** A well-formed resident ID: first17 and its ISO 7064 MOD 11-2 check character. */
function idNumber(first17) {
  const sum = [...first17].reduce((s, c, i) => s + Number(c) * WEIGHTS[i], 0);
  return first17 + '10X98765432'[sum % 11];
}

/** Applications 2026-03-02..06: one assistant at 幸福里 (P01), one at 东风 (P02). */
const campaign = (id, p01 = 1, p02 = 1) => ({
  id, streetUnitId: 'bh.hp', title: '和平街道2026年社区工作者招聘', opens: '2026-03-02', closes: '2026-03-06',
  posts: [{ id: 'P01', unitId: 'bh.hp.xf', post: 'assistant', count: p01 },
    { id: 'P02', unitId: 'bh.hp.df', post: 'assistant', count: p02 }],
});

const applicant = (postId, name, first17, more = {}) => ({
  postId, name, idNumber: idNumber(first17), phone: '13812345678', education: 'bachelor', source: 'graduate', ...more,
});

// P01's applicants in the order they apply; the last one was born in 1970 (55: too old).
const P01 = [['王小明', '34010419950101001'], ['李小红', '34010419960202002'], ['张大伟', '34010419970303003'],
  ['刘芳', '34010419980404004'], ['陈老', '34010419700505005']];

let daemon;
let lg;
let street;
let hr;
let pub;
before(async () => {
  daemon = await new Daemon().start();
  lg = await daemon.client('chen.lg', ['leading-group']);
  street = await daemon.client('li.clerk', ['street-office'], 'bh.hp');
  hr = await daemon.client('zhou.hr', ['personnel']);
  pub = await daemon.client('applicant');
  await createStreet(daemon, 1);
});
after(async () => {
  lg.close();
  await daemon.cleanup();
});

/** The error a promise rejects with (fails when it resolves). */
async function failure(promise) {
  const err = await promise.then(() => null, (e) => e);
  assert.ok(err, 'expected a rejection');
  return err;
}

// Runs first (the flow below moves the clock).
test('bad input names the field; nothing is created', async () => {
  const rec = street.recruitment;
  let err = await failure(rec.createCampaign({ ...campaign('bad-date'), opens: '2026-13-01' }));
  assert.ok(err instanceof shequ.InvalidArgument, String(err));
  assert.match(err.message, /campaign\.opens/);
  const bad = campaign('bad-count');
  bad.posts[0].count = 0;
  err = await failure(rec.createCampaign(bad));
  assert.ok(err instanceof shequ.InvalidArgument, String(err));
  assert.match(err.message, /campaign\.posts\[0\]\.count/);
  // A unit the registry does not know; a campaign beyond the quota.
  await assert.rejects(rec.createCampaign({ ...campaign('bad-unit'), posts: [{ id: 'P01', unitId: 'bh.nowhere', post: 'assistant', count: 1 }] }),
    (e) => e instanceof shequ.InvalidArgument && /campaign\.posts\[0\]\.unit_id/.test(e.message));
  err = await failure(rec.createCampaign(campaign('too-many', 3)));
  assert.ok(err instanceof shequ.FailedPrecondition, String(err));
  assert.match(err.message, /vacant/);
  assert.deepEqual(await rec.listCampaigns(), []);
});

test('a campaign from the announcement to the hire', async () => {
  const rec = street.recruitment;
  let c = await rec.createCampaign(campaign('hp-2026'), { requestId: 'create-hp-2026' });
  assert.equal(c.state, 'draft');
  assert.equal(c.spec.posts[1].unitId, 'bh.hp.df');
  assert.deepEqual(c.openSteps.map((s) => [s.step, s.role]), [['approve', 'leading-group']]);
  // Nobody applies before approval; only the leading group approves.
  await assert.rejects(pub.recruitment.apply('hp-2026', applicant('P01', ...P01[0])), shequ.FailedPrecondition);
  await assert.rejects(rec.approveCampaign('hp-2026'), shequ.PermissionDenied);
  c = await lg.recruitment.approveCampaign('hp-2026', 'approved', { comment: '同意' });
  assert.equal(c.state, 'published');
  assert.deepEqual((await lg.recruitment.listCampaigns({ streetUnitId: 'bh.hp' })).map((x) => x.spec.id), ['hp-2026']);
  assert.deepEqual(await lg.recruitment.listCampaigns({ state: 'draft' }), []);

  // Seven apply: five on P01 (王小明 did community work since 2019), two on P02.
  const apply = (a) => pub.recruitment.apply('hp-2026', a);
  const p01 = [];
  for (const [i, [name, first17]] of P01.entries()) {
    p01.push(await apply(applicant('P01', name, first17, { communitySince: i === 0 ? '2019-06-01' : '' })));
  }
  assert.equal(new Set(p01).size, 5);
  await apply(applicant('P02', '赵一', '34010419950606006'));
  await apply(applicant('P02', '钱二', '34010419950707007', { education: '本科' }));
  // A bad ID number names the field; the same person twice is AlreadyExists.
  const err = await failure(apply(applicant('P01', '孙某', '34010419950808008', { idNumber: '34010419950808008X' })));
  assert.ok(err instanceof shequ.InvalidArgument, String(err));
  assert.match(err.message, /id_number/);
  await assert.rejects(apply(applicant('P01', ...P01[1])), shequ.AlreadyExists);
  assert.equal((await rec.getCampaign('hp-2026')).funnel.applied, 7);

  // The window closes (Saturday 2026-03-07): the automatic rules run.
  await daemon.admin.admin.advanceClock('', { toMs: MONDAY_0900 + 5 * DAY_MS });
  assert.equal((await rec.getCampaign('hp-2026')).state, 'applications_closed');
  const apps = await rec.listApplications('hp-2026', { postId: 'P01' });
  assert.deepEqual(apps.map((a) => a.id), p01);
  assert.deepEqual(apps.map((a) => a.status), ['eligible', 'eligible', 'eligible', 'eligible', 'ineligible']);
  const tooOld = apps[4];
  assert.equal(tooOld.refusals.length, 1);
  assert.match(tooOld.refusals[0], /年龄/); // 55 when the window closed; 18–35 wanted
  assert.equal(tooOld.name, '陈*'); // masked for the street office
  assert.deepEqual((await rec.listApplications('hp-2026', { status: 'ineligible' })).map((a) => a.id), [p01[4]]);
  // The reviewer confirms the refusal (a refusal needs a reason).
  await assert.rejects(rec.reviewApplication('hp-2026', p01[4], false), shequ.InvalidArgument);
  const reviewed = await rec.reviewApplication('hp-2026', p01[4], false, '年龄超过招聘公告规定', { requestId: 'review-5' });
  assert.equal(reviewed.status, 'ineligible');

  // P02 has two eligible applicants for one post, below 3:1: the leading group decides.
  c = await rec.finishReview('hp-2026');
  assert.equal(c.state, 'applications_closed');
  assert.deepEqual(c.shortfalls.map((s) => [s.postId, s.posts, s.eligible]), [['P02', 1, 2]]);
  assert.deepEqual((await rec.getCampaign('hp-2026')).openSteps.map((s) => s.step), ['shortfall']);
  await assert.rejects(rec.decideShortfall('hp-2026', { cut: { P02: 0 } }), shequ.PermissionDenied);
  c = await lg.recruitment.decideShortfall('hp-2026', { cut: { P02: 0 }, comment: '核减' });
  assert.equal(c.state, 'eligibility_reviewed');
  assert.equal(c.funnel.eligible, 4);
  // P02's two leave with their post, and see why.
  const dropped = await rec.listApplications('hp-2026', { postId: 'P02' });
  assert.deepEqual(dropped.map((a) => a.status), ['post_cancelled', 'post_cancelled']);
  assert.equal(dropped[0].refusals.at(-1), '报考岗位P02因开考比例不足取消');

  // Written scores (刘芳 absent); a bad score refuses the whole file, naming the column.
  const bad = await failure(rec.importScores('hp-2026', `报名号,笔试成绩\n${p01[0]},91\n${p01[1]},高分\n`));
  assert.ok(bad instanceof shequ.InvalidArgument, String(bad));
  assert.match(bad.message, /笔试成绩/);
  const written = `报名号,笔试成绩\n${p01[0]},91\n${p01[1]},88.5\n${p01[2]},80\n${p01[3]},缺考\n`;
  assert.equal(await rec.importScores('hp-2026', Buffer.from(written)), 4);
  c = await rec.shortlist('hp-2026');
  assert.equal(c.state, 'shortlisted');
  const shortlisted = await rec.listApplications('hp-2026', { status: 'shortlisted' });
  assert.deepEqual(shortlisted.map((a) => a.id), p01.slice(0, 3));
  assert.equal(shortlisted[1].written, '88.5');

  // Interview scores, then the ranking: composite 50/50, 李小红 (88.5, 90) 89.25 first,
  // 王小明 (91, 85) 88 second, 张大伟 (80, 70) 75 third.
  const interview = path.join(daemon.dataDir, 'interview.csv'); // from a file
  fs.writeFileSync(interview, `报名号,面试成绩\n${p01[0]},85\n${p01[1]},90\n${p01[2]},70\n`);
  assert.equal(await rec.importScores('hp-2026', { path: interview }, { requestId: 'interview-1' }), 3);
  c = await rec.rank('hp-2026');
  assert.equal(c.state, 'checking');
  const ranking = await rec.getRanking('hp-2026', 'P01');
  assert.deepEqual(ranking.map((a) => [a.id, a.rank]), [[p01[1], 1], [p01[0], 2], [p01[2], 3]]);
  assert.equal(ranking[0].status, 'selected');
  assert.equal(ranking[0].name, '李*红');
  assert.equal(ranking[0].composite, '89.250');
  assert.equal(ranking[1].composite, '88.000');

  // 李小红 fails the physical examination: 王小明 is promoted (递补) and checked too.
  const checked = await rec.recordCheck('hp-2026', p01[1], 'physical', false, '体检不合格');
  assert.deepEqual([checked.removedId, checked.promotedId], [p01[1], p01[0]]);
  await assert.rejects(rec.startNotice('hp-2026'), shequ.FailedPrecondition); // 王小明's checks are pending
  assert.deepEqual((await rec.getRanking('hp-2026', 'P01')).map((a) => a.status), ['removed', 'selected', 'ranked']);
  const notCandidate = await failure(rec.withdraw('hp-2026', p01[2], '另有工作')); // 张大伟 is third
  assert.ok(notCandidate instanceof shequ.FailedPrecondition, String(notCandidate));
  assert.match(notCandidate.message, /not a candidate/);
  await rec.recordCheck('hp-2026', p01[0], 'physical', true);
  await rec.recordCheck('hp-2026', p01[0], 'background', true);
  c = await rec.startNotice('hp-2026');
  assert.equal(c.state, 'notice');

  // An objection during the notice; investigated and dismissed, the candidate stays.
  let objection = await pub.recruitment.fileObjection('hp-2026', p01[0], '反映该考生学历造假');
  assert.equal(objection.state, 'open');
  assert.ok(objection.instanceId > 0);
  objection = await rec.decideObjection('hp-2026', objection.id, false, '经核查学历属实');
  assert.equal(objection.state, 'dismissed');

  // After the notice the workflow hires him into the reserved post.
  await daemon.admin.admin.advanceClock('P14D');
  c = await rec.getCampaign('hp-2026');
  assert.equal(c.state, 'done');
  const f = c.funnel; // 刘芳 missed the written exam; P02's two left with their post
  assert.deepEqual([f.applied, f.eligible, f.examined, f.interviewed, f.notified, f.hired], [7, 4, 3, 3, 1, 1]);
  assert.deepEqual(c.stages.map((s) => s.state), ['draft', 'approved', 'published', 'applications_closed',
    'eligibility_reviewed', 'written_scored', 'shortlisted', 'interviewed', 'ranked', 'checking', 'notice', 'hiring', 'done']);
  assert.equal(c.hiredWorkers.length, 1);
  const worker = await hr.workforce.getWorker(c.hiredWorkers[0]);
  assert.deepEqual([worker.name, worker.unitId, worker.post], ['王小明', 'bh.hp.xf', 'assistant']);
  assert.equal(worker.grade, 5); // assistant 1 + 6 years ÷ 3 + 2 for a bachelor's
  assert.deepEqual((await lg.recruitment.listCampaigns()).map((x) => x.state), ['done']);
});
