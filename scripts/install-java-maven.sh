#!/usr/bin/env bash
# Installs what the local Apache Kafka cluster needs, when missing: Java 17+ and Maven (Debian
# packages), then resolves Kafka's jars through Maven once (cached in ~/.cache/tick-firehose).
# Used by scripts/setup.sh and CI; safe to run again. Run after `npm install` (it uses the bin).
set -euo pipefail
cd "$(dirname "$0")/.."

java_major() {
  local java=java
  [ -n "${JAVA_HOME:-}" ] && java="$JAVA_HOME/bin/java"
  "$java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\)\(\.[0-9]*\)*.*".*/\1/p' | head -1
}

missing=()
major="$(java_major 2>/dev/null || true)"
if [ -z "$major" ] || [ "$major" -lt 17 ]; then
  # Debian 12 ships 17; newer releases may only have a later one (default-jre-headless).
  if apt-cache show openjdk-17-jre-headless >/dev/null 2>&1; then missing+=(openjdk-17-jre-headless); else missing+=(default-jre-headless); fi
fi
command -v mvn >/dev/null 2>&1 || missing+=(maven)

if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "the local Kafka cluster needs Java 17+ and Maven: install ${missing[*]} (or your system's equivalents)" >&2
    exit 1
  fi
  as_root=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "run as root or install sudo to install: ${missing[*]}" >&2; exit 1; }
    as_root=(sudo)
  fi
  echo "installing Debian packages: ${missing[*]}" >&2
  "${as_root[@]}" apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi

node bin/firehose.js cluster resolve
