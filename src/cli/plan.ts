import { ECSClient } from '@aws-sdk/client-ecs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { SignedJsonClient } from '../agent/channel/client.js';

/**
 * `berth plan run-task`: the placement dry run. Sends `BerthV1.PlanRunTask` (signed like every
 * call, with the standard AWS credential variables) to the control plane `AWS_ENDPOINT_URL` (or
 * `--endpoint`) names and prints where the tasks would land and why other instances would not take
 * one. Nothing is started or changed. Exit code 0 when every task would be placed, 2 when some
 * would not, 1 on an error (the control plane's code and message on stderr).
 */
export const PLAN_TARGET = 'BerthV1.PlanRunTask';

/** The answer of BerthV1.PlanRunTask (control/ecs/task-plan.ts; the CLI does not import control/). */
interface PlanOutput {
  readonly placements: readonly {
    readonly containerInstanceArn: string;
    readonly ec2InstanceId?: string;
    readonly availabilityZone?: string;
  }[];
  readonly unplaced: number;
  readonly failures: readonly { readonly arn?: string; readonly reason?: string; readonly detail?: string }[];
  readonly evaluated: readonly { readonly containerInstanceArn: string; readonly verdict: string }[];
}

interface PlanFlags {
  cluster?: string;
  taskDefinition: string;
  count: number;
  group?: string;
  overrides?: Record<string, unknown>;
  placementStrategy?: Record<string, string>[];
  placementConstraints?: Record<string, string>[];
  output: 'json' | 'table';
  endpoint?: string;
  region: string;
}

function count(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10) throw new InvalidArgumentError('count is 1 to 10.');
  return n;
}

function json(value: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(value);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
      return parsed as Record<string, unknown>;
    }
  } catch {
    // below
  }
  throw new InvalidArgumentError('expected a JSON object.');
}

/**
 * One `key=value,key=value` item as the AWS CLI's shorthand writes it (`type=spread,field=…`,
 * `type=memberOf,expression="attribute:x in [a, b]"`). Values may be quoted with '…' or "…"; a
 * comma outside quotes that is not followed by `key=` belongs to the value (expressions hold
 * commas). A JSON object is taken as it is.
 */
export function parseShorthand(text: string): Record<string, string> {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    const parsed = json(trimmed);
    return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)]));
  }
  const out: Record<string, string> = {};
  let key: string | undefined;
  let value = '';
  let quote: string | undefined;
  const flush = (): void => {
    if (key === undefined) throw new InvalidArgumentError(`expected key=value in '${text}'.`);
    out[key] = value.trim();
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
      else value += c;
    } else if (key === undefined) {
      const eq = text.indexOf('=', i);
      if (eq < 0) throw new InvalidArgumentError(`expected key=value in '${text}'.`);
      key = text.slice(i, eq).trim();
      i = eq;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === ',' && /^\s*[A-Za-z]+=/.test(text.slice(i + 1))) {
      flush();
      key = undefined;
      value = '';
    } else {
      value += c;
    }
  }
  if (quote !== undefined) throw new InvalidArgumentError(`unclosed quote in '${text}'.`);
  flush();
  return out;
}

function collect(value: string, previous: Record<string, string>[] | undefined): Record<string, string>[] {
  return [...(previous ?? []), parseShorthand(value)];
}

const shortId = (arn: string): string => arn.slice(arn.lastIndexOf('/') + 1);

