import type { CreateServiceRequest, TaskDefinition, UpdateServiceRequest } from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_EVENTS, serviceCounts, withEvent, type ServiceRecord } from '../../src/core/ecs/service.js';
import { drainingService, newService, updatedService } from '../../src/core/ecs/service-changes.js';
import { Fault } from '../../src/core/fault.js';

/** CreateService / UpdateService / DeleteService rules, defaults and ECS's messages (core/ecs/service-*.ts). */

const SCOPE = { partition: 'aws', region: 'us-east-1', accountId: '123456789012' };
const T0 = Date.UTC(2031, 4, 17, 9, 30, 15, 123);
const ARN = 'arn:aws:ecs:us-east-1:123456789012:service/prod/web';
const tdArn = (revision: number) => `arn:aws:ecs:us-east-1:123456789012:task-definition/web:${revision}`;

function definition(revision = 1, overrides: Partial<TaskDefinition> = {}): TaskDefinition {
  return {
    taskDefinitionArn: tdArn(revision),
    family: 'web',
    revision,
    status: 'ACTIVE',
    networkMode: 'bridge',
    containerDefinitions: [
      { name: 'web', image: `busybox:${revision}`, portMappings: [{ containerPort: 8080 }] },
      { name: 'sidecar', image: 'busybox:latest' },
    ],
    placementConstraints: [{ type: 'memberOf', expression: 'attribute:ecs.os-type == linux' }],
    ...overrides,
  };
}

let counter = 0;
const ids = () => {
  counter += 1;
  return {
    digits: String(1_000_000_000_000_000_000n + BigInt(counter)),
    serviceDeploymentId: `sd${counter}`.padEnd(21, 'x'),
  };
};

function create(input: Partial<CreateServiceRequest>, def = definition()): ServiceRecord {
  return newService({ serviceName: 'web', desiredCount: 2, ...input }, def, {
    arn: ARN,
    cluster: 'prod',
    createdBy: 'arn:aws:iam::123456789012:user/admin',
    requestDigest: 'digest',
    scope: SCOPE,
    ids: ids(),
    now: T0,
  });
}

function update(current: ServiceRecord, input: Partial<UpdateServiceRequest>, def = definition()) {
  return updatedService(current, { service: 'web', ...input }, def, { ids: ids(), now: T0 + 1000 });
}

/** The fault `run` throws, as `Code: message`. */
function faultOf(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    if (err instanceof Fault) return `${err.code}: ${err.message}`;
    throw err;
  }
  return assert.fail('no fault');
}

