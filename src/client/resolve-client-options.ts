import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Duplex } from 'node:stream';
import * as tlsModule from 'node:tls';
import { TLSSocket, createSecureContext, type SecureContext } from 'node:tls';
import { ApnsOptionsError, type ApnsOptionProblem } from '../errors/apns-options.error.js';
import { consoleLogger, type ApnsLogger } from '../transport/apns-logger.js';
import type { Endpoint, ProviderTokenConfig, TlsConfig, TransportConfig } from '../transport/transport-config.js';
import type { ApnsClientOptions } from './apns-client-options.js';
import { ENVIRONMENT_OIDS, certificateEnvironments, type ApnsEnvironment } from '../codec/certificate-environment.js';
import { isValidKeyId, isValidTeamId } from '../codec/provider-token-jwt.js';
import { isPem, parseDerKey, readCertificateList, readCredential, certificateToPem, tlsKeyToPem } from './read-credential.js';

/** Client options checked and turned into what a transport needs. */
export interface ResolvedClientOptions {
  transport: 'http2' | 'binary';
  config: TransportConfig;
  /** Default apns-topic. */
  topic: string | undefined;
  drainTimeoutMs: number;
}

const MINUTE = 60_000;

export const CLIENT_DEFAULTS = Object.freeze({
  transport: 'http2',
  environment: 'sandbox',
  port: 443,
  rejectUnauthorized: true,
  maxConnections: 8,
  queueSize: 10_000,
  connectTimeoutMs: 10_000,
  idleTimeoutMs: 300_000,
  requestTimeoutMs: 10_000,
  pingIntervalMs: 60_000,
  drainTimeoutMs: 5_000,
  tokenRefreshAfterMs: 50 * MINUTE,
  retry: Object.freeze({ attempts: 4, baseDelayMs: 100, maxDelayMs: 5_000, maxRetryAfterMs: 60_000, unprocessedResends: 8 }),
  reconnect: Object.freeze({ baseDelayMs: 250, maxDelayMs: 30_000, giveUpAfterMs: 30_000 }),
  binary: Object.freeze({
    format: 'frame',
    sentBufferSize: 100_000,
    uncertainWindow: 'resend',
    uncertainWindowMs: 200,
    uncertainWindowBytes: 6 * 1024 * 1024,
    feedbackIdleTimeoutMs: 5_000,
  }),
} as const);

const APPLE_HOSTS = {
  http2: { production: 'api.push.apple.com', sandbox: 'api.sandbox.push.apple.com' },
  binary: { production: 'gateway.push.apple.com', sandbox: 'gateway.sandbox.push.apple.com' },
  feedback: { production: 'feedback.push.apple.com', sandbox: 'feedback.sandbox.push.apple.com' },
} as const;

/** Option keys the client knows; anything else is most likely a typo and is logged. */
const KNOWN_KEYS = new Set<string>([
  'transport', 'environment', 'gateway', 'feedbackGateway', 'port', 'auth', 'token', 'cert', 'key',
  'passphrase', 'pfx', 'ca', 'rejectUnauthorized', 'topic', 'maxConnections', 'queueSize',
  'connectTimeoutMs', 'idleTimeoutMs', 'requestTimeoutMs', 'pingIntervalMs', 'retry', 'reconnect',
  'binary', 'drainTimeoutMs', 'logger', 'random', 'now',
]);

/**
 * Validates client options and resolves them into a transport configuration.
 * Throws one `ApnsOptionsError` naming every wrong field.
 */
export function resolveClientOptions(
  options: ApnsClientOptions,
  extraKnownKeys: Iterable<string> = [],
): ResolvedClientOptions {
  const { resolved, problems } = checkClientOptions(options, extraKnownKeys);
  if (resolved === undefined) throw new ApnsOptionsError(problems);
  return resolved;
}

/**
 * Like `resolveClientOptions`, but returns the problems instead of throwing, so
 * that a caller with options of its own (the Nest module's cron) can report
 * everything in one error.
 */
