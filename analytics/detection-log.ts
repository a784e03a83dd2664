import type { Alert } from './alerts.js';

/**
 * The seqs of the ticks the analytics flagged, per load-generator source: what a run's result is
 * scored with against a truth kept apart from the stream (run/run-quality.ts). Outlier and
 * tradeable-cross alerts only (the scored detections). Redelivered frames raise their alerts
 * again; the seqs are a set, so duplicates vanish when it is serialised.
 *
 * Serialised form (an ingest part's `detections`): { bySource: { "<source>": { outlier, tradeable, triangular: seq[] } } },
 * each list sorted and without repeats; `truncated` counts alerts dropped past the cap.
 */
export interface SerializedDetections {
  bySource: Record<string, DetectionLists>;
  truncated: number;
}

/** The scored alert kinds. */
export const DETECTION_KINDS = ['outlier', 'tradeable', 'triangular'] as const;
export type DetectionKind = (typeof DETECTION_KINDS)[number];
export type DetectionLists = Record<DetectionKind, number[]>;

const isScored = (kind: string): kind is DetectionKind => (DETECTION_KINDS as readonly string[]).includes(kind);
const emptyLists = (): DetectionLists => ({ outlier: [], tradeable: [], triangular: [] });

/** Seqs kept per source and kind: ~10 false flags per 10k ticks leaves room for runs of hundreds of millions of ticks. */
export const MAX_DETECTIONS_PER_KIND = 2_000_000;

export class DetectionLog {
  private readonly bySource = new Map<number, DetectionLists>();
  private truncated = 0;

  add(alerts: readonly Alert[]): void {
    for (const a of alerts) {
      if (!isScored(a.kind)) continue;
      let lists = this.bySource.get(a.source);
      if (lists === undefined) {
        lists = emptyLists();
        this.bySource.set(a.source, lists);
      }
      const list = lists[a.kind];
      if (list.length < MAX_DETECTIONS_PER_KIND) list.push(a.seq);
      else this.truncated++;
    }
  }

  serialize(): SerializedDetections {
    const sortedSet = (xs: number[]): number[] => [...new Set(xs)].sort((x, y) => x - y);
    const bySource: SerializedDetections['bySource'] = {};
    for (const [source, lists] of this.bySource) {
      bySource[String(source)] = {
        outlier: sortedSet(lists.outlier),
        tradeable: sortedSet(lists.tradeable),
        triangular: sortedSet(lists.triangular),
      };
    }
    return { bySource, truncated: this.truncated };
  }
}

/** The union of several processes' detections (a merge of split ingest parts). */
export function mergeDetections(parts: readonly SerializedDetections[]): SerializedDetections {
  const log = new DetectionLog();
  let truncated = 0;
  for (const p of parts) {
    truncated += p.truncated;
    for (const [source, lists] of Object.entries(p.bySource)) {
      const s = Number(source);
      for (const kind of DETECTION_KINDS) {
        log.add(
          (lists[kind] ?? []).map((seq) => ({ kind, source: s, seq, instrument: 0, venue: 0, sendTimeUs: 0, detectedUs: 0, value: 0 })),
        );
      }
    }
  }
  const merged = log.serialize();
  return { ...merged, truncated: merged.truncated + truncated };
}
