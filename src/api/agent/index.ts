import { SubmitTaskStateChangeRequest$ } from '@aws-sdk/client-ecs';
import type { AgentHealthOperations, SubmitHealthInput } from '../../control/agent-channel/health.js';
import type { AgentChannelOperations, PollInput } from '../../control/agent-channel/poll.js';
import type {
  AgentStateChangeOperations,
  SubmitStateChangesInput,
} from '../../control/agent-channel/state-changes.js';
import type { ErrorSpec } from '../errors.js';
import type { JsonService } from '../service.js';

/**
 * `BerthAgentV1`: the agent channel's own awsJson1.1 service (Berth's, not an AWS one), signed with
 * SigV4 under the `ecs` service name like every ECS call, so the gateway's authentication,
 * authorization, validation and error handling apply unchanged. Three operations: `Poll` (a long
 * poll and a heartbeat; see control/agent-channel/poll.ts), `SubmitStateChanges` (task and
 * container state changes of many tasks in one call, each entry as ECS's SubmitTaskStateChange
 * reads; control/agent-channel/state-changes.ts) and `SubmitHealth` (containers' health check
 * results, which ECS's public operations cannot carry; control/agent-channel/health.ts).
 */
export const AGENT_TARGET_PREFIX = 'BerthAgentV1';
const NS = 'com.berth.agent';

const client: ErrorSpec = { status: 400, type: 'Sender' };

export const AGENT_ERRORS: Readonly<Record<string, ErrorSpec>> = {
  AccessDeniedException: client,
  ClientException: client,
  ClusterNotFoundException: client,
  InvalidParameterException: client,
  ServerException: { status: 500, type: 'Receiver' },
};

/** Schema type codes as the SDK's (see api/validate.ts): 0 string, 1 number, 128|x map of x. */
const STRING = 0;
const NUMBER = 1;
const MAP_OF = 128;
/** Schema kinds (@smithy/core/schema): 1 list, 3 structure. */
const LIST = 1;
const STRUCTURE = 3;

/** `{ cluster, containerInstanceArn, knownVersions?: { [taskArn]: number }, waitSeconds? }`; the first two required. */
export const PollRequest$ = [
  STRUCTURE,
  NS,
  'PollRequest',
  0,
  ['cluster', 'containerInstanceArn', 'knownVersions', 'waitSeconds'],
  [STRING, STRING, MAP_OF | NUMBER, NUMBER],
  2,
];

/** `{ containerName, healthStatus }`, both required; healthStatus HEALTHY | UNHEALTHY | UNKNOWN. */
const ContainerHealth$ = [
  STRUCTURE,
  NS,
  'ContainerHealth',
  0,
  ['containerName', 'healthStatus'],
  [STRING, STRING],
  2,
];
const ContainerHealthList$ = [LIST, NS, 'ContainerHealthList', 0, ContainerHealth$];
/** `{ taskArn, containers }`, both required. */
const TaskHealth$ = [
  STRUCTURE,
  NS,
  'TaskHealth',
  0,
  ['taskArn', 'containers'],
  [STRING, ContainerHealthList$],
  2,
];
const TaskHealthList$ = [LIST, NS, 'TaskHealthList', 0, TaskHealth$];

/** `{ cluster, containerInstanceArn, tasks }`, all required. */
export const SubmitHealthRequest$ = [
  STRUCTURE,
  NS,
  'SubmitHealthRequest',
  0,
  ['cluster', 'containerInstanceArn', 'tasks'],
  [STRING, STRING, TaskHealthList$],
  3,
];

/** `{ cluster, containerInstanceArn, changes }`, all required; each change as SubmitTaskStateChange's request. */
export const SubmitStateChangesRequest$ = [
  STRUCTURE,
  NS,
  'SubmitStateChangesRequest',
  0,
  ['cluster', 'containerInstanceArn', 'changes'],
  [STRING, STRING, [LIST, NS, 'StateChangeList', 0, SubmitTaskStateChangeRequest$]],
  3,
];

const HEALTH_STATUS = { HEALTHY: 'HEALTHY', UNHEALTHY: 'UNHEALTHY', UNKNOWN: 'UNKNOWN' } as const;

export function agentService(
  channel: AgentChannelOperations,
  health: AgentHealthOperations,
  stateChanges: AgentStateChangeOperations,
): JsonService {
  return {
    protocol: 'json',
    targetPrefix: AGENT_TARGET_PREFIX,
    jsonVersion: '1.1',
    signingName: 'ecs',
    errors: AGENT_ERRORS,
    enums: { 'ContainerHealth.healthStatus': HEALTH_STATUS },
    operations: {
      Poll: { input: PollRequest$, run: (input: PollInput) => channel.poll(input) },
      SubmitStateChanges: {
        input: SubmitStateChangesRequest$,
        run: (input: SubmitStateChangesInput) => stateChanges.submitStateChanges(input),
      },
      SubmitHealth: {
        input: SubmitHealthRequest$,
        run: (input: SubmitHealthInput) => health.submitHealth(input),
      },
    },
  };
}