export function checkClientOptions(
  options: ApnsClientOptions,
  extraKnownKeys: Iterable<string> = [],
): { resolved?: ResolvedClientOptions; problems: ApnsOptionProblem[] } {
  const problems: ApnsOptionProblem[] = [];
  if (options === null || typeof options !== 'object') {
    problems.push({ field: 'options', message: `must be an object of client options (ApnsClientOptions), got ${describeType(options)}.` });
    return { problems };
  }
  const o = options as ApnsClientOptions & Record<string, unknown>;
  const logger = checkLogger(o.logger, problems);

  const transport = oneOf(o.transport, 'transport', ['http2', 'binary'], CLIENT_DEFAULTS.transport, problems);
  const environment = oneOf(o.environment, 'environment', ['sandbox', 'production'], CLIENT_DEFAULTS.environment, problems);
  const port = oneOf(o.port, 'port', [443, 2197], CLIENT_DEFAULTS.port, problems);
  const rejectUnauthorized = bool(o.rejectUnauthorized, 'rejectUnauthorized', CLIENT_DEFAULTS.rejectUnauthorized, problems);

  const host = transport === 'binary' ? APPLE_HOSTS.binary[environment] : APPLE_HOSTS.http2[environment];
  const endpoint =
    o.gateway === undefined
      ? { host, port: transport === 'binary' ? 2195 : port }
      : parseHostPort(o.gateway, 'gateway', problems);
  const feedbackEndpoint =
    o.feedbackGateway === undefined
      ? { host: APPLE_HOSTS.feedback[environment], port: 2196 }
      : parseHostPort(o.feedbackGateway, 'feedbackGateway', problems);

  let topic: string | undefined;
  if (o.topic !== undefined) {
    if (typeof o.topic !== 'string' || o.topic.trim() === '') {
      problems.push({ field: 'topic', message: 'must be a non-empty string (usually the app bundle id), or left out.' });
    } else topic = o.topic;
  }

  const numbers = {
    maxConnections: int(o.maxConnections, 'maxConnections', CLIENT_DEFAULTS.maxConnections, 1, problems),
    queueSize: int(o.queueSize, 'queueSize', CLIENT_DEFAULTS.queueSize, 1, problems),
    connectTimeoutMs: ms(o.connectTimeoutMs, 'connectTimeoutMs', CLIENT_DEFAULTS.connectTimeoutMs, false, problems),
    idleTimeoutMs: ms(o.idleTimeoutMs, 'idleTimeoutMs', CLIENT_DEFAULTS.idleTimeoutMs, true, problems),
    requestTimeoutMs: ms(o.requestTimeoutMs, 'requestTimeoutMs', CLIENT_DEFAULTS.requestTimeoutMs, false, problems),
    pingIntervalMs: ms(o.pingIntervalMs, 'pingIntervalMs', CLIENT_DEFAULTS.pingIntervalMs, false, problems),
    drainTimeoutMs: ms(o.drainTimeoutMs, 'drainTimeoutMs', CLIENT_DEFAULTS.drainTimeoutMs, true, problems),
  };

  const retryIn = objectOrEmpty(o.retry, 'retry', '{ attempts, baseDelayMs, maxDelayMs }', problems);
  const retry = {
    attempts: int(retryIn.attempts, 'retry.attempts', CLIENT_DEFAULTS.retry.attempts, 1, problems),
    baseDelayMs: ms(retryIn.baseDelayMs, 'retry.baseDelayMs', CLIENT_DEFAULTS.retry.baseDelayMs, true, problems),
    maxDelayMs: ms(retryIn.maxDelayMs, 'retry.maxDelayMs', CLIENT_DEFAULTS.retry.maxDelayMs, true, problems),
    maxRetryAfterMs: ms(retryIn.maxRetryAfterMs, 'retry.maxRetryAfterMs', CLIENT_DEFAULTS.retry.maxRetryAfterMs, true, problems),
    unprocessedResends: int(retryIn.unprocessedResends, 'retry.unprocessedResends', CLIENT_DEFAULTS.retry.unprocessedResends, 0, problems),
  };
  if (retry.maxDelayMs < retry.baseDelayMs) {
    problems.push({ field: 'retry.maxDelayMs', message: `must be at least retry.baseDelayMs (${retry.baseDelayMs}).` });
  }
  const reconnectIn = objectOrEmpty(o.reconnect, 'reconnect', '{ baseDelayMs, maxDelayMs, giveUpAfterMs }', problems);
  const reconnect = {
    baseDelayMs: ms(reconnectIn.baseDelayMs, 'reconnect.baseDelayMs', CLIENT_DEFAULTS.reconnect.baseDelayMs, false, problems),
    maxDelayMs: ms(reconnectIn.maxDelayMs, 'reconnect.maxDelayMs', CLIENT_DEFAULTS.reconnect.maxDelayMs, false, problems),
    giveUpAfterMs: ms(reconnectIn.giveUpAfterMs, 'reconnect.giveUpAfterMs', CLIENT_DEFAULTS.reconnect.giveUpAfterMs, true, problems),
  };
  if (reconnect.maxDelayMs < reconnect.baseDelayMs) {
    problems.push({ field: 'reconnect.maxDelayMs', message: `must be at least reconnect.baseDelayMs (${reconnect.baseDelayMs}).` });
  }
  const binaryIn = objectOrEmpty(o.binary, 'binary', '{ format, sentBufferSize, uncertainWindow, uncertainWindowMs, feedbackIdleTimeoutMs }', problems);
  const d = CLIENT_DEFAULTS.binary;
  const binary = {
    format: oneOf(binaryIn.format, 'binary.format', ['frame', 'enhanced'], d.format, problems),
    sentBufferSize: int(binaryIn.sentBufferSize, 'binary.sentBufferSize', d.sentBufferSize, 1, problems),
    uncertainWindow: oneOf(binaryIn.uncertainWindow, 'binary.uncertainWindow', ['resend', 'fail'], d.uncertainWindow, problems),
    uncertainWindowMs: ms(binaryIn.uncertainWindowMs, 'binary.uncertainWindowMs', d.uncertainWindowMs, true, problems),
    uncertainWindowBytes: int(binaryIn.uncertainWindowBytes, 'binary.uncertainWindowBytes', d.uncertainWindowBytes, 0, problems),
    feedbackIdleTimeoutMs: ms(binaryIn.feedbackIdleTimeoutMs, 'binary.feedbackIdleTimeoutMs', d.feedbackIdleTimeoutMs, false, problems),
    // A connection we close waits for the gateway's confirmation as long as close() waits for the drain.
    closeLingerMs: numbers.drainTimeoutMs,
  };

  const random = fn(o.random, 'random', Math.random, 'a function returning a number from 0 (included) to 1 (excluded), like Math.random', problems);
  const now = fn(o.now, 'now', Date.now, 'a function returning milliseconds since the epoch, like Date.now', problems);

  const { tls, token } = checkCredentials(o, transport, environment, rejectUnauthorized, isAppleHost(endpoint?.host), problems);

  const known = new Set([...KNOWN_KEYS, ...extraKnownKeys]);
  const unknown = Object.keys(o).filter((k) => !known.has(k));
  if (unknown.length > 0) logger.warn(`Unknown APNs option(s) ignored: ${unknown.join(', ')}.`);

  if (problems.length > 0 || endpoint === undefined || feedbackEndpoint === undefined || tls === undefined) {
    return { problems };
  }
  if (!rejectUnauthorized) {
    logger.warn('rejectUnauthorized is false: the APNs server certificate is NOT verified. Use this only against test servers.');
  }
  const config: TransportConfig = {
    endpoint,
    feedbackEndpoint,
    tls,
    token,
    maxConnections: numbers.maxConnections,
    queueSize: numbers.queueSize,
    connectTimeoutMs: numbers.connectTimeoutMs,
    idleTimeoutMs: numbers.idleTimeoutMs,
    requestTimeoutMs: numbers.requestTimeoutMs,
    pingIntervalMs: numbers.pingIntervalMs,
    retry,
    reconnect,
    binary,
    logger,
    random,
    now,
  };
  return { resolved: { transport, config, topic, drainTimeoutMs: numbers.drainTimeoutMs }, problems };
}

