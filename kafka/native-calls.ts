/**
 * What a shutdown may leave behind. Native calls run in libuv's threadpool and some may never
 * return: a Confluent consumer close waits without a time limit while its group coordinator is
 * down, and a mock cluster call waits on the mock thread. Node's exit (`process.exit` and a
 * natural exit alike) joins that threadpool, so while one of these is in flight the process can
 * only end without joining it; a step left running that holds only sockets and timers just keeps
 * a natural exit from happening. cli/process-end.ts reads both lists.
 */
const inFlight = new Map<number, string>();
let nextId = 0;

/** Counts `call` as in flight until it settles; returns it unchanged. */
export function trackNativeCall<T>(name: string, call: Promise<T>): Promise<T> {
  const id = nextId++;
  inFlight.set(id, name);
  return call.finally(() => inFlight.delete(id));
}

/** Names of the tracked native calls that have not returned yet. */
export function nativeCallsInFlight(): string[] {
  return [...inFlight.values()];
}

const leftBehind: string[] = [];

/** A shutdown step still running when its budget ran out (kafka/shutdown-steps.ts). */
export function noteLeftBehind(step: string): void {
  leftBehind.push(step);
}

/** Shutdown steps left running so far in this process. */
export function stepsLeftBehind(): readonly string[] {
  return leftBehind;
}
