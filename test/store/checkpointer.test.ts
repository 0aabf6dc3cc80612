import SQLite from 'better-sqlite3';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import { FALLBACK_PAGES } from '../../src/store/checkpointer.js';
import { openStore } from '../../src/store/index.js';

/**
 * The SQLite store's write-ahead log is checkpointed by a worker thread (store/checkpointer.ts):
 * committed pages reach the database file while the main connection's own automatic checkpoint
 * (at FALLBACK_PAGES) has not run, and closing the store leaves no log behind.
 */
describe('SQLite log checkpoints in a worker thread', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-checkpoint-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('copies committed pages into the database file in the background, and removes the log at close', async () => {
    const path = join(dir, 'berth.db');
    const store = await openStore(path);
    const before = statSync(path).size;
    // ≈ 400 pages of leases: far below the main connection's own threshold.
    const pages = 400;
    for (let i = 0; i < pages; i++) {
      await store.transaction((repos) => repos.leases.acquire(`lease-${i}-${'x'.repeat(3000)}`, 'me', 0, 1));
    }
    assert.ok(pages < FALLBACK_PAGES);
    assert.ok(existsSync(`${path}-wal`), 'commits go to the log');
    // The worker copies within its interval; the file grows by what it copied.
    let size = before;
    for (let waited = 0; waited < 5_000 && size < before + pages * 4096; waited += 50) {
      await sleep(50);
      size = statSync(path).size;
    }
    assert.ok(size >= before + pages * 4096, `database file ${size} bytes, was ${before}`);
    await store.close();
    assert.equal(existsSync(`${path}-wal`), false, 'the last connection to close removes the log');
    const reader = new SQLite(path, { readonly: true });
    try {
      const { n } = reader.prepare('select count(*) as n from leases').get() as { n: number };
      assert.equal(n, pages);
    } finally {
      reader.close();
    }
  });

  it('a store closed right after it opened leaves no log behind (the worker closed first)', async () => {
    const path = join(dir, 'quick.db');
    const store = await openStore(path);
    await store.transaction((repos) => repos.leases.acquire('quick', 'me', 0, 1));
    await store.close();
    // Had the worker still held its connection, the main one would not be the last to close and
    // SQLite would leave the log in place.
    assert.equal(existsSync(`${path}-wal`), false);
  });
});
