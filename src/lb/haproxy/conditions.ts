import type { QueryStringPair, RuleCondition } from '../../core/elbv2/types.js';
import { word } from './names.js';

/**
 * ELB rule conditions as HAProxy ACLs, matching what src/core/elbv2/routing.ts decides for the
 * built-in data plane: one ACL per condition (its values are the ACL's patterns, which HAProxy ORs),
 * and a rule holds when all its ACLs do (HAProxy ANDs ACLs written side by side). Wildcards become
 * PCRE regexes anchored at both ends, as `globMatches` anchors its JavaScript ones.
 */

/** A condition HAProxy cannot express the way ELB means it; the listener is then not served. */
export class UnsupportedCondition extends Error {}

/**
 * ELB's `*`/`?` wildcards (`\*`, `\?` literal) as a regex body; `any` and `one` are what the
 * wildcards may match (everything for headers and paths; no `&`/`=` inside a query pair).
 */
export function globToRegex(pattern: string, any = '.*', one = '.'): string {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charAt(i);
    const next = pattern.charAt(i + 1);
    if (c === '\\' && (next === '*' || next === '?')) {
      source += `\\${next}`;
      i++;
    } else if (c === '*') source += any;
    else if (c === '?') source += one;
    else source += c.replace(/[.+^${}()|[\]\\/-]/g, '\\$&');
  }
  return source;
}

/** `(?s)` as routing.ts's `s` flag: a wildcard matches every character. */
const anchored = (body: string): string => `(?s)^${body}$`;

/** A query pair against the raw query string: `key=value` between `&`s (any key when none is given). */
function queryPairRegex(pair: QueryStringPair): string {
  const value = globToRegex(pair.Value, '[^&]*', '[^&]');
  const key = pair.Key === undefined ? '(?:[^&=]*=)?' : `${globToRegex(pair.Key, '[^&=]*', '[^&=]')}=`;
  return `(?s)(?:^|&)${key}${value}(?:&|$)`;
}

/** Header names are HTTP tokens; only the plain ones can go into a fetch's argument unquoted. */
const SAFE_HEADER = /^[A-Za-z0-9_.-]+$/;

/** The ACL's criterion and patterns (everything after `acl <name> `). */
export function aclFor(condition: RuleCondition): string {
  const patterns = (values: readonly string[]): string => values.map(word).join(' ');
  switch (condition.Field) {
    case 'host-header': {
      const values = condition.HostHeaderConfig?.Values ?? condition.Values ?? [];
      // field(1,:) drops the port as routing.ts's hostWithoutPort does (IPv6 literals aside).
      return `req.hdr(host),field(1,:) -i -m reg ${patterns(values.map((v) => anchored(globToRegex(v))))}`;
    }
    case 'path-pattern': {
      const values = condition.PathPatternConfig?.Values ?? condition.Values ?? [];
      return `path -m reg ${patterns(values.map((v) => anchored(globToRegex(v))))}`;
    }
    case 'http-header': {
      const config = condition.HttpHeaderConfig;
      if (config === undefined || !SAFE_HEADER.test(config.HttpHeaderName)) {
        throw new UnsupportedCondition(
          `http-header condition on '${config?.HttpHeaderName ?? ''}': only letters, digits, '-', '_' and '.' are supported in header names`,
        );
      }
      // fhdr: every occurrence whole, not split at commas (node joins them; ELB matches the value).
      const values = config.Values.map((v) => anchored(globToRegex(v)));
      return `req.fhdr(${config.HttpHeaderName}) -i -m reg ${patterns(values)}`;
    }
    case 'http-request-method':
      return `method -m str ${patterns(condition.HttpRequestMethodConfig?.Values ?? [])}`;
    case 'query-string':
      return `query -i -m reg ${patterns((condition.QueryStringConfig?.Values ?? []).map(queryPairRegex))}`;
    case 'source-ip':
      return `src ${patterns(condition.SourceIpConfig?.Values ?? [])}`;
  }
}
