import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `probe` every 100 ms until it returns a value; fails after `timeoutMs` with the last error
 * the probe threw and, when given, `context()` (e.g. a child process's stderr).
 */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
  context?: () => string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const why = last instanceof Error ? `: ${last.message}` : '';
      const more = context ? `\n${context()}` : '';
      assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}${why}${more}`);
    }
    await sleep(100);
  }
}
