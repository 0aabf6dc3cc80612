import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveParent } from './lib/child.js';

/**
 * The baseline: a bare node:http server that does the least an awsJson server must — read the
 * request body, pick the canned response by X-Amz-Target, and answer it with the same bytes,
 * content-type and a fresh x-amzn-requestid, exactly as Berth's sendJson writes them. No
 * signature check, no routing table, no store. The canned responses are the ones Berth returned
 * for each operation, read from the JSON file named by argv[2]:
 * `{ "<X-Amz-Target>": { "contentType": "...", "body": "<response text>" } }`.
 * Prints `{ port, pid }` as one JSON line once it listens; exits when stdin closes.
 */
interface Canned {
  readonly contentType: string;
  readonly body: string;
}

const file = process.argv[2];
if (!file) throw new Error('usage: serve-baseline.ts <responses.json>');
const canned = new Map(
  Object.entries(JSON.parse(readFileSync(file, 'utf8')) as Record<string, Canned>).map(
    ([target, c]) => [target, { contentType: c.contentType, body: Buffer.from(c.body, 'utf8') }] as const,
  ),
);
const notFound = Buffer.from('{"__type":"UnknownOperationException","message":"not canned"}');

const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    Buffer.concat(chunks); // consume the body as Berth does, then answer
    const target = req.headers['x-amz-target'];
    const response = typeof target === 'string' ? canned.get(target) : undefined;
    const body = response?.body ?? notFound;
    res.writeHead(response ? 200 : 400, {
      'content-type': response?.contentType ?? 'application/x-amz-json-1.1',
      'content-length': body.length,
      'x-amzn-requestid': randomUUID(),
    });
    res.end(body);
  });
});
server.on('clientError', (_err, socket) => socket.destroy());
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
serveParent(async () => {
  server.closeIdleConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
process.stdout.write(
  JSON.stringify({ port: (server.address() as AddressInfo).port, pid: process.pid }) + '\n',
);
