import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveParent } from './lib/child.js';

/**
 * The load-balancer benchmark's targets (bench/lb.ts): `BENCH_BACKENDS` (default 3) bare node:http
 * servers on 127.0.0.1 in this one process — apart from the proxies under test, so they never share
 * an event loop — each answering every request with the same 64-byte body, keep-alive. Prints
 * `{ ports, pid }` as one JSON line once they listen; answers `cpu`; exits when stdin closes.
 */
const count = Number(process.env.BENCH_BACKENDS ?? 3);
const BODY = Buffer.from('x'.repeat(63) + '\n');

const servers: Server[] = [];
for (let i = 0; i < count; i++) {
  const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    // Read (and drop) a request body, as a real target would, then answer.
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': BODY.length });
      res.end(BODY);
    });
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
}

serveParent(async () => {
  await Promise.all(
    servers.map((server) => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    }),
  );
});
process.stdout.write(
  JSON.stringify({ ports: servers.map((s) => (s.address() as AddressInfo).port), pid: process.pid }) + '\n',
);
