import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { TaskSnapshot } from '../engine/known-task.js';
import { runtimeContainerName, type TaskSpec } from '../engine/task-spec.js';
import type { ContainerStats, PresentContainerState, Runtime } from '../runtime/runtime.js';
import {
  containerResponse,
  dockerStats,
  taskResponse,
  taskWithTagsResponse,
  type MetadataTask,
} from './metadata-shapes.js';
import type { TagSource } from './metadata-tags.js';
import { containerToken, loadEndpointState, saveEndpointState } from './metadata-token.js';

/**
 * The task metadata endpoint v4 (docs/agent-design.md item 5): an HTTP server the agent runs so a
 * container can read its task's metadata and stats at `ECS_CONTAINER_METADATA_URI_V4`
 * (`http://<address>:<port>/v4/<token>`; the v3 variable `ECS_CONTAINER_METADATA_URI` points at
 * `/v3/<token>` on the same server, with the same answers). Routes under the token: `` (the
 * container), `/task`, `/taskWithTags`, `/stats`, `/task/stats`.
 *
 * It listens on 127.0.0.1, which `host` containers share with the agent, and on the Docker bridge's
 * gateway, the host's address as `bridge` containers see it — the same port on both, so one URL
 * shape serves both modes. `none` containers have no route to either and get no variable. The
 * token names the (task, container) and is derived, not stored (metadata-token.ts), so URLs stay
 * valid across agent restarts; the port is kept in the data dir for the same reason.
 */

/** What the endpoint reads of the engine: every task it runs, with its spec. */
export interface MetadataSource {
  described(): readonly { readonly spec: TaskSpec; readonly snapshot: TaskSnapshot }[];
}

export interface MetadataEndpointOptions {
  readonly source: MetadataSource;
  readonly runtime: Runtime;
  readonly tags: TagSource;
  readonly dataDir: string;
  /** 0: the port this data dir used last (so existing URLs keep working), else any free one. */
  readonly port: number;
  readonly availabilityZone: string;
  readonly log: Logger;
  /** The agent's lifetime: aborting it stops a start in progress (close() still closes the servers). */
  readonly signal?: AbortSignal;
}

export interface MetadataEndpoint {
  /** Settles once listening, or once the endpoint has given up (then no variables are set). Never rejects. */
  readonly ready: Promise<void>;
  /** The variables for one container of a task (empty when its network mode cannot reach the endpoint). */
  environment(task: TaskSpec, containerName: string): Record<string, string>;
  /** Where the endpoint listens, once ready: the port and the addresses. */
  listening(): { readonly port: number; readonly addresses: readonly string[] } | undefined;
  close(): Promise<void>;
}

