import type { Limiting, SweepProbe } from '../../run/sweep-result.js';

const ms = (us: number | undefined): string =>
  us === undefined ? '-' : us >= 10_000 ? `${Math.round(us / 1000)} ms` : `${(us / 1000).toFixed(1)} ms`;

/**
 * The probe that shows what limits a setting: the failed search probe closest above its capacity
 * (the first rate it could not carry), else the highest rate it sustained.
 */
export function limitingProbe(probes: readonly SweepProbe[], capacity: number): SweepProbe | null {
  const searched = probes.filter((p) => p.phase === 'search' && p.stagesP99 !== undefined);
  const failedAbove = searched.filter((p) => !p.sustained && p.rate > capacity).sort((a, b) => a.rate - b.rate);
  if (failedAbove.length > 0) return failedAbove[0]!;
  const sustained = searched.filter((p) => p.sustained).sort((a, b) => b.rate - a.rate);
  return sustained[0] ?? null;
}

/**
 * Which side gave out first, from the stage latencies of the probe that failed (their p99s) and
 * the CPU of the process's threads:
 * - the generator sent less than offered, or ticks waited longest for their slot (schedule) → producer;
 * - the producer's acknowledgements took most of the way to the consumer (produce ≥ 60% of transport) → broker;
 * - records waited between the broker and the consumer otherwise (transport) → consumer;
 * - frames waited for a worker, or the analytics were slowest (queue, analytics) → workers.
 */
export function limitingSide(probe: SweepProbe, cpus: number): Limiting | null {
  const s = probe.stagesP99;
  if (!s) return null;
  const schedule = s.schedule ?? 0;
  const produce = s.produce ?? 0;
  const transport = s.transport ?? 0;
  const workers = Math.max(s.queue ?? 0, s.analytics ?? 0);
  const sentShort = probe.producedTicksPerSec !== undefined && probe.producedTicksPerSec < 0.97 * probe.rate;
  let side: Limiting['side'];
  if (sentShort || schedule >= Math.max(transport, workers)) side = 'producer';
  else if (workers > transport) side = 'workers';
  else if (produce >= 0.6 * transport) side = 'broker';
  else side = 'consumer';
  const cpu =
    probe.cpuCores === undefined
      ? ''
      : `; process ${probe.cpuCores.toFixed(2)} of ${cpus} cores, main thread ${Math.round((probe.mainThreadCore ?? 0) * 100)}% of a core, busiest thread ${Math.round((probe.busiestThreadCore ?? 0) * 100)}%`;
  // A probe that got far less CPU than the machine has, on a machine busy with other work, was starved rather than limited.
  const crowded =
    probe.loadAverage !== undefined && probe.loadAverage > cpus
      ? `; machine load average ${probe.loadAverage.toFixed(1)} on ${cpus} cores: other work competed for the CPU, so this side may have been starved rather than at its limit`
      : '';
  const sent = probe.producedTicksPerSec === undefined ? '' : `, sent ${Math.round(probe.producedTicksPerSec).toLocaleString('en-US')}/s`;
  const evidence = `${probe.sustained ? 'highest sustained' : 'first failing'} rate ${Math.round(probe.rate).toLocaleString('en-US')}/s${sent}: p99 by stage schedule ${ms(s.schedule)}, produce ack ${ms(s.produce)}, transport ${ms(s.transport)}, queue ${ms(s.queue)}, analytics ${ms(s.analytics)}${cpu}${crowded}`;
  return { side, evidence, atRate: probe.rate };
}
