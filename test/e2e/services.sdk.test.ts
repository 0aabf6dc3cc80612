import {
  ClientException,
  ClusterContainsServicesException,
  ClusterNotFoundException,
  CreateClusterCommand,
  CreateServiceCommand,
  DeleteClusterCommand,
  DeleteServiceCommand,
  DeregisterTaskDefinitionCommand,
  DescribeClustersCommand,
  DescribeServiceDeploymentsCommand,
  DescribeServiceRevisionsCommand,
  DescribeServicesCommand,
  InvalidParameterException,
  ListServiceDeploymentsCommand,
  ListServicesCommand,
  ListTagsForResourceCommand,
  RegisterTaskDefinitionCommand,
  ServiceNotActiveException,
  ServiceNotFoundException,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateServiceCommand,
  type CreateServiceCommandInput,
  type ECSClient,
  type Service,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { rejectsWith } from '../support/assert.js';
import { aws } from '../support/berth-process.js';
import { startTestServer, uniqueName, type TestServer } from '../support/server.js';

/**
 * Services through @aws-sdk/client-ecs (and a pass with the AWS CLI): create, describe, list,
 * update, delete, idempotent clientTokens, tags, the service-deployment API, and the bad input
 * ECS refuses — refused with ECS's errors, changing nothing. No controller runs yet: services stay
 * at runningCount 0 with their PRIMARY deployment IN_PROGRESS.
 */

const ACCOUNT = '123456789012';
const ADMIN_ARN = /^arn:aws:iam::123456789012:/;
const serviceArnOf = (cluster: string, name: string) =>
  `arn:aws:ecs:us-east-1:${ACCOUNT}:service/${cluster}/${name}`;

describe('services through @aws-sdk/client-ecs', () => {
  let berth: TestServer;
  let ecs: ECSClient;
  before(async () => {
    // The API alone: no scheduler changes what these tests read back (its own suites:
    // service-scheduler.sdk.test.ts, services.docker.test.ts).
    berth = await startTestServer({ serviceScheduler: { run: false } });
    ecs = berth.ecs();
  });
  after(() => berth.close());

  /** A new cluster and a family with two revisions of a web container mapping port 8080. */
  async function setup(): Promise<{ cluster: string; family: string }> {
    const cluster = uniqueName('svc');
    const family = uniqueName('web');
    await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
    for (const tag of ['1', '2']) {
      await ecs.send(
        new RegisterTaskDefinitionCommand({
          family,
          containerDefinitions: [
            { name: 'web', image: `busybox:${tag}`, memory: 64, portMappings: [{ containerPort: 8080 }] },
          ],
        }),
      );
    }
    return { cluster, family };
  }

  const describeOne = async (cluster: string, name: string): Promise<Service> =>
    (await ecs.send(new DescribeServicesCommand({ cluster, services: [name] }))).services![0]!;

  /** Everything a client can read back about a cluster's services. */
  async function servicesState(cluster: string, names: string[]): Promise<unknown> {
    const listed = await ecs.send(new ListServicesCommand({ cluster, maxResults: 100 }));
    const described = await ecs.send(
      new DescribeServicesCommand({ cluster, services: names, include: ['TAGS'] }),
    );
    return { arns: listed.serviceArns, services: described.services, failures: described.failures };
  }

  it('creates a service as ECS shows it: ACTIVE, no tasks yet, one PRIMARY deployment IN_PROGRESS', async () => {
    const { cluster, family } = await setup();
    const name = uniqueName('web');
    const { service } = await ecs.send(
      new CreateServiceCommand({ cluster, serviceName: name, taskDefinition: family, desiredCount: 2 }),
    );
    assert.equal(service?.serviceArn, serviceArnOf(cluster, name));
    assert.equal(service?.clusterArn, `arn:aws:ecs:us-east-1:${ACCOUNT}:cluster/${cluster}`);
    assert.equal(service?.status, 'ACTIVE');
    assert.equal(service?.desiredCount, 2);
    assert.equal(service?.runningCount, 0);
    assert.equal(service?.pendingCount, 0);
    assert.equal(service?.launchType, 'EC2');
    assert.equal(service?.schedulingStrategy, 'REPLICA');
    assert.equal(service?.taskDefinition, `arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition/${family}:2`);
    assert.deepEqual(service?.deploymentConfiguration, {
      deploymentCircuitBreaker: { enable: false, rollback: false },
      maximumPercent: 200,
      minimumHealthyPercent: 100,
    });
    assert.deepEqual(service?.deploymentController, { type: 'ECS' });
    assert.match(service?.createdBy ?? '', ADMIN_ARN);
    assert.ok(service?.createdAt instanceof Date);
    assert.deepEqual(service?.events, []);
    assert.equal(service?.deployments?.length, 1);
    const [d] = service.deployments;
    assert.match(d!.id!, /^ecs-svc\/\d{19}$/);
    assert.equal(d!.status, 'PRIMARY');
    assert.equal(d!.rolloutState, 'IN_PROGRESS');
    assert.equal(d!.rolloutStateReason, `ECS deployment ${d!.id} in progress.`);
    assert.deepEqual([d!.desiredCount, d!.pendingCount, d!.runningCount, d!.failedTasks], [2, 0, 0, 0]);
    assert.deepEqual(await describeOne(cluster, name), service);
    const byArn = await ecs.send(
      new DescribeServicesCommand({ cluster, services: [serviceArnOf(cluster, name), 'nobody'] }),
    );
    assert.equal(byArn.services?.[0]?.serviceName, name);
    assert.deepEqual(byArn.failures, [{ arn: serviceArnOf(cluster, 'nobody'), reason: 'MISSING' }]);
    const clusters = await ecs.send(new DescribeClustersCommand({ clusters: [cluster] }));
    assert.equal(clusters.clusters?.[0]?.activeServicesCount, 1);
  });

  it('answers a retried CreateService with the same clientToken with the same service, once', async () => {
    const { cluster, family } = await setup();
    const input: CreateServiceCommandInput = {
      cluster,
      serviceName: uniqueName('web'),
      taskDefinition: family,
      desiredCount: 1,
      clientToken: uniqueName('tok').slice(0, 36),
    };
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => ecs.send(new CreateServiceCommand(input))),
    );
    const ids = new Set(answers.map((a) => a.service?.deployments?.[0]?.id));
    assert.equal(ids.size, 1, 'every retry answers the one deployment');
    const again = await ecs.send(new CreateServiceCommand(input));
    assert.equal(again.service?.deployments?.[0]?.id, [...ids][0]);
    const listed = await ecs.send(new ListServiceDeploymentsCommand({ cluster, service: input.serviceName }));
    assert.equal(listed.serviceDeployments?.length, 1);
    await rejectsWith(
      ecs.send(new CreateServiceCommand({ ...input, desiredCount: 3 })),
      InvalidParameterException,
      /^Creation of service was not idempotent\.$/,
    );
    await rejectsWith(
      ecs.send(new CreateServiceCommand({ ...input, clientToken: undefined })),
      InvalidParameterException,
      /not idempotent/,
    );
    await rejectsWith(
      ecs.send(new CreateServiceCommand({ ...input, serviceName: uniqueName('other') })),
      InvalidParameterException,
      /not idempotent/,
    );
    assert.equal((await describeOne(cluster, input.serviceName!)).desiredCount, 1);
  });

  it('lists ACTIVE services page by page, filtered by scheduling strategy and launch type', async () => {
    const { cluster, family } = await setup();
    const names = ['a-web', 'b-api', 'c-worker'];
    for (const serviceName of names) {
      await ecs.send(
        new CreateServiceCommand({ cluster, serviceName, taskDefinition: family, desiredCount: 0 }),
      );
    }
    await ecs.send(
      new CreateServiceCommand({
        cluster,
        serviceName: 'd-logs',
        taskDefinition: family,
        schedulingStrategy: 'DAEMON',
      }),
    );
    const first = await ecs.send(new ListServicesCommand({ cluster, maxResults: 2 }));
    assert.deepEqual(
      first.serviceArns,
      names.slice(0, 2).map((n) => serviceArnOf(cluster, n)),
    );
    assert.ok(first.nextToken);
    const second = await ecs.send(
      new ListServicesCommand({ cluster, maxResults: 2, nextToken: first.nextToken }),
    );
    assert.deepEqual(second.serviceArns, [
      serviceArnOf(cluster, 'c-worker'),
      serviceArnOf(cluster, 'd-logs'),
    ]);
    assert.equal(second.nextToken, undefined);
    const daemons = await ecs.send(new ListServicesCommand({ cluster, schedulingStrategy: 'DAEMON' }));
    assert.deepEqual(daemons.serviceArns, [serviceArnOf(cluster, 'd-logs')]);
    assert.deepEqual(
      (await ecs.send(new ListServicesCommand({ cluster, launchType: 'FARGATE' }))).serviceArns,
      [],
    );
    const daemon = await describeOne(cluster, 'd-logs');
    assert.equal(daemon.desiredCount, 0);
    assert.deepEqual(
      [daemon.deploymentConfiguration?.minimumHealthyPercent, daemon.deploymentConfiguration?.maximumPercent],
      [0, 100],
    );
  });

  it('updates in place or with a new PRIMARY deployment, visible in the service-deployment API', async () => {
    const { cluster, family } = await setup();
    const name = uniqueName('web');
    await ecs.send(
      new CreateServiceCommand({
        cluster,
        serviceName: name,
        taskDefinition: `${family}:1`,
        desiredCount: 1,
      }),
    );
    const first = (await describeOne(cluster, name)).deployments![0]!;

    const scaled = await ecs.send(new UpdateServiceCommand({ cluster, service: name, desiredCount: 3 }));
    assert.equal(scaled.service?.desiredCount, 3);
    assert.deepEqual(
      scaled.service?.deployments?.map((d) => [d.id, d.desiredCount]),
      [[first.id, 3]],
    );

    const deployed = await ecs.send(
      new UpdateServiceCommand({
        cluster,
        service: serviceArnOf(cluster, name),
        taskDefinition: `${family}:2`,
        deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } },
      }),
    );
    const [primary, active] = deployed.service!.deployments!;
    assert.equal(primary?.status, 'PRIMARY');
    assert.equal(primary?.taskDefinition, `arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition/${family}:2`);
    assert.equal(primary?.rolloutState, 'IN_PROGRESS');
    assert.equal(active?.id, first.id);
    assert.equal(active?.status, 'ACTIVE');
    assert.deepEqual(deployed.service?.deploymentConfiguration?.deploymentCircuitBreaker, {
      enable: true,
      rollback: true,
    });

    const forced = await ecs.send(
      new UpdateServiceCommand({ cluster, service: name, forceNewDeployment: true }),
    );
    assert.equal(forced.service?.deployments?.length, 3);

    const listed = await ecs.send(new ListServiceDeploymentsCommand({ cluster, service: name }));
    const briefs = listed.serviceDeployments!;
    assert.deepEqual(
      briefs.map((b) => b.status),
      ['IN_PROGRESS', 'STOPPED', 'STOPPED'],
    );
    const paged = await ecs.send(
      new ListServiceDeploymentsCommand({ cluster, service: name, maxResults: 2 }),
    );
    const rest = await ecs.send(
      new ListServiceDeploymentsCommand({
        cluster,
        service: name,
        maxResults: 2,
        nextToken: paged.nextToken,
      }),
    );
    assert.deepEqual(
      [...paged.serviceDeployments!, ...rest.serviceDeployments!].map((b) => b.serviceDeploymentArn),
      briefs.map((b) => b.serviceDeploymentArn),
    );
    const onlyRunning = await ecs.send(
      new ListServiceDeploymentsCommand({ cluster, service: name, status: ['IN_PROGRESS'] }),
    );
    assert.equal(onlyRunning.serviceDeployments?.length, 1);

    const described = await ecs.send(
      new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [briefs[0]!.serviceDeploymentArn!] }),
    );
    const sd = described.serviceDeployments![0]!;
    assert.equal(sd.status, 'IN_PROGRESS');
    assert.equal(sd.targetServiceRevision?.arn, briefs[0]!.targetServiceRevisionArn);
    assert.equal(sd.targetServiceRevision?.requestedTaskCount, 3);
    assert.equal(sd.sourceServiceRevisions?.length, 2);
    assert.deepEqual(sd.deploymentCircuitBreaker, { status: 'MONITORING', failureCount: 0, threshold: 3 });

    const revisions = await ecs.send(
      new DescribeServiceRevisionsCommand({
        serviceRevisionArns: briefs.map((b) => b.targetServiceRevisionArn!),
      }),
    );
    assert.deepEqual(
      revisions.serviceRevisions?.map((r) => r.containerImages?.[0]?.image),
      ['busybox:2', 'busybox:2', 'busybox:1'],
    );
    assert.equal(
      revisions.serviceRevisions?.[0]?.serviceRevisionArn?.split('/').pop(),
      forced.service?.deployments?.[0]?.id?.split('/').pop(),
      'one id names a deployment and its service revision',
    );
  });

  it('deletes: refused while scaled above 0 without force, then DRAINING, unlisted, no longer updatable', async () => {
    const { cluster, family } = await setup();
    const name = uniqueName('web');
    await ecs.send(
      new CreateServiceCommand({ cluster, serviceName: name, taskDefinition: family, desiredCount: 2 }),
    );
    const before_ = await servicesState(cluster, [name]);
    await rejectsWith(
      ecs.send(new DeleteServiceCommand({ cluster, service: name })),
      InvalidParameterException,
      /^The service cannot be stopped while it is scaled above 0\./,
    );
    assert.deepEqual(await servicesState(cluster, [name]), before_, 'the refused delete changed nothing');
    await rejectsWith(
      ecs.send(new DeleteClusterCommand({ cluster })),
      ClusterContainsServicesException,
      /still has 1 active service/,
    );

    const { service } = await ecs.send(new DeleteServiceCommand({ cluster, service: name, force: true }));
    assert.equal(service?.status, 'DRAINING');
    assert.equal(service?.desiredCount, 0);
    assert.deepEqual((await ecs.send(new ListServicesCommand({ cluster }))).serviceArns, []);
    assert.equal((await describeOne(cluster, name)).status, 'DRAINING');
    assert.equal(
      (await ecs.send(new DeleteServiceCommand({ cluster, service: name }))).service?.status,
      'DRAINING',
    );
    await rejectsWith(
      ecs.send(new UpdateServiceCommand({ cluster, service: name, desiredCount: 1 })),
      ServiceNotActiveException,
      /Service was not ACTIVE/,
    );
    await rejectsWith(
      ecs.send(
        new CreateServiceCommand({ cluster, serviceName: name, taskDefinition: family, desiredCount: 0 }),
      ),
      InvalidParameterException,
      /not idempotent/,
    );
    // No active service and no task left: the cluster can go.
    assert.equal((await ecs.send(new DeleteClusterCommand({ cluster }))).cluster?.status, 'INACTIVE');
  });

  it('tags a service by ARN and shows its tags with include TAGS', async () => {
    const { cluster, family } = await setup();
    const name = uniqueName('web');
    const created = await ecs.send(
      new CreateServiceCommand({
        cluster,
        serviceName: name,
        taskDefinition: family,
        desiredCount: 0,
        tags: [{ key: 'team', value: 'web' }],
      }),
    );
    assert.deepEqual(created.service?.tags, [{ key: 'team', value: 'web' }]);
    const resourceArn = serviceArnOf(cluster, name);
    await ecs.send(new TagResourceCommand({ resourceArn, tags: [{ key: 'env', value: 'prod' }] }));
    await ecs.send(new UntagResourceCommand({ resourceArn, tagKeys: ['team'] }));
    assert.deepEqual((await ecs.send(new ListTagsForResourceCommand({ resourceArn }))).tags, [
      { key: 'env', value: 'prod' },
    ]);
    const described = await ecs.send(
      new DescribeServicesCommand({ cluster, services: [name], include: ['TAGS'] }),
    );
    assert.deepEqual(described.services?.[0]?.tags, [{ key: 'env', value: 'prod' }]);
    assert.equal((await describeOne(cluster, name)).tags, undefined, 'tags only with include TAGS');
    await rejectsWith(
      ecs.send(new ListTagsForResourceCommand({ resourceArn: serviceArnOf(cluster, 'nobody') })),
      InvalidParameterException,
      /does not exist/,
    );
  });

  it("refuses issue 5's bad input with ECS's errors, changing nothing", async () => {
    const { cluster, family } = await setup();
    const name = uniqueName('web');
    await ecs.send(
      new CreateServiceCommand({
        cluster,
        serviceName: name,
        taskDefinition: `${family}:1`,
        desiredCount: 1,
      }),
    );
    await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: `${family}:1` }));
    const before_ = await servicesState(cluster, [name, 'fresh']);
    const create = (extra: Partial<CreateServiceCommandInput>) =>
      ecs.send(
        new CreateServiceCommand({
          cluster,
          serviceName: 'fresh',
          taskDefinition: family,
          desiredCount: 1,
          ...extra,
        }),
      );
    const update = (extra: object) =>
      ecs.send(new UpdateServiceCommand({ cluster, service: name, ...extra }));
    const cases: [string, () => Promise<unknown>, abstract new (...args: never[]) => Error, RegExp][] = [
      [
        'minimumHealthyPercent 150',
        () => create({ deploymentConfiguration: { minimumHealthyPercent: 150 } }),
        InvalidParameterException,
        /minimumHealthyPercent/,
      ],
      [
        'maximumPercent 50',
        () => create({ deploymentConfiguration: { maximumPercent: 50 } }),
        InvalidParameterException,
        /maximumPercent/,
      ],
      [
        'a negative minimumHealthyPercent on update',
        () => update({ deploymentConfiguration: { minimumHealthyPercent: -10 } }),
        InvalidParameterException,
        /minimumHealthyPercent/,
      ],
      [
        'an unknown task definition',
        () => create({ taskDefinition: 'no-such-family' }),
        ClientException,
        /TaskDefinition not found/,
      ],
      [
        'an unknown revision on update',
        () => update({ taskDefinition: `${family}:9` }),
        ClientException,
        /TaskDefinition not found/,
      ],
      [
        'an INACTIVE revision',
        () => create({ taskDefinition: `${family}:1` }),
        InvalidParameterException,
        /^TaskDefinition is inactive$/,
      ],
      ['desiredCount -1', () => create({ desiredCount: -1 }), InvalidParameterException, /desiredCount/],
      [
        'desiredCount -1 on update',
        () => update({ desiredCount: -1 }),
        InvalidParameterException,
        /desiredCount/,
      ],
      [
        'DAEMON with a desired count',
        () => create({ schedulingStrategy: 'DAEMON', desiredCount: 1 }),
        InvalidParameterException,
        /The daemon scheduling strategy does not support a desired count for services/,
      ],
      [
        'DeleteService of a service scaled above 0 without force',
        () => ecs.send(new DeleteServiceCommand({ cluster, service: name })),
        InvalidParameterException,
        /cannot be stopped while it is scaled above 0/,
      ],
      [
        'a service that does not exist',
        () => ecs.send(new UpdateServiceCommand({ cluster, service: 'nobody', desiredCount: 1 })),
        ServiceNotFoundException,
        /Service not found/,
      ],
      [
        'deleting a service that does not exist',
        () => ecs.send(new DeleteServiceCommand({ cluster, service: 'nobody' })),
        ServiceNotFoundException,
        /nobody/,
      ],
      [
        'a cluster that does not exist',
        () => create({ cluster: 'no-such-cluster' }),
        ClusterNotFoundException,
        /no-such-cluster/,
      ],
      [
        'a service name with spaces',
        () => create({ serviceName: 'my web' }),
        InvalidParameterException,
        /Service name/,
      ],
      [
        'a clientToken of 37 characters',
        () => create({ clientToken: 'x'.repeat(37) }),
        InvalidParameterException,
        /clientToken/,
      ],
      [
        'a reserved tag key',
        () => create({ tags: [{ key: 'aws:team', value: 'x' }] }),
        InvalidParameterException,
        /reserved/,
      ],
      [
        'the FARGATE launch type',
        () => create({ launchType: 'FARGATE' }),
        InvalidParameterException,
        /Launch type FARGATE/,
      ],
      [
        'a load balancer port the container does not map',
        () =>
          create({
            loadBalancers: [
              {
                targetGroupArn: `arn:aws:elasticloadbalancing:us-east-1:${ACCOUNT}:targetgroup/web/abc`,
                containerName: 'web',
                containerPort: 9999,
              },
            ],
          }),
        InvalidParameterException,
        /did not have a container port 9999 defined/,
      ],
      [
        'eleven services to describe',
        () =>
          ecs.send(
            new DescribeServicesCommand({ cluster, services: Array.from({ length: 11 }, (_, i) => `s${i}`) }),
          ),
        InvalidParameterException,
        /1 to 10/,
      ],
      [
        'a forged nextToken',
        () => ecs.send(new ListServicesCommand({ cluster, nextToken: 'bm90IGEgdG9rZW4' })),
        InvalidParameterException,
        /nextToken/,
      ],
      [
        'ListServiceDeployments of a service that does not exist',
        () => ecs.send(new ListServiceDeploymentsCommand({ cluster, service: 'nobody' })),
        ServiceNotFoundException,
        /nobody/,
      ],
    ];
    for (const [why, call, type, message] of cases) {
      await rejectsWith(call(), type, message).catch((error: unknown) => {
        throw new Error(`${why}: ${String(error)}`);
      });
    }
    assert.deepEqual(await servicesState(cluster, [name, 'fresh']), before_);
  });

  it('works from the AWS CLI: create-service, describe-services, update-service, delete-service --force', async () => {
    const { cluster, family } = await setup();
    const name = uniqueName('cli');
    const created = await aws<{ service: Service }>(berth, [
      'ecs',
      'create-service',
      '--cluster',
      cluster,
      '--service-name',
      name,
      '--task-definition',
      family,
      '--desired-count',
      '2',
      '--deployment-configuration',
      'maximumPercent=150,minimumHealthyPercent=50,deploymentCircuitBreaker={enable=true,rollback=true}',
      '--placement-strategy',
      'type=spread,field=attribute:ecs.availability-zone',
      '--tags',
      'key=team,value=web',
    ]);
    assert.equal(created.service.serviceArn, serviceArnOf(cluster, name));
    assert.equal(created.service.deployments?.[0]?.rolloutState, 'IN_PROGRESS');
    const described = await aws<{ services: Service[]; failures: unknown[] }>(berth, [
      'ecs',
      'describe-services',
      '--cluster',
      cluster,
      '--services',
      name,
      '--include',
      'TAGS',
    ]);
    assert.deepEqual(described.services[0]?.tags, [{ key: 'team', value: 'web' }]);
    assert.deepEqual(described.services[0]?.placementStrategy, [
      { type: 'spread', field: 'attribute:ecs.availability-zone' },
    ]);
    const updated = await aws<{ service: Service }>(berth, [
      'ecs',
      'update-service',
      '--cluster',
      cluster,
      '--service',
      name,
      '--task-definition',
      `${family}:1`,
    ]);
    assert.equal(updated.service.deployments?.length, 2);
    const deleted = await aws<{ service: Service }>(berth, [
      'ecs',
      'delete-service',
      '--cluster',
      cluster,
      '--service',
      name,
      '--force',
    ]);
    assert.equal(deleted.service.status, 'DRAINING');
  });
});
