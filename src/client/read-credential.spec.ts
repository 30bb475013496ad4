import { chmodSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { ApnsOptionProblem } from '../errors/apns-options.error.js';
import { testCredentials as creds } from '../testing/test-credentials.js';
import { describePath, describeReadFailure, readCredential } from './read-credential.js';

/** The base64 body of a PEM block: what people paste into an environment variable. */
const pemBody = (pem: string): string => pem.split('\n').filter((l) => l !== '' && !l.startsWith('-----')).join('');
const p8Der = createPrivateKey(creds.signingKey).export({ format: 'der', type: 'pkcs8' });

function read(source: unknown): { bytes: Buffer | undefined; problems: ApnsOptionProblem[] } {
  const problems: ApnsOptionProblem[] = [];
  return { bytes: readCredential('token.key', source, problems), problems };
}

/** Every 12-character slice of `secret`: if any shows in `text`, part of the secret leaked. */
function leakedSlices(text: string, secret: string): string[] {
  const compact = secret.replace(/\s+/g, '');
  const hits: string[] = [];
  for (let i = 0; i + 12 <= compact.length; i += 4) if (text.includes(compact.slice(i, i + 12))) hits.push(compact.slice(i, i + 12));
  return hits;
}

describe('readCredential', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'apns-credential-'));
  });
  afterAll(() => {
    chmodSync(dir, 0o700);
    rmSync(dir, { recursive: true, force: true });
  });

  describe('contents given as base64 (a .p8 or .p12 kept in an environment variable)', () => {
    it('decodes the base64 body of a PEM key, on one line or wrapped, to its DER bytes', () => {
      expect(read(pemBody(creds.signingKey))).toEqual({ bytes: p8Der, problems: [] });
      const wrapped = pemBody(creds.signingKey).replace(/.{1,64}/g, '$&\n');
      expect(read(`  ${wrapped}  `).bytes).toEqual(p8Der);
    });

    it('decodes URL-safe base64 and base64 without padding', () => {
      const url = p8Der.toString('base64url');
      expect(url).toMatch(/[-_]/);
      expect(read(url).bytes).toEqual(p8Der);
      const der = new X509Certificate(creds.clientCert).raw;
      expect(read(der.toString('base64').replace(/=+$/, '')).bytes).toEqual(der);
    });

    it('decodes a base64-encoded PEM file to its PEM text', () => {
      expect(read(Buffer.from(creds.signingKey).toString('base64')).bytes?.toString()).toBe(creds.signingKey.trim());
    });

    it('decodes a base64 PKCS#12 bundle, and base64 text held in a Buffer or a file', () => {
      expect(read(creds.clientPfx.toString('base64')).bytes).toEqual(creds.clientPfx);
      expect(read(Buffer.from(creds.clientPfx.toString('base64'))).bytes).toEqual(creds.clientPfx);
      const file = join(dir, 'AuthKey.p8.b64');
      writeFileSync(file, `${p8Der.toString('base64')}\n`);
      expect(read(file).bytes).toEqual(p8Der);
    });

    it('leaves PEM and DER bytes as they are', () => {
      expect(read(Buffer.from(creds.signingKey)).bytes?.toString()).toBe(creds.signingKey);
      expect(read(p8Der).bytes).toEqual(p8Der);
      expect(read(new Uint8Array(p8Der)).bytes).toEqual(p8Der);
    });
  });

  describe('PEM text mangled by environment variables', () => {
    it('puts back line breaks written as \\n', () => {
      const escaped = creds.signingKey.replace(/\n/g, '\\n');
      expect(escaped).not.toContain('\n');
      const bytes = read(escaped).bytes!;
      expect(createPrivateKey(bytes).asymmetricKeyType).toBe('ec');
    });

    it('rewraps a block flattened onto one line', () => {
      const flat = creds.clientCert.replace(/\n/g, ' ');
      const bytes = read(flat).bytes!;
      expect(new X509Certificate(bytes).raw).toEqual(new X509Certificate(creds.clientCert).raw);
    });
  });

  describe('strings that are neither contents nor an existing file', () => {
    it('never shows base64 that is cut short or corrupt, and says what it looked like', () => {
      const truncated = pemBody(creds.signingKey).slice(0, -8);
      const { bytes, problems } = read(truncated);
      expect(bytes).toBeUndefined();
      expect(problems).toEqual([
        {
          field: 'token.key',
          message:
            `is neither PEM text nor the path of an existing file: it looks like base64 (${truncated.length} characters, not shown) ` +
            'but does not decode to one complete DER certificate, key or PKCS#12 bundle, so it may be cut short or corrupt. ' +
            'Pass the PEM text with its -----BEGIN line, the base64 of the whole DER or PKCS#12 file, or the path of the file.',
        },
      ]);
      expect(leakedSlices(problems[0]!.message, truncated)).toEqual([]);
    });

    it('never shows a key written as hex, and says base64 or PEM is what is read', () => {
      const hex = p8Der.toString('hex');
      const { problems } = read(hex);
      expect(problems).toEqual([
        {
          field: 'token.key',
          message:
            `is neither PEM text nor the path of an existing file: it looks like hex (${hex.length} characters, not shown), which is not read. ` +
            'Pass the PEM text with its -----BEGIN line, the base64 of the DER or PKCS#12 bytes, or the path of the file.',
        },
      ]);
      expect(leakedSlices(problems[0]!.message, hex)).toEqual([]);
    });

    it('never shows other text that is not a path (a JWT, a passphrase with spaces)', () => {
      const jwt = 'eyJhbGciOiJFUzI1NiIsImtpZCI6IkFCQzEyM0RFRkcifQ.eyJpc3MiOiJERUYxMjNHSElKIiwiaWF0IjoxNzAwMDAwMDAwfQ.c2lnbmF0dXJlLWJ5dGVzLWdvLWhlcmU';
      for (const secret of [jwt, 'correct horse battery staple']) {
        const { problems } = read(secret);
        expect(problems).toHaveLength(1);
        expect(problems[0]!.message).toBe(
          `is neither PEM text nor the path of an existing file (a ${secret.length}-character string, not shown in case it is key material): ` +
            'pass the contents (PEM text, or the base64 of the DER or PKCS#12 file), or the path of an existing file.',
        );
      }
    });

    it('names a missing file by its path', () => {
      expect(read('/nonexistent/AuthKey.p8').problems).toEqual([
        { field: 'token.key', message: 'file /nonexistent/AuthKey.p8 does not exist: pass an existing file path or the PEM contents.' },
      ]);
      expect(read('keys/AuthKey_ABC123DEFG.p8').problems[0]!.message).toMatch(/^file keys\/AuthKey_ABC123DEFG\.p8 does not exist/);
    });
  });

  describe('files that cannot be used', () => {
    it('says a directory is a directory', () => {
      const sub = join(dir, 'certs');
      mkdirSync(sub);
      expect(read(sub).problems).toEqual([
        { field: 'token.key', message: `file ${sub} is a directory: name the file inside it, or pass the contents (PEM text, or the base64 of the DER or PKCS#12 file).` },
      ]);
    });

    it('says an empty file is empty', () => {
      const empty = join(dir, 'empty.p8');
      writeFileSync(empty, '');
      expect(read(empty).problems).toEqual([
        { field: 'token.key', message: `file ${empty} is empty: name the file that holds the credential, or pass the contents (PEM text, or the base64 of the DER or PKCS#12 file).` },
      ]);
    });

    it('says why by the error code, for the codes a read can fail with', () => {
      const hint = 'or pass the contents (PEM text, or the base64 of the DER or PKCS#12 file).';
      expect(describeReadFailure('/etc/apns/key.pem', 'EACCES')).toBe(`file /etc/apns/key.pem cannot be read (permission denied): let the process read it, ${hint}`);
      expect(describeReadFailure('/etc/apns/key.pem', 'EPERM')).toBe(`file /etc/apns/key.pem cannot be read (permission denied): let the process read it, ${hint}`);
      expect(describeReadFailure('/etc/apns/key.pem', 'EIO')).toBe(`file /etc/apns/key.pem cannot be read (EIO): check the file, ${hint}`);
      expect(describeReadFailure('/etc/apns/key.pem', 'ENOTDIR')).toBe('file /etc/apns/key.pem does not exist: pass an existing file path or the PEM contents.');
    });
  });

  describe('values that are not credentials at all', () => {
    it.each([
      ['an empty string', '   ', 'is an empty string: pass the contents (PEM text, or the base64 of the DER or PKCS#12 file), or the path of the file.'],
      ['an empty Buffer', Buffer.alloc(0), 'is empty: pass the contents (PEM text, or the base64 of the DER or PKCS#12 file), or the path of the file.'],
      ['an empty Uint8Array', new Uint8Array(0), 'is empty: pass the contents (PEM text, or the base64 of the DER or PKCS#12 file), or the path of the file.'],
      ['a number', 42, 'must be the contents (PEM text, or the base64 of the DER or PKCS#12 file) as a string or Buffer, or the path of the file; got a number.'],
      ['null', null, 'must be the contents (PEM text, or the base64 of the DER or PKCS#12 file) as a string or Buffer, or the path of the file; got null.'],
      ['an object', { path: '/x' }, 'must be the contents (PEM text, or the base64 of the DER or PKCS#12 file) as a string or Buffer, or the path of the file; got an object.'],
      ['an array', ['/x'], 'must be the contents (PEM text, or the base64 of the DER or PKCS#12 file) as a string or Buffer, or the path of the file; got an array.'],
    ])('refuses %s', (_what, source, message) => {
      expect(read(source)).toEqual({ bytes: undefined, problems: [{ field: 'token.key', message }] });
    });
  });
});

describe('describePath', () => {
  it.each([
    ['/nonexistent/AuthKey.p8', true],
    ['./certs/client.pem', true],
    ['../client.crt', true],
    ['~/keys/AuthKey.p8', true],
    ['C:\\keys\\AuthKey.p8', true],
    ['AuthKey_ABC123DEFG.p8', true],
    ['/etc/apns/key', true],
    ['/Users/me/My Keys/push.p12', true],
  ])('shows %s, which has the shape of a path', (path, shown) => {
    expect(describePath(path) === `file ${path}`).toBe(shown);
  });

  it.each([
    ['a base64 key body', 'MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg'],
    ['base64 starting with a slash', '/abcdefghijklmnopqrstuvwxyzABCDEF+0123'],
    ['a base64 key that ends like a file name', 'MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg.p8'],
    ['a word with no path shape', 'key'],
    ['text with a line break', '/tmp/a\nb.p8'],
  ])('hides %s', (_what, text) => {
    expect(describePath(text)).toBe('the file it names');
  });
});
