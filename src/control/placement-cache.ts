import { parseArn } from '../core/arn.js';
import type { ContainerInstanceRecord, InstanceAttribute } from '../core/ecs/container-instance.js';
import { instanceSnapshot, RUNNING_STATUSES } from '../core/ecs/task.js';
import { prepareCluster, type PreparedCluster } from '../core/placement/prepared.js';
import type { InstanceSnapshot } from '../core/placement/types.js';
import type { Repositories, Store } from '../store/index.js';

/**
 * What placement reads of a cluster, kept in memory between RunTask calls: its registered
 * instances, their attributes, and how many tasks of each group are on each. Reading all of that
 * from the store for every call costs a query over every active task of the cluster; the cache
 * costs a re-read of only the instances written since the last call.
 *
 * The store is the truth and this is a cache of it (docs/placement.md, "The placement cache"):
 * - Every store write that changes what placement sees of an instance is told to `invalidate`
 *   (store/instance-writes.ts: the instance row, its attributes, a task on it), at the write and
 *   again after its transaction ends; with replicas, the other replicas' writes arrive through the
 *   change feed. A stale instance is re-read before the next placement on its cluster.
 * - Placement commits with a version check on every instance it chose, so a write the cache has
 *   not heard of yet (another replica's, in flight) makes the commit lose its race and re-plan —
 *   it can never over-commit a host. What staleness may still cost is ranking: a spread count
 *   that is a moment old on an instance that was not chosen.
 */
export class PlacementCache {
  private readonly clusters = new Map<string, ClusterEntry>();

  /** Hears every write to `store` from here on (the cache is only as current as what it hears). */
  constructor(store: Pick<Store, 'onInstanceWrite'>) {
    store.onInstanceWrite((arn) => this.invalidate(arn));
  }

  /** The instance changed: it is re-read before it is placed on again. */
  invalidate(instanceArn: string): void {
    const cluster = clusterOfInstance(instanceArn);
    if (cluster !== undefined) this.clusters.get(cluster)?.stale.add(instanceArn);
  }

  /** Changes may have been missed (the change feed reconnected): everything is read afresh. */
  invalidateAll(): void {
    this.clusters.clear();
  }

  /**
   * The cluster as placement sees it for a task of `group`, current as of this read: call it in
   * the transaction that commits the placement, so what it reads is what the version checks see.
   */
  async read(repos: Repositories, cluster: string, group: string): Promise<ClusterSnapshot> {
    const entry = await this.fresh(repos, cluster);
    const view = groupView(entry, group);
    const snapshot = groupSnapshot(entry, view, group);
    return {
      snapshot,
      // Synchronous with the placement that uses it: the group's previous columns are spent here.
      prepared: () => (view.prepared = prepareCluster(snapshot, view.prepared)),
      record: (arn) => entry.instances.get(arn)?.record,
      attributes: (arn) => entry.instances.get(arn)?.attributes ?? [],
    };
  }

  private async fresh(repos: Repositories, cluster: string): Promise<LoadedEntry> {
    for (;;) {
      let entry = this.clusters.get(cluster);
      if (entry?.reading) {
        // Another call is reading it: wait for that, then look again (it may have failed).
        await entry.reading.catch(() => undefined);
        continue;
      }
      if (entry?.instances !== undefined && entry.stale.size === 0) return entry as LoadedEntry;
      if (entry === undefined) {
        // Registered before the read starts, so writes made while it runs are heard.
        entry = { stale: new Set(), groups: new Map(), generation: 0, log: [] };
        this.clusters.set(cluster, entry);
      }
      const current = entry;
      const work =
        current.instances === undefined ? this.loadAll(repos, cluster, current) : this.reload(repos, current);
      current.reading = work;
      try {
        await work;
      } catch (error) {
        if (current.instances === undefined && this.clusters.get(cluster) === current)
          this.clusters.delete(cluster);
        throw error;
      } finally {
        current.reading = undefined;
      }
    }
  }

