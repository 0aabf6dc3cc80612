import { validationError } from './faults.js';
import type { ConditionInput } from './inputs.js';
import type { ConditionField, QueryStringPair, RuleCondition } from './types.js';

/**
 * Rule conditions as ELB checks them: at most one each of host-header, path-pattern,
 * http-request-method and source-ip (http-header and query-string may repeat); at most five values
 * across a rule's conditions; host-header and path-pattern take `Values` or their config, the others
 * their config only. Normalized as ELB answers: the config is always filled, `Values` echoed for
 * the two legacy fields.
 */
const SINGLE: readonly ConditionField[] = ['host-header', 'path-pattern', 'http-request-method', 'source-ip'];
const FIELDS: readonly ConditionField[] = [...SINGLE, 'http-header', 'query-string'];
const MAX_VALUES_PER_RULE = 5;

const HOST = /^[A-Za-z0-9\-.*?]{1,128}$/;
const PATH = /^[A-Za-z0-9_\-.$/~"'@:+&*?]{1,128}$/;
const METHOD = /^[A-Z_-]{1,40}$/;
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]{1,40}$/;
const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
const IPV6_CIDR = /^[0-9A-Fa-f:]+\/(\d{1,3})$/;

export function normalizeConditions(inputs: readonly ConditionInput[]): RuleCondition[] {
  if (inputs.length === 0) throw validationError('A rule must have at least one condition');
  const seen = new Set<ConditionField>();
  let values = 0;
  const conditions = inputs.map((input) => {
    const field = FIELDS.find((f) => f === input.Field);
    if (!field) {
      throw validationError(`Condition field '${input.Field ?? ''}' must be one of: ${FIELDS.join(', ')}`);
    }
    if (SINGLE.includes(field) && seen.has(field)) {
      throw validationError(`A rule can have only one '${field}' condition`);
    }
    seen.add(field);
    const condition = normalize(field, input);
    values += countValues(condition);
    return condition;
  });
  if (values > MAX_VALUES_PER_RULE) {
    throw validationError(`A rule can have at most '${MAX_VALUES_PER_RULE}' condition values`);
  }
  return conditions;
}

function normalize(field: ConditionField, input: ConditionInput): RuleCondition {
  switch (field) {
    case 'host-header': {
      const values = legacyOrConfig(field, input.Values, input.HostHeaderConfig?.Values);
      check(values, HOST, 'host-header', 'A-Z, a-z, 0-9, - . * ?');
      return { Field: field, Values: values, HostHeaderConfig: { Values: values } };
    }
    case 'path-pattern': {
      const values = legacyOrConfig(field, input.Values, input.PathPatternConfig?.Values);
      check(values, PATH, 'path-pattern', 'A-Z, a-z, 0-9, _ - . $ / ~ " \' @ : + & * ?');
      return { Field: field, Values: values, PathPatternConfig: { Values: values } };
    }
    case 'http-header': {
      const config = configOnly(field, input.Values, input.HttpHeaderConfig);
      const name = config.HttpHeaderName ?? '';
      if (!HEADER_NAME.test(name)) {
        throw validationError(`HTTP header name '${name}' is not valid: 1–40 characters of a header token`);
      }
      const values = nonEmpty(field, config.Values);
      checkLength(values, 128, field);
      return { Field: field, HttpHeaderConfig: { HttpHeaderName: name, Values: values } };
    }
    case 'http-request-method': {
      const values = nonEmpty(field, configOnly(field, input.Values, input.HttpRequestMethodConfig).Values);
      check(values, METHOD, field, 'A-Z, _ -');
      return { Field: field, HttpRequestMethodConfig: { Values: values } };
    }
    case 'query-string': {
      const given = configOnly(field, input.Values, input.QueryStringConfig).Values ?? [];
      if (given.length === 0) throw validationError(`A '${field}' condition must have at least one value`);
      const pairs: QueryStringPair[] = given.map((p) => {
        if (p.Value === undefined || p.Value === '')
          throw validationError('Each query-string condition value needs a Value');
        checkLength([p.Value, p.Key ?? ''], 128, field);
        return p.Key === undefined ? { Value: p.Value } : { Key: p.Key, Value: p.Value };
      });
      return { Field: field, QueryStringConfig: { Values: pairs } };
    }
    case 'source-ip': {
      const values = nonEmpty(field, configOnly(field, input.Values, input.SourceIpConfig).Values);
      for (const v of values) {
        if (!isCidr(v)) throw validationError(`Source IP '${v}' must be a CIDR block such as 192.0.2.0/24`);
      }
      return { Field: field, SourceIpConfig: { Values: values } };
    }
  }
}

function legacyOrConfig(
  field: ConditionField,
  legacy: readonly string[] | undefined,
  config: readonly string[] | undefined,
): string[] {
  if (legacy !== undefined && config !== undefined) {
    throw validationError(`A '${field}' condition takes either Values or its config, not both`);
  }
  return nonEmpty(field, legacy ?? config);
}

function configOnly<T>(
  field: ConditionField,
  legacy: readonly string[] | undefined,
  config: T | undefined,
): T {
  if (legacy !== undefined) {
    throw validationError(`A '${field}' condition takes its config, not Values`);
  }
  if (config === undefined) throw validationError(`A '${field}' condition must have its config`);
  return config;
}

function nonEmpty(field: ConditionField, values: readonly string[] | undefined): string[] {
  if (!values || values.length === 0)
    throw validationError(`A '${field}' condition must have at least one value`);
  return [...values];
}

function check(values: readonly string[], pattern: RegExp, field: string, allowed: string): void {
  for (const v of values) {
    if (!pattern.test(v)) {
      throw validationError(`Condition '${field}' value '${v}' must be 1–128 characters of: ${allowed}`);
    }
  }
}

function checkLength(values: readonly string[], max: number, field: string): void {
  for (const v of values) {
    if (v.length > max)
      throw validationError(`Condition '${field}' values cannot be longer than ${max} characters`);
  }
}

function countValues(c: RuleCondition): number {
  return (
    (c.HostHeaderConfig?.Values.length ?? 0) +
    (c.PathPatternConfig?.Values.length ?? 0) +
    (c.HttpHeaderConfig?.Values.length ?? 0) +
    (c.HttpRequestMethodConfig?.Values.length ?? 0) +
    (c.QueryStringConfig?.Values.length ?? 0) +
    (c.SourceIpConfig?.Values.length ?? 0)
  );
}

function isCidr(value: string): boolean {
  const v4 = IPV4_CIDR.exec(value);
  if (v4) {
    const [, a, b, c, d, bits] = v4;
    return [a, b, c, d].every((o) => Number(o) <= 255) && Number(bits) <= 32;
  }
  const v6 = IPV6_CIDR.exec(value);
  return v6 !== null && Number(v6[1]) <= 128 && value.includes(':');
}
