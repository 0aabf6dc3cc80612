import { randomBytes } from 'node:crypto';
import type { Scope } from '../core/arn.js';
import { arn } from '../core/arn.js';
import type { AccessKey, Store } from '../store/index.js';

/** The administrator every Berth installation starts with; its key pair is generated once. */
export function administratorArn(scope: Scope): string {
  return arn(scope, 'iam', 'user/berth-admin', '');
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function accessKeyId(): string {
  return 'AKIA' + [...randomBytes(16)].map((b) => BASE32[b % 32]).join('');
}

/** Returns the administrator's key, creating it (random, never a fixed default) on first start. */
export async function ensureAdministratorKey(store: Store, scope: Scope, now: number): Promise<AccessKey> {
  const principalArn = administratorArn(scope);
  const existing = await store.accessKeys.firstFor(principalArn);
  if (existing) return existing;
  const key: AccessKey = {
    accessKeyId: accessKeyId(),
    secretAccessKey: randomBytes(30)
      .toString('base64')
      .replace(/[+/]/g, (c) => (c === '+' ? 'A' : 'z')),
    principalArn,
  };
  await store.accessKeys.insert(key, now);
  return key;
}
