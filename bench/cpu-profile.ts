import { readFile } from 'node:fs/promises';
import path from 'node:path';

/** The parts of V8's .cpuprofile format (what `node --cpu-prof` writes) this summary reads. */
interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface HotFunction {
  name: string;
  /** file:line, relative to the project where possible. */
  where: string;
  selfMs: number;
  selfPercent: number;
}

export interface ProfileSummary {
  file: string;
  /** Wall time covered by the profile. */
  durationMs: number;
  /** Samples that were not idle, GC or "(program)": the time this thread spent running JS. */
  busyMs: number;
  idleMs: number;
  gcMs: number;
  programMs: number;
  top: HotFunction[];
  /** Self time per source file (or native/builtin bucket), largest first. */
  byFile: Array<{ file: string; selfMs: number; selfPercent: number }>;
}

function shortUrl(url: string, root: string): string {
  if (!url) return '(native)';
  let u = url.startsWith('file://') ? decodeURIComponent(url.slice('file://'.length)) : url;
  if (u.startsWith(root)) u = u.slice(root.length + 1);
  const nm = u.lastIndexOf('node_modules/');
  if (nm >= 0) u = u.slice(nm + 'node_modules/'.length);
  return u;
}

/**
 * Self time per function of one .cpuprofile: each sample's time delta is charged to the node it
 * hit (self time), then summed per function (name + location) across the call tree.
 */
export function summarizeCpuProfile(profile: CpuProfile, file: string, root = process.cwd(), topN = 20): ProfileSummary {
  const byId = new Map<number, CpuProfileNode>();
  for (const node of profile.nodes) byId.set(node.id, node);
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    // V8 attributes delta i+1 to sample i (the time until the next sample).
    const dt = deltas[i + 1] ?? 0;
    const id = samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, dt));
  }
  const perFunction = new Map<string, { name: string; where: string; us: number }>();
  const perFile = new Map<string, number>();
  let idle = 0,
    gc = 0,
    program = 0,
    total = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    total += us;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') {
      idle += us;
      continue;
    }
    if (functionName === '(garbage collector)') {
      gc += us;
      continue;
    }
    if (functionName === '(program)') {
      program += us;
      continue;
    }
    const where = `${shortUrl(url, root)}${url ? `:${lineNumber + 1}` : ''}`;
    const key = `${functionName}@${where}`;
    const entry = perFunction.get(key) ?? { name: functionName || '(anonymous)', where, us: 0 };
    entry.us += us;
    perFunction.set(key, entry);
    const f = shortUrl(url, root);
    perFile.set(f, (perFile.get(f) ?? 0) + us);
  }
  const busy = total - idle;
  const pct = (us: number): number => (busy > 0 ? Math.round((us / busy) * 1000) / 10 : 0);
  const top = [...perFunction.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, topN)
    .map((e) => ({ name: e.name, where: e.where, selfMs: Math.round(e.us / 100) / 10, selfPercent: pct(e.us) }));
  const byFile = [...perFile.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, topN)
    .map(([f, us]) => ({ file: f, selfMs: Math.round(us / 100) / 10, selfPercent: pct(us) }));
  return {
    file: path.basename(file),
    durationMs: Math.round((profile.endTime - profile.startTime) / 1000),
    busyMs: Math.round(busy / 1000),
    idleMs: Math.round(idle / 1000),
    gcMs: Math.round(gc / 1000),
    programMs: Math.round(program / 1000),
    top,
    byFile,
  };
}

export async function summarizeCpuProfileFile(file: string, root = process.cwd(), topN = 20): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  return summarizeCpuProfile(profile, file, root, topN);
}

/** A plain-text rendering: one block per profile (thread), busy share and the top functions. */
export function renderProfileSummary(s: ProfileSummary, topN = 15): string {
  const lines = [
    `${s.file}: ${s.durationMs} ms profiled, busy ${s.busyMs} ms (GC ${s.gcMs} ms, (program) ${s.programMs} ms), idle ${s.idleMs} ms`,
  ];
  for (const f of s.top.slice(0, topN))
    lines.push(`  ${f.selfPercent.toFixed(1).padStart(5)}%  ${String(f.selfMs.toFixed(0)).padStart(6)} ms  ${f.name}  ${f.where}`);
  lines.push('  by file:');
  for (const f of s.byFile.slice(0, 8))
    lines.push(`  ${f.selfPercent.toFixed(1).padStart(5)}%  ${String(f.selfMs.toFixed(0)).padStart(6)} ms  ${f.file}`);
  return lines.join('\n');
}
