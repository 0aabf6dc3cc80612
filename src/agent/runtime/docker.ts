import Docker from 'dockerode';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import {
  countersOf,
  fromInspect,
  gatewayOf,
  normalizeRef,
  readEvents,
  repoDigest,
  statusFromDocker,
  toCreateOptions,
} from './docker-mapping.js';
import { labelFilters } from './labels.js';
import {
  RuntimeError,
  type CallOptions,
  type ContainerSpec,
  type ContainerState,
  type ContainerStats,
  type ContainerSummary,
  type EnsuredImage,
  type EventsOptions,
  type ListOptions,
  type PullBehavior,
  type Runtime,
  type RuntimeErrorCode,
  type RuntimeEvent,
} from './runtime.js';

/**
 * The Runtime over a Docker Engine, through dockerode, pinned to Engine API v1.41 (Docker 20.10,
 * what the hosts we support speak; newer engines still serve it). The mapping from ContainerSpec to
 * Docker's container config is `toCreateOptions` — exact, so an ECS task definition means on Berth
 * what it means on ECS (the ECS agent's own mapping is the reference).
 */

export const DOCKER_API_VERSION = 'v1.41';
export { gatewayOf, toCreateOptions } from './docker-mapping.js';

export interface DockerRuntimeOptions {
  /** A dockerode client; default: the local socket (or DOCKER_HOST) at API v1.41. */
  readonly docker?: Docker;
  /** Deadline of ordinary calls, ms; default 30 s. */
  readonly callTimeoutMs?: number;
  /** Deadline of an image pull, ms; default 10 min. */
  readonly pullTimeoutMs?: number;
  /** Grace beyond a stop's own timeout before the call is abandoned, ms; default 30 s. */
  readonly stopGraceMs?: number;
  /**
   * How long an image found present counts as present for `prefer-cached` and `once` without
   * asking Docker again, ms; default 5 s (0: ask every time). Starts of the same image in a burst
   * skip a round trip; an image removed meanwhile fails the create (as it would between the check
   * and the create anyway), and the next start checks again.
   */
  readonly imagePresentForMs?: number;
}

/** What dockerode's errors carry. */
interface DockerodeError extends Error {
  statusCode?: number;
  json?: { message?: string } | null;
  reason?: string;
}

export class DockerRuntime implements Runtime {
  readonly kind = 'docker';
  private readonly docker: Docker;
  private readonly callTimeoutMs: number;
  private readonly pullTimeoutMs: number;
  private readonly stopGraceMs: number;
  /** Refs this runtime pulled (the `once` pull behaviour); lost on restart, which only costs a pull. */
  private readonly pulledByUs = new Set<string>();
  /** imageId → registry digest; image ids are content addresses, so entries never go stale. */
  private readonly digests = new Map<string, string | undefined>();
  /** Normalized ref → the image found (inspected or pulled) and when (ms since start). */
  private readonly present = new Map<string, { image: Omit<EnsuredImage, 'pulled'>; at: number }>();
  private readonly imagePresentForMs: number;

  constructor(options: DockerRuntimeOptions = {}) {
    this.docker = options.docker ?? new Docker({ version: DOCKER_API_VERSION });
    this.callTimeoutMs = options.callTimeoutMs ?? 30_000;
    this.pullTimeoutMs = options.pullTimeoutMs ?? 600_000;
    this.stopGraceMs = options.stopGraceMs ?? 30_000;
    this.imagePresentForMs = options.imagePresentForMs ?? 5_000;
  }

  async ensureImage(ref: string, pullBehavior: PullBehavior, opts: CallOptions = {}): Promise<EnsuredImage> {
    const key = normalizeRef(ref);
    const seen = this.present.get(key);
    const fresh = seen !== undefined && performance.now() - seen.at < this.imagePresentForMs;
    if (fresh && (pullBehavior === 'prefer-cached' || (pullBehavior === 'once' && this.pulledByUs.has(key))))
      return { ...seen.image, pulled: false };
    const cached = await this.inspectImage(key, opts);
    this.remember(key, cached);
    const pull = async (): Promise<EnsuredImage> => {
      await this.pull(key, opts);
      const image = await this.inspectImage(key, opts);
      this.remember(key, image);
      if (image === undefined)
        throw new RuntimeError('CannotPullContainerError', `pulled ${ref} but it is not present`);
      this.pulledByUs.add(key);
      return { ...image, pulled: true };
    };
    switch (pullBehavior) {
      case 'prefer-cached':
        return cached ? { ...cached, pulled: false } : pull();
      case 'once':
        return cached && this.pulledByUs.has(key) ? { ...cached, pulled: false } : pull();
      case 'always':
        return pull();
      case 'default':
        try {
          return await pull();
        } catch (err) {
          // ECS: a failed pull falls back to the cached image, so offline hosts keep running.
          if (cached && !opts.signal?.aborted) return { ...cached, pulled: false };
          throw err;
        }
    }
  }

