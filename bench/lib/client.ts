import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { Agent, request as httpRequest } from 'node:http';

/**
 * The load generator's client: every call signs a fresh awsJson1.1 request with
 * @smithy/signature-v4 (the signer the AWS SDKs use) and sends it over a keep-alive agent. The
 * same client code runs against Berth and against the bare baseline, so the client's own cost
 * (signing, HTTP parsing) is identical on both sides of every ratio.
 */
export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface SignedClientOptions {
  readonly port: number;
  readonly region: string;
  readonly credentials: Credentials;
  /** Keep-alive sockets: one per concurrent worker. */
  readonly maxSockets: number;
}

export interface Reply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

export const ECS_TARGET_PREFIX = 'AmazonEC2ContainerServiceV20141113';
const CONTENT_TYPE = 'application/x-amz-json-1.1';

export class SignedClient {
  readonly agent: Agent;
  private readonly signer: SignatureV4;
  private readonly host: string;

  constructor(private readonly options: SignedClientOptions) {
    this.agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets });
    this.host = `127.0.0.1:${options.port}`;
    this.signer = new SignatureV4({
      credentials: options.credentials,
      region: options.region,
      service: 'ecs',
      sha256: Hash.bind(null, 'sha256'),
    });
  }

  /** Signs and sends one ECS operation; resolves with the whole response. */
  async call(operation: string, body: string): Promise<Reply> {
    const unsigned = new HttpRequest({
      method: 'POST',
      protocol: 'http:',
      hostname: '127.0.0.1',
      port: this.options.port,
      path: '/',
      headers: {
        host: this.host,
        'content-type': CONTENT_TYPE,
        'x-amz-target': `${ECS_TARGET_PREFIX}.${operation}`,
        'content-length': String(Buffer.byteLength(body)),
      },
      body,
    });
    const signed = await this.signer.sign(unsigned);
    return new Promise<Reply>((resolve, reject) => {
      const req = httpRequest(
        {
          agent: this.agent,
          host: '127.0.0.1',
          port: this.options.port,
          method: 'POST',
          path: '/',
          headers: signed.headers,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
