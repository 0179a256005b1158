'use strict';
// Starts the real shequd for the Node.js end-to-end tests, as tests/integration/daemon_process.cc
// does: its own temporary data directory, port 0, the fixture config and the fake clock.
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

const MONDAY_0900 = 1772413200000; // 2026-03-02 09:00 Beijing, a working day
const READY = /serving gRPC on [^:]+:(\d+) and HTTP on [^:]+:(\d+)/;

/** <dir>/shequd.yaml: the fixture config plus a plugins_dir (<dir>/plugins.d) loading the six
 * department plugins, isolated (the default), as config/plugins.d does. Returns its path. */
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
  const config = path.join(dir, 'shequd.yaml');
  fs.writeFileSync(config, [
    `calendar_dir: ${SOURCE_DIR}/config/calendar`, `workflows_dir: ${SOURCE_DIR}/config/workflows`,
    `policy_dir: ${SOURCE_DIR}/config/policy`, `plugins_dir: ${pluginsD}`, 'auth: headers', 'store:', '  synchronous: FULL', '',
  ].join('\n'));
  return config;
}

class Daemon {
  /** plugins: load the six department plugins (writePluginConfig); off by default, as each is a
   * shequ-plugin-host process of its own. */
  constructor(fakeClockMs = MONDAY_0900, { plugins = false } = {}) {
    this.dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shequ-e2e-node-'));
    this.fakeClockMs = fakeClockMs;
    this.port = 0;
    this.proc = null;
    this.config = plugins ? writePluginConfig(path.join(this.dataDir, 'conf'))
      : path.join(SOURCE_DIR, 'tests/fixtures/shequd.yaml');
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

/** A daemon and a client speaking as the street office, for one test file; { plugins: true }
 * loads the department plugins. */
async function setUp({ plugins = false } = {}) {
  const daemon = await new Daemon(MONDAY_0900, { plugins }).start();
  const client = new shequ.Client(daemon.address, {
    user: 'wang', roles: ['street-office'], unit: 'street-1', timeoutMs: 15000,
  });
  return { daemon, client };
}

/** The street 和平街道 (bh.hp) of district bh with two communities: 幸福里 (bh.hp.xf, quota 2)
 * and 东风 (bh.hp.df, quota dfQuota), as the workforce and recruitment tests use them. */
async function createStreet(workforce, dfQuota) {
  await workforce.createUnit({ id: 'bh', name: '包河区', kind: 'district' });
  await workforce.createUnit({ id: 'bh.hp', parentId: 'bh', name: '和平街道', kind: 'street', unitClass: 1 });
  await workforce.createUnit({ id: 'bh.hp.xf', parentId: 'bh.hp', name: '幸福里社区', kind: 'community', communityType: '城市社区', households: 2400 });
  await workforce.createUnit({ id: 'bh.hp.df', parentId: 'bh.hp', name: '东风社区', kind: 'community', communityType: '村改居', households: 1500 });
  await workforce.reviseQuota('bh.hp.xf', 2, '2026-01-01', '初始核定', { approvedBy: '区委编委' });
  await workforce.reviseQuota('bh.hp.df', dfQuota, '2026-01-01', '初始核定', { approvedBy: '区委编委' });
}

module.exports = { Daemon, DEPARTMENT_PLUGINS, SOURCE_DIR, shequ, createStreet, setUp, waitFor };
