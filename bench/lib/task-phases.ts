import type { TraceEvent } from './trace.js';

/**
 * Where one task start (or stop) spent its time: a chain of milestones found in the trace of the
 * Berth process (lib/trace.ts), each the first matching event after the milestone it follows,
 * bracketed by the benchmark's own send and observation times (same clock, another process).
 * The phases are the gaps between consecutive milestones, so they add up to the measured time.
 */
export interface Milestone {
  readonly name: string;
  readonly side: TraceEvent['side'];
  readonly edge: TraceEvent['edge'];
  readonly what: string | RegExp;
  /**
   * A step the agent may skip (e.g. the image inspect when it already knows the image is there):
   * when no match comes before the next required milestone's, the phase is 0 and the chain goes on.
   */
  readonly optional?: boolean;
}

export interface PhaseSample {
  /** Phase name → ms; NaN when a milestone was not found. */
  readonly phases: Readonly<Record<string, number>>;
  /** Count of served requests per operation between send and observation. */
  readonly served: Readonly<Record<string, number>>;
}

const matches = (m: Milestone, e: TraceEvent): boolean =>
  e.side === m.side &&
  e.edge === m.edge &&
  (typeof m.what === 'string' ? e.what === m.what : m.what.test(e.what));

/**
 * The phases of one sample: `sentAt` → milestone 1 → … → `observedAt`, each phase named after the
 * milestone it ends at (the last one `observed`).
 */
export function phasesOf(
  events: readonly TraceEvent[],
  milestones: readonly Milestone[],
  sentAt: number,
  observedAt: number,
): PhaseSample {
  const sorted = [...events].sort((a, b) => a.at - b.at);
  const phases: Record<string, number> = {};
  let previous = sentAt;
  let lost = false;
  const first = (m: Milestone, from: number): TraceEvent | undefined =>
    sorted.find((e) => e.at >= from && matches(m, e));
  milestones.forEach((m, i) => {
    const found = lost ? undefined : first(m, previous);
    if (m.optional === true && !lost) {
      const next = milestones.slice(i + 1).find((n) => n.optional !== true);
      const bound = next === undefined ? undefined : first(next, previous);
      if (found === undefined || (bound !== undefined && found.at > bound.at)) {
        phases[m.name] = 0;
        return;
      }
    }
    if (found === undefined) {
      lost = true;
      phases[m.name] = Number.NaN;
      return;
    }
    phases[m.name] = found.at - previous;
    previous = found.at;
  });
  phases['observed through DescribeTasks'] = lost ? Number.NaN : observedAt - previous;
  const served: Record<string, number> = {};
  for (const e of sorted) {
    if (e.side !== 'served' || e.edge !== 'end' || e.at < sentAt || e.at > observedAt) continue;
    served[e.what] = (served[e.what] ?? 0) + 1;
  }
  return { phases, served };
}

/** The agent's RUNNING report: SubmitContainerStateChange, or SubmitTaskStateChange carrying the container. */
const REPORT = /^Submit(Container|Task)StateChange$/;

/** RunTask → RUNNING, as the agent and Docker do it. Each name says what the phase ending there covers. */
export const START_MILESTONES: readonly Milestone[] = [
  { name: 'RunTask reaches the server', side: 'served', edge: 'start', what: 'RunTask' },
  { name: 'placement + commit + held Poll answers', side: 'served', edge: 'end', what: 'Poll' },
  {
    // Since the agent holds one Docker event subscription for all its tasks, the first Docker call
    // of a start is the image check (or, when that is skipped, the create).
    name: 'agent: answer → task actor → first Docker call sent',
    side: 'sent',
    edge: 'start',
    what: /^docker /,
  },
  {
    name: 'Docker: image inspect',
    side: 'sent',
    edge: 'end',
    what: 'docker GET images/:ref/json',
    optional: true,
  },
  { name: 'agent: → create sent', side: 'sent', edge: 'start', what: 'docker POST containers/create' },
  { name: 'Docker: create', side: 'sent', edge: 'end', what: 'docker POST containers/create' },
  { name: 'agent: → start sent', side: 'sent', edge: 'start', what: 'docker POST containers/:id/start' },
  { name: 'Docker: start', side: 'sent', edge: 'end', what: 'docker POST containers/:id/start' },
  { name: 'Docker: container inspect', side: 'sent', edge: 'end', what: 'docker GET containers/:id/json' },
  {
    name: 'agent: → RUNNING report reaches the server',
    side: 'served',
    edge: 'start',
    what: REPORT,
  },
  { name: 'server: report handled', side: 'served', edge: 'end', what: REPORT },
];

/**
 * StopTask → STOPPED. The agent learns of the exit from Docker's `die` event, which arrives before
 * Docker answers the stop call itself, so the report follows the stop call's *start*.
 */
export const STOP_MILESTONES: readonly Milestone[] = [
  { name: 'StopTask reaches the server', side: 'served', edge: 'start', what: 'StopTask' },
  { name: 'stop commit + held Poll answers', side: 'served', edge: 'end', what: 'Poll' },
  {
    name: 'agent: answer → stop sent',
    side: 'sent',
    edge: 'start',
    what: 'docker POST containers/:id/stop',
  },
  {
    name: 'Docker: SIGTERM → exit → die event; agent: → STOPPED report reaches the server',
    side: 'served',
    edge: 'start',
    what: 'SubmitContainerStateChange',
  },
  { name: 'server: report handled', side: 'served', edge: 'end', what: 'SubmitContainerStateChange' },
];
