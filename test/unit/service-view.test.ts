import type { TaskDefinition } from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ServiceRecord } from '../../src/core/ecs/service.js';
import { newService, updatedService } from '../../src/core/ecs/service-changes.js';
import { circuitBreakerThreshold, clusterArnOf, revisionArn } from '../../src/core/ecs/service-deployment.js';
import {
  deploymentView,
  serviceDeploymentBrief,
  serviceDeploymentView,
  serviceRevisionView,
  serviceView,
} from '../../src/core/ecs/service-view.js';

/** The API shapes of services and deployments (core/ecs/service-view.ts). */

const T0 = Date.UTC(2031, 4, 17, 9, 30, 15, 123);
const ARN = 'arn:aws:ecs:us-east-1:123456789012:service/prod/web';
const definition = (revision: number): TaskDefinition => ({
  taskDefinitionArn: `arn:aws:ecs:us-east-1:123456789012:task-definition/web:${revision}`,
  status: 'ACTIVE',
  networkMode: 'bridge',
  containerDefinitions: [{ name: 'web', image: `web:${revision}` }],
});

/** A service of 4 tasks with two deployments: the first (3 running) and the second (1 running, 1 pending). */
function rolling(): ServiceRecord {
  const created = newService(
    {
      serviceName: 'web',
      desiredCount: 4,
      deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } },
    },
    definition(1),
    {
      arn: ARN,
      cluster: 'prod',
      createdBy: 'arn:aws:iam::123456789012:user/admin',
      requestDigest: 'd',
      scope: { partition: 'aws', region: 'us-east-1', accountId: '123456789012' },
      ids: { digits: '1111111111111111111', serviceDeploymentId: 'A'.repeat(21) },
      now: T0,
    },
  );
  const { service } = updatedService(
    { ...created, deployments: created.deployments.map((d) => ({ ...d, runningCount: 3 })) },
    { service: 'web', taskDefinition: 'web:2' },
    definition(2),
    { ids: { digits: '2222222222222222222', serviceDeploymentId: 'B'.repeat(21) }, now: T0 + 1000 },
  );
  return {
    ...service,
    deployments: service.deployments.map((d) =>
      d.status === 'PRIMARY' ? { ...d, runningCount: 1, pendingCount: 1, failedTasks: 2 } : d,
    ),
  };
}

