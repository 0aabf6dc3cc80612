import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DockerRuntime } from '../../src/agent/runtime/docker.js';
import { FakeRuntime, type FakeBehavior } from '../../src/agent/runtime/fake.js';
import {
  isRuntimeError,
  type ContainerSpec,
  type PresentContainerState,
  type Runtime,
  type RuntimeErrorCode,
  type RuntimeEvent,
} from '../../src/agent/runtime/runtime.js';
import { dockerSkipReason, ensureTestImage, TEST_IMAGE, TEST_PAGE, testDocker } from '../support/images.js';

/**
 * The container runtime's contract, as the task engine relies on it, checked on both
 * implementations: Docker (a real engine, the offline busybox image of test/support/images.ts) and
 * the in-memory fake. Each case states a behaviour once; a subject realizes it — Docker through the
 * container's shell command, the fake through its scripted `FakeBehavior` for the same container.
 * Docker cases skip with the reason when no daemon answers (BERTH_TEST_REQUIRE_DOCKER=1: fail).
 *
 * Docker is shared by every test on the machine: every container here carries
 * `berth.test=<this run's id>` and a unique name, and `after` removes exactly those.
 */

const RUN = `${process.pid}-${randomBytes(4).toString('hex')}`;
const RUN_LABEL = { 'berth.test': RUN };
const MISSING_IMAGE = `berth-test/missing-${RUN}:1`;

interface Subject {
  readonly kind: 'docker' | 'fake';
  readonly skip: string | false;
  readonly runtime: () => Runtime;
  /** Scripts the fake's container of that name; Docker runs the command itself. */
  readonly program: (name: string, behavior: FakeBehavior) => void;
  /** Whether ports are real sockets on this host. */
  readonly realPorts: boolean;
  setup(): Promise<void>;
  teardown(): Promise<void>;
}

function dockerSubject(skip: string | false): Subject {
  let runtime: DockerRuntime | undefined;
  return {
    kind: 'docker',
    skip,
    realPorts: true,
    runtime: () => runtime ?? assert.fail('docker subject not set up'),
    program: () => {},
    async setup() {
      await ensureTestImage();
      runtime = new DockerRuntime({ docker: testDocker() });
    },
    async teardown() {
      const r = runtime;
      if (!r) return;
      // Only what this run created: the run label is unique to this process.
      const mine = await r.list({ labels: RUN_LABEL });
      await Promise.all(mine.map((c) => r.remove(c.runtimeId)));
    },
  };
}

function fakeSubject(): Subject {
  let runtime: FakeRuntime | undefined;
  return {
    kind: 'fake',
    skip: false,
    realPorts: false,
    runtime: () => runtime ?? assert.fail('fake subject not set up'),
    program: (name, behavior) => runtime?.program(name, behavior),
    setup() {
      runtime = new FakeRuntime({ localImages: [TEST_IMAGE], bridgeGateway: '172.17.0.1' });
      return Promise.resolve();
    },
    async teardown() {
      const r = runtime;
      if (!r) return;
      const mine = await r.list({ labels: RUN_LABEL });
      await Promise.all(mine.map((c) => r.remove(c.runtimeId)));
      r.dispose();
    },
  };
}

const subjects: Subject[] = [dockerSubject(await dockerSkipReason()), fakeSubject()];

let counter = 0;
function uniqueName(what: string): string {
  return `berth-test-${RUN}-${what}-${++counter}`;
}

/** A spec in this run, labelled with its own case label too (for event and list filters). */
function specOf(name: string, extra: Omit<ContainerSpec, 'name' | 'image'>): ContainerSpec {
  return { name, image: TEST_IMAGE, ...extra, labels: { ...RUN_LABEL, 'berth.case': name, ...extra.labels } };
}

/** A shell loop that keeps PID 1 busy but interruptible, with `trap` set as given. */
const loopWith = (trap: string): string[] => ['sh', '-c', `${trap} while :; do sleep 1 & wait $!; done`];

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function present(runtime: Runtime, id: string): Promise<PresentContainerState> {
  const state = await runtime.inspect(id);
  assert.notEqual(state.status, 'removed', `container ${id} vanished`);
  return state as PresentContainerState;
}

