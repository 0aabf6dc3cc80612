/**
 * The rolling-update bounds of ECS's DeploymentConfiguration.
 *
 * minimumHealthyPercent is "a lower limit on the number of your service's tasks that must remain in
 * the RUNNING state during a deployment, as a percentage of the desiredCount (rounded up to the
 * nearest integer)"; maximumPercent is "an upper limit on the number of your service's tasks that
 * are allowed in the RUNNING or PENDING state during a deployment, as a percentage of the
 * desiredCount (rounded down to the nearest integer)". Both also bound replacing tasks on DRAINING
 * instances. (ECS API Reference, DeploymentConfiguration.) desired × percent is a whole number, so
 * dividing it by 100 is exact whenever the result is whole: no float noise reaches ceil or floor.
 */

/** Defaults when the caller gives none: REPLICA 100/200, DAEMON 0/100 (the API's and CLI's). */
export const DEFAULT_PERCENTS = {
  REPLICA: { minimumHealthyPercent: 100, maximumPercent: 200 },
  DAEMON: { minimumHealthyPercent: 0, maximumPercent: 100 },
} as const;

/** Healthy tasks that must remain: ceil(desired × min% / 100). 4 at 50% → 2; 2 at 75% → 2. */
export function minHealthyTasks(desired: number, minimumHealthyPercent: number): number {
  return Math.ceil((desired * minimumHealthyPercent) / 100);
}

/** RUNNING + PENDING tasks allowed: floor(desired × max% / 100). 4 at 200% → 8; 3 at 125% → 3. */
export function maxLiveTasks(desired: number, maximumPercent: number): number {
  return Math.floor((desired * maximumPercent) / 100);
}
