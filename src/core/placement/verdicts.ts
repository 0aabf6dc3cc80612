import { CHECK_ORDER } from './filters.js';

/**
 * For one demand: each instance's first failed check as its code (filters.ts `reasonCode`, 0 when
 * feasible), the count per code, and the feasible instances listed in `live[0..liveCount)`, in
 * any order (`slot` is each one's place there, -1 for the others).
 */
export interface Verdicts {
  readonly check: (index: number) => number;
  readonly code: Uint8Array;
  readonly perCode: Int32Array;
  readonly live: Int32Array;
  readonly slot: Int32Array;
  liveCount: number;
}

/** Every instance checked with `check` (filters.ts `columnFeasibility`). */
export function newVerdicts(check: (index: number) => number, n: number): Verdicts {
  const v: Verdicts = {
    check,
    code: new Uint8Array(n),
    perCode: new Int32Array(CHECK_ORDER.length + 1),
    live: new Int32Array(n),
    slot: new Int32Array(n).fill(-1),
    liveCount: 0,
  };
  for (let i = 0; i < n; i++) setVerdict(v, i, check(i));
  return v;
}

/** The instance at `index` now gets `code`: the counts and `live` follow. */
export function setVerdict(v: Verdicts, index: number, code: number): void {
  const was = v.code[index] as number;
  const at = v.slot[index] as number;
  if (at >= 0) {
    if (code === 0) return;
    // Out of `live`: its last entry takes the freed slot.
    const moved = v.live[--v.liveCount] as number;
    v.live[at] = moved;
    v.slot[moved] = at;
    v.slot[index] = -1;
  } else if (was !== 0) {
    // (An instance not yet checked has code 0 and no slot: counted nowhere.)
    if (code === was) return;
    v.perCode[was] = (v.perCode[was] as number) - 1;
  }
  v.code[index] = code;
  if (code === 0) {
    v.slot[index] = v.liveCount;
    v.live[v.liveCount++] = index;
  } else v.perCode[code] = (v.perCode[code] as number) + 1;
}
