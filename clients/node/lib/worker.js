'use strict';
// A job worker: handlers per job type fed by Jobs/Activate. The loop reconnects with
// exponential back-off when the daemon goes away, and reports each result with a request id
// derived from (worker, job, attempt), retried until the daemon answers: a completion that
// committed before a connection dropped is answered again, never applied twice.
const { ShequError, NotFound, FailedPrecondition } = require('./errors');

// Codes after which the Activate stream is opened again; anything else stops the worker.
const RECONNECT = new Set(['UNAVAILABLE', 'DEADLINE_EXCEEDED', 'INTERNAL', 'UNKNOWN']);

/** Throw from a handler to fail the job with control over retries: retriesLeft 0 raises an
 * incident at once; -1 (any other error) lets the engine retry with back-off. */
class JobError extends Error {
  constructor(message, { retriesLeft = -1 } = {}) {
    super(message);
    this.name = 'JobError';
    this.retriesLeft = retriesLeft;
  }
}

/** A job handed out by the daemon, with variables parsed. complete()/fail() report it once,
 * retrying through connection errors. */
class ActiveJob {
  constructor(worker, message) {
    this._worker = worker;
    this.message = message; // the shequ.v1.Job as received
    this.id = message.id;
    this.type = message.type;
    this.instanceId = message.instanceId;
    this.nodeId = message.nodeId;
    this.definitionId = message.definitionId;
    this.attempt = message.attempt;
    this.retriesLeft = message.retriesLeft;
    this.deadlineMs = message.deadlineMs;
    this.variables = message.variables ? JSON.parse(message.variables) : {};
  }

  complete(variables) {
    return this._worker._report(this, 'complete', (requestId) =>
      this._worker.client.jobs.complete(this.id, variables, { requestId, attempt: this.attempt }));
  }

  fail(error, { retriesLeft = -1 } = {}) {
    return this._worker._report(this, 'fail', (requestId) =>
      this._worker.client.jobs.fail(this.id, error, { retriesLeft, requestId, attempt: this.attempt }));
  }
}

function sleep(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
  });
}

/** Serves job types with handlers:
 *
 *   const worker = client.worker('hr-archive');
 *   worker.handle('hr.archive', async (job) => ({ archiveNo: 'A-1' })); // merged into variables
 *   await worker.run();                                                // until worker.stop()
 *
 * A handler that throws fails the job with the error's message (the engine retries with
 * back-off, then raises an incident). Handlers may run twice for one job (an expired lock, a
 * crash before the result was reported): use job.id as an idempotency key. Or iterate
 * `worker.jobs()` and call job.complete()/job.fail() yourself. */
class Worker {
  constructor(client, name, { concurrency = 4, timeoutMs = 0, backoffMs = 100, maxBackoffMs = 5000, graceMs = 10000 } = {}) {
    this.client = client;
    this.name = name;
    this.concurrency = concurrency;
    this.timeoutMs = timeoutMs;
    this.backoffMs = backoffMs;
    this.maxBackoffMs = maxBackoffMs;
    this.graceMs = graceMs;
    this.handlers = new Map();
    this.completed = 0; // results the daemon accepted
    this.failed = 0; // handler failures reported with Jobs/Fail
    this.lost = 0; // results refused because the job was no longer ours
    this.reconnects = 0; // Activate streams reopened after an error
    this.reportRetries = 0; // Complete/Fail calls repeated after a connection error
    this._abort = new AbortController();
    this._stoppedAt = 0;
    this._stream = null;
    this._running = null;
  }

  /** Registers `fn(job)` for jobs of `type`; returns the worker, for chaining. */
  handle(type, fn) {
    if (this._running) throw new Error('register handlers before the worker runs');
    this.handlers.set(type, fn);
    return this;
  }

  get stopping() {
    return this._abort.signal.aborted;
  }

  /** Jobs of `types` (default: the registered ones) until stop(); reconnects by itself. */
  async *jobs(types = [...this.handlers.keys()]) {
    let delay = this.backoffMs;
    while (!this.stopping) {
      // waitForReady: while the daemon is away the call waits for the channel (which keeps
      // reconnecting with gRPC's back-off) instead of failing at once.
      this._stream = this.client.jobs.activate(types, this.name, { timeoutMs: this.timeoutMs, waitForReady: true });
      try {
        for await (const message of this._stream) {
          delay = this.backoffMs; // the connection works again
          if (this.stopping) return; // a job not started comes back after its lock
          yield new ActiveJob(this, message);
        }
      } catch (err) {
        if (this.stopping) return;
        if (!(err instanceof ShequError) || !RECONNECT.has(err.code)) throw err;
        await sleep(delay, this._abort.signal);
        delay = Math.min(delay * 2, this.maxBackoffMs);
        this.reconnects += 1;
      }
    }
  }

  /** Runs the handlers, at most `concurrency` at once, until stop(). Rejects with what stopped
   * the worker otherwise. */
  run() {
    if (!this.handlers.size) throw new Error('no handlers registered');
    if (!this._running) this._running = this._run();
    return this._running;
  }

  async _run() {
    const running = new Set();
    try {
      for await (const job of this.jobs()) {
        const p = this._work(job).finally(() => running.delete(p));
        running.add(p);
        if (running.size >= this.concurrency) await Promise.race(running);
      }
    } finally {
      await Promise.all(running);
    }
  }

  async _work(job) {
    let result;
    try {
      result = await this.handlers.get(job.type)(job);
    } catch (err) {
      const text = (err && err.message) || String(err);
      return job.fail(text, { retriesLeft: err instanceof JobError ? err.retriesLeft : -1 });
    }
    return job.complete(result === undefined ? null : result);
  }

  /** Stops taking jobs; resolves once running handlers finished and reported. */
  async stop() {
    if (!this.stopping) {
      this._stoppedAt = Date.now();
      this._abort.abort();
      if (this._stream) this._stream.cancel();
    }
    if (this._running) await this._running.catch(() => {});
  }

  async _report(job, kind, call) {
    // The same request id on every retry: the daemon answers a repeat with the first answer.
    const requestId = `${this.name}/${job.id}/${job.attempt}`;
    let delay = this.backoffMs;
    for (;;) {
      try {
        await call(requestId);
        if (kind === 'complete') this.completed += 1;
        else this.failed += 1;
        return true;
      } catch (err) {
        const retry = err instanceof ShequError && RECONNECT.has(err.code) &&
          !(this.stopping && Date.now() - this._stoppedAt > this.graceMs);
        if (!retry) {
          // NotFound / FailedPrecondition: the lock expired and the job went elsewhere.
          if (!(err instanceof NotFound || err instanceof FailedPrecondition)) {
            console.error(`shequ worker ${this.name}: job ${job.id} ${kind} not reported: ${err.message}`);
          }
          this.lost += 1;
          return false;
        }
        this.reportRetries += 1;
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, this.maxBackoffMs);
      }
    }
  }
}

module.exports = { Worker, ActiveJob, JobError };
