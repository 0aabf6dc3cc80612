import type { NetworkBinding } from '@aws-sdk/client-ecs';
import type { TaskContainerSpec, TaskDoc } from './task.js';
import { nextTaskState, type HealthStatus, type TaskEvent, type TaskState } from './task-lifecycle.js';

/**
 * What the agent reports about a task (SubmitTaskStateChange / SubmitContainerStateChange, and its
 * containers' health through BerthAgentV1.SubmitHealth), turned into lifecycle events for
 * `nextTaskState`, plus the details the reducer does not keep (network bindings, image digest).
 * Pure: the time is passed in.
 */

/** Statuses the agent reports, for a container or a task. */
export const REPORTED_STATUSES = ['PENDING', 'RUNNING', 'STOPPED'] as const;
export type ReportedStatus = (typeof REPORTED_STATUSES)[number];

export interface ContainerReport {
  readonly name: string;
  readonly status?: ReportedStatus;
  readonly runtimeId?: string;
  readonly exitCode?: number;
  readonly reason?: string;
  readonly imageDigest?: string;
  readonly networkBindings?: readonly NetworkBinding[];
}

export interface TaskReport {
  /** The task's status, when the report is about the task (SubmitTaskStateChange). */
  readonly status?: ReportedStatus;
  readonly reason?: string;
  readonly containers: readonly ContainerReport[];
  /** Epoch ms, as the agent saw them. */
  readonly pullStartedAt?: number;
  readonly pullStoppedAt?: number;
}

/** The parts of a task a report can change. */
export type ReportedParts = Pick<TaskDoc, 'state' | 'containers'>;

/** One container's health check result as the agent reports it (BerthAgentV1.SubmitHealth). */
export interface ContainerHealthReport {
  readonly name: string;
  readonly healthStatus: HealthStatus;
}

/** The first reported container name the task does not have, if any. */
export function unknownContainer(
  containers: readonly TaskContainerSpec[],
  report: { readonly containers: readonly { readonly name: string }[] },
): string | undefined {
  const names = new Set(containers.map((c) => c.name));
  return report.containers.find((c) => !names.has(c.name))?.name;
}

/**
 * The events a report stands for, in order: pulls, then each container's start or exit; a task
 * reported STOPPED with a reason before any container ran failed to start, and so did one whose
 * essential container is reported STOPPED with a reason (no exit code) before it ran; a task reported
 * STOPPED otherwise has every container stopped (those not reported exited without an exit code).
 */
export function reportEvents(state: TaskState, report: TaskReport): { event: TaskEvent; at?: number }[] {
  const events: { event: TaskEvent; at?: number }[] = [];
  // The agent is acting on the task: any container it has not reported yet may be starting right
  // now, so a stop must wait for the agent's word on it rather than mark it STOPPED (which would
  // stop the task, and give its resources back, while that container still comes up).
  // (A task reported STOPPED is over: what it does not report exited, below.)
  for (const c of report.status === 'STOPPED' ? [] : state.containers) {
    if (c.lastStatus === 'PENDING' && c.launching !== true && state.desiredStatus === 'RUNNING')
      events.push({ event: { kind: 'containerLaunching', container: c.name } });
  }
  if (report.pullStartedAt !== undefined && state.pullStartedAt === undefined) {
    events.push({ event: { kind: 'pullStarted' }, at: report.pullStartedAt });
  }
  if (report.pullStoppedAt !== undefined && state.pullStoppedAt === undefined) {
    events.push({ event: { kind: 'pullStopped' }, at: report.pullStoppedAt });
  }
  // An exit code proves a container ran, even one whose start this report is the first news of
  // (it started and exited between two reports of the agent's).
  const neverRan =
    state.containers.every((c) => c.startedAt === undefined) &&
    !report.containers.some((c) => c.status === 'RUNNING' || c.exitCode !== undefined);
  if (report.status === 'STOPPED' && report.reason && neverRan) {
    const failed = report.containers.find((c) => c.status === 'STOPPED' && c.reason)?.name;
    events.push({
      event: { kind: 'failedToStart', reason: report.reason, ...(failed ? { container: failed } : {}) },
    });
    // The task is over: a container still PENDING (one the agent was starting) did not start.
    for (const c of state.containers) events.push({ event: { kind: 'containerExited', container: c.name } });
    return events;
  }
  for (const c of report.containers) {
    if (c.status === 'RUNNING') {
      events.push({
        event: {
          kind: 'containerStarted',
          container: c.name,
          ...(c.runtimeId !== undefined ? { runtimeId: c.runtimeId } : {}),
        },
      });
    } else if (c.status === 'STOPPED') {
      // An essential container stopped with a reason before it ever ran (no exit code) could not
      // be started: the task failed to start, as the agent's own lifecycle decided (the container
      // reports come before the task's, so this report is the first the control plane hears).
      const known = state.containers.find((k) => k.name === c.name);
      if (
        c.reason !== undefined &&
        c.exitCode === undefined &&
        known?.essential === true &&
        known.lastStatus === 'PENDING' &&
        known.startedAt === undefined
      ) {
        events.push({ event: { kind: 'failedToStart', container: c.name, reason: c.reason } });
        continue;
      }
      events.push({
        event: {
          kind: 'containerExited',
          container: c.name,
          ...(c.exitCode !== undefined ? { exitCode: c.exitCode } : {}),
          ...(c.reason !== undefined ? { reason: c.reason } : {}),
        },
      });
    }
  }
  if (report.status === 'STOPPED') {
    const reported = new Set(report.containers.filter((c) => c.status === 'STOPPED').map((c) => c.name));
    for (const c of state.containers) {
      if (!reported.has(c.name)) events.push({ event: { kind: 'containerExited', container: c.name } });
    }
  }
  return events;
}