  async create(spec: ContainerSpec, opts: CallOptions = {}): Promise<string> {
    const signal = this.deadline(opts, this.callTimeoutMs);
    try {
      const container = await this.docker.createContainer({ ...toCreateOptions(spec), abortSignal: signal });
      return container.id;
    } catch (err) {
      if (statusOf(err) === 404) this.present.delete(normalizeRef(spec.image)); // check it again next time
      throw this.translate(err, 'CannotCreateContainerError', `create ${spec.name}`, signal);
    }
  }

  async start(runtimeId: string, opts: CallOptions = {}): Promise<void> {
    const signal = this.deadline(opts, this.callTimeoutMs);
    try {
      await this.docker.getContainer(runtimeId).start({ abortSignal: signal });
    } catch (err) {
      if (statusOf(err) === 304) return; // already started
      throw this.translate(err, 'CannotStartContainerError', `start ${runtimeId}`, signal);
    }
  }

  async stop(runtimeId: string, timeoutSeconds: number, opts: CallOptions = {}): Promise<void> {
    const t = Math.max(0, Math.ceil(timeoutSeconds));
    const signal = this.deadline(opts, t * 1000 + this.stopGraceMs);
    try {
      // Docker sends the stop signal (SIGTERM), waits t seconds, then SIGKILLs; it answers once exited.
      await this.docker.getContainer(runtimeId).stop({ t, abortSignal: signal });
    } catch (err) {
      if (statusOf(err) === 304) return; // not running
      throw this.translate(err, 'CannotStopContainerError', `stop ${runtimeId}`, signal);
    }
  }

  async inspect(runtimeId: string, opts: CallOptions = {}): Promise<ContainerState> {
    const signal = this.deadline(opts, this.callTimeoutMs);
    let info: Docker.ContainerInspectInfo;
    try {
      info = await this.docker.getContainer(runtimeId).inspect({ abortSignal: signal });
    } catch (err) {
      if (statusOf(err) === 404) return { runtimeId, status: 'removed' };
      throw this.translate(err, 'CannotInspectContainerError', `inspect ${runtimeId}`, signal);
    }
    const imageDigest = await this.digestOf(info.Image, opts);
    return fromInspect(info, imageDigest);
  }

  async remove(runtimeId: string, opts: CallOptions = {}): Promise<void> {
    const signal = this.deadline(opts, this.callTimeoutMs);
    try {
      await this.docker.getContainer(runtimeId).remove({ force: true, v: true, abortSignal: signal });
    } catch (err) {
      const status = statusOf(err);
      if (status === 404) return;
      if (status === 409 && /already in progress/i.test(messageOf(err))) return;
      throw this.translate(err, 'CannotRemoveContainerError', `remove ${runtimeId}`, signal);
    }
  }

  async removeVolume(name: string, opts: CallOptions = {}): Promise<boolean> {
    const signal = this.deadline(opts, this.callTimeoutMs);
    try {
      await this.docker.getVolume(name).remove({ abortSignal: signal });
      return true;
    } catch (err) {
      if (statusOf(err) === 404) return false;
      throw this.translate(err, 'CannotRemoveVolumeError', `remove volume ${name}`, signal);
    }
  }

