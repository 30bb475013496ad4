import { APNS_REASONS, BinaryStatus, describeBinaryStatus, describeReason, isRetryableStatus, reasonForStatus } from './reasons.js';

describe('reasons', () => {
  it('lists every reason of the provider API with its status', () => {
    const byStatus = (status: number) => Object.values(APNS_REASONS).filter((r) => r.status === status).map((r) => r.reason).sort();
    expect(byStatus(400)).toEqual([
      'BadCollapseId', 'BadDeviceToken', 'BadExpirationDate', 'BadMessageId', 'BadPriority', 'BadTopic',
      'DeviceTokenNotForTopic', 'DuplicateHeaders', 'IdleTimeout', 'InvalidPushType', 'MissingDeviceToken',
      'MissingTopic', 'PayloadEmpty', 'TopicDisallowed',
    ]);
    expect(byStatus(403)).toEqual([
      'BadCertificate', 'BadCertificateEnvironment', 'BadEnvironmentKeyIdInToken', 'ExpiredProviderToken',
      'Forbidden', 'InvalidProviderToken', 'MissingProviderToken', 'UnrelatedKeyIdInToken',
    ]);
    expect(byStatus(410)).toEqual(['ExpiredToken', 'Unregistered']);
    expect(byStatus(429)).toEqual(['TooManyProviderTokenUpdates', 'TooManyRequests']);
    expect(byStatus(503)).toEqual(['ServiceUnavailable', 'Shutdown']);
    expect(Object.keys(APNS_REASONS)).toHaveLength(32);
    for (const info of Object.values(APNS_REASONS)) expect(info.advice.length).toBeGreaterThan(10);
  });

  it('never marks the reasons Apple says not to retry as retryable', () => {
    for (const reason of ['BadDeviceToken', 'DeviceTokenNotForTopic', 'Forbidden', 'ExpiredToken', 'Unregistered', 'PayloadTooLarge']) {
      expect(describeReason(reason)?.retryable).toBe(false);
    }
    for (const reason of ['TooManyRequests', 'InternalServerError', 'ServiceUnavailable', 'Shutdown', 'ExpiredProviderToken']) {
      expect(describeReason(reason)?.retryable).toBe(true);
    }
  });

  it('returns undefined for unknown reasons, including Object prototype names', () => {
    expect(describeReason('NoSuchReason')).toBeUndefined();
    expect(describeReason('toString')).toBeUndefined();
    expect(describeReason('__proto__')).toBeUndefined();
  });

  it('names a status whose body carried no reason', () => {
    expect(reasonForStatus(410)).toBe('Unregistered');
    expect(reasonForStatus(502)).toBe('HTTP502');
    expect(isRetryableStatus(502)).toBe(true);
    expect(isRetryableStatus(429)).toBe(true);
    expect(isRetryableStatus(400)).toBe(false);
  });

  it('names every binary status code and never throws for undefined ones', () => {
    expect(describeBinaryStatus(8)).toMatchObject({ code: 8, name: 'InvalidToken', retryable: false });
    expect(describeBinaryStatus(10)).toMatchObject({ name: 'Shutdown', retryable: true });
    expect(describeBinaryStatus(128).name).toBe('ProtocolError');
    expect(describeBinaryStatus(255).name).toBe('Unknown');
    expect(describeBinaryStatus(9)).toMatchObject({ code: 9, name: 'Unknown(9)', retryable: false });
    expect(describeBinaryStatus(-1).name).toBe('Unknown(-1)');
    for (const [name, code] of Object.entries(BinaryStatus)) expect(describeBinaryStatus(code).name).toBe(name);
  });
});
