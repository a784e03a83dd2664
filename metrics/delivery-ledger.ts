/**
 * Consumer-side delivery accounting by (source, seq): one bit per tick in a SharedArrayBuffer,
 * set by whichever worker analyses the tick. A bit already set means a duplicate. Counting the
 * set bits below the number of acknowledged ticks gives the distinct ticks consumed, and so the
 * lost ones. Bits are set with Atomics because two partitions (two workers) share a source.
 */

import { deflateRawSync, inflateRawSync } from 'node:zlib';

/** Loadgen source ids are 0..MAX_SOURCES-1 (u16 on the wire, bounded here for memory). */
export const MAX_SOURCES = 64;

/** Ticks one source can send: seq is a u32 on the wire, so more would wrap and fake duplicates. */
export const MAX_TICKS_PER_SOURCE = 2 ** 32;
/** Largest ledger (one bit per tick per source); untouched pages cost nothing, but the address space does. */
export const MAX_LEDGER_BYTES = 2 ** 31;

/** Bytes a ledger of this shape takes. */
export function ledgerBytes(sources: number, capacityPerSource: number): number {
  return sources * Math.ceil(capacityPerSource / 32) * 4;
}

export interface DeliveryLedgerShared {
  sources: number;
  /** Ticks per source the ledger can check; a seq at or above it is counted as unchecked. */
  capacityPerSource: number;
  words: SharedArrayBuffer;
}

export function createDeliveryLedger(sources: number, capacityPerSource: number): DeliveryLedgerShared {
  if (!Number.isInteger(sources) || sources < 1 || sources > MAX_SOURCES) {
    throw new RangeError(`ledger sources must be an integer in 1..${MAX_SOURCES}, got ${sources}`);
  }
  if (!Number.isInteger(capacityPerSource) || capacityPerSource < 1 || capacityPerSource > MAX_TICKS_PER_SOURCE) {
    throw new RangeError(`ledger capacity must be an integer in 1..${MAX_TICKS_PER_SOURCE}, got ${capacityPerSource}`);
  }
  if (ledgerBytes(sources, capacityPerSource) > MAX_LEDGER_BYTES) {
    throw new RangeError(`a ledger of ${sources} sources × ${capacityPerSource} ticks takes more than ${MAX_LEDGER_BYTES} bytes`);
  }
  const wordsPerSource = Math.ceil(capacityPerSource / 32);
  // Untouched pages of a SharedArrayBuffer are not resident, so a generous capacity is cheap.
  return { sources, capacityPerSource: wordsPerSource * 32, words: new SharedArrayBuffer(sources * wordsPerSource * 4) };
}

export const MarkResult = { First: 0, Duplicate: 1, Unchecked: 2 } as const;
export type MarkResult = (typeof MarkResult)[keyof typeof MarkResult];

export class DeliveryLedger {
  private readonly words: Int32Array;
  private readonly wordsPerSource: number;
  readonly sources: number;
  readonly capacityPerSource: number;

  constructor(shared: DeliveryLedgerShared) {
    this.words = new Int32Array(shared.words);
    this.sources = shared.sources;
    this.capacityPerSource = shared.capacityPerSource;
    this.wordsPerSource = shared.capacityPerSource / 32;
  }

  mark(source: number, seq: number): MarkResult {
    if (source >= this.sources || !(seq >= 0 && seq < this.capacityPerSource)) return MarkResult.Unchecked;
    const bit = 1 << (seq & 31);
    const old = Atomics.or(this.words, source * this.wordsPerSource + (seq >>> 5), bit);
    return (old & bit) !== 0 ? MarkResult.Duplicate : MarkResult.First;
  }

  /**
   * Sets `bits` of one word of a source's bits (seqs word·32 to word·32 + 31) in one atomic step;
   * returns those of them that were set already. The source and word must be in range (see LedgerMarker).
   */
  markWord(source: number, word: number, bits: number): number {
    return Atomics.or(this.words, source * this.wordsPerSource + word, bits) & bits;
  }

  /** Distinct ticks seen with seq in [0, upTo) for a source. */
  countSeen(source: number, upTo: number): number {
    if (source >= this.sources) return 0;
    const limit = Math.min(upTo, this.capacityPerSource);
    const base = source * this.wordsPerSource;
    // Division, not >>> 5: a limit of 2^32 would wrap to 0.
    const fullWords = Math.floor(limit / 32);
    let count = 0;
    for (let w = 0; w < fullWords; w++) count += popcount32(Atomics.load(this.words, base + w));
    const rest = limit % 32;
    if (rest > 0) count += popcount32(Atomics.load(this.words, base + fullWords) & ((1 << rest) - 1));
    return count;
  }

