import { RunTaskRequest$ } from '@aws-sdk/client-ecs';
import type { PlanOperations, PlanRunTaskInput } from '../../control/ecs/task-plan.js';
import { ECS_ENUMS } from '../ecs/enums.js';
import { ECS_ERRORS } from '../ecs/errors.js';
import type { JsonService } from '../service.js';

/**
 * `BerthV1`: Berth's own operations for people and tools (not an AWS service), on awsJson1.1 and
 * signed with SigV4 under the `ecs` service name like every ECS call, so the gateway's
 * authentication, authorization (`ecs:<Operation>`), validation and error handling apply
 * unchanged. One operation today: `PlanRunTask`, the placement dry run (control/ecs/task-plan.ts,
 * docs/placement.md). Its errors are ECS's, as RunTask gives them.
 */
export const BERTH_TARGET_PREFIX = 'BerthV1';

/** RunTask's placement-relevant members, picked from the SDK's RunTaskRequest schema. */
const PLAN_MEMBERS = [
  'taskDefinition', // required (the first `required` members are)
  'cluster',
  'count',
  'group',
  'overrides',
  'placementConstraints',
  'placementStrategy',
] as const;

function pick(
  schema: readonly unknown[],
  name: string,
  members: readonly string[],
  required: number,
): unknown[] {
  const names = schema[4] as readonly string[];
  const refs = schema[5] as readonly unknown[];
  const at = members.map((m) => {
    const i = names.indexOf(m);
    if (i < 0) throw new Error(`RunTaskRequest has no member ${m}`);
    return i;
  });
  return [schema[0], 'com.berth', name, 0, [...members], at.map((i) => refs[i]), required];
}

/** `{ taskDefinition, cluster?, count?, group?, overrides?, placementConstraints?, placementStrategy? }`. */
export const PlanRunTaskRequest$ = pick(RunTaskRequest$, 'PlanRunTaskRequest', PLAN_MEMBERS, 1);

export function berthService(plans: PlanOperations): JsonService {
  return {
    protocol: 'json',
    targetPrefix: BERTH_TARGET_PREFIX,
    jsonVersion: '1.1',
    signingName: 'ecs',
    errors: ECS_ERRORS,
    enums: ECS_ENUMS,
    operations: {
      PlanRunTask: {
        input: PlanRunTaskRequest$,
        run: (input: PlanRunTaskInput) => plans.planRunTask(input),
      },
    },
  };
}
