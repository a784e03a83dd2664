// Diagnostic: outlier precision/recall on the simple market (frame replay, no Kafka), as the
// real-run test's stream (seed 11, 200 instruments, 60k ticks/s, 4 key groups) and others.
//   node scripts/simple-precision.mjs ['{"outlierSigmaFloorHalfSpreads":0.5}'] [seeds=11]
import { REPLAY_DEFAULTS, replayBenchmark } from '../dist/loadgen/frame-replay.js';
const config = JSON.parse(process.argv[2] ?? '{}');
const seeds = (process.argv[3] ?? '11').split(',').map(Number);
for (const seed of seeds) {
  for (const [name, o] of [
    ['real-run shape', { ...REPLAY_DEFAULTS, seed, instruments: 200, ratePerSec: 60_000, keyGroups: 4, ticks: 300_000 }],
    ['replay default', { ...REPLAY_DEFAULTS, seed, ticks: 500_000 }],
  ]) {
    const s = replayBenchmark(o, 1, config).score.outliers;
    console.log(
      `seed ${seed} ${name}: precision ${s.precision.toFixed(3)} recall ${s.recall.toFixed(3)} fp ${s.falsePositives} jumps-flagged ${s.flaggedOnGenuineJumps}`,
    );
  }
}
