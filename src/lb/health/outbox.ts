import type { Logger } from 'pino';
import type { HealthSink, TargetHealthReport } from '../../core/elbv2/data-plane.js';

/**
 * The health reports not yet accepted by the sink, one per target: a newer verdict replaces an
 * unsent older one, so the control plane only ever hears the latest. Changes made in one tick go
 * in one call. A failed call is logged and its reports wait, re-sent with the next change (or the
 * next `flush`), unless a newer verdict or the target's removal superseded them meanwhile.
 */
export class HealthOutbox {
  readonly #sink: HealthSink;
  readonly #log: Pick<Logger, 'warn'> | undefined;
  readonly #pending = new Map<string, TargetHealthReport>();
  /** The batch the sink is working on; `forget` takes a target out so a failure cannot revive it. */
  #inFlight: Map<string, TargetHealthReport> | undefined;
  #sending: Promise<void> | undefined;
  #scheduled = false;

  constructor(sink: HealthSink, log?: Pick<Logger, 'warn'>) {
    this.#sink = sink;
    this.#log = log;
  }

  /** Queues a report and sends it (with whatever else changed this tick) on the next tick. */
  put(key: string, report: TargetHealthReport): void {
    this.#pending.set(key, report);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.flush();
    });
  }

  /** A target that is gone or no longer checked: its unsent report would only be dropped. */
  forget(key: string): void {
    this.#pending.delete(key);
    this.#inFlight?.delete(key);
  }

  /** Sends what is pending unless a send is in flight (that one sends the rest when it ends). */
  flush(): void {
    if (this.#sending !== undefined || this.#pending.size === 0) return;
    const batch = new Map(this.#pending);
    this.#pending.clear();
    this.#inFlight = batch;
    this.#sending = this.#send(batch).then((sent) => {
      this.#inFlight = undefined;
      this.#sending = undefined;
      // Changes that arrived while the call was in flight; after a failure they wait for the next one.
      if (sent) this.flush();
    });
  }

  /** Waits for the send in flight, if any. */
  async idle(): Promise<void> {
    await this.#sending;
  }

  async #send(batch: Map<string, TargetHealthReport>): Promise<boolean> {
    try {
      await this.#sink([...batch.values()]);
      return true;
    } catch (err) {
      this.#log?.warn(
        { err, reports: batch.size },
        'health reports not accepted; re-sent with the next change',
      );
      for (const [key, report] of batch) if (!this.#pending.has(key)) this.#pending.set(key, report);
      return false;
    }
  }
}
