import { ApnsConnectionError } from '../errors/apns-connection.error.js';

/** Codes Node gives when the server's certificate fails verification. */
const SERVER_CERTIFICATE_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'INVALID_CA',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * OpenSSL failures while loading our own certificate or key (wrong passphrase,
 * key not matching the certificate, unreadable PEM or PKCS#12). `node:http2`
 * builds its TLS context inside `connect`, so these reach us as connection errors.
 */
const CREDENTIAL_MESSAGE = /bad decrypt|mac verify failure|key values mismatch|no start line|passphrase|unsupported pkcs12|wrong tag/i;

const NETWORK_DESCRIPTIONS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused: is the gateway running and the port right?',
  ECONNRESET: 'the connection was reset by the server',
  EPIPE: 'the server closed the connection while we were writing',
  ETIMEDOUT: 'the network timed out',
  ENOTFOUND: 'the host name does not resolve',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
};

/**
 * Maps what `node:tls` / `node:http2` threw or emitted while opening or running
 * a connection to an `ApnsConnectionError` that says what went wrong and what to
 * do. Certificate and key problems on either side are permanent (the pool fails
 * queued work at once); network trouble is not. Node's messages for TLS failures
 * carry OpenSSL reason strings, never key material or passphrases.
 */
export function toConnectionError(endpoint: string, error: unknown): ApnsConnectionError {
  if (error instanceof ApnsConnectionError) return error;
  const raw = (error as { code?: unknown } | undefined)?.code;
  const code = typeof raw === 'string' && raw !== '' ? raw : 'ERROR';
  const message = error instanceof Error ? error.message : String(error);
  const fail = (description: string, permanent: boolean) =>
    new ApnsConnectionError(endpoint, code, description, { cause: error, permanent });

  if (SERVER_CERTIFICATE_CODES.has(code)) {
    return fail(`the server certificate is not trusted (${message}): check the host and the \`ca\` option`, true);
  }
  if (code.startsWith('ERR_SSL_') && code.includes('ALERT')) {
    if (code.includes('CERTIFICATE_EXPIRED')) {
      return fail(`the server rejected the client certificate as expired (${message}): renew the APNs certificate`, true);
    }
    if (/CERTIFICATE|UNKNOWN_CA|ACCESS_DENIED|HANDSHAKE_FAILURE|DECRYPT_ERROR/.test(code)) {
      return fail(
        `the server rejected the client certificate (${message}): check that it is valid, not revoked and for this environment (sandbox or production)`,
        true,
      );
    }
    return fail(`the TLS handshake failed (${message})`, false);
  }
  if (code.startsWith('ERR_OSSL_') || CREDENTIAL_MESSAGE.test(message)) {
    return fail(
      `cannot load the client certificate or key (${message}): check the passphrase and that the key belongs to the certificate`,
      true,
    );
  }
  if (code.startsWith('ERR_SSL_')) return fail(`TLS failed (${message})`, false);
  const known = NETWORK_DESCRIPTIONS[code];
  return fail(known === undefined ? message : `${known} (${message})`, false);
}
