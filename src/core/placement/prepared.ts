import { columnFeasibility, demandKey } from './filters.js';
import { hash32 } from './strategies.js';
import type { InstanceSnapshot, TaskDemand } from './types.js';
import { newVerdicts, setVerdict, type Verdicts } from './verdicts.js';

/**
 * A snapshot turned into the columns the engine reads (typed arrays indexed like the snapshot),
 * kept between placement calls so that a call costs a scan of typed arrays rather than a walk over
 * thousands of objects. What does not depend on the demand is computed once per instance and
 * updated only for the instances that change: the status checks, remaining CPU and memory, the
 * group's tasks, id hashes, and — built on first use, then kept — each spread attribute's buckets
 * and each `memberOf` expression's or required-attribute set's verdict per instance — and, per
 * demand, every instance's first failed check with the feasible ones listed (`Verdicts`).
 *
 * `prepareCluster(next, previous)` moves the columns of `previous` into the result and updates the
 * rows whose snapshot object changed (for a plan's `instances` made from `previous`, the engine
 * knows which those are), so a caller that feeds each plan to the next call pays per call for
 * what the call changed. The previous value is then spent: placing on it throws, rather than
 * reading columns that now describe another snapshot.
 *
 * A placement call applies each task it places to the columns (`apply`) and undoes them all
 * before it returns (`restore`): the same update as between calls, with nothing copied per call.
 */
export class PreparedCluster {
  /** `STATUS_*`: the demand-independent first checks (status, agent), 0 when they pass. */
  readonly status: Uint8Array;
  readonly cpu: Float64Array;
  readonly memory: Float64Array;
  readonly groupTasks: Float64Array;
  private readonly hashes: Uint32Array;
  private readonly hashed: Uint8Array;
  private readonly spreads: Map<string, AttributeBuckets>;
  private readonly filters: Map<string, InstanceFilter>;
  private readonly verdicts: Map<string, Verdicts>;
  /** The rows as they were before this call's `apply`s, latest last. */
  private readonly applied: { readonly index: number; readonly before: InstanceSnapshot }[] = [];
  private spent = false;

  private constructor(
    private readonly rows: InstanceSnapshot[],
    from?: PreparedCluster,
  ) {
    const n = rows.length;
    this.status = from?.status ?? new Uint8Array(n);
    this.cpu = from?.cpu ?? new Float64Array(n);
    this.memory = from?.memory ?? new Float64Array(n);
    this.groupTasks = from?.groupTasks ?? new Float64Array(n);
    this.hashes = from?.hashes ?? new Uint32Array(n);
    this.hashed = from?.hashed ?? new Uint8Array(n);
    this.spreads = from?.spreads ?? new Map<string, AttributeBuckets>();
    this.filters = from?.filters ?? new Map<string, InstanceFilter>();
    this.verdicts = from?.verdicts ?? new Map<string, Verdicts>();
  }

  /** Columns for a snapshot of its own. */
  static of(snapshot: readonly InstanceSnapshot[]): PreparedCluster {
    const prepared = new PreparedCluster(snapshot.slice());
    for (let i = 0; i < snapshot.length; i++) prepared.fill(i, snapshot[i] as InstanceSnapshot);
    return prepared;
  }

  /** The snapshot these columns describe, in its order. */
  get instances(): readonly InstanceSnapshot[] {
    this.usable();
    return this.rows;
  }

  /**
   * Every instance's verdict for `demand` (kept per demand and updated with the instances, so a
   * call with a demand seen before reads them instead of checking every instance again).
   */
  verdictsFor(demand: TaskDemand): Verdicts {
    const key = demandKey(demand);
    let v = this.verdicts.get(key);
    if (v === undefined) {
      const n = this.rows.length;
      v = newVerdicts(columnFeasibility(demand, this, this.rows), n);
      this.verdicts.set(key, v);
    }
    return v;
  }

  get size(): number {
    return this.rows.length;
  }

  /**
   * Before a placement call: throws when the columns have moved on (`usable`), and bounds the
   * caches. Strategies, demands and expressions come from users, so what is kept per attribute,
   * per demand and per expression is dropped when it fills — only here, between calls: within a
   * call every column in use must be kept, or `apply` would not update it. Verdicts read the
   * filters' bits, so those two go together.
   */
  begin(): this {
    this.usable();
    if (this.spreads.size >= MAX_KEPT) this.spreads.clear();
    if (this.verdicts.size >= MAX_KEPT || this.filters.size >= MAX_KEPT) {
      this.verdicts.clear();
      this.filters.clear();
    }
    return this;
  }

