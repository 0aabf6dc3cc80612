import {
  DeregisterTaskDefinitionCommand,
  DescribeClustersCommand,
  DescribeTaskDefinitionCommand,
  ListAccountSettingsCommand,
  ListClustersCommand,
  ListTagsForResourceCommand,
  ListTaskDefinitionFamiliesCommand,
  ListTaskDefinitionsCommand,
  PutAccountSettingCommand,
  RegisterTaskDefinitionCommand,
  CreateClusterCommand,
  DescribeContainerInstancesCommand,
  ListAttributesCommand,
  ListContainerInstancesCommand,
  PutAttributesCommand,
  RegisterContainerInstanceCommand,
  type ECSClient,
  type TaskDefinitionStatus,
} from '@aws-sdk/client-ecs';
import * as sdk from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import type { EcsOperationName } from '../../src/api/ecs/index.js';
import { registration, webWithSidecar } from './fixtures.js';
import type { TestServer } from './server.js';
import { ECS_TARGET, signedRequest, type RawResponse } from './signed.js';

/**
 * Shared by the bad-input suites (test/e2e/bad-input-*.test.ts): a valid input for every served
 * ECS operation, the SDK input schemas to derive wrong types from, the state a bad request must
 * leave alone, and the checks every AWS-shaped JSON error must pass.
 */

export type Body = Record<string, unknown>;
export type Path = readonly (string | number)[];

/** What the suites create before sending anything bad. */
export interface Fixture {
  readonly cluster: string;
  readonly clusterArn: string;
  readonly family: string;
  /** Revision 2, ACTIVE. */
  readonly taskDefinitionArn: string;
  /** Revision 1, deregistered (INACTIVE). */
  readonly inactiveRevision: string;
  /** A container instance registered in the cluster, with built-in and custom attributes and a tag. */
  readonly containerInstanceArn: string;
}

export async function createFixture(ecs: ECSClient, prefix: string): Promise<Fixture> {
  const cluster = `${prefix}-cluster`;
  const family = `${prefix}-web`;
  const created = await ecs.send(
    new CreateClusterCommand({
      clusterName: cluster,
      tags: [{ key: 'team', value: 'platform' }],
      settings: [{ name: 'containerInsights', value: 'enabled' }],
    }),
  );
  await ecs.send(new RegisterTaskDefinitionCommand(webWithSidecar(family, '1.0')));
  const second = await ecs.send(new RegisterTaskDefinitionCommand(webWithSidecar(family, '2.0')));
  await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: `${family}:1` }));
  await ecs.send(new PutAccountSettingCommand({ name: 'containerInsights', value: 'enhanced' }));
  const instance = await ecs.send(
    new RegisterContainerInstanceCommand(registration(cluster, `${prefix}-host`)),
  );
  const containerInstanceArn = instance.containerInstance!.containerInstanceArn!;
  await ecs.send(
    new PutAttributesCommand({
      cluster,
      attributes: [{ name: 'stack', value: 'prod', targetId: containerInstanceArn }],
    }),
  );
  return {
    cluster,
    clusterArn: created.cluster!.clusterArn!,
    family,
    taskDefinitionArn: second.taskDefinition!.taskDefinitionArn!,
    inactiveRevision: `${family}:1`,
    containerInstanceArn,
  };
}

// ---------------------------------------------------------------------------------------------
// The state bad requests must not change

async function allPages<T>(fetch: (nextToken: string | undefined) => Promise<{ items: T[]; next?: string }>) {
  const items: T[] = [];
  let token: string | undefined;
  do {
    const page = await fetch(token);
    items.push(...page.items);
    token = page.next;
  } while (token);
  return items;
}

/** Drops the SDK's per-response metadata (request ids, attempts) so two reads compare equal. */
function plain(output: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(output).filter(([key]) => key !== '$metadata'));
}

