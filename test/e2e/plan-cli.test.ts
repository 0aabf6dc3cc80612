import {
  CreateClusterCommand,
  ListTasksCommand,
  PutAttributesCommand,
  RegisterTaskDefinitionCommand,
  type ECSClient,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { registerPlaceableHosts } from '../support/agent-session.js';
import { cleanup, runBerth, type RunResult } from '../support/berth-process.js';
import { startTestServer, uniqueName, type TestServer } from '../support/server.js';

/**
 * `berth plan run-task` (the placement dry run) as a person runs it: the CLI in a child process
 * (through tsx), finding an in-process control plane through AWS_ENDPOINT_URL and signing with the
 * standard AWS credential variables; the table, the JSON, and the exit codes (0 all placed, 2 some
 * not, 1 an error).
 */
const MEMBER_OF = 'MemberOf placement constraint unsatisfied.';
const DISTINCT = 'DistinctInstance placement constraint unsatisfied.';

describe('berth plan run-task', { concurrency: true }, () => {
  let berth: TestServer;
  let ecs: ECSClient;
  const cluster = uniqueName('plan-cli');
  const family = uniqueName('plan-cli');
  const zones = ['us-east-1a', 'us-east-1b'];
  const instances: string[] = [];
  const hosts: string[] = [];

  const plan = (args: readonly string[], env: Record<string, string> = {}): Promise<RunResult> =>
    runBerth(['plan', 'run-task', '--cluster', cluster, '--task-definition', family, ...args], {
      env: {
        AWS_ENDPOINT_URL: berth.endpoint,
        AWS_ACCESS_KEY_ID: berth.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: berth.credentials.secretAccessKey,
        AWS_REGION: berth.region,
        AWS_EC2_METADATA_DISABLED: 'true',
        ...env,
      },
      timeoutMs: 60_000,
    });
  const gold = ['--placement-constraints', 'type=memberOf,expression="attribute:tier in [gold, platinum]"'];
  const distinct = ['type=distinctInstance'];

  before(async () => {
    berth = await startTestServer();
    ecs = berth.ecs();
    await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
    for (const h of await registerPlaceableHosts(berth, ecs, cluster, 4, zones)) {
      instances.push(h.containerInstanceArn);
      hosts.push(h.hostId);
    }
    await ecs.send(
      new PutAttributesCommand({
        cluster,
        attributes: instances.slice(0, 2).map((targetId) => ({ name: 'tier', value: 'gold', targetId })),
      }),
    );
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family,
        containerDefinitions: [{ name: 'app', image: 'busybox', cpu: 128, memory: 256 }],
      }),
    );
  });
  after(async () => {
    await berth?.close();
    await cleanup();
  });

  const idOf = (arn: string): string => arn.slice(arn.lastIndexOf('/') + 1);

  it('prints one line per task placed and exits 0 when all would be placed', async () => {
    const result = await plan(['--count', '2', '--group', 'web', ...gold, ...distinct]);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trimEnd().split('\n');
    assert.equal(lines[0], '2 of 2 tasks would be placed');
    assert.match(lines[1] ?? '', /^TASK\s+CONTAINER INSTANCE\s+EC2 INSTANCE\s+ZONE$/);
    const rows = lines.slice(2).map((l) => l.split(/\s+/));
    assert.deepEqual(
      rows.map((r) => r[0]),
      ['1', '2'],
    );
    assert.deepEqual(
      new Set(rows.map((r) => r.slice(1).join(' '))),
      new Set([0, 1].map((k) => `${idOf(instances[k] ?? '')} ${hosts[k]} ${zones[k]}`)),
    );
    const tasks = await ecs.send(new ListTasksCommand({ cluster }));
    assert.deepEqual(tasks.taskArns, [], 'a dry run starts nothing');
  });

  it('lists the refusals with their reasons and counts, and exits 2 when some would not be placed', async () => {
    const result = await plan(['--count', '4', '--group', 'api', ...gold, ...distinct]);
    assert.equal(result.code, 2, result.stderr);
    const out = result.stdout;
    assert.match(out, /^2 of 4 tasks would be placed\n/);
    assert.match(out, /\n2 would not be placed:\n/);
    for (const [k, arn] of instances.entries()) {
      const reason = k < 2 ? DISTINCT : MEMBER_OF;
      assert.match(out, new RegExp(`\\n${idOf(arn)}\\s+${reason.replace(/\./g, '\\.')}\\n`));
    }
    assert.match(out, /\nREASON\s+INSTANCES\n/);
    assert.match(out, new RegExp(`\\n${DISTINCT.replace(/\./g, '\\.')}\\s+2\\n`));
    assert.match(out, new RegExp(`\\n${MEMBER_OF.replace(/\./g, '\\.')}\\s+2\\n$`));
  });

  it('answers JSON with --output json, and takes placement strategies', async () => {
    const result = await plan([
      '--count',
      '4',
      '--placement-strategy',
      'type=spread,field=attribute:ecs.availability-zone',
      'type=binpack,field=memory',
      '--output',
      'json',
    ]);
    assert.equal(result.code, 0, result.stderr);
    const json = JSON.parse(result.stdout) as {
      placements: { containerInstanceArn: string; availabilityZone: string }[];
      unplaced: number;
      failures: unknown[];
      evaluated: { containerInstanceArn: string; verdict: string; tasks?: number }[];
    };
    assert.equal(json.unplaced, 0);
    assert.deepEqual(json.failures, []);
    const perZone = new Map<string, number>();
    for (const p of json.placements)
      perZone.set(p.availabilityZone, (perZone.get(p.availabilityZone) ?? 0) + 1);
    assert.deepEqual(Object.fromEntries(perZone), { 'us-east-1a': 2, 'us-east-1b': 2 });
    assert.equal(json.evaluated.length, 4);
    const taken = json.evaluated.reduce((n, e) => n + (e.tasks ?? 0), 0);
    assert.equal(taken, 4);
  });

  it('exits 1 with the control plane’s error on bad input', async () => {
    const missing = await plan(['--task-definition', `${family}:42`]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /ClientException: Unable to describe task definition/);
    const badQuery = await plan(['--placement-constraints', 'type=memberOf,expression="attribute:x =="']);
    assert.equal(badQuery.code, 1);
    assert.match(badQuery.stderr, /InvalidParameterException: Invalid query expression/);
    const unsigned = await plan([], { AWS_SECRET_ACCESS_KEY: 'not-the-key' });
    assert.equal(unsigned.code, 1);
    assert.match(unsigned.stderr, /InvalidSignatureException/);
    const nowhere = await runBerth(['plan', 'run-task', '--task-definition', family]);
    assert.equal(nowhere.code, 1);
    assert.match(nowhere.stderr, /no control plane: set AWS_ENDPOINT_URL or pass --endpoint/);
    const tasks = await ecs.send(new ListTasksCommand({ cluster }));
    assert.deepEqual(tasks.taskArns, []);
  });
});
