import type { LoadResult } from './load.js';

/** One row of the report: an operation at one concurrency, on Berth and on the baseline. */
export interface CaseResult {
  readonly operation: string;
  readonly concurrency: number;
  readonly berth: LoadResult;
  readonly baseline: LoadResult;
  /** Berth req/s ÷ baseline req/s (1 = as fast as a bare node:http server). */
  readonly throughputRatio: number;
  /** The throughput ratio of each round (Berth's slice ÷ the baseline's slice next to it). */
  readonly roundRatios: readonly number[];
  /** Berth p50 ÷ baseline p50, and the same for p99 (1 = no added latency). */
  readonly latencyRatioP50: number;
  readonly latencyRatioP99: number;
}

export function caseResult(
  operation: string,
  concurrency: number,
  berth: LoadResult,
  baseline: LoadResult,
): CaseResult {
  return {
    operation,
    concurrency,
    berth,
    baseline,
    throughputRatio: berth.rps / baseline.rps,
    roundRatios: berth.sliceRps.map((rps, i) => rps / (baseline.sliceRps[i] ?? Number.NaN)),
    latencyRatioP50: berth.p50 / baseline.p50,
    latencyRatioP99: berth.p99 / baseline.p99,
  };
}

const fixed = (n: number, digits: number): string => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const ms = (n: number): string => fixed(n, n < 10 ? 2 : 1);

/** The results as a Markdown table (readable in a terminal, pasteable into docs/benchmarks.md). */
export function markdownTable(results: readonly CaseResult[]): string {
  const header = [
    'Operation',
    'Conc.',
    'Berth req/s',
    'Baseline req/s',
    'Throughput ratio (rounds)',
    'Berth p50 / p99 ms',
    'Baseline p50 / p99 ms',
    'Latency ratio p50 / p99',
  ];
  const rows = results.map((r) => [
    r.operation,
    String(r.concurrency),
    fixed(r.berth.rps, 0),
    fixed(r.baseline.rps, 0),
    `${fixed(r.throughputRatio, 2)} (${fixed(Math.min(...r.roundRatios), 2)}–${fixed(Math.max(...r.roundRatios), 2)})`,
    `${ms(r.berth.p50)} / ${ms(r.berth.p99)}`,
    `${ms(r.baseline.p50)} / ${ms(r.baseline.p99)}`,
    `${fixed(r.latencyRatioP50, 1)} / ${fixed(r.latencyRatioP99, 1)}`,
  ]);
  return table(header, rows);
}

/**
 * CPU time per request: what each request costs the server process (steadier than req/s on a
 * noisy machine), and what it costs the load generator (the same work on both sides).
 */
export function cpuTable(results: readonly CaseResult[]): string {
  const header = [
    'Operation',
    'Conc.',
    'Berth server µs/req',
    'Baseline server µs/req',
    'Server CPU ratio',
    'Client µs/req (Berth / baseline run)',
  ];
  const rows = results.map((r) => [
    r.operation,
    String(r.concurrency),
    fixed(r.berth.serverCpuUsPerRequest, 0),
    fixed(r.baseline.serverCpuUsPerRequest, 0),
    fixed(r.berth.serverCpuUsPerRequest / r.baseline.serverCpuUsPerRequest, 1),
    `${fixed(r.berth.clientCpuUsPerRequest, 0)} / ${fixed(r.baseline.clientCpuUsPerRequest, 0)}`,
  ]);
  return table(header, rows);
}

/** A Markdown table, numbers right-aligned (every column but the first). */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((c, i) => (i > 0 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i > 0 ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}
