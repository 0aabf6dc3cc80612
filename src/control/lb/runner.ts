import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { DataPlaneDriver, HealthSink, LoadBalancingModel } from '../../core/elbv2/data-plane.js';
import { certificateSource } from '../acm/certificate-source.js';
import type { ControlDeps } from '../context.js';
import { loadBalancingModel, reportTargetHealth, type CertificateSource } from '../elbv2/model.js';

/**
 * Keeps a data-plane driver programmed with the load-balancing model. One replica runs the data
 * plane at a time (a listener is a host port): the holder of the `load-balancer` lease, renewed
 * every run. Each run reads the whole model and hands it to the driver when it changed — a write
 * through the ELB API, a target registered or drained by a service, a drain that ended — so the
 * driver only ever sees whole, consistent models. Health verdicts flow back through the sink.
 */
export interface DataPlaneRunnerOptions {
  readonly logger: Logger;
  /** Builds the driver; its health checker reports through `sink`. */
  readonly driver: (sink: HealthSink) => DataPlaneDriver;
  /** The certificates' PEM material for HTTPS/TLS listeners (default: the ACM store). */
  readonly certificates?: CertificateSource;
  /** Between model reads. Default 250 ms: a drained target must be gone before its task stops. */
  readonly intervalMs?: number;
  readonly leaseMs?: number;
}

export const DATA_PLANE_LEASE = 'load-balancer';
/** How often listeners that could not be served are tried again. */
const FAULT_RETRY_MS = 2_000;
const EMPTY: LoadBalancingModel = { loadBalancers: [], targetGroups: [] };

export class DataPlaneRunner {
  private readonly holder = randomBytes(8).toString('hex');
  private readonly driver: DataPlaneDriver;
  private readonly intervalMs: number;
  private readonly leaseMs: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private closed = false;
  /** The model last applied (JSON), or undefined when this replica serves nothing. */
  private applied: string | undefined;
  private faults = '[]';
  /** With faults, the same model is applied again from then on: a held port may have been let go. */
  private retryAt = 0;

  constructor(
    private readonly deps: ControlDeps,
    private readonly options: DataPlaneRunnerOptions,
  ) {
    this.intervalMs = options.intervalMs ?? 250;
    this.leaseMs = options.leaseMs ?? 10_000;
    this.driver = options.driver((reports) => reportTargetHealth(deps, reports).then(() => undefined));
  }

  start(): void {
    this.schedule(0);
  }

  /** Closes every listener and gives the lease up for the next replica. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.running;
    await this.driver.close();
    await this.deps.store.leases.release(DATA_PLANE_LEASE, this.holder).catch(() => undefined);
  }

  /** One run: take or renew the lease, then apply the model if it changed. */
  async runOnce(): Promise<void> {
    const { store } = this.deps;
    if (!(await store.leases.acquire(DATA_PLANE_LEASE, this.holder, this.deps.now(), this.leaseMs))) {
      // Another replica serves the listeners: let go of any this one still holds.
      if (this.applied !== undefined) await this.apply(EMPTY);
      this.applied = undefined;
      return;
    }
    const model = await loadBalancingModel(
      this.deps,
      this.options.certificates ?? certificateSource(this.deps),
    );
    const text = JSON.stringify(model);
    const retry = this.faults !== '[]' && this.deps.now() >= this.retryAt;
    if (text === this.applied && !retry) return;
    await this.apply(model);
    this.applied = text;
    if (this.faults !== '[]') this.retryAt = this.deps.now() + FAULT_RETRY_MS;
  }

  private async apply(model: LoadBalancingModel): Promise<void> {
    const { faults } = await this.driver.apply(model);
    // Said once per change, not every run: a port taken by another program stays taken.
    const said = JSON.stringify(faults);
    if (said !== this.faults && faults.length > 0) {
      this.options.logger.warn({ faults }, 'some load balancer listeners cannot be served');
    }
    this.faults = said;
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => {
      this.running = this.runOnce()
        .catch((err: unknown) => this.options.logger.error({ err }, 'load balancer data plane run failed'))
        .finally(() => {
          this.running = undefined;
          if (!this.closed) this.schedule(this.intervalMs);
        });
    }, ms);
    this.timer.unref();
  }
}
