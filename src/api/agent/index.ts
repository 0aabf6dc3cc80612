import type { AgentChannelOperations, PollInput } from '../../control/agent-channel/poll.js';
import type { ErrorSpec } from '../errors.js';
import type { JsonService } from '../service.js';

/**
 * `BerthAgentV1`: the agent channel's own awsJson1.1 service (Berth's, not an AWS one), signed with
 * SigV4 under the `ecs` service name like every ECS call, so the gateway's authentication,
 * authorization, validation and error handling apply unchanged. One operation, `Poll` (a long poll
 * and a heartbeat; see control/agent-channel/poll.ts). State changes go back through ECS's public
 * SubmitTaskStateChange / SubmitContainerStateChange.
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

/** `{ cluster, containerInstanceArn, knownVersions?: { [taskArn]: number }, waitSeconds? }`; the first two required. */
export const PollRequest$ = [
  3,
  NS,
  'PollRequest',
  0,
  ['cluster', 'containerInstanceArn', 'knownVersions', 'waitSeconds'],
  [STRING, STRING, MAP_OF | NUMBER, NUMBER],
  2,
];

export function agentService(channel: AgentChannelOperations): JsonService {
  return {
    protocol: 'json',
    targetPrefix: AGENT_TARGET_PREFIX,
    jsonVersion: '1.1',
    signingName: 'ecs',
    errors: AGENT_ERRORS,
    enums: {},
    operations: {
      Poll: { input: PollRequest$, run: (input: PollInput) => channel.poll(input) },
    },
  };
}
