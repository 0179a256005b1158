'use strict';
// Starts the real shequd for the Node.js end-to-end tests, as tests/integration/daemon_process.cc
// does: its own temporary data directory, port 0, the fixture config and the fake clock.
//
// The daemon authenticates with API tokens (its default). Its first start makes an administrator
// whose token it writes to <dataDir>/admin.token; the harness reads it, and
// daemon.client(user, roles, unit) gives a client acting as that principal: created with
// Principals/Put, given a token with Principals/CreateToken, both once per daemon (cached).
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const SOURCE_DIR = process.env.SHEQU_SOURCE_DIR || path.resolve(__dirname, '..', '..', '..');
const SHEQUD = process.env.SHEQUD_BINARY || path.join(SOURCE_DIR, 'build', 'daemon', 'shequd');
// The department plugin libraries (build/plugins, next to build/daemon/shequd).
const PLUGIN_DIR = path.resolve(process.env.SHEQU_PLUGIN_DIR
  || path.join(path.dirname(path.dirname(path.resolve(SHEQUD))), 'plugins'));
const DEPARTMENT_PLUGINS = ['civil_affairs', 'comprehensive_governance', 'culture_sports',
  'health_family_planning', 'hr_social_security', 'party_building'];
const shequ = require(path.join(SOURCE_DIR, 'clients', 'node'));

// The tests name their callers themselves: nothing from the environment.
for (const name of ['SHEQU_TOKEN', 'SHEQU_CA', 'SHEQU_CERT', 'SHEQU_KEY', 'SHEQU_SERVER_NAME']) delete process.env[name];

const MONDAY_0900 = 1772413200000; // 2026-03-02 09:00 Beijing, a working day
const READY = /serving gRPC on [^:]+:(\d+) and HTTP on [^:]+:(\d+)/;

/** <dir>/shequd.yaml: the shipped calendar, workflows and policy, API tokens (auth: tokens, the
 * default, rather than the fixture's development mode), and with `plugins` a plugins_dir
 * (writePluginConfig). Returns its path. */
function writeConfig(dir, { plugins = false } = {}) {
  fs.mkdirSync(dir, { recursive: true });
  const config = path.join(dir, 'shequd.yaml');
  fs.writeFileSync(config, [
    `calendar_dir: ${SOURCE_DIR}/config/calendar`, `workflows_dir: ${SOURCE_DIR}/config/workflows`,
    `policy_dir: ${SOURCE_DIR}/config/policy`, ...(plugins ? [`plugins_dir: ${writePluginConfig(dir)}`] : []),
    'auth:', '  mode: tokens', 'store:', '  synchronous: FULL', '',
  ].join('\n'));
  return config;
}

/** <dir>/plugins.d loading the six department plugins, isolated (the default), as
 * config/plugins.d does. Returns its path. */
function writePluginConfig(dir) {
  for (const name of DEPARTMENT_PLUGINS) {
    const lib = path.join(PLUGIN_DIR, `libshequ_${name}.so`);
    if (!fs.existsSync(lib)) throw new Error(`${lib} is missing: build the plugins (or set SHEQU_PLUGIN_DIR)`);
  }
  const pluginsD = path.join(dir, 'plugins.d');
  fs.mkdirSync(pluginsD, { recursive: true });
  for (const name of DEPARTMENT_PLUGINS) {
    fs.writeFileSync(path.join(pluginsD, `${name}.yaml`),
      `name: ${name}\npath: ${path.join(PLUGIN_DIR, `libshequ_${name}.so`)}\n`);
  }
  return pluginsD;
}

class Daemon {
  /** plugins: load the six department plugins (writePluginConfig); off by default, as each is a
   * shequ-plugin-host process of its own. The daemon runs with auth: tokens. */
  constructor(fakeClockMs = MONDAY_0900, { plugins = false } = {}) {
    this.dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shequ-e2e-node-'));
    this.fakeClockMs = fakeClockMs;
    this.port = 0;
    this.proc = null;
    this.config = writeConfig(path.join(this.dataDir, 'conf'), { plugins });
    this._admin = null;
    this._principals = new Map(); // name -> { roles, unit, token } (a promise of it)
  }

  /** The bootstrap administrator's token (district-admin), from <dataDir>/admin.token. */
  get adminToken() {
    return fs.readFileSync(path.join(this.dataDir, 'admin.token'), 'utf8').trim();
  }

  /** A client acting as the bootstrap administrator. */
  get admin() {
    if (!this._admin) this._admin = new shequ.Client(this.address, { token: this.adminToken, timeoutMs: 15000 });
    return this._admin;
  }

  /** The token of the principal `user` with `roles` and `unit`, created the first time. No user
   * and no roles: the administrator. A user without a name is named after its roles. One name
   * keeps one identity in a daemon: asking for it with other roles fails. */
  async token(user = '', roles = [], unit = '') {
    roles = typeof roles === 'string' ? roles.split(',').filter(Boolean) : [...roles];
    if (!user && roles.length === 0) return this.adminToken;
    const name = user || `e2e.${roles.join('.')}${unit ? `@${unit}` : ''}`;
    const identity = JSON.stringify([roles, unit]);
    let known = this._principals.get(name);
    if (!known) {
      known = { identity, token: (async () => {
        const kind = name.startsWith('system:') ? 'system' : 'person';
        await this.admin.principals.put({ name, roles, unit, kind }, { reason: 'e2e' });
        return (await this.admin.principals.createToken(name, { description: 'e2e' })).secret;
      })() };
      this._principals.set(name, known);
    } else if (known.identity !== identity) {
      throw new Error(`principal ${name} acts as ${known.identity} in this daemon, not ${identity}: give the test another name`);
    }
    return known.token;
  }