  private async loadAll(repos: Repositories, cluster: string, entry: ClusterEntry): Promise<void> {
    entry.stale.clear(); // everything is read now
    const records = await repos.containerInstances.list({ cluster, limit: MAX_INSTANCES });
    const [attributes, counts] = await Promise.all([
      repos.containerInstances.attributesOf(
        records.map((r) => r.arn),
        { forUpdate: false },
      ),
      repos.tasks.activeGroupCounts({ cluster }),
    ]);
    const instances = new Map<string, CachedInstance>();
    const byInstance = groupCounts(counts);
    for (const record of records) {
      instances.set(record.arn, cached(record, attributes.get(record.arn) ?? [], byInstance.get(record.arn)));
    }
    entry.instances = instances;
    entry.layout = undefined;
    entry.log.length = 0;
    entry.generation++;
  }

  private async reload(repos: Repositories, entry: ClusterEntry): Promise<void> {
    const instances = entry.instances as Map<string, CachedInstance>;
    // Taken before the reads, so a write made while they run marks its instance stale again.
    const arns = [...entry.stale];
    entry.stale.clear();
    try {
      const [records, attributes, counts] = await Promise.all([
        repos.containerInstances.byArns(arns),
        repos.containerInstances.attributesOf(arns, { forUpdate: false }),
        repos.tasks.activeGroupCounts({ instanceArns: arns }),
      ]);
      const byInstance = groupCounts(counts);
      const found = new Map(records.map((r) => [r.arn, r]));
      let moved = false; // an instance joined or left: the order of the snapshot changes
      for (const arn of arns) {
        const record = found.get(arn);
        const known = instances.has(arn);
        if (record === undefined || record.status === 'INACTIVE') {
          moved ||= known;
          instances.delete(arn);
        } else {
          moved ||= !known;
          instances.set(arn, cached(record, attributes.get(arn) ?? [], byInstance.get(arn)));
        }
      }
      if (moved) entry.layout = undefined;
      entry.generation++;
      entry.log.push({ generation: entry.generation, arns });
      if (entry.log.length > MAX_LOG) entry.log.shift();
    } catch (error) {
      for (const arn of arns) entry.stale.add(arn);
      throw error;
    }
  }
}

/** What placement sees of a cluster: the snapshot, and the stored instance behind each entry. */
export interface ClusterSnapshot {
  readonly snapshot: InstanceSnapshot[];
  /**
   * The snapshot as the engine's prepared columns, carried over from the group's last placement
   * (core/placement/prepared.ts). Call it right before `place`, with no await in between.
   */
  readonly prepared: () => PreparedCluster;
  /** The instance as stored (with the version the commit checks). */
  record(instanceArn: string): ContainerInstanceRecord | undefined;
  attributes(instanceArn: string): readonly InstanceAttribute[];
}

/** Enough for any cluster Berth is meant for; placement reads every registered instance. */
const MAX_INSTANCES = 100_000;

interface CachedInstance {
  readonly record: ContainerInstanceRecord;
  readonly attributes: readonly InstanceAttribute[];
  /** The instance as placement sees it, with no task of the caller's group counted. */
  readonly base: InstanceSnapshot;
  /** The instance's tasks that are not STOPPED, per group. */
  readonly groups: ReadonlyMap<string, number>;
}

/** One group's last snapshot and prepared columns, and the cluster's state they were made from. */
interface GroupView {
  snapshot?: InstanceSnapshot[];
  /** The layout and generation of the entry when `snapshot` was made. */
  layout?: Layout;
  generation: number;
  prepared?: PreparedCluster;
}

/** The order of a cluster's instances in its snapshots, kept until an instance joins or leaves. */
interface Layout {
  readonly arns: readonly string[];
  readonly position: ReadonlyMap<string, number>;
}

/** Reloads a cluster remembers, so a group's snapshot is patched rather than rebuilt. */
const MAX_LOG = 64;

/**
 * The snapshot for `group`: its last one with only the instances reloaded since patched (each
 * unchanged instance stays the same object, so the prepared columns update only the changed ones),
 * or built afresh when instances joined or left or the group's last read is too old.
 */
