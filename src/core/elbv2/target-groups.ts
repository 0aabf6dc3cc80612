import { validationError } from './faults.js';
import type { CreateTargetGroupInput, HealthCheckInput } from './inputs.js';
import { checkPort, checkRange, checkTargetGroupName } from './names.js';
import type { HealthCheck, Protocol, TargetGroupRecord, TargetType } from './types.js';
import { defaultAttributes } from './attributes.js';

/**
 * CreateTargetGroup and ModifyTargetGroup: ELB's defaults per protocol and its range checks.
 * HTTP(S) target groups (application load balancers) check over HTTP(S) on `/` expecting 200;
 * TCP/TLS/UDP ones (network load balancers) check with a TCP connect, or HTTP expecting 200-399.
 */
export const PROTOCOLS: readonly Protocol[] = ['HTTP', 'HTTPS', 'TCP', 'TLS', 'UDP'];
const HEALTH_CHECK_PROTOCOLS: readonly Protocol[] = ['HTTP', 'HTTPS', 'TCP'];

export const isHttp = (protocol: Protocol): boolean => protocol === 'HTTP' || protocol === 'HTTPS';

export function parseProtocol(value: string, what = 'Protocol'): Protocol {
  const found = PROTOCOLS.find((p) => p === value);
  if (!found) {
    throw validationError(`${what} '${value}' must be one of: ${PROTOCOLS.join(', ')}`);
  }
  return found;
}

function parseTargetType(value: string | undefined): TargetType {
  if (value === undefined || value === 'instance' || value === 'ip') return value ?? 'instance';
  if (value === 'lambda' || value === 'alb') {
    throw validationError(`Berth does not support target type '${value}'; use 'instance' or 'ip'`);
  }
  throw validationError(`Target type '${value}' must be one of: instance, ip`);
}

export function newTargetGroup(
  input: CreateTargetGroupInput,
  ids: { readonly arn: string; readonly now: number },
): TargetGroupRecord {
  checkTargetGroupName(input.Name);
  const targetType = parseTargetType(input.TargetType);
  if (input.Protocol === undefined) {
    throw validationError(`A protocol must be specified for target groups with target type '${targetType}'`);
  }
  if (input.Port === undefined) {
    throw validationError(`A port must be specified for target groups with target type '${targetType}'`);
  }
  const protocol = parseProtocol(input.Protocol);
  checkPort(input.Port);
  const protocolVersion = input.ProtocolVersion;
  if (protocolVersion !== undefined) {
    if (!isHttp(protocol)) {
      throw validationError('A protocol version can only be specified for HTTP and HTTPS target groups');
    }
    if (protocolVersion !== 'HTTP1') {
      throw validationError(`Berth supports protocol version 'HTTP1' only, not '${protocolVersion}'`);
    }
  }
  const ipAddressType = input.IpAddressType ?? 'ipv4';
  if (ipAddressType !== 'ipv4' && ipAddressType !== 'ipv6') {
    throw validationError(`IP address type '${ipAddressType}' must be one of: ipv4, ipv6`);
  }
  return {
    arn: ids.arn,
    name: input.Name,
    protocol,
    port: input.Port,
    targetType,
    ...(isHttp(protocol) ? { protocolVersion: protocolVersion ?? 'HTTP1' } : {}),
    ipAddressType,
    healthCheck: applyHealthCheck(defaultHealthCheck(protocol), input, protocol, targetType),
    attributes: defaultAttributes(protocol),
    createdAt: ids.now,
    version: 1,
  };
}

export function defaultHealthCheck(protocol: Protocol): HealthCheck {
  if (isHttp(protocol)) {
    return {
      protocol,
      port: 'traffic-port',
      enabled: true,
      path: '/',
      intervalSeconds: 30,
      timeoutSeconds: 5,
      healthyThreshold: 5,
      unhealthyThreshold: 2,
      httpCode: '200',
    };
  }
  return {
    protocol: 'TCP',
    port: 'traffic-port',
    enabled: true,
    intervalSeconds: 30,
    timeoutSeconds: 10,
    healthyThreshold: 5,
    unhealthyThreshold: 2,
  };
}

/** ModifyTargetGroup: the health-check members given replace the stored ones, checked together. */
export function modifyTargetGroup(record: TargetGroupRecord, input: HealthCheckInput): TargetGroupRecord {
  return {
    ...record,
    healthCheck: applyHealthCheck(record.healthCheck, input, record.protocol, record.targetType),
    version: record.version + 1,
  };
}

