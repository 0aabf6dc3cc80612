import type { ResourceRequirement } from '@aws-sdk/client-ecs';
import { clientFault } from '../../fault.js';

/**
 * Task-level `cpu` and `memory` arrive as strings: CPU units ("1024") or vCPUs ("1 vCPU"),
 * memory in MiB ("2048") or GB ("2 GB"). ECS stores them back as the unit strings.
 */
export function parseTaskCpu(value: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(vcpu)?\s*$/i.exec(value);
  const amount = match ? Number(match[1]) : NaN;
  const units = match?.[2] ? Math.round(amount * 1024) : amount;
  if (!Number.isInteger(units) || units < 128 || units > 196_608) {
    throw clientFault(
      `Invalid 'cpu' setting for task: '${value}'. Use CPU units from 128 to 196608 (for example "1024") or vCPUs (for example "1 vCPU").`,
    );
  }
  return units;
}

export function parseTaskMemory(value: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(gb)?\s*$/i.exec(value);
  const amount = match ? Number(match[1]) : NaN;
  const mib = match?.[2] ? Math.round(amount * 1024) : amount;
  if (!Number.isInteger(mib) || mib < 6 || mib > 1_048_576) {
    throw clientFault(
      `Invalid 'memory' setting for task: '${value}'. Use MiB (for example "2048") or GB (for example "2 GB").`,
    );
  }
  return mib;
}

/** The CPU/memory pairs the serverless (FARGATE) launch type accepts, as ECS documents them. */
const range = (min: number, max: number, step: number): number[] =>
  Array.from({ length: (max - min) / step + 1 }, (_, i) => min + i * step);

const FARGATE_MEMORY_BY_CPU: ReadonlyMap<number, readonly number[]> = new Map([
  [256, [512, 1024, 2048]],
  [512, range(1024, 4096, 1024)],
  [1024, range(2048, 8192, 1024)],
  [2048, range(4096, 16384, 1024)],
  [4096, range(8192, 30720, 1024)],
  [8192, range(16384, 61440, 4096)],
  [16384, range(32768, 122880, 8192)],
]);

export function isFargateSize(cpu: number, memory: number): boolean {
  return FARGATE_MEMORY_BY_CPU.get(cpu)?.includes(memory) ?? false;
}

export function fargateSizesHint(cpu: number): string {
  const allowed = FARGATE_MEMORY_BY_CPU.get(cpu);
  if (!allowed) return `FARGATE accepts task CPU of ${[...FARGATE_MEMORY_BY_CPU.keys()].join(', ')} units.`;
  return `With ${cpu} CPU units, FARGATE accepts memory of ${allowed[0]} to ${allowed[allowed.length - 1]} MiB (${allowed.length} sizes).`;
}

/**
 * ECS's GPU count syntax, `resourceRequirements` `{ type: "GPU", value: "N" }`: whole GPUs, 1 or
 * more. Berth places whole devices only, so the newer forms ECS also takes — `ALL` (every GPU of the
 * instance), fractions and `sharingStrategy` (NVIDIA MPS) — are refused where a value is checked.
 */
export function isGpuCount(value: string | undefined): value is string {
  return value !== undefined && /^[1-9]\d*$/.test(value) && Number.isSafeInteger(Number(value));
}

/** The GPUs a container asks for: its GPU requirement's value (checked with `isGpuCount`), else 0. */
export function gpuCount(requirements: readonly ResourceRequirement[] | undefined): number {
  const gpu = (requirements ?? []).find((r) => r.type === 'GPU');
  return isGpuCount(gpu?.value) ? Number(gpu.value) : 0;
}
