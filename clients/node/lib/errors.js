'use strict';
const { status } = require('@grpc/grpc-js');

/** Base class: a call the daemon (or the connection to it) refused. `code` is the gRPC status
 * name ('NOT_FOUND'), `grpcCode` its number, `message` the daemon's text. */
class ShequError extends Error {
  constructor(message, code = 'UNKNOWN') {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.grpcCode = status[code];
  }
}

const classes = {};
for (const [name, code] of [
  ['InvalidArgument', 'INVALID_ARGUMENT'],
  ['NotFound', 'NOT_FOUND'],
  ['AlreadyExists', 'ALREADY_EXISTS'],
  ['Unauthenticated', 'UNAUTHENTICATED'], // no token, or one the daemon refuses (the message says why)
  ['PermissionDenied', 'PERMISSION_DENIED'],
  ['FailedPrecondition', 'FAILED_PRECONDITION'],
  ['ResourceExhausted', 'RESOURCE_EXHAUSTED'],
  ['Unavailable', 'UNAVAILABLE'], // not reachable, or the store refuses writes: retry with the same requestId
  ['DeadlineExceeded', 'DEADLINE_EXCEEDED'],
  ['Cancelled', 'CANCELLED'],
]) {
  // A named class per code, so `instanceof NotFound` and stack traces read naturally.
  classes[name] = {
    [name]: class extends ShequError {
      constructor(message) {
        super(message, code);
      }
    },
  }[name];
}
const byCode = Object.fromEntries(Object.values(classes).map((c) => [new c('').code, c]));

const NO_TOKEN_HINT = 'no token was sent: pass { token } or set SHEQU_TOKEN';

/** The ShequError for a failed gRPC call. hasToken false: the call carried no token, which an
 * UNAUTHENTICATED message then says. */
function fromGrpcError(err, { hasToken = true } = {}) {
  const code = Object.keys(status).find((k) => status[k] === err.code) || 'UNKNOWN';
  let message = err.details || err.message;
  if (code === 'UNAUTHENTICATED' && !hasToken) message = `${message} (${NO_TOKEN_HINT})`;
  const Cls = byCode[code];
  return Cls ? new Cls(message) : new ShequError(message, code);
}

module.exports = { ShequError, ...classes, fromGrpcError };
