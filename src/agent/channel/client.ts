import type { ContainerStateChange, TaskDefinition, TaskOverride } from '@aws-sdk/client-ecs';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/**
 * The agent's side of the `BerthAgentV1` channel: `Poll`, `SubmitStateChanges` and `SubmitHealth`, JSON requests signed
 * with SigV4 (service `ecs`, the same signer the AWS SDK uses) and sent over node:http (keep-alive).
 * The wire contract is the control plane's (control/agent-channel/poll.ts and health.ts); the types are
 * repeated here because agent/ does not import control/.
 */
export const AGENT_TARGET = 'BerthAgentV1.Poll';
export const HEALTH_TARGET = 'BerthAgentV1.SubmitHealth';
export const STATE_CHANGES_TARGET = 'BerthAgentV1.SubmitStateChanges';

export interface PollRequest {
  readonly cluster: string;
  readonly containerInstanceArn: string;
  readonly knownVersions?: Readonly<Record<string, number>>;
  /** 0–20, default 20. */
  readonly waitSeconds?: number;
}

export interface AgentTask {
  readonly taskArn: string;
  readonly version: number;
  readonly desiredStatus: 'RUNNING' | 'STOPPED';
  readonly stopCode?: string;
  readonly stoppedReason?: string;
  readonly cluster: string;
  readonly taskDefinition: TaskDefinition;
  readonly overrides?: TaskOverride;
  /** Containers the control plane saw start; a restarted agent that finds one missing reports it lost. */
  readonly startedContainers?: readonly string[];
  /** What placement bound to the task's containers: one `gpu` association per GPU id it pinned. */
  readonly associations?: readonly TaskAssociation[];
}

/** As ECS's task payload carries them: a GPU (`name`, its id) pinned to one container. */
export interface TaskAssociation {
  readonly type: string;
  readonly name: string;
  readonly containers: readonly string[];
}

export interface PollResponse {
  /** Tasks assigned here that the agent did not list at their current version, in full. */
  readonly tasks: readonly AgentTask[];
  /** Tasks assigned here that the agent listed at their current version: ARNs only. */
  readonly unchanged: readonly string[];
}

export type HealthStatus = 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN';

/** BerthAgentV1.SubmitHealth: the health check results of containers of tasks on this instance. */
export interface SubmitHealthRequest {
  readonly cluster: string;
  readonly containerInstanceArn: string;
  readonly tasks: readonly {
    readonly taskArn: string;
    readonly containers: readonly { readonly containerName: string; readonly healthStatus: HealthStatus }[];
  }[];
}

/** One task's changes, as SubmitTaskStateChange reads them (timestamps in epoch seconds). */
export interface StateChangeEntry {
  readonly task: string;
  readonly status?: string;
  readonly reason?: string;
  readonly pullStartedAt?: number;
  readonly pullStoppedAt?: number;
  readonly executionStoppedAt?: number;
  readonly containers?: readonly ContainerStateChange[];
}

/** BerthAgentV1.SubmitStateChanges: state changes of tasks on this instance, applied in order. */
export interface SubmitStateChangesRequest {
  readonly cluster: string;
  readonly containerInstanceArn: string;
  readonly changes: readonly StateChangeEntry[];
}

/** The entries the control plane refused (the others were applied). */
export interface SubmitStateChangesResponse {
  readonly refused: readonly {
    readonly index: number;
    readonly task: string;
    readonly code: string;
    readonly message: string;
  }[];
}

/** A refused or failed Poll: the service's error code (`ClientException`, …) and message. */
export class ChannelError extends Error {
  override readonly name = 'ChannelError';
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

export interface ChannelClientOptions {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
}

/**
 * One signed awsJson1.1 call after another to a Berth control plane (SigV4, service `ecs`), over
 * one keep-alive connection: the channel's transport, also used by `berth plan` (cli/plan.ts).
 */
export class SignedJsonClient {
  private readonly signer: SignatureV4;
  private readonly url: URL;
  private readonly agent: HttpAgent;

  constructor(options: ChannelClientOptions) {
    this.url = new URL('/', options.endpoint);
    this.agent = new (this.url.protocol === 'https:' ? HttpsAgent : HttpAgent)({ keepAlive: true });
    this.signer = new SignatureV4({
      credentials: options.credentials,
      region: options.region,
      service: 'ecs',
      sha256: Hash.bind(null, 'sha256'),
    });
  }

  /**
   * One POST over node:http with a keep-alive agent. (`fetch` was measured at ~4 ms more per
   * answer on a busy 2-core host: its web streams take several turns of the event loop, and in
   * `berth up` every Poll answer is on a task start's critical path.)
   */
  private send(
    headers: Record<string, string>,
    body: string,
    signal: AbortSignal | undefined,
  ): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const request = (this.url.protocol === 'https:' ? httpsRequest : httpRequest)(
        this.url,
        {
          method: 'POST',
          headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
          agent: this.agent,
          ...(signal ? { signal } : {}),
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
          );
          response.on('error', reject);
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  }

  /** One signed awsJson1.1 call; an error answer is a ChannelError with the service's code. */
  async call(
    target: string,
    request: object,
    signal: AbortSignal | undefined,
  ): Promise<{ json: Record<string, unknown>; status: number; text: string }> {
    const body = JSON.stringify(request);
    const unsigned = new HttpRequest({
      method: 'POST',
      protocol: this.url.protocol,
      hostname: this.url.hostname,
      ...(this.url.port === '' ? {} : { port: Number(this.url.port) }),
      path: '/',
      headers: {
        host: this.url.host,
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': target,
      },
      body,
    });
    const signed = await this.signer.sign(unsigned);
    const headers = Object.fromEntries(Object.entries(signed.headers).filter(([k]) => k !== 'host'));
    const response = await this.send(headers, body, signal);
    const text = response.text;
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // handled below
    }
    if (response.status < 200 || response.status > 299) {
      const type = typeof json.__type === 'string' ? json.__type : `HTTP${response.status}`;
      const message = typeof json.message === 'string' ? json.message : text.slice(0, 200);
      throw new ChannelError(type.slice(type.lastIndexOf('#') + 1), response.status, message);
    }
    return { json, status: response.status, text };
  }
}

/** The agent's `BerthAgentV1` calls over a SignedJsonClient. */
export class ChannelClient extends SignedJsonClient {
  async poll(request: PollRequest, signal?: AbortSignal): Promise<PollResponse> {
    const { json, status, text } = await this.call(AGENT_TARGET, request, signal);
    if (!Array.isArray(json.tasks)) throw new ChannelError('InvalidResponse', status, text.slice(0, 200));
    const unchanged = Array.isArray(json.unchanged) ? (json.unchanged as string[]) : [];
    return { tasks: json.tasks as AgentTask[], unchanged };
  }

  async submitHealth(request: SubmitHealthRequest, signal?: AbortSignal): Promise<void> {
    await this.call(HEALTH_TARGET, request, signal);
  }

  async submitStateChanges(
    request: SubmitStateChangesRequest,
    signal?: AbortSignal,
  ): Promise<SubmitStateChangesResponse> {
    const { json } = await this.call(STATE_CHANGES_TARGET, request, signal);
    const refused = Array.isArray(json.refused)
      ? (json.refused as SubmitStateChangesResponse['refused'])
      : [];
    return { refused };
  }
}
