import type { ServiceDeployment, ServiceTask } from './types.js';

/**
 * Which task goes first when the scheduler stops some of several candidates (scale-in, replacing a
 * deployment's tasks). ECS: "If a placement strategy is defined, use that strategy to select which
 * tasks to terminate"; without one it keeps the Availability Zones balanced. That needs the
 * instances, so the controller computes it with core/placement and passes a `StopRanker`; the
 * scheduler only ever asks it to order candidates it already chose to stop some of.
 */

/** The candidates in the order they should stop (first = stop first). Must return each exactly once. */
export type StopRanker = (candidates: readonly ServiceTask[]) => readonly ServiceTask[];

/**
 * Without a ranker: the oldest deployment's tasks first, then tasks not yet RUNNING before RUNNING
 * ones (they serve nothing yet), then the newest task first — the one with the least proof that
 * it works — and the ARN to break ties, so the order never depends on the input's order.
 */
export function defaultStopOrder(deployments: readonly ServiceDeployment[]): StopRanker {
  const age = new Map(deployments.map((d) => [d.id, d.createdAt]));
  return (candidates) =>
    [...candidates].sort(
      (a, b) =>
        (age.get(a.deploymentId) ?? -Infinity) - (age.get(b.deploymentId) ?? -Infinity) ||
        Number(a.lastStatus === 'RUNNING') - Number(b.lastStatus === 'RUNNING') ||
        b.createdAt - a.createdAt ||
        (a.arn < b.arn ? -1 : a.arn > b.arn ? 1 : 0),
    );
}
