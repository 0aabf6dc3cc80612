/**
 * Task ids as ECS shows them (32 lowercase hex digits), made to sort by creation: the first 12
 * digits are the creation time in epoch milliseconds, the other 20 are random (80 bits).
 *
 * Why: every index on the tasks table that contains the id (the ARN, `(cluster, id)`, the
 * listings) then grows at its right edge. Random ids put each new task on a different leaf page of
 * every such index, and a RunTask of 10 tasks rewrote ≈ 55 pages (228 KB of write-ahead log) in its
 * commit; sortable ids make the same commit touch a few pages (docs/benchmarks.md). ListTasks,
 * which answers in id order, then lists tasks oldest first.
 */
export function sortableTaskId(nowMs: number, random: Uint8Array): string {
  if (random.length < 10) throw new Error('a task id needs 10 random bytes');
  const time = Math.max(0, Math.min(Math.floor(nowMs), TIME_LIMIT))
    .toString(16)
    .padStart(12, '0');
  let suffix = '';
  for (let i = 0; i < 10; i++) suffix += (random[i] as number).toString(16).padStart(2, '0');
  return time + suffix;
}

/** The largest time 12 hex digits hold (the year 10889). */
const TIME_LIMIT = 0xffff_ffff_ffff;
