import type { ControlDeps } from '../context.js';
import { AccountSettingOperations } from './account-settings.js';
import { ClusterOperations } from './clusters.js';
import { ContainerInstanceOperations } from './container-instances.js';
import { ServiceDeploymentOperations } from './service-deployments.js';
import { ServiceOperations } from './services.js';
import { TagOperations } from './tags.js';
import { TaskDefinitionOperations } from './task-definitions.js';
import { PlanOperations } from './task-plan.js';
import { TaskOperations } from './tasks.js';

/** The ECS control-plane operations, grouped by aggregate. */
export interface EcsControl {
  readonly clusters: ClusterOperations;
  readonly containerInstances: ContainerInstanceOperations;
  readonly taskDefinitions: TaskDefinitionOperations;
  readonly tasks: TaskOperations;
  readonly services: ServiceOperations;
  /** ListServiceDeployments, DescribeServiceDeployments, DescribeServiceRevisions. */
  readonly serviceDeployments: ServiceDeploymentOperations;
  readonly tags: TagOperations;
  readonly accountSettings: AccountSettingOperations;
  /** Berth's placement dry run (BerthV1.PlanRunTask). */
  readonly plans: PlanOperations;
}

export function createEcsControl(deps: ControlDeps): EcsControl {
  const clusters = new ClusterOperations(deps);
  const taskDefinitions = new TaskDefinitionOperations(deps);
  const containerInstances = new ContainerInstanceOperations(deps, clusters);
  const services = new ServiceOperations(deps, clusters);
  return {
    clusters,
    containerInstances,
    taskDefinitions,
    tasks: new TaskOperations(deps, clusters, taskDefinitions),
    services,
    serviceDeployments: new ServiceDeploymentOperations(deps),
    tags: new TagOperations(deps, clusters, taskDefinitions, containerInstances, services),
    accountSettings: new AccountSettingOperations(deps),
    plans: new PlanOperations(deps, clusters, taskDefinitions),
  };
}
