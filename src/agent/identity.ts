import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What the agent keeps in its data dir so a restart is the same host: its host id (generated once)
 * and the container instance it registered as. Written atomically (temp file + rename), so a crash
 * leaves the old file or the new one, never half of one.
 */
export interface AgentIdentity {
  readonly hostId: string;
  readonly cluster?: string;
  readonly containerInstanceArn?: string;
}

const FILE = 'agent-state.json';

export function loadIdentity(dataDir: string): AgentIdentity {
  try {
    const parsed = JSON.parse(readFileSync(join(dataDir, FILE), 'utf8')) as Partial<AgentIdentity>;
    if (typeof parsed.hostId === 'string' && parsed.hostId) return parsed as AgentIdentity;
  } catch {
    // no state yet (or unreadable): a new host
  }
  const identity = { hostId: `i-${randomBytes(9).toString('hex').slice(0, 17)}` };
  saveIdentity(dataDir, identity);
  return identity;
}

export function saveIdentity(dataDir: string, identity: AgentIdentity): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, FILE);
  writeFileSync(`${path}.tmp`, JSON.stringify(identity, null, 2) + '\n', { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}
