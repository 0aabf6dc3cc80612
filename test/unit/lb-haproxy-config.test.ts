import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { LoadBalancingModel, ModelListener, ModelTargetGroup } from '../../src/core/elbv2/data-plane.js';
import type { Action } from '../../src/core/elbv2/types.js';
import { globToRegex } from '../../src/lb/haproxy/conditions.js';
import { haproxyConfig, type ConfigOptions } from '../../src/lb/haproxy/config.js';
import { globMatches } from '../../src/core/elbv2/routing.js';
import {
  LB,
  defaultRule,
  fixed,
  forward,
  group,
  host,
  listenerOn,
  path,
  rule,
  targetOf,
  tgArn,
} from '../support/lb-http.js';

/** The generated haproxy.cfg for hand-built models (src/lb/haproxy/config.ts), and HAProxy's own check of it. */

const HAPROXY = '/usr/sbin/haproxy';
const dir = mkdtempSync(join(tmpdir(), 'berth-haproxy-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const options: ConfigOptions = {
  certificatePath: (port) => join(dir, `listener-${port}.pem`),
  serverStatePath: join(dir, 'server-state'),
};

const modelOf = (
  listeners: ModelListener[],
  groups: ModelTargetGroup[],
  scheme: 'internal' | 'internet-facing' = 'internal',
): LoadBalancingModel => ({
  loadBalancers: [
    { arn: LB, name: 'web', type: 'application', scheme, dnsName: 'web.elb.localhost', listeners },
  ],
  targetGroups: groups,
});

const generated: string[] = [];
const configOf = (model: LoadBalancingModel): ReturnType<typeof haproxyConfig> => {
  const config = haproxyConfig(model, options);
  generated.push(config.text);
  return config;
};
/** The lines of one section (`frontend ln-8080`, `backend tg-…`), trimmed. */
const section = (text: string, header: string): string[] => {
  const block = text.split('\n\n').find((b) => b.startsWith(header));
  assert.ok(block, `no section '${header}' in:\n${text}`);
  return block.split('\n').map((l) => l.trim());
};

const redirect: Action = {
  Type: 'redirect',
  Order: 1,
  RedirectConfig: {
    Protocol: 'HTTPS',
    Port: '443',
    Host: '#{host}',
    Path: '/#{path}',
    Query: '#{query}',
    StatusCode: 'HTTP_301',
  },
};

describe('haproxyConfig', () => {
  it('tries rules in priority order and guards every action by the rule that won', () => {
    const api = group('api', [targetOf(9001)]);
    const web = group('web', [targetOf(9002)]);
    const text = configOf(
      modelOf(
        [
          listenerOn(8080, [
            rule([path('/api/*')], forward(api.arn)),
            rule([host('*.example.com'), path('/x?')], fixed('404', 'not here')),
            rule([path('/old')], redirect),
            defaultRule(forward(web.arn)),
          ]),
        ],
        [api, web],
      ),
    ).text;
    const lines = section(text, 'frontend ln-8080');
    assert.ok(lines.includes('bind 127.0.0.1:8080'));
    assert.ok(lines.includes("acl r1c0 path -m reg '(?s)^\\/api\\/.*$'"));
    assert.ok(lines.includes("acl r2c0 req.hdr(host),field(1,:) -i -m reg '(?s)^.*\\.example\\.com$'"));
    const setters = lines.filter((l) => l.startsWith('http-request set-var(txn.rule)'));
    assert.deepEqual(setters, [
      'http-request set-var(txn.rule) int(1) if !{ var(txn.rule) -m found } r1c0',
      'http-request set-var(txn.rule) int(2) if !{ var(txn.rule) -m found } r2c0 r2c1',
      'http-request set-var(txn.rule) int(3) if !{ var(txn.rule) -m found } r3c0',
    ]);
    assert.ok(lines.includes('use_backend tg-api-0123456789abcdef if { var(txn.rule) -m int eq 1 }'));
    assert.ok(
      lines.includes(
        "http-request return status 404 content-type 'text/plain' string 'not here' if { var(txn.rule) -m int eq 2 }",
      ),
    );
    assert.ok(
      lines.includes(
        "http-request redirect location 'https://%[req.hdr(host),field(1,:)]:443/%[path,regsub(^/,)]?%[query]' code 301 if { var(txn.rule) -m int eq 3 } { query -m len gt 0 }",
      ),
    );
    assert.ok(lines.includes('use_backend tg-web-0123456789abcdef if !{ var(txn.rule) -m found }'));
    // X-Forwarded-* as ELB sets them.
    assert.ok(lines.includes('option forwardfor'));
    assert.ok(lines.includes('http-request set-header X-Forwarded-Port 8080'));
  });

  it('translates wildcards as routing.ts matches them', () => {
    for (const [pattern, value] of [
      ['/a*', '/abc'],
      ['/a?c', '/abc'],
      ['/a\\*', '/a*'],
      ['/a\\*', '/ab'],
      ['*.example.com', 'www.example.com'],
      ['/x+y(z)', '/x+y(z)'],
    ] as const) {
      const regex = new RegExp(`^${globToRegex(pattern)}$`, 's');
      assert.equal(regex.test(value), globMatches(pattern, value, false), `${pattern} vs ${value}`);
    }
  });

  it('balances by the algorithm, checks health as configured and leaves draining targets out', () => {
    const rr = group('rr', [targetOf(9001), targetOf(9002, { drainUntil: Date.now() + 1000 })]);
    const lc: ModelTargetGroup = {
      ...group('lc', [targetOf(9003), { id: 'i-0abc', port: 9004, registeredAt: 0 }]),
      attributes: {
        'load_balancing.algorithm.type': 'least_outstanding_requests',
        'stickiness.enabled': 'true',
        'stickiness.type': 'lb_cookie',
        'stickiness.lb_cookie.duration_seconds': '3600',
      },
      healthCheck: {
        protocol: 'HTTP',
        port: '9999',
        enabled: true,
        path: '/health',
        intervalSeconds: 10,
        timeoutSeconds: 4,
        healthyThreshold: 3,
        unhealthyThreshold: 2,
        httpCode: '200-299',
      },
    };
    const config = configOf(
      modelOf(
        [listenerOn(8080, [rule([path('/lc')], forward(lc.arn)), defaultRule(forward(rr.arn))])],
        [rr, lc],
      ),
    );
    const rrLines = section(config.text, 'backend tg-rr-');
    assert.ok(rrLines.includes('balance roundrobin'));
    assert.ok(rrLines.includes('server 127.0.0.1_9001 127.0.0.1:9001 check'));
    assert.ok(!rrLines.some((l) => l.includes('9002')), 'the draining target is left out');
    const lcLines = section(config.text, 'backend tg-lc-');
    assert.ok(lcLines.includes('balance leastconn'));
    assert.ok(lcLines.includes("cookie AWSALB insert indirect nocache attr 'Max-Age=3600'"));
    assert.ok(lcLines.includes("option httpchk GET '/health'"));
    assert.ok(lcLines.includes('http-check expect status 200-299'));
    assert.ok(lcLines.includes('timeout check 4000'));
    assert.ok(lcLines.includes('default-server inter 10000 rise 3 fall 2 port 9999 no-check-ssl'));
    assert.ok(lcLines.includes('server 127.0.0.1_9003 127.0.0.1:9003 check cookie 127.0.0.1_9003'));
    assert.ok(!lcLines.some((l) => l.includes('9004')), 'a target without an address gets no server');
    assert.deepEqual(config.servers.get('tg-lc-0123456789abcdef/127.0.0.1_9003'), {
      targetGroupArn: lc.arn,
      loadBalancerArn: LB,
      id: '127.0.0.1',
      port: 9003,
    });
  });

  it('binds every interface for internet-facing load balancers and serves HTTPS with the PEM', () => {
    const web = group('web', [targetOf(9001)]);
    const config = configOf(
      modelOf(
        [
          listenerOn(8443, [defaultRule(forward(web.arn))], {
            protocol: 'HTTPS',
            certificates: [
              { arn: 'arn:cert', certificatePem: 'CERT\n', privateKeyPem: 'KEY\n', chainPem: 'CHAIN' },
            ],
          }),
        ],
        [web],
        'internet-facing',
      ),
    );
    const pem = join(dir, 'listener-8443.pem');
    assert.ok(
      section(config.text, 'frontend ln-8443').includes(`bind *:8443 ssl crt ${pem} ssl-min-ver TLSv1.2`),
    );
    assert.equal(config.certificates.get(pem), 'CERT\nCHAIN\nKEY\n');
  });

  it('faults UDP listeners and HTTPS listeners without certificate material', () => {
    const udp: ModelTargetGroup = { ...group('udp', [targetOf(9001)]), protocol: 'UDP' };
    const web = group('web', [targetOf(9001)]);
    const config = configOf(
      modelOf(
        [
          listenerOn(5353, [defaultRule(forward(udp.arn))], { protocol: 'UDP' }),
          listenerOn(8443, [defaultRule(forward(web.arn))], {
            protocol: 'HTTPS',
            certificates: [{ arn: 'arn:cert' }],
          }),
        ],
        [udp, web],
      ),
    );
    assert.deepEqual(
      config.faults.map((f) => [f.port, f.message]),
      [
        [5353, 'UDP listeners are not supported by the HAProxy driver'],
        [8443, 'certificate arn:cert has no PEM material'],
      ],
    );
    assert.deepEqual(config.ports, []);
  });

  it('splits weighted forwards by one random draw and serves TCP listeners in tcp mode', () => {
    const a = group('a', [targetOf(9001)]);
    const b = group('b', [targetOf(9002)]);
    const tcp: ModelTargetGroup = { ...group('tcp', [targetOf(9003)]), protocol: 'TCP' };
    const weighted: Action = {
      Type: 'forward',
      Order: 1,
      ForwardConfig: {
        TargetGroups: [
          { TargetGroupArn: a.arn, Weight: 1 },
          { TargetGroupArn: b.arn, Weight: 3 },
        ],
        TargetGroupStickinessConfig: { Enabled: false },
      },
    };
    const config = configOf(
      modelOf(
        [
          listenerOn(8080, [defaultRule(weighted)]),
          listenerOn(9090, [defaultRule(forward(tcp.arn))], { protocol: 'TCP' }),
        ],
        [a, b, tcp],
      ),
    );
    const http = section(config.text, 'frontend ln-8080');
    assert.ok(http.includes('http-request set-var(txn.pick) rand(1000000)'));
    assert.ok(
      http.includes(
        'use_backend tg-a-0123456789abcdef if !{ var(txn.rule) -m found } { var(txn.pick) -m int lt 250000 }',
      ),
    );
    assert.ok(http.includes('use_backend tg-b-0123456789abcdef if !{ var(txn.rule) -m found }'));
    const stream = section(config.text, 'frontend ln-9090');
    assert.ok(stream.includes('mode tcp'));
    assert.ok(stream.includes('use_backend tg-tcp-0123456789abcdef'));
    assert.ok(section(config.text, `backend tg-tcp-`).includes('mode tcp'));
    assert.equal(tgArn('tcp'), tcp.arn);
  });

  it(
    'every generated config passes haproxy -c',
    { skip: !existsSync(HAPROXY) && 'haproxy is not installed' },
    () => {
      // Certificates must exist for -c: a throwaway self-signed one stands in for each PEM.
      const key = join(dir, 'key.pem');
      const cert = join(dir, 'cert.pem');
      execFileSync(
        '/usr/bin/openssl',
        [
          ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=test'],
          ...['-keyout', key, '-out', cert],
        ],
        { stdio: 'ignore' },
      );
      const pem = execFileSync('cat', [cert, key], { encoding: 'utf8' });
      writeFileSync(join(dir, 'listener-8443.pem'), pem);
      assert.ok(generated.length >= 5);
      // A config without listeners is not run (HAProxy refuses to start without one).
      generated.forEach((text, i) => {
        if (!text.includes('\nfrontend ')) return;
        const file = join(dir, `haproxy-${i}.cfg`);
        writeFileSync(file, text);
        execFileSync(HAPROXY, ['-c', '-q', '-f', file], { stdio: ['ignore', 'ignore', 'pipe'] });
      });
    },
  );
});