/** Picks the authentication, reads the material it needs and checks that TLS accepts it. */
function checkCredentials(
  o: ApnsClientOptions,
  transport: 'http2' | 'binary',
  environment: ApnsEnvironment,
  rejectUnauthorized: boolean,
  toApple: boolean,
  problems: ApnsOptionProblem[],
): { tls?: TlsConfig; token?: ProviderTokenConfig } {
  const hasToken = o.token !== undefined && o.token !== null;
  const hasCert = o.cert !== undefined || o.pfx !== undefined;
  const hasAnyCertPart = hasCert || o.key !== undefined;
  const auth = o.auth === undefined ? undefined : oneOf(o.auth, 'auth', ['token', 'certificate'], undefined, problems);

  let useToken = false;
  let useCert = false;
  if (transport === 'binary') {
    if (auth === 'token') {
      problems.push({
        field: 'auth',
        message: "token auth exists only on HTTP/2: use transport 'http2', or auth 'certificate' with cert + key or pfx.",
      });
      // Fixing auth alone would still not boot: name the missing certificate in the same error.
      if (!hasCert) problems.push({ field: 'cert', message: 'the binary transport needs a client certificate: set cert + key, or pfx.' });
    } else if (!hasCert) {
      problems.push({
        field: hasToken ? 'token' : 'cert',
        message: hasToken
          ? "the binary transport authenticates with a client certificate only: set cert + key (or pfx), or use transport 'http2' for token auth."
          : 'the binary transport needs a client certificate: set cert + key, or pfx.',
      });
    } else useCert = true;
  } else if (auth === 'token') {
    if (!hasToken) problems.push({ field: 'token', message: "auth is 'token': set token { key, keyId, teamId }." });
    useToken = hasToken;
  } else if (auth === 'certificate') {
    if (!hasCert) problems.push({ field: 'cert', message: "auth is 'certificate': set cert + key, or pfx." });
    useCert = hasCert;
  } else if (hasToken && hasCert) {
    problems.push({
      field: 'auth',
      message: "both token and a client certificate are set: choose one with auth: 'token' or auth: 'certificate'.",
    });
  } else if (hasToken) useToken = true;
  else if (hasCert) useCert = true;
  else if (auth === undefined && !hasAnyCertPart) {
    problems.push({
      field: 'token',
      message: 'no credentials: set token { key, keyId, teamId } (a .p8 key) or a client certificate (cert + key, or pfx).',
    });
  } else {
    problems.push({ field: 'cert', message: 'key is set without cert: set cert too, or use pfx.' });
  }

  const tls: TlsConfig = { rejectUnauthorized };
  if (o.ca !== undefined) {
    const ca = readCertificateList('ca', o.ca, problems);
    // Node's `ca` replaces its trust list. Towards Apple that would make a
    // TLS-inspecting proxy's CA cost the trust of Apple's own servers, so there
    // `ca` adds to the list. A private gateway or test server brings its own
    // PKI and gets `ca` alone, which also spares each of its connections the
    // parsing of ~150 roots (tens of ms per TLS context).
    if (ca.length > 0) tls.ca = toApple ? [...defaultTrustedCertificates(), ...ca] : ca;
  }
  if (o.passphrase !== undefined && typeof o.passphrase !== 'string') {
    // The type only: whatever was passed may be the secret itself.
    problems.push({ field: 'passphrase', message: `must be a string (what unlocks key or pfx), got ${describeType(o.passphrase)}.` });
  }
  const passphrase = typeof o.passphrase === 'string' ? o.passphrase : undefined;

  let ok = true;
  if (useCert) ok = readClientCertificate(o, passphrase, environment, tls, problems);
  let token: ProviderTokenConfig | undefined;
  if (useToken) token = readProviderToken(o.token!, problems);
  return ok ? { tls, token } : {};
}

