import {
  CreateServiceRequest$,
  UpdateServiceRequest$,
  DeleteServiceRequest$,
  DescribeServicesRequest$,
  ListServicesRequest$,
  ListServiceDeploymentsRequest$,
  DescribeServiceDeploymentsRequest$,
  DescribeServiceRevisionsRequest$,
  type CreateServiceRequest,
  type UpdateServiceRequest,
  type DeleteServiceRequest,
  type DescribeServicesRequest,
  type ListServicesRequest,
  type ListServiceDeploymentsRequest,
  type DescribeServiceDeploymentsRequest,
  type DescribeServiceRevisionsRequest,
  RunTaskRequest$,
  StartTaskRequest$,
  StopTaskRequest$,
  DescribeTasksRequest$,
  ListTasksRequest$,
  SubmitContainerStateChangeRequest$,
  SubmitTaskStateChangeRequest$,
  DiscoverPollEndpointRequest$,
  type SubmitContainerStateChangeRequest,
  type SubmitTaskStateChangeRequest,
  type DiscoverPollEndpointRequest,
  type RunTaskRequest,
  type StartTaskRequest,
  type StopTaskRequest,
  type DescribeTasksRequest,
  type ListTasksRequest,
  RegisterContainerInstanceRequest$,
  DeregisterContainerInstanceRequest$,
  DescribeContainerInstancesRequest$,
  ListContainerInstancesRequest$,
  UpdateContainerInstancesStateRequest$,
  PutAttributesRequest$,
  DeleteAttributesRequest$,
  ListAttributesRequest$,
  type RegisterContainerInstanceRequest,
  type DeregisterContainerInstanceRequest,
  type DescribeContainerInstancesRequest,
  type ListContainerInstancesRequest,
  type UpdateContainerInstancesStateRequest,
  type PutAttributesRequest,
  type DeleteAttributesRequest,
  type ListAttributesRequest,
  CreateClusterRequest$,
  DeleteAccountSettingRequest$,
  DeleteClusterRequest$,
  DeleteTaskDefinitionsRequest$,
  DeregisterTaskDefinitionRequest$,
  DescribeClustersRequest$,
  DescribeTaskDefinitionRequest$,
  ListAccountSettingsRequest$,
  ListClustersRequest$,
  ListTagsForResourceRequest$,
  ListTaskDefinitionFamiliesRequest$,
  ListTaskDefinitionsRequest$,
  PutAccountSettingDefaultRequest$,
  PutAccountSettingRequest$,
  PutClusterCapacityProvidersRequest$,
  RegisterTaskDefinitionRequest$,
  TagResourceRequest$,
  UntagResourceRequest$,
  UpdateClusterRequest$,
  UpdateClusterSettingsRequest$,
  type CreateClusterRequest,
  type DeleteAccountSettingRequest,
  type DeleteClusterRequest,
  type DeleteTaskDefinitionsRequest,
  type DeregisterTaskDefinitionRequest,
  type DescribeClustersRequest,
  type DescribeTaskDefinitionRequest,
  type ListAccountSettingsRequest,
  type ListClustersRequest,
  type ListTagsForResourceRequest,
  type ListTaskDefinitionFamiliesRequest,
  type ListTaskDefinitionsRequest,
  type PutAccountSettingDefaultRequest,
  type PutAccountSettingRequest,
  type PutClusterCapacityProvidersRequest,
  type RegisterTaskDefinitionRequest,
  type TagResourceRequest,
  type UntagResourceRequest,
  type UpdateClusterRequest,
  type UpdateClusterSettingsRequest,
} from '@aws-sdk/client-ecs';
import type { EcsControl } from '../../control/ecs/index.js';
import type { JsonService, Operation, RequestContext } from '../service.js';
import { ECS_ENUMS } from './enums.js';
import { ECS_ERRORS } from './errors.js';

