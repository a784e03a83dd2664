import { describe, expect, it } from 'vitest';
import { SweepTopics, sweepTopicPrefix } from '../../bench/sweep/sweep-topics.js';
import { wallTimeSplit } from '../../bench/sweep/sweep-session.js';
import type { SweepProbe } from '../../run/sweep-result.js';

/** An admin that knows which topics exist and records what it was asked to delete. */
function fakeCluster(existing: string[]) {
  const topics = new Set(existing);
  const calls: { brokers: string; topics: string[] }[] = [];
  const deleter = async (brokers: string, asked: readonly string[]): Promise<string[]> => {
    calls.push({ brokers, topics: [...asked] });
    const present = asked.filter((t) => topics.has(t));
    for (const t of present) topics.delete(t);
    return present;
  };
  return { topics, calls, deleter };
}

describe('SweepTopics (one topic per setting on a real cluster, deleted at the end)', () => {
  it('names a topic per setting, the same name each time, and deletes every used one with its dead-letter and alerts topics', async () => {
    const t = new SweepTopics('firehose-sweep-x', fakeCluster([]).deleter);
    expect(t.topicFor('1p')).toBe('firehose-sweep-x-1p');
    expect(t.topicFor('1p')).toBe('firehose-sweep-x-1p');
    expect(t.topicFor('4p')).not.toBe(t.topicFor('1p'));

    const used = ['firehose-sweep-x-1p', 'firehose-sweep-x-4p'];
    const cluster = fakeCluster([...used, ...used.map((u) => `${u}.dlq`), ...used.map((u) => `${u}.alerts`), 'someone-elses']);
    const topics = new SweepTopics('firehose-sweep-x', cluster.deleter);
    for (const label of ['1p', '4p']) topics.markUsed(topics.topicFor(label));
    const note = await topics.cleanUp('127.0.0.1:9092', false);
    expect(note).toMatch(/^deleted after the sweep: /);
    expect([...cluster.topics]).toEqual(['someone-elses']);
    expect(cluster.calls).toEqual([{ brokers: '127.0.0.1:9092', topics: topics.all() }]);
  });

  it('keeps them with --keep-topics, says so when deletion fails, and asks nothing when no run used a topic', async () => {
    const cluster = fakeCluster(['p-1p']);
    const kept = new SweepTopics('p', cluster.deleter);
    kept.markUsed(kept.topicFor('1p'));
    expect(await kept.cleanUp('b', true)).toBe('kept (--keep-topics): p-1p, p-1p.dlq, p-1p.alerts');
    expect(cluster.calls).toEqual([]);

    const failing = new SweepTopics('p', async () => {
      throw new Error('broker down');
    });
    failing.markUsed(failing.topicFor('1p'));
    expect(await failing.cleanUp('b', false)).toBe('NOT deleted (broker down): p-1p, p-1p.dlq, p-1p.alerts');

    const unused = new SweepTopics('p', cluster.deleter);
    unused.topicFor('1p');
    expect(await unused.cleanUp('b', false)).toBe('none created');
    expect(cluster.calls).toEqual([]);
  });

  it('prefixes topics with the sweep start time', () => {
    expect(sweepTopicPrefix(new Date('2026-11-29T09:15:07.123Z'))).toBe('firehose-sweep-20261129-091507');
  });
});

describe('wallTimeSplit', () => {
  const probe = (wallSec: number, timings?: SweepProbe['timings']): SweepProbe => ({
    phase: 'search',
    repeat: 1,
    rate: 1000,
    sustained: true,
    reasons: [],
    wallSec,
    ...(timings ? { timings } : {}),
  });

  it("adds up each probe's boot, start-up, sending and end, and what was left between probes", () => {
    const line = wallTimeSplit(
      [
        probe(10, { bootSec: 1, startupSec: 2, sendingSec: 4, endSec: 3 }),
        probe(10, { bootSec: 1, startupSec: 2, sendingSec: 4, endSec: 3 }),
      ],
      25,
    );
    expect(line).toBe(
      'wall time 25 s over 2 probes: sending 8 s (32%), start-up (topic, group join, priming, JIT) 4 s (16%), process boot 2 s (8%), flush, drain and close 6 s (24%), between probes 5 s (20%)',
    );
  });

  it('says nothing without timed probes', () => {
    expect(wallTimeSplit([probe(10)], 25)).toBeNull();
  });
});
