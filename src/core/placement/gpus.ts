import type { InstanceSnapshot, TaskDemand } from './types.js';

/**
 * GPUs are whole devices, each held by one task at a time (ECS pins physical GPUs to containers):
 * an instance offers the ids no task holds (`InstanceSnapshot.gpuIds`), and a task takes the first
 * `demand.gpus` of them in the instance's order. `take` (place.ts) and `gpuAssignments` both pick
 * through `takeGpus`, so the ids a plan reserves are exactly the ids its tasks are given.
 */
export function takeGpus(
  free: readonly string[],
  count: number,
): { readonly taken: readonly string[]; readonly rest: readonly string[] } {
  return { taken: free.slice(0, count), rest: free.slice(count) };
}

/**
 * The GPU ids each placed task gets, in placement order: the placements replayed on the snapshot
 * they were planned on (a task placed on an instance after another one of the same call gets the
 * ids after the first one's). What the commit stores on each task and removes from its instance's
 * remaining GPUs. Tasks that take no GPU get `[]`.
 */
export function gpuAssignments(
  snapshot: readonly InstanceSnapshot[],
  placements: readonly string[],
  demand: TaskDemand,
): (readonly string[])[] {
  const count = demand.gpus ?? 0;
  if (count === 0) return placements.map(() => []);
  const free = new Map(snapshot.map((i) => [i.id, i.gpuIds ?? []]));
  return placements.map((id) => {
    const { taken, rest } = takeGpus(free.get(id) ?? [], count);
    // A placement the filters allowed always finds its GPUs; anything else is a planning bug.
    if (taken.length < count) throw new Error(`instance ${id} has fewer than ${count} free GPUs`);
    free.set(id, rest);
    return taken;
  });
}
