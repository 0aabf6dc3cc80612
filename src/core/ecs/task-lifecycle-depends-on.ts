import type { ContainerState } from './task-lifecycle.js';

/**
 * `dependsOn` readiness: which of a task's PENDING containers the agent may start now, which must
 * keep waiting, and which can never start. Pure; the agent calls it after every container change.
 *
 * ECS's conditions (ContainerDependency):
 * - START    — the dependency has started (is RUNNING, or ran and has since exited).
 * - COMPLETE — the dependency has run to completion (STOPPED), whatever its exit code.
 * - SUCCESS  — the dependency exited with code 0; any other exit means the dependent never starts.
 * - HEALTHY  — the dependency's health check passed; if it stops first, the dependent never starts.
 * A dependency on a container that will never start (or that the task does not have) can never be
 * met either, so "never" spreads along the graph. A cycle leaves its members waiting (task
 * definition registration refuses cycles).
 */
export type DependencyCondition = 'START' | 'COMPLETE' | 'SUCCESS' | 'HEALTHY';

export interface ContainerDependencies {
  readonly name: string;
  readonly dependsOn: readonly { readonly containerName: string; readonly condition: DependencyCondition }[];
}

export interface Readiness {
  /** PENDING containers whose every dependency is met. */
  readonly startable: string[];
  /** PENDING containers still waiting, with the dependencies not yet met. */
  readonly waiting: { readonly name: string; readonly on: string[] }[];
  /** PENDING containers that can never start, with why (for the container's and task's reason). */
  readonly never: { readonly name: string; readonly reason: string }[];
}

type Verdict =
  | { readonly kind: 'met' }
  | { readonly kind: 'waiting' }
  | { readonly kind: 'never'; readonly reason: string };

const MET: Verdict = { kind: 'met' };
const WAITING: Verdict = { kind: 'waiting' };
const never = (reason: string): Verdict => ({ kind: 'never', reason });

/** Whether one dependency's condition holds for the dependency's current state. */
export function conditionVerdict(condition: DependencyCondition, dep: ContainerState): Verdict {
  const stopped = dep.lastStatus === 'STOPPED';
  switch (condition) {
    case 'START':
      if (dep.lastStatus === 'RUNNING' || (stopped && dep.startedAt !== undefined)) return MET;
      return stopped ? never(`dependency '${dep.name}' stopped before it started`) : WAITING;
    case 'COMPLETE':
      return stopped ? MET : WAITING;
    case 'SUCCESS':
      if (!stopped) return WAITING;
      return dep.exitCode === 0
        ? MET
        : never(`dependency '${dep.name}' exited with ${dep.exitCode ?? 'no exit code'}, not 0 (SUCCESS)`);
    case 'HEALTHY':
      if (stopped) return never(`dependency '${dep.name}' stopped before it was HEALTHY`);
      return dep.lastStatus === 'RUNNING' && dep.healthStatus === 'HEALTHY' ? MET : WAITING;
  }
}

export function dependencyReadiness(
  specs: readonly ContainerDependencies[],
  containers: readonly ContainerState[],
): Readiness {
  const byName = new Map(containers.map((c) => [c.name, c]));
  const depsOf = new Map(specs.map((s) => [s.name, s.dependsOn]));
  const pending = containers.filter((c) => c.lastStatus === 'PENDING');
  // Containers that can never start, found to a fixed point so "never" propagates along chains.
  const doomed = new Map<string, string>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const c of pending) {
      if (doomed.has(c.name)) continue;
      for (const d of depsOf.get(c.name) ?? []) {
        const reason = doomed.has(d.containerName)
          ? `dependency '${d.containerName}' can never start`
          : verdictFor(d.containerName, d.condition, byName);
        if (typeof reason === 'string') {
          doomed.set(c.name, reason);
          grew = true;
          break;
        }
      }
    }
  }
  const startable: string[] = [];
  const waiting: { name: string; on: string[] }[] = [];
  for (const c of pending) {
    if (doomed.has(c.name)) continue;
    const on = (depsOf.get(c.name) ?? [])
      .filter((d) => verdictFor(d.containerName, d.condition, byName) !== true)
      .map((d) => d.containerName);
    if (on.length) waiting.push({ name: c.name, on });
    else startable.push(c.name);
  }
  return { startable, waiting, never: [...doomed].map(([name, reason]) => ({ name, reason })) };
}

/** true: met; false: waiting; string: never, with the reason. */
function verdictFor(
  name: string,
  condition: DependencyCondition,
  byName: ReadonlyMap<string, ContainerState>,
): boolean | string {
  const dep = byName.get(name);
  if (!dep) return `dependency '${name}' is not a container of this task`;
  const v = conditionVerdict(condition, dep);
  return v.kind === 'never' ? v.reason : v.kind === 'met';
}