const APPLE_HOST_NAMES: ReadonlySet<string> = new Set(Object.values(APPLE_HOSTS).flatMap((byEnvironment) => Object.values(byEnvironment)));

/** Whether the send endpoint is one of Apple's hosts (the default, or a `gateway` naming one). */
function isAppleHost(host: string | undefined): boolean {
  return host !== undefined && APPLE_HOST_NAMES.has(host.toLowerCase().replace(/\.$/, ''));
}

/**
 * What node trusts when no `ca` is given: on Node versions that have
 * `tls.getCACertificates`, its 'default' list (bundled roots, NODE_EXTRA_CA_CERTS
 * and, with --use-system-ca, the system's store); before that, the bundled
 * roots plus the certificates of the NODE_EXTRA_CA_CERTS file, which node read
 * at start-up (a file it could not read adds nothing here either).
 */
export function defaultTrustedCertificates(
  env: NodeJS.ProcessEnv = process.env,
  getCACertificates: ((type: 'default') => string[]) | undefined = (tlsModule as { getCACertificates?: (type: 'default') => string[] }).getCACertificates,
): string[] {
  if (typeof getCACertificates === 'function') return [...getCACertificates('default')];
  const extraFile = env.NODE_EXTRA_CA_CERTS;
  let extra: string[] = [];
  if (extraFile) {
    try {
      extra = readFileSync(extraFile, 'utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    } catch {
      extra = [];
    }
  }
  return [...tlsModule.rootCertificates, ...extra];
}

function readClientCertificate(
  o: ApnsClientOptions,
  passphrase: string | undefined,
  environment: ApnsEnvironment,
  tls: TlsConfig,
  problems: ApnsOptionProblem[],
): boolean {
  const before = problems.length;
  if (o.pfx !== undefined) {
    if (o.cert !== undefined || o.key !== undefined) {
      problems.push({ field: 'pfx', message: 'set either pfx or cert + key, not both.' });
      return false;
    }
    const pfx = readCredential('pfx', o.pfx, problems);
    if (pfx === undefined) return false;
    if (isPem(pfx)) {
      problems.push({ field: 'pfx', message: 'holds PEM text: a PKCS#12 bundle is binary; pass PEM files as cert and key instead.' });
      return false;
    }
    tls.pfx = pfx;
    if (passphrase !== undefined) tls.passphrase = passphrase;
  } else {
    if (o.key === undefined) {
      problems.push({ field: 'key', message: 'cert is set without its private key: set key (contents or file path).' });
    }
    const certBytes = readCredential('cert', o.cert, problems);
    const cert = certBytes === undefined ? undefined : certificateToPem('cert', certBytes, problems);
    const keyBytes = o.key === undefined ? undefined : readCredential('key', o.key, problems);
    const key = keyBytes === undefined ? undefined : tlsKeyToPem('key', keyBytes, passphrase, problems);
    if (cert === undefined || key === undefined) return false;
    tls.cert = cert;
    tls.key = key;
    if (passphrase !== undefined && key.includes('ENCRYPTED')) tls.passphrase = passphrase;
  }
  // A passphrase of the wrong type is one mistake: TLS, which would then say the key is locked, is not asked.
  if (problems.length > before || (o.passphrase !== undefined && passphrase === undefined)) return false;
  let context: SecureContext;
  try {
    context = createSecureContext({ cert: tls.cert, key: tls.key, pfx: tls.pfx, passphrase: tls.passphrase });
  } catch (error) {
    problems.push(describeTlsFailure(o.pfx !== undefined ? 'pfx' : 'key', error, passphrase !== undefined));
    return false;
  }
  return checkCertificateEnvironment(o.pfx !== undefined ? 'pfx' : 'cert', clientCertificateDer(tls, context), environment, problems);
}

/**
 * A certificate Apple marked for the other environment only would be refused
 * by every connection (403 BadCertificateEnvironment, or a closed socket on
 * the binary interface); saying so at start-up names the fix. Certificates
 * without Apple's marks, or with both, are not judged.
 */
function checkCertificateEnvironment(
  field: 'cert' | 'pfx',
  der: Buffer | undefined,
  environment: ApnsEnvironment,
  problems: ApnsOptionProblem[],
): boolean {
  const marked = der === undefined ? undefined : certificateEnvironments(der);
  if (marked === undefined || marked.has(environment)) return true;
  const other: ApnsEnvironment = environment === 'sandbox' ? 'production' : 'sandbox';
  problems.push({
    field,
    message:
      `is an APNs certificate for ${other} only (it carries OID ${ENVIRONMENT_OIDS[other]}, not ${ENVIRONMENT_OIDS[environment]}), ` +
      `but environment is '${environment}': set environment: '${other}', or use the certificate issued for ${environment === 'sandbox' ? 'development (the sandbox)' : 'production'}.`,
  });
  return false;
}

/** The client certificate as DER: from the PEM, or for PKCS#12 (which node reads only into a TLS context) from that context. */
function clientCertificateDer(tls: TlsConfig, context: SecureContext): Buffer | undefined {
  try {
    if (tls.cert !== undefined) return new X509Certificate(tls.cert).raw;
    // A TLS socket over an idle in-memory stream hands back the certificate it
    // would present; a stream rather than no socket, which would open a TCP handle.
    const stream = new Duplex({ read: () => undefined, write: (_chunk, _encoding, done) => done() });
    const socket = new TLSSocket(stream, { secureContext: context });
    try {
      const certificate = socket.getCertificate();
      return certificate !== null && 'raw' in certificate ? (certificate.raw as Buffer) : undefined;
    } finally {
      socket.destroy();
      stream.destroy();
    }
  } catch {
    return undefined;
  }
}

/** Node's TLS errors, told in terms of the options; they never contain key material. */
function describeTlsFailure(field: string, error: unknown, hasPassphrase: boolean): ApnsOptionProblem {
  const text = error instanceof Error ? error.message : String(error);
  if (/bad decrypt|bad password|mac verify|maybe wrong password|interrupted or cancelled/i.test(text)) {
    return {
      field: 'passphrase',
      message: hasPassphrase
        ? `does not unlock the ${field}: check the passphrase.`
        : `the ${field} is encrypted: set passphrase.`,
    };
  }
  if (/key values mismatch/i.test(text)) {
    return { field: 'key', message: 'does not belong to cert: pass the private key made with this certificate.' };
  }
  return field === 'pfx'
    ? { field, message: `is not a PKCS#12 bundle TLS can load (${text}): pass the .p12 file exported with the certificate and its private key, or use cert + key.` }
    : { field, message: `TLS refused cert + key (${text}): pass the client certificate and the private key made with it (PEM or DER).` };
}

function readProviderToken(input: unknown, problems: ApnsOptionProblem[]): ProviderTokenConfig | undefined {
  if (typeof input !== 'object' || input === null) {
    problems.push({
      field: 'token',
      message: `must be an object { key, keyId, teamId } (the .p8 key, its key id and your team id), got ${describeType(input)}.`,
    });
    return undefined;
  }
  const t = input as Record<string, unknown>;
  let key: KeyObject | undefined;
  if (t.key === undefined) {
    problems.push({ field: 'token.key', message: 'is missing: set the .p8 key from the developer account (contents or file path).' });
  } else {
    const bytes = readCredential('token.key', t.key, problems);
    if (bytes !== undefined) key = parseSigningKey(bytes, problems);
  }
  if (typeof t.keyId !== 'string' || !isValidKeyId(t.keyId)) {
    problems.push({
      field: 'token.keyId',
      message: 'must be the 10-character key id of the .p8 key (letters and digits, e.g. ABC123DEFG).',
    });
  }
  if (typeof t.teamId !== 'string' || !isValidTeamId(t.teamId)) {
    problems.push({
      field: 'token.teamId',
      message: 'must be the 10-character team id of the developer account (letters and digits).',
    });
  }
  const refreshRaw = ms(t.refreshAfterMs, 'token.refreshAfterMs', CLIENT_DEFAULTS.tokenRefreshAfterMs, false, problems);
  // Apple refuses tokens older than an hour and renewals more often than every 20 minutes.
  const refreshAfterMs = Math.min(Math.max(refreshRaw, 20 * MINUTE), 60 * MINUTE - MINUTE);
  if (key === undefined || typeof t.keyId !== 'string' || typeof t.teamId !== 'string') return undefined;
  return { key, keyId: t.keyId, teamId: t.teamId, refreshAfterMs };
}

function parseSigningKey(bytes: Buffer, problems: ApnsOptionProblem[]): KeyObject | undefined {
  let key: KeyObject | undefined;
  try {
    key = isPem(bytes) ? createPrivateKey(bytes) : parseDerKey(bytes);
  } catch {
    key = undefined;
  }
  if (key === undefined) {
    problems.push({ field: 'token.key', message: 'is not a readable private key: pass the .p8 file (PKCS#8 PEM) from the developer account.' });
    return undefined;
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    problems.push({ field: 'token.key', message: 'must be an ES256 (EC P-256) key, as in the .p8 file Apple issues.' });
    return undefined;
  }
  return key;
}

function checkLogger(value: unknown, problems: ApnsOptionProblem[]): ApnsLogger {
  if (value === undefined) return consoleLogger;
  const l = value as ApnsLogger;
  if (typeof l !== 'object' || l === null || typeof l.warn !== 'function' || typeof l.error !== 'function' || typeof l.log !== 'function') {
    problems.push({ field: 'logger', message: 'must have log, warn and error methods (a Nest Logger works), or be left out for the console.' });
    return consoleLogger;
  }
  return l;
}

function parseHostPort(value: unknown, field: string, problems: ApnsOptionProblem[]): Endpoint | undefined {
  const bad = () => {
    problems.push({ field, message: `must be 'host:port' (e.g. '127.0.0.1:2195'), got ${JSON.stringify(value)}.` });
    return undefined;
  };
  if (typeof value !== 'string') return bad();
  const colon = value.lastIndexOf(':');
  if (colon <= 0) return bad();
  let host = value.slice(0, colon);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const portText = value.slice(colon + 1);
  const port = Number(portText);
  if (host === '' || /\s/.test(host) || !/^\d+$/.test(portText) || port < 1 || port > 65535) return bad();
  return { host, port };
}

function oneOf<T extends string | number, D extends T | undefined>(
  value: unknown,
  field: string,
  allowed: readonly T[],
  fallback: D,
  problems: ApnsOptionProblem[],
): T | D {
  if (value === undefined) return fallback;
  if ((allowed as readonly unknown[]).includes(value)) return value as T;
  problems.push({
    field,
    message: `must be ${allowed.map((a) => JSON.stringify(a)).join(' or ')}, got ${JSON.stringify(value)}.`,
  });
  return fallback;
}

function bool(value: unknown, field: string, fallback: boolean, problems: ApnsOptionProblem[]): boolean {
  if (value === undefined) return fallback;
  if (typeof value === 'boolean') return value;
  problems.push({ field, message: `must be true or false, got ${JSON.stringify(value)}.` });
  return fallback;
}

function int(value: unknown, field: string, fallback: number, min: number, problems: ApnsOptionProblem[]): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number' && Number.isInteger(value) && value >= min) return value;
  problems.push({ field, message: `must be an integer of at least ${min}, got ${JSON.stringify(value)}.` });
  return fallback;
}

