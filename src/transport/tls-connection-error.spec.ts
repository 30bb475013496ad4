import { ApnsConnectionError } from '../errors/apns-connection.error.js';
import { toConnectionError } from './tls-connection-error.js';

function coded(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('toConnectionError', () => {
  it.each([
    ['CERT_HAS_EXPIRED', 'certificate has expired'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate'],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames"],
    ['ERR_OSSL_BAD_DECRYPT', 'error:1C800064:Provider routines::bad decrypt'],
    ['ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE', 'sslv3 alert bad certificate'],
    ['ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED', 'sslv3 alert certificate expired'],
    ['ERR_OSSL_EVP_BAD_DECRYPT', 'error:1C800064:Provider routines::bad decrypt'],
    ['ERR_OSSL_PKCS12_MAC_VERIFY_FAILURE', 'mac verify failure'],
  ])('treats %s as permanent: no retry can fix it', (code, message) => {
    const error = toConnectionError('api.push.apple.com:443', coded(code, message));
    expect(error).toBeInstanceOf(ApnsConnectionError);
    expect(error).toMatchObject({ code, permanent: true, endpoint: 'api.push.apple.com:443' });
    expect(error.message).toContain(message);
  });

  it.each([
    ['ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1'],
    ['ECONNRESET', 'socket hang up'],
    ['ETIMEDOUT', 'connect ETIMEDOUT'],
    ['ERR_HTTP2_SESSION_ERROR', 'Session closed with error code 2'],
    ['ERR_HTTP2_GOAWAY_SESSION', 'New streams cannot be created after receiving a GOAWAY'],
  ])('treats %s as transient: the pool retries with backoff', (code, message) => {
    expect(toConnectionError('127.0.0.1:1', coded(code, message))).toMatchObject({ code, permanent: false });
  });

  it('says what to do about a refused connection and keeps node\'s own words', () => {
    const error = toConnectionError('127.0.0.1:1', coded('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1'));
    expect(error.message).toContain('is the gateway running and the port right?');
    expect(error.message).toContain('connect ECONNREFUSED 127.0.0.1:1');
  });

  it('keeps an ApnsConnectionError as it is and names anything else ERROR', () => {
    const original = new ApnsConnectionError('h:1', 'PING_TIMEOUT', 'no ack');
    expect(toConnectionError('h:1', original)).toBe(original);
    expect(toConnectionError('h:1', 'boom')).toMatchObject({ code: 'ERROR', permanent: false });
  });
});
