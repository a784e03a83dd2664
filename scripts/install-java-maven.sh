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

# The same installer as the build packages (it installs only what dpkg lacks).
[ ${#missing[@]} -eq 0 ] || bash scripts/install-system-deps.sh "${missing[@]}"

node bin/firehose.js cluster resolve
