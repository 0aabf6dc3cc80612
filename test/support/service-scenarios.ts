import type { EcsOperationName } from '../../src/api/ecs/index.js';
import { uniqueName } from './server.js';

/**
 * The model-conformance scenarios (test/e2e/model-conformance.test.ts) of the service operations:
 * realistic requests that must succeed, and requests that must fail with an error the API model
 * lists for the operation. Kept here so the conformance suite stays one table per concern.
 */

type Body = object;

interface ErrorCase {
  readonly why: string;
  readonly input: Body | (() => Promise<Body>);
  readonly code: string;
}

interface Scenario {
  readonly success: () => Promise<readonly Body[]> | readonly Body[];
  readonly errors: readonly ErrorCase[];
}

/** What the scenarios need from the conformance suite. */
export interface ScenarioHelpers {
  readonly account: string;
  /** Calls `operation` and asserts it succeeded; answers its JSON. */
  ok(operation: string, body: Body): Promise<Record<string, unknown>>;
  newCluster(): Promise<{ name: string; arn: string }>;
  /** A family of the web + sidecar definition (web maps container port 8080). */
  newFamily(revisions?: number): Promise<string>;
  /** A target group (instance type) that a load balancer's listener forwards to: ECS checks both. */
  newTargetGroup(): Promise<string>;
}

type ServiceOperationName = Extract<
  EcsOperationName,
  | 'CreateService'
  | 'UpdateService'
  | 'DeleteService'
  | 'DescribeServices'
  | 'ListServices'
  | 'ListServiceDeployments'
  | 'DescribeServiceDeployments'
  | 'DescribeServiceRevisions'
>;

