import type { ElbErrorCode } from '../../core/elbv2/faults.js';
import type { ErrorSpec } from '../errors.js';

const client: ErrorSpec = { status: 400, type: 'Sender' };

/**
 * The ELBv2 errors Berth answers, by their awsQuery codes, with the model's HTTP statuses
 * (`awsQueryError.httpResponseCode`). Keyed by the fault codes core/elbv2 may throw, so a new
 * code does not compile until it has a status here.
 */
export const ELBV2_ERRORS: Readonly<Record<ElbErrorCode, ErrorSpec>> = {
  ValidationError: client,
  LoadBalancerNotFound: client,
  TargetGroupNotFound: client,
  ListenerNotFound: client,
  RuleNotFound: client,
  DuplicateLoadBalancerName: client,
  DuplicateTargetGroupName: client,
  DuplicateListener: client,
  DuplicateTagKeys: client,
  PriorityInUse: client,
  ResourceInUse: client,
  InvalidConfigurationRequest: client,
  InvalidLoadBalancerAction: client,
  IncompatibleProtocols: client,
  UnsupportedProtocol: client,
  CertificateNotFound: client,
  SSLPolicyNotFound: client,
  TooManyCertificates: client,
  TooManyTargets: client,
  TooManyListeners: client,
  TooManyRules: client,
  TooManyTags: client,
  TooManyActions: client,
  TargetGroupAssociationLimit: client,
  InvalidTarget: client,
  OperationNotPermitted: client,
  PriorRequestNotComplete: { status: 429, type: 'Sender' },
};