  /** Every source's bits up to its last set word, compressed (runs of ones deflate to almost nothing). */
  serialize(): SerializedLedger {
    const seen: Record<string, string> = {};
    for (let source = 0; source < this.sources; source++) {
      const base = source * this.wordsPerSource;
      let last = this.wordsPerSource - 1;
      while (last >= 0 && Atomics.load(this.words, base + last) === 0) last--;
      if (last < 0) continue;
      // Int32 words are little-endian in memory, so their bytes are the bit array bit i = byte i>>3.
      const bytes = new Uint8Array(this.words.buffer, base * 4, (last + 1) * 4).slice();
      seen[String(source)] = deflateRawSync(bytes).toString('base64');
    }
    return { capacityPerSource: this.capacityPerSource, seen };
  }

  /** Seqs in [0, upTo) never seen, as ranges [from, to), at most `maxRanges` of them. */
  missingRanges(source: number, upTo: number, maxRanges: number): Array<[number, number]> {
    const ranges: Array<[number, number]> = [];
    const limit = Math.min(upTo, this.capacityPerSource);
    const base = source * this.wordsPerSource;
    let start = -1;
    for (let seq = 0; seq < limit; seq++) {
      const word = Atomics.load(this.words, base + Math.floor(seq / 32));
      const seen = (word & (1 << (seq & 31))) !== 0;
      if (!seen && start < 0) start = seq;
      if (seen && start >= 0) {
        ranges.push([start, seq]);
        start = -1;
        if (ranges.length >= maxRanges) return ranges;
      }
    }
    if (start >= 0) ranges.push([start, limit]);
    return ranges;
  }
}

/**
 * Marks ticks in a ledger a word at a time: consecutive marks that fall in the same 32-seq word
 * are gathered here and set with one atomic step when the word changes or on `flush`. The two
 * workers share the ledger's words (a source's ticks spread over all partitions), so each atomic
 * step can wait for the other core; at one tick per record it was one per record. Counts are
 * those `DeliveryLedger.mark` would give: a seq seen twice, here or in the ledger, is a duplicate.
 * Call `flush` before anyone reads the ledger for these marks (at the end of each task).
 */
export class LedgerMarker {
  private source = -1;
  private word = -1;
  private bits = 0;
  duplicates = 0;
  unchecked = 0;

  constructor(private readonly ledger: DeliveryLedger) {}

  mark(source: number, seq: number): void {
    if (source >= this.ledger.sources || !(seq >= 0 && seq < this.ledger.capacityPerSource)) {
      this.unchecked++;
      return;
    }
    const word = seq >>> 5;
    if (word !== this.word || source !== this.source) {
      this.flush();
      this.source = source;
      this.word = word;
    }
    const bit = 1 << (seq & 31);
    if ((this.bits & bit) !== 0) this.duplicates++;
    else this.bits |= bit;
  }

  flush(): void {
    if (this.bits !== 0) this.duplicates += popcount32(this.ledger.markWord(this.source, this.word, this.bits));
    this.bits = 0;
    this.word = -1;
  }
}

/** A ledger's seen-bits per source, for merging across processes: deflated, base64. */
export interface SerializedLedger {
  capacityPerSource: number;
  seen: Record<string, string>;
}

/**
 * Decodes one source's serialized bits. `maxBytes` bounds the inflated size (read from a file, a
 * few KB can otherwise inflate to hundreds of MB); more throws a RangeError.
 */
export function decodeSeenBits(encoded: string, maxBytes = MAX_LEDGER_BYTES): Uint8Array {
  try {
    return new Uint8Array(inflateRawSync(Buffer.from(encoded, 'base64'), { maxOutputLength: Math.max(1, maxBytes) }));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') throw new RangeError(`inflates to more than ${maxBytes} bytes`, { cause: error });
    throw new RangeError(`is not a deflated bit array (${code ?? (error as Error).message})`, { cause: error });
  }
}

/** Set bits below `limit` in a little-endian bit array (bit i = byte i>>3, bit i&7). */
export function countBits(bits: Uint8Array, limit: number): number {
  const fullBytes = Math.min(bits.length, Math.floor(limit / 8));
  let count = 0;
  for (let i = 0; i < fullBytes; i++) count += popcount32(bits[i]!);
  const rest = limit % 8;
  if (rest > 0 && fullBytes < bits.length) count += popcount32(bits[fullBytes]! & ((1 << rest) - 1));
  return count;
}

/** OR of several bit arrays of any lengths. */
export function unionBits(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(Math.max(0, ...parts.map((p) => p.length)));
  for (const part of parts) for (let i = 0; i < part.length; i++) out[i]! |= part[i]!;
  return out;
}

function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}
