import { elbFault, validationError } from './faults.js';
import type { ActionInput } from './inputs.js';
import type { Action, ForwardConfig, LoadBalancerType, Protocol, RedirectConfig } from './types.js';

/**
 * Listener default actions and rule actions. A list holds exactly one terminal action (forward,
 * redirect, fixed-response) and it comes last in `Order`; Berth has no authenticate-* actions yet.
 * Network load balancers forward only. Forwarding is normalized as ELB answers it: a ForwardConfig
 * always, and TargetGroupArn too when exactly one target group is named.
 */
const MAX_TARGET_GROUPS_PER_FORWARD = 5;
const CONTENT_TYPES = ['text/plain', 'text/css', 'text/html', 'application/javascript', 'application/json'];

export function normalizeActions(inputs: readonly ActionInput[], lbType: LoadBalancerType): Action[] {
  if (inputs.length === 0) throw validationError('At least one action must be specified');
  const orders = new Set<number>();
  const actions = inputs.map((input, i) => {
    const order = input.Order ?? i + 1;
    if (!Number.isInteger(order) || order < 1 || order > 50000) {
      throw validationError(`Action order '${order}' must be between 1 and 50000`);
    }
    if (orders.has(order)) throw validationError(`Action order '${order}' is used more than once`);
    orders.add(order);
    return normalizeAction(input, order, lbType);
  });
  if (actions.length > 1) {
    throw elbFault(
      'TooManyActions',
      'Berth supports exactly one action per rule (forward, redirect or fixed-response)',
    );
  }
  return actions.sort((a, b) => a.Order - b.Order);
}

function normalizeAction(input: ActionInput, Order: number, lbType: LoadBalancerType): Action {
  switch (input.Type) {
    case 'forward':
      return forward(input, Order);
    case 'redirect':
    case 'fixed-response':
      if (lbType === 'network') {
        throw elbFault(
          'InvalidLoadBalancerAction',
          `Action type '${input.Type}' is not supported for network load balancers`,
        );
      }
      return input.Type === 'redirect' ? redirect(input, Order) : fixedResponse(input, Order);
    case 'authenticate-oidc':
    case 'authenticate-cognito':
    case 'jwt-validation':
      throw elbFault('InvalidLoadBalancerAction', `Berth does not support '${input.Type}' actions`);
    default:
      throw validationError(`Action type '${input.Type}' must be one of: forward, redirect, fixed-response`);
  }
}

function forward(input: ActionInput, Order: number): Action {
  const tuples = input.ForwardConfig?.TargetGroups ?? [];
  if (input.TargetGroupArn === undefined && tuples.length === 0) {
    throw validationError('A forward action must specify a target group ARN or a forward configuration');
  }
  if (tuples.length > MAX_TARGET_GROUPS_PER_FORWARD) {
    throw validationError(`A forward action can name at most ${MAX_TARGET_GROUPS_PER_FORWARD} target groups`);
  }
  const targetGroups = tuples.map((t) => {
    if (t.TargetGroupArn === undefined)
      throw validationError('Each target group in a forward configuration needs a TargetGroupArn');
    const weight = t.Weight ?? 1;
    if (!Number.isInteger(weight) || weight < 0 || weight > 999) {
      throw validationError(`Target group weight '${weight}' must be between 0 and 999`);
    }
    return { TargetGroupArn: t.TargetGroupArn, Weight: weight };
  });
  if (new Set(targetGroups.map((t) => t.TargetGroupArn)).size !== targetGroups.length) {
    throw validationError('A target group can be specified only once in a forward configuration');
  }
  if (input.TargetGroupArn !== undefined && targetGroups.length > 0) {
    // ELB accepts both only when they say the same thing.
    if (targetGroups.length !== 1 || targetGroups[0]?.TargetGroupArn !== input.TargetGroupArn) {
      throw validationError(
        'You cannot specify both a target group ARN and a forward configuration with other target groups',
      );
    }
  }
  const all =
    targetGroups.length > 0 ? targetGroups : [{ TargetGroupArn: input.TargetGroupArn ?? '', Weight: 1 }];
  const stickiness = input.ForwardConfig?.TargetGroupStickinessConfig;
  let stickinessConfig: ForwardConfig['TargetGroupStickinessConfig'] = { Enabled: false };
  if (stickiness?.Enabled === true) {
    const duration = stickiness.DurationSeconds;
    if (duration === undefined || !Number.isInteger(duration) || duration < 1 || duration > 604800) {
      throw validationError('Target group stickiness duration must be between 1 and 604800 seconds');
    }
    stickinessConfig = { Enabled: true, DurationSeconds: duration };
  }
  const single = all.length === 1 ? all[0]?.TargetGroupArn : undefined;
  return {
    Type: 'forward',
    Order,
    ...(single !== undefined ? { TargetGroupArn: single } : {}),
    ForwardConfig: { TargetGroups: all, TargetGroupStickinessConfig: stickinessConfig },
  };
}

