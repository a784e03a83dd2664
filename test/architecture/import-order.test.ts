import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The folders in data-flow order. A source file may import from its own folder and from folders
 * earlier in this list, never later: wire and kafka are the leaves, cli is the top.
 */
export const LAYERS: readonly (readonly string[])[] = [
  ['wire', 'kafka'],
  ['metrics'],
  ['analytics'],
  ['loadgen'],
  ['ingest'],
  ['run'],
  ['report'],
  ['bench'],
  ['cli'],
];

const root = fileURLToPath(new URL('../..', import.meta.url));
const rank = new Map(LAYERS.flatMap((folders, i) => folders.map((f) => [f, i] as const)));

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(rel);
    return entry.name.endsWith('.ts') ? [rel] : [];
  });
}

/** Every relative import of a file (static, re-export and dynamic), as a repo-relative path. */
export function importsOf(file: string, source: string): string[] {
  const specs = [...source.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]!);
  return specs.map((spec) => path.normalize(path.join(path.dirname(file), spec)));
}

/** The edges that break the order: [file, imported file]. */
export function orderViolations(): Array<[string, string]> {
  const bad: Array<[string, string]> = [];
  for (const folder of rank.keys()) {
    for (const file of sourceFiles(folder)) {
      const from = rank.get(folder)!;
      for (const target of importsOf(file, readFileSync(path.join(root, file), 'utf8'))) {
        const to = rank.get(target.split(path.sep)[0]!);
        if (to === undefined || to > from || (to === from && target.split(path.sep)[0] !== folder)) bad.push([file, target]);
      }
    }
  }
  return bad;
}

describe('folder layout', () => {
  it('imports run one way: wire, kafka → metrics → analytics → loadgen → ingest → run → report → bench → cli', () => {
    expect(orderViolations()).toEqual([]);
  });

  it('analytics knows nothing of Kafka', () => {
    const kafkaImports = sourceFiles('analytics').filter((file) =>
      /from ['"](?:kafkajs|@confluentinc|@platformatic\/kafka)|\.\.\/kafka\//.test(readFileSync(path.join(root, file), 'utf8')),
    );
    expect(kafkaImports).toEqual([]);
  });

  it('the checker sees a backwards edge (a file in analytics importing from run)', () => {
    expect(importsOf('analytics/x.ts', "import { a } from '../run/run-result.js';")).toEqual([path.join('run', 'run-result.js')]);
    const runRank = rank.get('run')!;
    expect(runRank).toBeGreaterThan(rank.get('analytics')!);
  });
});
