import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { FirehoseError } from '../errors.js';
import { cacheDir } from './kafka-classpath.js';

/** Where a local cluster keeps its state: $FIREHOSE_CLUSTER_DIR, else ~/.cache/tick-firehose/cluster. */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.FIREHOSE_CLUSTER_DIR ?? path.join(cacheDir(env), 'cluster');
}

const stateSchema = z.object({
  tool: z.literal('tick-firehose-local-cluster'),
  kafkaVersion: z.string().min(1),
  clusterId: z.string().min(1),
  createdAt: z.string(),
  nodes: z
    .array(
      z.object({
        id: z.number().int().min(1).max(9),
        port: z.number().int().min(1).max(65535),
        controllerPort: z.number().int().min(1).max(65535),
      }),
    )
    .min(1)
    .max(9),
});
export type ClusterState = z.infer<typeof stateSchema>;
export type NodeAddress = ClusterState['nodes'][number];

/** The files of one node inside the state dir. */
export function nodeFiles(stateDir: string, id: number) {
  const dir = path.join(stateDir, `node-${id}`);
  return {
    dir,
    properties: path.join(dir, 'server.properties'),
    data: path.join(dir, 'data'),
    log: path.join(dir, 'node.log'),
    pid: path.join(dir, 'pid'),
  };
}

export function readState(stateDir: string): ClusterState | null {
  const file = path.join(stateDir, 'state.json');
  if (!existsSync(file)) return null;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new FirehoseError('LOCAL_CLUSTER', `${file} is not JSON (${(error as Error).message}): firehose cluster down removes it`);
  }
  const parsed = stateSchema.safeParse(json);
  if (!parsed.success)
    throw new FirehoseError(
      'LOCAL_CLUSTER',
      `${file} is not a local cluster state file (${parsed.error.issues[0]!.message}): firehose cluster down removes it`,
    );
  return parsed.data;
}

export function writeState(stateDir: string, state: ClusterState): void {
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(path.join(stateDir, 'state.json'), `${JSON.stringify(state, null, 2)}\n`);
}

/**
 * The pid of a node's JVM if that process still runs. A pid file left by a crash may name a
 * process that since exited, or a reused pid of some other program: the process counts as the
 * node only if its command line names this node's server.properties.
 */
export function livePid(stateDir: string, id: number): number | null {
  const files = nodeFiles(stateDir, id);
  if (!existsSync(files.pid)) return null;
  const pid = Number(readFileSync(files.pid, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 1) return null;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.split('\0').includes(files.properties) ? pid : null;
  } catch {
    return null;
  }
}

/** True if the process is stopped (SIGSTOP: a pause fault). */
export function isPaused(pid: number): boolean {
  try {
    // /proc/PID/stat: "pid (comm) STATE ..."; comm may hold spaces, so read after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'T';
  } catch {
    return false;
  }
}
