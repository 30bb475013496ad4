import { ApnsConnectionError } from '../../errors/apns-connection.error.js';

/**
 * Codes that cannot go away by trying again: the certificate or key is wrong,
 * expired, untrusted or refused by the server. The pool fails queued work at
 * once for these instead of waiting out its reconnect budget.
 */
const PERMANENT_CODE =
  /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|UNKNOWN_CA|ERR_OSSL_|BAD_DECRYPT|ERR_TLS_CERT_ALTNAME|HANDSHAKE_FAILURE|ACCESS_DENIED/i;
const PERMANENT_MESSAGE = /certificate|bad decrypt|mac verify failure|key values mismatch|no start line|passphrase/i;

/**
 * Maps what `node:http2`/`node:tls` threw or emitted while opening or running a
 * session to an `ApnsConnectionError` naming the cause. Node's messages for
 * TLS failures carry OpenSSL reason strings, never key material.
 */
export function toConnectionError(endpoint: string, error: unknown): ApnsConnectionError {
  if (error instanceof ApnsConnectionError) return error;
  const err = error instanceof Error ? error : new Error(String(error));
  const raw = (err as { code?: unknown }).code;
  const code = typeof raw === 'string' && raw !== '' ? raw : 'ERROR';
  const permanent = PERMANENT_CODE.test(code) || PERMANENT_MESSAGE.test(err.message);
  return new ApnsConnectionError(endpoint, code, err.message, { cause: err, permanent });
}
