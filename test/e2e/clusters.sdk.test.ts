import {
  ClusterNotFoundException,
  CreateClusterCommand,
  DeleteAccountSettingCommand,
  DeleteClusterCommand,
  DescribeClustersCommand,
  InvalidParameterException,
  ListClustersCommand,
  ListTagsForResourceCommand,
  PutAccountSettingCommand,
  PutAccountSettingDefaultCommand,
  PutClusterCapacityProvidersCommand,
  UpdateClusterCommand,
  UpdateClusterSettingsCommand,
  paginateListAccountSettings,
  type ECSClient,
  type ListAccountSettingsCommandInput,
  type Setting,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { rejectsWith } from '../support/assert.js';
import { startTestServer, uniqueName, type TestServer } from '../support/server.js';

const ACCOUNT = '123456789012';
const ADMIN = `arn:aws:iam::${ACCOUNT}:user/berth-admin`;
const ROOT = `arn:aws:iam::${ACCOUNT}:root`;
const arnOf = (name: string): string => `arn:aws:ecs:us-east-1:${ACCOUNT}:cluster/${name}`;

describe('clusters through @aws-sdk/client-ecs', () => {
  let berth: TestServer;
  let ecs: ECSClient;
  before(async () => {
    berth = await startTestServer();
    ecs = berth.ecs();
  });
  after(() => berth.close());

  it('CreateCluster is idempotent by name: the second call returns the cluster as it is', async () => {
    const name = uniqueName('idem');
    const first = await ecs.send(
      new CreateClusterCommand({
        clusterName: name,
        tags: [{ key: 'team', value: 'web' }],
        settings: [{ name: 'containerInsights', value: 'enabled' }],
      }),
    );
    assert.equal(first.cluster?.clusterArn, arnOf(name));
    assert.equal(first.cluster?.status, 'ACTIVE');
    assert.deepEqual(first.cluster?.settings, [{ name: 'containerInsights', value: 'enabled' }]);
    assert.deepEqual(first.cluster?.tags, [{ key: 'team', value: 'web' }]);
    assert.equal(first.cluster?.runningTasksCount, 0);

    const second = await ecs.send(
      new CreateClusterCommand({ clusterName: name, tags: [{ key: 'other', value: 'x' }] }),
    );
    assert.equal(second.cluster?.clusterArn, first.cluster?.clusterArn);
    assert.deepEqual(second.cluster?.settings, [{ name: 'containerInsights', value: 'enabled' }]);
    const tags = await ecs.send(new ListTagsForResourceCommand({ resourceArn: arnOf(name) }));
    assert.deepEqual(tags.tags, [{ key: 'team', value: 'web' }], 'the existing cluster is not changed');

    const listed = await listAllClusters(ecs);
    assert.equal(listed.filter((arn) => arn === arnOf(name)).length, 1);
  });

  it('DescribeClusters adds tags, settings and configuration only when included', async () => {
    const name = uniqueName('desc');
    const configuration = { executeCommandConfiguration: { logging: 'DEFAULT' as const } };
    await ecs.send(
      new CreateClusterCommand({
        clusterName: name,
        tags: [
          { key: 'env', value: 'test' },
          { key: 'cost-center', value: '42' },
        ],
        settings: [{ name: 'containerInsights', value: 'enhanced' }],
        configuration,
      }),
    );
    const plain = await ecs.send(new DescribeClustersCommand({ clusters: [name] }));
    const bare = plain.clusters?.[0];
    assert.equal(bare?.clusterName, name);
    assert.deepEqual(bare?.tags ?? [], []);
    assert.equal(bare?.settings, undefined);
    assert.equal(bare?.configuration, undefined);
    assert.deepEqual(plain.failures, []);

    const full = await ecs.send(
      new DescribeClustersCommand({
        clusters: [arnOf(name)],
        include: ['TAGS', 'SETTINGS', 'CONFIGURATIONS'],
      }),
    );
    const cluster = full.clusters?.[0];
    assert.deepEqual(cluster?.tags, [
      { key: 'cost-center', value: '42' },
      { key: 'env', value: 'test' },
    ]);
    assert.deepEqual(cluster?.settings, [{ name: 'containerInsights', value: 'enhanced' }]);
    assert.deepEqual(cluster?.configuration, configuration);
  });

  it('DescribeClusters reports unknown names and ARNs as failures with reason MISSING', async () => {
    const known = uniqueName('known');
    const unknown = uniqueName('nobody');
    const unknownArn = arnOf(uniqueName('nobody-arn'));
    await ecs.send(new CreateClusterCommand({ clusterName: known }));
    const out = await ecs.send(new DescribeClustersCommand({ clusters: [unknown, known, unknownArn] }));
    assert.deepEqual(
      out.clusters?.map((c) => c.clusterName),
      [known],
    );
    assert.deepEqual(out.failures, [
      { arn: arnOf(unknown), reason: 'MISSING' },
      { arn: unknownArn, reason: 'MISSING' },
    ]);
  });

  it('UpdateCluster and UpdateClusterSettings change settings and configuration', async () => {
    const name = uniqueName('upd');
    await ecs.send(new CreateClusterCommand({ clusterName: name }));
    const configuration = {
      executeCommandConfiguration: {
        logging: 'OVERRIDE' as const,
        logConfiguration: { cloudWatchLogGroupName: '/ecs/exec', cloudWatchEncryptionEnabled: true },
      },
    };
    const updated = await ecs.send(
      new UpdateClusterCommand({
        cluster: name,
        settings: [{ name: 'containerInsights', value: 'enabled' }],
        configuration,
      }),
    );
    assert.deepEqual(updated.cluster?.settings, [{ name: 'containerInsights', value: 'enabled' }]);
    assert.deepEqual(updated.cluster?.configuration, configuration);

    const settings = await ecs.send(
      new UpdateClusterSettingsCommand({
        cluster: arnOf(name),
        settings: [{ name: 'containerInsights', value: 'disabled' }],
      }),
    );
    assert.deepEqual(settings.cluster?.settings, [{ name: 'containerInsights', value: 'disabled' }]);

    const described = await ecs.send(
      new DescribeClustersCommand({ clusters: [name], include: ['SETTINGS', 'CONFIGURATIONS'] }),
    );
    assert.deepEqual(described.clusters?.[0]?.settings, [{ name: 'containerInsights', value: 'disabled' }]);
    assert.deepEqual(
      described.clusters?.[0]?.configuration,
      configuration,
      'settings alone leave configuration',
    );

    await rejectsWith(
      ecs.send(
        new UpdateClusterSettingsCommand({
          cluster: name,
          settings: [{ name: 'containerInsights', value: 'loud' }],
        }),
      ),
      InvalidParameterException,
    );
    await rejectsWith(
      ecs.send(new UpdateClusterCommand({ cluster: uniqueName('ghost'), settings: [] })),
      ClusterNotFoundException,
    );
  });

  it('40 concurrent updates of one cluster all succeed, and the last write is what stays', async () => {
    const name = uniqueName('busy');
    await ecs.send(new CreateClusterCommand({ clusterName: name }));
    const values = ['enabled', 'disabled', 'enhanced'] as const;
    const results = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) =>
        ecs.send(
          new UpdateClusterSettingsCommand({
            cluster: name,
            settings: [{ name: 'containerInsights', value: values[i % 3] }],
          }),
        ),
      ),
    );
    const failed = results.filter((r) => r.status === 'rejected');
    assert.deepEqual(failed, [], 'no update may be lost to a write race');
    const described = await ecs.send(
      new DescribeClustersCommand({ clusters: [name], include: ['SETTINGS'] }),
    );
    const final = described.clusters?.[0]?.settings?.[0]?.value;
    const answered = results.map((r) =>
      r.status === 'fulfilled' ? r.value.cluster?.settings?.[0]?.value : undefined,
    );
    assert.ok(final !== undefined && answered.includes(final), 'the stored value is one that was written');
  });

  it('PutClusterCapacityProviders takes FARGATE and FARGATE_SPOT and refuses an unknown provider', async () => {
    const name = uniqueName('cp');
    await ecs.send(new CreateClusterCommand({ clusterName: name }));
    const strategy = [
      { capacityProvider: 'FARGATE', weight: 1, base: 1 },
      { capacityProvider: 'FARGATE_SPOT', weight: 4, base: 0 },
    ];
    const out = await ecs.send(
      new PutClusterCapacityProvidersCommand({
        cluster: name,
        capacityProviders: ['FARGATE', 'FARGATE_SPOT'],
        defaultCapacityProviderStrategy: strategy,
      }),
    );
    assert.deepEqual(out.cluster?.capacityProviders, ['FARGATE', 'FARGATE_SPOT']);
    assert.deepEqual(out.cluster?.defaultCapacityProviderStrategy, strategy);

    await rejectsWith(
      ecs.send(
        new PutClusterCapacityProvidersCommand({
          cluster: name,
          capacityProviders: ['FARGATE', 'my-asg-provider'],
          defaultCapacityProviderStrategy: [],
        }),
      ),
      InvalidParameterException,
      /my-asg-provider/,
    );
    await rejectsWith(
      ecs.send(
        new PutClusterCapacityProvidersCommand({
          cluster: name,
          capacityProviders: ['FARGATE'],
          defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }],
        }),
      ),
      InvalidParameterException,
      /FARGATE_SPOT/,
    );
    const after = await ecs.send(new DescribeClustersCommand({ clusters: [name] }));
    assert.deepEqual(
      after.clusters?.[0]?.capacityProviders,
      ['FARGATE', 'FARGATE_SPOT'],
      'a refused call changes nothing',
    );
    assert.deepEqual(after.clusters?.[0]?.defaultCapacityProviderStrategy, strategy);
  });

  it('DeleteCluster leaves an INACTIVE cluster: describable, not listed, not updatable', async () => {
    const name = uniqueName('del');
    await ecs.send(new CreateClusterCommand({ clusterName: name }));
    const deleted = await ecs.send(new DeleteClusterCommand({ cluster: name }));
    assert.equal(deleted.cluster?.status, 'INACTIVE');
    assert.equal(deleted.cluster?.clusterArn, arnOf(name));

    const described = await ecs.send(new DescribeClustersCommand({ clusters: [name] }));
    assert.equal(described.clusters?.[0]?.status, 'INACTIVE');
    assert.deepEqual(described.failures, []);
    assert.ok(!(await listAllClusters(ecs)).includes(arnOf(name)));
    await rejectsWith(ecs.send(new DeleteClusterCommand({ cluster: name })), ClusterNotFoundException);
    await rejectsWith(
      ecs.send(
        new UpdateClusterSettingsCommand({
          cluster: name,
          settings: [{ name: 'containerInsights', value: 'enabled' }],
        }),
      ),
      ClusterNotFoundException,
    );

    const again = await ecs.send(new CreateClusterCommand({ clusterName: name }));
    assert.equal(again.cluster?.status, 'ACTIVE', 'a deleted name can be created again');
    assert.ok((await listAllClusters(ecs)).includes(arnOf(name)));
  });

  it('account settings: Put, PutDefault, List with effectiveSettings, Delete', async () => {
    const put = await ecs.send(
      new PutAccountSettingCommand({ name: 'serviceLongArnFormat', value: 'disabled' }),
    );
    assert.deepEqual(put.setting, {
      name: 'serviceLongArnFormat',
      value: 'disabled',
      principalArn: ADMIN,
      type: 'user',
    });

    const putDefault = await ecs.send(
      new PutAccountSettingDefaultCommand({ name: 'containerInsights', value: 'enabled' }),
    );
    assert.deepEqual(putDefault.setting, {
      name: 'containerInsights',
      value: 'enabled',
      principalArn: ROOT,
      type: 'user',
    });

    const own = await listAllSettings(ecs, {});
    assert.deepEqual(own, [
      { name: 'serviceLongArnFormat', value: 'disabled', principalArn: ADMIN, type: 'user' },
    ]);

    const effective = new Map(
      (await listAllSettings(ecs, { effectiveSettings: true })).map((s) => [s.name, s]),
    );
    assert.deepEqual(effective.get('serviceLongArnFormat'), put.setting, "the caller's own setting wins");
    assert.deepEqual(effective.get('containerInsights'), putDefault.setting, 'then the account default');
    assert.deepEqual(effective.get('taskLongArnFormat'), {
      name: 'taskLongArnFormat',
      value: 'enabled',
      principalArn: ROOT,
      type: 'aws_managed',
    });
    assert.ok(effective.size > 10, 'every setting has an effective value, across pages of at most 10');

    const byName = await listAllSettings(ecs, { name: 'containerInsights', effectiveSettings: true });
    assert.deepEqual(byName, [putDefault.setting]);

    await rejectsWith(
      ecs.send(new PutAccountSettingCommand({ name: 'fargateFIPSMode', value: 'enabled' })),
      InvalidParameterException,
      /PutAccountSettingDefault/,
    );
    await rejectsWith(
      ecs.send(new PutAccountSettingCommand({ name: 'serviceLongArnFormat', value: 'sometimes' })),
      InvalidParameterException,
    );

    const removed = await ecs.send(new DeleteAccountSettingCommand({ name: 'serviceLongArnFormat' }));
    assert.deepEqual(removed.setting, put.setting);
    assert.deepEqual(await listAllSettings(ecs, {}), []);
    const fallback = await listAllSettings(ecs, { name: 'serviceLongArnFormat', effectiveSettings: true });
    assert.deepEqual(fallback, [
      { name: 'serviceLongArnFormat', value: 'enabled', principalArn: ROOT, type: 'aws_managed' },
    ]);
    await rejectsWith(
      ecs.send(new DeleteAccountSettingCommand({ name: 'serviceLongArnFormat' })),
      InvalidParameterException,
    );
    await ecs.send(new DeleteAccountSettingCommand({ name: 'containerInsights', principalArn: ROOT }));
  });
});

