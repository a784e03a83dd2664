import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { FirehoseError } from '../errors.js';
import { MIN_JAVA_MAJOR } from './kafka-version.js';

export interface JavaRuntime {
  /** The java executable: $JAVA_HOME/bin/java if set, else java on the PATH. */
  command: string;
  major: number;
  version: string;
}

/** What `java -version` says about itself ("17.0.15", "1.8.0_392"), or null if there is no java. */
export function findJava(env: NodeJS.ProcessEnv = process.env): JavaRuntime | null {
  const command = env.JAVA_HOME ? path.join(env.JAVA_HOME, 'bin', 'java') : 'java';
  const probe = spawnSync(command, ['-version'], { encoding: 'utf8', timeout: 15_000, env });
  if (probe.error || probe.status !== 0) return null;
  const match = /version "([^"]+)"/.exec(`${probe.stderr}${probe.stdout}`);
  if (!match) return null;
  const version = match[1]!;
  const parts = version.split(/[._-]/).map(Number);
  // Java 8 and older call themselves 1.x.
  const major = parts[0] === 1 ? parts[1]! : parts[0]!;
  return Number.isFinite(major) ? { command, major, version } : null;
}

/** A Java that can run Kafka 4, or a usage error (exit 2) saying what to install. */
export function requireJava(env: NodeJS.ProcessEnv = process.env): JavaRuntime {
  const java = findJava(env);
  const install = `install Java ${MIN_JAVA_MAJOR}+ (Debian: apt-get install openjdk-17-jre-headless, or bash scripts/setup.sh)`;
  if (!java)
    throw new FirehoseError('BAD_OPTION', `no Java found${env.JAVA_HOME ? ` at JAVA_HOME=${env.JAVA_HOME}` : ' on the PATH'}: ${install}`);
  if (java.major < MIN_JAVA_MAJOR) throw new FirehoseError('BAD_OPTION', `Java ${java.version} is too old for Kafka 4: ${install}`);
  return java;
}