/** Everything a client can read back about clusters, task definitions, tags and account settings. */
export async function observableState(ecs: ECSClient, fx: Fixture): Promise<unknown> {
  const clusterArns = await allPages(async (nextToken) => {
    const out = await ecs.send(
      new ListClustersCommand({ maxResults: 2, ...(nextToken ? { nextToken } : {}) }),
    );
    return { items: out.clusterArns ?? [], ...(out.nextToken ? { next: out.nextToken } : {}) };
  });
  const clusters = plain(
    await ecs.send(
      new DescribeClustersCommand({ clusters: [...clusterArns, 'default'], include: ['TAGS', 'SETTINGS'] }),
    ),
  );
  const taskDefinitions: Record<string, string[]> = {};
  for (const status of ['ACTIVE', 'INACTIVE', 'DELETE_IN_PROGRESS'] as TaskDefinitionStatus[]) {
    taskDefinitions[status] = await allPages(async (nextToken) => {
      const out = await ecs.send(
        new ListTaskDefinitionsCommand({ status, maxResults: 2, ...(nextToken ? { nextToken } : {}) }),
      );
      return { items: out.taskDefinitionArns ?? [], ...(out.nextToken ? { next: out.nextToken } : {}) };
    });
  }
  const families = await allPages(async (nextToken) => {
    const out = await ecs.send(
      new ListTaskDefinitionFamiliesCommand({
        status: 'ALL',
        maxResults: 2,
        ...(nextToken ? { nextToken } : {}),
      }),
    );
    return { items: out.families ?? [], ...(out.nextToken ? { next: out.nextToken } : {}) };
  });
  const revisions = [];
  for (const arn of [...(taskDefinitions.ACTIVE ?? []), ...(taskDefinitions.INACTIVE ?? [])]) {
    revisions.push(
      plain(await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn, include: ['TAGS'] }))),
    );
  }
  const tags: Record<string, unknown> = {};
  for (const arn of [fx.clusterArn, fx.taskDefinitionArn]) {
    tags[arn] = (await ecs.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags;
  }
  const accountSettings: Record<string, unknown> = {};
  for (const effectiveSettings of [false, true]) {
    accountSettings[String(effectiveSettings)] = await allPages(async (nextToken) => {
      const out = await ecs.send(
        new ListAccountSettingsCommand({
          effectiveSettings,
          maxResults: 3,
          ...(nextToken ? { nextToken } : {}),
        }),
      );
      return { items: out.settings ?? [], ...(out.nextToken ? { next: out.nextToken } : {}) };
    });
  }
  const instanceArns: Record<string, string[]> = {};
  for (const status of [undefined, 'DRAINING'] as const) {
    instanceArns[status ?? 'registered'] = await allPages(async (nextToken) => {
      const out = await ecs.send(
        new ListContainerInstancesCommand({
          cluster: fx.cluster,
          maxResults: 2,
          ...(status ? { status } : {}),
          ...(nextToken ? { nextToken } : {}),
        }),
      );
      return { items: out.containerInstanceArns ?? [], ...(out.nextToken ? { next: out.nextToken } : {}) };
    });
  }
  const instances = plain(
    await ecs.send(
      new DescribeContainerInstancesCommand({
        cluster: fx.cluster,
        containerInstances: [...new Set([...(instanceArns.registered ?? []), fx.containerInstanceArn])],
        include: ['TAGS'],
      }),
    ),
  );
  const attributes = await allPages(async (nextToken) => {
    const out = await ecs.send(
      new ListAttributesCommand({
        cluster: fx.cluster,
        targetType: 'container-instance',
        maxResults: 3,
        ...(nextToken ? { nextToken } : {}),
      }),
    );
    return { items: out.attributes ?? [], ...(out.nextToken ? { next: out.nextToken } : {}) };
  });
  return {
    clusterArns,
    clusters,
    taskDefinitions,
    families,
    revisions,
    tags,
    accountSettings,
    instanceArns,
    instances,
    attributes,
  };
}

// ---------------------------------------------------------------------------------------------
// Raw requests and AWS-shaped errors

export function ecsRequest(berth: TestServer, op: string, body: string): Promise<RawResponse> {
  return signedRequest(
    berth.endpoint,
    { target: `${ECS_TARGET}.${op}`, body },
    { credentials: berth.credentials, region: berth.region },
  );
}

/**
 * An awsJson1.1 error as AWS sends it: the status, `{"__type": code, "message": "…"}` (non-empty),
 * the JSON content type and an `x-amzn-requestid` header.
 */
