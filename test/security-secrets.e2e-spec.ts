import { createPrivateKey } from 'node:crypto';
import { inspect } from 'node:util';
import { ApnsClient } from '../src/client/apns-client.js';
import type { ApnsClientOptions } from '../src/client/apns-client-options.js';
import { createTransport } from '../src/client/create-transport.js';
import { ApnsDeliveryError } from '../src/errors/apns-delivery.error.js';
import type { ApnsOptionsError } from '../src/errors/apns-options.error.js';
import { redactToken } from '../src/errors/redact.js';
import { MockApnsServer, testCredentials as creds } from '../src/testing/index.js';
import { createSeededRandom } from '../src/testing/seeded-random.js';
import type { ApnsLogger } from '../src/transport/apns-logger.js';
import { TOPIC, tokenFor } from './apns-e2e.fixtures.js';

// Keys, passphrases, provider tokens (JWTs) and full device tokens never appear
// in what the library logs or in its error messages. One run drives every kind
// of failure through both transports and every auth mode (rejected and
// unregistered tokens, malformed tokens, an expired provider token renewed,
// retried 5xx and resets, a refused connection, wrong passphrases, a corrupt
// .p8 key), captures every log line at every level and every error the way an
// application would print it, and searches the text for each secret.

const WRONG_PASSPHRASE = 'Wr0ng-Passphrase-4-Secrets-Test';

/** Every line, every level, one list for the whole run. */
class CapturingLogger implements ApnsLogger {
  readonly lines: string[] = [];
  log(m: string): void {
    this.lines.push(`log ${m}`);
  }
  warn(m: string): void {
    this.lines.push(`warn ${m}`);
  }
  error(m: string): void {
    this.lines.push(`error ${m}`);
  }
  debug(m: string): void {
    this.lines.push(`debug ${m}`);
  }
}

/** The base64 body lines of a PEM: any one of them in the output would be a leak. */
function pemBodyLines(pem: string): string[] {
  return pem
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length >= 16 && !l.startsWith('-----') && !l.includes(':'));
}

/** The base64 of a PEM block on one line, as it is kept in an environment variable. */
function pemBody(pem: string): string {
  return pem
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('-----'))
    .join('');
}

/** `text` cut into pieces of `size` characters (the last may be shorter, and is dropped if under 12). */
function slices(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out.filter((piece) => piece.length >= 12);
}

/** How an application would print an error: message, String(), stack, JSON, util.inspect, and the cause chain. */
function renderings(error: unknown): string[] {
  const out: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    if (current instanceof Error) {
      out.push(current.message, String(current), current.stack ?? '');
    } else {
      out.push(String(current));
    }
    current = current instanceof Error ? current.cause : undefined;
  }
  // The `token` field holds the full token on purpose (the caller needs it to clean
  // its database); it is data, not text the library writes. Everything else is searched.
  const withoutTokenField = (text: string, token: string) => text.split(token).join('<token field>');
  const token = error instanceof ApnsDeliveryError ? error.token : undefined;
  const json = JSON.stringify(error) ?? '';
  const inspected = inspect(error, { depth: 6 });
  out.push(token === undefined ? json : json.replace(JSON.stringify(token), '"<token field>"'));
  out.push(token === undefined ? inspected : withoutTokenField(inspected, `token: '${token}'`));
  return out;
}