/**
 * The task after a report. Returns `current` itself when the report changes nothing: a repeated
 * report, or any report about a STOPPED task.
 */
export function applyReport(current: ReportedParts, report: TaskReport, now: number): ReportedParts {
  if (current.state.lastStatus === 'STOPPED') return current;
  let state = current.state;
  for (const { event, at } of reportEvents(state, report)) state = nextTaskState(state, event, at ?? now);
  // A container that never started keeps no runtime id from a STOPPED report; keep it anyway.
  state = withRuntimeIds(state, report);
  const byName = new Map(report.containers.map((c) => [c.name, c]));
  const containers = current.containers.map((spec) => {
    const r = byName.get(spec.name);
    if (!r) return spec;
    const next: TaskContainerSpec = {
      ...spec,
      ...(r.imageDigest !== undefined ? { imageDigest: r.imageDigest } : {}),
      ...(r.networkBindings !== undefined ? { networkBindings: r.networkBindings.map(binding) } : {}),
    };
    return JSON.stringify(next) === JSON.stringify(spec) ? spec : next;
  });
  const next: ReportedParts = { state, containers };
  const same =
    JSON.stringify(next) === JSON.stringify({ state: current.state, containers: current.containers });
  return same ? current : next;
}

/** A health report's events: each container's `containerHealthChanged`, in the order given. */
export function healthEvents(
  health: readonly ContainerHealthReport[],
): Extract<TaskEvent, { kind: 'containerHealthChanged' }>[] {
  return health.map((c) => ({
    kind: 'containerHealthChanged',
    container: c.name,
    healthStatus: c.healthStatus,
  }));
}

/**
 * The task after a health report; the task's own `healthStatus` follows from its containers' (the
 * reducer's `taskHealth`). Only the health can change: no other event is implied (unlike a state
 * report, a health report does not mean the agent is launching anything). Returns `current` itself
 * when nothing changes: the same health again, a container without a health check or not started
 * yet, or any report about a STOPPED task.
 */
export function applyHealth(
  current: ReportedParts,
  health: readonly ContainerHealthReport[],
  now: number,
): ReportedParts {
  if (current.state.lastStatus === 'STOPPED') return current;
  let state = current.state;
  for (const event of healthEvents(health)) {
    // The reducer copies the container even when its health stays the same: skip those.
    const before = state.containers.find((c) => c.name === event.container)?.healthStatus;
    if (before !== event.healthStatus) state = nextTaskState(state, event, now);
  }
  return JSON.stringify(state) === JSON.stringify(current.state)
    ? current
    : { state, containers: current.containers };
}

function withRuntimeIds(state: TaskState, report: TaskReport): TaskState {
  const ids = new Map(
    report.containers.filter((c) => c.runtimeId !== undefined).map((c) => [c.name, c.runtimeId!]),
  );
  if (ids.size === 0) return state;
  let changed = false;
  const containers = state.containers.map((c) => {
    const id = ids.get(c.name);
    if (id === undefined || c.runtimeId !== undefined) return c;
    changed = true;
    return { ...c, runtimeId: id };
  });
  return changed ? { ...state, containers } : state;
}

/** A network binding with only the members ECS's shape has, in a fixed order. */
function binding(b: NetworkBinding): NetworkBinding {
  return {
    ...(b.bindIP !== undefined ? { bindIP: b.bindIP } : {}),
    ...(b.containerPort !== undefined ? { containerPort: b.containerPort } : {}),
    ...(b.hostPort !== undefined ? { hostPort: b.hostPort } : {}),
    ...(b.protocol !== undefined ? { protocol: b.protocol } : {}),
    ...(b.containerPortRange !== undefined ? { containerPortRange: b.containerPortRange } : {}),
    ...(b.hostPortRange !== undefined ? { hostPortRange: b.hostPortRange } : {}),
  };
}
