import type { TaskDefinition, TaskOverride } from '@aws-sdk/client-ecs';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

/**
 * The agent's side of the `BerthAgentV1` channel: `Poll` and `SubmitHealth`, JSON requests signed
 * with SigV4 (service `ecs`, the same signer the AWS SDK uses) and sent with `fetch`. The wire
 * contract is the control plane's (control/agent-channel/poll.ts and health.ts); the types are
 * repeated here because agent/ does not import control/.
 */
export const AGENT_TARGET = 'BerthAgentV1.Poll';
export const HEALTH_TARGET = 'BerthAgentV1.SubmitHealth';

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
}

export interface PollResponse {
  readonly tasks: readonly AgentTask[];
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

export class ChannelClient {
  private readonly signer: SignatureV4;
  private readonly url: URL;

  constructor(options: ChannelClientOptions) {
    this.url = new URL('/', options.endpoint);
    this.signer = new SignatureV4({
      credentials: options.credentials,
      region: options.region,
      service: 'ecs',
      sha256: Hash.bind(null, 'sha256'),
    });
  }

  async poll(request: PollRequest, signal?: AbortSignal): Promise<PollResponse> {
    const { json, status, text } = await this.call(AGENT_TARGET, request, signal);
    if (!Array.isArray(json.tasks)) throw new ChannelError('InvalidResponse', status, text.slice(0, 200));
    return { tasks: json.tasks as AgentTask[] };
  }

  async submitHealth(request: SubmitHealthRequest, signal?: AbortSignal): Promise<void> {
    await this.call(HEALTH_TARGET, request, signal);
  }

  /** One signed awsJson1.1 call; an error answer is a ChannelError with the service's code. */
  private async call(
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
    const response = await fetch(this.url, {
      method: 'POST',
      headers,
      body,
      ...(signal ? { signal } : {}),
    });
    const text = await response.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // handled below
    }
    if (!response.ok) {
      const type = typeof json.__type === 'string' ? json.__type : `HTTP${response.status}`;
      const message = typeof json.message === 'string' ? json.message : text.slice(0, 200);
      throw new ChannelError(type.slice(type.lastIndexOf('#') + 1), response.status, message);
    }
    return { json, status: response.status, text };
  }
}
