import { Fault } from '../fault.js';

/** ELB's error codes as the awsQuery wire names them (the model's `awsQueryError` codes). */
export type ElbErrorCode =
  | 'ValidationError'
  | 'LoadBalancerNotFound'
  | 'TargetGroupNotFound'
  | 'ListenerNotFound'
  | 'RuleNotFound'
  | 'DuplicateLoadBalancerName'
  | 'DuplicateTargetGroupName'
  | 'DuplicateListener'
  | 'DuplicateTagKeys'
  | 'PriorityInUse'
  | 'ResourceInUse'
  | 'InvalidConfigurationRequest'
  | 'InvalidLoadBalancerAction'
  | 'IncompatibleProtocols'
  | 'UnsupportedProtocol'
  | 'CertificateNotFound'
  | 'SSLPolicyNotFound'
  | 'TooManyCertificates'
  | 'TooManyTargets'
  | 'TooManyListeners'
  | 'TooManyRules'
  | 'TooManyTags'
  | 'TooManyActions'
  | 'TargetGroupAssociationLimit'
  | 'InvalidTarget'
  | 'OperationNotPermitted'
  | 'PriorRequestNotComplete';

export const elbFault = (code: ElbErrorCode, message: string): Fault => new Fault(code, message);
export const validationError = (message: string): Fault => new Fault('ValidationError', message);