function groupSnapshot(entry: LoadedEntry, view: GroupView, group: string): InstanceSnapshot[] {
  const layout = (entry.layout ??= layoutOf(entry.instances));
  const row = (arn: string): InstanceSnapshot => {
    const instance = entry.instances.get(arn) as CachedInstance;
    const groupTasks = instance.groups.get(group) ?? 0;
    return groupTasks === 0 ? instance.base : { ...instance.base, groupTasks };
  };
  const oldest = entry.log[0]?.generation ?? entry.generation + 1;
  let snapshot: InstanceSnapshot[];
  if (view.snapshot !== undefined && view.layout === layout && view.generation + 1 >= oldest) {
    snapshot = view.snapshot.slice();
    for (const change of entry.log) {
      if (change.generation <= view.generation) continue;
      for (const arn of change.arns) {
        const at = layout.position.get(arn);
        if (at !== undefined) snapshot[at] = row(arn);
      }
    }
  } else {
    snapshot = layout.arns.map(row);
  }
  view.snapshot = snapshot;
  view.layout = layout;
  view.generation = entry.generation;
  return snapshot;
}

function layoutOf(instances: ReadonlyMap<string, CachedInstance>): Layout {
  const arns = [...instances.keys()];
  return { arns, position: new Map(arns.map((arn, at) => [arn, at])) };
}

/** Groups whose prepared columns a cluster keeps (each ≈ 30 bytes per instance plus its caches). */
const MAX_GROUP_VIEWS = 32;

function groupView(entry: LoadedEntry, group: string): GroupView {
  let view = entry.groups.get(group);
  if (view === undefined) {
    if (entry.groups.size >= MAX_GROUP_VIEWS) entry.groups.clear();
    view = { generation: -1 };
    entry.groups.set(group, view);
  }
  return view;
}

interface ClusterEntry {
  /** The registered (non-INACTIVE) instances; undefined until the first read completes. */
  instances?: Map<string, CachedInstance>;
  /** Counts the reads of `instances` (whole or in part). */
  generation: number;
  /** The instances each of the last reads re-read, oldest first. */
  readonly log: { readonly generation: number; readonly arns: readonly string[] }[];
  /** The instances' order, while none joined or left. */
  layout?: Layout | undefined;
  readonly groups: Map<string, GroupView>;
  /** Instances written since they were read. */
  readonly stale: Set<string>;
  /** The read in progress, which other callers wait for. */
  reading?: Promise<void> | undefined;
}

type LoadedEntry = ClusterEntry & { instances: Map<string, CachedInstance> };

interface GroupCount {
  readonly instanceArn: string;
  readonly group: string;
  readonly lastStatus: string;
  readonly count: number;
}

interface InstanceTasks {
  readonly groups: Map<string, number>;
  running: number;
}

function groupCounts(counts: readonly GroupCount[]): Map<string, InstanceTasks> {
  const out = new Map<string, InstanceTasks>();
  for (const c of counts) {
    let tasks = out.get(c.instanceArn);
    if (tasks === undefined) out.set(c.instanceArn, (tasks = { groups: new Map(), running: 0 }));
    tasks.groups.set(c.group, (tasks.groups.get(c.group) ?? 0) + c.count);
    if ((RUNNING_STATUSES as readonly string[]).includes(c.lastStatus)) tasks.running += c.count;
  }
  return out;
}

function cached(
  record: ContainerInstanceRecord,
  attributes: readonly InstanceAttribute[],
  tasks: InstanceTasks | undefined,
): CachedInstance {
  const groups = tasks?.groups ?? new Map<string, number>();
  return {
    record,
    attributes,
    base: {
      ...instanceSnapshot(record, attributes),
      groupTasks: 0,
      runningTasksCount: tasks?.running ?? 0,
      taskGroups: [...groups.keys()],
    },
    groups,
  };
}

/** `arn:…:container-instance/<cluster>/<id>` → the cluster's name. */
function clusterOfInstance(instanceArn: string): string | undefined {
  const resource = parseArn(instanceArn)?.resource ?? '';
  const parts = resource.split('/');
  return parts.length === 3 && parts[0] === 'container-instance' ? parts[1] : undefined;
}
