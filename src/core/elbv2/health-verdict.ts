import type { HealthCheck, HealthReport } from './types.js';

/**
 * ELB's per-target health-check state machine, pure: the data plane's checker (src/lb/health/)
 * probes, feeds each outcome here and reports what this returns. A target's verdict moves only
 * after a run of consecutive outcomes the other way: `healthyThreshold` successes make an `initial`
 * or `unhealthy` target `healthy`, `unhealthyThreshold` failures make an `initial` or `healthy` one
 * `unhealthy`. A report is produced only when the verdict flips, because the control plane stores
 * the state and one write per change is all DescribeTargetHealth needs.
 */

export type CheckVerdict = 'initial' | 'healthy' | 'unhealthy';

/** What one probe saw: an HTTP status, a TCP connection that opened, or why there was neither. */
export type ProbeOutcome =
  | { readonly kind: 'response'; readonly status: number }
  | { readonly kind: 'connected' }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'refused' | 'error'; readonly message: string };

export interface CheckState {
  readonly verdict: CheckVerdict;
  /** Consecutive successes (0 after any failure). */
  readonly successes: number;
  /** Consecutive failures (0 after any success). */
  readonly failures: number;
}

export interface CheckStep {
  readonly state: CheckState;
  /** Present only when the verdict flipped. */
  readonly report?: HealthReport;
}

/** An inclusive range of HTTP status codes; `200` is `{ from: 200, to: 200 }`. */
export interface CodeRange {
  readonly from: number;
  readonly to: number;
}

/** ELB's default matcher for HTTP(S) checks, used when a health check carries none. */
const DEFAULT_HTTP_CODE = '200';

/**
 * Parses ELB's `Matcher.HttpCode`: codes and ranges separated by commas (`200`, `200,202`,
 * `200-299`). Undefined when any part is malformed; the control plane validated the value already,
 * so a caller treats that as "matches nothing" rather than guessing.
 */
export function parseHttpCodes(httpCode: string): readonly CodeRange[] | undefined {
  const ranges: CodeRange[] = [];
  for (const part of httpCode.split(',')) {
    const m = /^\s*(\d{3})(?:\s*-\s*(\d{3}))?\s*$/.exec(part);
    if (m === null) return undefined;
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from) return undefined;
    ranges.push({ from, to });
  }
  return ranges;
}

export function matchesHttpCode(ranges: readonly CodeRange[], status: number): boolean {
  return ranges.some((r) => status >= r.from && status <= r.to);
}

/**
 * Where a target's checks start: from the verdict the control plane remembers (so a restart of the
 * data plane neither re-reports a healthy target nor routes to an unhealthy one before it
 * recovers), else `initial`. An `unavailable` target had no address; once it has one, it starts over.
 */
export function initialCheckState(known?: HealthReport): CheckState {
  const verdict: CheckVerdict =
    known?.state === 'healthy' ? 'healthy' : known?.state === 'unhealthy' ? 'unhealthy' : 'initial';
  return { verdict, successes: 0, failures: 0 };
}

export function probeSucceeded(check: HealthCheck, outcome: ProbeOutcome): boolean {
  switch (outcome.kind) {
    case 'connected':
      return true;
    case 'response': {
      const ranges = parseHttpCodes(check.httpCode ?? DEFAULT_HTTP_CODE);
      return ranges !== undefined && matchesHttpCode(ranges, outcome.status);
    }
    case 'timeout':
    case 'refused':
    case 'error':
      return false;
  }
}

/** One probe outcome applied to a target's state. */
export function nextCheckState(check: HealthCheck, state: CheckState, outcome: ProbeOutcome): CheckStep {
  if (probeSucceeded(check, outcome)) {
    const successes = state.successes + 1;
    const flips = state.verdict !== 'healthy' && successes >= check.healthyThreshold;
    const next: CheckState = { verdict: flips ? 'healthy' : state.verdict, successes, failures: 0 };
    return flips ? { state: next, report: { state: 'healthy' } } : { state: next };
  }
  const failures = state.failures + 1;
  const flips = state.verdict !== 'unhealthy' && failures >= check.unhealthyThreshold;
  const next: CheckState = { verdict: flips ? 'unhealthy' : state.verdict, successes: 0, failures };
  return flips ? { state: next, report: unhealthyReport(outcome) } : { state: next };
}

/** The reason ELB gives for the failure that made a target unhealthy. */
export function unhealthyReport(outcome: ProbeOutcome): HealthReport {
  switch (outcome.kind) {
    case 'response':
      return {
        state: 'unhealthy',
        reason: 'Target.ResponseCodeMismatch',
        description: `Health checks failed with these codes: [${outcome.status}]`,
      };
    case 'timeout':
      return { state: 'unhealthy', reason: 'Target.Timeout', description: 'Request timed out' };
    case 'connected':
    case 'refused':
    case 'error':
      return { state: 'unhealthy', reason: 'Target.FailedHealthChecks', description: 'Health checks failed' };
  }
}

/**
 * An `instance` target whose container instance Berth does not know has no address to probe. ELB
 * has no exact counterpart; `Target.InvalidState` is its code for an instance that cannot serve.
 */
export const UNAVAILABLE_REPORT: HealthReport = {
  state: 'unavailable',
  reason: 'Target.InvalidState',
  description: 'The target names no registered container instance',
};
