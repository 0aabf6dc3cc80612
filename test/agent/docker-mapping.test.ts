import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toCreateOptions } from '../../src/agent/runtime/docker.js';

const MiB = 1024 * 1024;

describe('Docker mapping of a ContainerSpec', () => {
  it('maps every field of a full spec onto Config and HostConfig exactly', () => {
    const options = toCreateOptions({
      name: 'ecs-web-1-app-abc',
      image: 'berth-test/busybox:1',
      command: ['httpd', '-f'],
      entryPoint: ['/bin/sh', '-c'],
      environment: { A: '1', B: 'x=y' },
      workingDirectory: '/www',
      user: '65534',
      labels: { 'com.amazonaws.ecs.container-name': 'app' },
      cpuShares: 256,
      memoryMiB: 128,
      memoryReservationMiB: 64,
      maxSwapMiB: 0,
      networkMode: 'bridge',
      portMappings: [
        { containerPort: 80 },
        { containerPort: 53, protocol: 'udp', hostPort: 5353, hostIp: '0.0.0.0' },
      ],
      mounts: [
        { type: 'bind', source: '/srv/data', target: '/data', readOnly: true },
        { type: 'volume', name: 'cache', target: '/cache' },
      ],
      tmpfs: [{ target: '/run', sizeMiB: 16, options: ['noexec'] }],
      ulimits: [{ name: 'nofile', soft: 1024, hard: 4096 }],
      capAdd: ['NET_ADMIN'],
      capDrop: ['MKNOD'],
      init: true,
      shmSizeMiB: 32,
      readonlyRootFilesystem: true,
      privileged: false,
      hostname: 'web',
      extraHosts: [{ hostname: 'db', ipAddress: '10.0.0.5' }],
      dnsServers: ['10.0.0.2'],
      sysctls: { 'net.core.somaxconn': '1024' },
      tty: true,
      openStdin: true,
      healthCheck: {
        command: ['CMD-SHELL', 'wget -q -O- http://127.0.0.1/'],
        intervalSeconds: 10,
        timeoutSeconds: 2,
        retries: 4,
        startPeriodSeconds: 1.5,
      },
      stopTimeoutSeconds: 45,
    });
    assert.deepEqual(options, {
      name: 'ecs-web-1-app-abc',
      Image: 'berth-test/busybox:1',
      Cmd: ['httpd', '-f'],
      Entrypoint: ['/bin/sh', '-c'],
      Env: ['A=1', 'B=x=y'],
      WorkingDir: '/www',
      User: '65534',
      Labels: { 'com.amazonaws.ecs.container-name': 'app' },
      ExposedPorts: { '80/tcp': {}, '53/udp': {} },
      Hostname: 'web',
      Tty: true,
      OpenStdin: true,
      Healthcheck: {
        Test: ['CMD-SHELL', 'wget -q -O- http://127.0.0.1/'],
        Interval: 10e9,
        Timeout: 2e9,
        Retries: 4,
        StartPeriod: 1.5e9,
      },
      StopTimeout: 45,
      HostConfig: {
        NetworkMode: 'bridge',
        PortBindings: {
          '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }],
          '53/udp': [{ HostIp: '0.0.0.0', HostPort: '5353' }],
        },
        CpuShares: 256,
        Memory: 128 * MiB,
        MemorySwap: 128 * MiB,
        MemoryReservation: 64 * MiB,
        Mounts: [
          { Type: 'bind', Source: '/srv/data', Target: '/data', ReadOnly: true },
          { Type: 'volume', Source: 'cache', Target: '/cache', ReadOnly: false },
        ],
        Tmpfs: { '/run': 'size=16m,noexec' },
        Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 4096 }],
        CapAdd: ['NET_ADMIN'],
        CapDrop: ['MKNOD'],
        Init: true,
        ShmSize: 32 * MiB,
        ReadonlyRootfs: true,
        Privileged: false,
        ExtraHosts: ['db:10.0.0.5'],
        Dns: ['10.0.0.2'],
        Sysctls: { 'net.core.somaxconn': '1024' },
      },
    });
  });

  it('publishes nothing in host and none modes, and applies ECS defaults to a bare health check', () => {
    const host = toCreateOptions({
      name: 'h',
      image: 'i',
      networkMode: 'host',
      portMappings: [{ containerPort: 8080 }],
      cpuShares: 0,
      healthCheck: { command: ['CMD', 'true'] },
    });
    assert.deepEqual(host.ExposedPorts, { '8080/tcp': {} });
    assert.equal(host.HostConfig?.PortBindings, undefined);
    assert.equal(host.HostConfig?.NetworkMode, 'host');
    assert.equal(host.HostConfig?.CpuShares, 2, 'the kernel minimum, as the ECS agent sets it');
    assert.deepEqual(host.Healthcheck, {
      Test: ['CMD', 'true'],
      Interval: 30e9,
      Timeout: 5e9,
      Retries: 3,
      StartPeriod: 0,
    });
    const none = toCreateOptions({
      name: 'n',
      image: 'i',
      networkMode: 'none',
      portMappings: [{ containerPort: 1 }],
    });
    assert.equal(none.HostConfig?.PortBindings, undefined);
    assert.equal(none.HostConfig?.MemorySwap, undefined);
  });
});
