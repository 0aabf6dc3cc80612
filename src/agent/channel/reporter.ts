import {
  SubmitContainerStateChangeCommand,
  SubmitTaskStateChangeCommand,
  type ECSClient,
  type SubmitContainerStateChangeCommandInput,
  type SubmitTaskStateChangeCommandInput,
  type ContainerStateChange,
} from '@aws-sdk/client-ecs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { ContainerView, StateChange, TaskView } from '../engine/task-runner.js';
import { ChannelError, type HealthStatus, type SubmitHealthRequest } from './client.js';

/**
 * Sends the engine's reports to the control plane, one at a time in the order the engine made them
 * (a container's exit before its task's STOPPED, so the exit code is not lost):
 * - a container change as SubmitContainerStateChange (an identical one again is not sent);
 * - a task change as SubmitTaskStateChange when the task is RUNNING or STOPPED, with the image
 *   digests its containers were started from and the pull times. The pull times alone are not worth
 *   a call (the task is PENDING before and after its pulls): like the ECS agent, they ride on the
 *   task's RUNNING or STOPPED report — or, when a container stops first (a task that fails to start
 *   stops on that container's report, and the control plane then ignores the task's STOPPED), on
 *   that container's report, sent as a SubmitTaskStateChange without a task status;
 * - a container's health check result, when it changes, as BerthAgentV1.SubmitHealth (ECS's
 *   operations have no health member); consecutive health changes of one task go in one call.
 * A refusal (the task is gone, or the change is invalid) is dropped with a warning; any other
 * failure (the control plane is down or restarting, throttling) is retried with capped backoff
 * until it lands, so the control plane converges once it is back.
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

/** What SubmitHealth needs of the channel (ChannelClient). */
export interface HealthChannel {
  submitHealth(request: SubmitHealthRequest, signal?: AbortSignal): Promise<void>;
}

export interface PullTimes {
  readonly pullStartedAt?: Date;
  readonly pullStoppedAt?: Date;
}

