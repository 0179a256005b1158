'use strict';
// Starts the real shequd for the Node.js end-to-end tests, as tests/integration/daemon_process.cc
// does: its own temporary data directory, port 0, the fixture config and the fake clock.
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const SOURCE_DIR = process.env.SHEQU_SOURCE_DIR || path.resolve(__dirname, '..', '..', '..');
const SHEQUD = process.env.SHEQUD_BINARY || path.join(SOURCE_DIR, 'build', 'daemon', 'shequd');
const shequ = require(path.join(SOURCE_DIR, 'clients', 'node'));

const MONDAY_0900 = 1772413200000; // 2026-03-02 09:00 Beijing, a working day
const READY = /serving gRPC on [^:]+:(\d+) and HTTP on [^:]+:(\d+)/;

class Daemon {
  constructor(fakeClockMs = MONDAY_0900) {
    this.dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shequ-e2e-node-'));
    this.fakeClockMs = fakeClockMs;
    this.port = 0;
    this.proc = null;
  }

  get address() {
    return `127.0.0.1:${this.port}`;
  }

  /** Starts on this.port (0 the first time: any free port); resolves once it serves. */
  start() {
    const log = fs.openSync(path.join(this.dataDir, 'shequd.log'), 'a');
    this.proc = spawn(SHEQUD, [
      '--config', path.join(SOURCE_DIR, 'tests/fixtures/shequd.yaml'), '--data-dir', this.dataDir,
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

/** A daemon and a client speaking as the street office, for one test file. */
async function setUp() {
  const daemon = await new Daemon().start();
  const client = new shequ.Client(daemon.address, {
    user: 'wang', roles: ['street-office'], unit: 'street-1', timeoutMs: 15000,
  });
  return { daemon, client };
}

module.exports = { Daemon, SOURCE_DIR, shequ, setUp, waitFor };
