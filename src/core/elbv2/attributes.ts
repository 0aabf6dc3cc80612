import { validationError, elbFault } from './faults.js';
import type { AttributeInput } from './inputs.js';
import type { Protocol, TargetGroupAttributes } from './types.js';

/**
 * Target-group attributes Berth serves, with ELB's defaults and value rules. Every stored target
 * group carries all of them, so DescribeTargetGroupAttributes answers defaults as ELB does.
 * Application (HTTP/HTTPS) target groups have slow start, the algorithm and lb_cookie stickiness;
 * network ones (TCP/TLS/UDP) have source_ip stickiness only.
 */
export const DEREGISTRATION_DELAY = 'deregistration_delay.timeout_seconds';
const SLOW_START = 'slow_start.duration_seconds';
const ALGORITHM = 'load_balancing.algorithm.type';
const STICKINESS = 'stickiness.enabled';
const STICKINESS_TYPE = 'stickiness.type';
const COOKIE_DURATION = 'stickiness.lb_cookie.duration_seconds';

const isHttp = (p: Protocol): boolean => p === 'HTTP' || p === 'HTTPS';

export function defaultAttributes(protocol: Protocol): TargetGroupAttributes {
  if (!isHttp(protocol)) {
    return { [DEREGISTRATION_DELAY]: '300', [STICKINESS]: 'false', [STICKINESS_TYPE]: 'source_ip' };
  }
  return {
    [DEREGISTRATION_DELAY]: '300',
    [SLOW_START]: '0',
    [ALGORITHM]: 'round_robin',
    [STICKINESS]: 'false',
    [STICKINESS_TYPE]: 'lb_cookie',
    [COOKIE_DURATION]: '86400',
  };
}

const wholeIn = (lo: number, hi: number) => (v: string) =>
  /^\d+$/.test(v) && Number(v) >= lo && Number(v) <= hi;

/** Per key: whether a value is acceptable, and the words ELB uses when it is not. */
const RULES: Readonly<
  Record<string, { readonly ok: (value: string, protocol: Protocol) => boolean; readonly expect: string }>
> = {
  [DEREGISTRATION_DELAY]: { ok: wholeIn(0, 3600), expect: 'an integer between 0 and 3600' },
  [SLOW_START]: { ok: (v) => v === '0' || wholeIn(30, 900)(v), expect: '0 or an integer between 30 and 900' },
  [ALGORITHM]: {
    ok: (v) => v === 'round_robin' || v === 'least_outstanding_requests',
    expect: "one of 'round_robin', 'least_outstanding_requests'",
  },
  [STICKINESS]: { ok: (v) => v === 'true' || v === 'false', expect: "'true' or 'false'" },
  [STICKINESS_TYPE]: {
    ok: (v, p) => v === (isHttp(p) ? 'lb_cookie' : 'source_ip'),
    expect: "'lb_cookie' for HTTP and HTTPS target groups, 'source_ip' for TCP, TLS and UDP ones",
  },
  [COOKIE_DURATION]: { ok: wholeIn(1, 604800), expect: 'an integer between 1 and 604800' },
};

/**
 * ModifyTargetGroupAttributes: the given keys replace the stored values, all checked before any is
 * applied; unknown keys (or keys of the other load-balancer type) are a ValidationError.
 */
export function modifyAttributes(
  current: TargetGroupAttributes,
  protocol: Protocol,
  changes: readonly AttributeInput[],
): TargetGroupAttributes {
  if (changes.length === 0) throw validationError('At least one attribute must be specified');
  const next: Record<string, string> = { ...current };
  for (const { Key, Value } of changes) {
    if (Key === undefined || Value === undefined)
      throw validationError('Each attribute must have a key and a value');
    const rule = RULES[Key];
    if (!rule || !(Key in current)) {
      throw validationError(`Target group attribute key '${Key}' is not recognized`);
    }
    if (!rule.ok(Value, protocol)) {
      throw validationError(
        `Target group attribute '${Key}' value '${Value}' is not valid: it must be ${rule.expect}`,
      );
    }
    next[Key] = Value;
  }
  if (next[ALGORITHM] === 'least_outstanding_requests' && next[SLOW_START] !== '0') {
    throw elbFault(
      'InvalidConfigurationRequest',
      'Slow start mode is not supported with the least outstanding requests load balancing algorithm',
    );
  }
  return next;
}

/** How long a deregistered target drains, in milliseconds. */
export function drainMs(attributes: TargetGroupAttributes): number {
  return Number(attributes[DEREGISTRATION_DELAY] ?? '300') * 1000;
}
