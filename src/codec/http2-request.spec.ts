import { devicePath, isValidApnsId, parseDevicePath } from './http2-request.js';

describe('HTTP/2 request codec', () => {
  it('builds and parses the device path', () => {
    expect(devicePath('abcd')).toBe('/3/device/abcd');
    expect(parseDevicePath('/3/device/ABcd')).toEqual({ ok: true, tokenHex: 'abcd' });
    expect(parseDevicePath('/3/device/')).toEqual({ ok: false, reason: 'MissingDeviceToken' });
    expect(parseDevicePath('/2/device/ab')).toEqual({ ok: false, reason: 'BadPath' });
    expect(parseDevicePath('/3/device/ab/cd')).toEqual({ ok: false, reason: 'BadPath' });
    expect(parseDevicePath('/3/device/abc')).toEqual({ ok: false, reason: 'BadDeviceToken' });
    expect(parseDevicePath('/3/device/zz')).toEqual({ ok: false, reason: 'BadDeviceToken' });
  });

  it('accepts only lowercase canonical UUIDs as apns-id', () => {
    expect(isValidApnsId('eabeae54-14a8-11e5-b60b-1697f925ec7b')).toBe(true);
    expect(isValidApnsId('EABEAE54-14A8-11E5-B60B-1697F925EC7B')).toBe(false);
    expect(isValidApnsId('eabeae5414a811e5b60b1697f925ec7b')).toBe(false);
    expect(isValidApnsId('{eabeae54-14a8-11e5-b60b-1697f925ec7b}')).toBe(false);
    expect(isValidApnsId(42 as unknown as string)).toBe(false);
  });
});