  /** A tokens file as `make run` writes var/demo-tokens.txt (`<name> <roles> <unit> <token>`
   * lines) for [name, roles, unit] triples, as the examples read it. Resolves to its path. */
  async writeTokens(file, principals) {
    const lines = ['# e2e principals: <name> <roles> <unit> <token>'];
    for (const [name, roles, unit] of principals) {
      lines.push(`${name} ${roles.join(',') || '-'} ${unit || '-'} ${await this.token(name, roles, unit)}`);
    }
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    return file;
  }

  /** A client acting as the principal `user` with `roles` and `unit` (see token()), on the
   * administrator's connection. */
  async client(user = '', roles = [], unit = '') {
    return this.admin.asCaller({ token: await this.token(user, roles, unit) });
  }

  get address() {
    return `127.0.0.1:${this.port}`;
  }

  /** Starts on this.port (0 the first time: any free port); resolves once it serves. */
  start() {
    const log = fs.openSync(path.join(this.dataDir, 'shequd.log'), 'a');
    this.proc = spawn(SHEQUD, [
      '--config', this.config, '--data-dir', this.dataDir,
      '--listen', `127.0.0.1:${this.port}`, '--http', '127.0.0.1:0',
      `--fake-clock=${this.fakeClockMs}`, '--log-level', 'warn',
    ], { stdio: ['ignore', 'pipe', log] });
    fs.closeSync(log);
    const proc = this.proc;
    return new Promise((resolve, reject) => {
      let seen = '';
      const timer = setTimeout(() => fail('did not start in time'), 60000);
      const fail = (why) => {
        clearTimeout(timer);
        proc.kill('SIGKILL');
        reject(new Error(`shequd ${why}:\n${this.log()}`));
      };
      proc.on('exit', () => fail('exited at start'));
      proc.stdout.on('data', (chunk) => {
        seen += chunk;
        const m = READY.exec(seen);
        if (!m) return;
        clearTimeout(timer);
        proc.removeAllListeners('exit');
        proc.stdout.removeAllListeners('data');
        proc.stdout.resume();
        this.port = Number(m[1]);
        resolve(this);
      });
    });
  }

  _signal(sig) {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      proc.once('exit', resolve);
      proc.kill(sig);
    });
  }

  kill() {
    return this._signal('SIGKILL');
  }

  stop() {
    return this._signal('SIGTERM');
  }

  log() {
    try {
      return fs.readFileSync(path.join(this.dataDir, 'shequd.log'), 'utf8');
    } catch {
      return '';
    }
  }

  async cleanup() {
    if (this._admin) this._admin.close();
    await this.stop();
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** Polls fn() until it returns something truthy (an empty array counts as nothing); rejects
 * after timeoutMs. */
async function waitFor(fn, { timeoutMs = 15000, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value && !(Array.isArray(value) && value.length === 0)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A daemon and a client acting as the street office wang (street-1), for one test file;
 * { plugins: true } loads the department plugins. */
async function setUp({ plugins = false } = {}) {
  const daemon = await new Daemon(MONDAY_0900, { plugins }).start();
  const client = await daemon.client('wang', ['street-office'], 'street-1');
  return { daemon, client };
}

/** The street 和平街道 (bh.hp) of district bh with two communities: 幸福里 (bh.hp.xf, quota 2)
 * and 东风 (bh.hp.df, quota dfQuota), as the workforce and recruitment tests use them. The
 * administrator creates the units; the establishment committee (区委编委) approves the quotas,
 * with its document number (ReviseQuota requires approval_document; approved_by is the caller). */
async function createStreet(daemon, dfQuota) {
  const workforce = daemon.admin.workforce;
  await workforce.createUnit({ id: 'bh', name: '包河区', kind: 'district' });
  await workforce.createUnit({ id: 'bh.hp', parentId: 'bh', name: '和平街道', kind: 'street', unitClass: 1 });
  await workforce.createUnit({ id: 'bh.hp.xf', parentId: 'bh.hp', name: '幸福里社区', kind: 'community', communityType: '城市社区', households: 2400 });
  await workforce.createUnit({ id: 'bh.hp.df', parentId: 'bh.hp', name: '东风社区', kind: 'community', communityType: '村改居', households: 1500 });
  await reviseQuota(daemon, 'bh.hp.xf', 2, '2026-01-01', '初始核定');
  await reviseQuota(daemon, 'bh.hp.df', dfQuota, '2026-01-01', '初始核定');
}

/** The street street-1 of district d with its community community-7 (quota 3, all vacant), as
 * the vacancy-approval tests and the quickstart example name them: the street office wang
 * (street-1) acts for community-7, and the workflow reads the vacancies from the registry. */
async function createStreetOne(daemon) {
  const workforce = daemon.admin.workforce;
  await workforce.createUnit({ id: 'd', name: '区', kind: 'district' });
  await workforce.createUnit({ id: 'street-1', parentId: 'd', name: '一街道', kind: 'street', unitClass: 1 });
  await workforce.createUnit({ id: 'community-7', parentId: 'street-1', name: '七社区', kind: 'community', communityType: '城市社区', households: 2400 });
  await reviseQuota(daemon, 'community-7', 3, '2026-01-01', '初始核定');
}

/** An approved quota revision, recorded by the establishment committee (区委编委) with its
 * document number. */
async function reviseQuota(daemon, unitId, approved, effectiveFrom, reason, approvalDocument = '包编〔2026〕1号') {
  const committee = await daemon.client('e2e.establishment-committee', ['establishment-committee']);
  return committee.workforce.reviseQuota(unitId, approved, effectiveFrom, reason, { approvalDocument });
}

module.exports = { Daemon, DEPARTMENT_PLUGINS, SOURCE_DIR, shequ, createStreet, createStreetOne, reviseQuota, setUp, waitFor };
