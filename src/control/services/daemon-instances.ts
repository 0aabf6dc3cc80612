import type { ServiceRecord } from '../../core/ecs/service.js';
import { taskDemand } from '../../core/ecs/task.js';
import { combineConstraints } from '../../core/placement/constraints.js';
import { feasibility } from '../../core/placement/filters.js';
import { MEMBER_OF_UNSATISFIED, type InstanceSnapshot } from '../../core/placement/types.js';
import type { DaemonInstance } from '../../core/services/daemon.js';
import type { ControlDeps } from '../context.js';
import { parseTaskDefinitionRef } from '../ecs/refs.js';
import { serviceGroup } from './input.js';

/**
 * The cluster's instances as the DAEMON scheduler needs them: which are eligible for the service
 * (its memberOf constraints and its task definition's required attributes — not resources: a
 * full instance is still one the daemon belongs on, and placement says why it cannot go there),
 * and how many live tasks of other services each runs (on a DRAINING instance the daemon task
 * stops after them).
 */
export async function daemonInstances(
  deps: ControlDeps,
  service: ServiceRecord,
  instances: readonly InstanceSnapshot[],
): Promise<DaemonInstance[]> {
  const { store } = deps;
  const primary = service.deployments.find((d) => d.status === 'PRIMARY');
  const ref = parseTaskDefinitionRef(primary?.revision.taskDefinition ?? service.taskDefinition, deps.scope);
  const definition =
    ref.revision === undefined
      ? await store.taskDefinitions.latestActive(ref.family)
      : await store.taskDefinitions.get({ family: ref.family, revision: ref.revision });
  const constraints = combineConstraints(
    definition?.placementConstraints ?? [],
    service.placementConstraints,
  );
  const demand = definition ? taskDemand(definition, {}) : undefined;
  const check = feasibility({
    cpu: 0,
    memory: 0,
    tcpPorts: [],
    udpPorts: [],
    requiredAttributes: demand?.requiredAttributes ?? [],
    ...(constraints.memberOf !== undefined ? { memberOf: constraints.memberOf } : {}),
  });
  const counts = await store.tasks.activeGroupCounts({ cluster: service.cluster });
  const own = serviceGroup(service.name);
  const others = new Map<string, number>();
  for (const c of counts) {
    if (c.group.startsWith('service:') && c.group !== own)
      others.set(c.instanceArn, (others.get(c.instanceArn) ?? 0) + c.count);
  }
  return instances.map((instance) => {
    // Only the constraints are asked about: status and agent are the scheduler's own inputs.
    const reason = check({ ...instance, status: 'ACTIVE', agentConnected: true });
    return {
      arn: instance.id,
      status: instance.status,
      eligible: reason !== 'ATTRIBUTE' && reason !== MEMBER_OF_UNSATISFIED,
      replicaTasks: others.get(instance.id) ?? 0,
    };
  });
}
