#!/usr/bin/env bash
# One-step setup on a fresh Debian/Ubuntu machine: system packages, npm dependencies (which builds
# the Confluent Kafka client and librdkafka from source, ~2 minutes), then Java 17 + Maven and
# Apache Kafka's jars, so that `npx firehose run` runs on real Kafka.
set -euo pipefail
cd "$(dirname "$0")/.."
# kcat and chromium: the test suite's interop and report tests need them
bash scripts/install-system-deps.sh kcat chromium
npm install --no-audit --no-fund
bash scripts/install-java-maven.sh
