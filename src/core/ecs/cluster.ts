import type {
  CapacityProviderStrategyItem,
  Cluster,
  ClusterConfiguration,
  ClusterField,
  ClusterServiceConnectDefaults,
  ClusterSetting,
} from '@aws-sdk/client-ecs';
import { invalidParameter } from '../fault.js';

/** A cluster as Berth keeps it. `version` increases by one on every write. */
export interface ClusterRecord extends ClusterDoc {
  readonly arn: string;
  readonly name: string;
  readonly status: 'ACTIVE' | 'INACTIVE';
  readonly createdAt: number;
  readonly version: number;
}

/** The parts of a cluster stored as one document. */
export interface ClusterDoc {
  readonly settings: ClusterSetting[];
  readonly configuration?: ClusterConfiguration;
  readonly serviceConnectDefaults?: ClusterServiceConnectDefaults;
  readonly capacityProviders: string[];
  readonly defaultCapacityProviderStrategy: CapacityProviderStrategyItem[];
}

/** What other aggregates hold in a cluster: DeleteCluster refuses while any is non-zero. */
export interface ClusterUsage {
  readonly registeredContainerInstancesCount: number;
  readonly runningTasksCount: number;
  readonly pendingTasksCount: number;
  readonly activeServicesCount: number;
}

export const EMPTY_USAGE: ClusterUsage = {
  registeredContainerInstancesCount: 0,
  runningTasksCount: 0,
  pendingTasksCount: 0,
  activeServicesCount: 0,
};

/** Capacity providers every cluster may name without creating them first. */
export const BUILT_IN_CAPACITY_PROVIDERS: ReadonlySet<string> = new Set(['FARGATE', 'FARGATE_SPOT']);

const SETTING_VALUES: Record<string, readonly string[]> = {
  containerInsights: ['enabled', 'disabled', 'enhanced'],
};

/** Validates cluster settings and merges them over the current ones (later names win). */
export function mergeSettings(
  current: readonly ClusterSetting[],
  updates: readonly ClusterSetting[],
): ClusterSetting[] {
  const merged = new Map(current.map((s) => [s.name, s.value]));
  for (const s of updates) {
    const allowed = s.name ? SETTING_VALUES[s.name] : undefined;
    if (!s.name || !allowed) throw invalidParameter(`Unknown cluster setting '${s.name ?? ''}'.`);
    if (s.value === undefined || !allowed.includes(s.value)) {
      throw invalidParameter(`Cluster setting '${s.name}' must be one of: ${allowed.join(', ')}.`);
    }
    merged.set(s.name, s.value);
  }
  return [...merged].map(([name, value]) => ({ name, value }));
}

/**
 * Checks a capacity-provider strategy against the providers it may use: each item names one of
 * them, weight 0–1000, base 0–100000, and at most one item has a base.
 */
export function checkStrategy(
  strategy: readonly CapacityProviderStrategyItem[],
  available: readonly string[],
): void {
  const seen = new Set<string>();
  let withBase = 0;
  for (const item of strategy) {
    const name = item.capacityProvider ?? '';
    if (!available.includes(name)) {
      throw invalidParameter(
        `The capacity provider strategy names '${name}', which is not associated with the cluster. Associate it first.`,
      );
    }
    if (seen.has(name)) throw invalidParameter(`The capacity provider strategy names '${name}' twice.`);
    seen.add(name);
    if (item.weight !== undefined && (item.weight < 0 || item.weight > 1000)) {
      throw invalidParameter(`Capacity provider strategy weight must be between 0 and 1000 ('${name}').`);
    }
    if (item.base !== undefined && (item.base < 0 || item.base > 100_000)) {
      throw invalidParameter(`Capacity provider strategy base must be between 0 and 100000 ('${name}').`);
    }
    if ((item.base ?? 0) > 0) withBase += 1;
  }
  if (withBase > 1) throw invalidParameter('Only one capacity provider in a strategy can have a base.');
}

/** The API shape of a cluster, with the optional parts DescribeClusters' `include` asks for. */
export function clusterView(
  record: ClusterRecord,
  usage: ClusterUsage,
  include: ReadonlySet<ClusterField | 'ALL'>,
  tags?: readonly { key: string; value: string }[],
): Cluster {
  const has = (field: ClusterField): boolean => include.has('ALL') || include.has(field);
  return {
    clusterArn: record.arn,
    clusterName: record.name,
    status: record.status,
    ...usage,
    statistics: [],
    tags: has('TAGS') && tags ? tags.map((t) => ({ ...t })) : [],
    ...(has('SETTINGS') ? { settings: record.settings } : {}),
    ...(has('CONFIGURATIONS') && record.configuration ? { configuration: record.configuration } : {}),
    capacityProviders: record.capacityProviders,
    defaultCapacityProviderStrategy: record.defaultCapacityProviderStrategy,
    ...(has('ATTACHMENTS') ? { attachments: [] } : {}),
    ...(record.serviceConnectDefaults ? { serviceConnectDefaults: record.serviceConnectDefaults } : {}),
  };
}
