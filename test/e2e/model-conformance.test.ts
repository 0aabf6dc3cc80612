import * as ecsSdk from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import type { EcsOperationName } from '../../src/api/ecs/index.js';
import { ecsService } from '../../src/api/ecs/index.js';
import { ECS_ENUMS } from '../../src/api/ecs/enums.js';
import { ECS_ERRORS } from '../../src/api/ecs/errors.js';
import type { Operation, RequestContext } from '../../src/api/service.js';
import { structureMembers } from '../../src/api/validate.js';
import { createEcsControl } from '../../src/control/ecs/index.js';
import { Fault } from '../../src/core/fault.js';
import type { Store } from '../../src/store/index.js';
import type { ClusterRepository } from '../../src/store/clusters.js';
import { registration, webWithSidecar } from '../support/fixtures.js';
import {
  ApiModel,
  checkValue,
  enumObjectValues,
  locateModels,
  pairMembers,
  shortName,
  type MemberPair,
} from '../support/model.js';
import { connectAgent } from '../support/agent-session.js';
import { elbClient, forwardedTargetGroup } from '../support/elbv2.js';
import { serviceScenarios } from '../support/service-scenarios.js';
import { startTestServer, uniqueName, type TestServer } from '../support/server.js';
import { ECS_TARGET, signedRequest, type RawResponse } from '../support/signed.js';
import { PlacementCache } from '../../src/control/placement-cache.js';

/**
 * Model conformance: every ECS operation Berth serves (the keys of its operation table) is
 * compared with the ECS API model — input members, types and required members as the validator
 * sees them (the SDK schemas), the enum table, the JSON a real call answers, and the error codes
 * each operation answers. The model is April 2025 and the SDK newer: where the SDK adds enum
 * values, that is accepted and reported as a diagnostic; anything the model has that Berth lacks fails.
 */

const MODEL_FILE = 'ecs-2014-11-13.json';
const models = locateModels(MODEL_FILE);
const ACCOUNT = '123456789012';

/** Errors any awsJson service answers before an operation runs: not listed per operation in models. */
const PROTOCOL_ERRORS = new Set([
  'SerializationException',
  'UnknownOperationException',
  'MissingAuthenticationTokenException',
  'IncompleteSignatureException',
  'InvalidSignatureException',
  'UnrecognizedClientException',
  'ExpiredTokenException',
  'AccessDeniedException',
  'RequestEntityTooLargeException',
]);

/** A request body (any JSON object). */
type Body = object;

interface ErrorCase {
  readonly why: string;
  /** The request body, or a function that prepares what the case needs and returns it. */
  readonly input: Body | (() => Promise<Body>);
  /** The code Berth answers; it must also be one the model lists for the operation. */
  readonly code: string;
}

interface Scenario {
  /** Prepares what the calls need and returns one or more realistic inputs that must succeed. */
  readonly success: () => Promise<readonly Body[]> | readonly Body[];
  readonly errors: readonly ErrorCase[];
}

/**
 * Model-required input members the newer SDK made optional, each with where Berth enforces the
 * rule that replaced the requirement (and a RegisterTaskDefinition error case proving it).
 */
const RELAXED_BY_SDK: Readonly<Record<string, string>> = {
  'ResourceRequirement.value':
    'required unless a GPU sets sharingStrategy: core/ecs/task-definition/containers.ts checks it',
};

/** What @aws-sdk/client-ecs exports under `name`: enum objects, error classes, schemas (`Cluster$`). */
function sdkExport(name: string): unknown {
  return (ecsSdk as Record<string, unknown>)[name];
}

/** SDK enum values by enum shape name (`SettingName` → the SDK's `SettingName` object). */
function sdkEnumValues(name: string): readonly string[] {
  return enumObjectValues(sdkExport(name)) ?? [];
}

/** The store, except that every versioned cluster write loses its race (as under heavy contention). */
function contended(store: Store): Store {
  const lose = (clusters: ClusterRepository): ClusterRepository =>
    Object.assign(Object.create(clusters) as ClusterRepository, { update: () => Promise.resolve(false) });
  return {
    ...store,
    clusters: lose(store.clusters),
    transaction: (work) => store.transaction((repos) => work({ ...repos, clusters: lose(repos.clusters) })),
  };
}

