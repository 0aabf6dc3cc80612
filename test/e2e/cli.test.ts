import {
  CreateClusterCommand,
  DeleteTaskDefinitionsCommand,
  RegisterContainerInstanceCommand,
  type ECSClient,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { aws, cleanup, runAws, scratchDir, startBerth, type BerthProcess } from '../support/berth-process.js';
import { registration, webWithSidecar } from '../support/fixtures.js';
import { uniqueName } from '../support/server.js';

/**
 * The AWS CLI (`aws ecs …`, JSON output) against a real `berth up` process: what a person types,
 * parsed by botocore's own model, signed by botocore's own SigV4.
 */
interface Cluster {
  clusterArn: string;
  clusterName: string;
  status: string;
  tags?: { key: string; value: string }[];
  settings?: { name: string; value: string }[];
  configuration?: unknown;
}
interface TaskDefinition {
  taskDefinitionArn: string;
  family: string;
  revision: number;
  status: string;
  containerDefinitions: { name: string; image: string; essential?: boolean; secrets?: unknown[] }[];
  volumes: { name: string }[];
}
type Tags = { tags: { key: string; value: string }[] };

const ACCOUNT = '000000000000';
const clusterArn = (name: string): string => `arn:aws:ecs:us-east-1:${ACCOUNT}:cluster/${name}`;

describe('the AWS CLI against berth up', { timeout: 120_000, concurrency: true }, () => {
  let berth: BerthProcess;
  let ecs: ECSClient;
  before(async () => {
    berth = await startBerth();
    ecs = berth.ecs();
  });
  after(async () => {
    await berth?.stop();
    await cleanup();
  });

  it('creates a cluster with tags, settings and configuration, and describes it', async () => {
    const name = uniqueName('cli');
    const created = await aws<{ cluster: Cluster }>(berth, [
      'ecs',
      'create-cluster',
      '--cluster-name',
      name,
      '--tags',
      'key=env,value=test',
      'key=team,value=web',
      '--settings',
      'name=containerInsights,value=enabled',
      '--configuration',
      JSON.stringify({ executeCommandConfiguration: { logging: 'DEFAULT' } }),
    ]);
    assert.equal(created.cluster.clusterArn, clusterArn(name));
    assert.equal(created.cluster.status, 'ACTIVE');
    assert.deepEqual(created.cluster.tags, [
      { key: 'env', value: 'test' },
      { key: 'team', value: 'web' },
    ]);

    const described = await aws<{ clusters: Cluster[]; failures: unknown[] }>(berth, [
      'ecs',
      'describe-clusters',
      '--clusters',
      name,
      'nobody-here',
      '--include',
      'TAGS',
      'SETTINGS',
      'CONFIGURATIONS',
    ]);
    assert.equal(described.clusters.length, 1);
    const cluster = described.clusters[0]!;
    assert.deepEqual(cluster.settings, [{ name: 'containerInsights', value: 'enabled' }]);
    assert.deepEqual(cluster.configuration, { executeCommandConfiguration: { logging: 'DEFAULT' } });
    assert.deepEqual(cluster.tags, created.cluster.tags);
    assert.deepEqual(described.failures, [{ arn: clusterArn('nobody-here'), reason: 'MISSING' }]);

    // Tagging through the CLI's shorthand, on the cluster.
    await aws(berth, [
      'ecs',
      'tag-resource',
      '--resource-arn',
      cluster.clusterArn,
      '--tags',
      'key=owner,value=alice',
      'key=env,value=prod',
    ]);
    const tagged = await aws<Tags>(berth, [
      'ecs',
      'list-tags-for-resource',
      '--resource-arn',
      cluster.clusterArn,
    ]);
    assert.deepEqual(tagged.tags, [
      { key: 'env', value: 'prod' },
      { key: 'owner', value: 'alice' },
      { key: 'team', value: 'web' },
    ]);
    await aws(berth, [
      'ecs',
      'untag-resource',
      '--resource-arn',
      cluster.clusterArn,
      '--tag-keys',
      'team',
      'env',
    ]);
    const untagged = await aws<Tags>(berth, [
      'ecs',
      'list-tags-for-resource',
      '--resource-arn',
      cluster.clusterArn,
    ]);
    assert.deepEqual(untagged.tags, [{ key: 'owner', value: 'alice' }]);
  });

  it('registers three revisions of a multi-container definition from --cli-input-json, lists, tags, deregisters and deletes', async (t) => {
    const family = uniqueName('web');
    const dir = scratchDir();
    const registered: TaskDefinition[] = [];
    for (const tag of ['1.0', '1.1', '1.2']) {
      const file = join(dir, `web-${tag}.json`);
      writeFileSync(file, JSON.stringify(webWithSidecar(family, tag), null, 2));
      const out = await aws<{ taskDefinition: TaskDefinition; tags: unknown }>(berth, [
        'ecs',
        'register-task-definition',
        '--cli-input-json',
        `file://${file}`,
      ]);
      registered.push(out.taskDefinition);
      assert.deepEqual(out.tags, [{ key: 'team', value: 'web' }]);
    }
    assert.deepEqual(
      registered.map((td) => td.revision),
      [1, 2, 3],
    );
    const arn = (revision: number): string =>
      `arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition/${family}:${revision}`;
    assert.equal(registered[2]!.taskDefinitionArn, arn(3));

    const [second, families, descending] = await Promise.all([
      aws<{ taskDefinition: TaskDefinition; tags: unknown }>(berth, [
        'ecs',
        'describe-task-definition',
        '--task-definition',
        `${family}:2`,
        '--include',
        'TAGS',
      ]),
      aws<{ families: string[] }>(berth, ['ecs', 'list-task-definition-families', '--family-prefix', family]),
      aws<{ taskDefinitionArns: string[] }>(berth, [
        'ecs',
        'list-task-definitions',
        '--family-prefix',
        family,
        '--sort',
        'DESC',
      ]),
    ]);
    const td = second.taskDefinition;
    assert.equal(td.status, 'ACTIVE');
    assert.deepEqual(
      td.containerDefinitions.map((c) => [c.name, c.image, c.essential]),
      [
        ['web', 'registry.local/web:1.1', true],
        ['log-router', 'registry.local/log-router:2.1', false],
      ],
    );
    assert.equal(td.containerDefinitions[0]!.secrets?.length, 2);
    assert.deepEqual(
      td.volumes.map((v) => v.name),
      ['shared-logs', 'config'],
    );
    assert.deepEqual(second.tags, [{ key: 'team', value: 'web' }]);
    assert.deepEqual(families.families, [family]);
    assert.deepEqual(descending.taskDefinitionArns, [arn(3), arn(2), arn(1)]);

    // Independent of each other, so side by side: tags on revision 2, retiring revision 1.
    const tagSecond = async (): Promise<void> => {
      await aws(berth, [
        'ecs',
        'tag-resource',
        '--resource-arn',
        arn(2),
        '--tags',
        'key=release,value=2024.1',
      ]);
      await aws(berth, ['ecs', 'untag-resource', '--resource-arn', arn(2), '--tag-keys', 'team']);
      const tdTags = await aws<Tags>(berth, ['ecs', 'list-tags-for-resource', '--resource-arn', arn(2)]);
      assert.deepEqual(tdTags.tags, [{ key: 'release', value: '2024.1' }]);
    };
    const retireFirst = async (): Promise<void> => {
      const deregistered = await aws<{ taskDefinition: TaskDefinition }>(berth, [
        'ecs',
        'deregister-task-definition',
        '--task-definition',
        `${family}:1`,
      ]);
      assert.equal(deregistered.taskDefinition.status, 'INACTIVE');

      const deletion = await runAws(berth, [
        'ecs',
        'delete-task-definitions',
        '--task-definitions',
        `${family}:1`,
      ]);
      if (deletion.code !== 0 && /Invalid choice/.test(deletion.stderr)) {
        // An AWS CLI older than DeleteTaskDefinitions (2023): delete through the SDK instead.
        t.diagnostic('this AWS CLI has no delete-task-definitions; deleting through the SDK');
        const out = await ecs.send(new DeleteTaskDefinitionsCommand({ taskDefinitions: [`${family}:1`] }));
        assert.equal(out.taskDefinitions?.[0]?.status, 'DELETE_IN_PROGRESS');
      } else {
        assert.equal(deletion.code, 0, deletion.stderr);
        const out = deletion.json as { taskDefinitions: TaskDefinition[]; failures: unknown[] };
        assert.deepEqual(
          out.taskDefinitions.map((d) => [d.revision, d.status]),
          [[1, 'DELETE_IN_PROGRESS']],
        );
        assert.deepEqual(out.failures, []);
      }

      const inactive = await aws<{ taskDefinitionArns: string[] }>(berth, [
        'ecs',
        'list-task-definitions',
        '--family-prefix',
        family,
        '--status',
        'INACTIVE',
      ]);
      assert.deepEqual(inactive.taskDefinitionArns, [], 'a deleted revision is no longer INACTIVE');
    };
    await Promise.all([tagSecond(), retireFirst()]);
  });

  it('puts, lists and deletes a custom attribute of a container instance (aws ecs put-attributes)', async () => {
    const name = uniqueName('cli-ci');
    await ecs.send(new CreateClusterCommand({ clusterName: name }));
    const registered = await ecs.send(
      new RegisterContainerInstanceCommand(registration(name, uniqueName('i'))),
    );
    const arn = registered.containerInstance!.containerInstanceArn!;
    type Attributes = { attributes: { name: string; value?: string; targetId?: string }[] };
    const put = await aws<Attributes>(berth, [
      'ecs',
      'put-attributes',
      '--cluster',
      name,
      '--attributes',
      `name=EBS,value=io1,targetId=${arn}`,
    ]);
    assert.deepEqual(put.attributes, [
      { name: 'EBS', value: 'io1', targetType: 'container-instance', targetId: arn },
    ]);
    const listed = await aws<Attributes>(berth, [
      'ecs',
      'list-attributes',
      '--cluster',
      name,
      '--target-type',
      'container-instance',
      '--attribute-name',
      'EBS',
    ]);
    assert.deepEqual(listed.attributes, put.attributes);
    const instances = await aws<{ containerInstanceArns: string[] }>(berth, [
      'ecs',
      'list-container-instances',
      '--cluster',
      name,
      '--filter',
      'attribute:EBS == io1',
    ]);
    assert.deepEqual(instances.containerInstanceArns, [arn]);
    await aws(berth, [
      'ecs',
      'delete-attributes',
      '--cluster',
      name,
      '--attributes',
      `name=EBS,targetId=${arn}`,
    ]);
    const after = await aws<Attributes>(berth, [
      'ecs',
      'list-attributes',
      '--cluster',
      name,
      '--target-type',
      'container-instance',
      '--attribute-name',
      'EBS',
    ]);
    assert.deepEqual(after.attributes, []);
  });

  it('paginates 250 clusters in pages of at most 100, each cluster exactly once', async () => {
    // The other tests run alongside and add clusters of their own: the 250 are told apart by prefix.
    const prefix = uniqueName('many');
    const names = Array.from({ length: 250 }, (_, i) => `${prefix}-${String(i).padStart(3, '0')}`);
    await createAll(ecs, names);
    const expected = names.map(clusterArn);

    // The service's own pages: --no-paginate with --max-results and --next-token.
    const rawPages: string[][] = [];
    let nextToken: string | undefined;
    do {
      const out = await aws<{ clusterArns: string[]; nextToken?: string }>(berth, [
        'ecs',
        'list-clusters',
        '--no-paginate',
        '--max-results',
        '100',
        ...(nextToken ? ['--next-token', nextToken] : []),
      ]);
      rawPages.push(out.clusterArns);
      nextToken = out.nextToken;
      assert.ok(rawPages.length <= 5, 'the listing ends');
    } while (nextToken);
    const sizes = rawPages.map((p) => p.length);
    assert.ok(sizes.length >= 3, `250 clusters take at least three pages: ${sizes.join(', ')}`);
    assert.ok(
      sizes.slice(0, -1).every((n) => n === 100),
      `full pages of 100: ${sizes.join(', ')}`,
    );
    assert.ok(sizes.at(-1)! <= 100);
    assertExactlyOnce(rawPages.flat(), expected, prefix);

    // The CLI's paginator: --page-size and --max-items, resumed with --starting-token.
    const cliPages: string[][] = [];
    let startingToken: string | undefined;
    do {
      const out = await aws<{ clusterArns: string[]; NextToken?: string }>(berth, [
        'ecs',
        'list-clusters',
        '--page-size',
        '100',
        '--max-items',
        '100',
        ...(startingToken ? ['--starting-token', startingToken] : []),
      ]);
      assert.ok(out.clusterArns.length <= 100);
      cliPages.push(out.clusterArns);
      startingToken = out.NextToken;
      assert.ok(cliPages.length <= 5, 'the listing ends');
    } while (startingToken);
    assert.ok(cliPages.length >= 3);
    assertExactlyOnce(cliPages.flat(), expected, prefix);
  });

  it('deletes a cluster: INACTIVE in describe-clusters, gone from list-clusters', async () => {
    const kept = uniqueName('kept');
    const gone = uniqueName('gone');
    await createAll(ecs, [kept, gone]);
    const deleted = await aws<{ cluster: Cluster }>(berth, ['ecs', 'delete-cluster', '--cluster', gone]);
    assert.equal(deleted.cluster.status, 'INACTIVE');
    assert.equal(deleted.cluster.clusterArn, clusterArn(gone));
    const [described, listed] = await Promise.all([
      aws<{ clusters: Cluster[]; failures: unknown[] }>(berth, [
        'ecs',
        'describe-clusters',
        '--clusters',
        gone,
        kept,
      ]),
      aws<{ clusterArns: string[] }>(berth, ['ecs', 'list-clusters']), // the CLI follows every page
    ]);
    assert.deepEqual(
      described.clusters.map((c) => [c.clusterName, c.status]),
      [
        [gone, 'INACTIVE'],
        [kept, 'ACTIVE'],
      ],
    );
    assert.deepEqual(described.failures, []);
    assert.ok(listed.clusterArns.includes(clusterArn(kept)));
    assert.ok(!listed.clusterArns.includes(clusterArn(gone)), 'an INACTIVE cluster is not listed');
    assert.equal(new Set(listed.clusterArns).size, listed.clusterArns.length);
  });
});

/** No ARN twice in the whole listing, and the ARNs with `prefix` are exactly `expected`. */
function assertExactlyOnce(listed: readonly string[], expected: readonly string[], prefix: string): void {
  const counts = new Map<string, number>();
  for (const arn of listed) counts.set(arn, (counts.get(arn) ?? 0) + 1);
  const twice = [...counts].filter(([, n]) => n > 1).map(([arn]) => arn);
  assert.deepEqual(twice, [], 'no cluster is listed twice');
  const mine = listed.filter((arn) => arn.startsWith(clusterArn(`${prefix}-`)));
  assert.deepEqual([...mine].sort(), [...expected].sort(), 'every one of them is listed');
}

async function createAll(ecs: ECSClient, names: readonly string[]): Promise<void> {
  const queue = [...names];
  const worker = async (): Promise<void> => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      await ecs.send(new CreateClusterCommand({ clusterName: name }));
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}
