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
    await this.deps.store.transaction(async (repos) => {
      const { group, stored } = await this.held(repos, input.TargetGroupArn, now);
      const keys = targetKeys(group, input.Targets);
      const zones = new Map(
        input.Targets.map((t) => [keyOf({ id: t.Id, port: t.Port ?? group.port }), t.AvailabilityZone]),
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
        // A draining target registered again starts over: no health yet, no longer draining.
        await repos.loadBalancing.putTarget({
          targetGroupArn: group.arn,
          id: k.id,
          port: k.port,
          ...(zone !== undefined ? { availabilityZone: zone } : {}),
          registeredAt: now,
        });
      }
    });
    return {};
  }

  async deregister(input: {
    readonly TargetGroupArn: string;
    readonly Targets: readonly TargetInput[];
  }): Promise<object> {
    checkArn(input.TargetGroupArn, 'targetgroup');
    const now = this.deps.now();
    await this.deps.store.transaction(async (repos) => {
      const { group, stored } = await this.held(repos, input.TargetGroupArn, now);
      const keys = targetKeys(group, input.Targets);
      const missing = keys.filter((k) => !stored.has(keyOf(k)));
      if (missing.length > 0) {
        throw elbFault(
          'InvalidTarget',
          `The following targets are not registered in target group '${group.arn}': ${missing.map(keyOf).join(', ')}`,
        );
      }
      const inUse = (await repos.loadBalancing.usage([group.arn])).size > 0;
      const delay = drainMs(group.attributes);
      for (const k of keys) {
        const target = stored.get(keyOf(k));
        if (!target || target.deregisteredAt !== undefined) continue; // already draining
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
    });
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

  /** The group's row held for the transaction, and its targets still present (drained ones removed). */
  private async held(
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
}

const notFound = (arn: string): Error =>
  elbFault('TargetGroupNotFound', `Target groups '[${arn}]' not found`);

/** The port health checks reach a target on: its own (traffic-port) or the group's fixed one. */
export function healthCheckPort(group: TargetGroupRecord, port: number): string {
  return group.healthCheck.port === 'traffic-port' ? String(port) : group.healthCheck.port;
}
