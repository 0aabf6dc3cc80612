import type {
  ListenerFault,
  LoadBalancingModel,
  ModelListener,
  ModelTargetGroup,
} from '../../core/elbv2/data-plane.js';
import { backendSection } from './backend.js';
import { UnsupportedCondition } from './conditions.js';
import { frontendSection } from './frontend.js';
import { backendName, frontendName, serverName, type ServerRef } from './names.js';

/**
 * The load-balancing model as haproxy.cfg text — pure: the driver (driver.ts) writes the files and
 * runs HAProxy. One frontend per listener that can be served, one backend per target group a
 * served listener forwards to. Listeners that cannot be served are left out and answered as
 * faults: UDP (HAProxy does not proxy UDP), HTTPS/TLS without certificate material, conditions
 * HAProxy cannot express, and ports the caller found taken (`unavailablePorts`).
 */

export interface ConfigOptions {
  /** Where the listener on `port` finds its PEM (certificate, chain, key). */
  readonly certificatePath: (port: number) => string;
  /** Where server states are saved before a reload and loaded after it. */
  readonly serverStatePath: string;
  /** Ports not to bind, with the reason (another program holds them). */
  readonly unavailablePorts?: ReadonlyMap<number, string>;
  /** Multiplies health-check intervals and timeouts (default 1). */
  readonly healthCheckScale?: number;
}

export interface HaproxyConfig {
  readonly text: string;
  readonly faults: readonly ListenerFault[];
  /** The PEM files the config names, by path: certificate, chain and key concatenated. */
  readonly certificates: ReadonlyMap<string, string>;
  /** `show stat`'s `<backend>/<server>` → the target it stands for. */
  readonly servers: ReadonlyMap<string, ServerRef>;
  /** Frontend and backend names → the load balancer they serve (for the metrics' labels). */
  readonly loadBalancerOf: ReadonlyMap<string, string>;
  /** Backend name → target group ARN. */
  readonly groupOf: ReadonlyMap<string, string>;
  /** Ports of the listeners in the config. */
  readonly ports: readonly number[];
}

/** ELB's idle timeouts: 60 s for application load balancers, 350 s for network ones. */
const ALB_IDLE_SECONDS = 60;
const NLB_IDLE_SECONDS = 350;

export function haproxyConfig(model: LoadBalancingModel, options: ConfigOptions): HaproxyConfig {
  const groups = new Map(model.targetGroups.map((g) => [g.arn, g]));
  const faults: ListenerFault[] = [];
  const certificates = new Map<string, string>();
  const loadBalancerOf = new Map<string, string>();
  const frontends: string[][] = [];
  const ports: number[] = [];
  const used = new Map<string, string>(); // group ARN → its load balancer
  for (const loadBalancer of model.loadBalancers) {
    for (const listener of loadBalancer.listeners) {
      const fault = (message: string): void => {
        faults.push({ listenerArn: listener.arn, port: listener.port, message });
      };
      const refusal = listenerRefusal(listener, options, groups);
      if (refusal !== undefined) {
        fault(refusal);
        continue;
      }
      const certificatePath = certificateOf(listener, options, certificates);
      const tcp = listener.protocol === 'TCP' || listener.protocol === 'TLS';
      try {
        frontends.push(
          frontendSection({
            listener,
            loadBalancer,
            ...(certificatePath !== undefined ? { certificatePath } : {}),
            backendOf: (arn) => backendName({ arn }),
            idleSeconds: tcp ? NLB_IDLE_SECONDS : ALB_IDLE_SECONDS,
          }),
        );
      } catch (error) {
        if (!(error instanceof UnsupportedCondition)) throw error;
        fault(error.message);
        continue;
      }
      ports.push(listener.port);
      loadBalancerOf.set(frontendName(listener.port), loadBalancer.arn);
      for (const arn of forwardedGroups(listener)) used.set(arn, loadBalancer.arn);
    }
  }
  const servers = new Map<string, ServerRef>();
  const groupOf = new Map<string, string>();
  const backends: string[][] = [];
  for (const [arn, loadBalancerArn] of used) {
    const group = groups.get(arn)!;
    const name = backendName(group);
    const tcp = group.protocol !== 'HTTP' && group.protocol !== 'HTTPS';
    backends.push(
      backendSection({
        group,
        healthCheckScale: options.healthCheckScale ?? 1,
        idleSeconds: tcp ? NLB_IDLE_SECONDS : ALB_IDLE_SECONDS,
      }),
    );
    loadBalancerOf.set(name, loadBalancerArn);
    groupOf.set(name, arn);
    for (const target of group.targets) {
      servers.set(`${name}/${serverName(target)}`, {
        targetGroupArn: arn,
        loadBalancerArn,
        id: target.id,
        port: target.port,
      });
    }
  }
  const text =
    [globalSection(options), ...frontends, ...backends].map((s) => s.join('\n')).join('\n\n') + '\n';
  return { text, faults, certificates, servers, loadBalancerOf, groupOf, ports };
}

function globalSection(options: ConfigOptions): string[] {
  return [
    '# Written by Berth (src/lb/haproxy/) from the load-balancing model; rewritten on every change.',
    'global',
    `  server-state-file ${options.serverStatePath}`,
    // Old workers finish their connections after a reload, but not forever (NLB's idle timeout).
    `  hard-stop-after ${NLB_IDLE_SECONDS + 10}s`,
    '',
    'defaults',
    '  mode http',
    '  timeout connect 10s',
    `  timeout client ${ALB_IDLE_SECONDS}s`,
    `  timeout server ${ALB_IDLE_SECONDS}s`,
    // Health verdicts survive reloads (driver.ts saves them first): no unhealthy target comes back.
    '  load-server-state-from-file global',
  ];
}

/** Why a listener cannot be served by HAProxy, if it cannot. */
function listenerRefusal(
  listener: ModelListener,
  options: ConfigOptions,
  groups: ReadonlyMap<string, ModelTargetGroup>,
): string | undefined {
  if (listener.protocol === 'UDP') return 'UDP listeners are not supported by the HAProxy driver';
  const taken = options.unavailablePorts?.get(listener.port);
  if (taken !== undefined) return taken;
  if (listener.protocol === 'HTTPS' || listener.protocol === 'TLS') {
    const certificate = listener.certificates[0];
    if (certificate?.certificatePem === undefined || certificate.privateKeyPem === undefined) {
      return `certificate ${certificate?.arn ?? '(none)'} has no PEM material`;
    }
  }
  const missing = forwardedGroups(listener).find((arn) => !groups.has(arn));
  return missing === undefined ? undefined : `target group ${missing} is not in the model`;
}

function certificateOf(
  listener: ModelListener,
  options: ConfigOptions,
  certificates: Map<string, string>,
): string | undefined {
  const certificate = listener.certificates[0];
  if ((listener.protocol !== 'HTTPS' && listener.protocol !== 'TLS') || certificate === undefined)
    return undefined;
  const path = options.certificatePath(listener.port);
  const parts = [certificate.certificatePem, certificate.chainPem, certificate.privateKeyPem];
  certificates.set(
    path,
    parts
      .filter((p): p is string => p !== undefined)
      .map((p) => p.trimEnd() + '\n')
      .join(''),
  );
  return path;
}

function forwardedGroups(listener: ModelListener): string[] {
  return listener.rules.flatMap((rule) =>
    rule.actions.flatMap((action) =>
      action.Type === 'forward' ? action.ForwardConfig.TargetGroups.map((g) => g.TargetGroupArn) : [],
    ),
  );
}