function redirect(input: ActionInput, Order: number): Action {
  const given = input.RedirectConfig;
  if (!given) throw validationError('A redirect action must have a redirect configuration');
  if (given.StatusCode !== 'HTTP_301' && given.StatusCode !== 'HTTP_302') {
    throw validationError(`Redirect status code '${given.StatusCode}' must be one of: HTTP_301, HTTP_302`);
  }
  const config: RedirectConfig = {
    Protocol: given.Protocol ?? '#{protocol}',
    Port: given.Port ?? '#{port}',
    Host: given.Host ?? '#{host}',
    Path: given.Path ?? '/#{path}',
    Query: given.Query ?? '#{query}',
    StatusCode: given.StatusCode,
  };
  if (!['#{protocol}', 'HTTP', 'HTTPS'].includes(config.Protocol)) {
    throw validationError(`Redirect protocol '${config.Protocol}' must be one of: HTTP, HTTPS, #{protocol}`);
  }
  if (!config.Path.startsWith('/'))
    throw validationError(`Redirect path '${config.Path}' must start with '/'`);
  if (
    config.Protocol === '#{protocol}' &&
    config.Port === '#{port}' &&
    config.Host === '#{host}' &&
    config.Path === '/#{path}' &&
    config.Query === '#{query}'
  ) {
    throw elbFault(
      'InvalidLoadBalancerAction',
      'The redirect configuration is not valid: it would redirect to itself',
    );
  }
  return { Type: 'redirect', Order, RedirectConfig: config };
}

function fixedResponse(input: ActionInput, Order: number): Action {
  const given = input.FixedResponseConfig;
  if (!given) throw validationError('A fixed-response action must have a fixed-response configuration');
  if (!/^[245]\d\d$/.test(given.StatusCode)) {
    throw validationError(`Fixed-response status code '${given.StatusCode}' must be a 2XX, 4XX or 5XX code`);
  }
  if (given.ContentType !== undefined && !CONTENT_TYPES.includes(given.ContentType)) {
    throw validationError(
      `Fixed-response content type '${given.ContentType}' must be one of: ${CONTENT_TYPES.join(', ')}`,
    );
  }
  if (given.MessageBody !== undefined && given.MessageBody.length > 1024) {
    throw validationError('Fixed-response message body cannot be longer than 1024 characters');
  }
  return {
    Type: 'fixed-response',
    Order,
    FixedResponseConfig: {
      StatusCode: given.StatusCode,
      ...(given.ContentType !== undefined ? { ContentType: given.ContentType } : {}),
      ...(given.MessageBody !== undefined ? { MessageBody: given.MessageBody } : {}),
    },
  };
}

/** The target groups a list of actions forwards to. */
export function forwardedTargetGroups(actions: readonly Action[]): string[] {
  const arns = actions.flatMap((a) =>
    a.Type === 'forward' ? a.ForwardConfig.TargetGroups.map((t) => t.TargetGroupArn) : [],
  );
  return [...new Set(arns)];
}

/** Which target-group protocols a listener protocol may forward to. */
const FORWARDS_TO: Record<Protocol, readonly Protocol[]> = {
  HTTP: ['HTTP', 'HTTPS'],
  HTTPS: ['HTTP', 'HTTPS'],
  TCP: ['TCP'],
  TLS: ['TCP', 'TLS'],
  UDP: ['UDP'],
};

/**
 * Checks the forwarded-to target groups against the listener: protocols that fit, and each target
 * group used by no other load balancer (ELB's one-load-balancer-per-target-group rule).
 */
export function checkForwardTargets(
  listenerProtocol: Protocol,
  loadBalancerArn: string,
  targetGroups: readonly {
    readonly arn: string;
    readonly protocol: Protocol;
    readonly usedBy: readonly string[];
  }[],
): void {
  for (const tg of targetGroups) {
    if (!FORWARDS_TO[listenerProtocol].includes(tg.protocol)) {
      throw elbFault(
        'IncompatibleProtocols',
        `Listener protocol '${listenerProtocol}' is not compatible with target group protocol '${tg.protocol}' (${tg.arn})`,
      );
    }
  }
  const elsewhere = targetGroups.filter((tg) => tg.usedBy.some((lb) => lb !== loadBalancerArn));
  if (elsewhere.length > 0) {
    throw elbFault(
      'TargetGroupAssociationLimit',
      `The following target groups cannot be associated with more than one load balancer: ${elsewhere.map((t) => t.arn).join(', ')}`,
    );
  }
}
