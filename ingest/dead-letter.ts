import { MAX_RECORD_BYTES, type ConsumedRecord, type OutgoingFrame } from '../kafka/client.js';

/** Bytes a dead letter's key and record overhead may take beyond its value. */
export const DEAD_LETTER_KEY_ROOM = 16 * 1024;

/** The largest message the dead-letter producer must accept: the largest record a consumer fetches, plus the key. */
export const DEAD_LETTER_MAX_MESSAGE_BYTES = MAX_RECORD_BYTES + DEAD_LETTER_KEY_ROOM;

/**
 * The record for `<topic>.dlq`: keyed by why and where the original came from, with its original
 * bytes as the value. A value larger than any the consumer fetches (a broker can hand one over
 * whole) is cut to that size so the dead letter always fits; the key then says how big it was.
 */
export function deadLetterRecord(record: ConsumedRecord, reason: string, producedAtUs: number): OutgoingFrame {
  const oversize = record.value.length > MAX_RECORD_BYTES;
  const value = oversize ? record.value.subarray(0, MAX_RECORD_BYTES) : record.value;
  const keyText = `reason=${reason}; partition=${record.partition}; offset=${record.offset}${oversize ? `; truncatedFrom=${record.value.length}` : ''}`;
  // A reason can quote an error message of any length; 4 UTF-16 units take at most 12 UTF-8 bytes.
  const key = Buffer.from(keyText.slice(0, DEAD_LETTER_KEY_ROOM / 4));
  return { partition: 0, key, value, tickCount: 1, producedAtUs };
}
