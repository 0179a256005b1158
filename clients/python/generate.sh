#!/usr/bin/env bash
# Generates the Python messages and gRPC stubs for proto/shequ/v1 (the API) and proto/shequ/plugin/v1
# (the plugin protocol) into shequ/v1/ and shequ/plugin/v1/ next to this script (gitignored), so
# `import shequ` finds them as the subpackages shequ.v1 and shequ.plugin.v1. Uses Debian's
# protoc and grpc_python_plugin (protobuf-compiler, protobuf-compiler-grpc); CMake runs it on
# every build where a .proto changed.
#   usage: clients/python/generate.sh [PROTOC] [GRPC_PYTHON_PLUGIN]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
proto_root="$here/../../proto"
protoc="${1:-protoc}"
plugin="${2:-$(command -v grpc_python_plugin)}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# Generate aside, then swap in, so a failed run never leaves half a package behind.
"$protoc" -I"$proto_root" --python_out="$tmp" --grpc_python_out="$tmp" \
  --plugin=protoc-gen-grpc_python="$plugin" "$proto_root"/shequ/v1/*.proto \
  "$proto_root"/shequ/plugin/v1/*.proto
touch "$tmp/shequ/v1/__init__.py" "$tmp/shequ/plugin/__init__.py" "$tmp/shequ/plugin/v1/__init__.py"
for sub in v1 plugin; do
  rm -rf "${here:?}/shequ/$sub"
  mv "$tmp/shequ/$sub" "$here/shequ/$sub"
done
