import { performance } from 'node:perf_hooks';
import { Histogram } from './histogram.js';

/**
 * Closed-loop load: `concurrency` workers each send one request, wait for its whole response and
 * send the next. A case is measured in slices (so two servers can take turns and share whatever
 * background noise the machine has); a `Measurement` adds the slices up.
 */
export interface SliceOptions {
  readonly concurrency: number;
  readonly durationMs: number;
  /** One request; resolves when the whole response is in, throws (or rejects) on a bad one. */
  readonly send: () => Promise<void>;
  /** Where the latencies of the requests that complete inside the slice go; none when warming up. */
  readonly histogram?: Histogram;
}

export interface SliceResult {
  /** Requests that completed inside the slice (what throughput counts). */
  readonly completed: number;
  /** Every request the slice's workers started, including those that completed after its end. */
  readonly sent: number;
  readonly errors: number;
  readonly firstError?: string;
}

/**
 * Runs one slice. Latency is measured from just before the client starts its work on a request
 * (signing included) to the last byte of the response; workers start no request after the end.
 */
export async function runSlice(options: SliceOptions): Promise<SliceResult> {
  const until = performance.now() + options.durationMs;
  let completed = 0;
  let sent = 0;
  let errors = 0;
  let firstError: string | undefined;

  async function worker(): Promise<void> {
    for (;;) {
      const start = performance.now();
      if (start >= until) return;
      sent += 1;
      try {
        await options.send();
      } catch (error) {
        errors += 1;
        firstError ??= error instanceof Error ? error.message : String(error);
        if (errors > 100) throw new Error(`too many failed requests; first: ${firstError}`);
        continue;
      }
      const end = performance.now();
      if (end < until) {
        completed += 1;
        options.histogram?.record(end - start);
      }
    }
  }

  await Promise.all(Array.from({ length: options.concurrency }, () => worker()));
  return { completed, sent, errors, ...(firstError !== undefined ? { firstError } : {}) };
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
  /** The server process's CPU time (user + system) per request, in microseconds. */
  readonly serverCpuUsPerRequest: number;
  /** The load generator's CPU time per request (signing, HTTP client), in microseconds. */
  readonly clientCpuUsPerRequest: number;
  /** Throughput of each slice, in the order they ran. */
  readonly sliceRps: readonly number[];
}

/** The sum of a case's slices on one server. */
export class Measurement {
  readonly histogram = new Histogram();
  private requests = 0;
  private sent = 0;
  private errors = 0;
  private firstError: string | undefined;
  private ms = 0;
  private cpuUs = 0;
  private clientCpuUs = 0;
  private readonly sliceRps: number[] = [];

  add(slice: SliceResult, durationMs: number, serverCpuUs: number, clientCpuUs: number): void {
    this.clientCpuUs += clientCpuUs;
    this.sliceRps.push((slice.completed * 1000) / durationMs);
    this.requests += slice.completed;
    this.sent += slice.sent;
    this.errors += slice.errors;
    this.firstError ??= slice.firstError;
    this.ms += durationMs;
    this.cpuUs += serverCpuUs;
  }

  result(): LoadResult {
    const seconds = this.ms / 1000;
    return {
      requests: this.requests,
      errors: this.errors,
      ...(this.firstError !== undefined ? { firstError: this.firstError } : {}),
      seconds,
      rps: this.requests / seconds,
      p50: this.histogram.quantile(0.5),
      p99: this.histogram.quantile(0.99),
      mean: this.histogram.meanMs,
      max: this.histogram.maxMs,
      serverCpuUsPerRequest: this.cpuUs / this.sent,
      clientCpuUsPerRequest: this.clientCpuUs / this.sent,
      sliceRps: [...this.sliceRps],
    };
  }
}
