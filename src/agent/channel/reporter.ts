import {
  SubmitContainerStateChangeCommand,
  SubmitTaskStateChangeCommand,
  type ECSClient,
  type SubmitContainerStateChangeCommandInput,
  type SubmitTaskStateChangeCommandInput,
} from '@aws-sdk/client-ecs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { ContainerView, StateChange, TaskView } from '../engine/task-runner.js';

/**
 * Sends the engine's reports to the control plane through ECS's public operations, one at a time
 * in the order the engine made them (a container's exit before its task's STOPPED, so the exit
 * code is not lost): a container change as SubmitContainerStateChange, a task change as
 * SubmitTaskStateChange (with the image digests its containers were started from, and the pull
 * times). A refusal (the task is gone, or the change is invalid) is dropped with a warning; any
 * other failure (the control plane is down or restarting, throttling) is retried with capped
 * backoff until it lands, so the control plane converges once it is back.
 */
const REPORTABLE = new Set(['PENDING', 'RUNNING', 'STOPPED']);
const RETRY_MS = { first: 200, max: 10_000 };
const REFUSALS = new Set(['InvalidParameterException', 'ClientException', 'AccessDeniedException']);

export function containerSubmission(view: ContainerView): SubmitContainerStateChangeCommandInput {
  return {
    cluster: view.cluster,
    task: view.taskArn,
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

/** A task change; undefined when it says nothing the control plane takes (STOPPING, …, no pull times). */
export function taskSubmission(
  view: TaskView,
  digests: ReadonlyMap<string, string>,
): SubmitTaskStateChangeCommandInput | undefined {
  const status = REPORTABLE.has(view.lastStatus) ? view.lastStatus : undefined;
  if (status === undefined && view.pullStartedAt === undefined) return undefined;
  return {
    cluster: view.cluster,
    task: view.taskArn,
    ...(status !== undefined ? { status } : {}),
    ...(status === 'STOPPED' && view.stoppedReason !== undefined ? { reason: view.stoppedReason } : {}),
    ...(view.pullStartedAt !== undefined ? { pullStartedAt: view.pullStartedAt } : {}),
    ...(view.pullStoppedAt !== undefined ? { pullStoppedAt: view.pullStoppedAt } : {}),
    ...(view.executionStoppedAt !== undefined ? { executionStoppedAt: view.executionStoppedAt } : {}),
    ...(digests.size > 0
      ? { containers: [...digests].map(([containerName, imageDigest]) => ({ containerName, imageDigest })) }
      : {}),
  };
}

export class Reporter {
  private chain: Promise<void> = Promise.resolve();
  /** Per task, container name → image digest, from the container views. */
  private readonly digests = new Map<string, Map<string, string>>();

  constructor(
    private readonly client: ECSClient,
    private readonly log: Logger,
    private readonly signal: AbortSignal,
  ) {}

  report(change: StateChange): void {
    let send: (() => Promise<unknown>) | undefined;
    if (change.kind === 'container') {
      if (change.imageDigest !== undefined) {
        const own = this.digests.get(change.taskArn) ?? new Map<string, string>();
        own.set(change.containerName, change.imageDigest);
        this.digests.set(change.taskArn, own);
      }
      const input = containerSubmission(change);
      send = () =>
        this.client.send(new SubmitContainerStateChangeCommand(input), { abortSignal: this.signal });
    } else {
      const input = taskSubmission(change, this.digests.get(change.taskArn) ?? new Map());
      if (input !== undefined) {
        send = () => this.client.send(new SubmitTaskStateChangeCommand(input), { abortSignal: this.signal });
      }
      if (change.lastStatus === 'STOPPED') this.digests.delete(change.taskArn);
    }
    if (send === undefined) return;
    const attempt = send;
    this.chain = this.chain.then(() => this.deliver(attempt, change));
  }

  /** Settles when everything reported so far was sent (or given up). */
  drained(): Promise<void> {
    return this.chain;
  }

  private async deliver(send: () => Promise<unknown>, change: StateChange): Promise<void> {
    for (let delay = RETRY_MS.first; ; delay = Math.min(delay * 2, RETRY_MS.max)) {
      if (this.signal.aborted) return;
      try {
        await send();
        return;
      } catch (err) {
        if (this.signal.aborted) return;
        // A refusal (the task is gone or already STOPPED) will not change on a retry.
        if (REFUSALS.has((err as { name?: string }).name ?? '')) {
          this.log.warn({ err, taskArn: change.taskArn, kind: change.kind }, 'state change refused');
          return;
        }
        if (delay >= RETRY_MS.max)
          this.log.warn({ err, taskArn: change.taskArn, retryInMs: delay }, 'state change not delivered yet');
        await sleep(delay * (0.5 + Math.random()), undefined, { signal: this.signal }).catch(() => undefined);
      }
    }
  }
}
