import { nativeCallsInFlight, stepsLeftBehind } from '../kafka/native-calls.js';

/** Waits (at most `limitMs`) until what was written to stdout and stderr has left the process. */
async function flushStdio(limitMs: number): Promise<void> {
  const until = Date.now() + limitMs;
  while ((process.stdout.writableLength > 0 || process.stderr.writableLength > 0) && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * Ends the process with `code` without joining libuv's threadpool: C's `_exit`, reached through
 * koffi (already a dependency, for the embedded cluster). Node's own exits run the threadpool's
 * destructor, which waits for every pool thread, and a thread inside a consumer close that waits
 * for a down broker never comes back. Returns only if `_exit` cannot be reached.
 */
async function exitWithoutJoiningThreads(code: number): Promise<void> {
  try {
    const { default: koffi } = await import('koffi');
    const libc = koffi.load(process.platform === 'darwin' ? 'libSystem.B.dylib' : 'libc.so.6');
    const exit = libc.func('void _exit(int status)') as (status: number) => void;
    exit(code);
  } catch {
    // No libc to bind: fall back to process.exit (which may wait for the threadpool).
  }
}

/**
 * Ends the process now with `code`, after stdout and stderr are flushed. While a native call is
 * still running in the threadpool (kafka/native-calls.ts) this must not be `process.exit`: it
 * would wait for that call for ever.
 */
export async function exitNow(code: number): Promise<never> {
  await flushStdio(1_000);
  if (nativeCallsInFlight().length > 0) await exitWithoutJoiningThreads(code);
  process.exit(code);
}

/**
 * The end of the CLI (bin/firehose.js): a natural exit with `code` when everything was closed;
 * when a shutdown step was left behind (a client still waiting on a down broker), an exit that
 * neither waits for it nor for the threadpool it may be blocking.
 */
export async function endProcess(code: number): Promise<void> {
  const left = stepsLeftBehind();
  const native = nativeCallsInFlight();
  if (left.length === 0 && native.length === 0) {
    process.exitCode = code;
    return;
  }
  if (native.length > 0) process.stderr.write(`exiting without waiting for: ${[...new Set(native)].join(', ')}\n`);
  await exitNow(code);
}
