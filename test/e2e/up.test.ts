import { CreateClusterCommand, DescribeClustersCommand } from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  REPO_ROOT,
  cleanEnv,
  cleanup,
  isolatedHome,
  parseEnvLines,
  run,
  runBerth,
  scratchDir,
  startBerth,
} from '../support/berth-process.js';
import { uniqueName } from '../support/server.js';

/** `berth up` / `berth server` as a person runs them: a real process, its output, signals and files. */
const LINE_NAMES = [
  'AWS_ENDPOINT_URL',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
];
/** Generous for a loaded 2-core CI machine; a hang on an open connection would take 65 s. */
const PROMPTLY_MS = 5_000;
const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };

describe('berth up', { timeout: 60_000, concurrency: 2 }, () => {
  after(cleanup);

  it('prints exactly the endpoint, key and region lines and writes them to berth.env (mode 0600)', async () => {
    const berth = await startBerth();
    const stop = await berth.stop();
    assert.equal(stop.code, 0);

    const printed = berth.stdout().split('\n');
    assert.equal(printed.pop(), '', 'the output ends with a newline');
    assert.deepEqual(
      printed.map((l) => l.split('=')[0]),
      LINE_NAMES,
      `nothing else on stdout:\n${berth.stdout()}`,
    );
    const vars = parseEnvLines(printed);
    assert.match(vars.AWS_ENDPOINT_URL!, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(berth.port, 0, '--port 0 prints the port it really got');
    assert.match(vars.AWS_ACCESS_KEY_ID!, /^AKIA[A-Z2-7]{16}$/);
    assert.match(vars.AWS_SECRET_ACCESS_KEY!, /^[A-Za-z0-9]{40}$/);
    assert.equal(vars.AWS_REGION, 'us-east-1');
    assert.equal(vars.AWS_DEFAULT_REGION, 'us-east-1');

    const envFile = join(berth.dataDir, 'berth.env');
    assert.equal(readFileSync(envFile, 'utf8'), berth.stdout());
    assert.equal(statSync(envFile).mode & 0o777, 0o600, 'berth.env holds a secret: owner only');
    assert.equal(statSync(berth.dataDir).mode & 0o777, 0o700, 'the data dir holds the store: owner only');
    assert.equal(
      statSync(join(berth.dataDir, 'berth.db')).mode & 0o777,
      0o600,
      'the store holds the secret too',
    );
  });

  it('generates a random key per data dir and keeps it, and the state, across restarts', async () => {
    const [a, b] = await Promise.all([startBerth(), startBerth()]);
    assert.notEqual(a.credentials?.accessKeyId, b.credentials?.accessKeyId);
    assert.notEqual(a.credentials?.secretAccessKey, b.credentials?.secretAccessKey);
    await b.stop();

    const name = uniqueName('survivor');
    const created = await a
      .ecs()
      .send(new CreateClusterCommand({ clusterName: name, tags: [{ key: 'k', value: 'v' }] }));
    // SIGTERM with the SDK's keep-alive connection still open: a clean, prompt exit.
    const stopped = await a.stop('SIGTERM');
    assert.deepEqual([stopped.code, stopped.signal], [0, null], a.stderr());
    assert.ok(stopped.ms < PROMPTLY_MS, `took ${Math.round(stopped.ms)} ms to stop`);

    // Loosened by hand in between: the restart makes both private again.
    chmodSync(a.dataDir, 0o755);
    chmodSync(join(a.dataDir, 'berth.env'), 0o644);
    const again = await startBerth({ dataDir: a.dataDir });
    assert.equal(statSync(a.dataDir).mode & 0o777, 0o700);
    assert.equal(statSync(join(a.dataDir, 'berth.env')).mode & 0o777, 0o600);
    assert.deepEqual(again.credentials, a.credentials, 'a restart keeps the key');
    assert.equal(
      readFileSync(join(a.dataDir, 'berth.env'), 'utf8'),
      again.stdout(),
      'berth.env names the new port',
    );
    const described = await again
      .ecs()
      .send(new DescribeClustersCommand({ clusters: [name], include: ['TAGS'] }));
    assert.equal(described.clusters?.[0]?.status, 'ACTIVE');
    assert.equal(described.clusters?.[0]?.clusterArn, created.cluster?.clusterArn);
    assert.deepEqual(described.clusters?.[0]?.tags, [{ key: 'k', value: 'v' }]);
    assert.equal((await again.stop()).code, 0);
    assert.match(again.stderr(), /"signal":"SIGTERM","msg":"shutting down"/);
  });

  it('berth.env sourced in a shell points the AWS CLI at Berth as the administrator', async () => {
    const berth = await startBerth();
    const { awsConfig, awsCredentials } = isolatedHome();
    const script =
      'set -a; . "$1"; set +a; aws --endpoint-url "$AWS_ENDPOINT_URL" --output json sts get-caller-identity';
    const result = await run('sh', ['-c', script, 'sh', join(berth.dataDir, 'berth.env')], {
      // No AWS_* key, endpoint or region in the shell's environment: they all come from berth.env.
      env: cleanEnv({
        AWS_CONFIG_FILE: awsConfig,
        AWS_SHARED_CREDENTIALS_FILE: awsCredentials,
        AWS_PAGER: '',
      }),
    });
    assert.equal(result.code, 0, result.stderr);
    const identity = JSON.parse(result.stdout) as Record<string, string>;
    assert.equal(identity.UserId, berth.credentials?.accessKeyId);
    assert.equal(identity.Account, '000000000000');
    assert.equal(identity.Arn, 'arn:aws:iam::000000000000:user/berth-admin');
    await berth.stop();
  });

  it('--region changes the region in berth.env and in ARNs; SIGINT (Ctrl-C) stops it cleanly', async () => {
    const berth = await startBerth({ region: 'eu-west-1' });
    const vars = parseEnvLines(berth.lines);
    assert.equal(vars.AWS_REGION, 'eu-west-1');
    assert.equal(vars.AWS_DEFAULT_REGION, 'eu-west-1');
    assert.match(readFileSync(join(berth.dataDir, 'berth.env'), 'utf8'), /^AWS_REGION=eu-west-1$/m);
    const name = uniqueName('eu');
    const out = await berth.ecs().send(new CreateClusterCommand({ clusterName: name }));
    assert.equal(out.cluster?.clusterArn, `arn:aws:ecs:eu-west-1:000000000000:cluster/${name}`);
    const stopped = await berth.stop('SIGINT');
    assert.deepEqual([stopped.code, stopped.signal], [0, null], berth.stderr());
    assert.ok(stopped.ms < PROMPTLY_MS, `took ${Math.round(stopped.ms)} ms to stop`);
    assert.match(berth.stderr(), /"signal":"SIGINT","msg":"shutting down"/);
  });

  it('berth server prints only the endpoint, serves the same data dir with the same key, and holds its port', async () => {
    const up = await startBerth();
    const name = uniqueName('shared');
    await up.ecs().send(new CreateClusterCommand({ clusterName: name }));
    await up.stop();

    const server = await startBerth({ command: 'server', dataDir: up.dataDir, credentials: up.credentials! });
    assert.deepEqual(server.lines, [`AWS_ENDPOINT_URL=${server.endpoint}`]);
    const described = await server.ecs().send(new DescribeClustersCommand({ clusters: [name] }));
    assert.equal(described.clusters?.[0]?.status, 'ACTIVE');

    // A second Berth on the same port: a message and a non-zero exit, no endpoint printed.
    const busy = await runBerth([
      'up',
      '--port',
      String(server.port),
      '--data-dir',
      join(scratchDir(), 'data'),
    ]);
    assert.equal(busy.code, 1);
    assert.match(busy.stderr, /^berth: .*EADDRINUSE/m);
    assert.equal(busy.stdout, '');
    assert.equal((await server.stop()).code, 0);
    assert.equal(server.stdout(), `AWS_ENDPOINT_URL=${server.endpoint}\n`);
  });
});

describe('berth command line', { timeout: 30_000, concurrency: 2 }, () => {
  after(cleanup);

  it('--help lists the up and server commands', async () => {
    const result = await runBerth(['--help']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^Usage: berth/m);
    assert.match(result.stdout, /^\s+up\b/m);
    assert.match(result.stdout, /^\s+server\b/m);
  });

  it("--version prints package.json's version", async () => {
    const result = await runBerth(['--version']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `${version}\n`);
  });

  it('a bad flag value exits non-zero with a message and starts nothing', async () => {
    const dataDir = join(scratchDir(), 'data');
    const result = await runBerth(['up', '--port', 'nope', '--data-dir', dataDir]);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /--port/);
    assert.match(result.stderr, /integer from 0 to 65535/);
    assert.equal(result.stdout, '');
    assert.equal(existsSync(dataDir), false, 'no data dir, no store, no berth.env');
  });
});