describe('ECS API model conformance', { skip: models.skip }, () => {
  let berth: TestServer;
  let model: ApiModel;
  let served: readonly (readonly [string, Operation])[];

  /** The operation table as the server builds it, over `store`. */
  function operationTable(store: Store): Readonly<Record<string, Operation>> {
    const scope = { partition: 'aws', region: berth.region, accountId: ACCOUNT };
    return ecsService(
      createEcsControl({ store, scope, now: () => Date.now(), placementCache: new PlacementCache(store) }),
    ).operations;
  }

  before(async () => {
    model = ApiModel.load(join(models.dir, MODEL_FILE));
    berth = await startTestServer();
    served = Object.entries(operationTable(berth.server.store));
    assert.ok(served.length > 0, 'Berth serves no ECS operation');
  });
  after(() => berth?.close());

  /** Runs `check(op)` as one subtest per served operation. */
  async function eachOperation(
    t: TestContext,
    check: (name: string, operation: Operation, t: TestContext) => Promise<void> | void,
  ): Promise<void> {
    for (const [name, operation] of served) await t.test(name, (sub) => check(name, operation, sub));
  }

  function call(operation: string, body: Body): Promise<RawResponse> {
    return signedRequest(
      berth.endpoint,
      { target: `${ECS_TARGET}.${operation}`, body: JSON.stringify(body) },
      { credentials: berth.credentials, region: berth.region },
    );
  }

  async function ok(operation: string, body: Body): Promise<Record<string, unknown>> {
    const response = await call(operation, body);
    assert.equal(response.status, 200, `${operation} ${JSON.stringify(body)} → ${response.text}`);
    return response.json ?? {};
  }

  // ---------------------------------------------------------------------------------------------
  // Realistic requests for each operation, and requests that must fail

  const cluster = {
    clusterName: '',
    tags: [{ key: 'team', value: 'platform' }],
    settings: [{ name: 'containerInsights', value: 'enhanced' }],
    configuration: {
      executeCommandConfiguration: {
        kmsKeyId: `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
        logging: 'OVERRIDE',
        logConfiguration: {
          cloudWatchLogGroupName: '/ecs/exec',
          cloudWatchEncryptionEnabled: true,
          s3BucketName: 'exec-audit',
          s3EncryptionEnabled: true,
          s3KeyPrefix: 'exec/',
        },
      },
    },
    capacityProviders: ['FARGATE', 'FARGATE_SPOT'],
    defaultCapacityProviderStrategy: [
      { capacityProvider: 'FARGATE', weight: 1, base: 1 },
      { capacityProvider: 'FARGATE_SPOT', weight: 3 },
    ],
    serviceConnectDefaults: { namespace: `arn:aws:servicediscovery:us-east-1:${ACCOUNT}:namespace/ns-demo` },
  };

  /** A cluster with settings, configuration, capacity providers and tags; returns its name and ARN. */
  async function newCluster(): Promise<{ name: string; arn: string }> {
    const name = uniqueName('conformance');
    const out = await ok('CreateCluster', { ...cluster, clusterName: name });
    return { name, arn: (out.cluster as { clusterArn: string }).clusterArn };
  }

  /** A family with `revisions` revisions of the web + sidecar definition; returns the family name. */
  async function newFamily(revisions = 1): Promise<string> {
    const family = uniqueName('conformance');
    for (let i = 0; i < revisions; i++) await ok('RegisterTaskDefinition', webWithSidecar(family));
    return family;
  }

  /** A target group a load balancer forwards to (ECS checks both before CreateService). */
  async function newTargetGroup(): Promise<string> {
    const elb = elbClient(berth);
    try {
      return (await forwardedTargetGroup(elb, 'conformance')).targetGroupArn;
    } finally {
      elb.destroy();
    }
  }

  /**
   * A family whose tasks any registered instance can take: webWithSidecar requires attributes
   * (secrets, awslogs) the registration fixture does not report, so placement refuses it.
   */
  async function runnableFamily(): Promise<string> {
    const family = uniqueName('conformance');
    await ok('RegisterTaskDefinition', {
      family,
      containerDefinitions: [
        {
          name: 'web',
          image: 'busybox:latest',
          cpu: 128,
          memory: 256,
          portMappings: [{ containerPort: 80 }],
        },
      ],
      tags: [{ key: 'tier', value: 'web' }],
    });
    return family;
  }

  const fargate = (family: string): Body => ({
    family,
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    cpu: '512',
    memory: '1024',
    runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' },
    ephemeralStorage: { sizeInGiB: 40 },
    executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/ecsTaskExecutionRole`,
    containerDefinitions: [
      {
        name: 'api',
        image: `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/api:2.3.1`,
        essential: true,
        portMappings: [{ containerPort: 8080, protocol: 'tcp', name: 'api', appProtocol: 'http2' }],
        environment: [{ name: 'LOG_LEVEL', value: 'info' }],
        readonlyRootFilesystem: true,
        stopTimeout: 30,
        logConfiguration: {
          logDriver: 'awslogs',
          options: {
            'awslogs-group': '/ecs/api',
            'awslogs-region': 'us-east-1',
            'awslogs-stream-prefix': 'api',
          },
        },
      },
    ],
    tags: [{ key: 'tier', value: 'backend' }],
  });

  /** Registers a container instance (a new host) in `cluster`; returns its ARN and short id. */
  async function newInstance(clusterName: string): Promise<{ arn: string; id: string }> {
    const out = await ok('RegisterContainerInstance', registration(clusterName, uniqueName('i')));
    const arn = (out.containerInstance as { containerInstanceArn: string }).containerInstanceArn;
    await connectAgent(berth, clusterName, arn);
    return { arn, id: arn.split('/').pop()! };
  }

  /** A cluster with two registered instances. */
  async function clusterWithInstances(): Promise<{ name: string; first: string; second: string }> {
    const { name } = await newCluster();
    return { name, first: (await newInstance(name)).arn, second: (await newInstance(name)).id };
  }

  const missingCluster = `arn:aws:ecs:us-east-1:${ACCOUNT}:cluster/no-such-cluster`;
  const user = `arn:aws:iam::${ACCOUNT}:user/conformance`;

  const scenarios: Record<EcsOperationName, Scenario> = {
    CreateCluster: {
      success: async () => {
        const deleted = await newCluster();
        await ok('DeleteCluster', { cluster: deleted.name });
        return [{ ...cluster, clusterName: uniqueName('conformance') }, {}, { clusterName: deleted.name }];
      },
      errors: [
        { why: 'an invalid name', input: { clusterName: 'not a name!' }, code: 'InvalidParameterException' },
        {
          why: 'a reserved tag key',
          input: { clusterName: uniqueName('c'), tags: [{ key: 'aws:owner', value: 'x' }] },
          code: 'InvalidParameterException',
        },
        {
          why: 'an unknown setting name',
          input: { clusterName: uniqueName('c'), settings: [{ name: 'bogus', value: 'enabled' }] },
          code: 'InvalidParameterException',
        },
        {
          why: 'a strategy naming an unassociated provider',
          input: { defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE' }] },
          code: 'InvalidParameterException',
        },
      ],
    },
    DescribeClusters: {
      success: async () => {
        const { name, arn } = await newCluster();
        return [
          {
            clusters: [name, arn, 'no-such-cluster'],
            include: ['ATTACHMENTS', 'CONFIGURATIONS', 'SETTINGS', 'STATISTICS', 'TAGS'],
          },
          { clusters: [name] },
        ];
      },
      errors: [
        { why: 'an unknown include field', input: { include: ['BOGUS'] }, code: 'InvalidParameterException' },
        {
          why: "another region's cluster ARN",
          input: { clusters: [`arn:aws:ecs:eu-west-1:${ACCOUNT}:cluster/x`] },
          code: 'InvalidParameterException',
        },
      ],
    },
    ListClusters: {
      success: async () => {
        await newCluster();
        await newCluster();
        return [{ maxResults: 1 }, {}];
      },
      errors: [
        { why: 'a forged nextToken', input: { nextToken: '!!!' }, code: 'InvalidParameterException' },
        { why: 'maxResults 0', input: { maxResults: 0 }, code: 'InvalidParameterException' },
      ],
    },
    UpdateCluster: {
      success: async () => {
        const { name } = await newCluster();
        return [
          {
            cluster: name,
            settings: [{ name: 'containerInsights', value: 'disabled' }],
            configuration: { executeCommandConfiguration: { logging: 'DEFAULT' } },
            serviceConnectDefaults: {
              namespace: `arn:aws:servicediscovery:us-east-1:${ACCOUNT}:namespace/ns-other`,
            },
          },
        ];
      },
      errors: [
        { why: 'a missing cluster', input: { cluster: missingCluster }, code: 'ClusterNotFoundException' },
        {
          why: 'an unknown logging mode',
          input: { cluster: 'x', configuration: { executeCommandConfiguration: { logging: 'LOUD' } } },
          code: 'InvalidParameterException',
        },
      ],
    },
    UpdateClusterSettings: {
      success: async () => {
        const { name } = await newCluster();
        return [{ cluster: name, settings: [{ name: 'containerInsights', value: 'enabled' }] }];
      },
      errors: [
        {
          why: 'a missing cluster',
          input: { cluster: 'no-such-cluster', settings: [{ name: 'containerInsights', value: 'enabled' }] },
          code: 'ClusterNotFoundException',
        },
        {
          why: 'an invalid setting value',
          input: async () => ({
            cluster: (await newCluster()).name,
            settings: [{ name: 'containerInsights', value: 'sometimes' }],
          }),
          code: 'InvalidParameterException',
        },
      ],
    },
    DeleteCluster: {
      success: async () => [{ cluster: (await newCluster()).arn }],
      errors: [
        { why: 'a missing cluster', input: { cluster: missingCluster }, code: 'ClusterNotFoundException' },
        {
          why: 'a cluster deleted already',
          input: async () => {
            const { name } = await newCluster();
            await ok('DeleteCluster', { cluster: name });
            return { cluster: name };
          },
          code: 'ClusterNotFoundException',
        },
      ],
    },
    PutClusterCapacityProviders: {
      success: async () => [
        {
          cluster: (await newCluster()).name,
          capacityProviders: ['FARGATE', 'FARGATE_SPOT'],
          defaultCapacityProviderStrategy: [
            { capacityProvider: 'FARGATE_SPOT', weight: 4 },
            { capacityProvider: 'FARGATE', weight: 1, base: 2 },
          ],
        },
      ],
      errors: [
        {
          why: 'a missing cluster',
          input: { cluster: missingCluster, capacityProviders: [], defaultCapacityProviderStrategy: [] },
          code: 'ClusterNotFoundException',
        },
        {
          why: 'an unknown capacity provider',
          input: async () => ({
            cluster: (await newCluster()).name,
            capacityProviders: ['my-asg-provider'],
            defaultCapacityProviderStrategy: [],
          }),
          code: 'InvalidParameterException',
        },
      ],
    },
    RegisterContainerInstance: {
      success: async () => {
        const { name } = await newCluster();
        const host = uniqueName('i');
        const first = await ok('RegisterContainerInstance', registration(name, host));
        const arn = (first.containerInstance as { containerInstanceArn: string }).containerInstanceArn;
        return [
          { ...registration(name, uniqueName('i')), platformDevices: [{ id: 'gpu-0', type: 'GPU' }] },
          registration(name, host),
          { ...registration(name, host), containerInstanceArn: arn, instanceIdentityDocument: undefined },
        ];
      },
      errors: [
        {
          why: 'a missing cluster',
          input: registration('no-such-cluster', 'i-0abc'),
          code: 'ClientException',
        },
        {
          why: 'no CPU among the resources',
          input: async () => ({
            ...registration((await newCluster()).name, uniqueName('i')),
            totalResources: [{ name: 'MEMORY', type: 'INTEGER', integerValue: 1024 }],
          }),
          code: 'InvalidParameterException',
        },
        {
          why: 'an identity document that is not JSON',
          input: async () => ({
            ...registration((await newCluster()).name, 'x'),
            instanceIdentityDocument: 'not json',
          }),
          code: 'InvalidParameterException',
        },
      ],
    },
    DeregisterContainerInstance: {
      success: async () => {
        const { name, first, second } = await clusterWithInstances();
        return [
          { cluster: name, containerInstance: first },
          { cluster: name, containerInstance: second, force: true },
        ];
      },
      errors: [
        {
          why: 'a missing cluster',
          input: { cluster: missingCluster, containerInstance: 'abc' },
          code: 'ClusterNotFoundException',
        },
        {
          why: 'an unknown instance',
          input: async () => ({ cluster: (await newCluster()).name, containerInstance: 'f'.repeat(32) }),
          code: 'InvalidParameterException',
        },
      ],
    },
    DescribeContainerInstances: {
      success: async () => {
        const { name, first, second } = await clusterWithInstances();
        return [
          {
            cluster: name,
            containerInstances: [first, second, '0'.repeat(32)],
            include: ['TAGS', 'CONTAINER_INSTANCE_HEALTH'],
          },
          { cluster: name, containerInstances: [second] },
        ];
      },
      errors: [
        {
          why: 'a missing cluster',
          input: { cluster: missingCluster, containerInstances: ['abc'] },
          code: 'ClusterNotFoundException',
        },
        {
          why: 'an ARN that is not a container instance',
          input: async () => ({ cluster: (await newCluster()).name, containerInstances: [missingCluster] }),
          code: 'InvalidParameterException',
        },
      ],
    },
    ListContainerInstances: {
      success: async () => {
        const { name } = await clusterWithInstances();
        return [
          { cluster: name, maxResults: 1 },
          { cluster: name, status: 'DRAINING' },
          { cluster: name, filter: 'attribute:ecs.os-type == linux' },
          { cluster: name, filter: 'attribute:rack exists' },
        ];
      },
      errors: [
        { why: 'a missing cluster', input: { cluster: missingCluster }, code: 'ClusterNotFoundException' },
        {
          why: 'a filter that is not a cluster query expression',
          input: async () => ({
            cluster: (await newCluster()).name,
            filter: 'attribute:a == b or',
          }),
          code: 'InvalidParameterException',
        },
      ],
    },
    UpdateContainerInstancesState: {
      success: async () => {
        const { name, first, second } = await clusterWithInstances();
        return [
          { cluster: name, containerInstances: [first, second, '0'.repeat(32)], status: 'DRAINING' },
          { cluster: name, containerInstances: [second], status: 'ACTIVE' },
        ];
      },
      errors: [
        {
          why: 'a missing cluster',
          input: { cluster: missingCluster, containerInstances: ['abc'], status: 'DRAINING' },
          code: 'ClusterNotFoundException',
        },
        {
          why: 'a status other than ACTIVE or DRAINING',
          input: async () => {
            const { name, first } = await clusterWithInstances();
            return { cluster: name, containerInstances: [first], status: 'REGISTERING' };
          },
          code: 'InvalidParameterException',
        },
      ],
    },
    PutAttributes: {
      success: async () => {
        const { name, first, second } = await clusterWithInstances();
        return [
          {
            cluster: name,
            attributes: [
              { name: 'EBS', value: 'io1', targetId: first },
              { name: 'ssd', targetType: 'container-instance', targetId: second },
            ],
          },
        ];
      },
      errors: [
        {
          why: 'a missing cluster',
          input: { cluster: missingCluster, attributes: [{ name: 'a', targetId: 'abc' }] },
          code: 'ClusterNotFoundException',
        },
        {
          why: 'an unknown target',
          input: async () => ({
            cluster: (await newCluster()).name,
            attributes: [{ name: 'a', value: 'b', targetId: '0'.repeat(32) }],
          }),
          code: 'TargetNotFoundException',
        },
        {
          why: 'eleven custom attributes',
          input: async () => {
            const { name, first } = await clusterWithInstances();
            const attributes = Array.from({ length: 11 }, (_, i) => ({ name: `a${i}`, targetId: first }));
            return { cluster: name, attributes };
          },
          code: 'AttributeLimitExceededException',
        },
        {
          why: 'a reserved ecs. name',
          input: async () => {
            const { name, first } = await clusterWithInstances();
            return {
              cluster: name,
              attributes: [{ name: 'ecs.os-type', value: 'windows', targetId: first }],
            };
          },
          code: 'InvalidParameterException',
        },
      ],
    },
    DeleteAttributes: {
      success: async () => {
        const { name, first } = await clusterWithInstances();
        return [{ cluster: name, attributes: [{ name: 'rack', targetId: first }] }];
      },
      errors: [
        {
          why: 'a missing cluster',
          input: { cluster: missingCluster, attributes: [{ name: 'a', targetId: 'abc' }] },
          code: 'ClusterNotFoundException',
        },
        {
          why: 'an unknown target',
          input: async () => ({
            cluster: (await newCluster()).name,
            attributes: [{ name: 'rack', targetId: '0'.repeat(32) }],
          }),
          code: 'TargetNotFoundException',
        },
      ],
    },
    ListAttributes: {
      success: async () => {
        const { name } = await clusterWithInstances();
        return [
          { cluster: name, targetType: 'container-instance' },
          {
            cluster: name,
            targetType: 'container-instance',
            attributeName: 'ecs.os-type',
            attributeValue: 'linux',
            maxResults: 1,
          },
        ];
      },
      errors: [
        {
          why: 'a missing cluster',
          input: { cluster: missingCluster, targetType: 'container-instance' },
          code: 'ClusterNotFoundException',
        },
        {
          why: 'a value without a name',
          input: async () => ({
            cluster: (await newCluster()).name,
            targetType: 'container-instance',
            attributeValue: 'linux',
          }),
          code: 'InvalidParameterException',
        },
      ],
    },
    RunTask: {
      success: async () => {
        const { name } = await clusterWithInstances();
        const family = await runnableFamily();
        return [
          {
            cluster: name,
            taskDefinition: family,
            count: 2,
            launchType: 'EC2',
            group: 'conformance',
            startedBy: 'conformance',
            referenceId: 'ref-1',
            clientToken: uniqueName('token'),
            propagateTags: 'TASK_DEFINITION',
            enableECSManagedTags: false,
            placementStrategy: [{ type: 'binpack', field: 'memory' }],
            overrides: {
              containerOverrides: [
                { name: 'web', command: ['serve'], environment: [{ name: 'A', value: '1' }], memory: 600 },
              ],
            },
            tags: [{ key: 'run', value: 'conformance' }],
          },
          // Bigger than any instance: answered with failures, not an error.
          { cluster: name, taskDefinition: family, overrides: { memory: '100000' } },
        ];
      },
      errors: [
        {
          why: 'a missing cluster',
          input: { cluster: missingCluster, taskDefinition: 'x' },
          code: 'ClusterNotFoundException',
        },
        {
          why: 'a missing task definition',
          input: async () => ({
            cluster: (await clusterWithInstances()).name,
            taskDefinition: 'no-such-family',
          }),
          code: 'ClientException',
        },
        {
          why: 'count 11',
          input: async () => ({ cluster: (await newCluster()).name, taskDefinition: 'x', count: 11 }),
          code: 'InvalidParameterException',
        },
        {
          why: 'an override naming no container',
          input: async () => ({
            cluster: (await clusterWithInstances()).name,
            taskDefinition: await runnableFamily(),
            overrides: { containerOverrides: [{ name: 'nobody' }] },
          }),
          code: 'InvalidParameterException',
        },
        {
          why: 'the FARGATE launch type',
          input: async () => ({
            cluster: (await newCluster()).name,
            taskDefinition: 'x',
            launchType: 'FARGATE',
          }),
          code: 'InvalidParameterException',
        },
      ],
    },
    StartTask: {
      success: async () => {
        const { name, first, second } = await clusterWithInstances();
        return [
          {
            cluster: name,
            taskDefinition: await runnableFamily(),
            containerInstances: [first, second, '0'.repeat(32)],
            group: 'conformance',
            startedBy: 'conformance',
            propagateTags: 'TASK_DEFINITION',
            tags: [{ key: 'start', value: 'conformance' }],
          },
        ];
      },
      errors: [
        {
          why: 'a missing cluster',
          input: { cluster: missingCluster, taskDefinition: 'x', containerInstances: ['a'] },
          code: 'ClusterNotFoundException',
        },
        {
          why: 'no container instance',
          input: async () => ({
            cluster: (await newCluster()).name,
            taskDefinition: 'x',
            containerInstances: [],
          }),
          code: 'InvalidParameterException',
        },
      ],
    },
    StopTask: {
      success: async () => {
        const { name } = await clusterWithInstances();
        const out = await ok('RunTask', { cluster: name, taskDefinition: await runnableFamily() });
        const task = (out.tasks as { taskArn: string }[])[0]!.taskArn;
        return [
          { cluster: name, task, reason: 'conformance' },
          { cluster: name, task: task.split('/').pop() },
        ];
      },
      errors: [
        {
          why: 'a missing cluster',
          input: { cluster: missingCluster, task: 'abc' },
          code: 'ClusterNotFoundException',
        },
        {
          why: 'an unknown task',
          input: async () => ({ cluster: (await newCluster()).name, task: 'f'.repeat(32) }),
          code: 'InvalidParameterException',
        },
      ],
    },
    DescribeTasks: {
      success: async () => {
        const { name } = await clusterWithInstances();
        const out = await ok('RunTask', {
          cluster: name,
          taskDefinition: await runnableFamily(),
          count: 2,
          tags: [{ key: 'a', value: 'b' }],
        });
        const [a, b] = (out.tasks as { taskArn: string }[]).map((t) => t.taskArn);
        await ok('StopTask', { cluster: name, task: b });
        return [
          { cluster: name, tasks: [a, b, '0'.repeat(32)], include: ['TAGS'] },
          { cluster: name, tasks: [a!.split('/').pop()] },
        ];
      },
      errors: [
        {
          why: 'a missing cluster',
          input: { cluster: missingCluster, tasks: ['abc'] },
          code: 'ClusterNotFoundException',
        },
        {
          why: 'an ARN that is not a task',
          input: async () => ({ cluster: (await newCluster()).name, tasks: [missingCluster] }),
          code: 'InvalidParameterException',
        },
      ],
    },
    ListTasks: {
      success: async () => {
        const { name, first } = await clusterWithInstances();
        const family = await runnableFamily();
        await ok('RunTask', { cluster: name, taskDefinition: family, count: 2, startedBy: 'conformance' });
        return [
          { cluster: name, maxResults: 1 },
          { cluster: name, family, desiredStatus: 'RUNNING', launchType: 'EC2' },
          { cluster: name, containerInstance: first, startedBy: 'conformance' },
          { cluster: name, serviceName: 'web', desiredStatus: 'STOPPED' },
        ];
      },
      errors: [
        { why: 'a missing cluster', input: { cluster: missingCluster }, code: 'ClusterNotFoundException' },
        {
          why: 'a forged nextToken',
          input: async () => ({ cluster: (await newCluster()).name, nextToken: 'e30' }),
          code: 'InvalidParameterException',
        },
      ],
    },
    SubmitContainerStateChange: {
      success: async () => {
        const { name } = await clusterWithInstances();
        const out = await ok('RunTask', { cluster: name, taskDefinition: await runnableFamily() });
        const task = (out.tasks as { taskArn: string }[])[0]!.taskArn;
        const running = {
          cluster: name,
          task,
          containerName: 'web',
          runtimeId: 'c0ffee',
          status: 'RUNNING',
          networkBindings: [{ bindIP: '0.0.0.0', containerPort: 80, hostPort: 32768, protocol: 'tcp' }],
        };
        // Repeated, then stopped, then reported again after STOPPED: each is acknowledged.
        return [
          running,
          running,
          { cluster: name, task, containerName: 'web', status: 'STOPPED', exitCode: 0, reason: 'done' },
          { task, containerName: 'web', status: 'STOPPED', exitCode: 0 },
        ];
      },
      errors: [
        {
          why: 'a missing cluster',
          input: { cluster: missingCluster, task: 'f'.repeat(32), containerName: 'web', status: 'RUNNING' },
          code: 'ClientException',
        },
        {
          why: 'an unknown task',
          input: async () => ({
            cluster: (await newCluster()).name,
            task: 'f'.repeat(32),
            containerName: 'web',
            status: 'RUNNING',
          }),
          code: 'ClientException',
        },
        {
          why: 'a container the task does not have',
          input: async () => {
            const { name } = await clusterWithInstances();
            const out = await ok('RunTask', { cluster: name, taskDefinition: await runnableFamily() });
            const task = (out.tasks as { taskArn: string }[])[0]!.taskArn;
            return { cluster: name, task, containerName: 'nobody', status: 'RUNNING' };
          },
          code: 'ClientException',
        },
      ],
    },
    SubmitTaskStateChange: {
      success: async () => {
        const { name } = await clusterWithInstances();
        const family = await runnableFamily();
        const out = await ok('RunTask', { cluster: name, taskDefinition: family, count: 2 });
        const [a, b] = (out.tasks as { taskArn: string }[]).map((t) => t.taskArn);
        const now = Date.now() / 1000;
        return [
          {
            cluster: name,
            task: a,
            status: 'RUNNING',
            pullStartedAt: now - 2,
            pullStoppedAt: now - 1,
            containers: [
              {
                containerName: 'web',
                imageDigest: `sha256:${'a'.repeat(64)}`,
                runtimeId: 'c0ffee',
                status: 'RUNNING',
                networkBindings: [{ bindIP: '0.0.0.0', containerPort: 80, hostPort: 32768, protocol: 'tcp' }],
              },
            ],
            attachments: [],
            managedAgents: [],
          },
          {
            cluster: name,
            task: a,
            status: 'STOPPED',
            executionStoppedAt: now,
            containers: [{ containerName: 'web', status: 'STOPPED', exitCode: 137, reason: 'killed' }],
          },
          { cluster: name, task: b, status: 'STOPPED', reason: 'CannotPullContainerError: no such image' },
        ];
      },
      errors: [
        {
          why: 'a missing cluster',
          input: { cluster: missingCluster, task: 'f'.repeat(32), status: 'RUNNING' },
          code: 'ClientException',
        },
        {
          why: 'an unknown task',
          input: async () => ({
            cluster: (await newCluster()).name,
            task: 'f'.repeat(32),
            status: 'RUNNING',
          }),
          code: 'InvalidParameterException',
        },
        {
          why: 'a container the task does not have',
          input: async () => {
            const { name } = await clusterWithInstances();
            const out = await ok('RunTask', { cluster: name, taskDefinition: await runnableFamily() });
            const task = (out.tasks as { taskArn: string }[])[0]!.taskArn;
            return { cluster: name, task, containers: [{ containerName: 'nobody', status: 'RUNNING' }] };
          },
          code: 'InvalidParameterException',
        },
      ],
    },
    DiscoverPollEndpoint: {
      success: async () => {
        const { name, first } = await clusterWithInstances();
        return [{ cluster: name, containerInstance: first }, { cluster: name }];
      },
      errors: [{ why: 'a missing cluster', input: { cluster: missingCluster }, code: 'ClientException' }],
    },
    ...serviceScenarios({ account: ACCOUNT, ok, newCluster, newFamily, newTargetGroup }),
    RegisterTaskDefinition: {
      success: () => [webWithSidecar(uniqueName('conformance')), fargate(uniqueName('conformance'))],
      errors: [
        {
          why: 'a mount point naming no volume',
          input: () => {
            const input = webWithSidecar(uniqueName('bad'));
            input.containerDefinitions![0]!.mountPoints = [{ sourceVolume: 'missing', containerPath: '/x' }];
            return Promise.resolve(input);
          },
          code: 'ClientException',
        },
        {
          why: 'a resource requirement without a value',
          input: () => {
            const input = webWithSidecar(uniqueName('bad'));
            input.containerDefinitions![0]!.resourceRequirements = [
              { type: 'InferenceAccelerator' } as never,
            ];
            return Promise.resolve(input);
          },
          code: 'ClientException',
        },
        {
          why: 'a GPU requirement with neither a value nor a sharing strategy',
          input: () => {
            const input = webWithSidecar(uniqueName('bad'));
            input.containerDefinitions![0]!.resourceRequirements = [{ type: 'GPU' } as never];
            return Promise.resolve(input);
          },
          code: 'ClientException',
        },
        {
          why: 'an unknown network mode',
          input: { ...webWithSidecar('x'), networkMode: 'mesh' },
          code: 'InvalidParameterException',
        },
      ],
    },
    DescribeTaskDefinition: {
      success: async () => {
        const family = await newFamily(2);
        return [{ taskDefinition: `${family}:1`, include: ['TAGS'] }, { taskDefinition: family }];
      },
      errors: [
        {
          why: 'a family that does not exist',
          input: { taskDefinition: 'no-such-family' },
          code: 'ClientException',
        },
        {
          why: 'an unknown include field',
          input: { taskDefinition: 'x', include: ['EVERYTHING'] },
          code: 'InvalidParameterException',
        },
      ],
    },
    ListTaskDefinitions: {
      success: async () => {
        const family = await newFamily(2);
        return [{ familyPrefix: family, status: 'ACTIVE', sort: 'DESC', maxResults: 1 }, {}];
      },
      errors: [
        { why: 'an unknown status', input: { status: 'GONE' }, code: 'InvalidParameterException' },
        { why: 'an invalid family prefix', input: { familyPrefix: 'a b' }, code: 'ClientException' },
        { why: 'a forged nextToken', input: { nextToken: 'e30' }, code: 'InvalidParameterException' },
      ],
    },
    ListTaskDefinitionFamilies: {
      success: async () => {
        await newFamily();
        return [{ familyPrefix: 'conformance', status: 'ALL', maxResults: 1 }, {}];
      },
      errors: [
        { why: 'an unknown status', input: { status: 'GONE' }, code: 'InvalidParameterException' },
        { why: 'a forged nextToken', input: { nextToken: '%%%' }, code: 'InvalidParameterException' },
      ],
    },
    DeregisterTaskDefinition: {
      success: async () => [{ taskDefinition: `${await newFamily()}:1` }],
      errors: [
        { why: 'no revision', input: { taskDefinition: 'some-family' }, code: 'ClientException' },
        {
          why: 'a revision that does not exist',
          input: { taskDefinition: `arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition/no-such-family:7` },
          code: 'ClientException',
        },
      ],
    },
    DeleteTaskDefinitions: {
      success: async () => {
        const family = await newFamily(2);
        await ok('DeregisterTaskDefinition', { taskDefinition: `${family}:1` });
        return [{ taskDefinitions: [`${family}:1`, `${family}:2`, 'no-such-family:3'] }];
      },
      errors: [
        { why: 'an empty list', input: { taskDefinitions: [] }, code: 'InvalidParameterException' },
        {
          why: 'more than 10 revisions',
          input: { taskDefinitions: Array.from({ length: 11 }, (_, i) => `f:${i + 1}`) },
          code: 'InvalidParameterException',
        },
      ],
    },
    TagResource: {
      success: async () => {
        const family = await newFamily();
        return [
          { resourceArn: (await newCluster()).arn, tags: [{ key: 'cost-center', value: '42' }] },
          {
            resourceArn: `arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition/${family}:1`,
            tags: [{ key: 'owner', value: 'web' }],
          },
        ];
      },
      errors: [
        {
          why: 'a missing cluster',
          input: { resourceArn: missingCluster, tags: [{ key: 'a', value: 'b' }] },
          code: 'ClusterNotFoundException',
        },
        {
          why: 'a missing task definition',
          input: {
            resourceArn: `arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition/no-such-family:1`,
            tags: [{ key: 'a', value: 'b' }],
          },
          code: 'ClientException',
        },
        {
          why: 'an ARN of another service',
          input: { resourceArn: `arn:aws:s3:::bucket`, tags: [{ key: 'a', value: 'b' }] },
          code: 'InvalidParameterException',
        },
      ],
    },
    UntagResource: {
      success: async () => [{ resourceArn: (await newCluster()).arn, tagKeys: ['team', 'absent'] }],
      errors: [
        {
          why: 'a missing cluster',
          input: { resourceArn: missingCluster, tagKeys: ['team'] },
          code: 'ClusterNotFoundException',
        },
      ],
    },
    ListTagsForResource: {
      success: async () => {
        const family = await newFamily();
        return [
          { resourceArn: (await newCluster()).arn },
          { resourceArn: `arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition/${family}:1` },
        ];
      },
      errors: [
        {
          why: 'a missing cluster',
          input: { resourceArn: missingCluster },
          code: 'ClusterNotFoundException',
        },
        { why: 'not an ARN', input: { resourceArn: 'my-cluster' }, code: 'InvalidParameterException' },
      ],
    },
    PutAccountSetting: {
      success: () => [
        { name: 'containerInsights', value: 'enhanced' },
        { name: 'serviceLongArnFormat', value: 'enabled', principalArn: user },
      ],
      errors: [
        {
          why: 'a value the setting does not take',
          input: { name: 'containerInsights', value: 'maybe' },
          code: 'InvalidParameterException',
        },
        {
          why: 'an unknown setting name',
          input: { name: 'fastMode', value: 'enabled' },
          code: 'InvalidParameterException',
        },
        {
          why: 'an account-wide setting for one user',
          input: { name: 'fargateFIPSMode', value: 'enabled', principalArn: user },
          code: 'InvalidParameterException',
        },
      ],
    },
    PutAccountSettingDefault: {
      success: () => [{ name: 'fargateTaskRetirementWaitPeriod', value: '14' }],
      errors: [
        {
          why: 'a value the setting does not take',
          input: { name: 'fargateTaskRetirementWaitPeriod', value: '3' },
          code: 'InvalidParameterException',
        },
      ],
    },
    ListAccountSettings: {
      success: async () => {
        await ok('PutAccountSetting', { name: 'taskLongArnFormat', value: 'disabled', principalArn: user });
        return [
          { effectiveSettings: true },
          { principalArn: user, maxResults: 1 },
          { name: 'containerInsights', value: 'disabled', effectiveSettings: true },
        ];
      },
      errors: [
        {
          why: 'a principal that is not an IAM ARN',
          input: { principalArn: 'someone' },
          code: 'InvalidParameterException',
        },
        { why: 'maxResults 11', input: { maxResults: 11 }, code: 'InvalidParameterException' },
      ],
    },
    DeleteAccountSetting: {
      success: async () => {
        await ok('PutAccountSetting', { name: 'awsvpcTrunking', value: 'enabled', principalArn: user });
        return [{ name: 'awsvpcTrunking', principalArn: user }];
      },
      errors: [
        {
          why: 'a setting nobody set',
          input: { name: 'guardDutyActivate', principalArn: `arn:aws:iam::${ACCOUNT}:role/nobody` },
          code: 'InvalidParameterException',
        },
      ],
    },
  };

  function scenarioFor(name: string): Scenario {
    const scenario = (scenarios as Partial<Record<string, Scenario>>)[name];
    assert.ok(scenario, `${name} is served but has no conformance scenario: add one`);
    return scenario;
  }

  /** Asserts `response` is the error `code`, modelled for `operation`, with the model's error shape. */
  function assertModelledError(operation: string, response: RawResponse, code: string, why: string): void {
    const type = response.json?.__type;
    assert.notEqual(type, 'InternalFailure', `${operation} (${why}) failed internally: ${response.text}`);
    assert.equal(type, code, `${operation} (${why}) → ${response.text}`);
    assert.equal(response.headers.get('x-amzn-errortype'), code);
    const modelled = model.operation(operation).errors;
    assert.ok(
      modelled.includes(code) || PROTOCOL_ERRORS.has(code),
      `${operation} answered ${code} (${why}), which the model does not list for it: ${modelled.join(', ')}`,
    );
    assert.ok(response.status >= 400 && response.status < 500, `${code} should be a client error`);
    const rest = Object.fromEntries(Object.entries(response.json ?? {}).filter(([key]) => key !== '__type'));
    if (modelled.includes(code)) {
      const shape = `${model.serviceId.split('#')[0]}#${code}`;
      assert.deepEqual(checkValue(model, shape, rest, code).problems, []);
    }
  }

  // ---------------------------------------------------------------------------------------------

  it('serves only operations the model has', async (t) => {
    const modelled = new Set(model.operationNames());
    await eachOperation(t, (name) => assert.ok(modelled.has(name), `${name} is not an ECS operation`));
  });

  it('accepts every model input member, with the same type and required-ness', async (t) => {
    await eachOperation(t, (name, operation, sub) => {
      const input = model.operation(name).input;
      assert.ok(input, `${name} has no input in the model`);
      const problems: string[] = [];
      for (const pair of pairMembers(model, input, operation.input, structureMembers)) {
        const { member, sdk, path } = pair;
        if (!sdk) {
          problems.push(`${path}: in the model, unknown to the SDK schema Berth validates with`);
          continue;
        }
        if (pair.owner !== pair.sdkOwner) problems.push(`${path}: SDK structure ${pair.sdkOwner}`);
        if (sdk.kind !== pair.modelKind)
          problems.push(`${path}: ${pair.modelKind} in the model, ${sdk.kind}`);
        const relaxed = RELAXED_BY_SDK[`${pair.owner}.${member.name}`];
        if (member.required && !sdk.required) {
          if (relaxed) sub.diagnostic(`${path}: optional in the newer SDK; ${relaxed}`);
          else problems.push(`${path}: required in the model, optional`);
        }
        if (!member.required && sdk.required) problems.push(`${path}: optional in the model, required`);
      }
      const extra = structureMembers(operation.input).filter(
        (m) => !model.members(input).some((mm) => mm.name === m),
      );
      if (extra.length > 0) sub.diagnostic(`SDK input members newer than the model: ${extra.join(', ')}`);
      assert.deepEqual(problems, []);
    });
  });

  it('knows every enum reachable from a served input, with the model values', async (t) => {
    const reachable = new Set<string>();
    await eachOperation(t, (name, operation, sub) => {
      const input = model.operation(name).input!;
      const problems: string[] = [];
      const pairs: MemberPair[] = pairMembers(model, input, operation.input, structureMembers);
      for (const { member, sdk, sdkOwner, path } of pairs) {
        if (!sdk) continue; // reported by the input member test
        if (sdk.kind === 'map' && model.enumOf(model.mapValue(member.target))) {
          problems.push(`${path}: a map of enums, which the validator does not check`);
        }
        const enumShape = model.enumOf(member.target);
        if (!enumShape) continue;
        const key = `${sdkOwner}.${member.name}`;
        reachable.add(key);
        const entry = ECS_ENUMS[key];
        if (!entry) {
          problems.push(`${path}: ECS_ENUMS has no '${key}' (${shortName(enumShape)})`);
          continue;
        }
        const values = Object.values(entry);
        const wanted = model.enumValues(enumShape) ?? [];
        const missing = wanted.filter((v) => !values.includes(v));
        if (missing.length > 0) problems.push(`${key}: lacks model values ${missing.join(', ')}`);
        const newer = values.filter((v) => !wanted.includes(v));
        if (newer.length > 0)
          sub.diagnostic(`${key}: the SDK adds ${newer.join(', ')} to the model's values`);
      }
      assert.deepEqual(problems, []);
    });
    await t.test('every ECS_ENUMS entry is an enum input member of a served operation', () => {
      assert.deepEqual(
        Object.keys(ECS_ENUMS).filter((key) => !reachable.has(key)),
        [],
      );
    });
  });

  it('answers each served operation with only modelled members, typed as modelled', async (t) => {
    await eachOperation(t, async (name, _operation, sub) => {
      const output = model.operation(name).output;
      for (const input of await scenarioFor(name).success()) {
        const response = await call(name, input);
        assert.notEqual(response.json?.__type, 'InternalFailure', response.text);
        assert.equal(response.status, 200, `${name} ${JSON.stringify(input)} → ${response.text}`);
        assert.equal(response.headers.get('content-type'), 'application/x-amz-json-1.1');
        assert.ok(response.json, `${name} answered no JSON object: ${response.text}`);
        if (!output) {
          assert.deepEqual(response.json, {}, `${name} has no output in the model`);
          continue;
        }
        const sdk = sdkExport(`${shortName(output)}$`);
        assert.ok(sdk, `@aws-sdk/client-ecs has no schema ${shortName(output)}$`);
        const { problems, notes } = checkValue(model, output, response.json, shortName(output), {
          sdk,
          newerEnumValues: sdkEnumValues,
        });
        for (const note of notes) sub.diagnostic(note);
        assert.deepEqual(problems, [], `${name} ${JSON.stringify(input)}`);
      }
    });
  });

  it('answers each served operation only with errors the model lists for it', async (t) => {
    await eachOperation(t, async (name) => {
      const scenario = scenarioFor(name);
      assert.ok(scenario.errors.length > 0, `${name}: no error case`);
      for (const { why, input, code } of scenario.errors) {
        const body = typeof input === 'function' ? await input() : input;
        assertModelledError(name, await call(name, body), code, why);
      }
      // A request missing the model's required members: the validator's answer must be modelled.
      const required = model.members(model.operation(name).input!).filter((m) => m.required);
      if (required.length > 0) {
        assertModelledError(name, await call(name, {}), 'InvalidParameterException', 'an empty input');
      }
    });
  });

  it('answers a lost optimistic-concurrency race with an error the model lists for the op', async (t) => {
    // Run straight through the operation table: no HTTP client can make every write lose its race.
    const operations = operationTable(contended(berth.server.store));
    const ctx: RequestContext = {
      requestId: 'conformance',
      caller: {
        principalArn: berth.server.administratorKey.principalArn,
        accessKeyId: berth.credentials.accessKeyId,
      },
      region: berth.region,
      endpoint: berth.endpoint,
    };
    const lost: string[] = [];
    await eachOperation(t, async (name) => {
      for (const input of await scenarioFor(name).success()) {
        try {
          await operations[name]!.run(input, ctx);
        } catch (error) {
          assert.ok(error instanceof Fault, `${name} threw ${String(error)}`);
          lost.push(`${name}: ${error.code}`);
          const modelled = model.operation(name).errors;
          assert.ok(
            modelled.includes(error.code),
            `${name} answered ${error.code} to a lost race, which the model does not list for it: ${modelled.join(', ')}`,
          );
        }
      }
    });
    assert.ok(lost.length > 0, 'no operation lost a race: the contended store is not used');
    t.diagnostic(`lost races: ${lost.join(', ')}`);
  });

  it("registers only error codes that are the model's error shapes (or the newer SDK's)", (t) => {
    const namespace = model.serviceId.split('#')[0];
    const problems: string[] = [];
    for (const [code, spec] of Object.entries(ECS_ERRORS)) {
      const kind = model.errorKind(`${namespace}#${code}`);
      if (!kind) {
        const sdkError = sdkExport(code);
        if (typeof sdkError === 'function' && sdkError.prototype instanceof ecsSdk.ECSServiceException) {
          t.diagnostic(`${code}: not in the model, but the newer SDK has it`);
        } else problems.push(`${code}: not an error shape in the model or the SDK`);
      } else if ((kind === 'server') !== (spec.type === 'Receiver'))
        problems.push(`${code}: a ${kind} error`);
    }
    assert.deepEqual(problems, []);
  });
});