function waitExited(runtime: Runtime, id: string, timeoutMs?: number): Promise<PresentContainerState> {
  return waitFor(
    `${id} to exit`,
    async () => {
      const state = await present(runtime, id);
      return state.status === 'exited' ? state : undefined;
    },
    timeoutMs,
  );
}

async function run(runtime: Runtime, spec: ContainerSpec): Promise<string> {
  const id = await runtime.create(spec);
  await runtime.start(id);
  return id;
}

async function rejectsWith(promise: Promise<unknown>, code: RuntimeErrorCode): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isRuntimeError(err, code), `expected ${code}, got ${String(err)}`);
    return true;
  });
}

/** Records a label-filtered event stream from before the action until closed. */
async function record(runtime: Runtime, caseLabel: string) {
  const controller = new AbortController();
  const stream = await runtime.events({ signal: controller.signal, labels: { 'berth.case': caseLabel } });
  const seen: RuntimeEvent[] = [];
  const pumping = (async () => {
    for await (const event of stream) seen.push(event);
  })();
  return {
    seen,
    until: (predicate: (e: RuntimeEvent) => boolean) =>
      waitFor('an event', () => Promise.resolve(seen.find(predicate))),
    async close() {
      controller.abort();
      await pumping;
    },
  };
}

function pick(
  labels: Readonly<Record<string, string>>,
  like: Record<string, string>,
): Record<string, string | undefined> {
  return Object.fromEntries(Object.keys(like).map((key) => [key, labels[key]]));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

async function httpGet(port: number): Promise<string> {
  return waitFor(`HTTP on 127.0.0.1:${port}`, async () => {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/index.html`, {
        signal: AbortSignal.timeout(1000),
      });
      return response.ok ? await response.text() : undefined;
    } catch {
      return undefined;
    }
  });
}

for (const subject of subjects) {
  describe(`container runtime contract: ${subject.kind}`, { skip: subject.skip }, () => {
    before(() => subject.setup());
    after(() => subject.teardown());
    const rt = (): Runtime => subject.runtime();

    it('names its engine for the agent to report', async () => {
      assert.match(await rt().engineVersion(), /^DockerVersion: \S+/);
    });

    it('names the host address on the default bridge, which bridge containers reach the host by', async () => {
      const gateway = await rt().bridgeGateway();
      assert.ok(gateway !== undefined, 'the engine has a default bridge');
      assert.match(gateway, /^\d{1,3}(\.\d{1,3}){3}$/);
    });

    it('reports a bridge container’s own IPv4 address while it runs; a host one has none', async () => {
      const onBridge = await run(rt(), specOf(uniqueName('addr-bridge'), { command: loopWith('') }));
      const onHost = await run(
        rt(),
        specOf(uniqueName('addr-host'), { command: loopWith(''), networkMode: 'host' }),
      );
      const bridged = await present(rt(), onBridge);
      assert.equal(bridged.ipv4Addresses?.length, 1, JSON.stringify(bridged.ipv4Addresses));
      assert.match(bridged.ipv4Addresses[0] ?? '', /^\d{1,3}(\.\d{1,3}){3}$/);
      assert.notEqual(bridged.ipv4Addresses[0], await rt().bridgeGateway());
      assert.deepEqual((await present(rt(), onHost)).ipv4Addresses ?? [], []);
      await rt().remove(onBridge);
      await rt().remove(onHost);
    });

    it('runs a command and reports its exit code', async () => {
      const name = uniqueName('exit');
      subject.program(name, { exitAfterMs: 50, exitCode: 3 });
      const id = await rt().create(specOf(name, { command: ['sh', '-c', 'exit 3'] }));
      assert.equal((await present(rt(), id)).status, 'created');
      await rt().start(id);
      const state = await waitExited(rt(), id);
      assert.equal(state.exitCode, 3);
      assert.equal(state.oomKilled, false);
      assert.equal(state.name, name);
      assert.match(state.imageId, /^sha256:/);
      assert.ok(state.startedAt && state.finishedAt, 'startedAt and finishedAt are set');
      assert.ok(
        state.finishedAt >= state.startedAt,
        `finished ${state.finishedAt.toISOString()} after start ${state.startedAt.toISOString()}`,
      );
      assert.deepEqual(state.networkBindings, []);
    });

    it('reports start and die with the exit code as events', async () => {
      const name = uniqueName('events');
      subject.program(name, { exitAfterMs: 50, exitCode: 7 });
      const events = await record(rt(), name);
      try {
        const id = await run(rt(), specOf(name, { command: ['sh', '-c', 'exit 7'] }));
        const die = await events.until((e) => e.type === 'die');
        assert.deepEqual(
          events.seen.map((e) => e.type),
          ['start', 'die'],
        );
        assert.equal(die.type === 'die' && die.exitCode, 7);
        assert.equal(die.runtimeId, id);
        assert.equal(die.name, name);
        assert.equal(die.labels['berth.case'], name);
      } finally {
        await events.close();
      }
    });

    it('publishes a dynamic host port on 127.0.0.1 that answers HTTP', async () => {
      const name = uniqueName('httpd');
      const id = await run(
        rt(),
        specOf(name, {
          command: ['httpd', '-f', '-p', '8080', '-h', '/www'],
          portMappings: [{ containerPort: 8080, hostPort: 0 }],
        }),
      );
      const state = await present(rt(), id);
      assert.equal(state.status, 'running');
      assert.equal(state.networkBindings.length, 1);
      const binding = state.networkBindings[0]!;
      assert.deepEqual(
        { ...binding, hostPort: 0 },
        { containerPort: 8080, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 0 },
      );
      assert.ok(binding.hostPort >= 1024, `dynamic port ${binding.hostPort}`);
      if (subject.realPorts) assert.equal(await httpGet(binding.hostPort), TEST_PAGE);
    });

    it('gives two containers different dynamic host ports', async () => {
      const ports: number[] = [];
      for (const what of ['a', 'b']) {
        const id = await run(
          rt(),
          specOf(uniqueName(`port-${what}`), {
            command: ['httpd', '-f', '-p', '80', '-h', '/www'],
            portMappings: [{ containerPort: 80 }],
          }),
        );
        ports.push((await present(rt(), id)).networkBindings[0]!.hostPort);
      }
      assert.notEqual(ports[0], ports[1]);
      if (subject.realPorts) for (const port of ports) assert.equal(await httpGet(port), TEST_PAGE);
    });

    it('refuses to start a second container on a static host port already taken', async () => {
      const hostPort = await freePort();
      const spec = (name: string): ContainerSpec =>
        specOf(name, {
          command: ['httpd', '-f', '-p', '80', '-h', '/www'],
          portMappings: [{ containerPort: 80, hostPort }],
        });
      const first = await run(rt(), spec(uniqueName('static-a')));
      assert.equal((await present(rt(), first)).networkBindings[0]?.hostPort, hostPort);
      const second = await rt().create(spec(uniqueName('static-b')));
      await rejectsWith(rt().start(second), 'CannotStartContainerError');
      assert.notEqual((await present(rt(), second)).status, 'running');
    });

    it('stops with SIGTERM: a process that traps it exits cleanly, one that ignores it is killed after the timeout', async () => {
      const trapping = uniqueName('trap');
      const ignoring = uniqueName('ignore');
      subject.program(trapping, { onSigterm: { exitCode: 0, afterMs: 20 } });
      subject.program(ignoring, { onSigterm: 'ignore' });
      const trapId = await run(rt(), specOf(trapping, { command: loopWith('trap "exit 0" TERM;') }));
      const ignoreId = await run(rt(), specOf(ignoring, { command: loopWith('trap "" TERM;') }));
      await sleep(500); // let the shells install their traps
      const timeoutSeconds = 2;
      const timed = async (id: string): Promise<number> => {
        const started = performance.now();
        await rt().stop(id, timeoutSeconds);
        return performance.now() - started;
      };
      const [trapMs, ignoreMs] = await Promise.all([timed(trapId), timed(ignoreId)]);
      const trapState = await present(rt(), trapId);
      const ignoreState = await present(rt(), ignoreId);
      assert.equal(trapState.status, 'exited');
      assert.equal(trapState.exitCode, 0);
      assert.equal(ignoreState.status, 'exited');
      assert.equal(ignoreState.exitCode, 137);
      assert.equal(ignoreState.oomKilled, false);
      // Loose timing: the ignoring one waited for (most of) the timeout, the trapping one did not.
      assert.ok(ignoreMs >= timeoutSeconds * 1000 * 0.75, `ignoring container stopped after ${ignoreMs} ms`);
      assert.ok(trapMs * 2 < ignoreMs, `trapping ${trapMs} ms vs ignoring ${ignoreMs} ms`);
      await rt().stop(trapId, timeoutSeconds); // stopping an exited container is a no-op
    });

    it('reports a container over its memory limit as OOM-killed, with an oom event before its die', async () => {
      const name = uniqueName('oom');
      subject.program(name, { memoryMiB: 1024 });
      const events = await record(rt(), name);
      try {
        const id = await run(
          rt(),
          specOf(name, {
            command: ['sh', '-c', 'x=0123456789abcdef; while :; do x=$x$x; done'],
            memoryMiB: 16,
            maxSwapMiB: 0,
          }),
        );
        const state = await waitExited(rt(), id, 20_000);
        assert.equal(state.oomKilled, true);
        assert.equal(state.exitCode, 137);
        await events.until((e) => e.type === 'die');
        const types = events.seen.map((e) => e.type);
        assert.ok(types.indexOf('oom') >= 0 && types.indexOf('oom') < types.indexOf('die'), types.join(','));
      } finally {
        await events.close();
      }
    });

    it('moves a passing health check from starting to healthy', async () => {
      const name = uniqueName('healthy');
      const events = await record(rt(), name);
      try {
        const id = await run(
          rt(),
          specOf(name, {
            command: loopWith(''),
            healthCheck: {
              command: ['CMD-SHELL', 'test -f /www/index.html'],
              intervalSeconds: 1,
              timeoutSeconds: 1,
              retries: 2,
            },
          }),
        );
        assert.equal((await present(rt(), id)).health, 'starting');
        await waitFor('healthy', async () =>
          (await present(rt(), id)).health === 'healthy' ? true : undefined,
        );
        const event = await events.until((e) => e.type === 'health_status');
        assert.equal(event.type === 'health_status' && event.health, 'healthy');
      } finally {
        await events.close();
      }
    });

    it('turns a failing health check unhealthy; a container without one reports none', async () => {
      const name = uniqueName('unhealthy');
      subject.program(name, { health: 'unhealthy' });
      const id = await run(
        rt(),
        specOf(name, {
          command: loopWith(''),
          healthCheck: { command: ['CMD', 'false'], intervalSeconds: 1, timeoutSeconds: 1, retries: 1 },
        }),
      );
      await waitFor('unhealthy', async () =>
        (await present(rt(), id)).health === 'unhealthy' ? true : undefined,
      );
      const plain = await run(rt(), specOf(uniqueName('no-health'), { command: loopWith('') }));
      assert.equal((await present(rt(), plain)).health, 'none');
    });

    it('uses the cached image offline by default and fails `always` and missing images with CannotPullContainerError', async () => {
      const cached = await rt().ensureImage(TEST_IMAGE, 'default');
      assert.ok(cached.imageId.startsWith('sha256:'));
      assert.equal(cached.pulled, false);
      assert.deepEqual(await rt().ensureImage(TEST_IMAGE, 'prefer-cached'), cached);
      await rejectsWith(rt().ensureImage(TEST_IMAGE, 'always'), 'CannotPullContainerError');
      // `once` pulls what this runtime never pulled itself, so a local-only image cannot be pulled.
      await rejectsWith(rt().ensureImage(TEST_IMAGE, 'once'), 'CannotPullContainerError');
      for (const behavior of ['default', 'always', 'once', 'prefer-cached'] as const) {
        await rejectsWith(rt().ensureImage(MISSING_IMAGE, behavior), 'CannotPullContainerError');
      }
    });

    it('round-trips labels through list(), selecting by every given label', async () => {
      const task = uniqueName('task');
      const arn = `arn:aws:ecs:us-east-1:123456789012:task/default/${task}`;
      const labelsOf = (container: string) => ({
        'berth.case': task,
        'com.amazonaws.ecs.task-arn': arn,
        'com.amazonaws.ecs.container-name': container,
      });
      const web = await rt().create(specOf(`${task}-web`, { command: ['true'], labels: labelsOf('web') }));
      const log = await rt().create(specOf(`${task}-log`, { command: ['true'], labels: labelsOf('log') }));
      const both = await rt().list({ labels: { 'berth.case': task, 'com.amazonaws.ecs.task-arn': arn } });
      assert.deepEqual(both.map((c) => c.runtimeId).sort(), [web, log].sort());
      const webOnly = await rt().list({
        labels: { 'berth.case': task, 'com.amazonaws.ecs.container-name': 'web' },
      });
      assert.equal(webOnly.length, 1);
      const summary = webOnly[0]!;
      assert.deepEqual(
        { ...summary, labels: undefined },
        { runtimeId: web, name: `${task}-web`, image: TEST_IMAGE, status: 'created', labels: undefined },
      );
      // Every label given comes back as given (Docker adds the image's own labels besides).
      const given = { ...RUN_LABEL, ...labelsOf('web') };
      assert.deepEqual(pick(summary.labels, given), given);
      assert.deepEqual(pick((await present(rt(), web)).labels, given), given);
      assert.equal(
        (await rt().list({ labels: { 'berth.case': task, 'com.amazonaws.ecs.task-arn': undefined } })).length,
        2,
      );
    });

    it('refuses a second container with a taken name', async () => {
      const name = uniqueName('dup');
      await rt().create(specOf(name, { command: ['true'] }));
      await rejectsWith(rt().create(specOf(name, { command: ['true'] })), 'CannotCreateContainerError');
    });

    it('removes a running container: inspect says removed, list omits it, and removing again is harmless', async () => {
      const name = uniqueName('remove');
      const id = await run(rt(), specOf(name, { command: loopWith('') }));
      await rt().remove(id);
      assert.deepEqual(await rt().inspect(id), { runtimeId: id, status: 'removed' });
      assert.deepEqual(await rt().list({ labels: { 'berth.case': name } }), []);
      await rt().remove(id);
      await rejectsWith(rt().start(id), 'ContainerNotFoundError');
    });

    it('mounts another container’s volumes (volumesFrom), read-only when asked; removes a named volume once unused', async () => {
      const runtime = subject.runtime();
      const volume = `berth-test-${RUN}-vol-${++counter}`;
      const created: string[] = [];
      try {
        const sourceName = uniqueName('vsource');
        const source = await runtime.create(
          specOf(sourceName, {
            command: ['true'],
            mounts: [{ type: 'volume', name: volume, target: '/data' }],
          }),
        );
        created.push(source);
        const readOnly = await runtime.create(
          specOf(uniqueName('vfrom'), {
            command: ['true'],
            volumesFrom: [{ container: source, readOnly: true }],
          }),
        );
        created.push(readOnly);
        const inherit = await runtime.create(
          specOf(uniqueName('vfrom'), { command: ['true'], volumesFrom: [{ container: sourceName }] }),
        );
        created.push(inherit);
        const mount = { type: 'volume', name: volume, target: '/data' } as const;
        assert.deepEqual((await present(runtime, source)).mounts, [{ ...mount, readOnly: false }]);
        assert.deepEqual((await present(runtime, readOnly)).mounts, [{ ...mount, readOnly: true }]);
        assert.deepEqual((await present(runtime, inherit)).mounts, [{ ...mount, readOnly: false }]);
        await rejectsWith(runtime.removeVolume(volume), 'CannotRemoveVolumeError');
        for (const id of created.splice(0).reverse()) await runtime.remove(id);
        assert.equal(await runtime.removeVolume(volume), true);
        assert.equal(await runtime.removeVolume(volume), false, 'removing it again is harmless');
      } finally {
        for (const id of created.reverse()) await runtime.remove(id).catch(() => undefined);
        await runtime.removeVolume(volume).catch(() => undefined);
      }
    });

    it('samples resource use against the hard memory limit', async () => {
      const id = await run(rt(), specOf(uniqueName('stats'), { command: loopWith(''), memoryMiB: 64 }));
      const stats = await rt().stats(id);
      assert.equal(stats.memoryLimitBytes, 64 * 1024 * 1024);
      assert.ok(stats.memoryUsageBytes > 0 && stats.memoryUsageBytes <= stats.memoryLimitBytes);
      assert.ok(stats.cpuTotalNanos >= 0 && stats.onlineCpus >= 1);
    });
  });
}
