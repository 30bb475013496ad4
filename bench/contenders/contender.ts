import type { MockEndpoints } from '../harness/mock-server-process.js';

/** The kinds of client the worker knows how to build. */
export type ContenderKind =
  | 'raw-binary'
  | 'minimal-http2'
  | 'ours-binary'
  | 'ours-http2'
  | 'node-apn'
  | 'apns2'
  | 'apn-legacy'
  | 'codec';

/** Credential files written for the run (paths), and the token-auth ids. */
export interface BenchCredentials {
  ca: string;
  clientCert: string;
  clientKey: string;
  signingKey: string;
  keyId: string;
  teamId: string;
}

/** Everything one measured run needs; serialized to the child as JSON. */
export interface ContenderJob {
  kind: ContenderKind;
  /** Notifications in the measured window (latency scenario: derived from rate × duration). */
  count: number;
  /** Notifications sent before the measured window (connections open, JIT warm). */
  warmup: number;
  /** Connections / sessions, where the contender lets one choose. */
  connections?: number;
  /** nest-apns on HTTP/2: through `ApnsService` in a Nest application context (default) or the framework-free `ApnsClient`. */
  via?: 'nest' | 'client';
  /** Leave the library at its defaults (hostile-network scenario). */
  defaults?: boolean;
  /** `send`: one call with every token; `stream`: distinct notifications from an async iterable. */
  shape?: 'send' | 'stream';
  /** Tokens made one at a time instead of an array prepared beforehand (million-notification runs). */
  lazyTokens?: boolean;
  /** Latency scenario: notifications per second, each sent on its own, for `durationMs`. */
  ratePerSec?: number;
  durationMs?: number;
  /** Peers: tokens per `send` call and how many calls are in flight at once. */
  chunkSize?: number;
  chunksInFlight?: number;
  quick: boolean;
  mock: MockEndpoints;
  credentials: BenchCredentials;
  topic: string;
}

/** What a measured window produced (the worker adds time, CPU and RSS). */
export interface RunOutcome {
  ok: number;
  failed: number;
  /** Overrides the job's count (latency runs count what they actually sent). */
  count?: number;
  latencyMs?: { p50: number; p99: number; max: number; samples: number };
  /** Codec only: the rows `runCodecBench` measured, reported as they are. */
  codecRows?: Array<{ label: string; framesPerSec: number; mbPerSec: number | undefined; baseline: boolean }>;
  /** A short description of the first failure, for the report. */
  firstError?: string;
}

/**
 * One client under test. `setup` connects and warms up (not measured), `run`
 * is the measured window, `close` releases everything (not measured). For
 * binary clients `run` ends once the connections are closed after the server
 * read everything, since the protocol has no acknowledgement.
 */
export interface Contender {
  setup(): Promise<void>;
  run(): Promise<RunOutcome>;
  close(): Promise<void>;
}
