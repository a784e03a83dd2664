import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** Points at a specific librdkafka.so.1; wins over every other location. */
export const LIBRDKAFKA_ENV_VAR = 'FIREHOSE_LIBRDKAFKA';

// Debian/Ubuntu multiarch directories first (where `apt-get install librdkafka1` puts it), then the
// plain, lib64 and /usr/local prefixes used by other distributions and source installs.
const SYSTEM_PATHS: readonly string[] = [
  '/usr/lib/x86_64-linux-gnu/librdkafka.so.1',
  '/usr/lib/aarch64-linux-gnu/librdkafka.so.1',
  '/usr/lib64/librdkafka.so.1',
  '/usr/lib/librdkafka.so.1',
  '/usr/local/lib/librdkafka.so.1',
  '/usr/local/lib64/librdkafka.so.1',
];

/** The librdkafka the Confluent client built for itself: same version the client speaks, newest mock API. */
function confluentClientBuild(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    const packageJson = require.resolve('@confluentinc/kafka-javascript/package.json');
    return path.join(path.dirname(packageJson), 'build', 'deps', 'librdkafka.so.1');
  } catch {
    // The client is optional for the embedded cluster; fall through to the system library.
    return undefined;
  }
}

/**
 * Path of the librdkafka shared library that hosts the embedded (mock) cluster.
 * Order: $FIREHOSE_LIBRDKAFKA, the Confluent client's own build, then common system locations.
 */
export function findLibrdkafka(env: NodeJS.ProcessEnv = process.env): string {
  const override = env[LIBRDKAFKA_ENV_VAR];
  if (override !== undefined && override !== '') {
    // An explicit setting that is wrong must not silently fall back to another library version.
    if (!existsSync(override)) {
      throw new Error(`${LIBRDKAFKA_ENV_VAR}=${override}: no such file (point it at librdkafka.so.1 or unset it)`);
    }
    return override;
  }

  const candidates = [confluentClientBuild(), ...SYSTEM_PATHS].filter((p): p is string => p !== undefined);
  const found = candidates.find((p) => existsSync(p));
  if (found !== undefined) return found;

  throw new Error(
    'librdkafka.so.1 not found; the embedded Kafka cluster needs it. ' +
      'Run `npm install` in the project so @confluentinc/kafka-javascript builds its own librdkafka, ' +
      `or install the system package (\`apt-get install librdkafka1\`), or set ${LIBRDKAFKA_ENV_VAR} to its path. ` +
      `Looked in: ${candidates.join(', ')}`,
  );
}
