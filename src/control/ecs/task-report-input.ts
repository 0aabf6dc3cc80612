import type { SubmitTaskStateChangeRequest } from '@aws-sdk/client-ecs';
import {
  REPORTED_STATUSES,
  type ContainerReport,
  type ReportedStatus,
  type TaskReport,
} from '../../core/ecs/task-report.js';
import type { Fault } from '../../core/fault.js';

/**
 * An agent's report on a task as SubmitTaskStateChange carries it, read into the lifecycle's
 * `TaskReport`: ECS's public operation and the agent channel's batched SubmitStateChanges
 * (control/agent-channel/state-changes.ts) read their entries the same way. `fault` makes the
 * operation's modelled error for a bad member.
 */
export function taskReportOf(
  input: Omit<SubmitTaskStateChangeRequest, 'cluster' | 'task'>,
  fault: (message: string) => Fault,
): TaskReport {
  const containers = (input.containers ?? []).map((c): ContainerReport => {
    if (!c.containerName) throw fault('Each container state change needs containerName.');
    return {
      name: c.containerName,
      ...optional('status', reportedStatus(c.status, fault)),
      ...optional('runtimeId', c.runtimeId),
      ...optional('exitCode', c.exitCode),
      ...optional('reason', c.reason),
      ...optional('imageDigest', c.imageDigest),
      ...optional('networkBindings', c.networkBindings),
    };
  });
  return {
    containers,
    ...optional('status', reportedStatus(input.status, fault)),
    ...optional('reason', input.reason),
    ...optional('pullStartedAt', epochMs(input.pullStartedAt)),
    ...optional('pullStoppedAt', epochMs(input.pullStoppedAt)),
  };
}

/** A reported status: PENDING, RUNNING or STOPPED (case as ECS sends it). */
export function reportedStatus(
  status: string | undefined,
  fault: (message: string) => Fault,
): ReportedStatus | undefined {
  if (status === undefined) return undefined;
  if (!(REPORTED_STATUSES as readonly string[]).includes(status)) {
    throw fault(`status must be one of ${REPORTED_STATUSES.join(', ')}, not '${status}'.`);
  }
  return status as ReportedStatus;
}

/** A timestamp as the validator passes it (epoch seconds) or as a Date, in epoch ms. */
function epochMs(value: Date | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'number' ? Math.round(value * 1000) : value.getTime();
}

/** `{ [key]: value }` when value is defined, else `{}` (for exactOptionalPropertyTypes). */
export function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
