import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate, createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import { resolveModuleOptions } from '../apns-module-options.js';
import { ApnsOptionsError } from '../errors/apns-options.error.js';
import type { ApnsModuleOptions } from '../interfaces/apns-module-options.interface.js';
import { testCredentials as creds, writeTestCredentials } from '../testing/test-credentials.js';
import type { ApnsLogger } from '../transport/apns-logger.js';
import type { ApnsClientOptions } from './apns-client-options.js';
import { checkClientOptions, defaultTrustedCertificates, resolveClientOptions } from './resolve-client-options.js';

const silent: ApnsLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };
const tokenAuth = { key: creds.signingKey, keyId: creds.keyId, teamId: creds.teamId };
const certAuth = { cert: creds.clientCert, key: creds.clientKey };

/** The problems for `options`, as `field: message` lines. */
function problemsOf(options: ApnsClientOptions): string[] {
  return checkClientOptions({ logger: silent, ...options }).problems.map((p) => `${p.field}: ${p.message}`);
}

function expectProblem(options: ApnsClientOptions, field: string, pattern: RegExp): void {
  const problems = checkClientOptions({ logger: silent, ...options }).problems;
  const hit = problems.find((p) => p.field === field && pattern.test(p.message));
  if (!hit) throw new Error(`expected a problem on ${field} matching ${pattern}, got:\n${problemsOf(options).join('\n')}`);
}

