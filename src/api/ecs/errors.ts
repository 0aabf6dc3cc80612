import type { ErrorSpec } from '../errors.js';

const client: ErrorSpec = { status: 400, type: 'Sender' };

/** ECS's modelled errors (the API model's error shapes) and their HTTP statuses. */
export const ECS_ERRORS: Readonly<Record<string, ErrorSpec>> = {
  AccessDeniedException: client,
  AttributeLimitExceededException: client,
  BlockedException: client,
  ClientException: client,
  ClusterContainsCapacityProviderException: client,
  ClusterContainsContainerInstancesException: client,
  ClusterContainsServicesException: client,
  ClusterContainsTasksException: client,
  ClusterNotFoundException: client,
  ConflictException: client,
  InvalidParameterException: client,
  LimitExceededException: client,
  MissingVersionException: client,
  NoUpdateAvailableException: client,
  PlatformTaskDefinitionIncompatibilityException: client,
  PlatformUnknownException: client,
  ResourceInUseException: client,
  ResourceNotFoundException: client,
  ServerException: { status: 500, type: 'Receiver' },
  ServiceNotActiveException: client,
  ServiceNotFoundException: client,
  TargetNotConnectedException: client,
  TargetNotFoundException: client,
  TaskSetNotFoundException: client,
  UnsupportedFeatureException: client,
  UpdateInProgressException: client,
};