export function assertAwsError(res: RawResponse, status: number, code: string, context = ''): void {
  const where = `${context}\n  → ${res.status} ${res.text.slice(0, 300)}`;
  assert.equal(res.status, status, `HTTP status${where}`);
  assert.ok(res.json, `the body is JSON${where}`);
  assert.equal(res.json.__type, code, `__type${where}`);
  assert.equal(typeof res.json.message, 'string', `message is a string${where}`);
  assert.ok((res.json.message as string).length > 0, `message is not empty${where}`);
  assert.match(res.headers.get('x-amzn-requestid') ?? '', /^[0-9a-f-]{36}$/, `x-amzn-requestid${where}`);
  assert.equal(res.headers.get('content-type'), 'application/x-amz-json-1.1', `content-type${where}`);
}

/** A Query-protocol (STS) error: `<ErrorResponse><Error><Code>` in XML, and the request id header. */
export function assertQueryError(res: RawResponse, status: number, code: string, context = ''): void {
  const where = `${context}\n  → ${res.status} ${res.text.slice(0, 300)}`;
  assert.equal(res.status, status, `HTTP status${where}`);
  assert.match(res.text, /^<ErrorResponse[ >]/, `an XML ErrorResponse${where}`);
  assert.equal(/<Code>([^<]*)<\/Code>/.exec(res.text)?.[1], code, `<Code>${where}`);
  assert.match(res.text, /<Message>[^<]+<\/Message>/, `a non-empty <Message>${where}`);
  assert.match(res.text, /<RequestId>[0-9a-f-]{36}<\/RequestId>/, `<RequestId>${where}`);
  assert.match(res.headers.get('x-amzn-requestid') ?? '', /^[0-9a-f-]{36}$/, `x-amzn-requestid${where}`);
}

// ---------------------------------------------------------------------------------------------
// Bodies

/** A deep copy of `body` with the value at `path` replaced (or removed when `value` is undefined). */
export function withValue(body: Body, path: Path, value: unknown): Body {
  const copy = structuredClone(body);
  let holder: unknown = copy;
  for (const [i, key] of path.entries()) {
    const container = holder as Record<string | number, unknown>;
    if (i === path.length - 1) {
      if (value === undefined) delete container[key];
      else container[key] = value;
      break;
    }
    if (container[key] === undefined || container[key] === null) {
      container[key] = typeof path[i + 1] === 'number' ? [] : {};
    }
    holder = container[key];
  }
  return copy;
}

export function valueAt(body: unknown, path: Path): unknown {
  let holder = body;
  for (const key of path) holder = (holder as Record<string | number, unknown> | undefined)?.[key];
  return holder;
}

