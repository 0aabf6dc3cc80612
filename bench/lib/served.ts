import { subscribe } from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import { operationOf } from './trace.js';

/**
 * Counts the requests this process serves, per operation (`RunTask`, `Poll`,
 * `SubmitContainerStateChange`, …), from Node's `http.server.request.start` channel: no change to
 * the code under test. `drain()` answers the counts since the last call.
 */
export class ServedRequests {
  private counts = new Map<string, number>();

  constructor() {
    subscribe('http.server.request.start', (message) => {
      const { request } = message as { request: IncomingMessage };
      const operation = operationOf(request.headers['x-amz-target']);
      this.counts.set(operation, (this.counts.get(operation) ?? 0) + 1);
    });
  }

  drain(): Record<string, number> {
    const out = Object.fromEntries(this.counts);
    this.counts = new Map();
    return out;
  }
}
