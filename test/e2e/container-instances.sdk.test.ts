import {
  AttributeLimitExceededException,
  ClientException,
  ClusterContainsContainerInstancesException,
  ClusterNotFoundException,
  CreateClusterCommand,
  DeleteAttributesCommand,
  DeleteClusterCommand,
  DeregisterContainerInstanceCommand,
  DescribeClustersCommand,
  DescribeContainerInstancesCommand,
  InvalidParameterException,
  ListAttributesCommand,
  ListContainerInstancesCommand,
  ListTagsForResourceCommand,
  PutAttributesCommand,
  RegisterContainerInstanceCommand,
  TagResourceCommand,
  TargetNotFoundException,
  UpdateContainerInstancesStateCommand,
  type ContainerInstance,
  type ECSClient,
  type ListContainerInstancesCommandInput,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { registration } from '../support/fixtures.js';
import { rejectsWith } from '../support/assert.js';
import { startTestServer, uniqueName, type TestServer } from '../support/server.js';

const ACCOUNT = '123456789012';
const INSTANCE_ARN = new RegExp(
  `^arn:aws:ecs:us-east-1:${ACCOUNT}:container-instance/([a-zA-Z0-9_-]+)/([0-9a-f]{32})$`,
);

describe('container instances through @aws-sdk/client-ecs', () => {
  let berth: TestServer;
  let ecs: ECSClient;
  before(async () => {
    berth = await startTestServer();
    ecs = berth.ecs();
  });
  after(() => berth.close());

  async function listAll(input: ListContainerInstancesCommandInput): Promise<string[]> {
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const out = await ecs.send(
        new ListContainerInstancesCommand({ ...input, ...(nextToken ? { nextToken } : {}) }),
      );
      arns.push(...(out.containerInstanceArns ?? []));
      nextToken = out.nextToken;
    } while (nextToken);
    return arns.sort();
  }

  async function describe1(cluster: string, ref: string): Promise<ContainerInstance> {
    const out = await ecs.send(new DescribeContainerInstancesCommand({ cluster, containerInstances: [ref] }));
    assert.deepEqual(out.failures, []);
    return out.containerInstances![0]!;
  }

  async function registeredCount(cluster: string): Promise<number | undefined> {
    const out = await ecs.send(new DescribeClustersCommand({ clusters: [cluster] }));
    return out.clusters?.[0]?.registeredContainerInstancesCount;
  }

  it('registers, drains, attributes, counts and deregisters two instances of a cluster', async () => {
    const cluster = uniqueName('hosts');
    await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
    const hostA = uniqueName('i-a');
    const hostB = uniqueName('i-b');

    // --- RegisterContainerInstance (as the admin; the agent's own identity comes with the agent)
    const a = (await ecs.send(new RegisterContainerInstanceCommand(registration(cluster, hostA))))
      .containerInstance!;
    const b = (await ecs.send(new RegisterContainerInstanceCommand(registration(cluster, hostB))))
      .containerInstance!;
    const arnA = a.containerInstanceArn!;
    const arnB = b.containerInstanceArn!;
    assert.equal(INSTANCE_ARN.exec(arnA)?.[1], cluster);
    assert.notEqual(arnA, arnB);
    const idB = INSTANCE_ARN.exec(arnB)![2]!;
    assert.equal(a.ec2InstanceId, hostA);
    assert.equal(a.status, 'ACTIVE');
    assert.equal(a.agentConnected, false, 'no agent channel holds a session yet');
    assert.equal(a.version, 1);
    assert.equal(a.runningTasksCount, 0);
    assert.ok(a.registeredAt instanceof Date);
    assert.deepEqual(a.versionInfo, registration(cluster, hostA).versionInfo);
    assert.deepEqual(
      a.registeredResources?.map((r) => [r.name, r.type, r.integerValue, r.stringSetValue]),
      [
        ['CPU', 'INTEGER', 2048, undefined],
        ['MEMORY', 'INTEGER', 7680, undefined],
        ['PORTS', 'STRINGSET', 0, ['22', '2375', '2376', '51678', '51679']],
        ['PORTS_UDP', 'STRINGSET', 0, []],
      ],
    );
    assert.deepEqual(a.remainingResources, a.registeredResources, 'no task holds anything yet');
    assert.deepEqual(a.attributes, [
      { name: 'com.amazonaws.ecs.capability.docker-remote-api.1.44' },
      { name: 'ecs.availability-zone', value: 'us-east-1a' },
      { name: 'ecs.cpu-architecture', value: 'x86_64' },
      { name: 'ecs.instance-type', value: 'm5.large' },
      { name: 'ecs.os-type', value: 'linux' },
      { name: 'rack', value: 'r1' },
    ]);

    // Re-registering the same host (an agent restarting) is the same instance, a new version.
    const again = (await ecs.send(new RegisterContainerInstanceCommand(registration(cluster, hostA))))
      .containerInstance!;
    assert.equal(again.containerInstanceArn, arnA);
    assert.equal(again.version, 2);
    const byArn = (
      await ecs.send(
        new RegisterContainerInstanceCommand({
          ...registration(cluster, hostA),
          instanceIdentityDocument: undefined,
          containerInstanceArn: arnA,
        }),
      )
    ).containerInstance!;
    assert.equal(byArn.containerInstanceArn, arnA);
    assert.equal(byArn.ec2InstanceId, hostA);
    assert.deepEqual(await listAll({ cluster }), [arnA, arnB].sort());

    // --- DescribeContainerInstances: short id or ARN; unknown ones are MISSING; tags on request
    const described = await ecs.send(
      new DescribeContainerInstancesCommand({
        cluster,
        containerInstances: [arnA, idB, 'f'.repeat(32)],
        include: ['TAGS'],
      }),
    );
    assert.deepEqual(
      described.containerInstances?.map((c) => c.containerInstanceArn),
      [arnA, arnB],
    );
    assert.deepEqual(described.containerInstances?.[1]?.tags, [{ key: 'owner', value: 'platform' }]);
    assert.deepEqual(described.failures, [
      {
        arn: `arn:aws:ecs:us-east-1:${ACCOUNT}:container-instance/${cluster}/${'f'.repeat(32)}`,
        reason: 'MISSING',
      },
    ]);
    const untagged = await describe1(cluster, idB);
    assert.deepEqual(untagged.tags ?? [], [], 'tags only when included');

    // --- ListContainerInstances: pagination, status, filter
    const pageOne = await ecs.send(new ListContainerInstancesCommand({ cluster, maxResults: 1 }));
    assert.equal(pageOne.containerInstanceArns?.length, 1);
    assert.ok(pageOne.nextToken);
    assert.deepEqual(await listAll({ cluster, maxResults: 1 }), [arnA, arnB].sort());
    assert.deepEqual(await listAll({ cluster, filter: 'attribute:rack == r1' }), [arnA, arnB].sort());
    assert.deepEqual(await listAll({ cluster, filter: 'attribute:ecs.os-type == windows' }), []);
    assert.deepEqual(await listAll({ cluster, status: 'DRAINING' }), []);

    // --- UpdateContainerInstancesState: drain B
    const drained = await ecs.send(
      new UpdateContainerInstancesStateCommand({
        cluster,
        containerInstances: [idB, 'f'.repeat(32)],
        status: 'DRAINING',
      }),
    );
    assert.deepEqual(
      drained.containerInstances?.map((c) => [c.containerInstanceArn, c.status]),
      [[arnB, 'DRAINING']],
    );
    assert.equal(drained.failures?.[0]?.reason, 'MISSING');
    assert.equal((await describe1(cluster, arnB)).status, 'DRAINING');
    assert.deepEqual(await listAll({ cluster, status: 'DRAINING' }), [arnB]);
    assert.deepEqual(await listAll({ cluster, status: 'ACTIVE' }), [arnA]);
    assert.deepEqual(await listAll({ cluster }), [arnA, arnB].sort(), 'draining instances are registered');

    // --- PutAttributes, as `aws ecs put-attributes --attributes name=EBS,value=io1,targetId=<arn>`
    const put = await ecs.send(
      new PutAttributesCommand({ cluster, attributes: [{ name: 'EBS', value: 'io1', targetId: arnA }] }),
    );
    assert.deepEqual(put.attributes, [
      { name: 'EBS', value: 'io1', targetType: 'container-instance', targetId: arnA },
    ]);
    assert.deepEqual(await listAll({ cluster, filter: 'attribute:EBS == io1' }), [arnA]);
    assert.deepEqual(await listAll({ cluster, filter: 'attribute:EBS exists' }), [arnA]);
    // The whole cluster query language: and/or/not, built-in subjects, wildcards, lists.
    assert.deepEqual(await listAll({ cluster, filter: 'attribute:EBS == io1 and attribute:rack == r1' }), [
      arnA,
    ]);
    assert.deepEqual(await listAll({ cluster, filter: 'not(attribute:EBS exists)' }), [arnB]);
    assert.deepEqual(await listAll({ cluster, filter: 'attribute:EBS =~ io.* or attribute:EBS == gp3' }), [
      arnA,
    ]);
    assert.deepEqual(await listAll({ cluster, filter: 'runningTasksCount == 0' }), [arnA, arnB].sort());
    assert.deepEqual(await listAll({ cluster, filter: `ec2InstanceId in [${hostA}]` }), [arnA]);
    assert.deepEqual(await listAll({ cluster, filter: 'task:group == service:web' }), []);
    await rejectsWith(
      ecs.send(new ListContainerInstancesCommand({ cluster, filter: 'attribute:EBS == io1 and' })),
      InvalidParameterException,
      /at character/,
    );
    await rejectsWith(
      ecs.send(new ListContainerInstancesCommand({ cluster, filter: 'runningTaskCount == 0' })),
      InvalidParameterException,
      /runningTaskCount/,
    );

    // --- ListAttributes by name and value
    const byName = await ecs.send(
      new ListAttributesCommand({ cluster, targetType: 'container-instance', attributeName: 'EBS' }),
    );
    assert.deepEqual(byName.attributes, [
      { name: 'EBS', value: 'io1', targetType: 'container-instance', targetId: arnA },
    ]);
    const byValue = await ecs.send(
      new ListAttributesCommand({
        cluster,
        targetType: 'container-instance',
        attributeName: 'EBS',
        attributeValue: 'gp3',
      }),
    );
    assert.deepEqual(byValue.attributes, []);
    const racks = await ecs.send(
      new ListAttributesCommand({ cluster, targetType: 'container-instance', attributeName: 'rack' }),
    );
    assert.deepEqual(racks.attributes?.map((x) => x.targetId).sort(), [arnA, arnB].sort());

    // --- DeleteAttributes
    await ecs.send(new DeleteAttributesCommand({ cluster, attributes: [{ name: 'EBS', targetId: arnA }] }));
    const gone = await ecs.send(
      new ListAttributesCommand({ cluster, targetType: 'container-instance', attributeName: 'EBS' }),
    );
    assert.deepEqual(gone.attributes, []);
    assert.deepEqual(await listAll({ cluster, filter: 'attribute:EBS exists' }), []);

    // --- DescribeClusters counts them; DeleteCluster refuses until both are deregistered
    assert.equal(await registeredCount(cluster), 2);
    await rejectsWith(
      ecs.send(new DeleteClusterCommand({ cluster })),
      ClusterContainsContainerInstancesException,
    );
    const deregistered = await ecs.send(
      new DeregisterContainerInstanceCommand({ cluster, containerInstance: arnA }),
    );
    assert.equal(deregistered.containerInstance?.status, 'INACTIVE');
    assert.equal(await registeredCount(cluster), 1);
    await rejectsWith(
      ecs.send(new DeleteClusterCommand({ cluster })),
      ClusterContainsContainerInstancesException,
    );
    await ecs.send(new DeregisterContainerInstanceCommand({ cluster, containerInstance: idB, force: true }));
    assert.equal(await registeredCount(cluster), 0);
    assert.deepEqual(await listAll({ cluster }), []);
    assert.equal(
      (await describe1(cluster, arnA)).status,
      'INACTIVE',
      'deregistered instances stay describable',
    );
    await rejectsWith(
      ecs.send(new DeregisterContainerInstanceCommand({ cluster, containerInstance: arnA })),
      InvalidParameterException,
    );
    const deleted = await ecs.send(new DeleteClusterCommand({ cluster }));
    assert.equal(deleted.cluster?.status, 'INACTIVE');
    await rejectsWith(
      ecs.send(new RegisterContainerInstanceCommand(registration(cluster, hostA))),
      ClientException,
      /not found/,
    );
  });

  it('answers bad input with AWS errors and changes nothing', async () => {
    const cluster = uniqueName('bad');
    await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
    const arn = (await ecs.send(new RegisterContainerInstanceCommand(registration(cluster, uniqueName('i')))))
      .containerInstance!.containerInstanceArn!;
    const snapshot = async (): Promise<unknown> => ({
      instance: await describe1(cluster, arn),
      attributes: (await ecs.send(new ListAttributesCommand({ cluster, targetType: 'container-instance' })))
        .attributes,
      instances: await listAll({ cluster }),
      count: await registeredCount(cluster),
    });
    const before = await snapshot();

    const attribute = (name: string, value?: string) => ({
      name,
      ...(value ? { value } : {}),
      targetId: arn,
    });
    const put = (attributes: ReturnType<typeof attribute>[]) =>
      ecs.send(new PutAttributesCommand({ cluster, attributes }));
    await rejectsWith(put([attribute('ecs.os-type', 'windows')]), InvalidParameterException, /reserved/);
    await rejectsWith(put([attribute('bad name!', 'x')]), InvalidParameterException);
    await rejectsWith(put([attribute('ok', ' padded')]), InvalidParameterException);
    await rejectsWith(put([attribute('n'.repeat(129), 'x')]), InvalidParameterException);
    await rejectsWith(put([attribute('ok', 'v'.repeat(129))]), InvalidParameterException);
    await rejectsWith(
      put(Array.from({ length: 11 }, (_, i) => attribute(`a${i}`))),
      AttributeLimitExceededException,
    );
    // rack + 9 = 10 custom attributes is the limit; the 10th new one is refused and none is kept.
    await rejectsWith(
      put(Array.from({ length: 10 }, (_, i) => attribute(`b${i}`))),
      AttributeLimitExceededException,
    );
    await rejectsWith(
      ecs.send(
        new PutAttributesCommand({
          cluster,
          attributes: [{ name: 'EBS', value: 'io1', targetId: 'f'.repeat(32) }],
        }),
      ),
      TargetNotFoundException,
    );
    await rejectsWith(
      ecs.send(new PutAttributesCommand({ cluster, attributes: [{ name: 'EBS', value: 'io1' }] })),
      InvalidParameterException,
      /targetId/,
    );
    await rejectsWith(
      ecs.send(
        new DeleteAttributesCommand({ cluster, attributes: [{ name: 'ecs.os-type', targetId: arn }] }),
      ),
      InvalidParameterException,
    );
    await rejectsWith(
      ecs.send(
        new ListAttributesCommand({ cluster, targetType: 'container-instance', attributeValue: 'linux' }),
      ),
      InvalidParameterException,
    );
    await rejectsWith(
      ecs.send(
        new UpdateContainerInstancesStateCommand({
          cluster,
          containerInstances: [arn],
          status: 'REGISTERING',
        }),
      ),
      InvalidParameterException,
    );
    await rejectsWith(
      ecs.send(
        new UpdateContainerInstancesStateCommand({
          cluster,
          containerInstances: Array.from({ length: 11 }, () => arn),
          status: 'DRAINING',
        }),
      ),
      InvalidParameterException,
    );
    await rejectsWith(
      ecs.send(
        new DescribeContainerInstancesCommand({ cluster: uniqueName('ghost'), containerInstances: [arn] }),
      ),
      ClusterNotFoundException,
    );
    await rejectsWith(
      ecs.send(
        new DescribeContainerInstancesCommand({ cluster, containerInstances: ['arn:aws:s3:::bucket'] }),
      ),
      InvalidParameterException,
    );
    await rejectsWith(
      ecs.send(new DeregisterContainerInstanceCommand({ cluster, containerInstance: 'f'.repeat(32) })),
      InvalidParameterException,
    );
    await rejectsWith(
      ecs.send(new ListContainerInstancesCommand({ cluster, nextToken: 'forged' })),
      InvalidParameterException,
    );
    const bad = registration(cluster, uniqueName('i'));
    const registrations = [
      { ...bad, totalResources: bad.totalResources!.filter((r) => r.name !== 'MEMORY') },
      { ...bad, totalResources: [...bad.totalResources!, { name: 'CPU', type: 'INTEGER', integerValue: 1 }] },
      {
        ...bad,
        totalResources: [
          ...bad.totalResources!.filter((r) => r.name !== 'PORTS'),
          { name: 'PORTS', type: 'STRINGSET', stringSetValue: ['70000'] },
        ],
      },
      { ...bad, instanceIdentityDocument: '{"instanceId": 42}' },
      { ...bad, attributes: Array.from({ length: 11 }, (_, i) => ({ name: `c${i}` })) },
      { ...bad, tags: [{ key: 'aws:reserved', value: 'x' }] },
    ];
    for (const input of registrations) {
      await assert.rejects(ecs.send(new RegisterContainerInstanceCommand(input)), (err: Error) => {
        assert.ok(
          err instanceof InvalidParameterException || err instanceof AttributeLimitExceededException,
          String(err),
        );
        return true;
      });
    }
    await rejectsWith(
      ecs.send(new RegisterContainerInstanceCommand(registration(uniqueName('ghost'), uniqueName('i')))),
      ClientException,
    );
    // The same host cannot be registered in a second cluster while registered in the first.
    const other = uniqueName('other');
    await ecs.send(new CreateClusterCommand({ clusterName: other }));
    await rejectsWith(
      ecs.send(
        new RegisterContainerInstanceCommand({
          ...registration(other, (before as { instance: ContainerInstance }).instance.ec2InstanceId!),
        }),
      ),
      ClientException,
      /registered in cluster/,
    );

    assert.deepEqual(await snapshot(), before);
  });

  it('concurrent registrations of one host make one instance; a deregistered host registers anew', async () => {
    const cluster = uniqueName('race');
    await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
    const host = uniqueName('i');
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        ecs.send(new RegisterContainerInstanceCommand(registration(cluster, host))),
      ),
    );
    const arns = new Set(results.map((r) => r.containerInstance?.containerInstanceArn));
    assert.equal(arns.size, 1);
    const [arn] = [...arns];
    assert.deepEqual(await listAll({ cluster }), [arn]);
    assert.equal(await registeredCount(cluster), 1);

    await ecs.send(new TagResourceCommand({ resourceArn: arn, tags: [{ key: 'env', value: 'test' }] }));
    const tags = await ecs.send(new ListTagsForResourceCommand({ resourceArn: arn }));
    assert.deepEqual(tags.tags, [
      { key: 'env', value: 'test' },
      { key: 'owner', value: 'platform' },
    ]);

    await ecs.send(new DeregisterContainerInstanceCommand({ cluster, containerInstance: arn }));
    const fresh = (await ecs.send(new RegisterContainerInstanceCommand(registration(cluster, host))))
      .containerInstance!;
    assert.notEqual(fresh.containerInstanceArn, arn, 'a new registration after deregistering');
    assert.equal(fresh.ec2InstanceId, host);
    assert.deepEqual(await listAll({ cluster }), [fresh.containerInstanceArn]);
  });

  it('DeleteCluster racing RegisterContainerInstance never leaves an instance in a deleted cluster', async () => {
    for (let round = 0; round < 8; round++) {
      const cluster = uniqueName('toss');
      await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
      const [registered, deleted] = await Promise.allSettled([
        ecs.send(new RegisterContainerInstanceCommand(registration(cluster, uniqueName('i')))),
        ecs.send(new DeleteClusterCommand({ cluster })),
      ]);
      const out = await ecs.send(new DescribeClustersCommand({ clusters: [cluster] }));
      const state = out.clusters?.[0];
      if (deleted.status === 'fulfilled') {
        assert.equal(registered.status, 'rejected', 'the cluster was deleted: the registration failed');
        assert.equal(state?.status, 'INACTIVE');
        assert.equal(state?.registeredContainerInstancesCount, 0);
      } else {
        assert.equal(registered.status, 'fulfilled');
        assert.ok(
          deleted.reason instanceof ClusterContainsContainerInstancesException,
          String(deleted.reason),
        );
        assert.equal(state?.status, 'ACTIVE');
        assert.equal(state?.registeredContainerInstancesCount, 1);
      }
    }
  });
});
