#!/usr/bin/env bash
# Installs the Debian packages shequd and its clients need to build, run and test. Idempotent;
# silent when everything is already present. (npm packages for clients/node come from `npm ci`,
# which the build runs when clients/node/node_modules is missing.)
set -euo pipefail
PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libboost-dev libboost-system-dev libspdlog-dev libfmt-dev libyaml-cpp-dev
  nlohmann-json3-dev libabsl-dev libsqlite3-dev sqlite3
  libgtest-dev libgmock-dev googletest
  libssl-dev libjwt-dev libsodium-dev python3-grpcio python3-protobuf
)
# The Node.js client (clients/node) needs node >= 18 and npm. Debian's packages only when they
# are missing: a NodeSource nodejs already bundles npm and conflicts with Debian's npm package.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  PACKAGES+=(nodejs npm)
fi
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
