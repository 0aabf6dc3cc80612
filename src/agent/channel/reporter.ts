import type { ContainerStateChange, SubmitTaskStateChangeCommandInput } from '@aws-sdk/client-ecs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { ContainerView, StateChange, TaskView } from '../engine/task-runner.js';
import {
  ChannelError,
  type HealthStatus,
  type StateChangeEntry,
  type SubmitHealthRequest,
  type SubmitStateChangesRequest,
  type SubmitStateChangesResponse,
} from './client.js';

/**
 * Sends the engine's reports to the control plane over the agent channel, in the order the engine
 * made them (a container's exit before its task's STOPPED, so the exit code is not lost), one call
 * at a time; what queues while a call is out goes in the next call:
 * - state changes as `BerthAgentV1.SubmitStateChanges`, every task's pending changes in one call
 *   (each entry as ECS's SubmitTaskStateChange reads): a container change when it is news (an
 *   identical one again is not sent), a task change when the task is RUNNING or STOPPED, with the
 *   image digests its containers were started from and the pull times. The pull times alone are
 *   not worth a report (the task is PENDING before and after its pulls): like the ECS agent, they
 *   ride on the task's RUNNING or STOPPED report — or, when a container stops first (a task that
 *   fails to start stops on that container's report, and the control plane then ignores the task's
 *   STOPPED), on that container's report;
 * - a container's health check result, when it changes, as BerthAgentV1.SubmitHealth (ECS's
 *   operations have no health member); consecutive health changes go in one call.
 * Nothing is sent before the channel is attached (the agent registered). A refusal (the task is
 * gone, or the change is invalid) is dropped with a warning; any other failure (the control plane
 * is down or restarting, throttling) is retried with capped backoff until it lands, so the control
 * plane converges once it is back.
 */
const SENT_STATUSES = new Set(['RUNNING', 'STOPPED']);
const RETRY_MS = { first: 200, max: 10_000 };
const REFUSALS = new Set([
  'InvalidParameterException',
  'ClientException',
  'ClusterNotFoundException',
  'AccessDeniedException',
  'SerializationException',
]);

/** What the reporter needs of the channel (ChannelClient). */
export interface ReportChannel {
  submitStateChanges(
    request: SubmitStateChangesRequest,
    signal?: AbortSignal,
  ): Promise<SubmitStateChangesResponse>;
  submitHealth(request: SubmitHealthRequest, signal?: AbortSignal): Promise<void>;
}

export interface PullTimes {
  readonly pullStartedAt?: Date;
  readonly pullStoppedAt?: Date;
}

/** A container's state as SubmitTaskStateChange's `containers` entries carry it. */
function containerChange(view: ContainerView): ContainerStateChange & { containerName: string } {
  return {
    containerName: view.containerName,
    status: view.lastStatus,
    ...(view.runtimeId !== undefined ? { runtimeId: view.runtimeId } : {}),
    ...(view.exitCode !== undefined ? { exitCode: view.exitCode } : {}),
    ...(view.reason !== undefined ? { reason: view.reason.slice(0, 255) } : {}),
    networkBindings: view.networkBindings.map((b) => ({
      bindIP: b.hostIp,
      containerPort: b.containerPort,
      hostPort: b.hostPort,
      protocol: b.protocol,
    })),
  };
}

/** A task change; undefined unless the task is RUNNING or STOPPED (the pull times wait for that). */
export function taskSubmission(
  view: TaskView,
  digests: ReadonlyMap<string, string>,
): SubmitTaskStateChangeCommandInput | undefined {
  if (!SENT_STATUSES.has(view.lastStatus)) return undefined;
  const status = view.lastStatus;
  return {
    cluster: view.cluster,
    task: view.taskArn,
    status,
    ...(status === 'STOPPED' && view.stoppedReason !== undefined ? { reason: view.stoppedReason } : {}),
    ...pullTimes(view),
    ...(view.executionStoppedAt !== undefined ? { executionStoppedAt: view.executionStoppedAt } : {}),
    ...(digests.size > 0
      ? { containers: [...digests].map(([containerName, imageDigest]) => ({ containerName, imageDigest })) }
      : {}),
  };
}

function pullTimes(pull: PullTimes): PullTimes {
  return {
    ...(pull.pullStartedAt !== undefined ? { pullStartedAt: pull.pullStartedAt } : {}),
    ...(pull.pullStoppedAt !== undefined ? { pullStoppedAt: pull.pullStoppedAt } : {}),
  };
}

/** What was sent (queued) for one task, to send only what is news. */
interface TaskSent {
  /** Container name → image digest, from the container views. */
  readonly digests: Map<string, string>;
  /** Container name → the last container report queued (JSON). */
  readonly containers: Map<string, string>;
  /** Container name → the last health queued (absent: UNKNOWN). */
  readonly health: Map<string, HealthStatus>;
  /** The last task report queued (JSON). */
  task?: string;
  /** The pull times the engine has (from its task views), and those a queued report carries (JSON). */
  pull: PullTimes;
  pullSent?: string;
}

