import { chmod, mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type {
  DataPlaneDriver,
  HealthSink,
  ListenerFault,
  LoadBalancingModel,
  TargetHealthReport,
} from '../../core/elbv2/data-plane.js';
import type { HealthReport } from '../../core/elbv2/types.js';
import { UNAVAILABLE_REPORT } from '../../core/elbv2/health-verdict.js';
import { haproxyConfig, type HaproxyConfig } from './config.js';
import { metricsText } from './metrics.js';
import { checkConfig, cliCommand, HaproxyProcess, portTaken } from './process.js';
import { parseStat, verdicts } from './stats.js';

/**
 * A data-plane driver that programs HAProxy instead of proxying in Node: each model becomes a
 * haproxy.cfg (config.ts), HAProxy runs as a child in master-worker mode and is reloaded hitlessly
 * when the config changes; health verdicts and metrics are read back from `show stat`.
 * See docs/load-balancing.md, "The HAProxy driver".
 */
export interface HaproxyDriverOptions {
  readonly sink: HealthSink;
  readonly log: Logger;
  /** Where the config, certificates and sockets live (created if missing). */
  readonly workDir: string;
  /** Default `haproxy` (on PATH). */
  readonly haproxyBinary?: string;
  /** How often `show stat` is read for health verdicts (default 1000 ms). */
  readonly statsIntervalMs?: number;
  /** Multiplies health-check intervals and timeouts (tests: e.g. 0.1). */
  readonly healthCheckScale?: number;
}

const targetKey = (t: { targetGroupArn: string; id: string; port: number }): string =>
  `${t.targetGroupArn} ${t.id} ${t.port}`;
const sameReport = (a: HealthReport | undefined, b: HealthReport): boolean =>
  a?.state === b.state && a.reason === b.reason && a.description === b.description;

export class HaproxyDriver implements DataPlaneDriver {
  readonly #options: HaproxyDriverOptions;
  readonly #binary: string;
  readonly #paths: { config: string; next: string; master: string; state: string };
  #process: HaproxyProcess | undefined;
  /** The config HAProxy runs now. */
  #running: HaproxyConfig | undefined;
  /** The verdict the control plane holds per target (from the model, then from our reports). */
  #known = new Map<string, HealthReport>();
  #queue: Promise<unknown> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: HaproxyDriverOptions) {
    this.#options = options;
    this.#binary = options.haproxyBinary ?? 'haproxy';
    const dir = options.workDir;
    this.#paths = {
      config: join(dir, 'haproxy.cfg'),
      next: join(dir, 'haproxy.cfg.next'),
      master: join(dir, 'master.sock'),
      state: join(dir, 'server-state'),
    };
  }

  apply(model: LoadBalancingModel): Promise<{ readonly faults: readonly ListenerFault[] }> {
    const run = this.#queue.then(() => this.#apply(model));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#queue;
    await this.#process?.stop();
    this.#process = undefined;
  }

  /** The Prometheus text of the metrics (empty while HAProxy does not run). */
  async metricsText(): Promise<string> {
    const running = this.#running;
    if (this.#process?.running !== true || running === undefined) return '';
    const csv = await cliCommand(this.#paths.master, '@1 show stat').catch(() => '');
    return metricsText(parseStat(csv), running);
  }

  async #apply(model: LoadBalancingModel): Promise<{ readonly faults: readonly ListenerFault[] }> {
    await mkdir(this.#options.workDir, { recursive: true });
    this.#known = new Map(
      model.targetGroups.flatMap((g) =>
        g.targets.flatMap((t) =>
          t.health ? [[targetKey({ targetGroupArn: g.arn, id: t.id, port: t.port }), t.health] as const] : [],
        ),
      ),
    );
    const config = haproxyConfig(model, {
      certificatePath: (port) => join(this.#options.workDir, `listener-${port}.pem`),
      serverStatePath: this.#paths.state,
      unavailablePorts: await this.#takenPorts(model),
      ...(this.#options.healthCheckScale !== undefined
        ? { healthCheckScale: this.#options.healthCheckScale }
        : {}),
    });
    const served = model.loadBalancers.flatMap((lb) =>
      lb.listeners
        .filter((l) => config.ports.includes(l.port))
        .map((l) => ({ listenerArn: l.arn, port: l.port })),
    );
    const allFault = (message: string): { faults: ListenerFault[] } => ({
      faults: [...config.faults, ...served.map((l) => ({ ...l, message }))],
    });
    if (config.ports.length === 0) {
      // HAProxy will not start without a listener: nothing to serve is no HAProxy.
      await this.#process?.stop();
      this.#process = undefined;
      this.#running = undefined;
      return { faults: config.faults };
    }
    if (this.#process?.running === true && this.#running?.text === config.text) {
      this.#reportUnavailable(model);
      return { faults: config.faults };
    }
    for (const [path, pem] of config.certificates) {
      await writeFile(path, pem, { mode: 0o600 });
      await chmod(path, 0o600); // writeFile's mode applies only to a new file
    }
    await writeFile(this.#paths.next, config.text);
    const check = await checkConfig(this.#binary, this.#paths.next);
    if (check.message !== undefined) {
      this.#options.log.error({ message: check.message }, 'HAProxy refused the generated configuration');
      return allFault(check.missing ? check.message : `HAProxy refused the configuration: ${check.message}`);
    }
    await rename(this.#paths.next, this.#paths.config);
    const outcome = await this.#startOrReload();
    if (outcome !== undefined) {
      // The previous workers (if any) still serve: only listeners they do not hold are faults.
      const held = new Set(this.#running?.ports ?? []);
      return {
        faults: [
          ...config.faults,
          ...served.filter((l) => !held.has(l.port)).map((l) => ({ ...l, message: outcome })),
        ],
      };
    }
    this.#running = config;
    this.#reportUnavailable(model);
    this.#schedulePoll(0);
    return { faults: config.faults };
  }

  /** Ports of new listeners another program holds (those HAProxy already binds are not tested). */
  async #takenPorts(model: LoadBalancingModel): Promise<Map<number, string>> {
    const held = new Set(this.#process?.running === true ? (this.#running?.ports ?? []) : []);
    const taken = new Map<number, string>();
    for (const lb of model.loadBalancers) {
      for (const listener of lb.listeners) {
        if (listener.protocol === 'UDP' || held.has(listener.port)) continue;
        const address = lb.scheme === 'internal' ? '127.0.0.1' : '*';
        if (await portTaken(address, listener.port)) {
          taken.set(listener.port, `port ${listener.port} is in use by another program`);
        }
      }
    }
    return taken;
  }

  /** Undefined when HAProxy serves the new config; else why not. */
  async #startOrReload(): Promise<string | undefined> {
    const { log } = this.#options;
    if (this.#process?.running !== true) {
      this.#process = new HaproxyProcess(this.#binary, this.#paths.config, this.#paths.master, log);
      this.#running = undefined;
      try {
        await this.#process.ready();
        return undefined;
      } catch (error) {
        await this.#process.stop();
        const message = `haproxy did not start: ${error instanceof Error ? error.message : String(error)}`;
        log.error({ message }, 'haproxy did not start');
        return message;
      }
    }
    // Verdicts carry over the reload: the new worker loads what the old one saw.
    const state = await cliCommand(this.#paths.master, '@1 show servers state').catch(() => '');
    if (state.startsWith('1\n')) await writeFile(this.#paths.state, state);
    if (await this.#process.reload()) return undefined;
    const message = `HAProxy could not reload (a port may be taken): ${this.#process.alerts()}`;
    log.error({ message }, 'haproxy reload failed');
    return message;
  }

  #schedulePoll(delayMs: number): void {
    clearTimeout(this.#timer);
    if (this.#closed) return;
    this.#timer = setTimeout(() => {
      void this.#poll().finally(() => this.#schedulePoll(this.#options.statsIntervalMs ?? 1000));
    }, delayMs);
  }

  /** Reads `show stat` and sends the verdicts that differ from what the control plane holds. */
  async #poll(): Promise<void> {
    const running = this.#running;
    if (running === undefined || this.#process?.running !== true) return;
    const csv = await cliCommand(this.#paths.master, '@1 show stat').catch(() => '');
    const reports: TargetHealthReport[] = [];
    for (const { ref, report } of verdicts(parseStat(csv), running.servers).values()) {
      if (!sameReport(this.#known.get(targetKey(ref)), report)) {
        reports.push({ targetGroupArn: ref.targetGroupArn, id: ref.id, port: ref.port, ...report });
      }
    }
    await this.#send(reports);
  }

  /** Targets of served groups without an address cannot be checked: `unavailable`, as the built-in says. */
  #reportUnavailable(model: LoadBalancingModel): void {
    const served = new Set(this.#running?.groupOf.values() ?? []);
    const reports = model.targetGroups
      .filter((g) => served.has(g.arn))
      .flatMap((g) =>
        g.targets
          .filter((t) => t.address === undefined && t.drainUntil === undefined)
          .map((t) => ({ targetGroupArn: g.arn, id: t.id, port: t.port, ...UNAVAILABLE_REPORT })),
      )
      .filter((r) => !sameReport(this.#known.get(targetKey(r)), r));
    void this.#send(reports);
  }

  async #send(reports: readonly TargetHealthReport[]): Promise<void> {
    if (reports.length === 0) return;
    try {
      await this.#options.sink(reports);
      for (const r of reports) this.#known.set(targetKey(r), r);
    } catch (error) {
      // Not marked as known: the next poll sends them again.
      this.#options.log.warn({ err: error }, 'health reports were not accepted');
    }
  }
}
