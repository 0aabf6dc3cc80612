import { Pool } from 'undici';
import type { Endpoint } from '../types.js';

/**
 * Keep-alive connections to targets: one undici Pool per target origin, shared by every HTTP
 * listener, so a target reached by several rules or listeners reuses its connections. The driver
 * prunes the pools of targets that left the model; closing a Pool lets its in-flight requests end.
 */
export class Upstreams {
  readonly #pools = new Map<string, Pool>();
  readonly #idleTimeoutMs: number;

  constructor(idleTimeoutMs: number) {
    this.#idleTimeoutMs = idleTimeoutMs;
  }

  pool(endpoint: Endpoint, protocol: 'http' | 'https'): Pool {
    const origin = originOf(endpoint, protocol);
    let pool = this.#pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, {
        // ELB's idle timeout: a target that sends nothing for this long is answered 504.
        headersTimeout: this.#idleTimeoutMs,
        bodyTimeout: this.#idleTimeoutMs,
        // ELB gives a target 10 s to accept a connection.
        connectTimeout: Math.min(10_000, this.#idleTimeoutMs),
        // ELB does not validate targets' certificates (they are usually self-signed).
        connect: protocol === 'https' ? { rejectUnauthorized: false } : {},
      });
      this.#pools.set(origin, pool);
    }
    return pool;
  }

  /** Closes the pools of origins no longer in use (their in-flight requests finish first). */
  async retain(inUse: ReadonlySet<string>): Promise<void> {
    const gone = [...this.#pools].filter(([origin]) => !inUse.has(origin));
    for (const [origin] of gone) this.#pools.delete(origin);
    await Promise.all(gone.map(([, pool]) => pool.close()));
  }

  async close(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((pool) => pool.destroy()));
  }
}

export function originOf(
  target: { readonly address: string; readonly port: number },
  protocol: 'http' | 'https',
): string {
  return `${protocol}://${target.address}:${target.port}`;
}
