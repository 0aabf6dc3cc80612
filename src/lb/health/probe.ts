import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { ProbeOutcome } from '../../core/elbv2/health-verdict.js';
import type { HealthCheck } from '../../core/elbv2/types.js';

/**
 * One health-check probe against one target, as ELB sends it: HTTP(S) `GET path` reading only the
 * status line, or for TCP/TLS/UDP checks a TCP connection that opens (ELB checks UDP groups over
 * TCP; a TLS check on a network load balancer is a TCP one too). A probe never rejects: every
 * failure is an outcome for the state machine. No connection is reused (`agent: false`), so a
 * probe holds no socket once it has settled.
 */

export interface ProbeTarget {
  readonly address: string;
  /** The health-check port already resolved (`traffic-port` → the target's port). */
  readonly port: number;
}

/** ELB's health checker identifies itself this way; some applications special-case it. */
const USER_AGENT = 'ELB-HealthChecker/2.0';

export function probe(
  check: HealthCheck,
  target: ProbeTarget,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<ProbeOutcome> {
  switch (check.protocol) {
    case 'HTTP':
    case 'HTTPS':
      return httpProbe(check, target, timeoutMs, signal);
    case 'TCP':
    case 'TLS':
    case 'UDP':
      return tcpProbe(target, timeoutMs, signal);
  }
}

/** Settles once, clearing the deadline and the abort listener, whichever way the probe ends. */
function settleOnce(
  timeoutMs: number,
  signal: AbortSignal,
  cleanup: () => void,
  resolve: (o: ProbeOutcome) => void,
): (o: ProbeOutcome) => void {
  let done = false;
  const finish = (o: ProbeOutcome): void => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
    cleanup();
    resolve(o);
  };
  const onAbort = (): void => finish({ kind: 'error', message: 'probe cancelled' });
  const timer = setTimeout(() => finish({ kind: 'timeout' }), timeoutMs);
  timer.unref();
  signal.addEventListener('abort', onAbort, { once: true });
  if (signal.aborted) onAbort();
  return finish;
}

function failure(err: NodeJS.ErrnoException): ProbeOutcome {
  return err.code === 'ECONNREFUSED'
    ? { kind: 'refused', message: err.message }
    : { kind: 'error', message: err.message };
}

function httpProbe(
  check: HealthCheck,
  target: ProbeTarget,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const options = {
      host: target.address,
      port: target.port,
      path: check.path ?? '/',
      method: 'GET',
      agent: false as const,
      headers: { 'user-agent': USER_AGENT, connection: 'close' },
    };
    // ELB does not validate target certificates: targets commonly serve self-signed ones.
    const req =
      check.protocol === 'HTTPS'
        ? https.request({ ...options, rejectUnauthorized: false })
        : http.request(options);
    const finish = settleOnce(timeoutMs, signal, () => req.destroy(), resolve);
    req.on('response', (res) => {
      finish({ kind: 'response', status: res.statusCode ?? 0 });
      res.resume();
    });
    req.on('error', (err) => finish(failure(err)));
    req.end();
  });
}

function tcpProbe(target: ProbeTarget, timeoutMs: number, signal: AbortSignal): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: target.address, port: target.port });
    const finish = settleOnce(timeoutMs, signal, () => socket.destroy(), resolve);
    socket.on('connect', () => finish({ kind: 'connected' }));
    socket.on('error', (err) => finish(failure(err)));
  });
}
