#!/usr/bin/env bash
# Generates the Python messages and gRPC stubs for proto/shequ/v1 into shequ/v1/ next to this
# script (gitignored), so `import shequ` finds them as the subpackage shequ.v1. Uses Debian's
# protoc and grpc_python_plugin (protobuf-compiler, protobuf-compiler-grpc); CMake runs it on
# every build where a .proto changed.
#   usage: clients/python/generate.sh [PROTOC] [GRPC_PYTHON_PLUGIN]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
proto_root="$here/../../proto"
protoc="${1:-protoc}"
plugin="${2:-$(command -v grpc_python_plugin)}"
out="$here/shequ/v1"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# Generate aside, then swap in, so a failed run never leaves half a package behind.
"$protoc" -I"$proto_root" --python_out="$tmp" --grpc_python_out="$tmp" \
  --plugin=protoc-gen-grpc_python="$plugin" "$proto_root"/shequ/v1/*.proto
touch "$tmp/shequ/v1/__init__.py"
rm -rf "$out"
mv "$tmp/shequ/v1" "$out"
