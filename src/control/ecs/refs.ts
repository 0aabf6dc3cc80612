import type { Failure } from '@aws-sdk/client-ecs';
import type { Scope } from '../../core/arn.js';
import { arn, parseArn } from '../../core/arn.js';
import { Fault, clientFault, invalidParameter } from '../../core/fault.js';

/**
 * Resolving the ways ECS lets a caller name a resource: a cluster by name or ARN (default
 * `default`), a task definition by `family`, `family:revision` or ARN.
 */
export function clusterName(ref: string | undefined, scope: Scope): string {
  if (ref === undefined || ref === '') return 'default';
  if (!ref.startsWith('arn:')) return ref;
  const parsed = parseArn(ref);
  if (!parsed || parsed.service !== 'ecs' || !parsed.resource.startsWith('cluster/')) {
    throw invalidParameter(`'${ref}' is not a cluster ARN.`);
  }
  checkScope(parsed.region, parsed.accountId, ref, scope);
  return parsed.resource.slice('cluster/'.length);
}

export function clusterArn(scope: Scope, name: string): string {
  return arn(scope, 'ecs', `cluster/${name}`);
}

export function containerInstanceArn(scope: Scope, cluster: string, id: string): string {
  return arn(scope, 'ecs', `container-instance/${cluster}/${id}`);
}

/** A container instance as a caller named it: its id, and the cluster its ARN names (if any). */
export interface ContainerInstanceRef {
  readonly id: string;
  /** Absent for a short id and for the old ARN format without the cluster. */
  readonly cluster?: string;
}

/** Resolves a container instance reference: a short id, or an ARN (new or old format). */
export function parseContainerInstanceRef(ref: string, scope: Scope): ContainerInstanceRef {
  if (!ref.startsWith('arn:')) return { id: ref };
  const parsed = parseArn(ref);
  if (!parsed || parsed.service !== 'ecs' || !parsed.resource.startsWith('container-instance/')) {
    throw invalidParameter(`'${ref}' is not a container instance ARN.`);
  }
  checkScope(parsed.region, parsed.accountId, ref, scope);
  const parts = parsed.resource.slice('container-instance/'.length).split('/');
  if (parts.length === 1 && parts[0]) return { id: parts[0] };
  if (parts.length === 2 && parts[0] && parts[1]) return { cluster: parts[0], id: parts[1] };
  throw invalidParameter(`'${ref}' is not a container instance ARN.`);
}

export function taskDefinitionArn(scope: Scope, family: string, revision: number): string {
  return arn(scope, 'ecs', `task-definition/${family}:${revision}`);
}

export interface TaskDefinitionRef {
  readonly family: string;
  /** Absent when the caller named only the family (= its latest ACTIVE revision). */
  readonly revision?: number;
}

export function parseTaskDefinitionRef(ref: string, scope: Scope): TaskDefinitionRef {
  let body = ref;
  if (ref.startsWith('arn:')) {
    const parsed = parseArn(ref);
    if (!parsed || parsed.service !== 'ecs' || !parsed.resource.startsWith('task-definition/')) {
      throw clientFault(`'${ref}' is not a task definition ARN.`);
    }
    checkScope(parsed.region, parsed.accountId, ref, scope);
    body = parsed.resource.slice('task-definition/'.length);
  }
  const match = /^([a-zA-Z0-9_-]{1,255})(?::(\d{1,9}))?$/.exec(body);
  if (!match?.[1]) {
    throw clientFault(`Invalid task definition '${ref}': use 'family', 'family:revision' or the full ARN.`);
  }
  const revision = match[2] === undefined ? undefined : Number(match[2]);
  if (revision === 0) throw clientFault(`Invalid revision 0 in '${ref}': revisions start at 1.`);
  return revision === undefined ? { family: match[1] } : { family: match[1], revision };
}

function checkScope(region: string, accountId: string, ref: string, scope: Scope): void {
  if (region !== scope.region || accountId !== scope.accountId) {
    throw new Fault(
      'InvalidParameterException',
      `'${ref}' belongs to another region or account: this endpoint serves ${scope.region}/${scope.accountId}.`,
    );
  }
}

export function taskArn(scope: Scope, cluster: string, id: string): string {
  return arn(scope, 'ecs', `task/${cluster}/${id}`);
}

export function containerArn(scope: Scope, cluster: string, taskId: string, containerId: string): string {
  return arn(scope, 'ecs', `container/${cluster}/${taskId}/${containerId}`);
}

