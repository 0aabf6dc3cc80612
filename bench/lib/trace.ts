import { subscribe } from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';

/**
 * A timeline of the HTTP traffic of one process, from Node's built-in `diagnostics_channel`s, with
 * no change to the code under test: every request the process serves (the ECS API: RunTask, the
 * agent's Poll, SubmitContainerStateChange, …) and every request it makes over `node:http` (the
 * agent's AWS SDK calls, and dockerode's calls to the Docker socket), each as a start and an end.
 *
 * Times are epoch milliseconds with sub-millisecond resolution (`performance.timeOrigin +
 * performance.now()`), comparable with the same clock in another process on the machine to within
 * the error of each process's time origin (well under a millisecond). Ends: a served request ends
 * when its response is written; a client request ends when its response *headers* arrive (Node's
 * `http.client.response.finish`), which for Docker's create, start, stop and inspect is when the
 * daemon has done the work.
 */
export interface TraceEvent {
  readonly at: number;
  /** `served` by this process, or `sent` by it. */
  readonly side: 'served' | 'sent';
  readonly edge: 'start' | 'end';
  /** `RunTask`, `Poll`, … (the X-Amz-Target operation), or `docker POST containers/:id/start`. */
  readonly what: string;
  /** Pairs a start with its end. */
  readonly id: number;
}

export const epochNow = (): number => performance.timeOrigin + performance.now();

/** `/v1.41/containers/<64 hex>/start?x=y` → `containers/:id/start`; images by reference → `images/:ref/json`. */
export function dockerPath(method: string, path: string): string {
  const bare = path
    .replace(/\?.*$/, '')
    .replace(/^\/v[\d.]+\//, '')
    .replace(/^\//, '')
    .replace(/containers\/[0-9a-f]{64}/, 'containers/:id')
    .replace(/^images\/.+\/json$/, 'images/:ref/json');
  return `docker ${method} ${bare}`;
}

/** The operation an `X-Amz-Target` names (`RunTask`, `Poll`, …); `HTTP` without one. */
export function operationOf(target: unknown): string {
  const text = Array.isArray(target) ? String(target[0]) : typeof target === 'string' ? target : '';
  return text === '' ? 'HTTP' : text.slice(text.lastIndexOf('.') + 1);
}

export class HttpTrace {
  private events: TraceEvent[] = [];
  private readonly ids = new WeakMap<object, number>();
  private next = 0;

  /** Subscribes to the channels; recording runs for the life of the process. */
  constructor() {
    subscribe('http.server.request.start', (message) => {
      const { request } = message as { request: IncomingMessage };
      this.record('served', 'start', operationOf(request.headers['x-amz-target']), request);
    });
    subscribe('http.server.response.finish', (message) => {
      const { request } = message as { request: IncomingMessage };
      this.record('served', 'end', operationOf(request.headers['x-amz-target']), request);
    });
    subscribe('http.client.request.start', (message) => {
      const { request } = message as { request: ClientRequest };
      this.record('sent', 'start', this.sentName(request), request);
    });
    subscribe('http.client.response.finish', (message) => {
      const { request } = message as { request: ClientRequest };
      this.record('sent', 'end', this.sentName(request), request);
    });
  }

  /** The events since the last call. */
  drain(): TraceEvent[] {
    const out = this.events;
    this.events = [];
    return out;
  }

  private sentName(request: ClientRequest): string {
    const target = request.getHeader('x-amz-target');
    if (target !== undefined) return `agent ${operationOf(target)}`;
    return dockerPath(request.method, request.path);
  }

  private record(side: TraceEvent['side'], edge: TraceEvent['edge'], what: string, key: object): void {
    const at = epochNow();
    let id = this.ids.get(key);
    if (id === undefined) this.ids.set(key, (id = this.next++));
    this.events.push({ at, side, edge, what, id });
  }
}
