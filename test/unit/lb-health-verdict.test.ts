import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  initialCheckState,
  matchesHttpCode,
  nextCheckState,
  parseHttpCodes,
  type CheckState,
  type ProbeOutcome,
} from '../../src/core/elbv2/health-verdict.js';
import type { HealthCheck, HealthReport } from '../../src/core/elbv2/types.js';

/**
 * ELB's per-target health-check state machine (core/elbv2/health-verdict.ts): thresholds of
 * consecutive outcomes, the matcher, the reason codes DescribeTargetHealth shows, and where a
 * target seeded with a remembered verdict starts.
 */

const check = (over: Partial<HealthCheck> = {}): HealthCheck => ({
  protocol: 'HTTP',
  port: 'traffic-port',
  enabled: true,
  path: '/',
  intervalSeconds: 30,
  timeoutSeconds: 5,
  healthyThreshold: 3,
  unhealthyThreshold: 2,
  httpCode: '200',
  ...over,
});

const ok: ProbeOutcome = { kind: 'response', status: 200 };
const code500: ProbeOutcome = { kind: 'response', status: 500 };
const timeout: ProbeOutcome = { kind: 'timeout' };
const refused: ProbeOutcome = { kind: 'refused', message: 'connect ECONNREFUSED' };
const error: ProbeOutcome = { kind: 'error', message: 'socket hang up' };
const connected: ProbeOutcome = { kind: 'connected' };

/** Feeds outcomes in order; returns the final state and every report made on the way. */
function run(hc: HealthCheck, start: CheckState, outcomes: readonly ProbeOutcome[]) {
  let state = start;
  const reports: HealthReport[] = [];
  for (const o of outcomes) {
    const step = nextCheckState(hc, state, o);
    state = step.state;
    if (step.report) reports.push(step.report);
  }
  return { state, reports };
}

const fresh = initialCheckState();
const healthy = initialCheckState({ state: 'healthy' });
const unhealthy = initialCheckState({ state: 'unhealthy', reason: 'Target.Timeout' });

describe('parseHttpCodes / matchesHttpCode (the matcher)', () => {
  const cases: [string, number[], number[]][] = [
    ['200', [200], [201, 199, 500]],
    ['200,202', [200, 202], [201, 203]],
    ['200-299', [200, 250, 299], [199, 300]],
    ['200, 302-304 ,404', [200, 302, 303, 304, 404], [301, 305, 403]],
  ];
  for (const [code, matching, other] of cases) {
    it(`'${code}' matches ${matching.join(' ')} and not ${other.join(' ')}`, () => {
      const ranges = parseHttpCodes(code);
      assert.ok(ranges);
      for (const s of matching) assert.equal(matchesHttpCode(ranges, s), true, String(s));
      for (const s of other) assert.equal(matchesHttpCode(ranges, s), false, String(s));
    });
  }

  for (const bad of ['', 'abc', '200-', '299-200', '20', '200,,202', '2000']) {
    it(`refuses the malformed matcher '${bad}'`, () => assert.equal(parseHttpCodes(bad), undefined));
  }

  it('a malformed matcher fails every check rather than passing them', () => {
    const step = nextCheckState(check({ httpCode: 'nonsense', unhealthyThreshold: 2 }), fresh, ok);
    assert.deepEqual(step.state, { verdict: 'initial', successes: 0, failures: 1 });
  });

  it('a check without a matcher uses ELB’s default 200', () => {
    const noMatcher: HealthCheck = {
      protocol: 'HTTP',
      port: 'traffic-port',
      enabled: true,
      intervalSeconds: 30,
      timeoutSeconds: 5,
      healthyThreshold: 2,
      unhealthyThreshold: 2,
    };
    assert.deepEqual(
      run(noMatcher, fresh, [{ kind: 'response', status: 204 }, ok, ok]).state.verdict,
      'healthy',
    );
    assert.equal(run(noMatcher, fresh, [ok]).state.successes, 1);
    assert.equal(run(noMatcher, fresh, [{ kind: 'response', status: 204 }]).state.failures, 1);
  });
});

