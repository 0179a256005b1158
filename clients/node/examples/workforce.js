'use strict';
// The workforce registry from a department system (docs/integration.md, "Workforce").
//
//   node clients/node/examples/workforce.js 127.0.0.1:7070
//
// Against a daemon with an empty registry (not `make run`'s demo district): sets up a street
// office with two communities and their quotas, imports a roster, reads it back masked and in
// the clear, tries a transfer into a full community, and prints the occupancy report.
//
// It acts as five principals, with their API tokens from a file of `<name> <roles> <unit> <token>`
// lines ($SHEQU_TOKENS; var/demo-tokens.txt has that form): zhou.personnel (personnel),
// wang.street (street-office, unit bh.hp), zhang.admin (district-admin), bianwei
// (establishment-committee) and migration.hr (roster-migration); $SHEQU_TOKEN, when set, is
// zhou.personnel's. Make them
// with `shequctl principals put` and `shequctl tokens create` (docs/integration.md).
const fs = require('fs');
const path = require('path');
const shequ = require('../lib'); // in a department's project: require('@shequ/client')

const DEMO_TOKENS = path.join(__dirname, '..', '..', '..', 'var', 'demo-tokens.txt');

const ROSTER = `姓名,身份证号,手机号,单位,岗位,等级,用工性质,状态,学历,入职日期
王芳,340111199001010010,13900000011,bh.hp.xf,主办,5,聘用合同,在岗,本科,2021-03-01
李强,340111199001010037,13900000012,bh.hp.xf,主办,5,聘用合同,在岗,本科,2021-03-01
张敏,340111199001010045,13900000013,bh.hp.df,主办,5,聘用合同,在岗,大专,2022-07-01
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
  // The district's personnel office sees personal data; a street office sees it masked.
  const hr = new shequ.Client(address, { token: process.env.SHEQU_TOKEN || tokens['zhou.personnel'] });
  const street = hr.asCaller({ token: tokens['wang.street'] });
  const wf = hr.workforce;
  // Units are the administrator's, quotas the establishment committee's (编委), and the first
  // import of an existing roster the roster-migration role's.
  const admin = hr.asCaller({ token: tokens['zhang.admin'] }).workforce;
  const committee = hr.asCaller({ token: tokens.bianwei }).workforce;
  const migration = hr.asCaller({ token: tokens['migration.hr'] }).workforce;

  // 1. A district, a street office and two communities, each with an approved quota.
  await admin.createUnit({ id: 'bh', name: '包河区', kind: 'district' }, { requestId: 'unit-bh' });
  await admin.createUnit({ id: 'bh.hp', parentId: 'bh', name: '和平街道', kind: 'street', unitClass: 1 },
    { requestId: 'unit-bh.hp' });
  for (const [id, name, type, households, quota] of /** @type {const} */ ([
    ['bh.hp.xf', '幸福里社区', '城市社区', 2400, 2], ['bh.hp.df', '东风社区', '村改居', 1500, 4]])) {
    await admin.createUnit({ id, parentId: 'bh.hp', name, kind: 'community', communityType: type, households },
      { requestId: `unit-${id}` });
    await committee.reviseQuota(id, quota, '2026-01-01', '初始核定',
      { approvalDocument: '区编办〔2026〕3号', requestId: `quota-${id}` });
  }

  // 2. The roster, all rows or none (a dry run first: it checks everything, stores nothing).
  const checked = await migration.importRoster(Buffer.from(ROSTER), { dryRun: true });
  const imported = await migration.importRoster(Buffer.from(ROSTER), { requestId: 'roster-2026-03' });
  console.log(`imported ${imported.rows} workers (dry run found ${checked.rows} good rows)`);

  // 3. The same worker, as each caller sees it.
  const first = imported.firstWorkerId;
  console.log('personnel sees:', (await wf.getWorker(first)).name);
  console.log('street office sees:', (await street.workforce.getWorker(first)).name);

  // 4. 幸福里 is full (2 of 2): a transfer into it is refused.
  for await (const zhang of street.workforce.allWorkers({ unitId: 'bh.hp.df' })) {
    try {
      await street.workforce.transferWorker(zhang.id, 'bh.hp.xf', '工作需要');
    } catch (err) {
      if (!(err instanceof shequ.FailedPrecondition)) throw err;
      console.log('transfer refused:', err.message);
    }
    break;
  }

  // 5. Occupancy, from the street office down.
  for (const row of (await wf.occupancy({ unitId: 'bh.hp' })).rows) {
    const f = row.subtree;
    console.log(`${'  '.repeat(row.depth)}${row.unitName}: approved ${f.approved}, occupied ${f.occupied}, vacant ${f.vacant}`);
  }
  hr.close();
}

main(process.argv[2] || '127.0.0.1:7070').catch((err) => {
  console.error(err);
  process.exit(1);
});
