/**
 * The generator's ground-truth labels, kept beside the stream instead of inside it: one u16 of
 * TickFlag bits (wire/tick-frame.ts) per (source, seq), in a SharedArrayBuffer that the load
 * generator writes and the analytics workers of the same process read. The wire frame's `flags`
 * field is reserved and written 0: a real feed carries no labels.
 *
 * Layout: Uint16Array, entry `source * capacityPerSource + seq`. A tick is labelled before its
 * frame is produced, and a worker reads it only after the frame came back through Kafka and the
 * pool's message passing, so plain reads see the write. Untouched pages are not resident, so a
 * capacity of a run's whole schedule costs only what the run generates (2 bytes a tick).
 *
 * A run split over processes has no shared table: its ingest side scores nothing against labels.
 */
export interface TickLabelsShared {
  sources: number;
  capacityPerSource: number;
  labels: SharedArrayBuffer;
}

export const MAX_LABEL_SOURCES = 64;

export function createTickLabels(sources: number, capacityPerSource: number): TickLabelsShared {
  if (!Number.isInteger(sources) || sources < 1 || sources > MAX_LABEL_SOURCES) {
    throw new RangeError(`label sources must be an integer in 1..${MAX_LABEL_SOURCES}, got ${sources}`);
  }
  if (!Number.isInteger(capacityPerSource) || capacityPerSource < 1) {
    throw new RangeError(`label capacity must be a positive integer, got ${capacityPerSource}`);
  }
  return { sources, capacityPerSource, labels: new SharedArrayBuffer(sources * capacityPerSource * 2) };
}

export class TickLabels {
  readonly sources: number;
  readonly capacityPerSource: number;
  private readonly table: Uint16Array;

  constructor(shared: TickLabelsShared) {
    if (!(shared.labels instanceof SharedArrayBuffer) || shared.labels.byteLength !== shared.sources * shared.capacityPerSource * 2) {
      throw new TypeError('tick labels must be a SharedArrayBuffer of sources × capacityPerSource u16');
    }
    this.sources = shared.sources;
    this.capacityPerSource = shared.capacityPerSource;
    this.table = new Uint16Array(shared.labels);
  }

  /** Records a tick's labels (0 for a clean tick: nothing to write). A seq past the capacity is dropped. */
  write(source: number, seq: number, flags: number): void {
    if (flags !== 0 && source < this.sources && seq < this.capacityPerSource) this.table[source * this.capacityPerSource + seq] = flags;
  }

  /** The labels of (source, seq); 0 when unlabelled or outside the table. */
  read(source: number, seq: number): number {
    return source < this.sources && seq < this.capacityPerSource ? this.table[source * this.capacityPerSource + seq]! : 0;
  }
}
