import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { HealthSink, ModelTargetGroup, TargetHealthReport } from '../../core/elbv2/data-plane.js';
import {
  initialCheckState,
  nextCheckState,
  UNAVAILABLE_REPORT,
  type CheckState,
  type ProbeOutcome,
} from '../../core/elbv2/health-verdict.js';
import type { HealthCheck, HealthReport } from '../../core/elbv2/types.js';
import type { HealthView, TargetVerdict } from '../types.js';
import { HealthOutbox } from './outbox.js';
import { probe, type ProbeTarget } from './probe.js';

/**
 * The data plane's active health checker. The driver hands it the target groups on every model
 * change (`update`); it probes each (group, id, port) target of the groups a listener uses — not
 * draining targets, and not targets without an address, which it reports `unavailable` instead —
 * once per the group's interval, applies each outcome to ELB's state machine
 * (core/elbv2/health-verdict.ts), and sends the sink a report only when a verdict flips
 * (outbox.ts). The pools read `verdict` to route only to healthy targets.
 *
 * It owns one timer and at most one probe in flight per target; a target that leaves the model has
 * both cancelled and its unsent report dropped (the control plane's state wins once it is gone).
 */

export interface HealthCheckerOptions {
  readonly sink: HealthSink;
  readonly log?: Pick<Logger, 'info' | 'warn'>;
  readonly now?: () => number;
  /**
   * Multiplies every interval and timeout (default 1). ELB's shortest interval is 5 s, so tests
   * pass e.g. 0.02 to check every 100 ms.
   */
  readonly intervalScale?: number;
}

/** The first probe of a new target waits a random part of this (bounded by its interval), so a
 * model change that adds many targets does not probe them all in the same instant. */
const FIRST_PROBE_JITTER_MS = 1000;
/** How long `close` waits for the last reports to reach the sink. */
const CLOSE_WAIT_MS = 2000;

interface Checked {
  readonly key: string;
  readonly groupArn: string;
  readonly id: string;
  readonly port: number;
  /** Replaced by `update` when the group's health check or the target's address change. */
  check: HealthCheck;
  target: ProbeTarget;
  state: CheckState;
  timer?: NodeJS.Timeout | undefined;
  abort?: AbortController | undefined;
  inFlight?: Promise<void> | undefined;
}

const keyOf = (groupArn: string, id: string, port: number): string => `${groupArn}|${id}|${port}`;

function healthCheckPort(check: HealthCheck, trafficPort: number): number {
  return check.port === 'traffic-port' ? trafficPort : Number(check.port);
}

export class HealthChecker implements HealthView {
  readonly #log: Pick<Logger, 'info' | 'warn'> | undefined;
  readonly #now: () => number;
  readonly #scale: number;
  readonly #outbox: HealthOutbox;
  readonly #checked = new Map<string, Checked>();
  /** Targets of used groups that have no address: not probed, reported `unavailable`. */
  readonly #unavailable = new Set<string>();
  #closed = false;

  constructor(options: HealthCheckerOptions) {
    this.#log = options.log;
    this.#now = options.now ?? Date.now;
    this.#scale = options.intervalScale ?? 1;
    this.#outbox = new HealthOutbox(options.sink, options.log);
  }

