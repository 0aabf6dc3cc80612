import type {
  Action,
  HealthCheck,
  HealthReport,
  LoadBalancerType,
  Protocol,
  RuleCondition,
  Scheme,
  TargetGroupAttributes,
  TargetType,
} from './types.js';

/**
 * The boundary between the load-balancing control plane and a data-plane driver (the built-in
 * proxy in `src/lb/`, or one that programs HAProxy). The control plane hands the driver the whole
 * model — plain data, no store types, target addresses resolved, certificate material attached —
 * and the driver reports health-check outcomes back through a `HealthSink`. Nothing else crosses:
 * the driver never sees the store and the control plane never opens a socket.
 * See docs/load-balancing.md.
 */
export interface LoadBalancingModel {
  readonly loadBalancers: readonly ModelLoadBalancer[];
  readonly targetGroups: readonly ModelTargetGroup[];
}

export interface ModelLoadBalancer {
  readonly arn: string;
  readonly name: string;
  readonly type: LoadBalancerType;
  /** `internal` listens on loopback only; `internet-facing` on every interface. */
  readonly scheme: Scheme;
  readonly dnsName: string;
  readonly listeners: readonly ModelListener[];
}

export interface ModelListener {
  readonly arn: string;
  /** The host port this listener binds. */
  readonly port: number;
  readonly protocol: Protocol;
  readonly sslPolicy?: string;
  /** HTTPS/TLS listeners: exactly one, with its PEM material when the certificate store holds it. */
  readonly certificates: readonly ModelCertificate[];
  /** By priority, lowest first; the default rule last (no conditions, `isDefault`). */
  readonly rules: readonly ModelRule[];
}

export interface ModelCertificate {
  readonly arn: string;
  /** PEM; absent when the store does not hold the certificate (the listener then cannot serve TLS). */
  readonly certificatePem?: string;
  readonly privateKeyPem?: string;
  readonly chainPem?: string;
}

export interface ModelRule {
  readonly arn: string;
  readonly priority?: number;
  readonly isDefault: boolean;
  /** ELB's condition shapes, normalized (the `*Config` member always filled). */
  readonly conditions: readonly RuleCondition[];
  /** ELB's action shapes: forward (ForwardConfig always filled), redirect, fixed-response. */
  readonly actions: readonly Action[];
}

export interface ModelTargetGroup {
  readonly arn: string;
  readonly name: string;
  readonly protocol: Protocol;
  readonly port: number;
  readonly targetType: TargetType;
  readonly healthCheck: HealthCheck;
  /** Every attribute with its value (defaults filled in), by ELB's keys. */
  readonly attributes: TargetGroupAttributes;
  readonly deregistrationDelayMs: number;
  readonly targets: readonly ModelTarget[];
}

export interface ModelTarget {
  /** An IP address for `ip` target groups, an instance id for `instance` ones. */
  readonly id: string;
  readonly port: number;
  /**
   * The IPv4 address to connect to: the id itself for `ip` targets, the container instance's
   * address for `instance` ones (resolved by the control plane). Absent when an instance target
   * names no registered instance — such a target gets no traffic and is reported `unavailable`.
   */
  readonly address?: string;
  readonly registeredAt: number;
  /** Set while the target drains: send it no new requests, let in-flight ones finish until then. */
  readonly drainUntil?: number;
  /** The last reported health-check outcome; absent until the first check. */
  readonly health?: HealthReport;
}

/** One health-check outcome, as the data plane reports it (only on a change of state). */
export interface TargetHealthReport extends HealthReport {
  readonly targetGroupArn: string;
  readonly id: string;
  readonly port: number;
}

/** Where a driver sends health-check outcomes; the control plane writes them to the store. */
export type HealthSink = (reports: readonly TargetHealthReport[]) => Promise<void>;

/** A listener the driver could not serve (its port taken, its certificate missing or bad). */
export interface ListenerFault {
  readonly listenerArn: string;
  readonly port: number;
  readonly message: string;
}

/**
 * A data-plane driver. `apply` is called with the whole model after every change (and
 * periodically); it reconfigures live: listeners whose port and protocol are unchanged keep their
 * sockets and connections, new ones bind, removed ones close. Idempotent.
 */
export interface DataPlaneDriver {
  apply(model: LoadBalancingModel): Promise<{ readonly faults: readonly ListenerFault[] }>;
  close(): Promise<void>;
}
