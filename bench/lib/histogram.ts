/**
 * A log-linear latency histogram (HDR-style): values are recorded in whole microseconds into
 * buckets that are exact below 256 µs and at most 1/128 (< 0.8 %) wide above, so percentiles cost
 * O(buckets) and memory stays fixed however many requests a run makes.
 */
const SUB_BITS = 7;
const SUB = 1 << SUB_BITS; // 128 sub-buckets per power of two
const MAX_SHIFT = 32; // up to ~2^39 µs: far beyond any request
const BUCKETS = SUB * (MAX_SHIFT + 2);

function indexOf(us: number): number {
  if (us < 2 * SUB) return us;
  const shift = Math.min(31 - Math.clz32(us) - SUB_BITS, MAX_SHIFT);
  return Math.min((shift + 1) * SUB + ((us >>> shift) - SUB), BUCKETS - 1);
}

/** The midpoint of bucket `index`, in microseconds. */
function valueOf(index: number): number {
  if (index < 2 * SUB) return index;
  const shift = Math.floor(index / SUB) - 1;
  const mantissa = (index % SUB) + SUB;
  return (mantissa + 0.5) * 2 ** shift;
}

export class Histogram {
  private readonly counts = new Uint32Array(BUCKETS);
  private total = 0;
  private sumUs = 0;
  private maxUs = 0;

  /** Records one latency given in milliseconds. */
  record(ms: number): void {
    const us = Math.max(0, Math.min(Math.round(ms * 1000), 0x7fffffff));
    this.counts[indexOf(us)]! += 1;
    this.total += 1;
    this.sumUs += us;
    if (us > this.maxUs) this.maxUs = us;
  }

  get count(): number {
    return this.total;
  }

  /** The latency (ms) at quantile `q` (0 < q ≤ 1): the smallest bucket holding ≥ q of the samples. */
  quantile(q: number): number {
    if (this.total === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(valueOf(i), this.maxUs) / 1000;
    }
    return this.maxUs / 1000;
  }

  get meanMs(): number {
    return this.total === 0 ? Number.NaN : this.sumUs / this.total / 1000;
  }

  get maxMs(): number {
    return this.maxUs / 1000;
  }
}
