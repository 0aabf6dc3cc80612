import { createHash, randomBytes } from 'node:crypto';
import { EventQueue } from './event-queue.js';
import { FakePorts } from './fake-ports.js';
import { matchesLabels, type LabelSelector } from './labels.js';
import {
  RuntimeError,
  type CallOptions,
  type ContainerSpec,
  type ContainerState,
  type ContainerStats,
  type ContainerSummary,
  type EnsuredImage,
  type EventsOptions,
  type HealthStatus,
  type ListOptions,
  type Mount,
  type NetworkBinding,
  type PresentContainerState,
  type PullBehavior,
  type Runtime,
  type RuntimeEvent,
} from './runtime.js';

/**
 * An in-memory container engine with the same observable contract as Docker
 * (test/agent/runtime.contract.test.ts runs against both). A container "runs" until it is stopped,
 * removed, or its scripted behaviour ends it. It costs a map entry and at most a few timers per
 * container, so `berth sim` can run thousands of simulated hosts, one FakeRuntime each.
 *
 * A container's process is a `FakeBehavior`: given with `program(name, behavior)` before the
 * container is created, or by the `behavior` option for every container; the control methods
 * (`exit`, `oomKill`, `setHealth`) act on a running container directly.
 */

const MiB = 1024 * 1024;
const SIGKILL_EXIT = 137;
const SIGTERM_EXIT = 143;

export interface FakeBehavior {
  /** Exits on its own this long after start (absent: runs until stopped). */
  readonly exitAfterMs?: number;
  /** Exit code of that exit; default 0. */
  readonly exitCode?: number;
  /**
   * On SIGTERM: exit with a code (a process that traps it; default 143, one that does not), after
   * `afterMs`; or `ignore` it and be SIGKILLed (137) when the stop timeout passes.
   */
  readonly onSigterm?: { readonly exitCode: number; readonly afterMs?: number } | 'ignore';
  /** Memory the process grows to, MiB: over the container's hard limit it is OOM-killed. Default 4. */
  readonly memoryMiB?: number;
  /** When that OOM kill happens after start; default 10 ms. */
  readonly oomAfterMs?: number;
  /** What the health check finds (containers with one): default `healthy`, after one interval. */
  readonly health?: 'healthy' | 'unhealthy';
  /** Share of one CPU it uses, for stats; default 0.01. */
  readonly cpuFraction?: number;
}

export interface FakeRuntimeOptions {
  /** Images present on the "host" at start. */
  readonly localImages?: readonly string[];
  /**
   * Images the "registry" can serve (pulls of anything else fail, as offline); `any`: every image
   * (`berth sim`, whose users run task definitions naming whatever image they like).
   */
  readonly registryImages?: readonly string[] | 'any';
  /** Behaviour of containers with no `program`med one. */
  readonly behavior?: (spec: ContainerSpec) => FakeBehavior;
  /** Dynamic host ports come from here; default Linux's ephemeral range 32768–60999. */
  readonly portRange?: readonly [number, number];
  /** Reported as the memory limit of containers without one; default 4096. */
  readonly hostMemoryMiB?: number;
  readonly now?: () => Date;
  /** What `bridgeGateway` answers; default none (there is no real bridge to reach). */
  readonly bridgeGateway?: string;
}

interface FakeContainer {
  readonly runtimeId: string;
  readonly spec: ContainerSpec;
  readonly imageId: string;
  readonly imageDigest: string | undefined;
  readonly behavior: FakeBehavior;
  readonly createdAt: Date;
  status: 'created' | 'running' | 'exited';
  exitCode: number | undefined;
  oomKilled: boolean;
  health: HealthStatus;
  startedAt: Date | undefined;
  finishedAt: Date | undefined;
  error: string | undefined;
  bindings: NetworkBinding[];
  /** Its bind and volume mounts, its own and those `volumesFrom` brought. */
  readonly mounts: readonly Mount[];
  /** Its simulated address on the bridge (`bridge` mode only). */
  readonly address: string | undefined;
  /** Pending timers of the current run; all cleared when it exits. */
  timers: Set<NodeJS.Timeout>;
  /** Resolvers of `stop` calls waiting for the exit. */
  onExit: (() => void)[];
}

