// Plain node tls/http2 clients for the mock server's own tests (our client is not used here on purpose).
import { connect as h2connect, type ClientHttp2Session, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { testCredentials, type MockApnsServer } from '../src/testing/index.js';

export const TOKEN = 'a1'.repeat(32);
export const TOKEN_2 = 'b2'.repeat(32);

/** A TLS connection that keeps every byte the server sent and resolves `closed` with them. */
export interface RawConnection {
  socket: TLSSocket;
  received: () => Buffer;
  closed: Promise<Buffer>;
}

export type ClientCert = 'valid' | 'none' | 'expired' | 'untrusted';

function clientCertOptions(cert: ClientCert): ConnectionOptions {
  switch (cert) {
    case 'valid':
      return { cert: testCredentials.clientCert, key: testCredentials.clientKey };
    case 'expired':
      return { cert: testCredentials.expiredClientCert, key: testCredentials.expiredClientKey };
    case 'untrusted':
      return { cert: testCredentials.untrustedServerCert, key: testCredentials.untrustedServerKey };
    case 'none':
      return {};
  }
}

/** Opens TLS to a mock port; resolves after the handshake and one more round trip (client-cert failures of TLS 1.3 arrive then). */
export function connectTls(port: number, cert: ClientCert = 'valid', extra: ConnectionOptions = {}): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = tlsConnect({
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      ca: testCredentials.ca,
      ...clientCertOptions(cert),
      ...extra,
    });
    const closed = new Promise<Buffer>((resolveClosed) => socket.on('close', () => resolveClosed(Buffer.concat(chunks))));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('error', reject);
    socket.once('secureConnect', () => resolve({ socket, received: () => Buffer.concat(chunks), closed }));
  });
}

/**
 * Resolves with the message of the error a TLS connection ends with (handshake
 * refused, reset, closed right after the handshake), or rejects if it works.
 */
export function expectTlsFailure(port: number, cert: ClientCert, extra: ConnectionOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      ca: testCredentials.ca,
      ...clientCertOptions(cert),
      ...extra,
    });
    let failure: Error | undefined;
    socket.on('error', (error) => (failure ??= error));
    // With TLS 1.3 the server's verdict on a client certificate comes after the client's handshake ends.
    socket.on('secureConnect', () => socket.write(Buffer.alloc(0)));
    socket.on('data', () => undefined);
    socket.on('close', () => (failure ? resolve(failure.message) : reject(new Error('the connection closed without an error'))));
    socket.on('end', () => (failure ??= new Error('closed by the server')));
  });
}

export interface H2Response {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export async function openH2(mock: MockApnsServer, cert: ClientCert = 'none'): Promise<ClientHttp2Session> {
  const session = h2connect(`https://localhost:${mock.http2Port}`, {
    ca: testCredentials.ca,
    host: '127.0.0.1',
    ...(clientCertOptions(cert) as object),
  });
  session.on('error', () => undefined);
  // Resolve once the server's SETTINGS are in, so remoteSettings shows what it advertised.
  await new Promise<void>((resolve, reject) => {
    session.once('remoteSettings', () => resolve());
    session.once('error', reject);
    session.once('close', () => reject(new Error('session closed before the server settings arrived')));
  });
  return session;
}

/** POSTs (by default) to /3/device/<token> and collects the answer. Rejects when the stream is reset. */
export function h2Send(
  session: ClientHttp2Session,
  options: H2Request = {},
): Promise<H2Response> {
  return h2SendRaw(session, options);
}

export interface H2Request {
  token?: string;
  path?: string;
  method?: string;
  headers?: OutgoingHttpHeaders;
  body?: string | Buffer;
}

function h2SendRaw(
  session: ClientHttp2Session,
  options: H2Request,
): Promise<H2Response> {
  return new Promise((resolve, reject) => {
    const stream = session.request({
      ':method': options.method ?? 'POST',
      ':path': options.path ?? `/3/device/${options.token ?? TOKEN}`,
      'apns-topic': 'com.example.app',
      ...options.headers,
    });
    let status = 0;
    let headers: IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    stream.on('response', (h) => {
      headers = h;
      status = Number(h[':status']);
    });
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    // A reset also emits 'error'; 'close' reports it with its code.
    stream.on('error', () => undefined);
    stream.on('close', () => {
      if (status === 0) reject(Object.assign(new Error(`stream closed without a response (rst code ${stream.rstCode})`), { rstCode: stream.rstCode }));
      else resolve({ status, headers, body: Buffer.concat(chunks).toString('utf8') });
    });
    // GET requests are ended by node itself.
    if (stream.writable) stream.end(options.body ?? '{"aps":{"alert":"hello"}}');
  });
}

export function closeH2(session: ClientHttp2Session): Promise<void> {
  return new Promise((resolve) => {
    if (session.destroyed) return resolve();
    session.close(() => resolve());
    setTimeout(() => session.destroy(), 1000).unref();
  });
}
