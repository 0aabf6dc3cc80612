import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { ContainerView, TaskSnapshot } from '../../src/agent/engine/known-task.js';
import type { TaskSpec } from '../../src/agent/engine/task-spec.js';
import {
  containerResponse,
  dockerStats,
  taskResponse,
  taskWithTagsResponse,
  type MetadataTask,
} from '../../src/agent/endpoints/metadata-shapes.js';
import { containerToken, loadEndpointState } from '../../src/agent/endpoints/metadata-token.js';
import type { ContainerStats, PresentContainerState } from '../../src/agent/runtime/runtime.js';

/**
 * The metadata endpoint's JSON, field by field, from an engine snapshot and what the runtime
 * inspected: ECS's v4 names and types (Revision a string, task CPU in vCPUs, container CPU in
 * units), what is omitted when unknown, and Docker's stats shape.
 */

const ARN = 'arn:aws:ecs:us-east-1:123456789012:task/dev/0123456789abcdef0123456789abcdef';
const T0 = new Date('2024-05-01T10:00:00.000Z');
const at = (s: number): Date => new Date(T0.getTime() + s * 1000);

function spec(extra: Partial<TaskSpec> = {}): TaskSpec {
  return {
    taskArn: ARN,
    cluster: 'dev',
    family: 'web',
    revision: 3,
    desiredStatus: 'RUNNING',
    version: 2,
    cpu: 512,
    memory: 256,
    containers: [
      {
        name: 'app',
        image: 'busybox:1',
        cpu: 10,
        memory: 64,
        healthCheck: { command: ['CMD-SHELL', 'true'] },
      },
      { name: 'sidecar', image: 'busybox:1', dependsOn: [{ containerName: 'app', condition: 'HEALTHY' }] },
    ],
    ...extra,
  };
}

function view(name: string, extra: Partial<ContainerView> = {}): ContainerView {
  return {
    kind: 'container',
    cluster: 'dev',
    taskArn: ARN,
    containerName: name,
    lastStatus: 'PENDING',
    image: 'busybox:1',
    healthStatus: 'UNKNOWN',
    networkBindings: [],
    ...extra,
  };
}

function snapshot(containers: ContainerView[]): TaskSnapshot {
  return {
    taskArn: ARN,
    version: 2,
    desiredStatus: 'RUNNING',
    task: {
      kind: 'task',
      cluster: 'dev',
      taskArn: ARN,
      lastStatus: 'RUNNING',
      desiredStatus: 'RUNNING',
      healthStatus: 'HEALTHY',
      pullStartedAt: at(0),
      pullStoppedAt: at(1),
      startedAt: at(2),
    },
    containers,
  };
}

const APP_ID = 'a'.repeat(64);
const appState: PresentContainerState = {
  runtimeId: APP_ID,
  name: 'ecs-web-3-app-0123456789abcdef0123456789abcdef',
  image: 'busybox:1',
  imageId: 'sha256:' + 'b'.repeat(64),
  status: 'running',
  oomKilled: false,
  health: 'healthy',
  createdAt: at(1.5),
  startedAt: at(2),
  networkBindings: [{ containerPort: 8080, protocol: 'tcp', hostPort: 32768, hostIp: '127.0.0.1' }],
  ipv4Addresses: ['172.17.0.5'],
  labels: { 'com.amazonaws.ecs.task-arn': ARN, 'com.amazonaws.ecs.container-name': 'app' },
};

function runningTask(extra: Partial<TaskSpec> = {}): MetadataTask {
  return {
    spec: spec(extra),
    snapshot: snapshot([
      view('app', {
        lastStatus: 'RUNNING',
        runtimeId: APP_ID,
        startedAt: at(2),
        healthStatus: 'HEALTHY',
        networkBindings: appState.networkBindings,
      }),
      view('sidecar'),
    ]),
    inspected: new Map([['app', appState]]),
  };
}

