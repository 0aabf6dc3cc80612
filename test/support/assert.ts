import assert from 'node:assert/strict';

/** Asserts that `promise` fails with the SDK's modelled exception `type` (and `message`, when given). */
export async function rejectsWith<E extends Error>(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => E,
  message?: RegExp,
): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof type, `expected ${type.name}, got ${String(err)}`);
    if (message) assert.match(err.message, message);
    return true;
  });
}
