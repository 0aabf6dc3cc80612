import type { Server } from 'node:net';
import type { Logger } from 'pino';
import type { Scheme } from '../../core/elbv2/types.js';
import type { ConnectionMetrics, PoolLookup } from '../types.js';

/** What a network listener needs from the driver. */
export interface StreamDeps {
  readonly pools: PoolLookup;
  readonly metrics: ConnectionMetrics;
  readonly log?: Pick<Logger, 'warn' | 'debug'>;
  /** Closes a TCP/TLS connection idle this long in both directions (NLB: 350 s). */
  readonly tcpIdleTimeoutMs?: number;
  /** Forgets a UDP flow idle this long (NLB: 120 s). */
  readonly udpIdleTimeoutMs?: number;
}

/** `internal` load balancers answer on loopback only; `internet-facing` ones on every interface. */
export function bindAddress(scheme: Scheme): string {
  return scheme === 'internal' ? '127.0.0.1' : '0.0.0.0';
}

/** Binds, rejecting with Node's error (its `code`, e.g. `EADDRINUSE`, tells the driver's fault). */
export function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
