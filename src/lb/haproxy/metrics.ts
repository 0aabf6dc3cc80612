import { dimension } from '../metrics.js';
import { count, isServer, serverVerdict, type StatRow } from './stats.js';

/**
 * The built-in data plane's Prometheus metrics (src/lb/metrics.ts: same names, same
 * `LoadBalancer`/`TargetGroup` labels) computed from HAProxy's `show stat`. Pure.
 *
 * HAProxy's counters start at zero in each new worker, so after a reload they restart (Prometheus
 * treats a counter that goes down as a reset). What cannot be told apart from `show stat` is left
 * out: HTTPCode_ELB_4XX_Count, HTTP_Fixed_Response_Count, HTTP_Redirect_Count, TargetResponseTime.
 */

export interface MetricsNames {
  /** Frontend and backend names → the load balancer's ARN. */
  readonly loadBalancerOf: ReadonlyMap<string, string>;
  /** Backend name → the target group's ARN. */
  readonly groupOf: ReadonlyMap<string, string>;
}

interface Family {
  readonly type: 'counter' | 'gauge';
  readonly help: string;
  readonly samples: Map<string, number>;
}

const CLASSES = ['2XX', '3XX', '4XX', '5XX'] as const;

export function metricsText(rows: readonly StatRow[], names: MetricsNames): string {
  const families = new Map<string, Family>();
  const add = (
    name: string,
    type: Family['type'],
    help: string,
    labels: Record<string, string>,
    value: number,
  ): void => {
    const family = families.get(name) ?? { type, help, samples: new Map<string, number>() };
    families.set(name, family);
    const key = Object.entries(labels)
      .map(([k, v]) => `${k}="${v.replace(/[\\"]/g, '\\$&').replace(/\n/g, '\\n')}"`)
      .join(',');
    family.samples.set(key, (family.samples.get(key) ?? 0) + value);
  };
  const lbOf = (proxy: string): string | undefined => {
    const arn = names.loadBalancerOf.get(proxy);
    return arn === undefined ? undefined : dimension(arn);
  };
  for (const row of rows) {
    const LoadBalancer = lbOf(row.pxname ?? '');
    if (LoadBalancer === undefined) continue;
    const groupArn = names.groupOf.get(row.pxname ?? '');
    const TargetGroup = groupArn === undefined ? '' : dimension(groupArn);
    if (row.svname === 'FRONTEND') {
      add('ActiveConnectionCount', 'gauge', 'Client connections open', { LoadBalancer }, count(row, 'scur'));
      add(
        'NewConnectionCount',
        'counter',
        'Client connections opened',
        { LoadBalancer },
        count(row, 'conn_tot'),
      );
      // Requests not forwarded: the frontend's total, less what the backends took (below).
      if (row.mode === 'http') {
        add(
          'RequestCount',
          'counter',
          REQUESTS_HELP,
          { LoadBalancer, TargetGroup: '' },
          count(row, 'req_tot'),
        );
      }
    } else if (row.svname === 'BACKEND') {
      if (row.mode !== 'http') continue;
      const forwarded = count(row, 'req_tot');
      add('RequestCount', 'counter', REQUESTS_HELP, { LoadBalancer, TargetGroup }, forwarded);
      add('RequestCount', 'counter', REQUESTS_HELP, { LoadBalancer, TargetGroup: '' }, -forwarded);
      // The backend's 5xx beyond its servers' are HAProxy's own (no server, refused, timeout).
      add('HTTPCode_ELB_5XX_Count', 'counter', ELB_5XX_HELP, { LoadBalancer }, count(row, 'hrsp_5xx'));
    } else if (isServer(row)) {
      const verdict = serverVerdict(row)?.state;
      add(
        'HealthyHostCount',
        'gauge',
        'Healthy targets per target group',
        { LoadBalancer, TargetGroup },
        verdict === 'healthy' ? 1 : 0,
      );
      add(
        'UnHealthyHostCount',
        'gauge',
        'Unhealthy targets per target group',
        { LoadBalancer, TargetGroup },
        verdict === 'unhealthy' ? 1 : 0,
      );
      if (row.mode !== 'http') continue;
      for (const c of CLASSES) {
        const n = count(row, `hrsp_${c.charAt(0)}xx`);
        add(
          `HTTPCode_Target_${c}_Count`,
          'counter',
          `${c} responses from targets`,
          { LoadBalancer, TargetGroup },
          n,
        );
        if (c === '5XX') add('HTTPCode_ELB_5XX_Count', 'counter', ELB_5XX_HELP, { LoadBalancer }, -n);
      }
    }
  }
  return [...families]
    .map(([name, family]) => {
      const samples = [...family.samples].map(
        ([labels, value]) => `${name}{${labels}} ${Math.max(0, value)}`,
      );
      return [`# HELP ${name} ${family.help}`, `# TYPE ${name} ${family.type}`, ...samples].join('\n');
    })
    .join('\n')
    .concat('\n');
}

const REQUESTS_HELP = 'Requests processed (TargetGroup empty when not forwarded)';
const ELB_5XX_HELP = '5XX errors the load balancer answered itself';
