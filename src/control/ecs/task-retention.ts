import type { ControlDeps } from '../context.js';

/**
 * Stopped tasks stay visible (DescribeTasks, ListTasks with desiredStatus STOPPED) for a while, as
 * ECS keeps them for at least an hour, and are then removed with their tags, so the store does not
 * grow with every task ever run. Level-triggered: each pass removes what is past the retention,
 * in batches (one transaction each), whatever earlier passes missed.
 */
export const DEFAULT_STOPPED_TASK_RETENTION_MS = 60 * 60 * 1000;
const BATCH = 500;

/** Removes the tasks STOPPED longer than `retentionMs` ago; returns how many. */
export async function expireStoppedTasks(
  deps: Pick<ControlDeps, 'store' | 'now'>,
  retentionMs: number,
): Promise<number> {
  const cutoff = deps.now() - retentionMs;
  let removed = 0;
  for (;;) {
    const batch = await deps.store.transaction((repos) => repos.tasks.deleteStoppedBefore(cutoff, BATCH));
    removed += batch.length;
    if (batch.length < BATCH) return removed;
  }
}