  async list(opts: ListOptions = {}): Promise<ContainerSummary[]> {
    const signal = this.deadline(opts, this.callTimeoutMs);
    try {
      const label = labelFilters(opts.labels);
      const infos = await this.docker.listContainers({
        all: true,
        ...(label.length > 0 ? { filters: { label } } : {}),
        abortSignal: signal,
      });
      return infos.map((info) => ({
        runtimeId: info.Id,
        name: (info.Names[0] ?? '').replace(/^\//, ''),
        image: info.Image,
        status: statusFromDocker(info.State),
        labels: { ...info.Labels },
      }));
    } catch (err) {
      throw this.translate(err, 'CannotListContainersError', 'list containers', signal);
    }
  }

  async events(opts: EventsOptions): Promise<AsyncIterable<RuntimeEvent>> {
    const label = labelFilters(opts.labels);
    // The subscription lives as long as the caller's signal: no deadline of ours once it answers.
    const connect = this.deadline({ signal: opts.signal }, this.callTimeoutMs);
    const stream = (await this.docker
      .getEvents({
        filters: { type: ['container'], ...(label.length > 0 ? { label } : {}) },
        abortSignal: opts.signal,
      } as Docker.GetEventsOptions)
      .catch((err: unknown) => {
        throw this.translate(err, 'CannotListContainersError', 'subscribe to events', connect);
      })) as Readable;
    return readEvents(stream, opts.signal);
  }

  async stats(runtimeId: string, opts: CallOptions = {}): Promise<ContainerStats> {
    const signal = this.deadline(opts, this.callTimeoutMs);
    try {
      const s = await this.docker
        .getContainer(runtimeId)
        .stats({ stream: false, 'one-shot': true, abortSignal: signal } as { stream: false });
      return {
        at: new Date(s.read),
        cpuTotalNanos: s.cpu_stats.cpu_usage.total_usage,
        ...(s.cpu_stats.system_cpu_usage ? { systemCpuNanos: s.cpu_stats.system_cpu_usage } : {}),
        onlineCpus: s.cpu_stats.online_cpus || 1,
        memoryUsageBytes: s.memory_stats.usage ?? 0,
        memoryLimitBytes: s.memory_stats.limit ?? 0,
        ...(s.pids_stats?.current !== undefined ? { pids: s.pids_stats.current } : {}),
        // Absent for containers without a network namespace of their own (`host`, `none`).
        ...(s.networks ? { networks: countersOf(s.networks) } : {}),
      };
    } catch (err) {
      throw this.translate(err, 'CannotCollectStatsError', `stats ${runtimeId}`, signal);
    }
  }

  async engineVersion(opts: CallOptions = {}): Promise<string> {
    const signal = this.deadline(opts, this.callTimeoutMs);
    try {
      // dockerode's version() takes no signal: race it against the deadline instead.
      const version = await raceSignal(this.docker.version(), signal);
      return `DockerVersion: ${version.Version}`;
    } catch (err) {
      throw this.translate(err, 'CannotListContainersError', 'read the engine version', signal);
    }
  }

  async bridgeGateway(opts: CallOptions = {}): Promise<string | undefined> {
    const signal = this.deadline(opts, this.callTimeoutMs);
    let info: { IPAM?: { Config?: { Subnet?: string; Gateway?: string }[] } };
    try {
      // dockerode's network inspect takes no signal: race it against the deadline instead.
      info = (await raceSignal(this.docker.getNetwork('bridge').inspect(), signal)) as typeof info;
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw this.translate(err, 'CannotListContainersError', 'inspect the bridge network', signal);
    }
    return gatewayOf(info.IPAM?.Config ?? []);
  }

  // ---- helpers ----

  private remember(key: string, image: Omit<EnsuredImage, 'pulled'> | undefined): void {
    if (image === undefined) this.present.delete(key);
    else if (this.imagePresentForMs > 0) this.present.set(key, { image, at: performance.now() });
  }

  private async pull(ref: string, opts: CallOptions): Promise<void> {
    const signal = this.deadline(opts, this.pullTimeoutMs);
    try {
      const stream = (await this.docker.pull(ref, { abortSignal: signal })) as Readable;
      // Errors after the 200 arrive inside the progress stream.
      await new Promise<void>((resolve, reject) => {
        this.docker.modem.followProgress(stream, (err: Error | null, output: { error?: string }[]) => {
          const failed = output.find((line) => line.error !== undefined);
          if (err) reject(err);
          else if (failed) reject(new Error(failed.error));
          else resolve();
        });
      });
    } catch (err) {
      throw this.translate(err, 'CannotPullContainerError', `pull image ${ref}`, signal);
    }
  }

  private async inspectImage(
    ref: string,
    opts: CallOptions,
  ): Promise<Omit<EnsuredImage, 'pulled'> | undefined> {
    const signal = this.deadline(opts, this.callTimeoutMs);
    try {
      // dockerode's image inspect takes no signal: race it against the deadline instead.
      const info = await raceSignal(this.docker.getImage(ref).inspect(), signal);
      const digest = repoDigest(info.RepoDigests);
      this.digests.set(info.Id, digest);
      return { imageId: info.Id, ...(digest !== undefined ? { digest } : {}) };
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw this.translate(err, 'CannotPullContainerError', `inspect image ${ref}`, signal);
    }
  }

  private async digestOf(imageId: string, opts: CallOptions): Promise<string | undefined> {
    if (this.digests.has(imageId)) return this.digests.get(imageId);
    try {
      return (await this.inspectImage(imageId, opts))?.digest;
    } catch {
      return undefined; // the digest is informative; a failed look-up must not fail inspect
    }
  }

  /** The caller's signal combined with our deadline. */
  private deadline(opts: CallOptions, ms: number): AbortSignal {
    const timeout = AbortSignal.timeout(ms);
    return opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  }

  private translate(err: unknown, code: RuntimeErrorCode, what: string, signal: AbortSignal): Error {
    if (signal.aborted) {
      const reason: unknown = signal.reason;
      if (reason instanceof DOMException && reason.name === 'TimeoutError') {
        return new RuntimeError('RuntimeTimeoutError', `${what}: Docker did not answer in time`, {
          cause: err,
        });
      }
      return reason instanceof Error ? reason : new Error(`${what}: aborted`, { cause: err });
    }
    if (
      statusOf(err) === 404 &&
      code !== 'CannotPullContainerError' &&
      code !== 'CannotCreateContainerError'
    ) {
      return new RuntimeError('ContainerNotFoundError', `${what}: ${messageOf(err)}`, { cause: err });
    }
    return new RuntimeError(code, `${code}: ${what}: ${messageOf(err)}`, { cause: err });
  }
}

/** Settles with `promise`, or rejects with the signal's reason when it aborts first. */
function raceSignal<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

function statusOf(err: unknown): number | undefined {
  return (err as DockerodeError | undefined)?.statusCode;
}

function messageOf(err: unknown): string {
  const e = err as DockerodeError | undefined;
  return e?.json?.message ?? e?.reason ?? e?.message ?? String(err);
}
