import type { ModelTarget, ModelTargetGroup } from '../../core/elbv2/data-plane.js';

/**
 * Names and words for haproxy.cfg. HAProxy allows only `[A-Za-z0-9_.:-]` in proxy and server
 * names, and its config parser expands `$VAR` and backslash escapes inside double quotes; every
 * name is derived from ARN ids and every user-supplied string goes through `word`, so nothing a
 * client put into the model can change the config's structure.
 */

const UNSAFE = /[^A-Za-z0-9_.-]/g;

/** The last path segment of an ARN (the 16-hex id), with its name: `targetgroup/web/0123…` → `web-0123…`. */
function nameAndId(arn: string): string {
  const parts = arn.split('/');
  const tail = parts.slice(-2).join('-');
  return tail.replace(UNSAFE, '_');
}

/** The backend of a target group: ELB's name and id, both already in HAProxy's character set. */
export function backendName(group: Pick<ModelTargetGroup, 'arn'>): string {
  return `tg-${nameAndId(group.arn)}`;
}

/** A listener's frontend: a port is unique across all load balancers, so it names the frontend. */
export function frontendName(port: number): string {
  return `ln-${port}`;
}

/** A server in a backend: the target's id (an IP or an instance id) and port; unique per group. */
export function serverName(target: Pick<ModelTarget, 'id' | 'port'>): string {
  return `${target.id.replace(UNSAFE, '_')}_${target.port}`;
}

/**
 * One config word holding `text` literally. Single quotes disable every expansion in HAProxy's
 * parser, so they are used unless the text itself contains one; then double quotes with `\`, `"`
 * and `$` escaped. A newline cannot appear in a config line: it is written as `\n` inside double
 * quotes, which the parser turns back into a newline.
 */
export function word(text: string): string {
  if (!/['\r\n]/.test(text)) return `'${text}'`;
  const escaped = text
    .replace(/[\\"$]/g, '\\$&')
    .replace(/\r/g, '\\r')
    .replace(/\n/g, '\\n');
  return `"${escaped}"`;
}

/** Text placed literally inside a log-format string (a redirect Location): `%` is doubled. */
export function logFormatLiteral(text: string): string {
  return text.replace(/%/g, '%%');
}

/** What a backend/server pair in `show stat` stands for in the model. */
export interface ServerRef {
  readonly targetGroupArn: string;
  readonly loadBalancerArn: string;
  readonly id: string;
  readonly port: number;
}
