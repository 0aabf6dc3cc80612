/** wrk's report (`--latency`) as numbers: requests, rate, latency percentiles, errors. */
export interface WrkResult {
  readonly requests: number;
  readonly rps: number;
  /** Milliseconds. */
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly socketErrors: { connect: number; read: number; write: number; timeout: number };
  readonly non2xx: number;
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

export function parseWrk(out: string): WrkResult {
  const percentile = (p: number): number => {
    const m = new RegExp(`^\\s*${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(out);
    if (!m) throw new Error(`no ${p}% latency in wrk's output:\n${out}`);
    return Number(m[1]) * UNIT_MS[m[2]!]!;
  };
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(out);
  const total = /^\s*(\d+) requests in /m.exec(out);
  if (!rps || !total) throw new Error(`unexpected wrk output:\n${out}`);
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  return {
    requests: Number(total[1]),
    rps: Number(rps[1]),
    p50: percentile(50),
    p90: percentile(90),
    p99: percentile(99),
    socketErrors: {
      connect: Number(errors?.[1] ?? 0),
      read: Number(errors?.[2] ?? 0),
      write: Number(errors?.[3] ?? 0),
      timeout: Number(errors?.[4] ?? 0),
    },
    non2xx: Number(non2xx?.[1] ?? 0),
  };
}