export function serviceScenarios(h: ScenarioHelpers): Record<ServiceOperationName, Scenario> {
  const missingCluster = `arn:aws:ecs:us-east-1:${h.account}:cluster/no-such-cluster`;
  const registry = `arn:aws:servicediscovery:us-east-1:${h.account}:service/srv-conformance`;

  /** A service of `desiredCount` tasks of a new two-revision family in a new cluster. */
  async function newService(
    desiredCount = 0,
  ): Promise<{ cluster: string; name: string; arn: string; family: string }> {
    const cluster = (await h.newCluster()).name;
    const family = await h.newFamily(2);
    const name = uniqueName('svc');
    const out = await h.ok('CreateService', {
      cluster,
      serviceName: name,
      taskDefinition: `${family}:1`,
      desiredCount,
      tags: [{ key: 'team', value: 'web' }],
    });
    return { cluster, name, arn: (out.service as { serviceArn: string }).serviceArn, family };
  }

  /** A service with two deployments (created, then a new revision); answers their ARNs. */
  async function deployedTwice(): Promise<{
    cluster: string;
    name: string;
    deployments: string[];
    revisions: string[];
  }> {
    const s = await newService(1);
    await h.ok('UpdateService', { cluster: s.cluster, service: s.name, taskDefinition: `${s.family}:2` });
    const listed = await h.ok('ListServiceDeployments', { cluster: s.cluster, service: s.name });
    const briefs = listed.serviceDeployments as {
      serviceDeploymentArn: string;
      targetServiceRevisionArn: string;
    }[];
    return {
      cluster: s.cluster,
      name: s.name,
      deployments: briefs.map((b) => b.serviceDeploymentArn),
      revisions: briefs.map((b) => b.targetServiceRevisionArn),
    };
  }

  return {
    CreateService: {
      success: async () => {
        const cluster = (await h.newCluster()).name;
        const family = await h.newFamily();
        return [
          {
            cluster,
            serviceName: uniqueName('web'),
            taskDefinition: family,
            desiredCount: 2,
            clientToken: uniqueName('token'),
            launchType: 'EC2',
            schedulingStrategy: 'REPLICA',
            deploymentController: { type: 'ECS' },
            deploymentConfiguration: {
              maximumPercent: 150,
              minimumHealthyPercent: 50,
              deploymentCircuitBreaker: { enable: true, rollback: true },
              alarms: { alarmNames: ['web-5xx'], enable: false, rollback: false },
            },
            placementConstraints: [{ type: 'memberOf', expression: 'attribute:ecs.os-type == linux' }],
            placementStrategy: [
              { type: 'spread', field: 'attribute:ecs.availability-zone' },
              { type: 'binpack', field: 'memory' },
            ],
            loadBalancers: [
              { targetGroupArn: await h.newTargetGroup(), containerName: 'web', containerPort: 8080 },
            ],
            role: 'ecsServiceRole',
            serviceRegistries: [{ registryArn: registry, containerName: 'web', containerPort: 8080 }],
            healthCheckGracePeriodSeconds: 30,
            tags: [{ key: 'team', value: 'web' }],
            enableECSManagedTags: true,
            propagateTags: 'SERVICE',
            enableExecuteCommand: false,
            availabilityZoneRebalancing: 'ENABLED',
          },
          {
            cluster,
            serviceName: uniqueName('daemon'),
            taskDefinition: family,
            schedulingStrategy: 'DAEMON',
          },
        ];
      },
      errors: [
        {
          why: 'a missing cluster',
          input: { cluster: missingCluster, serviceName: 'web', taskDefinition: 'x', desiredCount: 1 },
          code: 'ClusterNotFoundException',
        },
        {
          why: 'a task definition that does not exist',
          input: async () => ({
            cluster: (await h.newCluster()).name,
            serviceName: 'web',
            taskDefinition: 'no-such-family',
            desiredCount: 1,
          }),
          code: 'ClientException',
        },
        {
          why: 'a negative desired count',
          input: async () => ({
            cluster: (await h.newCluster()).name,
            serviceName: 'web',
            taskDefinition: await h.newFamily(),
            desiredCount: -1,
          }),
          code: 'InvalidParameterException',
        },
        {
          why: 'a DAEMON service with a desired count',
          input: async () => ({
            cluster: (await h.newCluster()).name,
            serviceName: 'web',
            taskDefinition: await h.newFamily(),
            schedulingStrategy: 'DAEMON',
            desiredCount: 1,
          }),
          code: 'InvalidParameterException',
        },
        {
          why: 'the FARGATE launch type',
          input: async () => ({
            cluster: (await h.newCluster()).name,
            serviceName: 'web',
            taskDefinition: await h.newFamily(),
            desiredCount: 1,
            launchType: 'FARGATE',
          }),
          code: 'InvalidParameterException',
        },
      ],
    },
    UpdateService: {
      success: async () => {
        const s = await newService(1);
        return [
          {
            cluster: s.cluster,
            service: s.arn,
            desiredCount: 3,
            taskDefinition: `${s.family}:2`,
            deploymentConfiguration: { maximumPercent: 200, minimumHealthyPercent: 100 },
            placementConstraints: [],
            placementStrategy: [{ type: 'random' }],
            healthCheckGracePeriodSeconds: 10,
            enableECSManagedTags: true,
            propagateTags: 'TASK_DEFINITION',
            enableExecuteCommand: false,
            availabilityZoneRebalancing: 'DISABLED',
            loadBalancers: [],
            serviceRegistries: [],
          },
          { cluster: s.cluster, service: s.name, forceNewDeployment: true },
          { cluster: s.cluster, service: s.name, desiredCount: 0 },
        ];
      },
      errors: [
        {
          why: 'a missing cluster',
          input: { cluster: missingCluster, service: 'web', desiredCount: 1 },
          code: 'ClusterNotFoundException',
        },
        {
          why: 'a service that does not exist',
          input: async () => ({ cluster: (await h.newCluster()).name, service: 'nobody', desiredCount: 1 }),
          code: 'ServiceNotFoundException',
        },
        {
          why: 'a deleted service',
          input: async () => {
            const s = await newService();
            await h.ok('DeleteService', { cluster: s.cluster, service: s.name });
            return { cluster: s.cluster, service: s.name, desiredCount: 1 };
          },
          code: 'ServiceNotActiveException',
        },
        {
          why: 'minimumHealthyPercent above 100',
          input: async () => {
            const s = await newService();
            return {
              cluster: s.cluster,
              service: s.name,
              deploymentConfiguration: { minimumHealthyPercent: 150 },
            };
          },
          code: 'InvalidParameterException',
        },
      ],
    },
    DeleteService: {
      success: async () => {
        const scaled = await newService(2);
        const idle = await newService(0);
        return [
          { cluster: scaled.cluster, service: scaled.name, force: true },
          { cluster: idle.cluster, service: idle.arn },
        ];
      },
      errors: [
        {
          why: 'a missing cluster',
          input: { cluster: missingCluster, service: 'web' },
          code: 'ClusterNotFoundException',
        },
        {
          why: 'a service that does not exist',
          input: async () => ({ cluster: (await h.newCluster()).name, service: 'nobody' }),
          code: 'ServiceNotFoundException',
        },
        {
          why: 'a service scaled above 0, without force',
          input: async () => {
            const s = await newService(1);
            return { cluster: s.cluster, service: s.name };
          },
          code: 'InvalidParameterException',
        },
      ],
    },
    DescribeServices: {
      success: async () => {
        const s = await newService(1);
        return [
          { cluster: s.cluster, services: [s.name, s.arn, 'nobody'], include: ['TAGS'] },
          { cluster: s.cluster, services: [s.name] },
        ];
      },
      errors: [
        {
          why: 'a missing cluster',
          input: { cluster: missingCluster, services: ['web'] },
          code: 'ClusterNotFoundException',
        },
        {
          why: 'eleven services',
          input: async () => ({
            cluster: (await h.newCluster()).name,
            services: Array.from({ length: 11 }, (_, i) => `s${i}`),
          }),
          code: 'InvalidParameterException',
        },
        {
          why: 'an unknown include field',
          input: { services: ['web'], include: ['EVERYTHING'] },
          code: 'InvalidParameterException',
        },
      ],
    },
    ListServices: {
      success: async () => {
        const s = await newService();
        return [
          { cluster: s.cluster, maxResults: 1 },
          { cluster: s.cluster, launchType: 'EC2', schedulingStrategy: 'REPLICA' },
        ];
      },
      errors: [
        { why: 'a missing cluster', input: { cluster: missingCluster }, code: 'ClusterNotFoundException' },
        {
          why: 'a forged nextToken',
          input: async () => ({ cluster: (await h.newCluster()).name, nextToken: 'e30' }),
          code: 'InvalidParameterException',
        },
      ],
    },
    ListServiceDeployments: {
      success: async () => {
        const s = await deployedTwice();
        const now = Date.now() / 1000;
        return [
          {
            cluster: s.cluster,
            service: s.name,
            status: ['IN_PROGRESS', 'STOPPED'],
            createdAt: { after: now - 3600, before: now + 3600 },
            maxResults: 1,
          },
          { cluster: s.cluster, service: s.name },
        ];
      },
      errors: [
        {
          why: 'a service that does not exist',
          input: async () => ({ cluster: (await h.newCluster()).name, service: 'nobody' }),
          code: 'ServiceNotFoundException',
        },
        {
          why: 'maxResults 101',
          input: async () => {
            const s = await newService();
            return { cluster: s.cluster, service: s.name, maxResults: 101 };
          },
          code: 'InvalidParameterException',
        },
      ],
    },
    DescribeServiceDeployments: {
      success: async () => {
        const s = await deployedTwice();
        const missing = s.deployments[0]!.replace(/[^/]+$/, 'AAAAAAAAAAAAAAAAAAAAA');
        return [{ serviceDeploymentArns: [...s.deployments, missing] }];
      },
      errors: [
        { why: 'no ARN', input: { serviceDeploymentArns: [] }, code: 'InvalidParameterException' },
        {
          why: 'an ARN that is not a service deployment',
          input: { serviceDeploymentArns: [missingCluster] },
          code: 'InvalidParameterException',
        },
      ],
    },
    DescribeServiceRevisions: {
      success: async () => {
        const s = await deployedTwice();
        const missing = s.revisions[0]!.replace(/[^/]+$/, '1'.repeat(19));
        return [{ serviceRevisionArns: [...s.revisions, missing] }];
      },
      errors: [
        {
          why: 'twenty-one ARNs',
          input: { serviceRevisionArns: Array.from({ length: 21 }, () => missingCluster) },
          code: 'InvalidParameterException',
        },
        {
          why: 'an ARN that is not a service revision',
          input: { serviceRevisionArns: ['not-an-arn'] },
          code: 'InvalidParameterException',
        },
      ],
    },
  };
}