  /** Converges the probes on the model: starts new targets, keeps the state of those that stay. */
  update(groups: readonly ModelTargetGroup[], usedGroupArns: ReadonlySet<string>): void {
    if (this.#closed) return;
    const present = new Set<string>();
    for (const group of groups) {
      if (!usedGroupArns.has(group.arn)) continue;
      for (const t of group.targets) {
        if (t.drainUntil !== undefined) continue;
        const key = keyOf(group.arn, t.id, t.port);
        present.add(key);
        if (t.address === undefined) {
          this.#stop(key);
          if (!this.#unavailable.has(key)) {
            this.#unavailable.add(key);
            if (t.health?.state !== 'unavailable')
              this.#report(key, group.arn, t.id, t.port, UNAVAILABLE_REPORT);
          }
          continue;
        }
        // Its address is back: an unsent `unavailable` report is stale.
        if (this.#unavailable.delete(key)) this.#outbox.forget(key);
        const target = { address: t.address, port: healthCheckPort(group.healthCheck, t.port) };
        const known = this.#checked.get(key);
        if (known !== undefined) {
          known.check = group.healthCheck;
          known.target = target;
          continue;
        }
        const entry: Checked = {
          key,
          groupArn: group.arn,
          id: t.id,
          port: t.port,
          check: group.healthCheck,
          target,
          state: initialCheckState(t.health),
        };
        this.#checked.set(key, entry);
        this.#schedule(entry, Math.random() * Math.min(FIRST_PROBE_JITTER_MS, this.#intervalMs(entry) / 4));
      }
    }
    for (const key of this.#checked.keys()) if (!present.has(key)) this.#stop(key);
    for (const key of this.#unavailable) {
      if (present.has(key)) continue;
      this.#unavailable.delete(key);
      this.#outbox.forget(key);
    }
    // The driver re-applies the model periodically: a report the sink refused gets another try.
    this.#outbox.flush();
  }

  verdict(groupArn: string, id: string, port: number): TargetVerdict {
    const key = keyOf(groupArn, id, port);
    if (this.#unavailable.has(key)) return 'unavailable';
    return this.#checked.get(key)?.state.verdict ?? 'initial';
  }

  /** Stops every probe (cancelling those in flight) and gives the last reports a moment to land. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const inFlight: Promise<void>[] = [];
    for (const entry of this.#checked.values()) {
      clearTimeout(entry.timer);
      entry.abort?.abort();
      if (entry.inFlight !== undefined) inFlight.push(entry.inFlight);
    }
    this.#checked.clear();
    this.#unavailable.clear();
    await Promise.all(inFlight);
    this.#outbox.flush();
    await Promise.race([this.#outbox.idle(), sleep(CLOSE_WAIT_MS, undefined, { ref: false })]);
  }

  #intervalMs(entry: Checked): number {
    return entry.check.intervalSeconds * 1000 * this.#scale;
  }

  #schedule(entry: Checked, delayMs: number): void {
    entry.timer = setTimeout(() => this.#run(entry), delayMs);
    entry.timer.unref();
  }

  #run(entry: Checked): void {
    entry.timer = undefined;
    const startedAt = this.#now();
    const check = entry.check;
    const abort = new AbortController();
    entry.abort = abort;
    entry.inFlight = probe(check, entry.target, check.timeoutSeconds * 1000 * this.#scale, abort.signal).then(
      (outcome) => {
        entry.abort = undefined;
        entry.inFlight = undefined;
        // Removed (or the checker closed) while the probe ran: its outcome no longer counts.
        if (abort.signal.aborted || this.#checked.get(entry.key) !== entry) return;
        this.#record(entry, check, outcome);
        this.#schedule(entry, Math.max(0, startedAt + this.#intervalMs(entry) - this.#now()));
      },
    );
  }

  #record(entry: Checked, check: HealthCheck, outcome: ProbeOutcome): void {
    const step = nextCheckState(check, entry.state, outcome);
    entry.state = step.state;
    if (step.report === undefined) return;
    this.#log?.info(
      { targetGroupArn: entry.groupArn, targetId: entry.id, port: entry.port, ...step.report },
      'target health changed',
    );
    this.#report(entry.key, entry.groupArn, entry.id, entry.port, step.report);
  }

  #report(key: string, targetGroupArn: string, id: string, port: number, report: HealthReport): void {
    const full: TargetHealthReport = { targetGroupArn, id, port, ...report };
    this.#outbox.put(key, full);
  }

  #stop(key: string): void {
    const entry = this.#checked.get(key);
    if (entry === undefined) return;
    clearTimeout(entry.timer);
    entry.abort?.abort();
    this.#checked.delete(key);
    this.#outbox.forget(key);
  }
}
