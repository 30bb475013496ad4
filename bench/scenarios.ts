import type { ContenderJob } from './contenders/contender.js';
import type { MockServerSettings } from './harness/mock-server-process.js';
import type { ScenarioResult } from './report/bench-results.js';
import { IDS } from './report/goals.js';

/** What a contender row asks the worker to do (the harness adds mock, credentials, topic). */
export type JobSpec = Omit<ContenderJob, 'mock' | 'credentials' | 'topic' | 'quick'>;

export interface ContenderPlan {
  id: string;
  label: string;
  baseline: boolean;
  job: JobSpec;
  /** Runs of this row, when it differs from the scenario's (a million HTTP/2 notifications take a minute). */
  reps?: number;
  /** Baselines this row is compared with; all of the scenario's when absent. */
  compareTo?: string[];
}

export interface ScenarioPlan {
  id: string;
  title: string;
  description: string;
  unit: string;
  /** Mock settings, or undefined when the scenario needs no server (codec). */
  mock: MockServerSettings | undefined;
  reps: number;
  /** Rows; may depend on the scenarios already measured (latency runs at half the measured peak). */
  contenders(done: readonly ScenarioResult[]): ContenderPlan[];
}

export interface BenchSizes {
  reps: number;
  binaryCount: number;
  http2Count: number;
  fanoutCount: number;
  millionCount: number;
  /** The HTTP/2 row of the memory scenario (HTTP/2 is ~30× slower than binary). */
  millionHttp2Count: number;
  hostileCount: number;
  latencyDurationMs: number;
  warmup: number;
}

export function benchSizes(quick: boolean): BenchSizes {
  return quick
    ? { reps: 2, binaryCount: 40_000, http2Count: 10_000, fanoutCount: 20_000, millionCount: 200_000, millionHttp2Count: 100_000, hostileCount: 5_000, latencyDurationMs: 2_000, warmup: 500 }
    : { reps: 3, binaryCount: 200_000, http2Count: 50_000, fanoutCount: 100_000, millionCount: 1_000_000, millionHttp2Count: 1_000_000, hostileCount: 20_000, latencyDurationMs: 5_000, warmup: 2_000 };
}

/** ABBA: forward on even reps, backward on odd ones, so no contender always runs first or last. */
export function runOrder<T>(items: readonly T[], rep: number): T[] {
  return rep % 2 === 0 ? [...items] : [...items].reverse();
}

const count = (n: number): string => n.toLocaleString('en-US');

/** Half of the best HTTP/2 rate measured in scenario 3 (ours first, else the minimal client). */
export function latencyRate(done: readonly ScenarioResult[]): number {
  const http2 = done.find((scenario) => scenario.id === IDS.http2);
  const rateOf = (id: string): number | undefined => {
    const row = http2?.contenders.find((contender) => contender.id === id);
    const value = row?.notificationsPerSec?.median;
    return value !== undefined && Number.isFinite(value) && value > 0 ? value : undefined;
  };
  const ours = [rateOf(IDS.oursHttp2One), rateOf(IDS.oursHttp2Four)].filter((value): value is number => value !== undefined);
  const peak = ours.length > 0 ? Math.max(...ours) : (rateOf(IDS.minimalHttp2) ?? 10_000);
  return Math.max(100, Math.round(peak / 2));
}