function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, k) => (widths[k] = Math.max(widths[k] ?? 0, cell.length)));
  return rows
    .map((row) =>
      row
        .map((cell, k) => cell.padEnd(widths[k] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** The table: one line per task placed, then the instances that refused with their reasons and counts (most first; ties by name, so the output is stable). */
export function formatPlan(plan: PlanOutput, requested: number): string {
  const lines: string[] = [];
  lines.push(`${plan.placements.length} of ${requested} task${requested === 1 ? '' : 's'} would be placed`);
  if (plan.placements.length > 0) {
    lines.push(
      table([
        ['TASK', 'CONTAINER INSTANCE', 'EC2 INSTANCE', 'ZONE'],
        ...plan.placements.map((p, k) => [
          String(k + 1),
          shortId(p.containerInstanceArn),
          p.ec2InstanceId ?? '-',
          p.availabilityZone ?? '-',
        ]),
      ]),
    );
  }
  if (plan.unplaced > 0) {
    lines.push('', `${plan.unplaced} would not be placed:`);
    if (plan.failures.length > 0) {
      lines.push(
        table([
          ['CONTAINER INSTANCE', 'REASON'],
          ...plan.failures.map((f) => [shortId(f.arn ?? '-'), f.reason ?? '-']),
        ]),
      );
    }
    const counts = new Map<string, number>();
    for (const f of plan.failures) counts.set(f.reason ?? '-', (counts.get(f.reason ?? '-') ?? 0) + 1);
    lines.push(
      '',
      table([
        ['REASON', 'INSTANCES'],
        ...[...counts]
          .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
          .map(([reason, n]) => [reason, String(n)]),
      ]),
    );
  }
  return lines.join('\n') + '\n';
}

export function planCommand(): Command {
  const plan = new Command('plan').description(
    'dry runs: show what a call would do, without starting or changing anything',
  );
  plan
    .command('run-task')
    .description(
      'show where RunTask would place the tasks now, and why other instances would not take one (exit 0: all placed, 2: some not)',
    )
    .option('--cluster <cluster>', 'the cluster (default: default)')
    .requiredOption(
      '--task-definition <family[:revision]>',
      'the task definition (family, family:revision or ARN)',
    )
    .option('--count <n>', 'how many tasks (1–10)', count, 1)
    .option('--group <group>', 'the task group (default family:<family>)')
    .option('--overrides <json>', 'RunTask overrides, as JSON', json)
    .option(
      '--placement-strategy <spec...>',
      'type=spread|binpack|random[,field=…], as for aws ecs run-task (up to 5)',
      collect,
    )
    .option(
      '--placement-constraints <spec...>',
      'type=memberOf,expression="…" or type=distinctInstance (up to 10)',
      collect,
    )
    .addOption(new Option('--output <format>', 'json or table').choices(['json', 'table']).default('table'))
    .option('--endpoint <url>', 'the control plane (default: AWS_ENDPOINT_URL)')
    .option(
      '--region <region>',
      'the region to sign for',
      process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    )
    .action(async (flags: PlanFlags) => {
      const endpoint = flags.endpoint ?? process.env.AWS_ENDPOINT_URL;
      if (!endpoint) throw new Error('no control plane: set AWS_ENDPOINT_URL or pass --endpoint.');
      // The AWS SDK's default credential chain (AWS_ACCESS_KEY_ID, profiles, …), as `berth agent`.
      const sdk = new ECSClient({ endpoint, region: flags.region });
      const client = new SignedJsonClient({
        endpoint,
        region: flags.region,
        credentials: sdk.config.credentials,
      });
      const request = {
        taskDefinition: flags.taskDefinition,
        count: flags.count,
        ...(flags.cluster !== undefined ? { cluster: flags.cluster } : {}),
        ...(flags.group !== undefined ? { group: flags.group } : {}),
        ...(flags.overrides !== undefined ? { overrides: flags.overrides } : {}),
        ...(flags.placementStrategy !== undefined ? { placementStrategy: flags.placementStrategy } : {}),
        ...(flags.placementConstraints !== undefined
          ? { placementConstraints: flags.placementConstraints }
          : {}),
      };
      try {
        const { json: answer } = await client.call(PLAN_TARGET, request, undefined);
        const result = answer as unknown as PlanOutput;
        process.stdout.write(
          flags.output === 'json' ? JSON.stringify(result, null, 2) + '\n' : formatPlan(result, flags.count),
        );
        process.exitCode = result.unplaced > 0 ? 2 : 0;
      } finally {
        sdk.destroy();
      }
    });
  return plan;
}
