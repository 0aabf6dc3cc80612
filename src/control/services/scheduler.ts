import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { ServiceRecord } from '../../core/ecs/service.js';
import { EMPTY_MEMO, type SchedulerPlan } from '../../core/services/types.js';
import { reconcileReplica } from '../../core/services/replica.js';
import { reconcileDaemon } from '../../core/services/daemon.js';
import type { ControlDeps } from '../context.js';
import { LostRace } from '../ecs/task-launch.js';
import { applyPlan } from './apply.js';
import { daemonInstances } from './daemon-instances.js';
import { schedulerDeployment, serviceGroup, serviceSpec, serviceTask } from './input.js';
import { stopRanker } from './stop-ranker.js';
import { syncServiceTargets } from './targets.js';

/**
 * The service scheduler's loop. One control-plane replica runs it at a time: the holder of the
 * `service-scheduler` lease in the store, renewed every run. Each run is level-triggered: for
 * every ACTIVE or DRAINING service it reads the service, its tasks and the cluster's instances,
 * asks core/services what to do (reconcileReplica / reconcileDaemon) and carries the plan out in
 * one transaction with the service's version check (apply.ts). Nothing is remembered in memory
 * between runs, so a restarted or newly elected scheduler continues from the stored state.
 *
 * Runs come every `intervalMs`, and sooner (`WAKE_MS`) after a task or instance write, so a task
 * reaching RUNNING moves a deployment on at once.
 */
export interface SchedulerOptions {
  readonly logger: Logger;
  /** Between runs when nothing changes. Default 1 s. */
  readonly intervalMs?: number;
  /** How long a lease lasts unless renewed. Default 10 s. */
  readonly leaseMs?: number;
  /** How long a RUNNING task without health checks waits to count as healthy (ECS: 40 s). */
  readonly noHealthCheckWaitMs?: number;
}

export const SCHEDULER_LEASE = 'service-scheduler';
const WAKE_MS = 50;

export class ServiceScheduler {
  private readonly holder = randomBytes(8).toString('hex');
  private readonly intervalMs: number;
  private readonly leaseMs: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private closed = false;
  private woken = false;

  constructor(
    private readonly deps: ControlDeps,
    private readonly options: SchedulerOptions,
  ) {
    this.intervalMs = options.intervalMs ?? 1000;
    this.leaseMs = options.leaseMs ?? 10_000;
    deps.store.onInstanceWrite(() => this.wake());
  }

  start(): void {
    this.schedule(0);
  }

  /** Stops the loop, waits for a run in progress and gives the lease up for the next replica. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.running;
    await this.deps.store.leases.release(SCHEDULER_LEASE, this.holder).catch(() => undefined);
  }

  /** One run over every service, if this replica holds (or takes) the lease. */
  async runOnce(): Promise<void> {
    const { store } = this.deps;
    if (!(await store.leases.acquire(SCHEDULER_LEASE, this.holder, this.deps.now(), this.leaseMs))) return;
    for (const cluster of await store.services.clusters()) {
      for (const service of await store.services.byCluster(cluster)) {
        if (this.closed) return;
        if (service.status === 'INACTIVE') continue;
        try {
          await this.runService(service);
        } catch (error) {
          if (!(error instanceof LostRace))
            this.options.logger.error({ err: error, service: service.arn }, 'service run failed');
        }
      }
    }
  }

  private wake(): void {
    if (this.closed || this.woken) return;
    this.woken = true;
    if (this.running === undefined) this.schedule(WAKE_MS);
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.woken = false;
      this.running = this.runOnce()
        .catch((err: unknown) => this.options.logger.error({ err }, 'service scheduler run failed'))
        .finally(() => {
          this.running = undefined;
          if (!this.closed) this.schedule(this.woken ? WAKE_MS : this.intervalMs);
        });
    }, ms);
    this.timer.unref();
  }

  private async runService(given: ServiceRecord): Promise<void> {
    const { store } = this.deps;
    let service = given;
    // The cluster as placement sees it (from the placement cache: no query over every instance).
    const { snapshot } = await store.transaction((repos) =>
      this.deps.placementCache.read(repos, service.cluster, serviceGroup(service.name)),
    );
    const draining = new Set(snapshot.filter((i) => i.status === 'DRAINING').map((i) => i.id));
    let records = await store.tasks.inGroup(service.cluster, serviceGroup(service.name));
    // Load balancers first: register the tasks that came up, drain the leaving ones.
    const targets = await syncServiceTargets(this.deps, service, records);
    if (targets.changed) {
      const reread = await store.services.byName(service.cluster, service.name);
      if (reread === undefined) return;
      service = reread;
      records = await store.tasks.inGroup(service.cluster, serviceGroup(service.name));
    }
    const now = this.deps.now();
    const tasks = records.map((t) => serviceTask(t, draining, targets.health.get(t.arn)));
    const run = {
      deployments: service.deployments.map(schedulerDeployment),
      tasks,
      memo: service.schedulerMemo ?? EMPTY_MEMO,
      now,
      ...(this.options.noHealthCheckWaitMs !== undefined
        ? { noHealthCheckWaitMs: this.options.noHealthCheckWaitMs }
        : {}),
    };
    // A DRAINING service (DeleteService) winds down: no task is wanted any more.
    const wanted = service.status === 'DRAINING' ? 0 : service.desiredCount;
    const plan: SchedulerPlan =
      service.schedulingStrategy === 'DAEMON' && service.status !== 'DRAINING'
        ? reconcileDaemon({
            ...run,
            service: serviceSpec(service),
            instances: await daemonInstances(this.deps, service, snapshot),
          })
        : reconcileReplica({
            ...run,
            service: { ...serviceSpec(service), desiredCount: wanted },
            rankForStop: stopRanker(service, snapshot, records),
          });
    const live = records.some((t) => t.state.lastStatus !== 'STOPPED');
    const retire = service.status === 'DRAINING' && !live && plan.start.length === 0;
    if (!retire && unchanged(service, plan)) return;
    const { touched } = await store.transaction(async (repos) => {
      const applied = await applyPlan(this.deps, repos, service, plan, now);
      if (retire) {
        const inactive: ServiceRecord = {
          ...applied.service,
          status: 'INACTIVE',
          version: applied.service.version + 1,
        };
        if (!(await repos.services.update(inactive))) throw new LostRace();
      }
      return applied;
    });
    for (const arn of touched) this.deps.notifier?.signal(arn);
  }
}

/** Nothing to write: no start, stop, deployment change, event, count or memory change. */
function unchanged(service: ServiceRecord, plan: SchedulerPlan): boolean {
  return (
    plan.start.length === 0 &&
    plan.stop.length === 0 &&
    plan.deployments.length === 0 &&
    plan.events.length === 0 &&
    plan.service.desiredCount === service.desiredCount &&
    JSON.stringify(plan.memo) === JSON.stringify(service.schedulerMemo ?? EMPTY_MEMO)
  );
}