/** A task as a caller named it: its id, and the cluster its ARN names (if any). */
export interface TaskRef {
  readonly id: string;
  readonly cluster?: string;
}

/** Resolves a task reference: a short id, or an ARN (new format, or the old one without the cluster). */
export function parseTaskRef(ref: string, scope: Scope): TaskRef {
  if (!ref.startsWith('arn:')) return { id: ref };
  const parsed = parseArn(ref);
  if (!parsed || parsed.service !== 'ecs' || !parsed.resource.startsWith('task/')) {
    throw invalidParameter(`'${ref}' is not a task ARN.`);
  }
  checkScope(parsed.region, parsed.accountId, ref, scope);
  const parts = parsed.resource.slice('task/'.length).split('/');
  if (parts.length === 1 && parts[0]) return { id: parts[0] };
  if (parts.length === 2 && parts[0] && parts[1]) return { cluster: parts[0], id: parts[1] };
  throw invalidParameter(`'${ref}' is not a task ARN.`);
}

/**
 * Resolves references to records of one cluster (short ids or ARNs); references naming nothing in
 * the cluster become `MISSING` failures, as Describe* operations answer them.
 */
export async function resolveInCluster<R extends { readonly id: string }>(
  cluster: string,
  refs: readonly string[],
  how: {
    readonly parse: (ref: string) => { readonly cluster?: string; readonly id: string };
    readonly load: (ids: string[]) => Promise<R[]>;
    readonly arnOf: (id: string) => string;
  },
): Promise<{ found: R[]; failures: Failure[] }> {
  const parsed = refs.map((ref) => ({ ref, ...how.parse(ref) }));
  const inCluster = parsed.filter((p) => p.cluster === undefined || p.cluster === cluster);
  const byId = new Map((await how.load(inCluster.map((p) => p.id))).map((r) => [r.id, r]));
  const found: R[] = [];
  const failures: Failure[] = [];
  for (const p of parsed) {
    const record = p.cluster === undefined || p.cluster === cluster ? byId.get(p.id) : undefined;
    if (record) found.push(record);
    else failures.push({ arn: p.ref.startsWith('arn:') ? p.ref : how.arnOf(p.ref), reason: 'MISSING' });
  }
  return { found, failures };
}

export function serviceArn(scope: Scope, cluster: string, name: string): string {
  return arn(scope, 'ecs', `service/${cluster}/${name}`);
}

/** A service as a caller named it: its name, and the cluster its ARN names (if any). */
export interface ServiceRef {
  readonly name: string;
  /** Absent for a bare name and for the old ARN format without the cluster. */
  readonly cluster?: string;
}

/** Resolves a service reference: a name, or an ARN (new format, or the old one without the cluster). */
export function parseServiceRef(ref: string, scope: Scope): ServiceRef {
  if (!ref.startsWith('arn:')) return { name: ref };
  const parsed = parseArn(ref);
  if (!parsed || parsed.service !== 'ecs' || !parsed.resource.startsWith('service/')) {
    throw invalidParameter(`'${ref}' is not a service ARN.`);
  }
  checkScope(parsed.region, parsed.accountId, ref, scope);
  const parts = parsed.resource.slice('service/'.length).split('/');
  if (parts.length === 1 && parts[0]) return { name: parts[0] };
  if (parts.length === 2 && parts[0] && parts[1]) return { cluster: parts[0], name: parts[1] };
  throw invalidParameter(`'${ref}' is not a service ARN.`);
}

/** A service deployment or service revision ARN: `…:<type>/<cluster>/<service>/<id>`. */
export interface ServiceChildRef {
  readonly cluster: string;
  readonly service: string;
  readonly id: string;
}

/** Parses a `service-deployment` or `service-revision` ARN of this region and account. */
export function parseServiceChildArn(
  ref: string,
  type: 'service-deployment' | 'service-revision',
  scope: Scope,
): ServiceChildRef {
  const parsed = parseArn(ref);
  const [cluster, service, id, ...rest] = parsed?.resource.slice(type.length + 1).split('/') ?? [];
  if (
    !parsed ||
    parsed.service !== 'ecs' ||
    !parsed.resource.startsWith(`${type}/`) ||
    !cluster ||
    !service ||
    !id ||
    rest.length > 0
  ) {
    throw invalidParameter(
      `'${ref}' is not a ${type} ARN (arn:aws:ecs:<region>:<account>:${type}/<cluster>/<service>/<id>).`,
    );
  }
  checkScope(parsed.region, parsed.accountId, ref, scope);
  return { cluster, service, id };
}
