#!/usr/bin/env node
// Builds @confluentinc/kafka-javascript from source when its native binding is missing.
//
// Why this exists: the package's own install script first downloads a prebuilt binary and,
// failing that, builds librdkafka with bundled dependencies it also downloads. Neither host is
// reachable on offline or registry-only machines. Built against the system's libraries instead
// (CKJS_LINKING=dynamic), it needs only Debian packages. package.json denies the package's own
// install script (allowScripts) so npm does not fail before this script runs.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const DEBIAN_PACKAGES = 'g++ make python3 zlib1g-dev libssl-dev libzstd-dev libsasl2-dev libcurl4-openssl-dev liblz4-dev';

let packageDir;
try {
  packageDir = path.dirname(require.resolve('@confluentinc/kafka-javascript/package.json'));
} catch {
  // Not installed (e.g. `npm install --omit` of it): nothing to build.
  process.exit(0);
}

const bindingPath = path.join(packageDir, 'build', 'Release', 'confluent-kafka-javascript.node');
if (existsSync(bindingPath) && process.env.FIREHOSE_FORCE_NATIVE_BUILD !== '1') {
  process.exit(0);
}

if (process.platform === 'linux') {
  const headers = [
    '/usr/include/zstd.h',
    '/usr/include/lz4.h',
    '/usr/include/sasl/sasl.h',
    '/usr/include/zlib.h',
    '/usr/include/openssl/ssl.h',
  ];
  const curl = ['/usr/include/curl/curl.h', '/usr/include/x86_64-linux-gnu/curl/curl.h', '/usr/include/aarch64-linux-gnu/curl/curl.h'];
  const missing = headers.filter((h) => !existsSync(h));
  if (!curl.some((h) => existsSync(h))) missing.push('curl/curl.h');
  if (missing.length > 0) {
    console.error(`tick-firehose: cannot build the Kafka client: missing ${missing.join(', ')}.`);
    console.error(`Install the build dependencies first: apt-get install -y ${DEBIAN_PACKAGES}`);
    process.exit(1);
  }
}

console.error('tick-firehose: building @confluentinc/kafka-javascript (librdkafka) from source; this takes about 2 minutes...');
const preGyp = require.resolve('@mapbox/node-pre-gyp/bin/node-pre-gyp', { paths: [packageDir] });
// Outside npm, node-gyp would download Node's headers; use the installed ones when present.
const installPrefix = path.resolve(path.dirname(process.execPath), '..');
const nodedir =
  process.env.npm_config_nodedir ?? (existsSync(path.join(installPrefix, 'include', 'node', 'node_api.h')) ? installPrefix : undefined);
const started = Date.now();
const result = spawnSync(process.execPath, [preGyp, 'install', '--build-from-source', ...(nodedir ? [`--nodedir=${nodedir}`] : [])], {
  cwd: packageDir,
  // The compiler's output is long and mostly warnings: kept, and shown only if the build fails.
  stdio: ['ignore', 'pipe', 'pipe'],
  maxBuffer: 256 * 1024 * 1024,
  env: { ...process.env, CKJS_LINKING: 'dynamic' },
});
if (result.status !== 0 || !existsSync(bindingPath)) {
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.split('\n');
  console.error(output.slice(-40).join('\n'));
  console.error(`tick-firehose: building @confluentinc/kafka-javascript failed (exit ${result.status}).`);
  console.error(`Check that these Debian packages are installed: ${DEBIAN_PACKAGES}`);
  process.exit(1);
}
console.error(`tick-firehose: Kafka client built in ${((Date.now() - started) / 1000).toFixed(0)} s.`);
