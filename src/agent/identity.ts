import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What the agent keeps so a restart is the same host: its host id (generated once) and the
 * container instance it registered as. A real agent keeps it in its data dir (`fileIdentity`);
 * `berth sim`'s simulated hosts, thousands per process and gone when it exits, keep it in memory
 * (`memoryIdentity`) instead of writing a file per host.
 */
export interface AgentIdentity {
  readonly hostId: string;
  readonly cluster?: string;
  readonly containerInstanceArn?: string;
}

export interface IdentityStore {
  /** The identity kept, or a new host's (a fresh host id, kept at once). */
  load(): AgentIdentity;
  save(identity: AgentIdentity): void;
}

const FILE = 'agent-state.json';

function newIdentity(): AgentIdentity {
  return { hostId: `i-${randomBytes(9).toString('hex').slice(0, 17)}` };
}

/** `<dataDir>/agent-state.json`, written atomically (temp file + rename): a crash leaves the old file or the new one. */
export function fileIdentity(dataDir: string): IdentityStore {
  return {
    load: () => loadIdentity(dataDir),
    save: (identity) => saveIdentity(dataDir, identity),
  };
}

/** An identity that lives as long as the process. */
export function memoryIdentity(): IdentityStore {
  let kept = newIdentity();
  return {
    load: () => kept,
    save: (identity) => {
      kept = identity;
    },
  };
}

export function loadIdentity(dataDir: string): AgentIdentity {
  try {
    const parsed = JSON.parse(readFileSync(join(dataDir, FILE), 'utf8')) as Partial<AgentIdentity>;
    if (typeof parsed.hostId === 'string' && parsed.hostId) return parsed as AgentIdentity;
  } catch {
    // no state yet (or unreadable): a new host
  }
  const identity = newIdentity();
  saveIdentity(dataDir, identity);
  return identity;
}

export function saveIdentity(dataDir: string, identity: AgentIdentity): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, FILE);
  writeFileSync(`${path}.tmp`, JSON.stringify(identity, null, 2) + '\n', { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}
