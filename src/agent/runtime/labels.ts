/** Label selection shared by both runtimes: every given key present, with the given value when one is set. */
export type LabelSelector = Readonly<Record<string, string | undefined>>;

export function matchesLabels(
  labels: Readonly<Record<string, string>>,
  selector: LabelSelector | undefined,
): boolean {
  if (selector === undefined) return true;
  for (const [key, value] of Object.entries(selector)) {
    const actual = labels[key];
    if (actual === undefined || (value !== undefined && actual !== value)) return false;
  }
  return true;
}

/** Docker's `label` filter form: `key` or `key=value`. */
export function labelFilters(selector: LabelSelector | undefined): string[] {
  if (selector === undefined) return [];
  return Object.entries(selector).map(([key, value]) => (value === undefined ? key : `${key}=${value}`));
}
