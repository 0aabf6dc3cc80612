import {
  CreateClusterCommand,
  DescribeClustersCommand,
  DescribeContainerInstancesCommand,
  ListContainerInstancesCommand,
  type ContainerInstance,
  type ECSClient,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { FakeRuntime } from '../../src/agent/runtime/fake.js';
import { startAgent, type AgentOptions } from '../../src/app/agent.js';
import { startTestServer, uniqueName, type TestServer } from '../support/server.js';

/** The agent registering its host through the public API, as `berth agent` and `berth up` run it. */
describe('berth agent registration', () => {
  let berth: TestServer;
  let ecs: ECSClient;
  const dirs: string[] = [];
  const newDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-agent-'));
    dirs.push(dir);
    return dir;
  };
  const options = (dataDir: string, env: Record<string, string>): AgentOptions => ({
    endpoint: berth.endpoint,
    region: berth.region,
    credentials: berth.credentials,
    dataDir,
    env,
    logger: pino({ level: 'silent' }),
    runtime: new FakeRuntime(),
  });
  const describeInstance = async (cluster: string, arn: string): Promise<ContainerInstance> => {
    const out = await ecs.send(new DescribeContainerInstancesCommand({ cluster, containerInstances: [arn] }));
    return out.containerInstances![0]!;
  };

  before(async () => {
    berth = await startTestServer();
    ecs = berth.ecs();
  });
  after(async () => {
    await berth.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('registers the host with its resources, reservations, zone and custom attributes', async () => {
    const cluster = uniqueName('agents');
    await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
    const agent = startAgent(
      options(newDir(), {
        ECS_CLUSTER: cluster,
        ECS_RESERVED_MEMORY: '256',
        ECS_RESERVED_PORTS: '[22, 8500]',
        ECS_INSTANCE_ATTRIBUTES: '{"rack": "r7"}',
        BERTH_AVAILABILITY_ZONE: 'zone-b',
      }),
    );
    const arn = await agent.registered;
    await agent.close();
    const instance = await describeInstance(cluster, arn);
    const resource = (name: string) => instance.registeredResources?.find((r) => r.name === name);
    assert.equal(resource('CPU')?.integerValue, cpus().length * 1024);
    assert.equal(resource('MEMORY')?.integerValue, Math.floor(totalmem() / 1024 / 1024) - 256);
    assert.deepEqual(resource('PORTS')?.stringSetValue, ['22', '8500']);
    const attribute = (name: string) => instance.attributes?.find((a) => a.name === name);
    assert.equal(attribute('ecs.availability-zone')?.value, 'zone-b');
    assert.equal(attribute('ecs.os-type')?.value, 'linux');
    assert.equal(attribute('rack')?.value, 'r7');
    assert.ok(attribute('ecs.capability.container-health-check'));
    assert.equal(instance.versionInfo?.dockerVersion, 'DockerVersion: fake');
  });

  it('comes back as the same instance after a restart; another data dir is another host', async () => {
    const cluster = uniqueName('restart');
    await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
    const dir = newDir();
    const first = startAgent(options(dir, { ECS_CLUSTER: cluster }));
    const arn = await first.registered;
    await first.close();
    const again = startAgent(options(dir, { ECS_CLUSTER: cluster }));
    assert.equal(await again.registered, arn);
    await again.close();
    const other = startAgent(options(newDir(), { ECS_CLUSTER: cluster }));
    assert.notEqual(await other.registered, arn);
    await other.close();
    const listed = await ecs.send(new ListContainerInstancesCommand({ cluster }));
    assert.equal(listed.containerInstanceArns?.length, 2);
  });

  it('creates the default cluster when it joins it, as the ECS agent does', async () => {
    const agent = startAgent(options(newDir(), {}));
    const arn = await agent.registered;
    await agent.close();
    assert.match(arn, /:container-instance\/default\//);
    const described = await ecs.send(new DescribeClustersCommand({ clusters: ['default'] }));
    assert.equal(described.clusters?.[0]?.status, 'ACTIVE');
  });

  it('keeps retrying while its cluster does not exist, and registers once it does', async () => {
    const cluster = uniqueName('later');
    const agent = startAgent(options(newDir(), { ECS_CLUSTER: cluster }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
    assert.match(await agent.registered, new RegExp(`container-instance/${cluster}/`));
    await agent.close();
  });

  it('refuses bad settings with a message naming the variable', () => {
    assert.throws(
      () => startAgent(options(newDir(), { ECS_IMAGE_PULL_BEHAVIOR: 'sometimes' })),
      /ECS_IMAGE_PULL_BEHAVIOR/,
    );
    assert.throws(() => startAgent(options(newDir(), { ECS_RESERVED_PORTS: '22' })), /ECS_RESERVED_PORTS/);
    assert.throws(
      () => startAgent(options(newDir(), { ECS_CONTAINER_STOP_TIMEOUT: 'soon' })),
      /ECS_CONTAINER_STOP_TIMEOUT/,
    );
  });
});
