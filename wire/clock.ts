import { performance } from 'node:perf_hooks';

/** Microseconds since the Unix epoch, sub-millisecond resolution, comparable across threads and processes on one host. */
export type ClockUs = () => number;

const originUs = performance.timeOrigin * 1000;

export const nowUs: ClockUs = () => originUs + performance.now() * 1000;
