import { hash32, mix32 } from './strategies.js';
import type { InstanceSnapshot, PlacementStrategy } from './types.js';

/**
 * Scale-in: which of a group's tasks stop first, by the same strategies that placed them, run
 * backwards. ECS: "If a placement strategy is defined, use that strategy to select which tasks to
 * terminate." Each step stops the task on the instance that ranks worst for placing one more:
 * - `spread(field)`: the instance (or attribute value) holding the most of the group's tasks, so
 *   the tasks left stay balanced across zones or instances;
 * - `binpack(cpu|memory)`: the instance with the most of the resource left, so tasks stay packed
 *   on the fewest instances and the emptiest ones are freed;
 * - `random`: a seeded hash.
 * Scores form a tuple compared in the order the strategies were given, as in placement; ties go to
 * the order the candidates came in (the caller's own preference, e.g. oldest deployment first).
 * Without strategies the order is ECS's default for scale-in: keep the zones balanced.
 */
export interface StopCandidate {
  readonly taskArn: string;
  /** The instance it runs on, with `groupTasks` = the group's tasks there. */
  readonly instance: InstanceSnapshot;
  /** What it gives back when it stops. */
  readonly cpu: number;
  readonly memory: number;
}

export function stopOrder(
  candidates: readonly StopCandidate[],
  strategies: readonly PlacementStrategy[],
  seed: string,
): string[] {
  const chain = strategies.length
    ? strategies
    : [{ type: 'spread', field: 'attribute:ecs.availability-zone' } as PlacementStrategy];
  // What each step changes: tasks per instance and per attribute value, remaining resources.
  const onInstance = new Map<string, number>();
  const withValue = new Map<string, Map<string | undefined, number>>();
  const remaining = new Map<string, { cpu: number; memory: number }>();
  for (const c of candidates) {
    onInstance.set(c.instance.id, c.instance.groupTasks ?? 0);
    remaining.set(c.instance.id, { cpu: c.instance.remainingCpu, memory: c.instance.remainingMemory });
  }
  for (const s of chain) {
    const name = attributeOf(s);
    if (name === undefined || withValue.has(name)) continue;
    const counts = new Map<string | undefined, number>();
    const seen = new Set<string>();
    for (const c of candidates) {
      if (seen.has(c.instance.id)) continue;
      seen.add(c.instance.id);
      const value = c.instance.attributes[name];
      counts.set(value, (counts.get(value) ?? 0) + (c.instance.groupTasks ?? 0));
    }
    withValue.set(name, counts);
  }
  const seedHash = hash32(seed);
  const score = (c: StopCandidate, s: PlacementStrategy): number => {
    const name = attributeOf(s);
    if (name !== undefined) return withValue.get(name)?.get(c.instance.attributes[name]) ?? 0;
    if (s.type === 'spread') return onInstance.get(c.instance.id) ?? 0;
    if (s.type === 'binpack') {
      const left = remaining.get(c.instance.id);
      return (s.field ?? '').toLowerCase() === 'cpu' ? (left?.cpu ?? 0) : (left?.memory ?? 0);
    }
    return mix32(hash32(c.taskArn), seedHash, 0);
  };

  const left = [...candidates];
  const order: string[] = [];
  while (left.length > 0) {
    // The worst instance for placing: the highest tuple; the first such candidate on ties.
    let worst = 0;
    for (let k = 1; k < left.length; k++) {
      for (const s of chain) {
        const d = score(left[k] as StopCandidate, s) - score(left[worst] as StopCandidate, s);
        if (d > 0) worst = k;
        if (d !== 0) break;
      }
    }
    const [stopped] = left.splice(worst, 1) as [StopCandidate];
    order.push(stopped.taskArn);
    const id = stopped.instance.id;
    onInstance.set(id, (onInstance.get(id) ?? 1) - 1);
    for (const [name, counts] of withValue) {
      const value = stopped.instance.attributes[name];
      counts.set(value, (counts.get(value) ?? 1) - 1);
    }
    const r = remaining.get(id);
    if (r) remaining.set(id, { cpu: r.cpu + stopped.cpu, memory: r.memory + stopped.memory });
  }
  return order;
}

function attributeOf(s: PlacementStrategy): string | undefined {
  const field = s.field ?? '';
  return s.type === 'spread' && field.startsWith('attribute:') ? field.slice('attribute:'.length) : undefined;
}
