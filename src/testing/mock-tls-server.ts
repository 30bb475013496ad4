import type { AddressInfo, Server as NetServer, Socket } from 'node:net';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { certificateEnvironments, type ApnsEnvironment } from '../codec/certificate-environment.js';
import type { MockServerContext } from './mock-server-context.js';

/** TLS settings shared by the mock's raw-TLS services (binary gateway, feedback). */
export interface MockTlsOptions {
  key: string;
  cert: string;
  ca: string;
  requireClientCert: boolean;
  maxTlsVersion: 'TLSv1.2' | 'TLSv1.3';
  /** The environment the mock plays: a client certificate marked for the other one only is refused. */
  environment: ApnsEnvironment;
}

/**
 * True when the client certificate on `socket` carries Apple's environment
 * marks (apns-protocol.md 1.1) and not the one of `environment`. A
 * certificate without the marks is not judged.
 */
export function isForOtherEnvironment(socket: TLSSocket, environment: ApnsEnvironment): boolean {
  const peer = socket.getPeerCertificate();
  const raw = peer !== null && typeof peer === 'object' ? (peer as { raw?: Buffer }).raw : undefined;
  if (raw === undefined) return false;
  const marked = certificateEnvironments(raw);
  return marked !== undefined && !marked.has(environment);
}

/**
 * A TLS server as Apple's binary services behave: the client certificate is
 * verified against the test CA when required, and one marked for the other
 * environment only is refused the way node refuses an unverified one (the
 * socket is destroyed right after the handshake); connections are cut while
 * the `refuseConnections` fault is on, and handshake failures are counted
 * instead of surfacing as errors.
 */
export function createMockTlsServer(
  ctx: MockServerContext,
  options: MockTlsOptions,
  onConnection: (socket: TLSSocket) => void,
): Server {
  const server = createServer({
    key: options.key,
    cert: options.cert,
    ca: options.ca,
    requestCert: options.requireClientCert,
    rejectUnauthorized: options.requireClientCert,
    maxVersion: options.maxTlsVersion,
  });
  server.on('connection', (socket: Socket) => {
    if (ctx.faults.refusing()) {
      ctx.records.counters.refusedConnections++;
      socket.destroy();
      ctx.records.changed();
    }
  });
  server.on('secureConnection', (socket: TLSSocket) => {
    if (options.requireClientCert && isForOtherEnvironment(socket, options.environment)) {
      socket.destroy();
      ctx.records.counters.wrongEnvironmentCertificates++;
      ctx.records.changed();
      return;
    }
    onConnection(socket);
  });
  server.on('tlsClientError', (_error, socket) => {
    socket.destroy();
    ctx.records.counters.tlsErrors++;
    ctx.records.changed();
  });
  return server;
}

/** Listens and resolves to the bound port; later server errors are swallowed so garbage never crashes the mock. */
export function listenOn(server: NetServer, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      server.on('error', () => undefined);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