/** The ECS operations Berth serves. Adding a name here makes the operation table incomplete until handled. */
export type EcsOperationName =
  | 'CreateCluster'
  | 'DescribeClusters'
  | 'ListClusters'
  | 'UpdateCluster'
  | 'UpdateClusterSettings'
  | 'DeleteCluster'
  | 'PutClusterCapacityProviders'
  | 'RegisterContainerInstance'
  | 'DeregisterContainerInstance'
  | 'DescribeContainerInstances'
  | 'ListContainerInstances'
  | 'UpdateContainerInstancesState'
  | 'PutAttributes'
  | 'DeleteAttributes'
  | 'ListAttributes'
  | 'RunTask'
  | 'StartTask'
  | 'StopTask'
  | 'DescribeTasks'
  | 'ListTasks'
  | 'SubmitContainerStateChange'
  | 'SubmitTaskStateChange'
  | 'DiscoverPollEndpoint'
  | 'CreateService'
  | 'UpdateService'
  | 'DeleteService'
  | 'DescribeServices'
  | 'ListServices'
  | 'ListServiceDeployments'
  | 'DescribeServiceDeployments'
  | 'DescribeServiceRevisions'
  | 'RegisterTaskDefinition'
  | 'DescribeTaskDefinition'
  | 'ListTaskDefinitions'
  | 'ListTaskDefinitionFamilies'
  | 'DeregisterTaskDefinition'
  | 'DeleteTaskDefinitions'
  | 'TagResource'
  | 'UntagResource'
  | 'ListTagsForResource'
  | 'PutAccountSetting'
  | 'PutAccountSettingDefault'
  | 'ListAccountSettings'
  | 'DeleteAccountSetting';

function op<I>(input: unknown, run: (input: I, ctx: RequestContext) => Promise<object | void>): Operation {
  return { input, run };
}