describe('CreateService', () => {
  it('creates an ACTIVE service with one PRIMARY deployment IN_PROGRESS and no tasks', () => {
    const s = create({ clientToken: 'tok' });
    assert.equal(s.status, 'ACTIVE');
    assert.equal(s.version, 1);
    assert.equal(s.desiredCount, 2);
    assert.equal(s.clientToken, 'tok');
    assert.deepEqual(serviceCounts(s), { runningCount: 0, pendingCount: 0 });
    assert.equal(s.deployments.length, 1);
    const [d] = s.deployments;
    assert.match(d!.id, /^ecs-svc\/\d{19}$/);
    assert.equal(
      d!.arn,
      `arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/web/${d!.arn.split('/').pop()}`,
    );
    assert.equal(d!.status, 'PRIMARY');
    assert.equal(d!.rolloutState, 'IN_PROGRESS');
    assert.equal(d!.rolloutStateReason, `ECS deployment ${d!.id} in progress.`);
    assert.equal(d!.deploymentStatus, 'IN_PROGRESS');
    assert.equal(d!.desiredCount, 2);
    assert.deepEqual(d!.sourceDeploymentIds, []);
    assert.equal(d!.revision.taskDefinition, tdArn(1));
    assert.deepEqual(d!.revision.containerImages, [
      { containerName: 'web', image: 'busybox:1' },
      { containerName: 'sidecar', image: 'busybox:latest' },
    ]);
    assert.deepEqual(s.events, []);
  });

  const defaults: [string, Partial<CreateServiceRequest>, Partial<ServiceRecord>][] = [
    [
      'REPLICA: 100% / 200%, no circuit breaker, NONE, AZ rebalancing on',
      {},
      {
        schedulingStrategy: 'REPLICA',
        deploymentConfiguration: {
          maximumPercent: 200,
          minimumHealthyPercent: 100,
          deploymentCircuitBreaker: { enable: false, rollback: false },
        },
        propagateTags: 'NONE',
        enableECSManagedTags: false,
        enableExecuteCommand: false,
        availabilityZoneRebalancing: 'ENABLED',
        placementStrategy: [],
        placementConstraints: [],
        loadBalancers: [],
        serviceRegistries: [],
      },
    ],
    [
      'DAEMON: 0% / 100%, desired count 0 until the controller counts instances',
      { schedulingStrategy: 'DAEMON', desiredCount: undefined },
      {
        schedulingStrategy: 'DAEMON',
        desiredCount: 0,
        deploymentConfiguration: {
          maximumPercent: 100,
          minimumHealthyPercent: 0,
          deploymentCircuitBreaker: { enable: false, rollback: false },
        },
        availabilityZoneRebalancing: 'DISABLED',
      },
    ],
    [
      'a partial configuration keeps the other default',
      {
        deploymentConfiguration: {
          minimumHealthyPercent: 50,
          deploymentCircuitBreaker: { enable: true, rollback: true },
        },
      },
      {
        deploymentConfiguration: {
          maximumPercent: 200,
          minimumHealthyPercent: 50,
          deploymentCircuitBreaker: { enable: true, rollback: true },
        },
      },
    ],
    [
      'a role name becomes its ARN; load balancers and registries are stored as given',
      {
        loadBalancers: [
          {
            targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/abc',
            containerName: 'web',
            containerPort: 8080,
          },
        ],
        role: '/ecs/service-role',
        serviceRegistries: [
          { registryArn: 'arn:aws:servicediscovery:us-east-1:123456789012:service/srv-1', port: 53 },
        ],
      },
      {
        roleArn: 'arn:aws:iam::123456789012:role/ecs/service-role',
        loadBalancers: [
          {
            targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/abc',
            containerName: 'web',
            containerPort: 8080,
          },
        ],
        serviceRegistries: [
          { registryArn: 'arn:aws:servicediscovery:us-east-1:123456789012:service/srv-1', port: 53 },
        ],
      },
    ],
    [
      'placement strategies and constraints as given (type and field/expression only)',
      {
        placementStrategy: [{ type: 'spread', field: 'attribute:ecs.availability-zone' }, { type: 'random' }],
        placementConstraints: [{ type: 'distinctInstance' }],
        healthCheckGracePeriodSeconds: 0,
      },
      {
        placementStrategy: [{ type: 'spread', field: 'attribute:ecs.availability-zone' }, { type: 'random' }],
        placementConstraints: [{ type: 'distinctInstance' }],
        healthCheckGracePeriodSeconds: 0,
      },
    ],
  ];
  for (const [name, input, expected] of defaults) {
    it(`applies ECS's defaults: ${name}`, () => {
      const s = create(input);
      for (const [key, value] of Object.entries(expected)) {
        assert.deepEqual(s[key as keyof ServiceRecord], value, key);
      }
    });
  }

  const refused: [string, Partial<CreateServiceRequest>, RegExp, TaskDefinition?][] = [
    ['a name with spaces', { serviceName: 'my web' }, /Service name 'my web' is invalid/],
    ['a 256-character name', { serviceName: 'n'.repeat(256) }, /is invalid/],
    ['a REPLICA service without a desired count', { desiredCount: undefined }, /desiredCount is required/],
    ['a negative desired count', { desiredCount: -1 }, /0 or more, not -1/],
    ['a fractional desired count', { desiredCount: 1.5 }, /whole number/],
    [
      'a DAEMON service with a desired count (ECS wording)',
      { schedulingStrategy: 'DAEMON', desiredCount: 1 },
      /^InvalidParameterException: The daemon scheduling strategy does not support a desired count for services\. Remove the desired count value and try again$/,
    ],
    [
      'a DAEMON service with a placement strategy (ECS wording)',
      { schedulingStrategy: 'DAEMON', desiredCount: undefined, placementStrategy: [{ type: 'random' }] },
      /The daemon scheduling strategy does not support placement strategies/,
    ],
    [
      'a DAEMON service with maximumPercent above 100 (ECS wording)',
      {
        schedulingStrategy: 'DAEMON',
        desiredCount: undefined,
        deploymentConfiguration: { maximumPercent: 200 },
      },
      /does not support values above 100 for maximumPercent/,
    ],
    [
      'a DAEMON service with a capacity provider strategy (ECS wording)',
      {
        schedulingStrategy: 'DAEMON',
        desiredCount: undefined,
        capacityProviderStrategy: [{ capacityProvider: 'FARGATE' }],
      },
      /Specifying a capacity provider strategy is not supported/,
    ],
    ['an unknown scheduling strategy', { schedulingStrategy: 'BATCH' as never }, /REPLICA or DAEMON/],
    [
      'minimumHealthyPercent above 100',
      { deploymentConfiguration: { minimumHealthyPercent: 101 } },
      /from 0 to 100, not 101/,
    ],
    [
      'a negative minimumHealthyPercent',
      { deploymentConfiguration: { minimumHealthyPercent: -1 } },
      /from 0 to 100/,
    ],
    [
      'maximumPercent below 100 for REPLICA',
      { deploymentConfiguration: { maximumPercent: 50 } },
      /at least 100, not 50/,
    ],
    [
      'maximumPercent below minimumHealthyPercent for DAEMON',
      {
        schedulingStrategy: 'DAEMON',
        desiredCount: undefined,
        deploymentConfiguration: { minimumHealthyPercent: 80, maximumPercent: 50 },
      },
      /must not be below minimumHealthyPercent/,
    ],
    [
      'alarms turned on (no CloudWatch yet)',
      { deploymentConfiguration: { alarms: { alarmNames: ['a'], enable: true, rollback: true } } },
      /Deployment alarms are not available/,
    ],
    ['the FARGATE launch type', { launchType: 'FARGATE' }, /Launch type FARGATE is not available/],
    [
      'a CODE_DEPLOY controller',
      { deploymentController: { type: 'CODE_DEPLOY' } },
      /Deployment controller CODE_DEPLOY/,
    ],
    [
      'a capacity provider strategy',
      { capacityProviderStrategy: [{ capacityProvider: 'FARGATE' }] },
      /no capacity providers/,
    ],
    ['a platform version', { platformVersion: 'LATEST' }, /platform version must be null/],
    [
      'a network configuration for a bridge definition (RunTask wording)',
      { networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'] } } },
      /Network Configuration is not valid for the given networkMode 'bridge'/,
    ],
    ['an awsvpc task definition', {}, /uses networkMode awsvpc/, definition(1, { networkMode: 'awsvpc' })],
    [
      'an INACTIVE task definition (ECS wording)',
      {},
      /^InvalidParameterException: TaskDefinition is inactive$/,
      definition(1, { status: 'INACTIVE' }),
    ],
    [
      'more than 5 placement strategies',
      { placementStrategy: Array.from({ length: 6 }, () => ({ type: 'random' as const })) },
      /At most 5/,
    ],
    [
      'an unknown placement strategy',
      { placementStrategy: [{ type: 'pack' as never }] },
      /Unknown placement strategy/,
    ],
    [
      "10 constraints besides the definition's one",
      {
        placementConstraints: Array.from({ length: 10 }, () => ({
          type: 'memberOf' as const,
          expression: 'attribute:a exists',
        })),
      },
      /At most 10 placement constraints/,
    ],
    [
      'a malformed memberOf expression',
      { placementConstraints: [{ type: 'memberOf', expression: 'attribute:a ==' }] },
      /at character/,
    ],
    ['a negative grace period', { healthCheckGracePeriodSeconds: -5 }, /healthCheckGracePeriodSeconds/],
    [
      'a Classic Load Balancer',
      { loadBalancers: [{ loadBalancerName: 'old', containerName: 'web', containerPort: 8080 }] },
      /Classic Load Balancers/,
    ],
    [
      'a target group ARN that is not one',
      {
        loadBalancers: [{ targetGroupArn: 'arn:aws:s3:::bucket', containerName: 'web', containerPort: 8080 }],
      },
      /is not a target group ARN/,
    ],
    [
      'a load balancer naming a container the definition lacks (ECS wording)',
      {
        loadBalancers: [
          {
            targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/abc',
            containerName: 'api',
            containerPort: 8080,
          },
        ],
      },
      /The container api does not exist in the task definition/,
    ],
    [
      'a load balancer port the container does not map (ECS wording)',
      {
        loadBalancers: [
          {
            targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/abc',
            containerName: 'web',
            containerPort: 9090,
          },
        ],
      },
      /The container web did not have a container port 9090 defined\./,
    ],
    [
      'a role without load balancers',
      { role: 'ecsServiceRole' },
      /role is only for services with load balancers/,
    ],
    [
      'two service registries',
      {
        serviceRegistries: [
          { registryArn: 'arn:aws:servicediscovery:us-east-1:123456789012:service/srv-1' },
          { registryArn: 'arn:aws:servicediscovery:us-east-1:123456789012:service/srv-2' },
        ],
      },
      /at most one service registry/,
    ],
    [
      'Service Connect',
      { serviceConnectConfiguration: { enabled: true } },
      /Service Connect is not available/,
    ],
    ['EBS volume configurations', { volumeConfigurations: [{ name: 'data' }] }, /Amazon EBS/],
    [
      'a blue/green deployment strategy (a newer SDK member)',
      { deploymentConfiguration: { strategy: 'BLUE_GREEN' } as never },
      /Deployment strategy "BLUE_GREEN" is not available/,
    ],
  ];
  for (const [name, input, message, def] of refused) {
    it(`refuses ${name} with InvalidParameterException`, () => {
      const fault = faultOf(() => create(input, def));
      assert.match(fault, /^InvalidParameterException: /);
      assert.match(fault, message);
    });
  }
});

describe('UpdateService', () => {
  it('scales in place: the PRIMARY deployment takes the new desired count, no deployment starts', () => {
    const current = create({});
    const { service, deployed } = update(current, { desiredCount: 5 });
    assert.equal(deployed, false);
    assert.equal(service.version, current.version + 1);
    assert.equal(service.desiredCount, 5);
    assert.equal(service.deployments.length, 1);
    assert.equal(service.deployments[0]!.id, current.deployments[0]!.id);
    assert.equal(service.deployments[0]!.desiredCount, 5);
  });

  it('starts a new PRIMARY deployment for a new task definition; the old PRIMARY turns ACTIVE and its unfinished rollout STOPPED', () => {
    const current = create({});
    const { service, deployed } = update(current, { taskDefinition: 'web:2' }, definition(2));
    assert.equal(deployed, true);
    const [primary, old] = service.deployments;
    assert.equal(primary!.status, 'PRIMARY');
    assert.equal(primary!.revision.taskDefinition, tdArn(2));
    assert.deepEqual(primary!.sourceDeploymentIds, [current.deployments[0]!.id]);
    assert.equal(old!.status, 'ACTIVE');
    assert.equal(old!.id, current.deployments[0]!.id);
    assert.equal(old!.deploymentStatus, 'STOPPED');
    assert.match(old!.statusReason ?? '', new RegExp(`Deployment ${primary!.id} replaced it`));
    assert.equal(service.taskDefinition, tdArn(2));
    assert.equal(service.containerImages[0]!.image, 'busybox:2');
  });

  it('gives deployments started in the same millisecond increasing creation times', () => {
    const first = create({});
    const second = updatedService(first, { service: 'web', forceNewDeployment: true }, definition(), {
      ids: ids(),
      now: T0,
    });
    const third = updatedService(second.service, { service: 'web', forceNewDeployment: true }, definition(), {
      ids: ids(),
      now: T0,
    });
    assert.deepEqual(
      third.service.deployments.map((d) => d.createdAt),
      [T0 + 2, T0 + 1, T0],
    );
  });

  it('leaves a finished deployment SUCCESSFUL when a newer one replaces it', () => {
    const created = create({});
    const completed: ServiceRecord = {
      ...created,
      deployments: created.deployments.map((d) => ({
        ...d,
        rolloutState: 'COMPLETED',
        deploymentStatus: 'SUCCESSFUL',
      })),
    };
    const { service } = update(completed, { forceNewDeployment: true });
    assert.equal(service.deployments[1]!.deploymentStatus, 'SUCCESSFUL');
    assert.equal(service.deployments[1]!.stoppedAt, undefined);
  });

  const deploys: [string, Partial<UpdateServiceRequest>, boolean][] = [
    ['forceNewDeployment with the same definition', { forceNewDeployment: true }, true],
    [
      'other load balancers',
      {
        loadBalancers: [
          {
            targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/abc',
            containerName: 'web',
            containerPort: 8080,
          },
        ],
      },
      true,
    ],
    ['the same task definition again', { taskDefinition: 'web:1' }, false],
    ['placement strategies', { placementStrategy: [{ type: 'binpack', field: 'cpu' }] }, false],
    ['the deployment configuration', { deploymentConfiguration: { maximumPercent: 150 } }, false],
    [
      'tag propagation and the grace period',
      { propagateTags: 'SERVICE', healthCheckGracePeriodSeconds: 60 },
      false,
    ],
  ];
  for (const [name, input, expected] of deploys) {
    it(`${expected ? 'starts' : 'does not start'} a deployment for ${name}`, () => {
      assert.equal(update(create({}), input).deployed, expected);
    });
  }

  it('keeps what the call does not name, and merges a partial deployment configuration', () => {
    const current = create({
      deploymentConfiguration: {
        minimumHealthyPercent: 50,
        deploymentCircuitBreaker: { enable: true, rollback: false },
      },
      placementStrategy: [{ type: 'random' }],
      propagateTags: 'TASK_DEFINITION',
      healthCheckGracePeriodSeconds: 30,
    });
    const { service } = update(current, { deploymentConfiguration: { maximumPercent: 150 } });
    assert.deepEqual(service.deploymentConfiguration, {
      maximumPercent: 150,
      minimumHealthyPercent: 50,
      deploymentCircuitBreaker: { enable: true, rollback: false },
    });
    assert.deepEqual(service.placementStrategy, [{ type: 'random' }]);
    assert.equal(service.propagateTags, 'TASK_DEFINITION');
    assert.equal(service.healthCheckGracePeriodSeconds, 30);
    assert.deepEqual(update(service, { placementStrategy: [] }).service.placementStrategy, []);
  });

  it('drops the role with the last load balancer', () => {
    const current = create({
      loadBalancers: [
        {
          targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/abc',
          containerName: 'web',
          containerPort: 8080,
        },
      ],
      role: 'ecsServiceRole',
    });
    assert.equal(current.roleArn, 'arn:aws:iam::123456789012:role/ecsServiceRole');
    assert.equal(
      update(current, { desiredCount: 1 }).service.roleArn,
      'arn:aws:iam::123456789012:role/ecsServiceRole',
    );
    assert.equal('roleArn' in update(current, { loadBalancers: [] }).service, false);
  });

  const refused: [
    string,
    Partial<CreateServiceRequest>,
    Partial<UpdateServiceRequest>,
    RegExp,
    TaskDefinition?,
  ][] = [
    [
      'a desired count for a DAEMON service',
      { schedulingStrategy: 'DAEMON', desiredCount: undefined },
      { desiredCount: 0 },
      /does not support a desired count/,
    ],
    ['a negative desired count', {}, { desiredCount: -2 }, /0 or more/],
    [
      'minimumHealthyPercent 150',
      {},
      { deploymentConfiguration: { minimumHealthyPercent: 150 } },
      /from 0 to 100/,
    ],
    [
      'an INACTIVE task definition',
      {},
      { taskDefinition: 'web:2' },
      /TaskDefinition is inactive/,
      definition(2, { status: 'INACTIVE' }),
    ],
    [
      'a new definition without the port the load balancer uses',
      {
        loadBalancers: [
          {
            targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/abc',
            containerName: 'web',
            containerPort: 8080,
          },
        ],
      },
      { taskDefinition: 'web:2' },
      /did not have a container port 8080/,
      definition(2, { containerDefinitions: [{ name: 'web', image: 'busybox' }] }),
    ],
    [
      'a capacity provider strategy',
      {},
      { capacityProviderStrategy: [{ capacityProvider: 'FARGATE' }] },
      /no capacity providers/,
    ],
  ];
  for (const [name, created, input, message, def] of refused) {
    it(`refuses ${name} with InvalidParameterException`, () => {
      const fault = faultOf(() => update(create(created), input, def));
      assert.match(fault, /^InvalidParameterException: /);
      assert.match(fault, message);
    });
  }
});

describe('DeleteService', () => {
  it('drains: DRAINING with no tasks wanted, on the service and every deployment', () => {
    const current = update(create({}), { forceNewDeployment: true }).service;
    const drained = drainingService(current, T0 + 5);
    assert.equal(drained.status, 'DRAINING');
    assert.equal(drained.desiredCount, 0);
    assert.equal(drained.version, current.version + 1);
    assert.deepEqual(
      drained.deployments.map((d) => d.desiredCount),
      [0, 0],
    );
  });
});

describe('service events', () => {
  it('keeps the newest 100, newest first', () => {
    let s = create({});
    for (let i = 0; i < MAX_EVENTS + 5; i++) {
      s = withEvent(s, { id: `e${i}`, createdAt: T0 + i, message: `(service web) event ${i}.` });
    }
    assert.equal(s.events.length, MAX_EVENTS);
    assert.equal(s.events[0]!.id, `e${MAX_EVENTS + 4}`);
    assert.equal(s.events[MAX_EVENTS - 1]!.id, 'e5');
  });
});
