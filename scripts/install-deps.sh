#!/usr/bin/env bash
# Installs the Debian packages shequd needs to build, run and test. Idempotent; silent when
# everything is already present.
set -euo pipefail
PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libboost-dev libboost-system-dev libspdlog-dev libfmt-dev libyaml-cpp-dev
  nlohmann-json3-dev libabsl-dev libsqlite3-dev sqlite3
  libgtest-dev libgmock-dev googletest
  libssl-dev python3-grpcio python3-protobuf
)
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