/** Scenarios 1–7 of issue 8, in the order they run. */
export function scenarioPlans(sizes: BenchSizes, quick: boolean): ScenarioPlan[] {
  const { reps, warmup } = sizes;
  const memoryReps = quick ? 1 : 2;
  return [
    {
      id: IDS.codec,
      title: '1. Codec: command-2 frames in batch mode',
      description: 'frames/s and MB/s of the binary batch encoder next to a plain Buffer.copy of the same bytes (runCodecBench, one child process per run).',
      unit: 'frames/s',
      mock: undefined,
      reps: quick ? 1 : reps,
      contenders: () => [{ id: 'codec', label: 'codec', baseline: false, job: { kind: 'codec', count: 1, warmup: 0 } }],
    },
    {
      id: IDS.binary,
      title: '2. Binary protocol',
      description: `${count(sizes.binaryCount)} notifications to ${count(sizes.binaryCount)} tokens, certificate auth; done when the connections are closed after the mock read everything.`,
      unit: 'notifications/s',
      mock: {},
      reps,
      contenders: () => [
        { id: IDS.rawBinary, label: 'raw baseline (pre-encoded, 1 socket)', baseline: true, job: { kind: 'raw-binary', count: sizes.binaryCount, warmup } },
        { id: IDS.oursBinary1, label: 'nest-apns binary, 1 connection', baseline: false, job: { kind: 'ours-binary', count: sizes.binaryCount, warmup, connections: 1 } },
        { id: IDS.oursBinary4, label: 'nest-apns binary, 4 connections', baseline: false, job: { kind: 'ours-binary', count: sizes.binaryCount, warmup, connections: 4 } },
        { id: IDS.apnLegacy, label: 'apn@1.7.8 (fastMode)', baseline: true, job: { kind: 'apn-legacy', count: sizes.binaryCount, warmup, connections: 1 } },
      ],
    },
    {
      id: IDS.http2,
      title: '3. HTTP/2, token auth',
      description: `${count(sizes.http2Count)} notifications; nest-apns through ApnsService in a Nest application context; done when every response arrived.`,
      unit: 'notifications/s',
      mock: {},
      reps,
      contenders: () => [
        { id: IDS.minimalHttp2, label: 'minimal node:http2 (1 session, 1,000 streams)', baseline: true, job: { kind: 'minimal-http2', count: sizes.http2Count, warmup } },
        { id: IDS.oursHttp2One, label: 'nest-apns HTTP/2, 1 session', baseline: false, job: { kind: 'ours-http2', count: sizes.http2Count, warmup, connections: 1 } },
        { id: IDS.oursHttp2Four, label: 'nest-apns HTTP/2, 4 sessions', baseline: false, job: { kind: 'ours-http2', count: sizes.http2Count, warmup, connections: 4 } },
        { id: IDS.nodeApn, label: '@parse/node-apn (500/send, 2 sends in flight)', baseline: true, job: { kind: 'node-apn', count: sizes.http2Count, warmup, chunkSize: 500, chunksInFlight: 2 } },
        { id: IDS.apns2, label: 'apns2 (sendMany of 1,000, 2 in flight)', baseline: true, job: { kind: 'apns2', count: sizes.http2Count, warmup, chunkSize: 1000, chunksInFlight: 2 } },
      ],
    },
    {
      id: IDS.fanout,
      title: '4. Fan-out: one notification to many tokens',
      description: `one notification to ${count(sizes.fanoutCount)} tokens in one send (payload serialized once).`,
      unit: 'notifications/s',
      mock: {},
      reps,
      contenders: () => [
        { id: 'fanout-minimal-http2', label: 'minimal node:http2', baseline: true, compareTo: [], job: { kind: 'minimal-http2', count: sizes.fanoutCount, warmup } },
        { id: 'fanout-ours-http2', label: 'nest-apns HTTP/2, 4 sessions', baseline: false, compareTo: ['fanout-minimal-http2'], job: { kind: 'ours-http2', count: sizes.fanoutCount, warmup, connections: 4 } },
        { id: 'fanout-raw-binary', label: 'raw binary baseline', baseline: true, compareTo: [], job: { kind: 'raw-binary', count: sizes.fanoutCount, warmup } },
        { id: 'fanout-ours-binary', label: 'nest-apns binary, 1 connection', baseline: false, compareTo: ['fanout-raw-binary'], job: { kind: 'ours-binary', count: sizes.fanoutCount, warmup, connections: 1 } },
      ],
    },
    {
      id: IDS.memory,
      title: '5. Memory: a million notifications through the bounded queue',
      description: `${count(sizes.millionCount)} notifications (HTTP/2: ${count(sizes.millionHttp2Count)}, one run), tokens produced lazily by the caller so that the RSS is the library's, through the framework-free ApnsClient (a Nest application context adds its own ~40 MB: scenario 3); peak RSS of the client process. The minimal client's row (${count(sizes.http2Count)} tokens) is the speed baseline of the HTTP/2 row.`,
      unit: 'notifications/s',
      mock: {},
      reps: memoryReps,
      contenders: () => [
        { id: 'ours-binary-send-1m', label: 'binary: one send, lazy token iterable', baseline: false, compareTo: [], job: { kind: 'ours-binary', count: sizes.millionCount, warmup, connections: 1, shape: 'send', lazyTokens: true } },
        { id: 'ours-binary-stream-1m', label: 'binary: sendMany, async iterable of distinct notifications', baseline: false, compareTo: [], job: { kind: 'ours-binary', count: sizes.millionCount, warmup, connections: 1, shape: 'stream' } },
        { id: IDS.oursHttp2Million, label: `HTTP/2: one send of ${count(sizes.millionHttp2Count)}, lazy token iterable`, baseline: false, reps: 1, compareTo: [IDS.memoryMinimalHttp2], job: { kind: 'ours-http2', via: 'client', count: sizes.millionHttp2Count, warmup, connections: 4, shape: 'send', lazyTokens: true } },
        { id: IDS.memoryMinimalHttp2, label: `minimal node:http2, ${count(sizes.http2Count)} tokens (speed baseline)`, baseline: true, compareTo: [], job: { kind: 'minimal-http2', count: sizes.http2Count, warmup } },
      ],
    },
    {
      id: IDS.latency,
      title: '6. Latency at a steady rate (half the measured peak)',
      description: 'each notification sent on its own at a steady rate; latency from when it was due to its response (HTTP/2, 4 sessions for nest-apns).',
      unit: 'notifications/s',
      mock: {},
      reps,
      contenders: (done) => {
        const rate = latencyRate(done);
        const job = { count: Math.round((rate * sizes.latencyDurationMs) / 1000), warmup, ratePerSec: rate, durationMs: sizes.latencyDurationMs };
        return [
          { id: 'latency-minimal-http2', label: `minimal node:http2 at ${count(rate)}/s`, baseline: true, job: { kind: 'minimal-http2', ...job } },
          { id: 'latency-ours-http2', label: `nest-apns HTTP/2 at ${count(rate)}/s`, baseline: false, job: { kind: 'ours-http2', connections: 4, ...job } },
        ];
      },
    },
    {
      id: IDS.hostile,
      title: '7. Hostile network: 20 ms answers, 100 streams per session',
      description: `${count(sizes.hostileCount)} notifications; every library at its defaults (peers still chunked as their callers must).`,
      unit: 'notifications/s',
      mock: { latencyMs: 20, maxStreams: 100 },
      reps,
      contenders: () => [
        { id: IDS.oursHttp2Default, label: 'nest-apns HTTP/2, defaults', baseline: false, job: { kind: 'ours-http2', count: sizes.hostileCount, warmup: 200, defaults: true } },
        { id: IDS.nodeApn, label: '@parse/node-apn, defaults (500/send)', baseline: true, job: { kind: 'node-apn', count: sizes.hostileCount, warmup: 200, defaults: true, chunkSize: 500, chunksInFlight: 2 } },
        { id: IDS.apns2, label: 'apns2, defaults', baseline: true, job: { kind: 'apns2', count: sizes.hostileCount, warmup: 200, defaults: true, chunkSize: 1000, chunksInFlight: 2 } },
      ],
    },
  ];
}
