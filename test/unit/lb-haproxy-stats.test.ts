import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { metricsText } from '../../src/lb/haproxy/metrics.js';
import { parseStat, serverVerdict, verdicts } from '../../src/lb/haproxy/stats.js';
import { LB, tgArn } from '../support/lb-http.js';

/** HAProxy's `show stat` read back as ELB health verdicts and the built-in's metrics (src/lb/haproxy/stats.ts, metrics.ts). */

const COLUMNS = 'pxname,svname,scur,status,check_status,check_code,hrsp_2xx,hrsp_5xx,req_tot,conn_tot,mode';
const csv = (...rows: string[]): string => `# ${COLUMNS}\n${rows.join('\n')}\n`;
const TG = 'tg-web-0123456789abcdef';

const STAT = csv(
  'ln-8080,FRONTEND,3,OPEN,,,0,0,12,7,http',
  `${TG},a_1,0,UP,L7OK,200,8,1,,,http`,
  `${TG},b_2,0,DOWN,L7STS,500,0,0,,,http`,
  `${TG},c_3,0,UP 1/2,INI,,0,0,,,http`,
  `${TG},d_4,0,DOWN 1/2,* L4TOUT,,0,0,,,http`,
  `${TG},BACKEND,0,UP,,,8,3,10,,http`,
);

describe('show stat', () => {
  it('maps check states to ELB verdicts and leaves servers still initializing out', () => {
    const rows = parseStat(STAT).filter((r) => r.pxname === TG);
    assert.deepEqual(
      rows.map((r) => serverVerdict(r)),
      [
        { state: 'healthy' },
        {
          state: 'unhealthy',
          reason: 'Target.ResponseCodeMismatch',
          description: 'Health checks failed with these codes: [500]',
        },
        undefined,
        { state: 'unhealthy', reason: 'Target.Timeout', description: 'Request timed out' },
        undefined,
      ],
    );
  });

  it('finds the target behind each server', () => {
    const ref = { targetGroupArn: tgArn('web'), loadBalancerArn: LB, id: '10.0.0.2', port: 2 };
    const found = verdicts(parseStat(STAT), new Map([[`${TG}/b_2`, ref]]));
    assert.deepEqual([...found.keys()], [`${TG}/b_2`]);
    assert.equal(found.get(`${TG}/b_2`)?.ref, ref);
  });

  it('serves the built-in metric names and labels', () => {
    const text = metricsText(parseStat(STAT), {
      loadBalancerOf: new Map([
        ['ln-8080', LB],
        [TG, LB],
      ]),
      groupOf: new Map([[TG, tgArn('web')]]),
    });
    const labels = 'LoadBalancer="app/web/0123456789abcdef",TargetGroup="targetgroup/web/0123456789abcdef"';
    assert.match(text, /^# TYPE RequestCount counter$/m);
    assert.match(text, new RegExp(`^RequestCount\\{${labels}\\} 10$`, 'm'));
    assert.match(text, /^RequestCount\{LoadBalancer="app\/web\/0123456789abcdef",TargetGroup=""\} 2$/m);
    assert.match(text, new RegExp(`^HTTPCode_Target_2XX_Count\\{${labels}\\} 8$`, 'm'));
    assert.match(text, /^HTTPCode_ELB_5XX_Count\{LoadBalancer="app\/web\/0123456789abcdef"\} 2$/m);
    assert.match(text, new RegExp(`^HealthyHostCount\\{${labels}\\} 1$`, 'm'));
    assert.match(text, new RegExp(`^UnHealthyHostCount\\{${labels}\\} 2$`, 'm'));
    assert.match(text, /^ActiveConnectionCount\{LoadBalancer="app\/web\/0123456789abcdef"\} 3$/m);
  });
});