interface Subscriber {
  readonly labels: LabelSelector | undefined;
  readonly queue: EventQueue<RuntimeEvent>;
}

interface FakeImage {
  readonly imageId: string;
  readonly digest?: string;
}

function sha256(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

/** An image as the simulated registry serves it: ids derived from the reference. */
function registryImage(key: string): FakeImage {
  return { imageId: sha256(`image:${key}`), digest: sha256(`manifest:${key}`) };
}

function normalizeRef(ref: string): string {
  if (ref.includes('@')) return ref;
  const lastSlash = ref.lastIndexOf('/');
  return ref.slice(lastSlash + 1).includes(':') ? ref : `${ref}:latest`;
}

export class FakeRuntime implements Runtime {
  readonly kind = 'fake';
  private readonly containers = new Map<string, FakeContainer>();
  private readonly names = new Map<string, string>();
  private readonly local = new Map<string, FakeImage>();
  private readonly registry = new Map<string, FakeImage>();
  private readonly pulledByUs = new Set<string>();
  private readonly programs = new Map<string, FakeBehavior>();
  private readonly subscribers = new Set<Subscriber>();
  /** Named volumes on the "host" (created by the first container that mounts one). */
  private readonly volumes = new Set<string>();
  private readonly ports: FakePorts;
  private addressesGiven = 0;
  private readonly now: () => Date;

  constructor(private readonly options: FakeRuntimeOptions = {}) {
    this.now = options.now ?? (() => new Date());
    this.ports = new FakePorts(options.portRange ?? [32768, 60999]);
    for (const ref of options.localImages ?? []) this.addImage(ref);
    if (options.registryImages !== 'any')
      for (const ref of options.registryImages ?? []) this.addImage(ref, { registry: true });
  }

  // ---- control API (tests and the simulator) ----

  /** Makes an image present locally, or (`registry`) pullable from the simulated registry. */
  addImage(ref: string, opts: { registry?: boolean } = {}): void {
    const key = normalizeRef(ref);
    if (opts.registry) this.registry.set(key, registryImage(key));
    else this.local.set(key, { imageId: sha256(`image:${key}`) });
  }

  /** Scripts the process of the container that will be created with this name. */
  program(name: string, behavior: FakeBehavior): void {
    this.programs.set(name, behavior);
  }

  /** The running container exits now with `exitCode`. */
  exit(runtimeId: string, exitCode: number): void {
    const c = this.running(runtimeId);
    this.finish(c, exitCode, false);
  }

  /** The running container is OOM-killed now. */
  oomKill(runtimeId: string): void {
    const c = this.running(runtimeId);
    this.emit(c, { type: 'oom' });
    this.finish(c, SIGKILL_EXIT, true);
  }

  /** The running container's health check now reports `health`. */
  setHealth(runtimeId: string, health: 'healthy' | 'unhealthy'): void {
    const c = this.running(runtimeId);
    if (c.spec.healthCheck === undefined) throw new Error(`fake: ${c.spec.name} has no health check`);
    this.changeHealth(c, health);
  }

  /** Clears every timer: the simulated processes freeze. For test teardown. */
  dispose(): void {
    for (const c of this.containers.values()) this.clearTimers(c);
    for (const s of this.subscribers) s.queue.end();
    this.subscribers.clear();
  }

  // ---- Runtime ----

  ensureImage(ref: string, pullBehavior: PullBehavior, _opts?: CallOptions): Promise<EnsuredImage> {
    const key = normalizeRef(ref);
    const cached = this.local.get(key);
    const pull = (): EnsuredImage => {
      const remote = this.options.registryImages === 'any' ? registryImage(key) : this.registry.get(key);
      if (remote === undefined) {
        throw new RuntimeError(
          'CannotPullContainerError',
          `CannotPullContainerError: pull image ${ref}: repository not found or unreachable`,
        );
      }
      this.local.set(key, remote);
      this.pulledByUs.add(key);
      return { ...remote, pulled: true };
    };
    const useCached = (image: FakeImage): EnsuredImage => ({ ...image, pulled: false });
    return settle(() => {
      switch (pullBehavior) {
        case 'prefer-cached':
          return cached ? useCached(cached) : pull();
        case 'once':
          return cached && this.pulledByUs.has(key) ? useCached(cached) : pull();
        case 'always':
          return pull();
        case 'default':
          try {
            return pull();
          } catch (err) {
            if (cached) return useCached(cached);
            throw err;
          }
      }
    });
  }

  create(spec: ContainerSpec, _opts?: CallOptions): Promise<string> {
    if (this.names.has(spec.name)) {
      return Promise.reject(
        new RuntimeError(
          'CannotCreateContainerError',
          `Conflict. The container name "/${spec.name}" is already in use`,
        ),
      );
    }
    const image = this.local.get(normalizeRef(spec.image));
    if (image === undefined) {
      return Promise.reject(new RuntimeError('CannotCreateContainerError', `No such image: ${spec.image}`));
    }
    const mounts: Mount[] = [...(spec.mounts ?? [])];
    for (const from of spec.volumesFrom ?? []) {
      const source = this.containers.get(this.names.get(from.container) ?? from.container);
      if (source === undefined) {
        return Promise.reject(
          new RuntimeError('CannotCreateContainerError', `No such container: ${from.container}`),
        );
      }
      for (const m of source.mounts)
        mounts.push(from.readOnly === undefined ? m : { ...m, readOnly: from.readOnly });
    }
    for (const m of mounts) if (m.type === 'volume') this.volumes.add(m.name);
    const runtimeId = randomBytes(32).toString('hex');
    const behavior = this.programs.get(spec.name) ?? this.options.behavior?.(spec) ?? {};
    this.programs.delete(spec.name);
    this.containers.set(runtimeId, {
      runtimeId,
      spec,
      imageId: image.imageId,
      imageDigest: image.digest,
      behavior,
      createdAt: this.now(),
      status: 'created',
      exitCode: undefined,
      oomKilled: false,
      health: 'none',
      startedAt: undefined,
      finishedAt: undefined,
      error: undefined,
      bindings: [],
      mounts,
      address: (spec.networkMode ?? 'bridge') === 'bridge' ? this.nextAddress() : undefined,
      timers: new Set(),
      onExit: [],
    });
    this.names.set(spec.name, runtimeId);
    return Promise.resolve(runtimeId);
  }

  start(runtimeId: string, _opts?: CallOptions): Promise<void> {
    const c = this.containers.get(runtimeId);
    if (c === undefined) return Promise.reject(notFound(runtimeId));
    if (c.status === 'running') return Promise.resolve();
    try {
      c.bindings = this.ports.allocate(c.runtimeId, c.spec);
    } catch (err) {
      c.error = (err as Error).message;
      return settle(() => {
        throw err;
      });
    }
    c.status = 'running';
    c.exitCode = undefined;
    c.oomKilled = false;
    c.error = undefined;
    c.startedAt = this.now();
    c.finishedAt = undefined;
    this.emit(c, { type: 'start' });
    this.runBehavior(c);
    return Promise.resolve();
  }

  stop(runtimeId: string, timeoutSeconds: number, _opts?: CallOptions): Promise<void> {
    const c = this.containers.get(runtimeId);
    if (c === undefined) return Promise.reject(notFound(runtimeId));
    if (c.status !== 'running') return Promise.resolve();
    const exited = new Promise<void>((resolve) => c.onExit.push(resolve));
    const onTerm = c.behavior.onSigterm ?? { exitCode: SIGTERM_EXIT };
    if (onTerm !== 'ignore') this.after(c, onTerm.afterMs ?? 0, () => this.finish(c, onTerm.exitCode, false));
    this.after(c, Math.max(0, timeoutSeconds) * 1000, () => this.finish(c, SIGKILL_EXIT, false));
    return exited;
  }

  inspect(runtimeId: string, _opts?: CallOptions): Promise<ContainerState> {
    const c = this.containers.get(runtimeId);
    if (c === undefined) return Promise.resolve({ runtimeId, status: 'removed' });
    const state: PresentContainerState = {
      runtimeId,
      name: c.spec.name,
      image: c.spec.image,
      imageId: c.imageId,
      ...(c.imageDigest !== undefined ? { imageDigest: c.imageDigest } : {}),
      status: c.status,
      ...(c.status === 'exited' && c.exitCode !== undefined ? { exitCode: c.exitCode } : {}),
      oomKilled: c.oomKilled,
      health: c.health,
      createdAt: c.createdAt,
      ...(c.startedAt ? { startedAt: c.startedAt } : {}),
      ...(c.finishedAt ? { finishedAt: c.finishedAt } : {}),
      networkBindings: c.status === 'running' ? [...c.bindings] : [],
      ipv4Addresses: c.status === 'running' && c.address !== undefined ? [c.address] : [],
      mounts: c.mounts.map((m) => ({ ...m, readOnly: m.readOnly ?? false })),
      labels: { ...c.spec.labels },
      ...(c.error !== undefined ? { error: c.error } : {}),
    };
    return Promise.resolve(state);
  }

  remove(runtimeId: string, _opts?: CallOptions): Promise<void> {
    const c = this.containers.get(runtimeId);
    if (c === undefined) return Promise.resolve();
    if (c.status === 'running') this.finish(c, SIGKILL_EXIT, false);
    this.containers.delete(runtimeId);
    this.names.delete(c.spec.name);
    this.emit(c, { type: 'destroy' });
    return Promise.resolve();
  }

  removeVolume(name: string, _opts?: CallOptions): Promise<boolean> {
    if (!this.volumes.has(name)) return Promise.resolve(false);
    for (const c of this.containers.values()) {
      if (c.mounts.some((m) => m.type === 'volume' && m.name === name)) {
        return Promise.reject(
          new RuntimeError(
            'CannotRemoveVolumeError',
            `CannotRemoveVolumeError: remove volume ${name}: volume is in use - [${c.runtimeId}]`,
          ),
        );
      }
    }
    this.volumes.delete(name);
    return Promise.resolve(true);
  }

  list(opts: ListOptions = {}): Promise<ContainerSummary[]> {
    const out: ContainerSummary[] = [];
    for (const c of this.containers.values()) {
      const labels = c.spec.labels ?? {};
      if (!matchesLabels(labels, opts.labels)) continue;
      out.push({
        runtimeId: c.runtimeId,
        name: c.spec.name,
        image: c.spec.image,
        status: c.status,
        labels: { ...labels },
      });
    }
    return Promise.resolve(out);
  }

  events(opts: EventsOptions): Promise<AsyncIterable<RuntimeEvent>> {
    const subscriber: Subscriber = {
      labels: opts.labels,
      queue: new EventQueue<RuntimeEvent>(opts.signal, () => this.subscribers.delete(subscriber)),
    };
    if (!opts.signal.aborted) this.subscribers.add(subscriber);
    return Promise.resolve(subscriber.queue);
  }

  engineVersion(_opts?: CallOptions): Promise<string> {
    return Promise.resolve('DockerVersion: fake');
  }

  bridgeGateway(_opts?: CallOptions): Promise<string | undefined> {
    return Promise.resolve(this.options.bridgeGateway);
  }

  /** Addresses from 172.17.0.2 upwards, as Docker hands them out on its default bridge. */
  private nextAddress(): string {
    const n = 2 + this.addressesGiven++;
    return `172.17.${(n >> 8) & 255}.${n & 255}`;
  }

  stats(runtimeId: string, _opts?: CallOptions): Promise<ContainerStats> {
    const c = this.containers.get(runtimeId);
    if (c === undefined) return Promise.reject(notFound(runtimeId));
    const at = this.now();
    const end = c.status === 'running' ? at : (c.finishedAt ?? at);
    const ranMs = c.startedAt ? Math.max(0, end.getTime() - c.startedAt.getTime()) : 0;
    const limitMiB = c.spec.memoryMiB ?? this.options.hostMemoryMiB ?? 4096;
    return Promise.resolve({
      at,
      cpuTotalNanos: Math.round(ranMs * 1e6 * (c.behavior.cpuFraction ?? 0.01)),
      onlineCpus: 1,
      memoryUsageBytes: c.status === 'running' ? Math.min(c.behavior.memoryMiB ?? 4, limitMiB) * MiB : 0,
      memoryLimitBytes: limitMiB * MiB,
    });
  }

  // ---- the simulated process ----

  private runBehavior(c: FakeContainer): void {
    const b = c.behavior;
    const limit = c.spec.memoryMiB;
    if (limit !== undefined && (b.memoryMiB ?? 4) > limit) {
      this.after(c, b.oomAfterMs ?? 10, () => {
        this.emit(c, { type: 'oom' });
        this.finish(c, SIGKILL_EXIT, true);
      });
    }
    if (b.exitAfterMs !== undefined)
      this.after(c, b.exitAfterMs, () => this.finish(c, b.exitCode ?? 0, false));
    const hc = c.spec.healthCheck;
    if (hc !== undefined) {
      c.health = 'starting';
      const result = b.health ?? 'healthy';
      // Docker's timing: the first check runs one interval after start; `retries` failures in a row
      // (not counting those inside the start period) make it unhealthy.
      const intervalMs = (hc.intervalSeconds ?? 30) * 1000;
      const ms =
        result === 'healthy'
          ? intervalMs
          : Math.max(intervalMs * (hc.retries ?? 3), (hc.startPeriodSeconds ?? 0) * 1000 + intervalMs);
      this.after(c, ms, () => this.changeHealth(c, result));
    }
  }

  private changeHealth(c: FakeContainer, health: 'healthy' | 'unhealthy'): void {
    if (c.health === health) return;
    c.health = health;
    this.emit(c, { type: 'health_status', health });
  }

  private finish(c: FakeContainer, exitCode: number, oomKilled: boolean): void {
    if (c.status !== 'running') return;
    this.clearTimers(c);
    c.status = 'exited';
    c.exitCode = exitCode;
    c.oomKilled = oomKilled;
    c.finishedAt = this.now();
    this.ports.release(c.bindings);
    this.emit(c, { type: 'die', exitCode });
    const waiters = c.onExit;
    c.onExit = [];
    for (const resolve of waiters) resolve();
  }

  private after(c: FakeContainer, ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      c.timers.delete(timer);
      fn();
    }, ms);
    c.timers.add(timer);
  }

  private clearTimers(c: FakeContainer): void {
    for (const timer of c.timers) clearTimeout(timer);
    c.timers.clear();
  }

  private running(runtimeId: string): FakeContainer {
    const c = this.containers.get(runtimeId);
    if (c?.status !== 'running') throw new Error(`fake: container ${runtimeId} is not running`);
    return c;
  }

  private emit(c: FakeContainer, event: DistributiveOmit<RuntimeEvent, keyof EventBaseFields>): void {
    if (this.subscribers.size === 0) return;
    const labels = c.spec.labels ?? {};
    const full = {
      ...event,
      runtimeId: c.runtimeId,
      name: c.spec.name,
      labels,
      at: this.now(),
    } as RuntimeEvent;
    for (const s of this.subscribers) if (matchesLabels(labels, s.labels)) s.queue.push(full);
  }
}

interface EventBaseFields {
  runtimeId: string;
  name: string;
  labels: unknown;
  at: Date;
}
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** The value of `fn`, or its exception, as a promise. */
function settle<T>(fn: () => T): Promise<T> {
  return new Promise<T>((resolve) => resolve(fn()));
}

function notFound(runtimeId: string): RuntimeError {
  return new RuntimeError('ContainerNotFoundError', `No such container: ${runtimeId}`);
}