describe('task metadata v4 shapes', () => {
  it('answers a running container as ECS does, from the snapshot and the inspected state', () => {
    assert.deepEqual(containerResponse(runningTask(), 'app'), {
      DockerId: APP_ID,
      Name: 'app',
      DockerName: 'ecs-web-3-app-0123456789abcdef0123456789abcdef',
      Image: 'busybox:1',
      ImageID: 'sha256:' + 'b'.repeat(64),
      Ports: [{ ContainerPort: 8080, Protocol: 'tcp', HostPort: 32768, HostIp: '127.0.0.1' }],
      Labels: appState.labels,
      DesiredStatus: 'RUNNING',
      KnownStatus: 'RUNNING',
      Limits: { CPU: 10, Memory: 64 },
      CreatedAt: '2024-05-01T10:00:01.500Z',
      StartedAt: '2024-05-01T10:00:02.000Z',
      Type: 'NORMAL',
      Health: { status: 'HEALTHY' },
      Networks: [{ NetworkMode: 'bridge', IPv4Addresses: ['172.17.0.5'] }],
    });
  });

  it('answers the task with Revision as a string, CPU in vCPUs, and only the containers created so far', () => {
    const body = taskResponse(runningTask(), { availabilityZone: 'local-1a' });
    assert.equal(body.Cluster, 'dev');
    assert.equal(body.TaskARN, ARN);
    assert.equal(body.Family, 'web');
    assert.equal(body.Revision, '3');
    assert.equal(body.DesiredStatus, 'RUNNING');
    assert.equal(body.KnownStatus, 'RUNNING');
    assert.deepEqual(body.Limits, { CPU: 0.5, Memory: 256 });
    assert.equal(body.PullStartedAt, '2024-05-01T10:00:00.000Z');
    assert.equal(body.PullStoppedAt, '2024-05-01T10:00:01.000Z');
    assert.equal(body.AvailabilityZone, 'local-1a');
    assert.equal(body.LaunchType, 'EC2');
    assert.deepEqual(
      body.Containers.map((c) => c.Name),
      ['app'],
      'the sidecar has no container yet',
    );
    assert.equal('ExecutionStoppedAt' in body, false);
  });

  it('omits task Limits when the definition sets none, and container limits default to 0', () => {
    const task = runningTask();
    const bare: TaskSpec = { ...task.spec };
    delete (bare as { cpu?: number }).cpu;
    delete (bare as { memory?: number }).memory;
    const body = taskResponse({ ...task, spec: bare }, { availabilityZone: 'z' });
    assert.equal('Limits' in body, false);
    const sidecar = containerResponse(
      {
        ...task,
        snapshot: snapshot([view('sidecar', { lastStatus: 'PENDING', runtimeId: 'c'.repeat(64) })]),
      },
      'sidecar',
    );
    assert.deepEqual(sidecar?.Limits, { CPU: 0, Memory: 0 });
    assert.equal(sidecar?.KnownStatus, 'CREATED', 'a PENDING container with a runtime id is CREATED');
    assert.equal(sidecar?.DockerName, 'ecs-web-3-sidecar-0123456789abcdef0123456789abcdef');
    assert.equal(sidecar?.ImageID, '');
    for (const absent of ['Ports', 'Labels', 'ExitCode', 'CreatedAt', 'StartedAt', 'FinishedAt', 'Health'])
      assert.equal(absent in (sidecar ?? {}), false, `${absent} is omitted`);
  });

  it('reports a stopped container’s exit code and finish time', () => {
    const task = runningTask();
    const stopped = containerResponse(
      {
        ...task,
        snapshot: snapshot([
          view('app', { lastStatus: 'STOPPED', runtimeId: APP_ID, exitCode: 137, finishedAt: at(9) }),
        ]),
        inspected: new Map(),
      },
      'app',
    );
    assert.equal(stopped?.KnownStatus, 'STOPPED');
    assert.equal(stopped?.ExitCode, 137);
    assert.equal(stopped?.FinishedAt, '2024-05-01T10:00:09.000Z');
  });

  it('names the network mode: host carries no address of its own, none has no Networks', () => {
    const host = containerResponse(
      {
        ...runningTask({ networkMode: 'host' }),
        inspected: new Map([['app', { ...appState, ipv4Addresses: [] }]]),
      },
      'app',
    );
    assert.deepEqual(host?.Networks, [{ NetworkMode: 'host' }]);
    const none = containerResponse(runningTask({ networkMode: 'none' }), 'app');
    assert.equal(none !== undefined && 'Networks' in none, false);
  });

  it('adds both tag sets to /taskWithTags, and a failed look-up to Errors instead', () => {
    const task = taskResponse(runningTask(), { availabilityZone: 'z' });
    const both = taskWithTagsResponse(
      task,
      { tags: [{ key: 'team', value: 'web' }] },
      { tags: [{ key: 'rack', value: '7' }, { key: 'bare' }] },
    );
    assert.deepEqual(both.TaskTags, { team: 'web' });
    assert.deepEqual(both.ContainerInstanceTags, { rack: '7', bare: '' });
    assert.equal('Errors' in both, false);
    assert.equal(both.TaskARN, ARN);
    const failed = taskWithTagsResponse(
      task,
      {
        error: {
          ErrorCode: 'AccessDeniedException',
          ErrorMessage: 'no',
          StatusCode: 400,
          RequestId: 'r-1',
          ResourceARN: ARN,
        },
      },
      { tags: [] },
    );
    assert.equal('TaskTags' in failed, false);
    assert.deepEqual(failed.ContainerInstanceTags, {});
    assert.deepEqual(failed.Errors, [
      {
        ErrorField: 'TaskTags',
        ErrorCode: 'AccessDeniedException',
        ErrorMessage: 'no',
        StatusCode: 400,
        RequestId: 'r-1',
        ResourceARN: ARN,
      },
    ]);
  });

  it('maps a runtime sample to Docker’s stats JSON, with the previous sample as pre* and network rates', () => {
    const net = (rx: number, tx: number) => ({
      eth0: {
        rxBytes: rx,
        rxPackets: 1,
        rxErrors: 0,
        rxDropped: 0,
        txBytes: tx,
        txPackets: 1,
        txErrors: 0,
        txDropped: 0,
      },
    });
    const first: ContainerStats = {
      at: at(10),
      cpuTotalNanos: 1_000,
      systemCpuNanos: 50_000,
      onlineCpus: 2,
      memoryUsageBytes: 4096,
      memoryLimitBytes: 65536,
      pids: 3,
      networks: net(100, 50),
    };
    const second: ContainerStats = { ...first, at: at(12), cpuTotalNanos: 3_000, networks: net(500, 250) };
    const ids = { dockerId: APP_ID, dockerName: 'ecs-web-3-app-x' };
    const alone = dockerStats(first, undefined, ids);
    assert.equal(alone.read, '2024-05-01T10:00:10.000Z');
    assert.equal(alone.preread, '0001-01-01T00:00:00Z');
    assert.equal(alone.name, '/ecs-web-3-app-x');
    assert.equal(alone.id, APP_ID);
    assert.deepEqual(alone.pids_stats, { current: 3 });
    assert.deepEqual(alone.memory_stats, { usage: 4096, stats: {}, limit: 65536 });
    assert.equal('network_rate_stats' in alone, false, 'no rate without an earlier sample');
    const cpu = alone.cpu_stats as {
      cpu_usage: { total_usage: number };
      system_cpu_usage: number;
      online_cpus: number;
    };
    assert.equal(cpu.cpu_usage.total_usage, 1_000);
    assert.equal(cpu.system_cpu_usage, 50_000);
    assert.equal(cpu.online_cpus, 2);
    assert.deepEqual((alone.networks as Record<string, unknown>).eth0, {
      rx_bytes: 100,
      rx_packets: 1,
      rx_errors: 0,
      rx_dropped: 0,
      tx_bytes: 50,
      tx_packets: 1,
      tx_errors: 0,
      tx_dropped: 0,
    });

    const next = dockerStats(second, first, ids);
    assert.equal(next.preread, '2024-05-01T10:00:10.000Z');
    assert.equal((next.precpu_stats as { cpu_usage: { total_usage: number } }).cpu_usage.total_usage, 1_000);
    assert.deepEqual(next.network_rate_stats, { rx_bytes_per_sec: 200, tx_bytes_per_sec: 100 });
  });
});

describe('task metadata tokens', () => {
  it('are stable for a data dir across loads, distinct per task and container, and kept private', () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-metadata-'));
    try {
      const first = loadEndpointState(dir);
      const again = loadEndpointState(dir);
      assert.equal(again.secret, first.secret, 'a restarted agent derives the same tokens');
      assert.equal(statSync(join(dir, 'metadata-endpoint.json')).mode & 0o777, 0o600);
      const token = containerToken(first.secret, ARN, 'app');
      assert.match(token, /^[0-9a-f]{40}$/);
      assert.equal(containerToken(first.secret, ARN, 'app'), token);
      assert.notEqual(containerToken(first.secret, ARN, 'sidecar'), token);
      assert.notEqual(containerToken(first.secret, ARN.replace('0123', '9999'), 'app'), token);
      const other = mkdtempSync(join(tmpdir(), 'berth-metadata-'));
      try {
        assert.notEqual(
          containerToken(loadEndpointState(other).secret, ARN, 'app'),
          token,
          'per-agent secret',
        );
      } finally {
        rmSync(other, { recursive: true, force: true });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