function applyHealthCheck(
  current: HealthCheck,
  input: HealthCheckInput,
  protocol: Protocol,
  targetType: TargetType,
): HealthCheck {
  const checkProtocol =
    input.HealthCheckProtocol === undefined
      ? current.protocol
      : parseProtocol(input.HealthCheckProtocol, 'Health check protocol');
  if (!HEALTH_CHECK_PROTOCOLS.includes(checkProtocol)) {
    throw validationError(`Health check protocol '${checkProtocol}' must be one of: HTTP, HTTPS, TCP`);
  }
  if (isHttp(protocol) && checkProtocol === 'TCP') {
    throw validationError(
      `Health check protocol 'TCP' is not supported for target groups with protocol '${protocol}'`,
    );
  }
  const httpCheck = isHttp(checkProtocol);
  // Switching a network target group's check from TCP to HTTP brings HTTP's defaults along.
  const base: HealthCheck =
    httpCheck && current.path === undefined
      ? { ...current, path: '/', httpCode: isHttp(protocol) ? '200' : '200-399' }
      : current;
  const port = input.HealthCheckPort ?? base.port;
  if (port !== 'traffic-port') {
    if (!/^\d+$/.test(port))
      throw validationError(`Health check port '${port}' must be 'traffic-port' or a port number`);
    checkPort(Number(port), 'HealthCheckPort');
  }
  const enabled = input.HealthCheckEnabled ?? base.enabled;
  if (!enabled) {
    throw validationError(
      `Health checks cannot be disabled for target groups with target type '${targetType}'`,
    );
  }
  const intervalSeconds = input.HealthCheckIntervalSeconds ?? base.intervalSeconds;
  const timeoutSeconds = input.HealthCheckTimeoutSeconds ?? base.timeoutSeconds;
  const healthyThreshold = input.HealthyThresholdCount ?? base.healthyThreshold;
  const unhealthyThreshold = input.UnhealthyThresholdCount ?? base.unhealthyThreshold;
  checkRange(intervalSeconds, 5, 300, 'Health check interval');
  checkRange(timeoutSeconds, 2, 120, 'Health check timeout');
  checkRange(healthyThreshold, 2, 10, 'Healthy threshold count');
  checkRange(unhealthyThreshold, 2, 10, 'Unhealthy threshold count');
  if (timeoutSeconds >= intervalSeconds) {
    throw validationError('Health check timeout must be smaller than the interval');
  }
  if (!httpCheck) {
    if (input.HealthCheckPath !== undefined || input.Matcher !== undefined) {
      throw validationError(
        'Health check path and matcher can only be specified for HTTP and HTTPS health checks',
      );
    }
    return {
      protocol: checkProtocol,
      port,
      enabled,
      intervalSeconds,
      timeoutSeconds,
      healthyThreshold,
      unhealthyThreshold,
    };
  }
  const path = input.HealthCheckPath ?? base.path ?? '/';
  if (!path.startsWith('/') || path.length > 1024) {
    throw validationError(`Health check path '${path}' must begin with '/' and be at most 1024 characters`);
  }
  if (input.Matcher?.GrpcCode !== undefined) {
    throw validationError('A gRPC code matcher requires protocol version GRPC, which Berth does not support');
  }
  const httpCode = input.Matcher?.HttpCode ?? base.httpCode ?? '200';
  checkHttpCode(httpCode, isHttp(protocol) ? 499 : 599);
  return {
    protocol: checkProtocol,
    port,
    enabled,
    path,
    intervalSeconds,
    timeoutSeconds,
    healthyThreshold,
    unhealthyThreshold,
    httpCode,
  };
}

/** `200`, `200,202`, `200-299`: codes from 200 to `max` (499 for ALB target groups, 599 for NLB). */
function checkHttpCode(value: string, max: number): void {
  const inRange = (code: string): boolean =>
    /^\d{3}$/.test(code) && Number(code) >= 200 && Number(code) <= max;
  const ok = value.split(',').every((part) => {
    const range = part.split('-');
    if (range.length === 1) return inRange(part);
    const [lo = '', hi = ''] = range;
    return range.length === 2 && inRange(lo) && inRange(hi) && Number(lo) <= Number(hi);
  });
  if (!ok) {
    throw validationError(
      `Health check matcher HTTP code '${value}' must be codes or ranges between 200 and ${max}`,
    );
  }
}
