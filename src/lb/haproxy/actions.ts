import type { Action, FixedResponseConfig, ForwardConfig, RedirectConfig } from '../../core/elbv2/types.js';
import { logFormatLiteral, word } from './names.js';

/**
 * ELB's rule actions as HAProxy directives, each guarded by `cond` (which rule won, see
 * frontend.ts; undefined: unconditional). Pure. `backendOf` names a target group's backend.
 */

/** Where a forward picks among several groups: one random number per request/connection in [0, PICK_RANGE). */
export const PICK_RANGE = 1_000_000;

export interface ActionContext {
  readonly mode: 'http' | 'tcp';
  /** The listener's own protocol and port: what `#{protocol}` and `#{port}` stand for. */
  readonly protocol: 'http' | 'https';
  readonly port: number;
  /** The variable holding the random pick (`txn.pick` in HTTP frontends, `sess.pick` in TCP ones). */
  readonly pickVar: string;
  readonly backendOf: (targetGroupArn: string) => string;
}

/** ` if a b` for the conditions given, nothing without any. */
function guard(...conditions: (string | undefined)[]): string {
  const given = conditions.filter((c): c is string => c !== undefined);
  return given.length === 0 ? '' : ` if ${given.join(' ')}`;
}

export function actionLines(action: Action, cond: string | undefined, ctx: ActionContext): string[] {
  switch (action.Type) {
    case 'forward':
      return forwardLines(action.ForwardConfig, cond, ctx);
    case 'fixed-response':
      return [`http-request return ${fixedResponse(action.FixedResponseConfig)}${guard(cond)}`];
    case 'redirect':
      return redirectLines(action.RedirectConfig, cond, ctx);
  }
}

/** Whether a forward spreads over several groups by weight (the frontend then draws the number). */
export function isWeighted(action: Action): boolean {
  return (
    action.Type === 'forward' && action.ForwardConfig.TargetGroups.filter((g) => g.Weight > 0).length > 1
  );
}

/**
 * Weighted forwarding: the frontend draws one number in [0, PICK_RANGE) per request, and each
 * group takes the slice of that range its weight is of the total (`use_backend` in order, the
 * first whose upper bound the number is below). The last group takes the rest, so rounding never
 * leaves a request without a group — routing.ts's chooseTargetGroup, with the draw done by HAProxy.
 */
function forwardLines(config: ForwardConfig, cond: string | undefined, ctx: ActionContext): string[] {
  const groups = config.TargetGroups.filter((g) => g.Weight > 0);
  if (groups.length === 0) {
    // Every weight 0: no group may get the request; ELB answers 503 as for no healthy target.
    return ctx.mode === 'http'
      ? [`http-request return status 503${guard(cond)}`]
      : [`tcp-request content reject${guard(cond)}`];
  }
  const total = groups.reduce((sum, g) => sum + g.Weight, 0);
  let cumulative = 0;
  return groups.map((g, i) => {
    cumulative += g.Weight;
    const bound = Math.floor((cumulative * PICK_RANGE) / total);
    const pick = i === groups.length - 1 ? undefined : `{ var(${ctx.pickVar}) -m int lt ${bound} }`;
    return `use_backend ${ctx.backendOf(g.TargetGroupArn)}${guard(cond, pick)}`;
  });
}

function fixedResponse(config: FixedResponseConfig): string {
  const status = `status ${Number(config.StatusCode)}`;
  const body = config.MessageBody ?? '';
  if (body === '') return status;
  return `${status} content-type ${word(config.ContentType ?? 'text/plain')} string ${word(body)}`;
}

/** A template with ELB's placeholders as a log-format string (HAProxy fills it per request). */
function fill(template: string, ctx: ActionContext): string {
  const parts = template.split(/(#\{(?:protocol|host|port|path|query)\})/);
  return parts
    .map((part) => {
      switch (part) {
        case '#{protocol}':
          return ctx.protocol;
        case '#{host}':
          return '%[req.hdr(host),field(1,:)]';
        case '#{port}':
          return String(ctx.port);
        case '#{path}':
          return '%[path,regsub(^/,)]';
        case '#{query}':
          return '%[query]';
        default:
          return logFormatLiteral(part);
      }
    })
    .join('');
}

/**
 * routing.ts's redirectLocation as a log-format Location. The port is always written. The `?`
 * goes only before a non-empty query: a Query made only of `#{query}` depends on the request,
 * so it becomes two directives (with and without a query string); any other Query is empty or not
 * whatever the request.
 */
function redirectLines(config: RedirectConfig, cond: string | undefined, ctx: ActionContext): string[] {
  const code = config.StatusCode === 'HTTP_301' ? 301 : 302;
  const protocol = config.Protocol === '#{protocol}' ? ctx.protocol : config.Protocol.toLowerCase();
  const path = config.Path.startsWith('/') ? fill(config.Path, ctx) : `/${fill(config.Path, ctx)}`;
  const base = `${logFormatLiteral(protocol)}://${fill(config.Host, ctx)}:${fill(config.Port, ctx)}${path}`;
  const line = (location: string, extra?: string): string =>
    `http-request redirect location ${word(location)} code ${code}${guard(cond, extra)}`;
  if (config.Query === '') return [line(base)];
  if (/^(#\{query\})+$/.test(config.Query)) {
    return [
      line(`${base}?${fill(config.Query, ctx)}`, '{ query -m len gt 0 }'),
      line(base, '!{ query -m len gt 0 }'),
    ];
  }
  return [line(`${base}?${fill(config.Query, ctx)}`)];
}