/** `a.b[0].c` for messages. */
export function showPath(path: Path): string {
  return path
    .map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`))
    .join('')
    .replace(/^\./, '');
}

// ---------------------------------------------------------------------------------------------
// The SDK's input schemas (what Berth validates against), read just enough to know each
// member's JSON kind and which members are required.

export type Kind =
  'string' | 'number' | 'boolean' | 'timestamp' | 'document' | 'blob' | 'list' | 'map' | 'structure';

export type SchemaNode =
  | { readonly kind: Exclude<Kind, 'list' | 'map' | 'structure'> }
  | { readonly kind: 'list'; readonly member: unknown }
  | { readonly kind: 'map'; readonly value: unknown }
  | {
      readonly kind: 'structure';
      readonly members: readonly string[];
      readonly schemas: readonly unknown[];
      readonly required: number;
    };

/** Resolves an SDK schema reference (a type code, a thunk, a schema array or `[ref, traits]`). */
export function schemaNode(ref: unknown): SchemaNode {
  let current = ref;
  for (;;) {
    if (typeof current === 'function') current = (current as () => unknown)();
    else if (typeof current === 'number') {
      if (current & 128) return { kind: 'map', value: current & ~128 };
      if (current & 64) return { kind: 'list', member: current & ~64 };
      if (current === 0) return { kind: 'string' };
      if (current === 2) return { kind: 'boolean' };
      if (current >= 4 && current <= 7) return { kind: 'timestamp' };
      if (current === 15) return { kind: 'document' };
      if (current === 21) return { kind: 'blob' };
      return { kind: 'number' };
    } else if (Array.isArray(current)) {
      const head: unknown = current[0];
      if (typeof head !== 'number' || current.length === 2) current = head;
      else if (head === 0) current = current[4];
      else if (head === 1) return { kind: 'list', member: current[4] };
      else if (head === 2) return { kind: 'map', value: current[5] };
      else
        return {
          kind: 'structure',
          members: current[4] as string[],
          schemas: current[5] as unknown[],
          required: typeof current[6] === 'number' ? current[6] : 0,
        };
    } else throw new Error(`unexpected SDK schema reference ${String(current)}`);
  }
}

export function inputSchema(op: EcsOperationName): unknown {
  return (sdk as unknown as Record<string, unknown>)[`${op}Request$`];
}

export function requiredMembers(op: EcsOperationName): string[] {
  const node = schemaNode(inputSchema(op));
  return node.kind === 'structure' ? node.members.slice(0, node.required) : [];
}

/** Every path present in `value`, with the schema node that describes it (unknown members skipped). */
export function typedPaths(
  schema: unknown,
  value: unknown,
  path: Path = [],
): { path: Path; node: SchemaNode }[] {
  const node = schemaNode(schema);
  const out = path.length > 0 ? [{ path, node }] : [];
  if (node.kind === 'structure' && value && typeof value === 'object') {
    node.members.forEach((name, i) => {
      const member = (value as Body)[name];
      if (member !== undefined) out.push(...typedPaths(node.schemas[i], member, [...path, name]));
    });
  } else if (node.kind === 'list' && Array.isArray(value)) {
    value.forEach((item, i) => out.push(...typedPaths(node.member, item, [...path, i])));
  } else if (node.kind === 'map' && value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value))
      out.push(...typedPaths(node.value, item, [...path, key]));
  }
  return out;
}

/** A JSON value of the wrong kind for `kind`, and how to say so in a test message. */
export function wrongTypeFor(kind: Kind): { value: unknown; what: string } {
  switch (kind) {
    case 'string':
    case 'blob':
      return { value: 42, what: 'a number where a string goes' };
    case 'number':
    case 'timestamp':
      return { value: '42', what: 'a string where a number goes' };
    case 'boolean':
      return { value: 'true', what: 'a string where a boolean goes' };
    case 'list':
      return { value: { member: 'x' }, what: 'an object where a list goes' };
    case 'map':
      return { value: ['x'], what: 'a list where a map goes' };
    case 'structure':
      return { value: ['x'], what: 'a list where a structure goes' };
    case 'document':
      throw new Error('a document accepts any JSON value');
  }
}

// ---------------------------------------------------------------------------------------------
// The operations

/** How a 256-character name (ECS allows 255) is answered by an operation. */
export type LongName =
  | { readonly path: Path; readonly value?: string; readonly code: string }
  | { readonly path: Path; readonly value?: string; readonly failure: 'MISSING' };

export interface OperationCase {
  readonly op: EcsOperationName;
  /** A valid input against the fixture: each bad request is this with one thing broken. */
  readonly valid: (fx: Fixture) => Body;
  /** Enum members of the input (paths into `valid`), or why the input has none. */
  readonly enums: readonly Path[] | string;
  /** A string member to push past the 65,536-character limit. */
  readonly oversized: Path;
  /** A name member and how a 256-character value is answered, or why the input has none. */
  readonly longName: LongName | string;
}

export const LONG_NAME = 'n'.repeat(256);
const longArn = `arn:aws:ecs:us-east-1:123456789012:cluster/${LONG_NAME}`;
const containerInsights = { name: 'containerInsights', value: 'enabled' };
const accountSettingName = 'its only name member, `name`, is an enum (see the enum case)';

/** One entry per served operation: the Record type makes a newly served operation a compile error here. */
const CASES: Record<EcsOperationName, Omit<OperationCase, 'op'>> = {
  CreateCluster: {
    valid: () => ({
      clusterName: 'bad-input-new',
      tags: [{ key: 'env', value: 'test' }],
      settings: [containerInsights],
      configuration: { executeCommandConfiguration: { logging: 'DEFAULT' } },
      capacityProviders: ['FARGATE', 'FARGATE_SPOT'],
      defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1, base: 1 }],
    }),
    enums: [
      ['settings', 0, 'name'],
      ['configuration', 'executeCommandConfiguration', 'logging'],
    ],
    oversized: ['clusterName'],
    longName: { path: ['clusterName'], code: 'InvalidParameterException' },
  },
  DescribeClusters: {
    valid: (fx) => ({ clusters: [fx.cluster, fx.clusterArn], include: ['TAGS', 'SETTINGS'] }),
    enums: [['include', 1]],
    oversized: ['clusters', 0],
    longName: { path: ['clusters', 0], failure: 'MISSING' },
  },
  ListClusters: {
    valid: () => ({ maxResults: 10 }),
    enums: 'its input (nextToken, maxResults) has no enum member',
    oversized: ['nextToken'],
    longName: 'its input (nextToken, maxResults) has no name member',
  },
  UpdateCluster: {
    valid: (fx) => ({
      cluster: fx.cluster,
      settings: [containerInsights],
      configuration: { executeCommandConfiguration: { logging: 'NONE' } },
    }),
    enums: [
      ['settings', 0, 'name'],
      ['configuration', 'executeCommandConfiguration', 'logging'],
    ],
    oversized: ['cluster'],
    longName: { path: ['cluster'], code: 'ClusterNotFoundException' },
  },
  UpdateClusterSettings: {
    valid: (fx) => ({ cluster: fx.clusterArn, settings: [{ name: 'containerInsights', value: 'enhanced' }] }),
    enums: [['settings', 0, 'name']],
    oversized: ['cluster'],
    longName: { path: ['cluster'], code: 'ClusterNotFoundException' },
  },
  DeleteCluster: {
    valid: (fx) => ({ cluster: fx.cluster }),
    enums: 'its input (cluster) has no enum member',
    oversized: ['cluster'],
    longName: { path: ['cluster'], code: 'ClusterNotFoundException' },
  },
  PutClusterCapacityProviders: {
    valid: (fx) => ({
      cluster: fx.cluster,
      capacityProviders: ['FARGATE'],
      defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 2 }],
    }),
    enums: 'capacity providers are named, not enumerated: its input has no enum member',
    oversized: ['capacityProviders', 0],
    longName: { path: ['cluster'], code: 'ClusterNotFoundException' },
  },
  RegisterContainerInstance: {
    valid: (fx) => ({
      ...(JSON.parse(JSON.stringify(registration(fx.cluster, 'i-0bad1nput'))) as Body),
      attributes: [{ name: 'rack', value: 'r2', targetType: 'container-instance' }],
      platformDevices: [{ id: 'gpu-0', type: 'GPU' }],
    }),
    enums: [
      ['attributes', 0, 'targetType'],
      ['platformDevices', 0, 'type'],
    ],
    oversized: ['versionInfo', 'agentVersion'],
    longName: { path: ['cluster'], code: 'ClientException' },
  },
  DeregisterContainerInstance: {
    valid: (fx) => ({ cluster: fx.cluster, containerInstance: fx.containerInstanceArn, force: false }),
    enums: 'its input (cluster, containerInstance, force) has no enum member',
    oversized: ['containerInstance'],
    longName: { path: ['containerInstance'], code: 'InvalidParameterException' },
  },
  DescribeContainerInstances: {
    valid: (fx) => ({
      cluster: fx.cluster,
      containerInstances: [fx.containerInstanceArn],
      include: ['TAGS'],
    }),
    enums: [['include', 0]],
    oversized: ['containerInstances', 0],
    longName: { path: ['containerInstances', 0], failure: 'MISSING' },
  },
  ListContainerInstances: {
    valid: (fx) => ({
      cluster: fx.cluster,
      status: 'ACTIVE',
      filter: 'attribute:ecs.os-type == linux',
      maxResults: 10,
    }),
    enums: [['status']],
    oversized: ['filter'],
    longName: { path: ['cluster'], code: 'ClusterNotFoundException' },
  },
  UpdateContainerInstancesState: {
    valid: (fx) => ({
      cluster: fx.cluster,
      containerInstances: [fx.containerInstanceArn],
      status: 'DRAINING',
    }),
    enums: [['status']],
    oversized: ['containerInstances', 0],
    longName: { path: ['containerInstances', 0], failure: 'MISSING' },
  },
  PutAttributes: {
    valid: (fx) => ({
      cluster: fx.cluster,
      attributes: [
        {
          name: 'stack',
          value: 'staging',
          targetType: 'container-instance',
          targetId: fx.containerInstanceArn,
        },
      ],
    }),
    enums: [['attributes', 0, 'targetType']],
    oversized: ['attributes', 0, 'targetId'],
    longName: { path: ['cluster'], code: 'ClusterNotFoundException' },
  },
  DeleteAttributes: {
    valid: (fx) => ({
      cluster: fx.cluster,
      attributes: [{ name: 'stack', targetType: 'container-instance', targetId: fx.containerInstanceArn }],
    }),
    enums: [['attributes', 0, 'targetType']],
    oversized: ['attributes', 0, 'name'],
    longName: { path: ['cluster'], code: 'ClusterNotFoundException' },
  },
  ListAttributes: {
    valid: (fx) => ({
      cluster: fx.cluster,
      targetType: 'container-instance',
      attributeName: 'stack',
      attributeValue: 'prod',
      maxResults: 5,
    }),
    enums: [['targetType']],
    oversized: ['attributeName'],
    longName: { path: ['cluster'], code: 'ClusterNotFoundException' },
  },
  RunTask: {
    valid: (fx) => ({
      cluster: fx.cluster,
      taskDefinition: fx.taskDefinitionArn,
      count: 1,
      launchType: 'EC2',
      propagateTags: 'TASK_DEFINITION',
      placementStrategy: [{ type: 'spread', field: 'instanceId' }],
      overrides: { containerOverrides: [{ name: 'web', command: ['echo', 'bad-input'] }] },
      startedBy: 'bad-input',
      group: 'bad-input',
      tags: [{ key: 'env', value: 'test' }],
    }),
    enums: [['launchType'], ['propagateTags'], ['placementStrategy', 0, 'type']],
    oversized: ['startedBy'],
    longName: { path: ['cluster'], code: 'ClusterNotFoundException' },
  },
  StartTask: {
    valid: (fx) => ({
      cluster: fx.cluster,
      taskDefinition: fx.taskDefinitionArn,
      containerInstances: [fx.containerInstanceArn],
      propagateTags: 'TASK_DEFINITION',
      startedBy: 'bad-input',
    }),
    enums: [['propagateTags']],
    oversized: ['group'],
    longName: { path: ['cluster'], code: 'ClusterNotFoundException' },
  },
  StopTask: {
    valid: (fx) => ({ cluster: fx.cluster, task: 'f'.repeat(32), reason: 'bad input' }),
    enums: 'its input (cluster, task, reason) has no enum member',
    oversized: ['reason'],
    longName: { path: ['task'], code: 'InvalidParameterException' },
  },
  DescribeTasks: {
    valid: (fx) => ({ cluster: fx.cluster, tasks: ['0'.repeat(32)], include: ['TAGS'] }),
    enums: [['include', 0]],
    oversized: ['tasks', 0],
    longName: { path: ['tasks', 0], failure: 'MISSING' },
  },
  ListTasks: {
    valid: (fx) => ({
      cluster: fx.cluster,
      family: fx.family,
      startedBy: 'bad-input',
      desiredStatus: 'RUNNING',
      launchType: 'EC2',
      maxResults: 10,
    }),
    enums: [['desiredStatus'], ['launchType']],
    oversized: ['startedBy'],
    longName: { path: ['cluster'], code: 'ClusterNotFoundException' },
  },
  SubmitContainerStateChange: {
    valid: (fx) => ({
      cluster: fx.cluster,
      task: 'f'.repeat(32),
      containerName: 'web',
      runtimeId: 'c0ffee',
      status: 'RUNNING',
      exitCode: 0,
      reason: 'bad input',
      networkBindings: [{ bindIP: '0.0.0.0', containerPort: 80, hostPort: 8080, protocol: 'tcp' }],
    }),
    enums: [['networkBindings', 0, 'protocol']],
    oversized: ['reason'],
    longName: { path: ['cluster'], code: 'ClientException' },
  },
  SubmitTaskStateChange: {
    valid: (fx) => ({
      cluster: fx.cluster,
      task: 'f'.repeat(32),
      status: 'RUNNING',
      reason: 'bad input',
      pullStartedAt: 1_700_000_000,
      containers: [
        {
          containerName: 'web',
          runtimeId: 'c0ffee',
          status: 'RUNNING',
          networkBindings: [{ bindIP: '0.0.0.0', containerPort: 80, hostPort: 8080, protocol: 'udp' }],
        },
      ],
      managedAgents: [{ containerName: 'web', managedAgentName: 'ExecuteCommandAgent', status: 'RUNNING' }],
    }),
    enums: [
      ['containers', 0, 'networkBindings', 0, 'protocol'],
      ['managedAgents', 0, 'managedAgentName'],
    ],
    oversized: ['reason'],
    longName: { path: ['cluster'], code: 'ClientException' },
  },
  DiscoverPollEndpoint: {
    valid: (fx) => ({ cluster: fx.cluster, containerInstance: fx.containerInstanceArn }),
    enums: 'its input (containerInstance, cluster) has no enum member',
    oversized: ['containerInstance'],
    longName: { path: ['cluster'], code: 'ClientException' },
  },
  CreateService: {
    valid: (fx) => ({
      cluster: fx.cluster,
      serviceName: 'bad-input-svc',
      taskDefinition: fx.taskDefinitionArn,
      desiredCount: 1,
      launchType: 'EC2',
      schedulingStrategy: 'REPLICA',
      deploymentController: { type: 'ECS' },
      propagateTags: 'SERVICE',
      placementStrategy: [{ type: 'spread', field: 'instanceId' }],
      tags: [{ key: 'env', value: 'test' }],
    }),
    enums: [
      ['launchType'],
      ['schedulingStrategy'],
      ['deploymentController', 'type'],
      ['propagateTags'],
      ['placementStrategy', 0, 'type'],
    ],
    oversized: ['serviceName'],
    longName: { path: ['serviceName'], code: 'InvalidParameterException' },
  },
  UpdateService: {
    valid: (fx) => ({
      cluster: fx.cluster,
      service: 'bad-input-svc',
      desiredCount: 2,
      propagateTags: 'NONE',
      availabilityZoneRebalancing: 'DISABLED',
      placementStrategy: [{ type: 'binpack', field: 'memory' }],
    }),
    enums: [['propagateTags'], ['availabilityZoneRebalancing'], ['placementStrategy', 0, 'type']],
    oversized: ['service'],
    longName: { path: ['service'], code: 'ServiceNotFoundException' },
  },
  DeleteService: {
    valid: (fx) => ({ cluster: fx.cluster, service: 'bad-input-svc', force: true }),
    enums: 'its input (cluster, service, force) has no enum member',
    oversized: ['service'],
    longName: { path: ['service'], code: 'ServiceNotFoundException' },
  },
  DescribeServices: {
    valid: (fx) => ({ cluster: fx.cluster, services: ['bad-input-svc'], include: ['TAGS'] }),
    enums: [['include', 0]],
    oversized: ['services', 0],
    longName: { path: ['services', 0], failure: 'MISSING' },
  },
  ListServices: {
    valid: (fx) => ({
      cluster: fx.cluster,
      launchType: 'EC2',
      schedulingStrategy: 'REPLICA',
      maxResults: 10,
    }),
    enums: [['launchType'], ['schedulingStrategy']],
    oversized: ['nextToken'],
    longName: { path: ['cluster'], code: 'ClusterNotFoundException' },
  },
  ListServiceDeployments: {
    valid: (fx) => ({
      cluster: fx.cluster,
      service: 'bad-input-svc',
      status: ['IN_PROGRESS'],
      maxResults: 10,
    }),
    enums: [['status', 0]],
    oversized: ['service'],
    longName: { path: ['service'], code: 'ServiceNotFoundException' },
  },
  DescribeServiceDeployments: {
    valid: (fx) => ({
      serviceDeploymentArns: [
        `arn:aws:ecs:us-east-1:123456789012:service-deployment/${fx.cluster}/bad-input-svc/AbCdEfGhIjKlMnOpQrStU`,
      ],
    }),
    enums: 'its input (serviceDeploymentArns) has no enum member',
    oversized: ['serviceDeploymentArns', 0],
    longName: 'its input names service deployments by ARN only',
  },
  DescribeServiceRevisions: {
    valid: (fx) => ({
      serviceRevisionArns: [
        `arn:aws:ecs:us-east-1:123456789012:service-revision/${fx.cluster}/bad-input-svc/1234567890123456789`,
      ],
    }),
    enums: 'its input (serviceRevisionArns) has no enum member',
    oversized: ['serviceRevisionArns', 0],
    longName: 'its input names service revisions by ARN only',
  },
  RegisterTaskDefinition: {
    valid: (fx) => ({
      ...(JSON.parse(JSON.stringify(webWithSidecar(fx.family, '3.0'))) as Body),
      pidMode: 'task',
      ipcMode: 'none',
      requiresCompatibilities: ['EC2'],
    }),
    enums: [
      ['networkMode'],
      ['pidMode'],
      ['ipcMode'],
      ['requiresCompatibilities', 0],
      ['volumes', 0, 'dockerVolumeConfiguration', 'scope'],
      ['containerDefinitions', 0, 'portMappings', 0, 'protocol'],
      ['containerDefinitions', 0, 'portMappings', 0, 'appProtocol'],
      ['containerDefinitions', 0, 'logConfiguration', 'logDriver'],
      ['containerDefinitions', 0, 'dependsOn', 0, 'condition'],
      ['containerDefinitions', 0, 'ulimits', 0, 'name'],
    ],
    oversized: ['containerDefinitions', 0, 'image'],
    longName: { path: ['family'], code: 'ClientException' },
  },
  DescribeTaskDefinition: {
    valid: (fx) => ({ taskDefinition: fx.taskDefinitionArn, include: ['TAGS'] }),
    enums: [['include', 0]],
    oversized: ['taskDefinition'],
    longName: { path: ['taskDefinition'], code: 'ClientException' },
  },
  ListTaskDefinitions: {
    valid: (fx) => ({ familyPrefix: fx.family, status: 'ACTIVE', sort: 'DESC', maxResults: 10 }),
    enums: [['status'], ['sort']],
    oversized: ['familyPrefix'],
    longName: { path: ['familyPrefix'], code: 'ClientException' },
  },
  ListTaskDefinitionFamilies: {
    valid: (fx) => ({ familyPrefix: fx.family, status: 'ALL', maxResults: 10 }),
    enums: [['status']],
    oversized: ['familyPrefix'],
    longName: { path: ['familyPrefix'], code: 'ClientException' },
  },
  DeregisterTaskDefinition: {
    valid: (fx) => ({ taskDefinition: fx.taskDefinitionArn }),
    enums: 'its input (taskDefinition) has no enum member',
    oversized: ['taskDefinition'],
    longName: { path: ['taskDefinition'], value: `${LONG_NAME}:1`, code: 'ClientException' },
  },
  DeleteTaskDefinitions: {
    valid: (fx) => ({ taskDefinitions: [fx.inactiveRevision] }),
    enums: 'its input (taskDefinitions) has no enum member',
    oversized: ['taskDefinitions', 0],
    longName: { path: ['taskDefinitions', 0], value: `${LONG_NAME}:1`, code: 'ClientException' },
  },
  TagResource: {
    valid: (fx) => ({ resourceArn: fx.clusterArn, tags: [{ key: 'env', value: 'test' }] }),
    enums: 'its input (resourceArn, tags) has no enum member',
    oversized: ['tags', 0, 'value'],
    longName: { path: ['resourceArn'], value: longArn, code: 'ClusterNotFoundException' },
  },
  UntagResource: {
    valid: (fx) => ({ resourceArn: fx.clusterArn, tagKeys: ['team'] }),
    enums: 'its input (resourceArn, tagKeys) has no enum member',
    oversized: ['tagKeys', 0],
    longName: { path: ['resourceArn'], value: longArn, code: 'ClusterNotFoundException' },
  },
  ListTagsForResource: {
    valid: (fx) => ({ resourceArn: fx.taskDefinitionArn }),
    enums: 'its input (resourceArn) has no enum member',
    oversized: ['resourceArn'],
    longName: { path: ['resourceArn'], value: longArn, code: 'ClusterNotFoundException' },
  },
  PutAccountSetting: {
    valid: () => ({ name: 'containerInsights', value: 'disabled' }),
    enums: [['name']],
    oversized: ['value'],
    longName: accountSettingName,
  },
  PutAccountSettingDefault: {
    valid: () => ({ name: 'containerInsights', value: 'disabled' }),
    enums: [['name']],
    oversized: ['value'],
    longName: accountSettingName,
  },
  ListAccountSettings: {
    valid: () => ({ name: 'containerInsights', effectiveSettings: true, maxResults: 5 }),
    enums: [['name']],
    oversized: ['value'],
    longName: accountSettingName,
  },
  DeleteAccountSetting: {
    valid: () => ({ name: 'containerInsights' }),
    enums: [['name']],
    oversized: ['principalArn'],
    longName: accountSettingName,
  },
};

export const OPERATIONS: readonly OperationCase[] = Object.entries(CASES).map(([op, c]) => ({
  op: op as EcsOperationName,
  ...c,
}));
