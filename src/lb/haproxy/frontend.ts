import type { ModelListener, ModelLoadBalancer } from '../../core/elbv2/data-plane.js';
import { actionLines, isWeighted, PICK_RANGE, type ActionContext } from './actions.js';
import { aclFor } from './conditions.js';
import { frontendName } from './names.js';

/**
 * One listener as a HAProxy frontend. Pure; conditions that HAProxy cannot express throw
 * `UnsupportedCondition` (the caller faults the listener).
 *
 * Rule order: HAProxy runs every `http-request` directive before any `use_backend`, so a
 * fixed-response at priority 5 would beat a forward at priority 1 if both were guarded only by
 * their own conditions. Instead the rules are tried in priority order by `set-var(txn.rule)`
 * directives — each sets the rule's number only while no earlier rule has matched — and every
 * action is guarded by `{ var(txn.rule) -m int eq N }` (the default rule: no number set). The
 * first matching rule wins, as routing.ts's matchRule decides.
 */

export interface FrontendInput {
  readonly listener: ModelListener;
  readonly loadBalancer: ModelLoadBalancer;
  /** The PEM (certificate, chain, key) for HTTPS/TLS listeners. */
  readonly certificatePath?: string;
  readonly backendOf: (targetGroupArn: string) => string;
  /** NLB's idle timeout for TCP/TLS, ALB's for HTTP(S), in seconds. */
  readonly idleSeconds: number;
}

const NO_RULE_YET = '!{ var(txn.rule) -m found }';

export function frontendSection(input: FrontendInput): string[] {
  const { listener, loadBalancer } = input;
  const http = listener.protocol === 'HTTP' || listener.protocol === 'HTTPS';
  const tls = listener.protocol === 'HTTPS' || listener.protocol === 'TLS';
  const address = loadBalancer.scheme === 'internal' ? '127.0.0.1' : '*';
  const ssl =
    tls && input.certificatePath !== undefined
      ? ` ssl crt ${input.certificatePath} ssl-min-ver ${minTlsVersion(listener.sslPolicy)}`
      : '';
  const ctx: ActionContext = {
    mode: http ? 'http' : 'tcp',
    protocol: listener.protocol === 'HTTPS' ? 'https' : 'http',
    port: listener.port,
    pickVar: http ? 'txn.pick' : 'sess.pick',
    backendOf: input.backendOf,
  };
  const lines = [
    `frontend ${frontendName(listener.port)}`,
    `  mode ${ctx.mode}`,
    `  bind ${address}:${listener.port}${ssl}`,
    `  timeout client ${input.idleSeconds}s`,
  ];
  const weighted = listener.rules.some((rule) => rule.actions.some(isWeighted));
  if (!http) {
    // Network load balancers forward only: their default rule is all there is.
    if (weighted) lines.push(`  tcp-request content set-var(sess.pick) rand(${PICK_RANGE})`);
    const defaultRule = listener.rules.find((rule) => rule.isDefault);
    for (const action of defaultRule?.actions ?? []) {
      for (const line of actionLines(action, undefined, ctx)) lines.push(`  ${line}`);
    }
    return lines;
  }
  // ELB's X-Forwarded-*: the client's address appended, the listener's protocol and port set.
  lines.push(
    '  option forwardfor',
    `  http-request set-header X-Forwarded-Proto ${ctx.protocol}`,
    `  http-request set-header X-Forwarded-Port ${listener.port}`,
  );
  if (weighted) lines.push(`  http-request set-var(txn.pick) rand(${PICK_RANGE})`);
  const ruled = listener.rules.filter((rule) => !rule.isDefault);
  ruled.forEach((rule, index) => {
    const acls = rule.conditions.map((condition, c) => {
      const name = `r${index + 1}c${c}`;
      lines.push(`  acl ${name} ${aclFor(condition)}`);
      return name;
    });
    lines.push(`  http-request set-var(txn.rule) int(${index + 1}) if ${[NO_RULE_YET, ...acls].join(' ')}`);
  });
  const guarded = [
    ...ruled.map((rule, index) => ({ rule, cond: `{ var(txn.rule) -m int eq ${index + 1} }` })),
    ...listener.rules.filter((rule) => rule.isDefault).map((rule) => ({ rule, cond: NO_RULE_YET })),
  ];
  for (const { rule, cond } of guarded) {
    for (const action of rule.actions)
      for (const line of actionLines(action, cond, ctx)) lines.push(`  ${line}`);
  }
  return lines;
}

/** ELB policies named `…TLS13-1-3…` allow TLS 1.3 only; the others TLS 1.2 and later. */
function minTlsVersion(policy: string | undefined): string {
  return policy?.includes('TLS13-1-3') ? 'TLSv1.3' : 'TLSv1.2';
}