const LOOPBACK = '127.0.0.1';
/** Bound on the runtime and control-plane calls one request makes. */
const REQUEST_DEADLINE_MS = 5_000;
const ROUTE = /^\/v[34]\/([0-9a-f]{40})(\/task|\/taskWithTags|\/stats|\/task\/stats)?\/?$/;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function startMetadataEndpoint(options: MetadataEndpointOptions): MetadataEndpoint {
  const { runtime, log } = options;
  const state = loadEndpointState(options.dataDir);
  const closer = new AbortController();
  const closing = {
    signal: options.signal ? AbortSignal.any([options.signal, closer.signal]) : closer.signal,
  };
  const servers: Server[] = [];
  let bound: { port: number; bridge: string | undefined } | undefined;
  /** token → (task, container), filled from the engine's tasks on a miss. */
  const tokens = new Map<string, { taskArn: string; container: string }>();
  /** The last stats sample per runtime id: the `pre*` fields of the next answer. */
  const samples = new Map<string, ContainerStats>();

  const find = (token: string): { task: { spec: TaskSpec; snapshot: TaskSnapshot }; container: string } => {
    const lookup = (): ReturnType<typeof find> | undefined => {
      const known = tokens.get(token);
      const task = known && options.source.described().find((t) => t.spec.taskArn === known.taskArn);
      return known && task ? { task, container: known.container } : undefined;
    };
    const hit = lookup();
    if (hit !== undefined) return hit;
    tokens.clear(); // rebuilt from the tasks the engine has now: ended tasks drop out
    for (const { spec } of options.source.described()) {
      for (const c of spec.containers) {
        tokens.set(containerToken(state.secret, spec.taskArn, c.name), {
          taskArn: spec.taskArn,
          container: c.name,
        });
      }
    }
    const found = lookup();
    if (found === undefined) throw new HttpError(404, `no task metadata for token ${token}`);
    return found;
  };

  /** The task with what the runtime says of each created container (one that cannot be inspected is left out). */
  const inspect = async (
    task: { spec: TaskSpec; snapshot: TaskSnapshot },
    only: string | undefined,
    signal: AbortSignal,
  ): Promise<MetadataTask> => {
    const inspected = new Map<string, PresentContainerState>();
    await Promise.all(
      task.snapshot.containers
        .filter((c) => c.runtimeId !== undefined && (only === undefined || c.containerName === only))
        .map(async (c) => {
          const s = await runtime.inspect(c.runtimeId ?? '', { signal }).catch(() => undefined);
          if (s !== undefined && s.status !== 'removed') inspected.set(c.containerName, s);
        }),
    );
    return { ...task, inspected };
  };

  const statsOf = async (runtimeId: string, dockerName: string, signal: AbortSignal): Promise<unknown> => {
    const sample = await runtime.stats(runtimeId, { signal });
    const previous = samples.get(runtimeId);
    samples.set(runtimeId, sample);
    // Forget samples of containers the engine no longer has, so the map stays as small as the host.
    const live = new Set(
      options.source.described().flatMap((t) => t.snapshot.containers.map((c) => c.runtimeId)),
    );
    for (const id of samples.keys()) if (!live.has(id)) samples.delete(id);
    return dockerStats(sample, previous, { dockerId: runtimeId, dockerName });
  };

  async function answer(path: string, signal: AbortSignal): Promise<unknown> {
    const match = ROUTE.exec(path);
    if (match?.[1] === undefined) throw new HttpError(404, `no such metadata path: ${path}`);
    const { task, container } = find(match[1]);
    const host = { availabilityZone: options.availabilityZone };
    const view = task.snapshot.containers.find((c) => c.containerName === container);
    switch (match[2]) {
      case undefined: {
        const body = containerResponse(await inspect(task, container, signal), container);
        if (body === undefined) throw new HttpError(404, `container ${container} has not been created`);
        return body;
      }
      case '/task':
        return taskResponse(await inspect(task, undefined, signal), host);
      case '/taskWithTags': {
        const [body, taskTags, instanceTags] = await Promise.all([
          inspect(task, undefined, signal).then((t) => taskResponse(t, host)),
          options.tags.task(task.spec.cluster, task.spec.taskArn, signal),
          options.tags.containerInstance(signal),
        ]);
        return taskWithTagsResponse(body, taskTags, instanceTags);
      }
      case '/stats': {
        if (view?.runtimeId === undefined)
          throw new HttpError(404, `container ${container} has not been created`);
        return statsOf(view.runtimeId, runtimeContainerName(task.spec, container), signal);
      }
      case '/task/stats': {
        // Keyed by Docker id, as ECS does; a container that is not running has no stats (null).
        const entries = await Promise.all(
          task.snapshot.containers
            .filter((c) => c.runtimeId !== undefined)
            .map(async (c) => {
              const id = c.runtimeId ?? '';
              const stats =
                c.lastStatus === 'RUNNING'
                  ? await statsOf(id, runtimeContainerName(task.spec, c.containerName), signal).catch(
                      () => null,
                    )
                  : null;
              return [id, stats] as const;
            }),
        );
        return Object.fromEntries(entries);
      }
      default:
        throw new HttpError(404, `no such metadata path: ${path}`);
    }
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const send = (status: number, body: unknown): void => {
      const text = JSON.stringify(body);
      res.writeHead(status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text),
      });
      res.end(req.method === 'HEAD' ? undefined : text);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(405, `method ${req.method ?? ''} not allowed`);
      return;
    }
    const path = new URL(req.url ?? '/', 'http://metadata').pathname;
    const signal = AbortSignal.any([closing.signal, AbortSignal.timeout(REQUEST_DEADLINE_MS)]);
    answer(path, signal).then(
      (body) => send(200, body),
      (err: unknown) => {
        // Errors are a JSON string, as the ECS agent writes them.
        if (err instanceof HttpError) send(err.status, err.message);
        else {
          log.warn({ err, path }, 'task metadata request failed');
          send(500, `task metadata unavailable: ${err instanceof Error ? err.message : String(err)}`);
        }
      },
    );
  }

  const listenOn = (address: string, port: number): Promise<Server> =>
    new Promise((resolve, reject) => {
      const server = createServer(handle);
      server.once('error', reject);
      server.listen(port, address, () => {
        server.off('error', reject);
        resolve(server);
      });
    });

  const closeAll = async (): Promise<void> => {
    const open = servers.splice(0);
    await Promise.all(
      open.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.close(() => resolve());
            s.closeAllConnections();
          }),
      ),
    );
  };

  async function start(): Promise<void> {
    const bridge = await runtime.bridgeGateway({ signal: closing.signal }).catch((err: unknown) => {
      log.warn({ err }, 'task metadata endpoint: no bridge gateway; bridge containers will not reach it');
      return undefined;
    });
    const fixed = options.port !== 0;
    // The configured port, else the one this data dir used last (URLs in running containers), else any.
    let port = fixed ? options.port : (state.port ?? 0);
    for (let attempt = 0; attempt < 5 && !closing.signal.aborted; attempt++) {
      try {
        const loopback = await listenOn(LOOPBACK, port);
        servers.push(loopback);
        const address = loopback.address();
        const chosen = typeof address === 'object' && address !== null ? address.port : port;
        let onBridge: string | undefined;
        if (bridge !== undefined) {
          try {
            servers.push(await listenOn(bridge, chosen));
            onBridge = bridge;
          } catch (err) {
            // Taken there only: a free port may pair up, unless the port is fixed by config.
            if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE' && !fixed) throw err;
            log.warn({ err, address: bridge }, 'task metadata endpoint: cannot listen on the bridge gateway');
          }
        }
        bound = { port: chosen, bridge: onBridge };
        if (state.port !== chosen) saveEndpointState(options.dataDir, { ...state, port: chosen });
        log.info({ port: chosen, bridge: onBridge }, 'task metadata endpoint listening');
        return;
      } catch (err) {
        await closeAll();
        if (fixed) {
          log.error({ err, port }, 'task metadata endpoint cannot listen on its configured port');
          return;
        }
        log.warn({ err, port }, 'task metadata endpoint: port unavailable, trying another');
        port = 0;
      }
    }
    log.error('task metadata endpoint could not listen; containers get no ECS_CONTAINER_METADATA_URI_V4');
  }

  const ready = start().catch((err: unknown) => {
    log.error({ err }, 'task metadata endpoint failed to start');
  });

  return {
    ready,
    environment(task, containerName) {
      if (bound === undefined) return {};
      const mode = task.networkMode ?? 'bridge';
      const address = mode === 'host' ? LOOPBACK : mode === 'bridge' ? bound.bridge : undefined;
      if (address === undefined) return {};
      const base = `http://${address}:${bound.port}`;
      const token = containerToken(state.secret, task.taskArn, containerName);
      return {
        ECS_CONTAINER_METADATA_URI_V4: `${base}/v4/${token}`,
        ECS_CONTAINER_METADATA_URI: `${base}/v3/${token}`,
      };
    },
    listening() {
      if (bound === undefined) return undefined;
      return {
        port: bound.port,
        addresses: [LOOPBACK, ...(bound.bridge !== undefined ? [bound.bridge] : [])],
      };
    },
    async close() {
      closer.abort();
      await ready;
      await closeAll();
      bound = undefined;
    },
  };
}
