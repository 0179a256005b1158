'use strict';
// clients/node/examples/quickstart.js, the example of docs/integration.md, against a fresh daemon.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const path = require('node:path');
const { setUp, SOURCE_DIR, createStreetOne } = require('./harness');

test('quickstart example', async () => {
  const { daemon, client } = await setUp();
  try {
    await createStreetOne(daemon); // the street office wang (street-1) asks for its community-7
    const example = path.join(SOURCE_DIR, 'clients/node/examples/quickstart.js');
    const tokens = await daemon.writeTokens(path.join(daemon.dataDir, 'tokens.txt'), [
      ['wang', ['street-office'], 'street-1'], ['li', ['leading-group'], ''],
      ['zhang.admin', ['district-admin'], ''],
      // The archive starts its filing and runs the jobs (Jobs/* needs job-worker).
      ['system:civil-affairs', ['department', 'job-worker'], '']]);
    const env = { ...process.env, SHEQU_TOKENS: tokens };
    const stdout = await new Promise((resolve, reject) => {
      execFile(process.execPath, [example, daemon.address], { timeout: 60000, env }, (err, out, errOut) =>
        err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(out));
    });
    const lines = stdout.split('\n');
    assert.match(lines[0], /^started instance \d+$/);
    assert.match(stdout, /reminder: /);
    assert.ok(lines.includes('vacancy-approval ended: approved'), stdout);
    assert.match(stdout, /archived as A-\d+/);
  } finally {
    client.close();
    await daemon.cleanup();
  }
});
