import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { FakeRuntime, type FakeBehavior } from '../../src/agent/runtime/fake.js';
import type { ContainerSpec } from '../../src/agent/runtime/runtime.js';
import { startAgent, type RunningAgent } from '../../src/app/agent.js';
import type { ControlPlane } from './agent-session.js';

/**
 * Simulated hosts for a test cluster: real Berth agents speaking the real agent protocol to the
 * test control plane, over the in-memory FakeRuntime (no Docker). Host k is in `zones[k % n]`.
 * Containers run until stopped, unless `behavior` says otherwise for their image.
 */
export interface FakeHosts {
  readonly agents: RunningAgent[];
  readonly runtimes: FakeRuntime[];
  /** Starts one more host (e.g. one joining later); resolves once it is registered and polling. */
  add(zone?: string): Promise<{ agent: RunningAgent; runtime: FakeRuntime; arn: string }>;
  close(): Promise<void>;
}

export async function startFakeHosts(
  berth: ControlPlane,
  cluster: string,
  count: number,
  options: {
    readonly zones?: readonly string[];
    readonly cpuUnits?: number;
    readonly memoryMiB?: number;
    readonly behavior?: (spec: ContainerSpec) => FakeBehavior;
  } = {},
): Promise<FakeHosts> {
  const zones = options.zones ?? ['zone-a', 'zone-b', 'zone-c'];
  const dirs: string[] = [];
  const agents: RunningAgent[] = [];
  const runtimes: FakeRuntime[] = [];
  const add = async (zone = zones[agents.length % zones.length] as string) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'berth-fake-host-'));
    dirs.push(dataDir);
    const runtime = new FakeRuntime({
      registryImages: 'any',
      ...(options.behavior ? { behavior: options.behavior } : {}),
    });
    const agent = startAgent({
      endpoint: berth.endpoint,
      region: berth.region,
      ...(berth.credentials ? { credentials: berth.credentials } : {}),
      dataDir,
      metadataEndpoint: false,
      host: { cpuUnits: options.cpuUnits ?? 4096, memoryMiB: options.memoryMiB ?? 8192 },
      env: {
        ECS_CLUSTER: cluster,
        BERTH_AVAILABILITY_ZONE: zone,
        ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION: '1s',
      },
      logger: pino({ level: 'silent' }),
      runtime,
      pollWaitSeconds: 2,
    });
    agents.push(agent);
    runtimes.push(runtime);
    const arn = await agent.registered;
    await agent.connected;
    return { agent, runtime, arn };
  };
  for (let k = 0; k < count; k++) await add();
  return {
    agents,
    runtimes,
    add,
    async close() {
      await Promise.all(agents.map((a) => a.close()));
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    },
  };
}
