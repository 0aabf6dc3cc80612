import { performance } from 'node:perf_hooks';
import type { SignedClient } from './client.js';
import { Histogram } from './histogram.js';

/**
 * Fills a cluster through the API: `clients` workers each loop RunTask (the same request body) and
 * wait for the whole answer before the next, until a call places nothing (the cluster is full) or
 * the time limit passes. Every call's latency goes into a histogram and its end time and the tasks
 * placed so far into `calls`, so the cost can be read against how full the cluster was.
 */
export interface FillOptions {
  readonly client: SignedClient;
  /** The RunTask request. */
  readonly body: string;
  readonly clients: number;
  readonly timeLimitMs: number;
  /** Called once, without holding the workers up, when the tasks placed reach `at`. */
  readonly milestone?: { readonly at: number; readonly reached: () => Promise<void> };
}

export interface Call {
  /** When the answer was in, ms since the fill started. */
  readonly endMs: number;
  readonly latencyMs: number;
  /** Tasks placed by every call answered so far, this one included. */
  readonly placedSoFar: number;
}

export interface FillResult {
  readonly placed: number;
  readonly calls: readonly Call[];
  readonly histogram: Histogram;
  /** From the first request to the last answer. */
  readonly ms: number;
  /** Whether it ended on a call that placed nothing (else on the time limit). */
  readonly full: boolean;
  /** That call's failure `detail` (Berth's per-reason count of the instances, e.g. "5000 instances: RESOURCE:MEMORY"). */
  readonly fullDetail?: string;
  /** Calls that placed some of their tasks but not all (the cluster filling up). */
  readonly partialCalls: number;
}

interface RunTaskAnswer {
  readonly tasks?: readonly unknown[];
  readonly failures?: readonly { readonly reason?: string; readonly detail?: string }[];
}

export async function fill(options: FillOptions): Promise<FillResult> {
  const histogram = new Histogram();
  const calls: Call[] = [];
  const started = performance.now();
  let placed = 0;
  let partialCalls = 0;
  let stop = false;
  let fullDetail: string | undefined;
  let full = false;
  let milestone: Promise<void> | undefined;

  async function worker(): Promise<void> {
    while (!stop) {
      if (performance.now() - started > options.timeLimitMs) {
        stop = true;
        return;
      }
      const t0 = performance.now();
      const reply = await options.client.call('RunTask', options.body);
      const t1 = performance.now();
      const text = reply.body.toString('utf8');
      if (reply.status !== 200) throw new Error(`RunTask answered ${reply.status}: ${text.slice(0, 500)}`);
      const answer = JSON.parse(text) as RunTaskAnswer;
      const n = answer.tasks?.length ?? 0;
      placed += n;
      histogram.record(t1 - t0);
      calls.push({ endMs: t1 - started, latencyMs: t1 - t0, placedSoFar: placed });
      if (n > 0 && (answer.failures?.length ?? 0) > 0) partialCalls += 1;
      if (n === 0) {
        stop = true;
        full = true;
        fullDetail ??= answer.failures?.[0]?.detail ?? answer.failures?.[0]?.reason;
      }
      if (options.milestone && milestone === undefined && placed >= options.milestone.at) {
        milestone = options.milestone.reached();
      }
    }
  }

  try {
    await Promise.all(Array.from({ length: options.clients }, worker));
  } finally {
    stop = true;
  }
  const ms = performance.now() - started;
  await milestone;
  return {
    placed,
    calls,
    histogram,
    ms,
    full,
    ...(fullDetail !== undefined ? { fullDetail } : {}),
    partialCalls,
  };
}
