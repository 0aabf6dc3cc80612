import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { TaskSpec } from '../engine/task-spec.js';
import type { ChannelClient } from './client.js';
import { taskSpecFrom } from './task-spec-from.js';

/**
 * The agent's poll loop: long-polls `BerthAgentV1.Poll` with the versions it knows, turns every
 * task of the answer into a `TaskSpec` (those it names `unchanged` keep the spec held) and hands
 * the whole set to `desire` (level-triggered). A
 * task the agent was running that is gone from the answer (the control plane stopped it before
 * any container ran, or it was removed) is desired STOPPED, so nothing keeps running that the
 * control plane no longer assigns here. Errors back off exponentially with jitter; `signal` ends
 * the loop.
 */
export interface PollLoopOptions {
  readonly client: ChannelClient;
  readonly cluster: string;
  readonly containerInstanceArn: string;
  readonly desire: (specs: readonly TaskSpec[]) => void;
  readonly log: Logger;
  readonly signal: AbortSignal;
  /** Seconds a Poll may be held (default 20). */
  readonly waitSeconds?: number;
}

export const POLL_BACKOFF_MS = { first: 250, max: 15_000 };

export async function runPollLoop(options: PollLoopOptions): Promise<void> {
  const { client, log, signal } = options;
  let known = new Map<string, number>();
  let specs = new Map<string, TaskSpec>();
  let delay = POLL_BACKOFF_MS.first;
  while (!signal.aborted) {
    try {
      const answer = await client.poll(
        {
          cluster: options.cluster,
          containerInstanceArn: options.containerInstanceArn,
          knownVersions: Object.fromEntries(known),
          waitSeconds: options.waitSeconds ?? 20,
        },
        signal,
      );
      delay = POLL_BACKOFF_MS.first;
      const next = new Map<string, TaskSpec>();
      const nextKnown = new Map<string, number>();
      // Tasks the answer names as unchanged keep the spec (and version) this agent holds.
      for (const arn of answer.unchanged) {
        const version = known.get(arn);
        if (version !== undefined) nextKnown.set(arn, version);
        const spec = specs.get(arn);
        if (spec !== undefined) next.set(arn, spec);
      }
      for (const task of answer.tasks) {
        nextKnown.set(task.taskArn, task.version);
        try {
          next.set(task.taskArn, taskSpecFrom(task));
        } catch (err) {
          log.warn({ err, taskArn: task.taskArn }, 'cannot run this task');
        }
      }
      const gone: TaskSpec[] = [...specs.values()]
        .filter((s) => !next.has(s.taskArn) && s.desiredStatus !== 'STOPPED')
        .map((s) => ({ ...s, desiredStatus: 'STOPPED', version: s.version + 1 }));
      options.desire([...next.values(), ...gone]);
      specs = next;
      known = nextKnown;
      // The actors' first runtime calls go out in the microtasks `desire` queued; the next Poll
      // (signing, fetch, and in `berth up` the server's handling of it) waits one turn of the event
      // loop so as not to delay them (measured: ~5 ms off a task start on a busy host).
      if (answer.tasks.length > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    } catch (err) {
      if (signal.aborted) return;
      log.warn({ err, retryInMs: delay }, 'poll failed; retrying');
      await sleep(delay * (0.5 + Math.random()), undefined, { signal }).catch(() => undefined);
      delay = Math.min(delay * 2, POLL_BACKOFF_MS.max);
    }
  }
}
