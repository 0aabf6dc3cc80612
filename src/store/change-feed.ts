import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * Wake-ups between control-plane replicas that share one PostgreSQL store: a replica that changes
 * what an instance must run publishes the instance's ARN, and every other replica holding that
 * agent's long poll wakes it at once (PostgreSQL `LISTEN`/`NOTIFY` on one channel; a notification
 * is delivered after its transaction commits, and only to sessions listening then).
 *
 * A notification is a hint, never the state: the woken poll re-reads the store. So losing one is
 * harmless beyond latency (the poll still answers when its wait runs out), and after the listening
 * connection is lost and re-made, `onChange('*')` wakes every waiter to cover what was missed.
 */
export interface ChangeFeed {
  /** Tells the other replicas that `key` changed. Never rejects (a lost hint costs only latency). */
  publish(key: string): Promise<void>;
  /** `key` is what another replica published, or `*` when notifications may have been missed. */
  onChange(handler: (key: string) => void): void;
  close(): Promise<void>;
}

const CHANNEL = 'berth_instance_changed';
const RECONNECT_MS = { first: 250, max: 10_000 };

export async function openPostgresChangeFeed(url: string): Promise<ChangeFeed> {
  /** This replica's notifications come back to it too; the origin tag lets it skip its own. */
  const origin = randomBytes(6).toString('hex');
  const handlers: ((key: string) => void)[] = [];
  const emit = (key: string): void => {
    for (const handler of handlers) handler(key);
  };
  let client: pg.Client | undefined;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;

  const connect = async (): Promise<void> => {
    const next = new pg.Client({ connectionString: url });
    next.on('notification', (message) => {
      const payload = message.payload ?? '';
      const space = payload.indexOf(' ');
      if (space < 0 || payload.slice(0, space) === origin) return;
      emit(payload.slice(space + 1));
    });
    next.on('error', () => reconnect(RECONNECT_MS.first));
    await next.connect();
    await next.query(`LISTEN ${CHANNEL}`);
    client = next;
  };

  const reconnect = (delay: number): void => {
    const lost = client;
    client = undefined;
    lost?.end().catch(() => undefined);
    if (closed || retry !== undefined) return;
    retry = setTimeout(() => {
      retry = undefined;
      connect()
        .then(() => emit('*'))
        .catch(() => reconnect(Math.min(delay * 2, RECONNECT_MS.max)));
    }, delay);
    retry.unref();
  };

  await connect();
  return {
    async publish(key) {
      try {
        await client?.query('SELECT pg_notify($1, $2)', [CHANNEL, `${origin} ${key}`]);
      } catch {
        // The connection is being re-made; the poll's own timeout covers this hint.
      }
    },
    onChange(handler) {
      handlers.push(handler);
    },
    async close() {
      closed = true;
      if (retry !== undefined) clearTimeout(retry);
      await client?.end().catch(() => undefined);
      client = undefined;
    },
  };
}
