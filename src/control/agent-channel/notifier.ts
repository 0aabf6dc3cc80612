import type { ChangeFeed } from '../../store/change-feed.js';

/**
 * The notifier the agent channel's long poll waits on, keyed by container instance ARN. Task
 * commits (RunTask/StartTask), StopTask and the agent's state-change reports signal the instance
 * the task is on; a waiting Poll wakes and re-reads. With a `feed` (replicas sharing a PostgreSQL
 * store) a signal also reaches the other replicas, and theirs wake the Polls held here; without
 * one, another process's change reaches a held Poll when its wait runs out.
 */
export interface Subscription {
  /** Settles (never rejects) on the first signal for the instance, after `ms`, or on close(). */
  readonly changed: Promise<void>;
  cancel(): void;
}

export class InstanceNotifier {
  private readonly waiters = new Map<string, Set<() => void>>();
  private closed = false;

  constructor(private readonly feed?: ChangeFeed) {
    feed?.onChange((key) => {
      if (key === '*') for (const arn of [...this.waiters.keys()]) this.wake(arn);
      else this.wake(key);
    });
  }

  /** After close(): waits end at once, so a Poll answers instead of waiting. */
  get isClosed(): boolean {
    return this.closed;
  }

  signal(instanceArn: string): void {
    this.wake(instanceArn);
    void this.feed?.publish(instanceArn);
  }

  private wake(instanceArn: string): void {
    const set = this.waiters.get(instanceArn);
    if (!set) return;
    this.waiters.delete(instanceArn);
    for (const wake of set) wake();
  }

  /** Subscribe before reading the state the wait depends on, so no change between is missed. */
  subscribe(instanceArn: string, ms: number): Subscription {
    let resolve: () => void = () => undefined;
    const changed = new Promise<void>((r) => (resolve = r));
    if (this.closed) {
      resolve();
      return { changed, cancel: () => undefined };
    }
    const wake = (): void => {
      clearTimeout(timer);
      const set = this.waiters.get(instanceArn);
      set?.delete(wake);
      if (set?.size === 0) this.waiters.delete(instanceArn);
      resolve();
    };
    const timer = setTimeout(wake, ms);
    let set = this.waiters.get(instanceArn);
    if (!set) this.waiters.set(instanceArn, (set = new Set()));
    set.add(wake);
    return { changed, cancel: wake };
  }

  /** Wakes every waiter, and every later wait returns at once (the server is shutting down). */
  close(): void {
    this.closed = true;
    for (const arn of [...this.waiters.keys()]) this.wake(arn);
  }

  /** Instances with a Poll waiting (for tests and diagnostics). */
  get waiting(): number {
    let n = 0;
    for (const set of this.waiters.values()) n += set.size;
    return n;
  }
}
