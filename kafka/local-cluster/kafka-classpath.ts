import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FirehoseError } from '../errors.js';
import { KAFKA_VERSION } from './kafka-version.js';
import { repoFile } from './repo-files.js';

/** Where resolved classpaths are cached: $FIREHOSE_CACHE_DIR, else ~/.cache/tick-firehose. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.FIREHOSE_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'tick-firehose');
}

/** The Kafka version to run: the pinned one, unless $FIREHOSE_KAFKA_VERSION names another 4.x. */
export function kafkaVersion(env: NodeJS.ProcessEnv = process.env): string {
  return env.FIREHOSE_KAFKA_VERSION ?? KAFKA_VERSION;
}

function cachedClasspath(file: string): string | null {
  if (!existsSync(file)) return null;
  const classpath = readFileSync(file, 'utf8').trim();
  // A jar deleted from ~/.m2 since (a cleaned cache) means resolving again.
  return classpath !== '' && classpath.split(path.delimiter).every((jar) => existsSync(jar)) ? classpath : null;
}

/** The line of Maven's output that says what failed, without its [ERROR] prefix. */
function mavenError(output: string): string {
  // Maven colours its output even with -B on some terminals: strip the ANSI escapes (ESC [ ... m).
  const escape = String.fromCharCode(27);
  const lines = output.split('\n').map((l) =>
    l
      .split(escape)
      .map((part, i) => (i === 0 ? part : part.replace(/^\[[0-9;]*m/, '')))
      .join('')
      .replace(/^\[ERROR\]\s*/, '')
      .replace(/\s*-> \[Help 1\]$/, '')
      .trim(),
  );
  const line =
    lines.find((l) => /Could not (resolve|find|transfer)|Failed to (collect|read|execute)/.test(l)) ??
    lines.find((l) => l !== '') ??
    'no output';
  return line.length > 400 ? `${line.slice(0, 400)}…` : line;
}

/**
 * The JVM classpath of Apache Kafka (server, tools and their dependencies), resolved by Maven
 * from the pom.xml kept beside this file and cached, so only the first start pays for it.
 */
export function resolveKafkaClasspath(env: NodeJS.ProcessEnv = process.env): string {
  const version = kafkaVersion(env);
  const file = path.join(cacheDir(env), `kafka-${version}.classpath`);
  const cached = cachedClasspath(file);
  if (cached) return cached;
  mkdirSync(path.dirname(file), { recursive: true });
  const partial = `${file}.${process.pid}.tmp`;
  const artefact = `org.apache.kafka:kafka_2.13:${version} and org.apache.kafka:kafka-tools:${version}`;
  const mvn = spawnSync(
    'mvn',
    [
      '-B',
      '-q',
      '-f',
      repoFile('kafka/local-cluster/pom.xml'),
      'dependency:build-classpath',
      `-Dkafka.version=${version}`,
      '-Dmdep.includeScope=runtime',
      `-Dmdep.outputFile=${partial}`,
    ],
    { encoding: 'utf8', timeout: 10 * 60_000, env },
  );
  if (mvn.error && (mvn.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new FirehoseError(
      'BAD_OPTION',
      `Maven (mvn) not found on the PATH: install it to resolve ${artefact} (Debian: apt-get install maven, or bash scripts/setup.sh)`,
    );
  }
  if (mvn.status !== 0 || !existsSync(partial)) {
    throw new FirehoseError(
      'LOCAL_CLUSTER',
      `Maven could not resolve ${artefact}: ${mavenError(`${mvn.stdout ?? ''}\n${mvn.stderr ?? ''}${mvn.error ? `\n${mvn.error.message}` : ''}`)}`,
    );
  }
  renameSync(partial, file);
  return readFileSync(file, 'utf8').trim();
}
