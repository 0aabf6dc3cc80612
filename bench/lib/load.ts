import { performance } from 'node:perf_hooks';
import { Histogram } from './histogram.js';

/**
 * A closed-loop load run: `concurrency` workers each send one request, wait for its response and
 * send the next, for a warm-up and then a measured window. Throughput counts the requests that
 * completed inside the window; latencies are those same requests', from just before the client
 * starts its work (signing included) to the last byte of the response.
 */
export interface LoadOptions {
  readonly concurrency: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** One request; resolves when the whole response is in, throws (or rejects) on a bad one. */
  readonly send: () => Promise<void>;
}

export interface LoadResult {
  readonly requests: number;
  readonly errors: number;
  readonly firstError?: string;
  readonly seconds: number;
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly mean: number;
  readonly max: number;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const histogram = new Histogram();
  let errors = 0;
  let firstError: string | undefined;
  const begin = performance.now();
  const measureFrom = begin + options.warmupMs;
  const measureUntil = measureFrom + options.durationMs;

  async function worker(): Promise<void> {
    for (;;) {
      const start = performance.now();
      if (start >= measureUntil) return;
      try {
        await options.send();
      } catch (error) {
        errors += 1;
        firstError ??= error instanceof Error ? error.message : String(error);
        if (errors > 100) throw new Error(`too many failed requests; first: ${firstError}`);
        continue;
      }
      const end = performance.now();
      if (end >= measureFrom && end < measureUntil) histogram.record(end - start);
    }
  }

  await Promise.all(Array.from({ length: options.concurrency }, () => worker()));
  const seconds = options.durationMs / 1000;
  return {
    requests: histogram.count,
    errors,
    ...(firstError !== undefined ? { firstError } : {}),
    seconds,
    rps: histogram.count / seconds,
    p50: histogram.quantile(0.5),
    p99: histogram.quantile(0.99),
    mean: histogram.meanMs,
    max: histogram.maxMs,
  };
}
