import { checkArn } from '../../core/elbv2/arns.js';
import { drainMs } from '../../core/elbv2/attributes.js';
import { elbFault } from '../../core/elbv2/faults.js';
import type { TargetInput } from '../../core/elbv2/inputs.js';
import { MAX_TARGETS_PER_GROUP, healthOf, isPresent, targetKeys } from '../../core/elbv2/targets.js';
import type { TargetGroupRecord, TargetRecord } from '../../core/elbv2/types.js';
import type { Repositories } from '../../store/index.js';
import type { ControlDeps } from '../context.js';

const keyOf = (t: { readonly id: string; readonly port: number }): string => `${t.id}:${t.port}`;

/**
 * RegisterTargets, DeregisterTargets, DescribeTargetHealth. A deregistered target of a group in use
 * drains for the group's deregistration delay (`drainUntil` is stored), then it is gone; in a group
 * no listener uses, or with a delay of 0, it goes at once, as on ELB. Targets whose drain ended are
 * removed by the next write to their group and never shown.
 */
export class TargetOperations {
  constructor(private readonly deps: ControlDeps) {}

  async register(input: {
    readonly TargetGroupArn: string;
    readonly Targets: readonly TargetInput[];
  }): Promise<object> {
    checkArn(input.TargetGroupArn, 'targetgroup');
    const now = this.deps.now();
    await this.deps.store.transaction((repos) =>
      registerTargetsIn(repos, input.TargetGroupArn, input.Targets, now),
    );
    return {};
  }

  async deregister(input: {
    readonly TargetGroupArn: string;
    readonly Targets: readonly TargetInput[];
  }): Promise<object> {
    checkArn(input.TargetGroupArn, 'targetgroup');
    const now = this.deps.now();
    await this.deps.store.transaction((repos) =>
      deregisterTargetsIn(repos, input.TargetGroupArn, input.Targets, now),
    );
    return {};
  }

  async describeHealth(input: {
    readonly TargetGroupArn: string;
    readonly Targets?: readonly TargetInput[];
  }): Promise<object> {
    checkArn(input.TargetGroupArn, 'targetgroup');
    const now = this.deps.now();
    const repo = this.deps.store.loadBalancing;
    const [group] = await repo.targetGroups([input.TargetGroupArn]);
    if (!group) throw notFound(input.TargetGroupArn);
    const present = (await repo.targets([group.arn])).filter((t) => isPresent(t, now));
    const byKey = new Map(present.map((t) => [keyOf(t), t]));
    const inUse = (await repo.usage([group.arn])).size > 0;
    const asked = input.Targets?.length ? targetKeys(group, input.Targets) : present;
    return {
      TargetHealthDescriptions: asked.map((k) => {
        const target = byKey.get(keyOf(k));
        return {
          Target: {
            Id: k.id,
            Port: k.port,
            ...(target?.availabilityZone !== undefined ? { AvailabilityZone: target.availabilityZone } : {}),
          },
          HealthCheckPort: healthCheckPort(group, k.port),
          TargetHealth: healthOf(target, inUse, now),
        };
      }),
    };
  }
}

/**
 * RegisterTargets inside a transaction (also how ECS services register their tasks). A target
 * already registered stays as it is; a draining one registered again starts over: no health yet,
 * no longer draining.
 */
export async function registerTargetsIn(
  repos: Repositories,
  arn: string,
  targets: readonly TargetInput[],
  now: number,
): Promise<void> {
  const { group, stored } = await held(repos, arn, now);
  const keys = targetKeys(group, targets);
  const zones = new Map(
    targets.map((t) => [keyOf({ id: t.Id, port: t.Port ?? group.port }), t.AvailabilityZone]),
  );
  const fresh = keys.filter((k) => {
    const existing = stored.get(keyOf(k));
    return existing === undefined || existing.deregisteredAt !== undefined;
  });
  const added = new Set(fresh.filter((k) => !stored.has(keyOf(k))).map(keyOf));
  if (stored.size + added.size > MAX_TARGETS_PER_GROUP) {
    throw elbFault('TooManyTargets', `A target group can have at most ${MAX_TARGETS_PER_GROUP} targets`);
  }
  for (const k of fresh) {
    const zone = zones.get(keyOf(k));
    await repos.loadBalancing.putTarget({
      targetGroupArn: group.arn,
      id: k.id,
      port: k.port,
      ...(zone !== undefined ? { availabilityZone: zone } : {}),
      registeredAt: now,
    });
  }
}

/**
 * DeregisterTargets inside a transaction. A target of a group in use drains for the group's
 * deregistration delay; in an unused group, or with a delay of 0, it goes at once. `strict`
 * (the API): a target that is not registered is `InvalidTarget`; otherwise it is skipped.
 */
export async function deregisterTargetsIn(
  repos: Repositories,
  arn: string,
  targets: readonly TargetInput[],
  now: number,
  { strict = true }: { readonly strict?: boolean } = {},
): Promise<void> {
  const { group, stored } = await held(repos, arn, now);
  const keys = targetKeys(group, targets);
  const missing = keys.filter((k) => !stored.has(keyOf(k)));
  if (strict && missing.length > 0) {
    throw elbFault(
      'InvalidTarget',
      `The following targets are not registered in target group '${group.arn}': ${missing.map(keyOf).join(', ')}`,
    );
  }
  const inUse = (await repos.loadBalancing.usage([group.arn])).size > 0;
  const delay = drainMs(group.attributes);
  for (const k of keys) {
    const target = stored.get(keyOf(k));
    if (!target || target.deregisteredAt !== undefined) continue; // gone, or already draining
    if (!inUse || delay === 0) {
      await repos.loadBalancing.deleteTarget(group.arn, k.id, k.port);
      continue;
    }
    // Draining drops the last health-check outcome: ELB reports `draining` whatever it was.
    await repos.loadBalancing.putTarget({
      targetGroupArn: target.targetGroupArn,
      id: target.id,
      port: target.port,
      ...(target.availabilityZone !== undefined ? { availabilityZone: target.availabilityZone } : {}),
      registeredAt: target.registeredAt,
      deregisteredAt: now,
      drainUntil: now + delay,
    });
  }
}

/** The group's row held for the transaction, and its targets still present (drained ones removed). */
async function held(
  repos: Repositories,
  arn: string,
  now: number,
): Promise<{ group: TargetGroupRecord; stored: Map<string, TargetRecord> }> {
  if ((await repos.loadBalancing.holdTargetGroups([arn])) !== 1) throw notFound(arn);
  const [group] = await repos.loadBalancing.targetGroups([arn]);
  if (!group) throw notFound(arn);
  await repos.loadBalancing.deleteDrained(arn, now);
  const targets = await repos.loadBalancing.targets([arn]);
  return { group, stored: new Map(targets.map((t) => [keyOf(t), t])) };
}

const notFound = (arn: string): Error =>
  elbFault('TargetGroupNotFound', `Target groups '[${arn}]' not found`);

/** The port health checks reach a target on: its own (traffic-port) or the group's fixed one. */
export function healthCheckPort(group: TargetGroupRecord, port: number): string {
  return group.healthCheck.port === 'traffic-port' ? String(port) : group.healthCheck.port;
}
