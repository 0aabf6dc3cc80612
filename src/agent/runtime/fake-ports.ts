import { RuntimeError, type ContainerSpec, type NetworkBinding } from './runtime.js';

/**
 * The fake runtime's host ports, as Docker hands them out: `bridge` mode publishes a static port or
 * one from the ephemeral range (a static port already held is `CannotStartContainerError`), `host`
 * mode uses the container ports, `none` publishes nothing.
 */
export class FakePorts {
  /** `tcp/8080` → runtimeId of the running container holding it. */
  private readonly hostPorts = new Map<string, string>();
  private nextPort: number;

  constructor(private readonly portRange: readonly [number, number]) {
    this.nextPort = portRange[0];
  }

  /** The bindings of a container that starts now; all or none are taken. */
  allocate(runtimeId: string, spec: ContainerSpec): NetworkBinding[] {
    const mode = spec.networkMode ?? 'bridge';
    const mappings = spec.portMappings ?? [];
    if (mode === 'none') return [];
    if (mode === 'host') {
      return mappings.map((m) => ({
        containerPort: m.containerPort,
        protocol: m.protocol ?? 'tcp',
        hostPort: m.containerPort,
        hostIp: '0.0.0.0',
      }));
    }
    const taken: string[] = [];
    const bindings: NetworkBinding[] = [];
    try {
      for (const m of mappings) {
        const protocol = m.protocol ?? 'tcp';
        const hostIp = m.hostIp ?? '127.0.0.1';
        let hostPort = m.hostPort ?? 0;
        if (hostPort === 0) hostPort = this.dynamicPort(protocol);
        else if (this.hostPorts.has(`${protocol}/${hostPort}`)) {
          throw new RuntimeError(
            'CannotStartContainerError',
            `Bind for ${hostIp}:${hostPort} failed: port is already allocated`,
          );
        }
        this.hostPorts.set(`${protocol}/${hostPort}`, runtimeId);
        taken.push(`${protocol}/${hostPort}`);
        bindings.push({ containerPort: m.containerPort, protocol, hostPort, hostIp });
      }
    } catch (err) {
      for (const key of taken) this.hostPorts.delete(key);
      throw err;
    }
    return bindings;
  }

  private dynamicPort(protocol: string): number {
    const [low, high] = this.portRange;
    for (let tries = 0; tries <= high - low; tries++) {
      const port = this.nextPort;
      this.nextPort = port >= high ? low : port + 1;
      if (!this.hostPorts.has(`${protocol}/${port}`)) return port;
    }
    throw new RuntimeError('CannotStartContainerError', 'no free host port in the ephemeral range');
  }

  /** Gives a stopped container's ports back. */
  release(bindings: readonly NetworkBinding[]): void {
    for (const binding of bindings) this.hostPorts.delete(`${binding.protocol}/${binding.hostPort}`);
  }
}
