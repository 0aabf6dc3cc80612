/**
 * The simulated fleet's shape, pure: which zone, size and custom attributes host number `i` gets,
 * and the agent settings (the ECS agent's variables) that make a real Berth agent register it so.
 * Zones and sizes are dealt evenly: host `i` is in zone `i mod Z` and has size
 * `⌊i / Z⌋ mod S`, so every zone gets every size in equal shares (a zone of only small hosts
 * would make spread-then-binpack benchmarks measure the fleet, not the scheduler).
 */
export interface HostSize {
  /** Registered as `ecs.instance-type`. */
  readonly name: string;
  readonly cpuUnits: number;
  readonly memoryMiB: number;
}

/** A custom attribute: host `i` gets `values[i mod values.length]`. */
export interface AttributeCycle {
  readonly name: string;
  readonly values: readonly string[];
}

export interface FleetSpec {
  readonly zones: readonly string[];
  readonly sizes: readonly HostSize[];
  readonly attributes: readonly AttributeCycle[];
}

export interface SimHost {
  readonly index: number;
  readonly zone: string;
  readonly size: HostSize;
  readonly attributes: Readonly<Record<string, string>>;
}

export function simHost(spec: FleetSpec, index: number): SimHost {
  const zones = spec.zones.length;
  const attributes: Record<string, string> = {};
  for (const a of spec.attributes) attributes[a.name] = a.values[index % a.values.length]!;
  return {
    index,
    zone: spec.zones[index % zones]!,
    size: spec.sizes[Math.floor(index / zones) % spec.sizes.length]!,
    attributes,
  };
}

/** The ECS agent variables that register `host` in `cluster` with its zone, type and attributes. */
export function hostEnv(host: SimHost, cluster: string): Record<string, string> {
  return {
    ECS_CLUSTER: cluster,
    BERTH_AVAILABILITY_ZONE: host.zone,
    BERTH_INSTANCE_TYPE: host.size.name,
    ...(Object.keys(host.attributes).length > 0
      ? { ECS_INSTANCE_ATTRIBUTES: JSON.stringify(host.attributes) }
      : {}),
  };
}

// ---- the command line's spellings ----

/** `zone-a,zone-b,zone-c` */
export function parseZones(text: string): string[] {
  const zones = text.split(',').map((z) => z.trim());
  if (zones.some((z) => z === ''))
    throw new Error(`zones are a comma-separated list of names, not '${text}'`);
  return zones;
}

const SIZE = /^(?:([A-Za-z0-9._-]+)=)?(\d+):(\d+)$/;

/** `2048:3800,4096:7700` or with instance-type names, `c5.large=2048:3800,…` (default `sim-<cpu>-<memory>`). */
export function parseSizes(text: string): HostSize[] {
  return text.split(',').map((part) => {
    const match = SIZE.exec(part.trim());
    const cpuUnits = Number(match?.[2]);
    const memoryMiB = Number(match?.[3]);
    if (!match || !(cpuUnits > 0) || !(memoryMiB > 0)) {
      throw new Error(
        `a size is <cpu units>:<memory MiB>, optionally named <type>=<cpu>:<memory> (e.g. 2048:3800), not '${part}'`,
      );
    }
    return { name: match[1] ?? `sim-${cpuUnits}-${memoryMiB}`, cpuUnits, memoryMiB };
  });
}

/** `name=value` (every host) or `name=v1|v2|…` (dealt round the hosts). */
export function parseAttribute(text: string): AttributeCycle {
  const eq = text.indexOf('=');
  const name = text.slice(0, eq).trim();
  const values = text.slice(eq + 1).split('|');
  if (eq <= 0 || name === '' || values.some((v) => v === '')) {
    throw new Error(`an attribute is name=value or name=value1|value2|…, not '${text}'`);
  }
  return { name, values };
}
