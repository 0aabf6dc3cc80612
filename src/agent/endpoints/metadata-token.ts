import { createHmac, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The per-container tokens of the metadata endpoint's URLs (`/v4/<token>`), and what makes them
 * outlive the agent: a container keeps the URL in its environment for its whole life, across agent
 * restarts, so the token must be derivable again rather than remembered. It is an HMAC of the task
 * ARN and container name under a secret kept in the data dir: a container cannot forge another
 * task's token, and a restarted agent recognises every token it ever handed out. The port the
 * endpoint last listened on is kept beside it, for the same reason.
 */
export interface EndpointState {
  /** 32 random bytes, hex. */
  readonly secret: string;
  /** The port last listened on; a restarted agent takes it again so existing URLs still work. */
  readonly port?: number;
}

const FILE = 'metadata-endpoint.json';

export function loadEndpointState(dataDir: string): EndpointState {
  try {
    const parsed = JSON.parse(readFileSync(join(dataDir, FILE), 'utf8')) as Partial<EndpointState>;
    if (typeof parsed.secret === 'string' && /^[0-9a-f]{64}$/.test(parsed.secret)) {
      return {
        secret: parsed.secret,
        ...(typeof parsed.port === 'number' && Number.isInteger(parsed.port) ? { port: parsed.port } : {}),
      };
    }
  } catch {
    // no state yet (or unreadable): a new secret; containers of an unreadable one lose the endpoint
  }
  const state = { secret: randomBytes(32).toString('hex') };
  saveEndpointState(dataDir, state);
  return state;
}

/** Atomic (temp file + rename), mode 0600: the secret is what keeps one task out of another's metadata. */
export function saveEndpointState(dataDir: string, state: EndpointState): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, FILE);
  writeFileSync(`${path}.tmp`, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}

/** The token of one container of one task: 40 hex digits of HMAC-SHA256(secret, arn NUL name). */
export function containerToken(secret: string, taskArn: string, containerName: string): string {
  return createHmac('sha256', Buffer.from(secret, 'hex'))
    .update(`${taskArn}\0${containerName}`)
    .digest('hex')
    .slice(0, 40);
}