describe('resolveClientOptions', () => {
  let dir: string;
  let paths: Record<string, string>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'apns-options-'));
    paths = await writeTestCredentials(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  describe('defaults', () => {
    it('defaults to HTTP/2 on the sandbox host, port 443, with the documented numbers', () => {
      const r = resolveClientOptions({ token: tokenAuth, logger: silent });
      expect(r.transport).toBe('http2');
      expect(r.config.endpoint).toEqual({ host: 'api.sandbox.push.apple.com', port: 443 });
      expect(r.config.feedbackEndpoint).toEqual({ host: 'feedback.sandbox.push.apple.com', port: 2196 });
      expect(r.config.tls.rejectUnauthorized).toBe(true);
      expect(r.config).toMatchObject({
        maxConnections: 8,
        queueSize: 10_000,
        connectTimeoutMs: 10_000,
        idleTimeoutMs: 300_000,
        requestTimeoutMs: 10_000,
        pingIntervalMs: 60_000,
        retry: { attempts: 4, baseDelayMs: 100, maxDelayMs: 5000, maxRetryAfterMs: 60_000, unprocessedResends: 8 },
        reconnect: { baseDelayMs: 250, maxDelayMs: 30_000, giveUpAfterMs: 30_000 },
        binary: {
          format: 'frame',
          sentBufferSize: 100_000,
          uncertainWindow: 'resend',
          uncertainWindowMs: 200,
          uncertainWindowBytes: 6 * 1024 * 1024,
          feedbackIdleTimeoutMs: 5000,
          closeLingerMs: 5000,
        },
      });
      expect(r.drainTimeoutMs).toBe(5000);
      expect(r.config.token).toMatchObject({ keyId: creds.keyId, teamId: creds.teamId, refreshAfterMs: 50 * 60_000 });
      expect(r.config.token!.key.asymmetricKeyType).toBe('ec');
    });

    it('lets a binary connection we close wait for the gateway as long as close() waits for the drain', () => {
      const r = resolveClientOptions({ transport: 'binary', ...certAuth, drainTimeoutMs: 1_234, binary: { uncertainWindowBytes: 0 }, logger: silent });
      expect(r.config.binary).toMatchObject({ closeLingerMs: 1_234, uncertainWindowBytes: 0 });
    });

    it("picks Apple's hosts per environment and transport", () => {
      expect(resolveClientOptions({ token: tokenAuth, environment: 'production', port: 2197, logger: silent }).config.endpoint).toEqual({
        host: 'api.push.apple.com',
        port: 2197,
      });
      const binary = resolveClientOptions({ transport: 'binary', environment: 'production', ...certAuth, logger: silent });
      expect(binary.config.endpoint).toEqual({ host: 'gateway.push.apple.com', port: 2195 });
      expect(binary.config.feedbackEndpoint).toEqual({ host: 'feedback.push.apple.com', port: 2196 });
      const sandbox = resolveClientOptions({ transport: 'binary', ...certAuth, logger: silent });
      expect(sandbox.config.endpoint).toEqual({ host: 'gateway.sandbox.push.apple.com', port: 2195 });
      expect(sandbox.config.feedbackEndpoint).toEqual({ host: 'feedback.sandbox.push.apple.com', port: 2196 });
    });

    it('uses gateway and feedbackGateway overrides', () => {
      const r = resolveClientOptions({
        transport: 'binary',
        gateway: '127.0.0.1:40001',
        feedbackGateway: '[::1]:40002',
        ...certAuth,
        logger: silent,
      });
      expect(r.config.endpoint).toEqual({ host: '127.0.0.1', port: 40001 });
      expect(r.config.feedbackEndpoint).toEqual({ host: '::1', port: 40002 });
    });

    it('accepts and ignores options the chosen transport does not use', () => {
      const r = resolveClientOptions({
        transport: 'binary',
        ...certAuth,
        token: tokenAuth,
        topic: 'com.example.app',
        port: 2197,
        logger: silent,
      });
      expect(r.config.token).toBeUndefined();
      expect(r.config.endpoint.port).toBe(2195);
      const h = resolveClientOptions({ token: tokenAuth, binary: { format: 'enhanced' }, feedbackGateway: '127.0.0.1:1', logger: silent });
      expect(h.transport).toBe('http2');
    });

    it('clamps the provider-token refresh age into [20 min, 60 min)', () => {
      const short = resolveClientOptions({ token: { ...tokenAuth, refreshAfterMs: 1000 }, logger: silent });
      expect(short.config.token!.refreshAfterMs).toBe(20 * 60_000);
      const long = resolveClientOptions({ token: { ...tokenAuth, refreshAfterMs: 2 * 3_600_000 }, logger: silent });
      expect(long.config.token!.refreshAfterMs).toBeLessThan(60 * 60_000);
    });
  });

  describe('credentials', () => {
    it('reads every credential from a file path', () => {
      const r = resolveClientOptions({ cert: paths.clientCert, key: paths.clientKey, ca: paths.ca, logger: silent });
      expect(r.config.tls.cert).toBe(creds.clientCert);
      expect(String(r.config.tls.key)).toBe(creds.clientKey);
      expect(r.config.tls.ca?.map((pem) => String(pem).trim())).toEqual([...defaultTrustedCertificates(), creds.ca]);
      const t = resolveClientOptions({ token: { ...tokenAuth, key: paths.signingKey }, logger: silent });
      expect(t.config.token!.key.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
      const p = resolveClientOptions({ pfx: paths.clientPfx, passphrase: creds.clientPfxPassphrase, logger: silent });
      expect(p.config.tls.pfx).toEqual(creds.clientPfx);
    });

    it('converts DER certificates and keys to PEM', () => {
      const certDer = new X509Certificate(creds.clientCert).raw;
      const keyDer = createPrivateKey(creds.clientKey).export({ format: 'der', type: 'pkcs8' });
      const p8Der = createPrivateKey(creds.signingKey).export({ format: 'der', type: 'pkcs8' });
      const r = resolveClientOptions({ cert: certDer, key: keyDer, ca: [Buffer.from(creds.ca), new X509Certificate(creds.ca).raw], logger: silent });
      expect(String(r.config.tls.cert)).toContain('BEGIN CERTIFICATE');
      expect(String(r.config.tls.key)).toContain('BEGIN PRIVATE KEY');
      expect(r.config.tls.ca?.slice(-2).map((pem) => String(pem).trim())).toEqual([creds.ca, creds.ca]);
      expect(r.config.tls.ca).toHaveLength(defaultTrustedCertificates().length + 2);
      const t = resolveClientOptions({ token: { ...tokenAuth, key: p8Der }, logger: silent });
      expect(t.config.token!.key.asymmetricKeyType).toBe('ec');
    });

    it("trusts `ca` on top of node's default list towards Apple's hosts, on every transport and environment", () => {
      const ca = [creds.ca, creds.untrustedCa];
      for (const options of [
        { token: tokenAuth },
        { token: tokenAuth, environment: 'production' as const, port: 2197 as const },
        { token: tokenAuth, gateway: 'API.push.apple.com.:443' },
        { transport: 'binary' as const, ...certAuth },
        { transport: 'binary' as const, environment: 'production' as const, ...certAuth },
      ]) {
        const trusted = resolveClientOptions({ ...options, ca, logger: silent }).config.tls.ca!;
        expect(trusted).toEqual([...defaultTrustedCertificates(), creds.ca, creds.untrustedCa]);
        expect(trusted).toEqual(expect.arrayContaining([...rootCertificates]));
      }
    });

    it('trusts `ca` alone towards any other gateway, and leaves node its default list without `ca`', () => {
      expect(resolveClientOptions({ token: tokenAuth, gateway: '127.0.0.1:2197', ca: creds.ca, logger: silent }).config.tls.ca).toEqual([creds.ca]);
      expect(resolveClientOptions({ token: tokenAuth, gateway: 'push.example.com:443', ca: creds.ca, logger: silent }).config.tls.ca).toEqual([creds.ca]);
      expect(resolveClientOptions({ token: tokenAuth, logger: silent }).config.tls.ca).toBeUndefined();
    });

    it("takes node's default list from tls.getCACertificates where node has it, else the bundled roots plus NODE_EXTRA_CA_CERTS", () => {
      expect(defaultTrustedCertificates({}, (type) => (type === 'default' ? ['a', 'b'] : []))).toEqual(['a', 'b']);
      const extra = join(dir, 'extra-ca.pem');
      writeFileSync(extra, `${creds.ca}\n${creds.untrustedCa}\n`);
      expect(defaultTrustedCertificates({ NODE_EXTRA_CA_CERTS: extra }, undefined)).toEqual([...rootCertificates, creds.ca.trim(), creds.untrustedCa.trim()]);
      expect(defaultTrustedCertificates({ NODE_EXTRA_CA_CERTS: join(dir, 'missing.pem') }, undefined)).toEqual([...rootCertificates]);
      expect(defaultTrustedCertificates({}, undefined)).toEqual([...rootCertificates]);
    });

    describe("a certificate Apple marked for one environment (OIDs 1.2.840.113635.100.6.3.1 and .2)", () => {
      const sandboxOnly = { cert: creds.sandboxClientCert, key: creds.sandboxClientKey };
      const productionOnly = { cert: creds.productionClientCert, key: creds.productionClientKey };
      const productionPfx = { pfx: creds.productionClientPfx, passphrase: creds.clientPfxPassphrase };
      const production = "is an APNs certificate for production only (it carries OID 1.2.840.113635.100.6.3.2, not 1.2.840.113635.100.6.3.1), but environment is 'sandbox': set environment: 'production', or use the certificate issued for development (the sandbox).";
      const sandbox = "is an APNs certificate for sandbox only (it carries OID 1.2.840.113635.100.6.3.1, not 1.2.840.113635.100.6.3.2), but environment is 'production': set environment: 'sandbox', or use the certificate issued for production.";

      it('fails the boot when it is for the other environment, naming cert or pfx, environment and the fix, on both transports', () => {
        for (const transport of ['http2', 'binary'] as const) {
          expect(checkClientOptions({ transport, ...productionOnly, logger: silent }).problems).toEqual([{ field: 'cert', message: production }]);
          expect(checkClientOptions({ transport, ...productionPfx, logger: silent }).problems).toEqual([{ field: 'pfx', message: production }]);
          expect(checkClientOptions({ transport, environment: 'production', ...sandboxOnly, logger: silent }).problems).toEqual([{ field: 'cert', message: sandbox }]);
        }
        expect(() => resolveClientOptions({ ...productionOnly, logger: silent })).toThrow(ApnsOptionsError);
      });

      it('passes when it matches, when it is marked for both, and when it carries no mark', () => {
        expect(checkClientOptions({ environment: 'production', ...productionOnly, logger: silent }).problems).toEqual([]);
        expect(checkClientOptions({ environment: 'production', ...productionPfx, logger: silent }).problems).toEqual([]);
        expect(checkClientOptions({ ...sandboxOnly, logger: silent }).problems).toEqual([]);
        for (const environment of ['sandbox', 'production'] as const) {
          expect(checkClientOptions({ environment, cert: creds.universalClientCert, key: creds.universalClientKey, logger: silent }).problems).toEqual([]);
          expect(checkClientOptions({ environment, ...certAuth, logger: silent }).problems).toEqual([]);
          expect(checkClientOptions({ environment, pfx: creds.clientPfx, passphrase: creds.clientPfxPassphrase, logger: silent }).problems).toEqual([]);
        }
      });

      it('is not asked about with token auth, and leaves no socket behind after reading a PKCS#12 bundle', async () => {
        expect(checkClientOptions({ auth: 'token', token: tokenAuth, ...productionOnly, logger: silent }).problems).toEqual([]);
        const sockets = () => process.getActiveResourcesInfo().filter((r) => /TCP|TLS|JSStream/i.test(r));
        const before = sockets();
        for (let i = 0; i < 5; i++) checkClientOptions({ environment: 'production', ...productionPfx, logger: silent });
        await new Promise((resolve) => setImmediate(resolve));
        expect(sockets()).toEqual(before);
      });
    });

    it('passes an encrypted key on with its passphrase', () => {
      const r = resolveClientOptions({
        cert: creds.clientCert,
        key: creds.clientKeyEncrypted,
        passphrase: creds.clientKeyPassphrase,
        logger: silent,
      });
      expect(r.config.tls.passphrase).toBe(creds.clientKeyPassphrase);
    });

    it('chooses between token and certificate with auth', () => {
      expect(resolveClientOptions({ auth: 'token', token: tokenAuth, ...certAuth, logger: silent }).config.token).toBeDefined();
      const c = resolveClientOptions({ auth: 'certificate', token: tokenAuth, ...certAuth, logger: silent });
      expect(c.config.token).toBeUndefined();
      expect(c.config.tls.cert).toBe(creds.clientCert);
    });

    it('warns when server verification is turned off', () => {
      const warnings: string[] = [];
      resolveClientOptions({ token: tokenAuth, rejectUnauthorized: false, logger: { ...silent, warn: (m) => warnings.push(m) } });
      expect(warnings.join('\n')).toMatch(/rejectUnauthorized is false/);
    });

    it('warns about unknown option names (likely typos) without failing', () => {
      const warnings: string[] = [];
      resolveClientOptions({ token: tokenAuth, topik: 'x', logger: { ...silent, warn: (m) => warnings.push(m) } } as ApnsClientOptions);
      expect(warnings.join('\n')).toMatch(/Unknown APNs option\(s\) ignored: topik/);
    });
  });

  describe('rules', () => {
    it('refuses token and certificate together on HTTP/2 without auth', () => {
      expectProblem({ token: tokenAuth, ...certAuth }, 'auth', /both token and a client certificate .* auth: 'token' or auth: 'certificate'/);
    });

    it('refuses options with no credentials at all', () => {
      expectProblem({}, 'token', /no credentials: set token .* or a client certificate/);
    });

    it('refuses token auth on the binary transport', () => {
      expectProblem({ transport: 'binary', token: tokenAuth }, 'token', /binary transport authenticates with a client certificate only/);
      expectProblem({ transport: 'binary', auth: 'token', token: tokenAuth, ...certAuth }, 'auth', /token auth exists only on HTTP\/2/);
    });

    it('refuses a binary transport without a certificate', () => {
      expectProblem({ transport: 'binary' }, 'cert', /binary transport needs a client certificate/);
    });

    it('refuses an auth choice whose credentials are missing', () => {
      expectProblem({ auth: 'token', ...certAuth }, 'token', /auth is 'token': set token/);
      expectProblem({ auth: 'certificate', token: tokenAuth }, 'cert', /auth is 'certificate': set cert \+ key, or pfx/);
    });

    it('refuses an unknown transport, environment, auth, port and binary enums', () => {
      expectProblem({ transport: 'http3' as never, token: tokenAuth }, 'transport', /must be "http2" or "binary", got "http3"/);
      expectProblem({ environment: 'prod' as never, token: tokenAuth }, 'environment', /must be "sandbox" or "production", got "prod"/);
      expectProblem({ auth: 'jwt' as never, token: tokenAuth }, 'auth', /must be "token" or "certificate"/);
      expectProblem({ port: 8443 as never, token: tokenAuth }, 'port', /must be 443 or 2197/);
      expectProblem({ binary: { format: 'simple' as never }, token: tokenAuth }, 'binary.format', /must be "frame" or "enhanced"/);
      expectProblem({ binary: { uncertainWindow: 'drop' as never }, token: tokenAuth }, 'binary.uncertainWindow', /must be "resend" or "fail"/);
    });

    it('refuses a missing key file, naming the path', () => {
      const missing = join(dir, 'nope', 'AuthKey.p8');
      expectProblem({ token: { ...tokenAuth, key: missing } }, 'token.key', new RegExp(`file ${missing.replace(/[.\\/]/g, '\\$&')} does not exist`));
      expectProblem({ cert: join(dir, 'missing.crt'), key: paths.clientKey }, 'cert', /missing\.crt does not exist/);
      expectProblem({ pfx: join(dir, 'missing.p12') }, 'pfx', /missing\.p12 does not exist/);
      expectProblem({ token: tokenAuth, ca: [creds.ca, join(dir, 'missing-ca.crt')] }, 'ca[1]', /missing-ca\.crt does not exist/);
    });

    it('refuses a token without key, or with a key that is not ES256', () => {
      expectProblem({ token: { keyId: creds.keyId, teamId: creds.teamId } as never }, 'token.key', /is missing: set the .p8 key/);
      const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
      expectProblem({ token: { ...tokenAuth, key: rsa } }, 'token.key', /must be an ES256 \(EC P-256\) key/);
      const garbage = join(dir, 'garbage.p8');
      writeFileSync(garbage, 'not a key');
      expectProblem({ token: { ...tokenAuth, key: garbage } }, 'token.key', /is not a readable private key/);
    });

    it('refuses a bad keyId or teamId', () => {
      expectProblem({ token: { ...tokenAuth, keyId: 'abc' } }, 'token.keyId', /10-character key id/);
      expectProblem({ token: { ...tokenAuth, teamId: 'TEAM-ID-1234' } }, 'token.teamId', /10-character team id/);
    });

    it('refuses a cert without key, and a key without cert', () => {
      expectProblem({ cert: creds.clientCert }, 'key', /cert is set without its private key/);
      expectProblem({ key: creds.clientKey }, 'cert', /key is set without cert/);
    });

    it('refuses a key that does not match the certificate', () => {
      expectProblem({ cert: creds.clientCert, key: creds.expiredClientKey }, 'key', /does not belong to cert/);
    });

    it('refuses a wrong or missing passphrase', () => {
      expectProblem({ cert: creds.clientCert, key: creds.clientKeyEncrypted, passphrase: 'wrong' }, 'passphrase', /does not unlock the key/);
      expectProblem({ pfx: creds.clientPfx, passphrase: 'wrong' }, 'passphrase', /does not unlock the pfx/);
      expectProblem({ cert: creds.clientCert, key: creds.clientKeyEncrypted }, 'passphrase', /the key is encrypted: set passphrase/);
    });

    it('refuses pfx together with cert + key, and PEM text as pfx', () => {
      expectProblem({ pfx: creds.clientPfx, ...certAuth }, 'pfx', /either pfx or cert \+ key, not both/);
      expectProblem({ pfx: Buffer.from(creds.clientCert) }, 'pfx', /holds PEM text/);
    });

    it('refuses a malformed gateway or feedbackGateway', () => {
      expectProblem({ token: tokenAuth, gateway: 'localhost' }, 'gateway', /must be 'host:port'/);
      expectProblem({ token: tokenAuth, gateway: '127.0.0.1:99999' }, 'gateway', /must be 'host:port'/);
      expectProblem({ token: tokenAuth, feedbackGateway: ':2196' }, 'feedbackGateway', /must be 'host:port'/);
    });

    it('refuses non-positive counts and durations', () => {
      const problems = problemsOf({
        token: tokenAuth,
        maxConnections: 0,
        queueSize: 1.5,
        connectTimeoutMs: -1,
        idleTimeoutMs: -5,
        requestTimeoutMs: 0,
        pingIntervalMs: Number.NaN,
        drainTimeoutMs: -1,
        retry: { attempts: 0, baseDelayMs: -1, maxRetryAfterMs: -1, unprocessedResends: -1 },
        reconnect: { baseDelayMs: 0 },
        binary: { sentBufferSize: 0, feedbackIdleTimeoutMs: 0, uncertainWindowBytes: -1 },
      }).join('\n');
      for (const field of [
        'maxConnections: must be an integer of at least 1, got 0',
        'queueSize: must be an integer of at least 1, got 1.5',
        'connectTimeoutMs: must be a positive number of milliseconds, got -1',
        'idleTimeoutMs: must be a non-negative number',
        'requestTimeoutMs: must be a positive number',
        'pingIntervalMs: must be a positive number',
        'drainTimeoutMs: must be a non-negative number',
        'retry.attempts: must be an integer of at least 1',
        'retry.baseDelayMs: must be a non-negative number',
        'retry.maxRetryAfterMs: must be a non-negative number of milliseconds, got -1',
        'retry.unprocessedResends: must be an integer of at least 0, got -1',
        'reconnect.baseDelayMs: must be a positive number',
        'binary.sentBufferSize: must be an integer of at least 1',
        'binary.feedbackIdleTimeoutMs: must be a positive number',
        'binary.uncertainWindowBytes: must be an integer of at least 0, got -1',
      ]) {
        expect(problems).toContain(field);
      }
    });

    it('refuses a retry cap below its base delay', () => {
      expectProblem({ token: tokenAuth, retry: { baseDelayMs: 500, maxDelayMs: 100 } }, 'retry.maxDelayMs', /at least retry.baseDelayMs \(500\)/);
    });

    it('refuses an empty topic and a non-boolean rejectUnauthorized', () => {
      expectProblem({ token: tokenAuth, topic: ' ' }, 'topic', /non-empty string/);
      expectProblem({ token: tokenAuth, rejectUnauthorized: 'no' as never }, 'rejectUnauthorized', /must be true or false/);
    });

    describe('every rule names its field and says what to do (field, exact message)', () => {
      const EMPTY_P8 = join(tmpdir(), `apns-options-empty-${process.pid}.p8`);
      afterAll(() => rmSync(EMPTY_P8, { force: true }));
      const CONTENTS = 'the contents (PEM text, or the base64 of the DER or PKCS#12 file)';
      const certDer = () => new X509Certificate(creds.clientCert).raw;
      const editedCert = () => creds.clientCert.replace(/\n[A-Za-z0-9+/]{64}\n/, (line) => `\n${'A'.repeat(64)}\n`.slice(0, line.length));
      const RULES: Array<[string, () => unknown, string, string | RegExp]> = [
        ['options that are not an object', () => null, 'options', 'must be an object of client options (ApnsClientOptions), got null.'],
        ['options given as a string', () => 'token', 'options', 'must be an object of client options (ApnsClientOptions), got a string.'],
        ['a logger without log, warn and error', () => ({ token: tokenAuth, logger: { log: () => undefined, warn: () => undefined } }), 'logger', 'must have log, warn and error methods (a Nest Logger works), or be left out for the console.'],
        ['random that is not a function', () => ({ token: tokenAuth, random: 0.5 }), 'random', 'must be a function returning a number from 0 (included) to 1 (excluded), like Math.random, or left out; got a number.'],
        ['now that is not a function', () => ({ token: tokenAuth, now: new Date() }), 'now', 'must be a function returning milliseconds since the epoch, like Date.now, or left out; got an object.'],
        ['retry that is not an object', () => ({ token: tokenAuth, retry: 3 }), 'retry', 'must be an object { attempts, baseDelayMs, maxDelayMs }, or left out for the defaults; got a number.'],
        ['reconnect that is not an object', () => ({ token: tokenAuth, reconnect: [250] }), 'reconnect', 'must be an object { baseDelayMs, maxDelayMs, giveUpAfterMs }, or left out for the defaults; got an array.'],
        ['binary that is not an object', () => ({ token: tokenAuth, binary: 'frame' }), 'binary', 'must be an object { format, sentBufferSize, uncertainWindow, uncertainWindowMs, feedbackIdleTimeoutMs }, or left out for the defaults; got a string.'],
        ['a reconnect cap below its base delay', () => ({ token: tokenAuth, reconnect: { baseDelayMs: 500, maxDelayMs: 100 } }), 'reconnect.maxDelayMs', 'must be at least reconnect.baseDelayMs (500).'],
        ['a passphrase that is not a string', () => ({ cert: creds.clientCert, key: creds.clientKeyEncrypted, passphrase: 1234 }), 'passphrase', 'must be a string (what unlocks key or pfx), got a number.'],
        ['token that is not an object', () => ({ token: 'eyJhbGciOiJFUzI1NiJ9.e30.sig' }), 'token', 'must be an object { key, keyId, teamId } (the .p8 key, its key id and your team id), got a string.'],
        ['pfx that TLS cannot load (a DER certificate)', () => ({ pfx: certDer() }), 'pfx', /^is not a PKCS#12 bundle TLS can load \(.+\): pass the \.p12 file exported with the certificate and its private key, or use cert \+ key\.$/],
        ['cert that is neither PEM nor DER', () => ({ cert: Buffer.from('not a certificate'), key: creds.clientKey }), 'cert', 'is neither a PEM nor a DER certificate: pass the certificate file (.pem, .crt or .cer), its contents, or the base64 of its DER bytes.'],
        ['cert holding a private key', () => ({ cert: creds.clientKey, key: creds.clientKey }), 'cert', 'holds a private key but no certificate (no -----BEGIN CERTIFICATE----- block): pass the certificate here and its private key as key.'],
        ['cert whose PEM block does not parse', () => ({ cert: editedCert(), key: creds.clientKey }), 'cert', 'holds a PEM certificate block that does not parse (cut short or edited?): pass the certificate file as issued.'],
        ['ca that is neither PEM nor DER', () => ({ token: tokenAuth, ca: Buffer.from('junk') }), 'ca', 'is neither a PEM nor a DER certificate: pass the certificate file (.pem, .crt or .cer), its contents, or the base64 of its DER bytes.'],
        ['a ca list entry holding a key', () => ({ token: tokenAuth, ca: [creds.ca, creds.clientKey] }), 'ca[1]', 'holds a private key but no certificate (no -----BEGIN CERTIFICATE----- block): pass the certificate here.'],
        ['key that is neither PEM nor DER', () => ({ cert: creds.clientCert, key: Buffer.from('not a key') }), 'key', 'is neither a PEM nor a DER private key (or the passphrase does not unlock it): pass the key file (.key or .pem), its contents, or the base64 of its DER bytes, and check passphrase.'],
        ['key holding a certificate', () => ({ cert: creds.clientCert, key: creds.clientCert }), 'key', 'holds a certificate but no private key (no -----BEGIN … PRIVATE KEY----- block): pass the private key made with cert here, and the certificate as cert.'],
        ['an empty credential string', () => ({ cert: '', key: creds.clientKey }), 'cert', `is an empty string: pass ${CONTENTS}, or the path of the file.`],
        ['an empty credential Buffer', () => ({ cert: creds.clientCert, key: Buffer.alloc(0) }), 'key', `is empty: pass ${CONTENTS}, or the path of the file.`],
        ['a credential of the wrong type', () => ({ pfx: 42 }), 'pfx', `must be ${CONTENTS} as a string or Buffer, or the path of the file; got a number.`],
        ['a credential path naming a directory', () => ({ pfx: tmpdir() }), 'pfx', `file ${tmpdir()} is a directory: name the file inside it, or pass ${CONTENTS}.`],
        ['a credential file that is empty', () => ({ token: { ...tokenAuth, key: EMPTY_P8 } }), 'token.key', `file ${EMPTY_P8} is empty: name the file that holds the credential, or pass ${CONTENTS}.`],
      ];

      it.each(RULES)('%s', (_rule, options, field, message) => {
        writeFileSync(EMPTY_P8, '');
        const input = options();
        const problems = checkClientOptions(typeof input === 'object' && input !== null ? { logger: silent, ...input } : (input as ApnsClientOptions)).problems;
        expect(problems).toEqual([{ field, message: typeof message === 'string' ? message : expect.stringMatching(message) }]);
      });

      // The module layer adds the feedback schedule's own rules (src/apns-module-options.ts).
      it.each<[string, unknown, string, string]>([
        ['an empty feedback.name', { name: '' }, 'feedback.name', 'must be a non-empty string.'],
        ['a feedback.name of blanks', { name: '  ' }, 'feedback.name', 'must be a non-empty string.'],
        ['a feedback.cron that is not a string', { cron: 5 }, 'feedback.cron', "5 is not a valid cron expression (not a string): use 5 fields, or 6 with seconds first, e.g. '17 3 * * *'."],
      ])('module: %s', (_rule, feedback, field, message) => {
        let error: unknown;
        try {
          resolveModuleOptions({ token: tokenAuth, feedback } as ApnsModuleOptions, silent);
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(ApnsOptionsError);
        expect((error as ApnsOptionsError).problems).toEqual([{ field, message }]);
      });
    });

    it('lists every wrong field in one error, without any key material', () => {
      let error: unknown;
      try {
        resolveClientOptions({
          transport: 'binary',
          environment: 'staging' as never,
          token: { ...tokenAuth, keyId: 'x' },
          maxConnections: -1,
          gateway: 'nowhere',
          logger: silent,
        });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ApnsOptionsError);
      const e = error as ApnsOptionsError;
      expect(e.problems.map((p) => p.field).sort()).toEqual(['environment', 'gateway', 'maxConnections', 'token']);
      expect(e.message).toMatch(/^Invalid APNs options \(4 problems\):/);
      expect(e.message).not.toContain('PRIVATE KEY');
      expect(e.message).not.toContain(creds.signingKey.split('\n')[1]!);
    });
  });
});
