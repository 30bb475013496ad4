import {
  constants as http2Constants,
  createSecureServer,
  type Http2SecureServer,
  type IncomingHttpHeaders,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from 'node:http2';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { isValidApnsId, parseDevicePath } from '../codec/http2-request.js';
import { PAYLOAD_LIMITS } from '../codec/payload.js';
import { redactToken } from '../errors/redact.js';
import { ApnsIdSource } from './apns-id-source.js';
import type { MockServerContext } from './mock-server-context.js';
import type { ApnsEnvironment } from '../codec/certificate-environment.js';
import { isForOtherEnvironment, listenOn } from './mock-tls-server.js';

const PROVIDER_TOKEN_LIFETIME_SECONDS = 3600;
/** Apple: a connection may switch to a new provider token at most once per 20 minutes. */
const TOKEN_UPDATE_INTERVAL_MS = 20 * 60_000;
const MAX_COLLAPSE_ID_BYTES = 64;
const DEVICE_PATH = '/3/device/';

/**
 * `apns-push-type` values and the topic suffix each one demands. Written out
 * here rather than taken from the client's codec, so the mock checks the client
 * against Apple's table instead of against itself.
 */
const TOPIC_SUFFIX: ReadonlyMap<string, string | undefined> = new Map([
  ['alert', undefined],
  ['background', undefined],
  ['complication', '.complication'],
  ['controls', '.push-type.controls'],
  ['fileprovider', '.pushkit.fileprovider'],
  ['liveactivity', '.push-type.liveactivity'],
  ['location', '.location-query'],
  ['mdm', undefined],
  ['pushtotalk', '.voip-ptt'],
  ['voip', '.voip'],
  ['widgets', '.push-type.widgets'],
]);

/** Request headers that may appear once only (a repeat is 400 DuplicateHeaders), each with a bit for the check. */
const SINGLE_HEADER_BITS = new Map(
  ['authorization', 'apns-push-type', 'apns-id', 'apns-expiration', 'apns-priority', 'apns-topic', 'apns-collapse-id'].map((name, i) => [name, 1 << i]),
);

type Auth = 'certificate' | 'badCertificate' | 'wrongEnvironment' | 'token';

interface SessionState {
  readonly id: number;
  readonly socket: TLSSocket;
  readonly session: ServerHttp2Session;
  readonly auth: Auth;
  /** The stream limit this session was last told, when the streamLimitAfterRejection fault lowered it. */
  loweredLimit: number | undefined;
  streams: number;
  open: number;
  /** Requests received and not answered yet (`open` also counts answered streams until they close). */
  awaiting: number;
  goaway: { afterStreams: number; errorCode: number; reason: string | undefined } | undefined;
  /** Last stream id still processed after our GOAWAY; undefined until one is sent. */
  lastStreamId: number | undefined;
  ending: boolean;
  /** Token auth: the provider token in use, and when the connection last switched to a new one. */
  jwt: string | undefined;
  lastSwitchAt: number | undefined;
}

interface Answer {
  status: number;
  reason?: string;
  timestamp?: number;
  retryAfterSeconds?: number;
}

export interface MockHttp2ApiOptions {
  key: string;
  cert: string;
  ca: string;
  maxConcurrentStreams: number;
  maxTlsVersion: 'TLSv1.2' | 'TLSv1.3';
  recordAccepted: boolean;
  uniqueIds: boolean;
  tokenUpdateLimit: boolean;
  /** The environment the mock plays: a client certificate marked for the other one only gets 403 BadCertificateEnvironment. */
  environment: ApnsEnvironment;
}

/**
 * The HTTP/2 provider API of the mock: `POST /3/device/<token>` over TLS with
 * ALPN h2, validated the way Apple documents it, answered with Apple's status
 * codes and reasons, with scripted faults on top.
 */
export class MockHttp2Api {
  private readonly server: Http2SecureServer;
  private readonly sessions = new Map<ServerHttp2Session, SessionState>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Set by close(): requests still being read then get no timer that would outlive the server. */
  private stopped = false;
  /** The socket of the connection being set up: its session is created synchronously right after. */
  private connecting: TLSSocket | undefined;
  private maxStreams: number;
  private readonly ids: ApnsIdSource;
  private readonly uniqueIds: ApnsIdSource;

  constructor(
    private readonly ctx: MockServerContext,
    private readonly options: MockHttp2ApiOptions,
  ) {
    this.maxStreams = options.maxConcurrentStreams;
    this.ids = new ApnsIdSource(ctx.random);
    this.uniqueIds = new ApnsIdSource(ctx.random);
    this.server = createSecureServer({
      key: options.key,
      cert: options.cert,
      ca: options.ca,
      requestCert: true,
      rejectUnauthorized: false,
      maxVersion: options.maxTlsVersion,
      allowHTTP1: false,
      settings: { maxConcurrentStreams: options.maxConcurrentStreams },
      // Room for many open streams per session without nghttp2 refusing them for memory.
      maxSessionMemory: 64,
    });
    this.server.on('connection', (socket: Socket) => {
      if (this.ctx.faults.refusing()) {
        this.ctx.records.counters.refusedConnections++;
        socket.destroy();
        this.ctx.records.changed();
      }
    });
    this.server.prependListener('secureConnection', (socket: TLSSocket) => {
      this.connecting = socket;
    });
    this.server.on('session', (session) => this.onSession(session));
    this.server.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, _flags: number, rawHeaders: string[]) =>
      this.onStream(stream, headers, rawHeaders),
    );
    this.server.on('tlsClientError', () => {
      this.ctx.records.counters.tlsErrors++;
      this.ctx.records.changed();
    });
    this.server.on('sessionError', () => undefined);
    this.server.on('unknownProtocol', (socket: TLSSocket) => {
      // No session follows a connection without ALPN h2.
      if (this.connecting === socket) this.connecting = undefined;
      socket.destroy();
    });
  }

  listen(host: string, port: number): Promise<number> {
    return listenOn(this.server, host, port);
  }

  /** New limit for new sessions and, through a SETTINGS frame, for every open one. */
  setMaxConcurrentStreams(n: number): void {
    this.maxStreams = n;
    this.server.updateSettings({ maxConcurrentStreams: n });
    for (const state of this.sessions.values()) this.tellLimit(state, undefined);
  }

  get maxConcurrentStreams(): number {
    return this.maxStreams;
  }

  async close(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const state of this.sessions.values()) state.socket.destroy();
    this.sessions.clear();
    await closed;
  }

  private onSession(session: ServerHttp2Session): void {
    const socket = this.connecting;
    this.connecting = undefined;
    if (socket === undefined) {
      session.destroy();
      return;
    }
    const peerCert = socket.getPeerCertificate();
    const presented = peerCert !== null && typeof peerCert === 'object' && Object.keys(peerCert).length > 0;
    const auth: Auth = socket.authorized
      ? isForOtherEnvironment(socket, this.options.environment)
        ? 'wrongEnvironment'
        : 'certificate'
      : presented
        ? 'badCertificate'
        : 'token';
    if (auth === 'wrongEnvironment') this.ctx.records.counters.wrongEnvironmentCertificates++;
    const state: SessionState = {
      id: this.ctx.nextConnectionId(),
      socket,
      session,
      auth,
      loweredLimit: undefined,
      streams: 0,
      open: 0,
      awaiting: 0,
      goaway: this.ctx.faults.takeGoaway(),
      lastStreamId: undefined,
      ending: false,
      jwt: undefined,
      lastSwitchAt: undefined,
    };
    this.sessions.set(session, state);
    this.ctx.records.counters.http2Sessions++;
    const how = { token: 'token auth', certificate: 'certificate auth', badCertificate: 'invalid client certificate', wrongEnvironment: 'client certificate for the other environment' };
    this.ctx.log(`http2 session ${state.id} opened (${how[auth]})`);
    session.on('error', () => undefined);
    session.on('ping', () => {
      this.ctx.records.counters.pings++;
      this.ctx.records.changed();
    });
    session.on('close', () => {
      this.sessions.delete(session);
      this.ctx.log(`http2 session ${state.id} closed`);
    });
    if (state.goaway?.afterStreams === 0) this.sendGoaway(session, state, 0);
    this.ctx.records.changed();
  }

  private onStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, rawHeaders: string[]): void {
    stream.on('error', () => undefined);
    const session = stream.session as ServerHttp2Session | undefined;
    const state = session === undefined ? undefined : this.sessions.get(session);
    if (state === undefined || session === undefined || stream.id === undefined) {
      stream.close(http2Constants.NGHTTP2_REFUSED_STREAM);
      return;
    }
    // Past our GOAWAY's last stream: not processed, the client must resend it elsewhere.
    if (state.lastStreamId !== undefined && stream.id > state.lastStreamId) {
      stream.close(http2Constants.NGHTTP2_REFUSED_STREAM);
      return;
    }
    const counters = this.ctx.records.counters;
    counters.streams++;
    state.streams++;
    state.open++;
    state.awaiting++;
    if (state.open > counters.maxConcurrentStreamsSeen) counters.maxConcurrentStreamsSeen = state.open;
    stream.on('close', () => {
      state.open--;
      if ((stream as AnsweredStream)[ANSWERED] !== true) state.awaiting--;
      if (state.lastStreamId !== undefined && state.open === 0) this.endSession(state);
    });
    if (state.goaway !== undefined && state.streams === state.goaway.afterStreams) this.sendGoaway(session, state, stream.id);
    this.ctx.records.changed();

    const resetCode = this.ctx.faults.takeReset();
    if (resetCode !== undefined) {
      counters.resets++;
      stream.close(resetCode);
      this.ctx.records.changed();
      return;
    }

    // One chunk is the common case: no array until a second one arrives.
    let first: Buffer | undefined;
    let more: Buffer[] | undefined;
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      // Keep just enough to tell "too large" from "fits"; the rest is read and dropped.
      if (size <= PAYLOAD_LIMITS.voip) {
        if (first === undefined) first = chunk;
        else (more ??= [first]).push(chunk);
      }
      size += chunk.length;
    });
    stream.once('end', () => {
      const body = more !== undefined ? Buffer.concat(more) : (first ?? EMPTY);
      this.handle(stream, state, headers, rawHeaders, body, size);
    });
  }

  private handle(
    stream: ServerHttp2Stream,
    state: SessionState,
    headers: IncomingHttpHeaders,
    rawHeaders: string[],
    body: Buffer,
    size: number,
  ): void {
    const requestedId = headers['apns-id'];
    const apnsId = typeof requestedId === 'string' && isValidApnsId(requestedId) ? requestedId : this.ids.next();
    const path = headers[':path'] ?? '';
    const rawToken = path.startsWith(DEVICE_PATH) ? path.slice(DEVICE_PATH.length) : '';

    const scripted = this.ctx.faults.takeResponse();
    if (scripted !== undefined) {
      this.reject(stream, state, rawToken, apnsId, {
        status: scripted.status,
        reason: scripted.reason,
        retryAfterSeconds: scripted.retryAfterSeconds,
      });
      return;
    }

    if (headers[':method'] !== 'POST') return this.reject(stream, state, rawToken, apnsId, { status: 405, reason: 'MethodNotAllowed' });
    const parsed = parseDevicePath(path);
    if (!parsed.ok) return this.reject(stream, state, rawToken, apnsId, { status: parsed.reason === 'BadPath' ? 404 : 400, reason: parsed.reason });
    const token = parsed.tokenHex;

    const problem = this.checkAuth(state, headers) ?? this.checkHeaders(state, headers, rawHeaders, requestedId);
    if (problem !== undefined) return this.reject(stream, state, token, apnsId, problem);
    const payload = this.readPayload(headers, body, size);
    if ('status' in payload) return this.reject(stream, state, token, apnsId, payload);

    const script = this.ctx.devices.get(token);
    if (script !== undefined) {
      if (script.kind === 'invalid') return this.reject(stream, state, token, apnsId, { status: 400, reason: 'BadDeviceToken' });
      if (script.kind === 'unregistered') {
        return this.reject(stream, state, token, apnsId, { status: 410, reason: 'Unregistered', timestamp: script.timestamp });
      }
      return this.reject(stream, state, token, apnsId, { status: script.status, reason: script.reason, timestamp: script.timestamp });
    }

    this.accept(stream, state, token, apnsId, headers, body, payload.json);
  }

  private checkAuth(state: SessionState, headers: IncomingHttpHeaders): Answer | undefined {
    if (state.auth === 'certificate') return undefined;
    if (state.auth === 'badCertificate') return { status: 403, reason: 'BadCertificate' };
    if (state.auth === 'wrongEnvironment') return { status: 403, reason: 'BadCertificateEnvironment' };
    const authorization = headers.authorization;
    if (typeof authorization !== 'string' || !/^bearer ./i.test(authorization)) return { status: 403, reason: 'MissingProviderToken' };
    const jwt = authorization.slice(7).trim();
    const verdict = this.ctx.verifier.verify(jwt);
    this.ctx.records.counters.providerTokens = this.ctx.verifier.distinctTokens;
    if (this.ctx.faults.takeExpiredProviderToken()) return { status: 403, reason: 'ExpiredProviderToken' };
    if (!verdict.ok) {
      this.ctx.log(`provider token refused: ${verdict.problem}`);
      return { status: 403, reason: 'InvalidProviderToken' };
    }
    const now = Date.now();
    if (now / 1000 - verdict.issuedAtSeconds > PROVIDER_TOKEN_LIFETIME_SECONDS) return { status: 403, reason: 'ExpiredProviderToken' };
    if (this.options.tokenUpdateLimit && state.jwt !== jwt) {
      if (state.jwt !== undefined) {
        if (state.lastSwitchAt !== undefined && now - state.lastSwitchAt < TOKEN_UPDATE_INTERVAL_MS) return { status: 429, reason: 'TooManyProviderTokenUpdates' };
        state.lastSwitchAt = now;
      }
      state.jwt = jwt;
    }
    return undefined;
  }

  private checkHeaders(state: SessionState, headers: IncomingHttpHeaders, rawHeaders: string[], requestedId: unknown): Answer | undefined {
    // A bit per header name rather than a Set per request: this runs for every notification.
    for (let i = 0, seen = 0; i < rawHeaders.length; i += 2) {
      const name = rawHeaders[i]!;
      // Every header checked starts with 'a': skip the others without a lookup.
      if (name.charCodeAt(0) !== 0x61) continue;
      const bit = SINGLE_HEADER_BITS.get(name);
      if (bit === undefined) continue;
      if (seen & bit) return { status: 400, reason: 'DuplicateHeaders' };
      seen |= bit;
    }
    if (requestedId !== undefined && !(typeof requestedId === 'string' && isValidApnsId(requestedId))) {
      return { status: 400, reason: 'BadMessageId' };
    }
    const pushType = headers['apns-push-type'];
    if (pushType !== undefined && (typeof pushType !== 'string' || !TOPIC_SUFFIX.has(pushType))) return { status: 400, reason: 'InvalidPushType' };
    const topic = headers['apns-topic'];
    if (topic === undefined || topic === '') {
      // A certificate names its own topic (Apple's older rule); a provider token does not.
      if (state.auth === 'token') return { status: 400, reason: 'MissingTopic' };
    } else {
      if (typeof topic !== 'string' || /\s/.test(topic)) return { status: 400, reason: 'BadTopic' };
      const suffix = typeof pushType === 'string' ? TOPIC_SUFFIX.get(pushType) : undefined;
      if (suffix !== undefined && !topic.endsWith(suffix)) return { status: 400, reason: 'BadTopic' };
    }
    const priority = headers['apns-priority'];
    if (priority !== undefined) {
      if (priority !== '10' && priority !== '5' && priority !== '1') return { status: 400, reason: 'BadPriority' };
      // apns-protocol.md 2.3: background pushes always take 5; Live Activities 5 or 10.
      if (pushType === 'background' && priority !== '5') return { status: 400, reason: 'BadPriority' };
      if (pushType === 'liveactivity' && priority === '1') return { status: 400, reason: 'BadPriority' };
    }
    const expiration = headers['apns-expiration'];
    if (expiration !== undefined && (typeof expiration !== 'string' || !/^\d{1,10}$/.test(expiration) || Number(expiration) > 0xffffffff)) {
      return { status: 400, reason: 'BadExpirationDate' };
    }
    const collapseId = headers['apns-collapse-id'];
    // node hands header values over as latin1 strings, one character per wire byte: the length is the byte count.
    if (collapseId !== undefined && (typeof collapseId !== 'string' || collapseId.length > MAX_COLLAPSE_ID_BYTES)) {
      return { status: 400, reason: 'BadCollapseId' };
    }
    return undefined;
  }

  /** The payload as JSON, or the answer that refuses it. */
  private readPayload(headers: IncomingHttpHeaders, body: Buffer, size: number): Answer | { json: object } {
    if (size === 0) return { status: 400, reason: 'PayloadEmpty' };
    const limit = headers['apns-push-type'] === 'voip' ? PAYLOAD_LIMITS.voip : PAYLOAD_LIMITS.http2;
    if (size > limit) return { status: 413, reason: 'PayloadTooLarge' };
    // Apple documents no reason for a body that is not a JSON object; `BadPayload` is the mock's own.
    const first = body[0];
    if (first !== 0x7b /* { */ && first !== 0x20 && first !== 0x0a && first !== 0x0d && first !== 0x09) {
      return { status: 400, reason: 'BadPayload' };
    }
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      return { status: 400, reason: 'BadPayload' };
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) return { status: 400, reason: 'BadPayload' };
    return { json };
  }

  private accept(
    stream: ServerHttp2Stream,
    state: SessionState,
    token: string,
    apnsId: string,
    headers: IncomingHttpHeaders,
    body: Buffer,
    json: object,
  ): void {
    const responseHeaders: Record<string, string | number> = { ':status': 200, 'apns-id': apnsId };
    if (this.options.uniqueIds) responseHeaders['apns-unique-id'] = this.uniqueIds.next();
    this.respond(stream, state, () => {
      stream.respond(responseHeaders, { endStream: true });
      if (state.loweredLimit !== undefined) this.tellLimit(state, undefined);
      this.ctx.records.accept(
        this.options.recordAccepted
          ? { protocol: 'http2', token, payload: body, json, apnsId, headers: copyHeaders(headers), connectionId: state.id }
          : { protocol: 'http2', token, payload: body, json: undefined, apnsId, connectionId: state.id },
      );
    });
  }

  private reject(stream: ServerHttp2Stream, state: SessionState, token: string, apnsId: string, answer: Answer): void {
    const responseHeaders: Record<string, string | number> = {
      ':status': answer.status,
      'apns-id': apnsId,
      'content-type': 'application/json',
    };
    if (answer.retryAfterSeconds !== undefined) responseHeaders['retry-after'] = String(answer.retryAfterSeconds);
    const reason = answer.reason ?? '';
    const body = JSON.stringify(answer.status === 410 ? { reason, timestamp: answer.timestamp ?? Date.now() } : { reason });
    this.respond(stream, state, () => {
      stream.respond(responseHeaders);
      stream.end(body);
      const lowered = this.ctx.faults.streamLimitAfterRejectionSetting;
      if (lowered !== undefined && state.loweredLimit !== lowered) this.tellLimit(state, lowered);
      this.ctx.log(`http2 ${answer.status} ${reason} for ${redactToken(token)} on session ${state.id}`);
      this.ctx.records.reject({
        protocol: 'http2',
        token: token.toLowerCase(),
        status: answer.status,
        reason,
        apnsId,
        ...(answer.status === 410 ? { timestamp: answer.timestamp } : {}),
        connectionId: state.id,
      });
    });
  }

  /** Sends one session a stream limit: `lowered`, or the server's own when undefined. */
  private tellLimit(state: SessionState, lowered: number | undefined): void {
    state.loweredLimit = lowered;
    if (!state.session.destroyed && !state.session.closed) state.session.settings({ maxConcurrentStreams: lowered ?? this.maxStreams });
  }

  /** Drops every connection at once, without GOAWAY: a crash, as the clients see it. */
  dropConnections(): void {
    for (const state of this.sessions.values()) {
      if (state.socket.destroyed) continue;
      state.socket.destroy();
      this.ctx.records.dropped({
        connectionId: state.id,
        acceptedBefore: this.ctx.records.accepted.length,
        openStreams: state.awaiting,
        maxConcurrentStreams: state.loweredLimit ?? this.maxStreams,
      });
    }
  }

  /** Writes now, or after the scripted latency; a stream reset meanwhile gets nothing. */
  private respond(stream: ServerHttp2Stream, state: SessionState, write: () => void): void {
    if (this.stopped) return;
    const latency = this.ctx.faults.latencySetting;
    if (latency === 0) {
      if (!stream.destroyed && !stream.closed) this.answer(stream, state, write);
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!stream.destroyed && !stream.closed) this.answer(stream, state, write);
    }, latency);
    this.timers.add(timer);
  }

  private answer(stream: ServerHttp2Stream, state: SessionState, write: () => void): void {
    (stream as AnsweredStream)[ANSWERED] = true;
    state.awaiting--;
    write();
  }

  private sendGoaway(session: ServerHttp2Session, state: SessionState, lastStreamId: number): void {
    const reason = state.goaway?.reason;
    const errorCode = state.goaway?.errorCode ?? http2Constants.NGHTTP2_NO_ERROR;
    state.lastStreamId = lastStreamId;
    session.goaway(errorCode, lastStreamId, reason === undefined ? undefined : Buffer.from(JSON.stringify({ reason })));
    this.ctx.records.counters.goaways++;
    this.ctx.log(`http2 GOAWAY (code ${errorCode}, last stream ${lastStreamId}) on session ${state.id}`);
    this.ctx.records.changed();
    if (state.open === 0) this.endSession(state);
  }

  /**
   * Ends the connection under a session that sent GOAWAY, once its last streams
   * are answered. Ending the socket rather than calling `session.close()` keeps
   * it to one GOAWAY, as Apple sends.
   */
  private endSession(state: SessionState): void {
    if (state.ending || this.stopped) return;
    state.ending = true;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      state.socket.end();
      // A client that never closes its side is cut off.
      const kill = setTimeout(() => {
        this.timers.delete(kill);
        state.socket.destroy();
      }, 2000);
      this.timers.add(kill);
      state.socket.once('close', () => {
        clearTimeout(kill);
        this.timers.delete(kill);
      });
    }, 10);
    this.timers.add(timer);
  }
}

function copyHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const copy: Record<string, string> = {};
  for (const name of Object.keys(headers)) {
    if (name === 'authorization') continue;
    const value = headers[name];
    if (value !== undefined) copy[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return copy;
}

const EMPTY = Buffer.alloc(0);
/** Set on a stream once the mock has written its answer. */
const ANSWERED = Symbol('answered');
type AnsweredStream = ServerHttp2Stream & { [ANSWERED]?: boolean };
