#!/usr/bin/env bash
# One-step setup on a fresh Debian/Ubuntu machine: system packages, then npm dependencies
# (which builds the Confluent Kafka client and librdkafka from source, ~2 minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh
npm install --no-audit --no-fund
