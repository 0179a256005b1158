'use strict';
// client.plugins against the daemon loading the six department plugins (isolated, each in its
// own shequ-plugin-host): list, describe, invoke, and the errors.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { setUp, shequ, waitFor, DEPARTMENT_PLUGINS } = require('./harness');

let daemon;
let client; // someone allowed to invoke any department's plugin: the leading group (district-wide)
before(async () => {
  ({ daemon } = await setUp({ plugins: true }));
  client = await daemon.client('e2e.leading-group', ['leading-group']);
});
after(async () => {
  await daemon.cleanup();
});

test('list shows the six department plugins, isolated', async () => {
  const listed = await waitFor(async () => {
    const plugins = await client.plugins.list();
    return plugins.length && plugins.every((p) => p.state === 'isolated') ? plugins : null;
  }, { what: 'the plugins to be isolated' });
  assert.deepEqual(listed.map((p) => p.name), DEPARTMENT_PLUGINS);
  for (const p of listed) {
    assert.equal(p.isolation, 'isolated', p.name);
    assert.equal(p.lastError, '', p.name);
    assert.ok(p.department, p.name);
    assert.ok(p.jobTypes.length > 0, p.name);
  }
  assert.equal(listed[0].department, '民政局 / civil affairs bureau');
  assert.deepEqual(listed[0].jobTypes, ['civil-affairs.elderly-care-check']);
});

test('describe civil_affairs shows its checklist fields', async () => {
  const { status, plugin } = await client.plugins.describe('civil_affairs');
  assert.equal(status.name, 'civil_affairs');
  assert.ok(plugin);
  assert.deepEqual(plugin.operations.map((o) => o.name), ['validate-ledger']);
  const checklist = plugin.checklists[0];
  assert.equal(checklist.id, 'civil-affairs-yearly');
  const fields = Object.fromEntries(checklist.fields.map((f) => [f.id, f]));
  assert.equal(fields.household_count.type, 'integer');
  assert.equal(fields.household_count.label, '户数');
  assert.equal(fields.household_count.required, true);
  assert.equal(fields.care_station_area.type, 'decimal');
  assert.equal(fields.volunteers_count.required, false);
  assert.equal(plugin.signboards[0].title, '社区居家养老服务站');
  assert.equal(plugin.signboards[0].photoOnFileAcceptable, true);
});

test('invoke validate-ledger names the missing field', async () => {
  const ledger = {
    community_name: '芜湖路社区', inspection_date: '2026-03-02', household_count: 2400,
    elderly_over_60: 1500, elderly_over_80: 100, low_income_households: 40, disabled_persons: 90,
    old_age_allowance_recipients: 100, low_income_reviewed: 40, home_care_served: 300,
    care_station_area: 120.5,
  };
  assert.deepEqual(await client.plugins.invoke('civil_affairs', 'validate-ledger', { ledger },
    { requestId: 'node-validate-1' }), { complete: true, missing: [], invalid: [] });
  delete ledger.low_income_reviewed;
  ledger.household_count = 'many';
  const out = await client.plugins.invoke('civil_affairs', 'validate-ledger', { ledger });
  assert.equal(out.complete, false);
  assert.deepEqual(out.missing, ['low_income_reviewed']);
  assert.deepEqual(out.invalid.map((i) => i.field), ['household_count']);
});

test('errors: NOT_FOUND for an unknown plugin or operation, INVALID_ARGUMENT for bad input', async () => {
  const err = await client.plugins.invoke('no_such_plugin', 'validate-ledger', { ledger: {} }).catch((e) => e);
  assert.ok(err instanceof shequ.NotFound, String(err));
  assert.equal(err.code, 'NOT_FOUND');
  assert.match(err.message, /no_such_plugin/);
  await assert.rejects(client.plugins.describe('no_such_plugin'), shequ.NotFound);
  await assert.rejects(client.plugins.invoke('civil_affairs', 'shout', {}),
    (e) => e instanceof shequ.NotFound && /validate-ledger/.test(e.message));
  await assert.rejects(client.plugins.invoke('civil_affairs', 'validate-ledger', {}), shequ.InvalidArgument);
});