  /** Throws when the columns have moved to a newer prepared cluster. */
  usable(): this {
    if (this.spent)
      throw new Error(
        'This PreparedCluster was passed to prepareCluster as `previous`; use what it returned.',
      );
    return this;
  }

  /** The columns moved to `next` (same length), with the rows whose object changed updated. */
  next(snapshot: readonly InstanceSnapshot[]): PreparedCluster {
    this.usable();
    if (snapshot.length !== this.rows.length) return PreparedCluster.of(snapshot);
    this.spent = true;
    const rows = this.rows;
    const next = new PreparedCluster(rows, this);
    const planned = plans.get(snapshot);
    if (planned?.from === this) {
      for (const i of planned.changed) next.update(i, snapshot[i] as InstanceSnapshot);
    } else {
      for (let i = 0; i < snapshot.length; i++) {
        const instance = snapshot[i] as InstanceSnapshot;
        if (instance !== rows[i]) next.update(i, instance);
      }
    }
    return next;
  }

  /** The instance at `index` is now `after` until `restore` (a task placed during a call). */
  apply(index: number, after: InstanceSnapshot): void {
    this.applied.push({ index, before: this.rows[index] as InstanceSnapshot });
    this.update(index, after);
  }

  /**
   * Undoes every `apply` and, given the plan's snapshot, remembers that it differs from these rows
   * only at the indexes applied, so preparing it from this cluster updates just those.
   */
  restore(instances: readonly InstanceSnapshot[] | undefined): void {
    const changed = new Set<number>();
    for (let k = this.applied.length - 1; k >= 0; k--) {
      const { index, before } = this.applied[k] as (typeof this.applied)[number];
      this.update(index, before);
      changed.add(index);
    }
    this.applied.length = 0;
    if (instances !== undefined) plans.set(instances, { from: this, changed: [...changed] });
  }

  /** The hash of the instance's id (computed when first asked: only ties and `random` need it). */
  idHash(index: number): number {
    if (this.hashed[index] === 0) {
      this.hashes[index] = idHash((this.rows[index] as InstanceSnapshot).id);
      this.hashed[index] = 1;
    }
    return this.hashes[index] as number;
  }

  /** Each instance's bucket for `spread(attribute:name)`, and the group's tasks per bucket. */
  buckets(name: string): AttributeBuckets {
    let b = this.spreads.get(name);
    if (b === undefined) {
      const n = this.rows.length;
      b = { bucket: new Int32Array(n), tasks: new Float64Array(4), index: new Map() };
      for (let i = 0; i < n; i++) {
        const at = bucketIndex(b, (this.rows[i] as InstanceSnapshot).attributes[name]);
        b.bucket[i] = at;
        b.tasks[at] = (b.tasks[at] as number) + (this.groupTasks[i] as number);
      }
      this.spreads.set(name, b);
    }
    return b;
  }

  /**
   * Per instance, 1 when `test` holds. Kept under `key` (which must name what `test` asks) and
   * re-evaluated for each instance that changes: `test` may only read what `take` never changes.
   * Called while building verdicts (`begin` bounds the cache).
   */
  filter(key: string, test: (instance: InstanceSnapshot) => boolean): Uint8Array {
    let f = this.filters.get(key);
    if (f === undefined) {
      const bits = new Uint8Array(this.rows.length);
      for (let i = 0; i < bits.length; i++) bits[i] = test(this.rows[i] as InstanceSnapshot) ? 1 : 0;
      this.filters.set(key, (f = { test, bits }));
    }
    return f.bits;
  }

  private fill(index: number, instance: InstanceSnapshot): void {
    this.rows[index] = instance;
    this.status[index] = statusCode(instance);
    this.cpu[index] = instance.remainingCpu;
    this.memory[index] = instance.remainingMemory;
    this.groupTasks[index] = instance.groupTasks ?? 0;
  }