/** Health changes not sent yet, of one task: later ones of the same task join it. */
interface HealthBatch {
  readonly kind: 'health';
  readonly cluster: string;
  readonly taskArn: string;
  readonly containers: Map<string, HealthStatus>;
}

/**
 * State changes of one task not sent yet: later container reports of the same task join it (a
 * newer report of a container in the same status replaces its older one; a new status starts the
 * next batch), and so does the task's own report. One entry of a SubmitStateChanges call, as the
 * ECS agent batches a task's changes into one SubmitTaskStateChange. The control plane applies an
 * entry's container changes before its task status, so the order within the batch is kept.
 */
interface StateBatch {
  readonly kind: 'state';
  readonly cluster: string;
  readonly taskArn: string;
  readonly containers: Map<string, ContainerStateChange & { containerName: string }>;
  /** Pull times a container's STOPPED report carries (its task may stop on it). */
  pull?: PullTimes;
  task?: SubmitTaskStateChangeCommandInput;
}

type Batch = StateBatch | HealthBatch;

/** Entries per call: the control plane's limit for both operations. */
const MAX_PER_CALL = 100;

export class Reporter {
  private readonly tasks = new Map<string, TaskSent>();
  /** Batches not sent yet, in the order they were made. */
  private readonly queue: Batch[] = [];
  /** Per task, its last batch in the queue: a later change of the task may join it. */
  private readonly lastQueued = new Map<string, Batch>();
  /** The sending loop, while it runs. */
  private sending: Promise<void> | undefined;
  private channel: { readonly client: ReportChannel; readonly containerInstanceArn: string } | undefined;
  private readonly attached: Promise<void>;
  private markAttached: () => void = () => undefined;

