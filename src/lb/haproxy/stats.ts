import type { HealthReport } from '../../core/elbv2/types.js';
import type { ServerRef } from './names.js';

/**
 * HAProxy's `show stat` (CSV) read back into ELB's terms — pure: health verdicts per target and
 * the counts the metrics (metrics.ts) are made of.
 */

export type StatRow = Readonly<Record<string, string>>;

/** Rows by column name; the header is the first line, `# pxname,svname,…`. */
export function parseStat(csv: string): StatRow[] {
  const lines = csv.split('\n').filter((line) => line.trim() !== '');
  const header = lines[0];
  if (header === undefined || !header.startsWith('# ')) return [];
  const names = header.slice(2).split(',');
  return lines.slice(1).map((line) => {
    const values = line.split(',');
    return Object.fromEntries(names.map((name, i) => [name, values[i] ?? '']));
  });
}

export const isServer = (row: StatRow): boolean => row.svname !== 'FRONTEND' && row.svname !== 'BACKEND';

/**
 * ELB's verdict for one server, or undefined while HAProxy has not checked it yet (`INI`), when it
 * is not checked or in maintenance. `UP 1/2` (going down) is still healthy and `DOWN 1/2` (going
 * up) still unhealthy: ELB's verdicts also move only after a run of checks.
 */
export function serverVerdict(row: StatRow): HealthReport | undefined {
  // A leading `* ` marks a check in progress.
  const check = (row.check_status ?? '').replace(/^\* /, '');
  const status = row.status ?? '';
  if (check === '' || check === 'INI') return undefined;
  if (status.startsWith('UP') || status === 'NOLB' || status === 'DRAIN') return { state: 'healthy' };
  if (!status.startsWith('DOWN')) return undefined;
  switch (check) {
    case 'L7STS':
      return {
        state: 'unhealthy',
        reason: 'Target.ResponseCodeMismatch',
        description: `Health checks failed with these codes: [${row.check_code ?? ''}]`,
      };
    case 'L4TOUT':
    case 'L6TOUT':
    case 'L7TOUT':
      return { state: 'unhealthy', reason: 'Target.Timeout', description: 'Request timed out' };
    default:
      return { state: 'unhealthy', reason: 'Target.FailedHealthChecks', description: 'Health checks failed' };
  }
}

/** Verdicts of the servers the config knows, by `<backend>/<server>`. */
export function verdicts(
  rows: readonly StatRow[],
  servers: ReadonlyMap<string, ServerRef>,
): Map<string, { readonly ref: ServerRef; readonly report: HealthReport }> {
  const result = new Map<string, { ref: ServerRef; report: HealthReport }>();
  for (const row of rows) {
    if (!isServer(row)) continue;
    const key = `${row.pxname}/${row.svname}`;
    const ref = servers.get(key);
    const report = serverVerdict(row);
    if (ref !== undefined && report !== undefined) result.set(key, { ref, report });
  }
  return result;
}

/** A counter column as a number (empty → 0). */
export const count = (row: StatRow, column: string): number => Number(row[column] || 0);
