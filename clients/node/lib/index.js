'use strict';
// @shequ/client: the Node.js client for shequd (gRPC API shequ.v1). See docs/integration.md.
const { Client } = require('./client');
const { Worker, ActiveJob, JobError } = require('./worker');
const { Stream, variables } = require('./rpc');
const errors = require('./errors');

module.exports = { Client, Worker, ActiveJob, JobError, Stream, variables, ...errors };