  constructor(
    private readonly log: Logger,
    private readonly signal: AbortSignal,
  ) {
    this.attached = new Promise<void>((resolve) => {
      this.markAttached = resolve;
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
  }

  /** The channel reports go through, once registered; reports wait for it in the queue. */
  attach(client: ReportChannel, containerInstanceArn: string): void {
    this.channel = { client, containerInstanceArn };
    this.markAttached();
  }

  report(change: StateChange): void {
    const sent = this.sentFor(change.taskArn);
    if (change.kind === 'container') this.reportContainer(change, sent);
    else this.reportTask(change, sent);
  }

  /** Settles when everything reported so far was sent (or given up). */
  async drained(): Promise<void> {
    while (this.sending) await this.sending;
  }

  private sentFor(taskArn: string): TaskSent {
    let sent = this.tasks.get(taskArn);
    if (!sent) {
      sent = { digests: new Map(), containers: new Map(), health: new Map(), pull: {} };
      this.tasks.set(taskArn, sent);
    }
    return sent;
  }

  private reportContainer(view: ContainerView, sent: TaskSent): void {
    if (view.imageDigest !== undefined) sent.digests.set(view.containerName, view.imageDigest);
    const change = containerChange(view);
    // A container's runtime id alone (created, not started yet) is not worth a call: it rides on
    // the container's next report.
    const text = JSON.stringify(view.lastStatus === 'PENDING' ? { ...change, runtimeId: undefined } : change);
    if (sent.containers.get(view.containerName) !== text) {
      sent.containers.set(view.containerName, text);
      const pull = JSON.stringify(pullTimes(sent.pull));
      const withPull =
        view.lastStatus === 'STOPPED' && sent.pull.pullStartedAt !== undefined && sent.pullSent !== pull;
      if (withPull) sent.pullSent = pull;
      const batch = this.stateBatch(view.cluster, view.taskArn, view);
      batch.containers.set(view.containerName, change);
      if (withPull) batch.pull = sent.pull;
    }
    if (view.healthStatus !== (sent.health.get(view.containerName) ?? 'UNKNOWN')) {
      sent.health.set(view.containerName, view.healthStatus);
      this.healthBatch(view.cluster, view.taskArn).containers.set(view.containerName, view.healthStatus);
    }
  }

  private reportTask(view: TaskView, sent: TaskSent): void {
    sent.pull = pullTimes(view);
    const input = taskSubmission(view, sent.digests);
    if (view.lastStatus === 'STOPPED') this.tasks.delete(view.taskArn);
    if (input === undefined) return;
    const text = JSON.stringify(input);
    if (sent.task === text) return;
    sent.task = text;
    sent.pullSent = JSON.stringify(sent.pull);
    this.stateBatch(view.cluster, view.taskArn).task = input;
  }

  /** The batch a state change of this task joins: the task's last queued one, if it is a state batch. */
  private stateBatch(cluster: string, taskArn: string, container?: ContainerView): StateBatch {
    const last = this.lastQueued.get(taskArn);
    // A batch keeps one report per container: a container whose status moved on (RUNNING, then
    // STOPPED) starts the next batch, so the control plane sees that it ran before it exited.
    const moved =
      container !== undefined &&
      last?.kind === 'state' &&
      (last.containers.get(container.containerName)?.status ?? container.lastStatus) !== container.lastStatus;
    if (last?.kind === 'state' && !moved) return last;
    return this.enqueue({ kind: 'state', cluster, taskArn, containers: new Map() });
  }

  /** The batch a health change of this task joins: the task's last queued one, if it is a health batch. */
  private healthBatch(cluster: string, taskArn: string): HealthBatch {
    const last = this.lastQueued.get(taskArn);
    if (last?.kind === 'health') return last;
    return this.enqueue({ kind: 'health', cluster, taskArn, containers: new Map() });
  }

  private enqueue<B extends Batch>(batch: B): B {
    this.queue.push(batch);
    this.lastQueued.set(batch.taskArn, batch);
    this.sending ??= this.send().finally(() => (this.sending = undefined));
    return batch;
  }

  /**
   * Sends the queue, oldest first, until it is empty: each call takes the longest run of batches
   * of one kind at the head (up to MAX_PER_CALL), so changes of many tasks go in one call.
   */
  private async send(): Promise<void> {
    // One turn of the event loop before the first call: the engine's next step (a container's
    // start is seen, then its task turns RUNNING) usually lands in the same call.
    await new Promise<void>((resolve) => setImmediate(resolve));
    await this.attached;
    while (this.queue.length > 0) {
      const channel = this.channel;
      if (channel === undefined || this.signal.aborted) {
        this.queue.length = 0; // stopped before the agent registered, or stopping
        this.lastQueued.clear();
        return;
      }
      const { kind, cluster } = this.queue[0] as Batch;
      let count = 0;
      const joins = (b: Batch | undefined) => b !== undefined && b.kind === kind && b.cluster === cluster;
      while (count < MAX_PER_CALL && joins(this.queue[count])) count++;
      const batches = this.queue.splice(0, count);
      for (const batch of batches) {
        if (this.lastQueued.get(batch.taskArn) === batch) this.lastQueued.delete(batch.taskArn);
      }
      const base = { cluster, containerInstanceArn: channel.containerInstanceArn };
      if (kind === 'state') {
        const request = { ...base, changes: (batches as StateBatch[]).map(stateEntry) };
        await this.deliver(async () => {
          const { refused } = await channel.client.submitStateChanges(request, this.signal);
          for (const r of refused)
            this.log.warn({ taskArn: r.task, code: r.code, message: r.message }, 'state change refused');
        }, 'state');
      } else {
        const request: SubmitHealthRequest = {
          ...base,
          tasks: (batches as HealthBatch[]).map((b) => ({
            taskArn: b.taskArn,
            containers: [...b.containers].map(([containerName, healthStatus]) => ({
              containerName,
              healthStatus,
            })),
          })),
        };
        await this.deliver(() => channel.client.submitHealth(request, this.signal), 'health');
      }
    }
  }

  private async deliver(send: () => Promise<unknown>, kind: string): Promise<void> {
    for (let delay = RETRY_MS.first; ; delay = Math.min(delay * 2, RETRY_MS.max)) {
      if (this.signal.aborted) return;
      try {
        await send();
        return;
      } catch (err) {
        if (this.signal.aborted) return;
        // A refusal of the whole call (the instance is gone) will not change on a retry.
        if (REFUSALS.has(errorCode(err))) {
          this.log.warn({ err, kind }, 'state change refused');
          return;
        }
        if (delay >= RETRY_MS.max)
          this.log.warn({ err, kind, retryInMs: delay }, 'state change not delivered yet');
        await sleep(delay * (0.5 + Math.random()), undefined, { signal: this.signal }).catch(() => undefined);
      }
    }
  }
}

/** One SubmitStateChanges entry for a batch (see StateBatch). */
function stateEntry(batch: StateBatch): StateChangeEntry {
  // The task report's containers carry image digests; a batched container change adds its state.
  const containers = new Map<string, ContainerStateChange>(
    (batch.task?.containers ?? []).map((c) => [c.containerName ?? '', c]),
  );
  for (const change of batch.containers.values()) {
    containers.set(change.containerName, { ...containers.get(change.containerName), ...change });
  }
  const report = batch.task;
  const pull: PullTimes = {
    ...batch.pull,
    ...(report?.pullStartedAt !== undefined ? { pullStartedAt: report.pullStartedAt } : {}),
    ...(report?.pullStoppedAt !== undefined ? { pullStoppedAt: report.pullStoppedAt } : {}),
  };
  return {
    task: batch.taskArn,
    ...(report?.status !== undefined ? { status: report.status } : {}),
    ...(report?.reason !== undefined ? { reason: report.reason } : {}),
    ...epochSeconds('pullStartedAt', pull.pullStartedAt),
    ...epochSeconds('pullStoppedAt', pull.pullStoppedAt),
    ...epochSeconds('executionStoppedAt', report?.executionStoppedAt),
    ...(containers.size > 0 ? { containers: [...containers.values()] } : {}),
  };
}

/** A timestamp as awsJson carries it: epoch seconds. */
function epochSeconds<K extends string>(key: K, at: Date | undefined): { [P in K]?: number } {
  return (at === undefined ? {} : { [key]: at.getTime() / 1000 }) as { [P in K]?: number };
}

/** The service's error code: the channel's code, or an error's name. */
function errorCode(err: unknown): string {
  if (err instanceof ChannelError) return err.code;
  return (err as { name?: string }).name ?? '';
}
