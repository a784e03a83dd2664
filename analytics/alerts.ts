/**
 * Analytics alerts: one record per detection, with what it takes to measure its latency and to
 * join it back to the tick stream.
 *
 * Format (also the JSON value of a record on the alerts topic, keyed by instrument):
 *
 *   kind        'outlier'    a bad tick (the tick's quote was left out of the arbitrage book)
 *               'stale'      a venue's price stood still for scorerStallAfter of its updates
 *               'crossed'    the instrument's venues became crossed net of fees (a window opened)
 *               'locked'     the instrument became locked (net bid = net ask, nothing crossed)
 *               'triangular' an FX triangle containing the pair is tradeable net of fees, confirmed as
 *                            crosses are
 *               'tradeable'  a tradeable cross, not a phantom of a lagging, stale or faulty feed:
 *                            with arbitrageConsensus (default) a venue's own book departed from the
 *                            consensus while another venue saw the market stand still; otherwise
 *                            the crossed window stayed open arbitrageConfirmUs
 *   instrument  instrument index (for 'triangular': the pair whose tick reported it)
 *   venue       venue index of the triggering tick
 *   seq         the triggering tick's sequence number, and
 *   source      its load-generator id: (source, seq) identifies the tick
 *   sendTimeUs  the triggering tick's intended send time, µs since the Unix epoch
 *   detectedUs  when the detector flagged it, µs since the Unix epoch (same clock);
 *               detectedUs − sendTimeUs is the detection latency
 *   value       outlier: z-score of the tick's move (signed; NaN for a non-price; for a tick held
 *               until its venue's next quote, 2·min(out, back)/σ, raised at that quote);
 *               stale: unchanged updates so far; crossed, tradeable: widest cross net of fees, bps;
 *               locked: 0; triangular: the opened cycle's profit net of fees, bps
 *
 * Detections are rare next to ticks, so an alert is a plain object allocated when it happens;
 * the FrameAnalyzer collects a frame's alerts in a list the worker returns with the frame.
 */
export type AlertKind = 'outlier' | 'stale' | 'crossed' | 'locked' | 'triangular' | 'tradeable';

export const ALERT_KINDS: readonly AlertKind[] = ['outlier', 'stale', 'crossed', 'locked', 'triangular', 'tradeable'];

export interface Alert {
  kind: AlertKind;
  instrument: number;
  venue: number;
  seq: number;
  source: number;
  sendTimeUs: number;
  detectedUs: number;
  value: number;
}

/** Detection latency of an alert, µs. */
export function alertLatencyUs(alert: Alert): number {
  return alert.detectedUs - alert.sendTimeUs;
}
