import type {
  Attribute,
  Compatibility,
  ContainerDefinition,
  RegisterTaskDefinitionRequest,
} from '@aws-sdk/client-ecs';
import { isFargateSize } from './resources.js';

/**
 * The instance attributes a task definition needs (`requiresAttributes`): placement only puts a task
 * on an instance whose agent advertises each of them. Names follow the ECS agent's capabilities.
 */
export function requiredAttributes(
  input: RegisterTaskDefinitionRequest,
  containers: readonly ContainerDefinition[],
): Attribute[] {
  const names = new Set<string>();
  const add = (name: string): void => void names.add(name);
  if (input.taskRoleArn) add('com.amazonaws.ecs.capability.task-iam-role');
  if (input.networkMode === 'awsvpc') add('ecs.capability.task-eni');
  if (input.pidMode === 'task') add('ecs.capability.pid-namespace');
  if (input.ipcMode === 'task') add('ecs.capability.ipc-namespace');
  for (const c of containers) {
    if (c.healthCheck) add('ecs.capability.container-health-check');
    if (c.dependsOn?.length) add('ecs.capability.container-ordering');
    if (c.dockerLabels && Object.keys(c.dockerLabels).length)
      add('com.amazonaws.ecs.capability.docker-remote-api.1.18');
    if (c.privileged) add('com.amazonaws.ecs.capability.privileged-container');
    const driver = c.logConfiguration?.logDriver;
    if (driver) add(`com.amazonaws.ecs.capability.logging-driver.${driver}`);
    if (driver === 'awslogs' && input.executionRoleArn) add('ecs.capability.execution-role-awslogs');
    for (const s of c.secrets ?? []) {
      add(
        s.valueFrom?.includes(':secretsmanager:')
          ? 'ecs.capability.secrets.asm.environment-variables'
          : 'ecs.capability.secrets.ssm.environment-variables',
      );
    }
    if (c.repositoryCredentials)
      add('com.amazonaws.ecs.capability.private-registry-authentication.secretsmanager');
  }
  return [...names].sort().map((name) => ({ name }));
}

/** Launch types the definition can run on: always EC2 (Berth hosts); FARGATE when it fits its rules. */
export function compatibilities(
  input: RegisterTaskDefinitionRequest,
  taskCpu: number | undefined,
  taskMemory: number | undefined,
): Compatibility[] {
  const fargate =
    input.networkMode === 'awsvpc' &&
    taskCpu !== undefined &&
    taskMemory !== undefined &&
    isFargateSize(taskCpu, taskMemory) &&
    fargateIncompatibility(input) === undefined;
  return fargate ? ['EC2', 'FARGATE'] : ['EC2'];
}

/** Why a definition cannot run on FARGATE (the features FARGATE refuses), or undefined. */
export function fargateIncompatibility(input: RegisterTaskDefinitionRequest): string | undefined {
  if (input.networkMode !== 'awsvpc')
    return `FARGATE requires networkMode 'awsvpc', not '${input.networkMode ?? 'bridge'}'.`;
  if (input.ipcMode) return 'FARGATE does not support ipcMode.';
  for (const c of input.containerDefinitions ?? []) {
    if (c.privileged) return `FARGATE does not support privileged containers ('${c.name}').`;
    if (c.links?.length) return `FARGATE does not support links ('${c.name}').`;
    if (c.resourceRequirements?.some((r) => r.type === 'GPU'))
      return `FARGATE does not support GPUs ('${c.name}').`;
    const added = c.linuxParameters?.capabilities?.add ?? [];
    if (added.some((cap) => cap !== 'SYS_PTRACE'))
      return `FARGATE only allows adding the SYS_PTRACE capability ('${c.name}').`;
  }
  for (const v of input.volumes ?? []) {
    if (v.dockerVolumeConfiguration)
      return `FARGATE does not support dockerVolumeConfiguration volumes ('${v.name}').`;
  }
  return undefined;
}
