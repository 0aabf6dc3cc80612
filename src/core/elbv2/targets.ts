import { elbFault, validationError } from './faults.js';
import type { TargetInput } from './inputs.js';
import type { TargetGroupRecord, TargetHealthState, TargetRecord } from './types.js';

/**
 * Targets of a target group and the health ELB reports for them. The stored `health` is what the
 * data plane last found; until it has checked a target, ELB's pre-check states apply:
 * - `initial` (Elb.RegistrationInProgress) in a target group a listener forwards to;
 * - `unused` (Target.NotInUse) in one no listener uses — whatever the checks said before;
 * - `draining` (Target.DeregistrationInProgress) after DeregisterTargets, until the delay passes.
 */
export const MAX_TARGETS_PER_GROUP = 1000;

export interface TargetKey {
  readonly id: string;
  readonly port: number;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** The (id, port) pairs a Register/Deregister call names: ports default to the group's. */
export function targetKeys(group: TargetGroupRecord, inputs: readonly TargetInput[]): TargetKey[] {
  if (inputs.length === 0) throw validationError('At least one target must be specified');
  return inputs.map((t) => {
    const port = t.Port ?? group.port;
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw validationError(`Target port '${port}' must be between 1 and 65535`);
    }
    if (t.Id.length === 0 || t.Id.length > 255) {
      throw elbFault('InvalidTarget', 'The target ID must be 1 to 255 characters long');
    }
    if (group.targetType === 'ip' && !isIpv4(t.Id)) {
      throw elbFault('InvalidTarget', `The IP address '${t.Id}' is not a valid IPv4 address`);
    }
    return { id: t.Id, port };
  });
}

function isIpv4(value: string): boolean {
  const m = IPV4.exec(value);
  return m !== null && m.slice(1).every((o) => Number(o) <= 255);
}

/** Whether a stored target still counts: deregistered ones count until their drain ends. */
export const isPresent = (t: TargetRecord, now: number): boolean =>
  t.deregisteredAt === undefined || (t.drainUntil ?? 0) > now;

export interface TargetHealthView {
  readonly State: TargetHealthState;
  readonly Reason?: string;
  readonly Description?: string;
}

export function healthOf(target: TargetRecord | undefined, inUse: boolean, now: number): TargetHealthView {
  if (target === undefined || !isPresent(target, now)) {
    return {
      State: 'unused',
      Reason: 'Target.NotRegistered',
      Description: 'Target is not registered to the target group',
    };
  }
  if (target.deregisteredAt !== undefined) {
    return {
      State: 'draining',
      Reason: 'Target.DeregistrationInProgress',
      Description: 'Target deregistration is in progress',
    };
  }
  if (!inUse) {
    return {
      State: 'unused',
      Reason: 'Target.NotInUse',
      Description: 'Target group is not configured to receive traffic from the load balancer',
    };
  }
  if (target.health === undefined) {
    return {
      State: 'initial',
      Reason: 'Elb.RegistrationInProgress',
      Description: 'Target registration is in progress',
    };
  }
  return {
    State: target.health.state,
    ...(target.health.reason !== undefined ? { Reason: target.health.reason } : {}),
    ...(target.health.description !== undefined ? { Description: target.health.description } : {}),
  };
}
