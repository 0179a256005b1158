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

/** The ShequError for a failed gRPC call. */
function fromGrpcError(err) {
  const code = Object.keys(status).find((k) => status[k] === err.code) || 'UNKNOWN';
  const message = err.details || err.message;
  const Cls = byCode[code];
  return Cls ? new Cls(message) : new ShequError(message, code);
}

module.exports = { ShequError, ...classes, fromGrpcError };
