import { setTimeout as sleep } from 'node:timers/promises';
import type { LabelSelector } from '../runtime/labels.js';
import type { Runtime, RuntimeEvent } from '../runtime/runtime.js';
import { ECS_LABELS } from './task-spec.js';

/**
 * The agent's one subscription to the runtime's container events, shared by every task's actor:
 * opened once (by the engine), it routes each event to the actor of the task named by the event's
 * `com.amazonaws.ecs.task-arn` label, and drops the rest.
 *
 * Restart safety: every time the stream becomes live — at start, and again after it ended or
 * failed (a dockerd restart ends it; resubscribed with capped, jittered backoff) — every attached
 * actor is asked to `sync`: it inspects the containers it knows and posts what it found, so nothing
 * that happened while no one was listening is missed. An actor attached while the stream is live
 * syncs at once (its inspect comes after the stream went live). While an actor's sync is in flight
 * its events are held back and delivered right after it, so the actor always sees the inspected
 * state first and every later event after it, as it did with a stream of its own.
 */

/** What the router asks of one task's actor. */
export interface EventSink {
  /**
   * The stream is live (again): inspect what you know and post it before resolving. A rejection
   * (the runtime does not answer) is retried while the stream stays live.
   */
  sync(signal: AbortSignal): Promise<void>;
  event(event: RuntimeEvent): void;
}

export interface EventRouterOptions {
  readonly runtime: Runtime;
  /** The subscription's label filter; default: every container with ECS's task-arn label. */
  readonly labels?: LabelSelector;
}

const RESUBSCRIBE_MS = { first: 250, max: 10_000 };
const RESYNC_MS = { first: 100, max: 5_000 };

interface Attachment {
  readonly sink: EventSink;
  /** Events held back while a sync is in flight (or has not succeeded yet); undefined: deliver at once. */
  held: RuntimeEvent[] | undefined;
  syncing: boolean;
  /** The stream became live again during the sync: sync once more before releasing the events. */
  again: boolean;
  detached: boolean;
}

export class EventRouter {
  private readonly attached = new Map<string, Attachment>();
  private readonly controller = new AbortController();
  private live = false;
  private loop: Promise<void> | undefined;

  constructor(private readonly options: EventRouterOptions) {}

  /** Opens the subscription (once; later calls do nothing). */
  start(): void {
    this.loop ??= this.subscribe();
  }

  /** Whether the subscription is live now. */
  get isLive(): boolean {
    return this.live;
  }

  /** Routes `taskArn`'s events to `sink`; returns the detach function. */
  attach(taskArn: string, sink: EventSink): () => void {
    const entry: Attachment = { sink, held: [], syncing: false, again: false, detached: false };
    this.attached.set(taskArn, entry);
    if (this.live) void this.sync(entry);
    return () => {
      entry.detached = true;
      if (this.attached.get(taskArn) === entry) this.attached.delete(taskArn);
    };
  }

  async close(): Promise<void> {
    this.controller.abort();
    await this.loop;
  }

  private async subscribe(): Promise<void> {
    const signal = this.controller.signal;
    let delay = RESUBSCRIBE_MS.first;
    while (!signal.aborted) {
      try {
        const stream = await this.options.runtime.events({
          signal,
          labels: this.options.labels ?? { [ECS_LABELS.taskArn]: undefined },
        });
        this.live = true;
        delay = RESUBSCRIBE_MS.first;
        for (const entry of this.attached.values()) void this.sync(entry);
        for await (const event of stream) this.route(event);
      } catch {
        // The engine does not answer (yet), or the stream broke: subscribe again below.
      } finally {
        this.live = false;
      }
      if (signal.aborted) return;
      await sleep(delay * (0.5 + Math.random()), undefined, { signal }).catch(() => undefined);
      delay = Math.min(delay * 2, RESUBSCRIBE_MS.max);
    }
  }

  private route(event: RuntimeEvent): void {
    const taskArn = event.labels[ECS_LABELS.taskArn];
    const entry = taskArn === undefined ? undefined : this.attached.get(taskArn);
    if (entry === undefined) return;
    if (entry.held !== undefined) entry.held.push(event);
    else entry.sink.event(event);
  }

  /** One sync of one actor at a time; its events wait until a sync has succeeded. */
  private async sync(entry: Attachment): Promise<void> {
    entry.held ??= [];
    if (entry.syncing) {
      entry.again = true;
      return;
    }
    entry.syncing = true;
    const signal = this.controller.signal;
    let delay = RESYNC_MS.first;
    try {
      for (;;) {
        entry.again = false;
        if (signal.aborted || entry.detached) return;
        try {
          await entry.sink.sync(signal);
        } catch {
          // Retried while the stream is live; otherwise the next time it is.
          if (!this.live || signal.aborted || entry.detached) return;
          await sleep(delay * (0.5 + Math.random()), undefined, { signal }).catch(() => undefined);
          delay = Math.min(delay * 2, RESYNC_MS.max);
          if (!this.live) return;
          entry.again = true;
        }
        if (!entry.again) break;
      }
      const held = entry.held;
      entry.held = undefined;
      for (const event of held) entry.sink.event(event);
    } finally {
      entry.syncing = false;
    }
  }
}
