#!/usr/bin/env bash
# One-step setup on a fresh Debian/Ubuntu machine: system packages, then npm dependencies
# (which builds the Confluent Kafka client and librdkafka from source, ~2 minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
# kcat and chromium: the test suite's interop and report tests need them
bash scripts/install-system-deps.sh kcat chromium
npm install --no-audit --no-fund