describe('ListClusters pagination through @aws-sdk/client-ecs', () => {
  let berth: TestServer;
  let ecs: ECSClient;
  before(async () => {
    berth = await startTestServer(); // its own store: exactly the 250 clusters below
    ecs = berth.ecs();
  });
  after(() => berth.close());

  it('lists 250 clusters in pages of 100, 100 and 50, each exactly once', async () => {
    const prefix = uniqueName('page');
    const names = Array.from({ length: 250 }, (_, i) => `${prefix}-${String(i).padStart(3, '0')}`);
    await createAll(ecs, names);

    const pages: string[][] = [];
    let nextToken: string | undefined;
    do {
      const out = await ecs.send(
        new ListClustersCommand({ maxResults: 100, ...(nextToken ? { nextToken } : {}) }),
      );
      pages.push(out.clusterArns ?? []);
      nextToken = out.nextToken;
      assert.ok(pages.length <= 3, 'no more than three pages');
    } while (nextToken);
    assert.deepEqual(
      pages.map((p) => p.length),
      [100, 100, 50],
    );
    const listed = pages.flat();
    assert.equal(new Set(listed).size, listed.length, 'no cluster appears twice');
    assert.deepEqual([...listed].sort(), names.map(arnOf).sort(), 'every cluster appears');

    const everything = await ecs.send(new ListClustersCommand({}));
    assert.equal(everything.clusterArns?.length, 100, 'the default page is 100');
    assert.ok(everything.nextToken);
    await rejectsWith(
      ecs.send(new ListClustersCommand({ nextToken: 'not-a-token' })),
      InvalidParameterException,
    );
    await rejectsWith(ecs.send(new ListClustersCommand({ maxResults: 101 })), InvalidParameterException);
  });
});

async function createAll(ecs: ECSClient, names: readonly string[]): Promise<void> {
  const queue = [...names];
  const worker = async (): Promise<void> => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      await ecs.send(new CreateClusterCommand({ clusterName: name }));
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

async function listAllClusters(ecs: ECSClient): Promise<string[]> {
  const arns: string[] = [];
  let nextToken: string | undefined;
  do {
    const out = await ecs.send(new ListClustersCommand(nextToken ? { nextToken } : {}));
    arns.push(...(out.clusterArns ?? []));
    nextToken = out.nextToken;
  } while (nextToken);
  return arns;
}

async function listAllSettings(ecs: ECSClient, input: ListAccountSettingsCommandInput): Promise<Setting[]> {
  const settings: Setting[] = [];
  for await (const page of paginateListAccountSettings({ client: ecs }, input)) {
    assert.ok((page.settings?.length ?? 0) <= 10);
    settings.push(...(page.settings ?? []));
  }
  return settings;
}