describe('secrets in logs and error messages', () => {
  let mock: MockApnsServer;

  beforeAll(async () => {
    mock = await MockApnsServer.start({ seed: 77 });
  });
  afterAll(async () => {
    await mock.stop();
  });

  it('never shows a key, a passphrase, a JWT or a full device token, across every failure of both transports', async () => {
    const logger = new CapturingLogger();
    const errors: unknown[] = [];
    const jwts = new Set<string>();
    const allTokens: string[] = [];
    const common: Partial<ApnsClientOptions> = {
      topic: TOPIC,
      ca: creds.ca,
      logger,
      retry: { baseDelayMs: 5, maxDelayMs: 20 },
      reconnect: { baseDelayMs: 5, maxDelayMs: 20, giveUpAfterMs: 500 },
      random: createSeededRandom(5),
    };
    const tokens = (prefix: string, n: number): string[] => {
      const list = Array.from({ length: n }, (_, i) => tokenFor(i, prefix));
      allTokens.push(...list);
      return list;
    };
    const malformed = ['g'.repeat(64), 'abc'.repeat(21), 'f'.repeat(201), '0123456789abcdef0123456789abcdef01234567', ' '.repeat(20) + 'ab'.repeat(8)];
    allTokens.push(...malformed.filter((t) => t.trim().length > 12));

    /** Runs one client: a send (and optional extra work), every error collected, the client closed. */
    async function run(options: ApnsClientOptions, work: (client: ApnsClient) => Promise<unknown>): Promise<void> {
      let client: ApnsClient;
      try {
        client = new ApnsClient(options, {
          transportFactory: (kind, config, hooks) => {
            const transport = createTransport(kind, config, hooks);
            // Keep every JWT this client signs, to search for it afterwards.
            const signer = (transport as unknown as { token?: { current(): string } }).token;
            if (signer !== undefined) {
              const current = signer.current.bind(signer);
              signer.current = () => {
                const jwt = current();
                jwts.add(jwt);
                return jwt;
              };
            }
            return transport;
          },
        });
      } catch (error) {
        errors.push(error);
        return;
      }
      client.errors$.subscribe((e) => errors.push(e));
      try {
        await work(client);
      } catch (error) {
        errors.push(error);
      }
      await client.close();
    }

    // HTTP/2, token auth: rejections, 410, malformed tokens, an expired provider token, 5xx retries, resets.
    const bad = tokens('b', 20);
    const gone = tokens('c', 10);
    for (const t of bad) mock.markInvalid(t);
    for (const t of gone) mock.markUnregistered(t, new Date(1_700_000_000_000));
    mock.faults.expireProviderTokens({ count: 3 });
    await run({ ...common, gateway: mock.http2Gateway, token: { key: creds.signingKey, keyId: creds.keyId, teamId: creds.teamId } }, async (client) => {
      await client.send({ alert: 'token auth' }, [...tokens('a', 30), ...bad, ...gone, ...malformed]);
      mock.faults.respondWith(500, 'InternalServerError', { count: 12 });
      await client.send({ alert: 'retried' }, tokens('d', 3));
      mock.faults.resetStreams(3);
      await client.send({ alert: 'reset' }, tokens('e', 3));
      mock.faults.respondWith(503, 'ServiceUnavailable', { fraction: 1 });
      await client.send({ alert: 'gives up' }, tokens('f', 2));
      mock.resetFaults();
      await client.sendMany([{ token: tokenFor(1, '1a'), notification: { alert: 'x', priority: 7 as never } }]);
    });
    allTokens.push(tokenFor(1, '1a'));

    // HTTP/2, certificate auth with an encrypted key, and with a PKCS#12 bundle.
    await run(
      { ...common, gateway: mock.http2Gateway, cert: creds.clientCert, key: creds.clientKeyEncrypted, passphrase: creds.clientKeyPassphrase },
      (client) => client.send({ alert: 'cert' }, [...tokens('2a', 3), ...bad.slice(0, 3)]),
    );
    await run({ ...common, gateway: mock.http2Gateway, pfx: creds.clientPfx, passphrase: creds.clientPfxPassphrase }, (client) =>
      client.send({ alert: 'pfx' }, [...tokens('2b', 3), ...gone.slice(0, 3)]),
    );

    // Binary with a PKCS#12 bundle: status 8 for invalid tokens, the feedback service.
    const binaryInvalid = tokens('3c', 5);
    for (const t of binaryInvalid) mock.markInvalid(t);
    const feedbackToken = tokens('3d', 1)[0]!;
    mock.queueFeedback(feedbackToken, new Date(1_700_000_000_000));
    await run(
      { ...common, transport: 'binary', gateway: mock.gateway, feedbackGateway: mock.feedbackGateway, pfx: creds.clientPfx, passphrase: creds.clientPfxPassphrase },
      async (client) => {
        const rejectedBefore = mock.counters.rejected;
        const invalidReported = new Promise<void>((resolve) => {
          let seen = 0;
          client.errors$.subscribe((e) => {
            if (e.reason === 'InvalidToken' && ++seen === binaryInvalid.length) resolve();
          });
        });
        await client.send({ alert: 'binary' }, [...tokens('3a', 50), ...binaryInvalid, ...malformed]);
        // Each invalid token is one error response from the gateway and one InvalidToken on errors$.
        await mock.waitForRejected(rejectedBefore + binaryInvalid.length);
        await invalidReported;
        expect(mock.counters.rejected).toBe(rejectedBefore + binaryInvalid.length);
        expect(mock.rejected.slice(-binaryInvalid.length).map((r) => r.token).sort()).toEqual([...binaryInvalid].sort());
        await client.pollFeedback();
      },
    );

    // Wrong passphrases: an encrypted key on binary, a PKCS#12 bundle on HTTP/2.
    await run(
      { ...common, transport: 'binary', gateway: mock.gateway, feedbackGateway: mock.feedbackGateway, cert: creds.clientCert, key: creds.clientKeyEncrypted, passphrase: WRONG_PASSPHRASE },
      (client) => client.send({ alert: 'never' }, tokens('4a', 2)),
    );
    await run({ ...common, gateway: mock.http2Gateway, pfx: creds.clientPfx, passphrase: WRONG_PASSPHRASE }, (client) =>
      client.send({ alert: 'never' }, tokens('4b', 2)),
    );

    // A .p8 key that is not a key: the client refuses to start.
    const corrupt = creds.signingKey.replace(/[A-Za-z](?=[A-Za-z0-9+/]{10}\n)/, (c) => (c === 'A' ? 'B' : 'A'));
    await run({ ...common, gateway: mock.http2Gateway, token: { key: corrupt.replace('PRIVATE', 'PUBLIC'), keyId: creds.keyId, teamId: creds.teamId } }, (client) =>
      client.send({ alert: 'never' }, tokens('4c', 1)),
    );

    // Credentials passed as text that is not what it should be: a key cut short
    // in an environment variable must not come back in the error.
    const p8Base64 = pemBody(creds.signingKey);
    const cutShort: Record<string, string> = {
      'token.key': p8Base64.slice(0, -6),
      key: pemBody(creds.clientKey).slice(0, -6),
      cert: pemBody(creds.clientCert).slice(0, -6),
      pfx: creds.clientPfx.toString('base64').slice(0, -6),
      hexKey: createPrivateKey(creds.clientKey).export({ format: 'der', type: 'pkcs8' }).toString('hex'),
    };
    const optionErrorsBefore = errors.length;
    const tokenWith = (key: string) => ({ key, keyId: creds.keyId, teamId: creds.teamId });
    await run({ ...common, gateway: mock.http2Gateway, token: tokenWith(cutShort['token.key']!) }, () => Promise.resolve());
    await run({ ...common, gateway: mock.http2Gateway, cert: creds.clientCert, key: cutShort.key }, () => Promise.resolve());
    await run({ ...common, gateway: mock.http2Gateway, cert: creds.clientCert, key: cutShort.hexKey }, () => Promise.resolve());
    await run({ ...common, transport: 'binary', gateway: mock.gateway, cert: cutShort.cert, key: creds.clientKey }, () => Promise.resolve());
    await run({ ...common, transport: 'binary', gateway: mock.gateway, pfx: cutShort.pfx, passphrase: creds.clientPfxPassphrase }, () => Promise.resolve());
    const optionErrors = errors.slice(optionErrorsBefore) as ApnsOptionsError[];
    expect(optionErrors.map((e) => e.problems.map((p) => p.field))).toEqual([['token.key'], ['key'], ['key'], ['cert'], ['pfx']]);
    for (const e of optionErrors) expect(e.problems[0]!.message).toMatch(/^is neither PEM text nor the path of an existing file: it looks like (base64|hex) \(\d+ characters, not shown\)/);
    // The same, whole and base64-encoded, is read as contents: the clients start and send.
    await run({ ...common, gateway: mock.http2Gateway, token: tokenWith(p8Base64) }, async (client) => {
      expect((await client.send({ alert: 'base64 .p8' }, tokens('6a', 2))).accepted).toBe(2);
    });
    await run({ ...common, transport: 'binary', gateway: mock.gateway, pfx: creds.clientPfx.toString('base64'), passphrase: creds.clientPfxPassphrase }, async (client) => {
      expect((await client.send({ alert: 'base64 .p12' }, tokens('6b', 2))).accepted).toBe(2);
    });

    // Nobody listening: connection refused on both transports.
    const gone2 = await MockApnsServer.start();
    const closedGateway = gone2.gateway;
    const closedHttp2 = gone2.http2Gateway;
    await gone2.stop();
    await run({ ...common, gateway: closedHttp2, token: { key: creds.signingKey, keyId: creds.keyId, teamId: creds.teamId } }, (client) =>
      client.send({ alert: 'nobody' }, tokens('5a', 2)),
    );
    await run({ ...common, transport: 'binary', gateway: closedGateway, cert: creds.clientCert, key: creds.clientKey }, (client) =>
      client.send({ alert: 'nobody' }, tokens('5b', 2)),
    );

    // ---- what was captured, and the search ------------------------------------------------
    const errorTexts = errors.flatMap(renderings);
    const text = [...logger.lines, ...errorTexts].join('\n');
    const reasons = new Set(errors.map((e) => (e instanceof ApnsDeliveryError ? e.reason : (e as Error).name)));
    // The run did go through the failures it is about.
    expect([...reasons]).toEqual(
      expect.arrayContaining(['BadDeviceToken', 'Unregistered', 'MalformedDeviceToken', 'InvalidNotification', 'InternalServerError', 'ServiceUnavailable', 'InvalidToken', 'ConnectionError', 'ApnsOptionsError']),
    );
    expect(jwts.size).toBeGreaterThanOrEqual(2);
    expect(logger.lines.length).toBeGreaterThan(10);
    // Tokens do show, shortened.
    expect(text).toContain(redactToken(bad[0]!));

    const secrets: Array<[string, string]> = [
      ...pemBodyLines(creds.signingKey).map((l): [string, string] => ['.p8 key', l]),
      ...pemBodyLines(corrupt).map((l): [string, string] => ['corrupt .p8 key', l]),
      ...pemBodyLines(creds.clientKey).map((l): [string, string] => ['client key', l]),
      ...pemBodyLines(creds.clientKeyEncrypted).map((l): [string, string] => ['encrypted client key', l]),
      ['PKCS#12 bundle', creds.clientPfx.toString('base64').slice(0, 40)],
      ...Object.entries(cutShort).flatMap(([field, text]) => slices(text, 24).map((slice): [string, string] => [`${field} cut short`, slice])),
      ['PKCS#12 bundle', creds.clientPfx.toString('hex').slice(0, 40)],
      ['key passphrase', creds.clientKeyPassphrase],
      ['PKCS#12 passphrase', creds.clientPfxPassphrase],
      ['wrong passphrase', WRONG_PASSPHRASE],
      ...[...jwts].flatMap((jwt): Array<[string, string]> => [['JWT', jwt], ['JWT signature', jwt.split('.')[2]!]]),
      ...allTokens.map((t): [string, string] => ['device token', t]),
    ];
    const leaks = secrets.filter(([, secret]) => text.includes(secret)).map(([what, secret]) => `${what}: ${secret.slice(0, 12)}…`);
    expect(leaks).toEqual([]);
    // Nothing shaped like a JWT or a PEM block either.
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{8,}\.eyJ/);
    expect(text).not.toMatch(/-----BEGIN [A-Z ]*KEY-----/);
  }, 30_000);
});
