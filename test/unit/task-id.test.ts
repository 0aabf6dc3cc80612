import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { sortableTaskId } from '../../src/core/ecs/task-id.js';

describe('sortableTaskId', () => {
  it('is 32 lowercase hex digits, as ECS task ids are', () => {
    assert.match(sortableTaskId(Date.now(), randomBytes(10)), /^[0-9a-f]{32}$/);
    assert.equal(sortableTaskId(0, new Uint8Array(10)), '0'.repeat(32));
  });

  it('sorts by creation time, whatever the random part', () => {
    const times = [0, 1, 255, 256, 1_700_000_000_000, 1_700_000_000_001, 1_800_000_000_000];
    const ids = times.map((t) => sortableTaskId(t, randomBytes(10)));
    assert.deepEqual([...ids].sort(), ids);
  });

  it('carries the random bytes, so ids made in the same millisecond differ', () => {
    const now = 1_764_000_000_000;
    const ids = new Set(Array.from({ length: 1000 }, () => sortableTaskId(now, randomBytes(10))));
    assert.equal(ids.size, 1000);
    assert.equal(
      sortableTaskId(now, Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 255])).slice(12),
      '010203040506070809ff',
    );
  });

  it('refuses too few random bytes', () => {
    assert.throws(() => sortableTaskId(0, new Uint8Array(9)), /10 random bytes/);
  });
});
