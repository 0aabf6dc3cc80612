import { drainMs } from '../../core/elbv2/attributes.js';
import type {
  LoadBalancingModel,
  ModelCertificate,
  ModelListener,
  ModelLoadBalancer,
  TargetHealthReport,
} from '../../core/elbv2/data-plane.js';
import { HOST_ADDRESS_ATTRIBUTE } from '../../core/ecs/container-instance.js';
import { isPresent } from '../../core/elbv2/targets.js';
import type { Certificate, TargetRecord, TargetGroupRecord } from '../../core/elbv2/types.js';
import type { ControlDeps } from '../context.js';

export type { LoadBalancingModel, TargetHealthReport } from '../../core/elbv2/data-plane.js';

/** An instance without `berth.host-address` publishes its ports on this machine's loopback. */
const LOOPBACK = '127.0.0.1';

/** The certificate material for a listener's certificate ARNs; none until a store holds it. */
export type CertificateSource = (
  arns: readonly string[],
) => Promise<Map<string, Omit<ModelCertificate, 'arn'>>>;

/**
 * The whole model for a data-plane driver (the types and the boundary: core/elbv2/data-plane.ts).
 * `instance` targets are resolved to their host's address here, so the driver needs no store.
 */
export async function loadBalancingModel(
  deps: Pick<ControlDeps, 'store' | 'now'>,
  certificates: CertificateSource = () => Promise.resolve(new Map<string, Omit<ModelCertificate, 'arn'>>()),
): Promise<LoadBalancingModel> {
  const repo = deps.store.loadBalancing;
  const now = deps.now();
  const [lbs, listeners, groups, targets] = await Promise.all([
    repo.loadBalancers(),
    repo.listeners(),
    repo.targetGroups(),
    repo.targets(),
  ]);
  const present = targets.filter((t) => isPresent(t, now));
  const addresses = await instanceAddresses(deps, groups, present);
  const material = await certificates([
    ...new Set(listeners.flatMap((l) => l.certificates.map((c) => c.CertificateArn))),
  ]);
  const certificate = (c: Certificate): ModelCertificate => ({
    arn: c.CertificateArn,
    ...material.get(c.CertificateArn),
  });
  const loadBalancers: ModelLoadBalancer[] = [];
  for (const lb of lbs) {
    const own: ModelListener[] = [];
    for (const l of listeners.filter((x) => x.loadBalancerArn === lb.arn)) {
      const rules = (await repo.rules(l.arn)).map((r) => ({
        arn: r.arn,
        ...(r.priority !== undefined ? { priority: r.priority } : {}),
        isDefault: r.priority === undefined,
        conditions: r.conditions,
        actions: r.actions,
      }));
      own.push({
        arn: l.arn,
        port: l.port,
        protocol: l.protocol,
        ...(l.sslPolicy !== undefined ? { sslPolicy: l.sslPolicy } : {}),
        certificates: l.certificates.map(certificate),
        rules,
      });
    }
    loadBalancers.push({
      arn: lb.arn,
      name: lb.name,
      type: lb.type,
      scheme: lb.scheme,
      dnsName: lb.dnsName,
      listeners: own,
    });
  }
  return {
    loadBalancers,
    targetGroups: groups.map((g) => ({
      arn: g.arn,
      name: g.name,
      protocol: g.protocol,
      port: g.port,
      targetType: g.targetType,
      healthCheck: g.healthCheck,
      attributes: g.attributes,
      deregistrationDelayMs: drainMs(g.attributes),
      targets: present
        .filter((t) => t.targetGroupArn === g.arn)
        .map((t) => ({
          id: t.id,
          port: t.port,
          ...addressOf(g, t, addresses),
          registeredAt: t.registeredAt,
          ...(t.drainUntil !== undefined ? { drainUntil: t.drainUntil } : {}),
          ...(t.health !== undefined ? { health: t.health } : {}),
        })),
    })),
  };
}

/**
 * Writes health-check outcomes back. A report for a target that is draining or gone is dropped
 * (answered false): the control plane's state wins once a target is deregistered.
 */
export async function reportTargetHealth(
  deps: Pick<ControlDeps, 'store'>,
  reports: readonly TargetHealthReport[],
): Promise<boolean[]> {
  const written: boolean[] = [];
  for (const { targetGroupArn, id, port, ...report } of reports) {
    written.push(await deps.store.loadBalancing.writeHealth(targetGroupArn, id, port, report));
  }
  return written;
}

function addressOf(
  group: TargetGroupRecord,
  target: TargetRecord,
  addresses: ReadonlyMap<string, string>,
): { address?: string } {
  if (group.targetType === 'ip') return { address: target.id };
  const address = addresses.get(target.id);
  return address !== undefined ? { address } : {};
}

/** Each `instance` target's host address, by instance id (`ec2InstanceId`); unknown hosts left out. */
async function instanceAddresses(
  deps: Pick<ControlDeps, 'store'>,
  groups: readonly TargetGroupRecord[],
  targets: readonly TargetRecord[],
): Promise<Map<string, string>> {
  const instanceGroups = new Set(groups.filter((g) => g.targetType === 'instance').map((g) => g.arn));
  const hostIds = new Set(targets.filter((t) => instanceGroups.has(t.targetGroupArn)).map((t) => t.id));
  const out = new Map<string, string>();
  for (const hostId of hostIds) {
    const instance = await deps.store.containerInstances.registeredOnHost(hostId);
    if (instance === undefined) continue;
    const attributes = await deps.store.containerInstances.attributesOf([instance.arn], { forUpdate: false });
    const declared = attributes.get(instance.arn)?.find((a) => a.name === HOST_ADDRESS_ATTRIBUTE)?.value;
    out.set(hostId, declared ?? LOOPBACK);
  }
  return out;
}
