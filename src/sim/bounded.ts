/**
 * Runs `work` for indexes 0 … count-1 with at most `limit` in flight, in index order, and resolves
 * once all have settled; the first rejection rejects the whole (after the work in flight settles,
 * and no new work starts). `signal` stops starting new work.
 */
export async function forEachBounded(
  count: number,
  limit: number,
  work: (index: number) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (next < count && !failed && signal?.aborted !== true) {
      const index = next++;
      try {
        await work(index);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  const results = await Promise.allSettled(Array.from({ length: Math.min(limit, count) }, worker));
  const rejected = results.find((r) => r.status === 'rejected');
  if (rejected) throw rejected.reason;
}