describe('nextCheckState (transitions and reason codes)', () => {
  const hc = check();
  const table: {
    name: string;
    start: CheckState;
    outcomes: ProbeOutcome[];
    verdict: string;
    reports: HealthReport[];
  }[] = [
    {
      name: 'initial stays initial below the healthy threshold',
      start: fresh,
      outcomes: [ok, ok],
      verdict: 'initial',
      reports: [],
    },
    {
      name: 'initial → healthy after healthyThreshold successes, reported without a reason',
      start: fresh,
      outcomes: [ok, ok, ok],
      verdict: 'healthy',
      reports: [{ state: 'healthy' }],
    },
    {
      name: 'initial → unhealthy after unhealthyThreshold failures: Target.ResponseCodeMismatch',
      start: fresh,
      outcomes: [code500, code500],
      verdict: 'unhealthy',
      reports: [
        {
          state: 'unhealthy',
          reason: 'Target.ResponseCodeMismatch',
          description: 'Health checks failed with these codes: [500]',
        },
      ],
    },
    {
      name: 'the failure that crosses the threshold names the reason: Target.Timeout',
      start: fresh,
      outcomes: [code500, timeout],
      verdict: 'unhealthy',
      reports: [{ state: 'unhealthy', reason: 'Target.Timeout', description: 'Request timed out' }],
    },
    {
      name: 'a refused connection: Target.FailedHealthChecks',
      start: healthy,
      outcomes: [refused, refused],
      verdict: 'unhealthy',
      reports: [
        { state: 'unhealthy', reason: 'Target.FailedHealthChecks', description: 'Health checks failed' },
      ],
    },
    {
      name: 'any other error: Target.FailedHealthChecks',
      start: healthy,
      outcomes: [error, error],
      verdict: 'unhealthy',
      reports: [
        { state: 'unhealthy', reason: 'Target.FailedHealthChecks', description: 'Health checks failed' },
      ],
    },
    {
      name: 'healthy stays healthy when a success interrupts the failures',
      start: healthy,
      outcomes: [timeout, ok, timeout, ok],
      verdict: 'healthy',
      reports: [],
    },
    {
      name: 'unhealthy → healthy only after healthyThreshold consecutive successes',
      start: unhealthy,
      outcomes: [ok, ok, code500, ok, ok, ok],
      verdict: 'healthy',
      reports: [{ state: 'healthy' }],
    },
    {
      name: 'unhealthy stays unhealthy (and is not re-reported) on more failures',
      start: unhealthy,
      outcomes: [timeout, code500, refused],
      verdict: 'unhealthy',
      reports: [],
    },
    {
      name: 'a full cycle reports each flip once',
      start: fresh,
      outcomes: [ok, ok, ok, ok, code500, code500, code500, ok, ok, ok],
      verdict: 'healthy',
      reports: [
        { state: 'healthy' },
        {
          state: 'unhealthy',
          reason: 'Target.ResponseCodeMismatch',
          description: 'Health checks failed with these codes: [500]',
        },
        { state: 'healthy' },
      ],
    },
    {
      name: 'a TCP check succeeds when the connection opens',
      start: fresh,
      outcomes: [connected, connected, connected],
      verdict: 'healthy',
      reports: [{ state: 'healthy' }],
    },
  ];
  for (const c of table) {
    it(c.name, () => {
      const { state, reports } = run(hc, c.start, c.outcomes);
      assert.equal(state.verdict, c.verdict);
      assert.deepEqual(reports, c.reports);
    });
  }

  it('matches a range matcher (NLB-style 200-399)', () => {
    const { state } = run(check({ httpCode: '200-399', healthyThreshold: 2 }), fresh, [
      { kind: 'response', status: 302 },
      { kind: 'response', status: 399 },
    ]);
    assert.equal(state.verdict, 'healthy');
  });
});

describe('initialCheckState (a verdict remembered across restarts)', () => {
  it('starts a target the control plane knows as healthy from healthy, without re-reporting it', () => {
    assert.equal(healthy.verdict, 'healthy');
    assert.deepEqual(run(check(), healthy, [ok, ok, ok, ok]).reports, []);
  });
  it('starts a known-unhealthy target from unhealthy, so it must earn healthyThreshold successes', () => {
    assert.equal(unhealthy.verdict, 'unhealthy');
    assert.equal(run(check(), unhealthy, [ok, ok]).state.verdict, 'unhealthy');
  });
  it('starts a new or formerly unavailable target from initial', () => {
    assert.equal(initialCheckState().verdict, 'initial');
    assert.equal(initialCheckState({ state: 'unavailable' }).verdict, 'initial');
  });
});

describe('properties', () => {
  const thresholds = fc.record({
    healthy: fc.integer({ min: 2, max: 10 }),
    unhealthy: fc.integer({ min: 2, max: 10 }),
  });
  const success = fc.constantFrom<ProbeOutcome>(ok, connected, { kind: 'response', status: 200 });
  const failure = fc.constantFrom<ProbeOutcome>(code500, timeout, refused, error, {
    kind: 'response',
    status: 404,
  });
  const outcomes = fc.array(fc.oneof(success, failure), { maxLength: 60 });
  const start = fc.constantFrom(fresh, healthy, unhealthy);

  it('the verdict flips only after exactly the threshold of consecutive outcomes the other way', () => {
    fc.assert(
      fc.property(thresholds, start, outcomes, (t, s, seq) => {
        const hc = check({ healthyThreshold: t.healthy, unhealthyThreshold: t.unhealthy });
        let state = s;
        let successRun = 0;
        let failureRun = 0;
        for (const o of seq) {
          const good = o.kind === 'connected' || (o.kind === 'response' && o.status === 200);
          successRun = good ? successRun + 1 : 0;
          failureRun = good ? 0 : failureRun + 1;
          const step = nextCheckState(hc, state, o);
          const flipped = step.state.verdict !== state.verdict;
          // A flip happens exactly when the run reaches its threshold and the verdict was other.
          const expectHealthy = good && successRun === t.healthy && state.verdict !== 'healthy';
          const expectUnhealthy = !good && failureRun === t.unhealthy && state.verdict !== 'unhealthy';
          assert.equal(flipped, expectHealthy || expectUnhealthy);
          assert.equal(step.report !== undefined, flipped);
          if (flipped) assert.equal(step.report?.state, step.state.verdict);
          state = step.state;
        }
      }),
    );
  });

  it('the verdict never leaves `initial` without a report, and never returns to it', () => {
    fc.assert(
      fc.property(thresholds, outcomes, (t, seq) => {
        const hc = check({ healthyThreshold: t.healthy, unhealthyThreshold: t.unhealthy });
        const { state, reports } = run(hc, fresh, seq);
        assert.equal(state.verdict === 'initial', reports.length === 0);
      }),
    );
  });
});
