import type { KeyObject } from 'node:crypto';
import type { ApnsLogger } from './apns-logger.js';
import type { LoopLoad } from './event-loop-load.js';

export interface Endpoint {
  host: string;
  port: number;
}

/** TLS material, already read from files. */
export interface TlsConfig {
  cert?: string | Buffer;
  key?: string | Buffer;
  passphrase?: string;
  pfx?: Buffer;
  ca?: Array<string | Buffer>;
  /** Verify the server certificate. Default true. */
  rejectUnauthorized: boolean;
}

export interface ProviderTokenConfig {
  /** The .p8 signing key (ES256, P-256). */
  key: KeyObject;
  /** 10-character key id. */
  keyId: string;
  /** 10-character team id. */
  teamId: string;
  /** Scheduled renewal age, ms; clamped to [20 min, 60 min). Default 50 min. */
  refreshAfterMs: number;
}

export interface RetryConfig {
  /** Total attempts per delivery, first one included (HTTP/2: sends the server never processed not counted). Default 4. */
  attempts: number;
  /** First retry delay, ms; doubles each time, with full jitter. Default 100. */
  baseDelayMs: number;
  /** Cap of one retry delay, ms (a larger retry-after is honoured up to `maxRetryAfterMs`). Default 5000. */
  maxDelayMs: number;
  /** HTTP/2: longest retry-after honoured, ms; a delivery asked to wait longer fails (retryable). Default 60000. */
  maxRetryAfterMs: number;
  /** HTTP/2: resends of a request the server provably never processed, on top of `attempts`. Default 8. */
  unprocessedResends: number;
}

export interface ReconnectConfig {
  /** First delay after a connection fails to open, ms; doubles, with jitter. Default 250. */
  baseDelayMs: number;
  /** Cap, ms. Default 30000. */
  maxDelayMs: number;
  /**
   * While no connection can be opened, queued deliveries wait this long (from
   * the first failed attempt) before they fail with reason `ConnectionError`.
   * A permanent failure (certificate rejected, expired or untrusted) fails them
   * at once. Default 30000.
   */
  giveUpAfterMs: number;
}

/** Everything a transport needs, validated and resolved by the client layer. */
export interface TransportConfig {
  /** Send endpoint (gateway or HTTP/2 API). */
  endpoint: Endpoint;
  /** Binary feedback service endpoint. */
  feedbackEndpoint: Endpoint;
  tls: TlsConfig;
  /** HTTP/2 token auth; absent = certificate auth. */
  token?: ProviderTokenConfig;
  /** Most connections/sessions in the pool. Default 4 (binary) / 4 (HTTP/2). */
  maxConnections: number;
  /** Deliveries the queue holds before `offer` returns false. Default 10000. */
  queueSize: number;
  /** TLS connect + handshake deadline, ms. Default 10000. */
  connectTimeoutMs: number;
  /** Close a connection after this long without traffic, ms; 0 = never. Default 300000. */
  idleTimeoutMs: number;
  /** HTTP/2: one request's deadline, ms, after which it is retried. Default 10000. */
  requestTimeoutMs: number;
  /** HTTP/2: PING a session after this long without traffic, ms. Default 60000. */
  pingIntervalMs: number;
  retry: RetryConfig;
  reconnect: ReconnectConfig;
  binary: {
    /** `frame` = command 2 (default), `enhanced` = command 1. */
    format: 'frame' | 'enhanced';
    /** Most notifications one connection holds while they are inside the uncertain window. Default 100000. */
    sentBufferSize: number;
    /**
     * When a connection ends unconfirmed, the notifications inside the uncertain
     * window may or may not have been processed: `resend` them (at-least-once,
     * default) or `fail` them with reason `ConnectionLost` (at-most-once).
     */
    uncertainWindow: 'resend' | 'fail';
    /** The uncertain window by age: written in the last this many ms. Default 200. */
    uncertainWindowMs: number;
    /** The uncertain window by bytes: among the last this many bytes handed to the kernel, whatever their age. Default 6 MiB. */
    uncertainWindowBytes: number;
    /** How long a connection we close (idle) waits for the gateway to close its side, ms. The client uses its drainTimeoutMs. */
    closeLingerMs: number;
    /** Feedback read: idle timeout between bytes, ms. Default 5000. */
    feedbackIdleTimeoutMs: number;
  };
  logger: ApnsLogger;
  /** Source of randomness for jitter; a seeded one in tests. Default Math.random. */
  random: () => number;
  /** Clock, ms; a fake one in tests. Default Date.now. */
  now: () => number;
  /** The event loop's load, which decides whether the pool adds connections; a scripted one in tests. Default: this process's. */
  loopLoad?: LoopLoad;
}