/** The ECS facade: each entry decodes nothing and decides nothing — it hands the input to control/. */
export function ecsService(ecs: EcsControl): JsonService {
  const {
    clusters,
    containerInstances,
    taskDefinitions,
    tasks,
    services,
    serviceDeployments,
    tags,
    accountSettings,
  } = ecs;
  const operations: Record<EcsOperationName, Operation> = {
    CreateCluster: op(CreateClusterRequest$, async (i: CreateClusterRequest) => ({
      cluster: await clusters.create(i),
    })),
    DescribeClusters: op(DescribeClustersRequest$, (i: DescribeClustersRequest) => clusters.describe(i)),
    ListClusters: op(ListClustersRequest$, (i: ListClustersRequest) => clusters.list(i)),
    UpdateCluster: op(UpdateClusterRequest$, async (i: UpdateClusterRequest) => ({
      cluster: await clusters.update(i),
    })),
    UpdateClusterSettings: op(UpdateClusterSettingsRequest$, async (i: UpdateClusterSettingsRequest) => ({
      cluster: await clusters.updateSettings(i),
    })),
    DeleteCluster: op(DeleteClusterRequest$, async (i: DeleteClusterRequest) => ({
      cluster: await clusters.delete(i),
    })),
    PutClusterCapacityProviders: op(
      PutClusterCapacityProvidersRequest$,
      async (i: PutClusterCapacityProvidersRequest) => ({
        cluster: await clusters.putCapacityProviders(i),
      }),
    ),
    RegisterContainerInstance: op(
      RegisterContainerInstanceRequest$,
      async (i: RegisterContainerInstanceRequest) => ({
        containerInstance: await containerInstances.register(i),
      }),
    ),
    DeregisterContainerInstance: op(
      DeregisterContainerInstanceRequest$,
      async (i: DeregisterContainerInstanceRequest) => ({
        containerInstance: await containerInstances.deregister(i),
      }),
    ),
    DescribeContainerInstances: op(
      DescribeContainerInstancesRequest$,
      (i: DescribeContainerInstancesRequest) => containerInstances.describe(i),
    ),
    ListContainerInstances: op(ListContainerInstancesRequest$, (i: ListContainerInstancesRequest) =>
      containerInstances.list(i),
    ),
    UpdateContainerInstancesState: op(
      UpdateContainerInstancesStateRequest$,
      (i: UpdateContainerInstancesStateRequest) => containerInstances.updateState(i),
    ),
    PutAttributes: op(PutAttributesRequest$, (i: PutAttributesRequest) =>
      containerInstances.putAttributes(i),
    ),
    DeleteAttributes: op(DeleteAttributesRequest$, (i: DeleteAttributesRequest) =>
      containerInstances.deleteAttributes(i),
    ),
    ListAttributes: op(ListAttributesRequest$, (i: ListAttributesRequest) =>
      containerInstances.listAttributes(i),
    ),
    RunTask: op(RunTaskRequest$, (i: RunTaskRequest) => tasks.run(i)),
    StartTask: op(StartTaskRequest$, (i: StartTaskRequest) => tasks.start(i)),
    StopTask: op(StopTaskRequest$, async (i: StopTaskRequest) => ({ task: await tasks.stop(i) })),
    DescribeTasks: op(DescribeTasksRequest$, (i: DescribeTasksRequest) => tasks.describe(i)),
    ListTasks: op(ListTasksRequest$, (i: ListTasksRequest) => tasks.list(i)),
    SubmitContainerStateChange: op(
      SubmitContainerStateChangeRequest$,
      (i: SubmitContainerStateChangeRequest) => tasks.submitContainerStateChange(i),
    ),
    SubmitTaskStateChange: op(SubmitTaskStateChangeRequest$, (i: SubmitTaskStateChangeRequest) =>
      tasks.submitTaskStateChange(i),
    ),
    DiscoverPollEndpoint: op(DiscoverPollEndpointRequest$, (i: DiscoverPollEndpointRequest, ctx) =>
      containerInstances.discoverPollEndpoint(i, ctx.endpoint),
    ),
    CreateService: op(CreateServiceRequest$, (i: CreateServiceRequest, ctx) =>
      services.create(i, ctx.caller),
    ),
    UpdateService: op(UpdateServiceRequest$, (i: UpdateServiceRequest) => services.update(i)),
    DeleteService: op(DeleteServiceRequest$, (i: DeleteServiceRequest) => services.delete(i)),
    DescribeServices: op(DescribeServicesRequest$, (i: DescribeServicesRequest) => services.describe(i)),
    ListServices: op(ListServicesRequest$, (i: ListServicesRequest) => services.list(i)),
    ListServiceDeployments: op(ListServiceDeploymentsRequest$, (i: ListServiceDeploymentsRequest) =>
      serviceDeployments.list(i),
    ),
    DescribeServiceDeployments: op(
      DescribeServiceDeploymentsRequest$,
      (i: DescribeServiceDeploymentsRequest) => serviceDeployments.describe(i),
    ),
    DescribeServiceRevisions: op(DescribeServiceRevisionsRequest$, (i: DescribeServiceRevisionsRequest) =>
      serviceDeployments.describeRevisions(i),
    ),
    RegisterTaskDefinition: op(RegisterTaskDefinitionRequest$, (i: RegisterTaskDefinitionRequest, ctx) =>
      taskDefinitions.register(i, ctx.caller),
    ),
    DescribeTaskDefinition: op(DescribeTaskDefinitionRequest$, (i: DescribeTaskDefinitionRequest) =>
      taskDefinitions.describe(i),
    ),
    ListTaskDefinitions: op(ListTaskDefinitionsRequest$, (i: ListTaskDefinitionsRequest) =>
      taskDefinitions.list(i),
    ),
    ListTaskDefinitionFamilies: op(
      ListTaskDefinitionFamiliesRequest$,
      (i: ListTaskDefinitionFamiliesRequest) => taskDefinitions.listFamilies(i),
    ),
    DeregisterTaskDefinition: op(
      DeregisterTaskDefinitionRequest$,
      async (i: DeregisterTaskDefinitionRequest) => ({
        taskDefinition: await taskDefinitions.deregister(i),
      }),
    ),
    DeleteTaskDefinitions: op(DeleteTaskDefinitionsRequest$, (i: DeleteTaskDefinitionsRequest) =>
      taskDefinitions.delete(i),
    ),
    TagResource: op(TagResourceRequest$, (i: TagResourceRequest) => tags.tag(i)),
    UntagResource: op(UntagResourceRequest$, (i: UntagResourceRequest) => tags.untag(i)),
    ListTagsForResource: op(ListTagsForResourceRequest$, (i: ListTagsForResourceRequest) => tags.list(i)),
    PutAccountSetting: op(PutAccountSettingRequest$, async (i: PutAccountSettingRequest, ctx) => ({
      setting: await accountSettings.put(i, ctx.caller),
    })),
    PutAccountSettingDefault: op(
      PutAccountSettingDefaultRequest$,
      async (i: PutAccountSettingDefaultRequest) => ({
        setting: await accountSettings.putDefault(i),
      }),
    ),
    ListAccountSettings: op(ListAccountSettingsRequest$, (i: ListAccountSettingsRequest, ctx) =>
      accountSettings.list(i, ctx.caller),
    ),
    DeleteAccountSetting: op(DeleteAccountSettingRequest$, async (i: DeleteAccountSettingRequest, ctx) => ({
      setting: await accountSettings.remove(i, ctx.caller),
    })),
  };
  return {
    protocol: 'json',
    targetPrefix: 'AmazonEC2ContainerServiceV20141113',
    jsonVersion: '1.1',
    signingName: 'ecs',
    errors: ECS_ERRORS,
    enums: ECS_ENUMS,
    operations,
  };
}
