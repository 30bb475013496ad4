import { isIP } from 'node:net';
import { connect, createSecureContext, type SecureContext, type TLSSocket } from 'node:tls';
import { ApnsConnectionError } from '../../errors/apns-connection.error.js';
import { toConnectionError as toSharedConnectionError } from '../tls-connection-error.js';
import type { Endpoint, TlsConfig } from '../transport-config.js';

/**
 * How long a TLS 1.3 connection waits, after its handshake, for a sign that the
 * server accepted the client certificate (see `connectTls`). Servers that send
 * session tickets answer within one round trip; one that sends none costs this
 * much once per connection.
 */
export const TLS13_CONFIRM_MS = 500;

/** Code of a connection the server closed right after a TLS 1.3 handshake, before confirming it. */
export const CLOSED_AFTER_HANDSHAKE = 'CLOSED_AFTER_HANDSHAKE';

const CLOSED_AFTER_HANDSHAKE_DESCRIPTION =
  'the server closed the connection right after the TLS handshake, which is how a TLS 1.3 server rejects a client certificate: check that it is valid, not expired and for this environment (sandbox or production)';

/**
 * The same failure, once it happened on consecutive attempts: now taken as a
 * rejected certificate, permanent, so queued sends fail at once with this reason.
 */
export function certificateRejected(error: ApnsConnectionError, endpoint: Endpoint, attempts: number): ApnsConnectionError {
  return new ApnsConnectionError(
    endpointName(endpoint),
    'CLIENT_CERTIFICATE_REJECTED',
    `${CLOSED_AFTER_HANDSHAKE_DESCRIPTION} (${attempts} attempts in a row)`,
    { cause: error, permanent: true },
  );
}

/** `host:port`, as log lines and errors name an endpoint. */
export function endpointName(endpoint: Endpoint): string {
  return `${endpoint.host}:${endpoint.port}`;
}

/**
 * Builds the client's TLS context once, so every connection of a transport
 * reuses the parsed certificate and key. A wrong passphrase, a key that does
 * not match the certificate or an unreadable PKCS#12 is a permanent
 * `ApnsConnectionError`: trying again cannot help. `maxVersion` caps the TLS
 * version (it belongs to the context, not to the connection).
 */
export function createClientSecureContext(tls: TlsConfig, endpoint: Endpoint, maxVersion?: 'TLSv1.2'): SecureContext {
  try {
    return createSecureContext({
      maxVersion,
      cert: tls.cert,
      key: tls.key,
      passphrase: tls.passphrase,
      pfx: tls.pfx,
      ca: tls.ca,
    });
  } catch (error) {
    // OpenSSL's message names the failing step (bad decrypt, mac verify failure,
    // key values mismatch), never the key or passphrase themselves.
    const code = (error as { code?: string }).code ?? 'BAD_CREDENTIALS';
    return throwPermanent(
      endpoint,
      code,
      `cannot load the client certificate or key (${(error as Error).message}): check the passphrase and that the key belongs to the certificate`,
      error,
    );
  }
}

function throwPermanent(endpoint: Endpoint, code: string, description: string, cause: unknown): never {
  throw new ApnsConnectionError(endpointName(endpoint), code, description, { cause, permanent: true });
}

/** The shared mapper, with the binary transport's endpoint type. */
export function toConnectionError(endpoint: Endpoint, error: unknown): ApnsConnectionError {
  return toSharedConnectionError(endpointName(endpoint), error);
}

function noop(): void {}

/**
 * Opens a TLS connection with the transport's credentials and resolves once it
 * can be used, or rejects with an `ApnsConnectionError`.
 *
 * With TLS 1.3 the client finishes its handshake before the server has checked
 * the client certificate, so a rejected (e.g. expired) certificate only shows
 * as the server closing the socket right after. Resolving at `secureConnect`
 * would report such a connection as open, write into it and reconnect in a
 * loop; instead this waits for the server's session ticket (sent once the
 * certificate is accepted), at most {@link TLS13_CONFIRM_MS}, and rejects a
 * close before it with code {@link CLOSED_AFTER_HANDSHAKE} (not permanent by
 * itself: a server may also just be dropping connections; the caller decides
 * when it has seen it often enough to blame the certificate).
 *
 * The socket keeps a no-op 'error' listener: the caller adds its own, and an
 * error emitted before it does must not crash the process.
 */
export function connectTls(
  endpoint: Endpoint,
  tls: TlsConfig,
  secureContext: SecureContext,
  timeoutMs: number,
): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let handshakeDone = false;
    let ticketSeen = false;
    let confirmed = false;
    let confirmTimer: NodeJS.Timeout | undefined;
    const socket = connect({
      host: endpoint.host,
      port: endpoint.port,
      secureContext,
      rejectUnauthorized: tls.rejectUnauthorized,
      // SNI takes a host name only; an IP address there is a protocol error.
      servername: isIP(endpoint.host) === 0 ? endpoint.host : undefined,
    });
    socket.on('error', noop);
    const cleanup = (): void => {
      settled = true;
      clearTimeout(connectTimer);
      if (confirmTimer) clearTimeout(confirmTimer);
      socket.off('error', onError);
      socket.off('close', onClose);
      socket.off('secureConnect', onSecureConnect);
      socket.off('session', onSession);
    };
    const fail = (error: ApnsConnectionError): void => {
      if (settled) return;
      cleanup();
      socket.destroy();
      reject(error);
    };
    const onReady = (): void => {
      if (settled) return;
      cleanup();
      resolve(socket);
    };
    // 'secureConnect' and 'session' are emitted from inside the TLS layer's
    // callbacks; a write from there (the pool writes as soon as it has the
    // connection) can leave the first write stuck in the TLS buffer, so the
    // hand-over always happens on a later turn of the event loop.
    const confirm = (): void => {
      if (confirmed || settled) return;
      confirmed = true;
      setImmediate(onReady);
    };
    // A TLS 1.2 server may send its ticket before the handshake ends (and before
    // the server certificate is verified): only a ticket after it confirms anything.
    const onSession = (): void => {
      if (handshakeDone) confirm();
      else ticketSeen = true;
    };
    const onError = (error: Error): void => fail(toConnectionError(endpoint, error));
    const onClose = (): void => {
      // Confirmed, then closed before the hand-over (a feedback service with an
      // empty list does that): hand the closed socket over; its owner sees the end.
      if (confirmed) {
        onReady();
      } else if (handshakeDone && socket.readableLength === 0) {
        fail(new ApnsConnectionError(endpointName(endpoint), CLOSED_AFTER_HANDSHAKE, CLOSED_AFTER_HANDSHAKE_DESCRIPTION));
      } else {
        fail(new ApnsConnectionError(endpointName(endpoint), 'CONNECTION_CLOSED', 'the server closed the connection during the TLS handshake'));
      }
    };
    const onSecureConnect = (): void => {
      handshakeDone = true;
      if (socket.getProtocol() !== 'TLSv1.3' || ticketSeen) confirm();
      else confirmTimer = setTimeout(confirm, Math.min(TLS13_CONFIRM_MS, timeoutMs));
    };
    const connectTimer = setTimeout(
      () =>
        fail(new ApnsConnectionError(endpointName(endpoint), 'CONNECT_TIMEOUT', `no TLS connection within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.on('error', onError);
    socket.on('close', onClose);
    socket.on('secureConnect', onSecureConnect);
    socket.on('session', onSession);
  });
}
