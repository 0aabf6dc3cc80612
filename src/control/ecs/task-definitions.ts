import type {
  DeleteTaskDefinitionsRequest,
  DeleteTaskDefinitionsResponse,
  DeregisterTaskDefinitionRequest,
  DescribeTaskDefinitionRequest,
  DescribeTaskDefinitionResponse,
  Failure,
  ListTaskDefinitionFamiliesRequest,
  ListTaskDefinitionFamiliesResponse,
  ListTaskDefinitionsRequest,
  ListTaskDefinitionsResponse,
  RegisterTaskDefinitionRequest,
  RegisterTaskDefinitionResponse,
  TaskDefinition,
} from '@aws-sdk/client-ecs';
import { checkName } from '../../core/ecs/names.js';
import { buildTaskDefinition } from '../../core/ecs/task-definition/register.js';
import { validateTags } from '../../core/ecs/tags.js';
import { clientFault, invalidParameter } from '../../core/fault.js';
import { decodeToken, page, pageSize } from '../../core/pagination.js';
import type { Caller, ControlDeps } from '../context.js';
import { parseTaskDefinitionRef, taskDefinitionArn } from './refs.js';

const MAX_DELETE = 10;

export class TaskDefinitionOperations {
  constructor(private readonly deps: ControlDeps) {}

  async register(
    input: RegisterTaskDefinitionRequest,
    caller: Caller,
  ): Promise<RegisterTaskDefinitionResponse> {
    const { store, scope, now } = this.deps;
    const content = buildTaskDefinition(input);
    const tags = validateTags(input.tags);
    const taskDefinition = await store.transaction(async (repos) => {
      const registered = await repos.taskDefinitions.register(content, {
        arnOf: (revision) => taskDefinitionArn(scope, content.family, revision),
        registeredBy: caller.principalArn,
        now: now(),
      });
      await repos.tags.replace(registered.taskDefinitionArn ?? '', tags);
      return registered;
    });
    return { taskDefinition, tags };
  }

  async describe(input: DescribeTaskDefinitionRequest): Promise<DescribeTaskDefinitionResponse> {
    const taskDefinition = await this.require(input.taskDefinition ?? '');
    if (!input.include?.includes('TAGS')) return { taskDefinition };
    return { taskDefinition, tags: await this.deps.store.tags.list(taskDefinition.taskDefinitionArn ?? '') };
  }

  /** A revision by `family:revision` or ARN, or the latest ACTIVE revision of a bare family. */
  async require(ref: string): Promise<TaskDefinition> {
    const { family, revision } = parseTaskDefinitionRef(ref, this.deps.scope);
    const found =
      revision === undefined
        ? await this.deps.store.taskDefinitions.latestActive(family)
        : await this.deps.store.taskDefinitions.get({ family, revision });
    if (!found) throw clientFault(`Unable to describe task definition '${ref}': it does not exist.`);
    return found;
  }

  async deregister(input: DeregisterTaskDefinitionRequest): Promise<TaskDefinition> {
    const ref = input.taskDefinition ?? '';
    const { family, revision } = parseTaskDefinitionRef(ref, this.deps.scope);
    if (revision === undefined) {
      throw clientFault(
        `DeregisterTaskDefinition needs a revision: use '${family}:<revision>' or the full ARN.`,
      );
    }
    const current = await this.require(ref);
    if (current.status !== 'ACTIVE') return current; // deregistering twice is a no-op, as on ECS
    return (
      (await this.deps.store.taskDefinitions.setStatus({ family, revision }, 'INACTIVE', this.deps.now())) ??
      current
    );
  }

  /** Deletion is for INACTIVE revisions only; each is marked DELETE_IN_PROGRESS. */
  async delete(input: DeleteTaskDefinitionsRequest): Promise<DeleteTaskDefinitionsResponse> {
    const refs = input.taskDefinitions ?? [];
    if (refs.length === 0 || refs.length > MAX_DELETE) {
      throw invalidParameter(`DeleteTaskDefinitions takes 1 to ${MAX_DELETE} task definitions.`);
    }
    const taskDefinitions: TaskDefinition[] = [];
    const failures: Failure[] = [];
    for (const ref of refs) {
      const { family, revision } = parseTaskDefinitionRef(ref, this.deps.scope);
      const current =
        revision === undefined ? undefined : await this.deps.store.taskDefinitions.get({ family, revision });
      if (revision === undefined || !current) {
        failures.push({
          arn: ref,
          reason: 'TASK_DEFINITION_NOT_FOUND',
          detail: 'The specified task definition does not exist.',
        });
      } else if (current.status === 'ACTIVE') {
        failures.push({
          arn: current.taskDefinitionArn,
          reason:
            'The specified task definition is still in ACTIVE status. Please deregister the target and try again.',
        });
      } else {
        const updated =
          current.status === 'INACTIVE'
            ? await this.deps.store.taskDefinitions.setStatus(
                { family, revision },
                'DELETE_IN_PROGRESS',
                this.deps.now(),
              )
            : current;
        taskDefinitions.push(updated ?? current);
      }
    }
    return { taskDefinitions, failures };
  }

  async list(input: ListTaskDefinitionsRequest): Promise<ListTaskDefinitionsResponse> {
    const limit = pageSize(input.maxResults);
    const token = decodeToken(input.nextToken);
    if (input.familyPrefix !== undefined) checkName('Family prefix', input.familyPrefix, clientFault);
    const rows = await this.deps.store.taskDefinitions.listArns({
      status: input.status ?? 'ACTIVE',
      descending: input.sort === 'DESC',
      limit: limit + 1,
      ...(input.familyPrefix ? { familyPrefix: input.familyPrefix } : {}),
      ...(token ? { after: revisionKey(token) } : {}),
    });
    const { items, nextToken } = page(rows, limit, (r) => [r.family, r.revision]);
    return { taskDefinitionArns: items.map((r) => r.arn), ...(nextToken ? { nextToken } : {}) };
  }

  async listFamilies(input: ListTaskDefinitionFamiliesRequest): Promise<ListTaskDefinitionFamiliesResponse> {
    const limit = pageSize(input.maxResults);
    const after = decodeToken(input.nextToken)?.[0];
    if (input.familyPrefix !== undefined) checkName('Family prefix', input.familyPrefix, clientFault);
    const rows = await this.deps.store.taskDefinitions.listFamilies({
      status: input.status ?? 'ACTIVE',
      limit: limit + 1,
      ...(input.familyPrefix ? { familyPrefix: input.familyPrefix } : {}),
      ...(after !== undefined ? { after: String(after) } : {}),
    });
    const { items, nextToken } = page(rows, limit, (family) => [family]);
    return { families: items, ...(nextToken ? { nextToken } : {}) };
  }
}

/** A ListTaskDefinitions token holds the last (family, revision) returned; anything else is forged. */
function revisionKey(token: readonly (string | number)[]): { family: string; revision: number } {
  const [family, revision] = token;
  if (token.length !== 2 || typeof family !== 'string' || !Number.isSafeInteger(revision)) {
    throw invalidParameter('Invalid nextToken: it must be a token returned by a previous call.');
  }
  return { family, revision: revision as number };
}
