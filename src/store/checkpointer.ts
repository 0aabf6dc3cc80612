import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Checkpoints the SQLite write-ahead log from a worker thread, so that the event loop never waits
 * for it. SQLite's automatic checkpoint runs inside the COMMIT that crosses its threshold: it
 * copies the log's pages into the database file and syncs it (twice), which on the 2-core test
 * machine cost ≈ 2.5 ms per RunTask on average, a third of its time, all of it spent blocking the
 * one thread that serves every request (better-sqlite3 is synchronous).
 *
 * The worker opens its own connection to the same file and runs `wal_checkpoint(PASSIVE)` every
 * `intervalMs` (every few ms while it is behind): a passive checkpoint takes no lock a writer or
 * reader waits for; it copies what it can, and a commit that finds the log wholly copied starts it
 * over. Under a steady stream of commits that moment may not come (each checkpoint syncs the file,
 * and commits land meanwhile), so the main connection keeps its automatic checkpoint at a higher
 * threshold (`FALLBACK_PAGES`): by then the worker has copied nearly all of the log, and the
 * checkpoint in the main thread copies the rest and starts the log over. It is also the backstop
 * should the worker die. Durability is unchanged: a commit is in the log (synchronous=NORMAL,
 * safe against the process being killed) before the caller hears of it, checkpoint or not.
 */
export interface Checkpointer {
  /** Stops the worker and closes its connection before returning (the caller closes its own last). */
  stop(): void;
}

/** The main connection's automatic checkpoint threshold, in pages, once the worker checkpoints. */
export const FALLBACK_PAGES = 10_000;

const STOP_WAIT_MS = 2_000;

export function startCheckpointer(path: string, intervalMs = 200): Checkpointer {
  // 0: running; 1: the worker has closed its connection.
  const closed = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      driver: createRequire(import.meta.url).resolve('better-sqlite3'),
      path,
      intervalMs,
      closed,
    },
  });
  worker.unref(); // a forgotten store must not keep the process alive
  worker.on('error', () => undefined); // the main connection's threshold takes over
  worker.on('exit', () => Atomics.store(closed, 0, 1)); // nothing to wait for at stop
  return {
    stop() {
      worker.postMessage('stop');
      // Wait (briefly) for the worker to close its connection, so the caller's connection is the
      // last one and SQLite checkpoints and removes the log when it closes.
      Atomics.wait(closed, 0, 0, STOP_WAIT_MS);
      void worker.terminate();
    },
  };
}

/** The worker: CommonJS, run with `eval` (no file to ship next to the compiled code). */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 5000');
let timer;
function checkpoint() {
  let complete = false;
  try {
    const [result] = db.pragma('wal_checkpoint(PASSIVE)');
    complete = result.log === result.checkpointed;
  } catch {
    // Busy or failing now: the next turn tries again; the main connection's threshold is the backstop.
  }
  // Behind (commits landed while it copied): again soon, so that one checkpoint completes between
  // two commits and the next commit starts the log over; caught up: at the interval.
  timer = setTimeout(checkpoint, complete ? workerData.intervalMs : 2);
}
timer = setTimeout(checkpoint, workerData.intervalMs);
parentPort.on('message', () => {
  clearTimeout(timer);
  try {
    db.close();
  } finally {
    Atomics.store(workerData.closed, 0, 1);
    Atomics.notify(workerData.closed, 0);
    parentPort.close();
  }
});
`;
