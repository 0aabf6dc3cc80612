import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';

/**
 * CPU profiling of a server child, scoped to what the parent asks for: the same V8 profile
 * `node --cpu-prof` writes, but started and stopped around one measured case (so seeding, idle
 * time and the other server's turn stay out of it). Profiles open in Chrome DevTools / speedscope.
 */
export class CaseProfiler {
  private session: Session | undefined;

  async start(): Promise<string> {
    if (this.session) return 'already profiling';
    const session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 });
    await session.post('Profiler.start');
    this.session = session;
    return 'profiling';
  }

  async stop(file: string): Promise<string> {
    const session = this.session;
    if (!session) return 'not profiling';
    this.session = undefined;
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    writeFileSync(file, JSON.stringify(profile));
    return file;
  }
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}
export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface CostLine {
  readonly percent: number;
  readonly name: string;
}

/**
 * The functions a profile spent most time in: by self time, and inclusive of callees, as shares
 * of the busy (non-idle) time. The samples are wall-clock: on a loaded machine a function that was
 * running when the process got descheduled is charged for the wait, so read the shares as hints.
 */
export function topCosts(profile: CpuProfile, limit: number): { self: CostLine[]; inclusive: CostLine[] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (n: ProfileNode): string => {
    const url = n.callFrame.url
      .replace(/^.*node_modules\//, '')
      .replace(/^file:\/\/.*?\/(src|bench)\//, '$1/');
    return `${n.callFrame.functionName || '(anonymous)'} ${url}${url ? `:${n.callFrame.lineNumber + 1}` : ''}`;
  };
  const timeOf = new Map<number, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    if (byId.get(id)?.callFrame.functionName === '(idle)') return;
    const dt = profile.timeDeltas[i] ?? 0;
    timeOf.set(id, (timeOf.get(id) ?? 0) + dt);
    total += dt;
  });
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, t] of timeOf) {
    const node = byId.get(id)!;
    self.set(label(node), (self.get(label(node)) ?? 0) + t);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const name = label(byId.get(cur)!);
      if (seen.has(name)) continue;
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + t);
    }
  }
  const top = (m: Map<string, number>): CostLine[] =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([name, t]) => ({ percent: (100 * t) / total, name }));
  return { self: top(self), inclusive: top(inclusive) };
}