  private update(index: number, instance: InstanceSnapshot): void {
    const before = this.rows[index] as InstanceSnapshot;
    const tasksBefore = this.groupTasks[index] as number;
    this.fill(index, instance);
    if (instance.id !== before.id) this.hashed[index] = 0;
    for (const [name, b] of this.spreads) {
      const was = b.bucket[index] as number;
      b.tasks[was] = (b.tasks[was] as number) - tasksBefore;
      let at = was;
      if (before.attributes[name] !== instance.attributes[name]) {
        at = bucketIndex(b, instance.attributes[name]);
        b.members = undefined;
      }
      b.bucket[index] = at;
      b.tasks[at] = (b.tasks[at] as number) + (this.groupTasks[index] as number);
    }
    for (const f of this.filters.values()) f.bits[index] = f.test(instance) ? 1 : 0;
    // After the filters: the checks read their bits.
    for (const v of this.verdicts.values()) setVerdict(v, index, v.check(index));
  }
}

/** Which rows of a plan's `instances` differ from the cluster it was placed on. */
const plans = new WeakMap<
  readonly InstanceSnapshot[],
  { from: PreparedCluster; changed: readonly number[] }
>();

/** Builds the columns for `snapshot`, reusing (and spending) those of `previous` when given. */
export function prepareCluster(
  snapshot: readonly InstanceSnapshot[],
  previous?: PreparedCluster,
): PreparedCluster {
  return previous === undefined ? PreparedCluster.of(snapshot) : previous.next(snapshot);
}

export interface AttributeBuckets {
  /** Per instance, its value's bucket (instances without the attribute share one). */
  readonly bucket: Int32Array;
  /** Per bucket, the group's tasks on its instances (feasible or not); grows with the buckets. */
  tasks: Float64Array;
  readonly index: Map<string | undefined, number>;
  /** The instances grouped by bucket (`bucketMembers`); dropped when an instance changes bucket. */
  members?: BucketMembers | undefined;
}

/** Bucket `b`'s instances are `order[start[b]..start[b + 1])`. */
export interface BucketMembers {
  readonly order: Int32Array;
  readonly start: Int32Array;
}

/** The instances grouped by bucket: built once, kept while no instance changes bucket. */
export function bucketMembers(b: AttributeBuckets): BucketMembers {
  if (b.members === undefined) {
    const count = b.index.size;
    const start = new Int32Array(count + 1);
    for (const at of b.bucket) start[at + 1] = (start[at + 1] as number) + 1;
    for (let k = 0; k < count; k++) start[k + 1] = (start[k + 1] as number) + (start[k] as number);
    const next = start.slice(0, count);
    const order = new Int32Array(b.bucket.length);
    b.bucket.forEach((at, i) => (order[(next[at] as number)++] = i));
    b.members = { order, start };
  }
  return b.members;
}

interface InstanceFilter {
  readonly test: (instance: InstanceSnapshot) => boolean;
  readonly bits: Uint8Array;
}

/** How many spread attributes, demands and expressions a prepared cluster keeps columns for. */
const MAX_KEPT = 32;

/** Codes of the checks that need no demand; they are CHECK_ORDER's first three (index + 1). */
export const STATUS_INACTIVE = 1;
export const STATUS_DRAINING = 2;
export const STATUS_AGENT = 3;

function statusCode(i: InstanceSnapshot): number {
  if (i.status !== 'ACTIVE' && i.status !== 'DRAINING') return STATUS_INACTIVE;
  // Draining instances take no new tasks (UpdateContainerInstancesState).
  if (i.status === 'DRAINING') return STATUS_DRAINING;
  return i.agentConnected ? 0 : STATUS_AGENT;
}

function bucketIndex(b: AttributeBuckets, value: string | undefined): number {
  let at = b.index.get(value);
  if (at === undefined) {
    at = b.index.size;
    b.index.set(value, at);
    if (at >= b.tasks.length) {
      const grown = new Float64Array(b.tasks.length * 2);
      grown.set(b.tasks);
      b.tasks = grown;
    }
  }
  return at;
}

/** Hashes of instance ids, kept across calls (ids repeat in every placement); bounded. */
const idHashes = new Map<string, number>();
const ID_HASHES_MAX = 200_000;

function idHash(id: string): number {
  let h = idHashes.get(id);
  if (h === undefined) {
    if (idHashes.size >= ID_HASHES_MAX) idHashes.clear();
    h = hash32(id);
    idHashes.set(id, h);
  }
  return h;
}