export function containerSubmission(view: ContainerView): SubmitContainerStateChangeCommandInput {
  return { cluster: view.cluster, task: view.taskArn, ...containerChange(view) };
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

/** A SubmitHealth call not begun yet: later health changes of the same task join it. */
interface HealthBatch {
  readonly kind: 'health';
  readonly cluster: string;
  readonly taskArn: string;
  readonly containers: Map<string, HealthStatus>;
  started: boolean;
}

/**
 * State changes of one task not sent yet: later container reports of the same task join it (a
 * newer report of a container in the same status replaces its older one; a new status starts the
 * next batch), and so does the task's own report. Sent as one call — a lone container
 * change as SubmitContainerStateChange, anything more as one SubmitTaskStateChange carrying the
 * containers, as the ECS agent batches them. The control plane applies a report's container
 * changes before its task status, so the order within the batch is kept.
 */
interface StateBatch {
  readonly kind: 'state';
  readonly cluster: string;
  readonly taskArn: string;
  readonly containers: Map<string, ContainerStateChange & { containerName: string }>;
  /** Pull times a container's STOPPED report carries (its task may stop on it). */
  pull?: PullTimes;
  task?: SubmitTaskStateChangeCommandInput;
  started: boolean;
}

export class Reporter {
  private chain: Promise<void> = Promise.resolve();
  private readonly tasks = new Map<string, TaskSent>();
  /** The last thing queued, while it has not begun: later reports of the same task may join it. */
  private tail: HealthBatch | StateBatch | undefined;
  private channel: { readonly client: HealthChannel; readonly containerInstanceArn: string } | undefined;
  private readonly attached: Promise<void>;
  private markAttached: () => void = () => undefined;

  constructor(
    private readonly client: ECSClient,
    private readonly log: Logger,
    private readonly signal: AbortSignal,
  ) {
    this.attached = new Promise<void>((resolve) => {
      this.markAttached = resolve;
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
  }

  /** The channel health goes through, once registered; health reports wait for it in the queue. */
  attach(client: HealthChannel, containerInstanceArn: string): void {
    this.channel = { client, containerInstanceArn };
    this.markAttached();
  }

  report(change: StateChange): void {
    const sent = this.sentFor(change.taskArn);
    if (change.kind === 'container') this.reportContainer(change, sent);
    else this.reportTask(change, sent);
  }

  /** Settles when everything reported so far was sent (or given up). */
  drained(): Promise<void> {
    return this.chain;
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
    const input = containerSubmission(view);
    // A container's runtime id alone (created, not started yet) is not worth a call: it rides on
    // the container's next report.
    const text = JSON.stringify(view.lastStatus === 'PENDING' ? { ...input, runtimeId: undefined } : input);
    if (sent.containers.get(view.containerName) !== text) {
      sent.containers.set(view.containerName, text);
      const pull = JSON.stringify(pullTimes(sent.pull));
      const withPull =
        view.lastStatus === 'STOPPED' && sent.pull.pullStartedAt !== undefined && sent.pullSent !== pull;
      if (withPull) sent.pullSent = pull;
      const batch = this.stateBatch(view.cluster, view.taskArn, view);
      batch.containers.set(view.containerName, containerChange(view));
      if (withPull) batch.pull = sent.pull;
    }
    if (view.healthStatus !== (sent.health.get(view.containerName) ?? 'UNKNOWN')) {
      sent.health.set(view.containerName, view.healthStatus);
      this.enqueueHealth(view.cluster, view.taskArn, view.containerName, view.healthStatus);
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

  /** The batch a state change of this task joins: the tail if it is this task's and not begun. */
  private stateBatch(cluster: string, taskArn: string, container?: ContainerView): StateBatch {
    const tail = this.tail;
    // A batch keeps one report per container: a container whose status moved on (RUNNING, then
    // STOPPED) starts the next batch, so the control plane sees that it ran before it exited.
    const moved =
      container !== undefined &&
      tail?.kind === 'state' &&
      (tail.containers.get(container.containerName)?.status ?? container.lastStatus) !== container.lastStatus;
    if (tail?.kind === 'state' && !tail.started && tail.taskArn === taskArn && !moved) return tail;
    const batch: StateBatch = { kind: 'state', cluster, taskArn, containers: new Map(), started: false };
    this.tail = batch;
    // One turn of the event loop before the batch goes: the engine's next step (a container's
    // start is seen, then its task turns RUNNING) usually lands in the same call.
    this.chain = this.chain.then(async () => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      batch.started = true;
      const send = stateCall(batch);
      return this.deliver(() => this.client.send(send, { abortSignal: this.signal }), taskArn, 'state');
    });
    return batch;
  }

  private enqueueHealth(cluster: string, taskArn: string, container: string, health: HealthStatus): void {
    const tail = this.tail;
    if (tail?.kind === 'health' && !tail.started && tail.taskArn === taskArn) {
      tail.containers.set(container, health);
      return;
    }
    const batch: HealthBatch = {
      kind: 'health',
      cluster,
      taskArn,
      containers: new Map([[container, health]]),
      started: false,
    };
    this.tail = batch;
    this.chain = this.chain.then(async () => {
      batch.started = true;
      await this.attached;
      const channel = this.channel;
      if (channel === undefined) return; // stopped before the agent registered
      const request: SubmitHealthRequest = {
        cluster: batch.cluster,
        containerInstanceArn: channel.containerInstanceArn,
        tasks: [
          {
            taskArn: batch.taskArn,
            containers: [...batch.containers].map(([containerName, healthStatus]) => ({
              containerName,
              healthStatus,
            })),
          },
        ],
      };
      await this.deliver(() => channel.client.submitHealth(request, this.signal), taskArn, 'health');
    });
  }

  private async deliver(send: () => Promise<unknown>, taskArn: string, kind: string): Promise<void> {
    for (let delay = RETRY_MS.first; ; delay = Math.min(delay * 2, RETRY_MS.max)) {
      if (this.signal.aborted) return;
      try {
        await send();
        return;
      } catch (err) {
        if (this.signal.aborted) return;
        // A refusal (the task is gone or already STOPPED) will not change on a retry.
        if (REFUSALS.has(errorCode(err))) {
          this.log.warn({ err, taskArn, kind }, 'state change refused');
          return;
        }
        if (delay >= RETRY_MS.max)
          this.log.warn({ err, taskArn, kind, retryInMs: delay }, 'state change not delivered yet');
        await sleep(delay * (0.5 + Math.random()), undefined, { signal: this.signal }).catch(() => undefined);
      }
    }
  }
}

/** One call for a batch (see StateBatch). */
function stateCall(batch: StateBatch): SubmitContainerStateChangeCommand | SubmitTaskStateChangeCommand {
  const [only, ...more] = [...batch.containers.values()];
  if (only !== undefined && more.length === 0 && batch.task === undefined && batch.pull === undefined) {
    return new SubmitContainerStateChangeCommand({ cluster: batch.cluster, task: batch.taskArn, ...only });
  }
  // The task report's containers carry image digests; a batched container change adds its state.
  const containers = new Map<string, ContainerStateChange>(
    (batch.task?.containers ?? []).map((c) => [c.containerName ?? '', c]),
  );
  for (const change of batch.containers.values()) {
    containers.set(change.containerName, { ...containers.get(change.containerName), ...change });
  }
  return new SubmitTaskStateChangeCommand({
    ...(batch.pull !== undefined ? pullTimes(batch.pull) : {}),
    ...batch.task,
    cluster: batch.cluster,
    task: batch.taskArn,
    ...(containers.size > 0 ? { containers: [...containers.values()] } : {}),
  });
}

/** The service's error code: the SDK's exception name, or the channel's code. */
function errorCode(err: unknown): string {
  if (err instanceof ChannelError) return err.code;
  return (err as { name?: string }).name ?? '';
}
