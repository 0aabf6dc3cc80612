import { invalidParameter } from '../fault.js';
import { parseQuery } from './query-parser.js';
import type { QueryNode } from './query-syntax.js';

/**
 * ECS's placement constraints, checked and combined as ECS combines them: the task definition's
 * (only `memberOf`; a `distinctInstance` there is refused) and the call's (RunTask, later
 * CreateService/UpdateService: `memberOf` and `distinctInstance`), at most 10 in all; every
 * `memberOf` expression must hold on an instance, and one `distinctInstance` puts each task of the
 * group on its own instance. Expressions are parsed here, so a bad one is refused with the
 * position of the offending character before anything is placed.
 */
export interface PlacementConstraintInput {
  readonly type?: string | undefined;
  readonly expression?: string | undefined;
}

export interface CombinedConstraints {
  readonly memberOf: readonly QueryNode[];
  readonly distinctInstance: boolean;
}

/** ECS: up to 10 constraints per task, the task definition's and the call's together. */
export const MAX_PLACEMENT_CONSTRAINTS = 10;

/** RegisterTaskDefinition's constraints: memberOf only (ECS refuses distinctInstance there). */
export function checkDefinitionConstraints(constraints: readonly PlacementConstraintInput[]): void {
  if (constraints.length > MAX_PLACEMENT_CONSTRAINTS)
    throw invalidParameter(
      `A task definition can have at most ${MAX_PLACEMENT_CONSTRAINTS} placement constraints.`,
    );
  for (const c of constraints) {
    if (c.type === 'distinctInstance')
      throw invalidParameter(
        'The distinctInstance placement constraint is not supported in task definitions: give it to RunTask or the service.',
      );
    memberOfExpression(c);
  }
}

/** The constraints a placement applies: the definition's and the call's, checked. */
export function combineConstraints(
  fromDefinition: readonly PlacementConstraintInput[],
  fromCall: readonly PlacementConstraintInput[],
): CombinedConstraints {
  const all = [...fromDefinition, ...fromCall];
  if (all.length > MAX_PLACEMENT_CONSTRAINTS)
    throw invalidParameter(
      `At most ${MAX_PLACEMENT_CONSTRAINTS} placement constraints apply to a task, counting the task definition's (${fromDefinition.length}) and this request's (${fromCall.length}).`,
    );
  const memberOf: QueryNode[] = [];
  let distinctInstance = false;
  for (const c of all) {
    if (c.type === 'distinctInstance') {
      if (c.expression !== undefined && c.expression !== '')
        throw invalidParameter('The distinctInstance placement constraint takes no expression.');
      distinctInstance = true;
    } else {
      memberOf.push(memberOfExpression(c));
    }
  }
  return { memberOf, distinctInstance };
}

function memberOfExpression(c: PlacementConstraintInput): QueryNode {
  if (c.type !== 'memberOf')
    throw invalidParameter(
      `Unknown placement constraint type '${c.type ?? ''}': use 'memberOf' (with an expression) or 'distinctInstance'.`,
    );
  if (c.expression === undefined || c.expression.trim() === '')
    throw invalidParameter(
      'A memberOf placement constraint needs an expression in the cluster query language.',
    );
  return parseQuery(c.expression);
}