describe('service views', () => {
  it('DescribeServices: counts from the live deployments, PRIMARY first, ECS defaults shown', () => {
    const view = serviceView(rolling());
    assert.equal(view.serviceArn, ARN);
    assert.equal(view.clusterArn, 'arn:aws:ecs:us-east-1:123456789012:cluster/prod');
    assert.equal(view.runningCount, 4);
    assert.equal(view.pendingCount, 1);
    assert.deepEqual(
      view.deployments?.map((d) => [d.id, d.status, d.taskDefinition]),
      [
        ['ecs-svc/2222222222222222222', 'PRIMARY', definition(2).taskDefinitionArn],
        ['ecs-svc/1111111111111111111', 'ACTIVE', definition(1).taskDefinitionArn],
      ],
    );
    assert.deepEqual(view.deploymentController, { type: 'ECS' });
    assert.equal(view.launchType, 'EC2');
    assert.deepEqual(view.createdAt, new Date(T0));
    assert.equal('tags' in view, false, 'tags only when asked for');
    assert.deepEqual(serviceView(rolling(), [{ key: 'a', value: 'b' }]).tags, [{ key: 'a', value: 'b' }]);
    assert.equal(view.deployments?.[0]?.rolloutState, 'IN_PROGRESS');
  });

  it('hides INACTIVE deployments from DescribeServices', () => {
    const s = rolling();
    const retired = {
      ...s,
      deployments: s.deployments.map((d) =>
        d.status === 'ACTIVE' ? { ...d, status: 'INACTIVE' as const } : d,
      ),
    };
    assert.deepEqual(
      serviceView(retired).deployments?.map((d) => d.status),
      ['PRIMARY'],
    );
  });

  it('a deployment, as DescribeServices shows it', () => {
    const d = rolling().deployments[0]!;
    assert.deepEqual(deploymentView(d), {
      id: 'ecs-svc/2222222222222222222',
      status: 'PRIMARY',
      taskDefinition: definition(2).taskDefinitionArn,
      desiredCount: 4,
      pendingCount: 1,
      runningCount: 1,
      failedTasks: 2,
      createdAt: new Date(T0 + 1000),
      updatedAt: new Date(T0 + 1000),
      launchType: 'EC2',
      rolloutState: 'IN_PROGRESS',
      rolloutStateReason: 'ECS deployment ecs-svc/2222222222222222222 in progress.',
    });
  });

  it('the service-deployment view: target and source revisions with their counts, the circuit breaker', () => {
    const s = rolling();
    const view = serviceDeploymentView(s, s.deployments[0]!);
    assert.equal(
      view.serviceDeploymentArn,
      `arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/web/${'B'.repeat(21)}`,
    );
    assert.equal(view.status, 'IN_PROGRESS');
    assert.deepEqual(view.targetServiceRevision, {
      arn: 'arn:aws:ecs:us-east-1:123456789012:service-revision/prod/web/2222222222222222222',
      requestedTaskCount: 4,
      runningTaskCount: 1,
      pendingTaskCount: 1,
    });
    assert.deepEqual(view.sourceServiceRevisions, [
      {
        arn: 'arn:aws:ecs:us-east-1:123456789012:service-revision/prod/web/1111111111111111111',
        requestedTaskCount: 4,
        runningTaskCount: 3,
        pendingTaskCount: 0,
      },
    ]);
    assert.deepEqual(view.deploymentCircuitBreaker, { status: 'MONITORING', failureCount: 2, threshold: 3 });
    const replaced = serviceDeploymentView(s, s.deployments[1]!);
    assert.equal(replaced.status, 'STOPPED');
    assert.deepEqual(replaced.stoppedAt, new Date(T0 + 1000));
    const brief = serviceDeploymentBrief(s, s.deployments[1]!);
    assert.equal(brief.status, 'STOPPED');
    assert.equal(brief.targetServiceRevisionArn, revisionArn(ARN, 'ecs-svc/1111111111111111111'));
  });

  it('the service revision: definition, images, no Fargate or GuardDuty', () => {
    const s = rolling();
    assert.deepEqual(serviceRevisionView(s, s.deployments[0]!), {
      serviceRevisionArn: 'arn:aws:ecs:us-east-1:123456789012:service-revision/prod/web/2222222222222222222',
      serviceArn: ARN,
      clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/prod',
      taskDefinition: definition(2).taskDefinitionArn,
      launchType: 'EC2',
      loadBalancers: [],
      serviceRegistries: [],
      containerImages: [{ containerName: 'web', image: 'web:2' }],
      guardDutyEnabled: false,
      createdAt: new Date(T0 + 1000),
    });
  });

  it('circuit breaker threshold: half the desired count rounded up, between 3 and 200', () => {
    const cases: [number, number][] = [
      [0, 3],
      [1, 3],
      [6, 3],
      [7, 4],
      [10, 5],
      [399, 200],
      [1000, 200],
    ];
    for (const [desired, threshold] of cases)
      assert.equal(circuitBreakerThreshold(desired), threshold, `desired ${desired}`);
  });

  it('ARNs derived from the service ARN keep its partition, region and account', () => {
    const gov = 'arn:aws-us-gov:ecs:us-gov-west-1:123456789012:service/c/s';
    assert.equal(clusterArnOf(gov), 'arn:aws-us-gov:ecs:us-gov-west-1:123456789012:cluster/c');
    assert.equal(
      revisionArn(gov, 'ecs-svc/42'),
      'arn:aws-us-gov:ecs:us-gov-west-1:123456789012:service-revision/c/s/42',
    );
  });
});
