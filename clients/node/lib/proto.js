'use strict';
// Loads the service definitions from the repository's proto/ at run time (proto-loader), so the
// client always speaks exactly the .proto files the daemon was built from. SHEQU_PROTO_DIR
// points elsewhere when the package is used outside the checkout.
const fs = require('fs');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const PROTO_DIR = process.env.SHEQU_PROTO_DIR || path.resolve(__dirname, '..', '..', '..', 'proto');

let v1;

/** The loaded `shequ.v1` package: service client constructors by name. */
function shequV1() {
  if (!v1) {
    const dir = path.join(PROTO_DIR, 'shequ', 'v1');
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.proto')).map((f) => `shequ/v1/${f}`);
    const definition = protoLoader.loadSync(files, {
      includeDirs: [PROTO_DIR],
      keepCase: false, // fields in camelCase: instanceId, businessKey
      longs: Number, // ids and times fit in a double (< 2^53)
      enums: String,
      defaults: true,
      oneofs: true,
    });
    v1 = grpc.loadPackageDefinition(definition).shequ.v1;
  }
  return v1;
}

module.exports = { shequV1, PROTO_DIR };