/** A duration in ms: positive, or also 0 when `zeroAllowed`. */
function ms(value: unknown, field: string, fallback: number, zeroAllowed: boolean, problems: ApnsOptionProblem[]): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number' && Number.isFinite(value) && (value > 0 || (zeroAllowed && value === 0))) return value;
  problems.push({
    field,
    message: `must be a ${zeroAllowed ? 'non-negative' : 'positive'} number of milliseconds, got ${JSON.stringify(value)}.`,
  });
  return fallback;
}

function fn<T extends (...args: never[]) => unknown>(
  value: unknown,
  field: string,
  fallback: T,
  what: string,
  problems: ApnsOptionProblem[],
): T {
  if (value === undefined) return fallback;
  if (typeof value === 'function') return value as T;
  problems.push({ field, message: `must be ${what}, or left out; got ${describeType(value)}.` });
  return fallback;
}

function objectOrEmpty(value: unknown, field: string, shape: string, problems: ApnsOptionProblem[]): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  problems.push({ field, message: `must be an object ${shape}, or left out for the defaults; got ${describeType(value)}.` });
  return {};
}

/** A value's kind for a message, never the value: it may be a secret put in the wrong field. */
function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const type = typeof value;
  return type === 'object' ? 'an object' : type === 'undefined' ? 'undefined' : `a ${type}`;
}
