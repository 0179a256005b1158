'use strict';
const fs = require('fs');
const { status } = require('@grpc/grpc-js');
const { fromGrpcError } = require('./errors');

/** Variables travel as JSON text whose root is an object; '' means none. */
function toJson(variables) {
  if (variables === undefined || variables === null) return '';
  return typeof variables === 'string' ? variables : JSON.stringify(variables);
}

/** The `variables` (or `data`) JSON field of a message, parsed; {} when empty. */
function variables(message) {
  const text = message.variables !== undefined ? message.variables : message.data;
  return text ? JSON.parse(text) : {};
}

const END = Symbol('end');
const HIGH_WATER = 64; // items buffered before the call is paused (flow control does the rest)

/** A server stream: `for await` it, or `read({timeoutMs})` the next item. cancel() ends it
 * quietly; a failure is thrown as a ShequError where it is reached. */
class Stream {
  constructor(call, { hasToken = true } = {}) {
    this._call = call;
    this._items = [];
    this._waiters = [];
    this._error = null;
    this._cancelled = false;
    call.on('data', (item) => this._push(item));
    call.on('error', (err) => {
      if (!(this._cancelled && err.code === status.CANCELLED)) this._error = fromGrpcError(err, { hasToken });
      this._push(END);
    });
    call.on('end', () => this._push(END));
  }

  _push(item) {
    if (this._ended) return;
    if (item === END) this._ended = true;
    const waiter = this._waiters.shift();
    if (waiter) {
      clearTimeout(waiter.timer);
      waiter.resolve(item);
    } else {
      this._items.push(item);
      if (this._items.length >= HIGH_WATER) this._call.pause();
    }
  }

  /** The next item, or null when the stream ended; rejects with a TimeoutError after timeoutMs,
   * with the ShequError when the stream failed. */
  async read({ timeoutMs } = {}) {
    if (this._done) return null;
    let item;
    if (this._items.length) {
      item = this._items.shift();
      if (this._items.length < HIGH_WATER / 2) this._call.resume();
    } else {
      item = await new Promise((resolve, reject) => {
        const waiter = { resolve };
        this._waiters.push(waiter);
        if (timeoutMs !== undefined) {
          waiter.timer = setTimeout(() => {
            this._waiters.splice(this._waiters.indexOf(waiter), 1);
            const err = new Error(`no stream item within ${timeoutMs} ms`);
            err.name = 'TimeoutError';
            reject(err);
          }, Math.max(0, timeoutMs));
        }
      });
    }
    if (item === END) {
      this._done = true;
      if (this._error && !this._cancelled) throw this._error;
      return null;
    }
    return item;
  }

  cancel() {
    this._cancelled = true;
    this._call.cancel();
  }

  [Symbol.asyncIterator]() {
    return {
      next: async () => {
        const value = await this.read();
        return value === null ? { value: undefined, done: true } : { value, done: false };
      },
      return: async () => {
        this.cancel(); // `break` out of for-await ends the call
        return { value: undefined, done: true };
      },
    };
  }
}

/** Base of the per-service wrappers: `serviceName` is the gRPC service in shequ.v1. */
class Service {
  constructor(client, serviceName) {
    this._client = client;
    this._serviceName = serviceName;
  }

  get _stub() {
    return this._client._stub(this._serviceName);
  }

  _unary(method, request, { timeoutMs } = {}) {
    const ms = timeoutMs !== undefined ? timeoutMs : this._client.timeoutMs;
    const options = ms ? { deadline: Date.now() + ms } : {};
    return new Promise((resolve, reject) => {
      this._stub[method](request, this._client.metadata(), options, (err, response) =>
        err ? reject(fromGrpcError(err, { hasToken: Boolean(this._client.token) })) : resolve(response));
    });
  }

  _stream(method, request, callOptions = {}) {
    // No deadline: streams live until cancelled or the daemon ends them.
    return new Stream(this._stub[method](request, this._client.metadata(), callOptions),
      { hasToken: Boolean(this._client.token) });
  }
}

/** CSV given as text, a Buffer, or { path } of a file, as text. */
function csvText(csv) {
  if (typeof csv === 'string') return csv;
  if (csv && typeof csv === 'object' && 'path' in csv) {
    return fs.readFileSync(csv.path, 'utf8');
  }
  return Buffer.from(csv).toString('utf8');
}

module.exports = { Service, Stream, csvText, toJson, variables };
