import type { ContenderResult, GoalResult, ScenarioResult } from './bench-results.js';

/** Contender and scenario ids the goals read; the scenario list in `bench/scenarios.ts` uses the same. */
export const IDS = {
  codec: 'codec',
  binary: 'binary',
  http2: 'http2',
  fanout: 'fanout',
  memory: 'memory',
  latency: 'latency',
  hostile: 'hostile',
  rawBinary: 'raw-binary',
  oursBinary1: 'ours-binary-1',
  oursBinary4: 'ours-binary-4',
  apnLegacy: 'apn-1.7.8',
  minimalHttp2: 'minimal-http2',
  oursHttp2One: 'ours-http2-1',
  oursHttp2Four: 'ours-http2-4',
  nodeApn: 'node-apn',
  apns2: 'apns2',
  oursHttp2Default: 'ours-http2-defaults',
  oursHttp2Million: 'ours-http2-send-1m',
  memoryMinimalHttp2: 'memory-minimal-http2',
} as const;

/** The thresholds of issue 8, in one place. */
export const GOAL_THRESHOLDS = {
  http2ThroughputOfMinimal: 0.95,
  http2CpuOfMinimal: 1.1,
  hostileOverBestPeer: 3,
  binaryOverApn: 10,
  binaryAbsolutePerSec: 400_000,
  binaryOfRaw: 0.8,
  memoryPeakMb: 200,
} as const;

function find(scenarios: readonly ScenarioResult[], scenarioId: string, contenderId: string): ContenderResult | undefined {
  return scenarios.find((scenario) => scenario.id === scenarioId)?.contenders.find((contender) => contender.id === contenderId);
}

function rate(contender: ContenderResult | undefined): number | undefined {
  const value = contender?.notificationsPerSec?.median;
  return value !== undefined && Number.isFinite(value) && contender!.runs.length > 0 ? value : undefined;
}

function cpu(contender: ContenderResult | undefined): number | undefined {
  const value = contender?.cpuMsPer1000?.median;
  return value !== undefined && Number.isFinite(value) ? value : undefined;
}

const fmt = (value: number): string => Math.round(value).toLocaleString('en-US');
const pct = (value: number): string => `${(value * 100).toFixed(0)}%`;

function notMeasured(id: string, text: string, missing: string): GoalResult {
  return { id, text, status: 'not measured', detail: `missing: ${missing}` };
}

/**
 * Evaluates the goals of issue 8 against a run's results. Goals are reported,
 * never enforced: a goal whose figures are missing is "not measured".
 */
export function evaluateGoals(scenarios: readonly ScenarioResult[]): GoalResult[] {
  const t = GOAL_THRESHOLDS;
  const goals: GoalResult[] = [];

  // HTTP/2 against the minimal node:http2 client. Both halves of the goal hold
  // for one configuration: the one that meets both if any does, else the fastest.
  {
    const minimal = find(scenarios, IDS.http2, IDS.minimalHttp2);
    const base = rate(minimal);
    const baseCpu = cpu(minimal);
    const meetsBoth = (row: ContenderResult): boolean =>
      base !== undefined &&
      baseCpu !== undefined &&
      rate(row)! / base >= t.http2ThroughputOfMinimal &&
      cpu(row) !== undefined &&
      cpu(row)! / baseCpu <= t.http2CpuOfMinimal;
    const ours = [find(scenarios, IDS.http2, IDS.oursHttp2One), find(scenarios, IDS.http2, IDS.oursHttp2Four)].filter(
      (row): row is ContenderResult => rate(row) !== undefined,
    );
    const best = ours.sort((a, b) => Number(meetsBoth(b)) - Number(meetsBoth(a)) || rate(b)! - rate(a)!)[0];
    const throughputText = `HTTP/2 throughput ≥ ${pct(t.http2ThroughputOfMinimal)} of the minimal node:http2 client`;
    const cpuText = `HTTP/2 client CPU per notification ≤ ${t.http2CpuOfMinimal}× the minimal client's (same configuration)`;
    if (best === undefined || base === undefined) {
      goals.push(notMeasured('http2-throughput', throughputText, best === undefined ? 'our HTTP/2 rows' : 'minimal client row'));
      goals.push(notMeasured('http2-cpu', cpuText, best === undefined ? 'our HTTP/2 rows' : 'minimal client row'));
    } else {
      const share = rate(best)! / base;
      goals.push({
        id: 'http2-throughput',
        text: throughputText,
        status: share >= t.http2ThroughputOfMinimal ? 'met' : 'not met',
        detail: `${best.label}: ${fmt(rate(best)!)}/s = ${pct(share)} of ${fmt(base)}/s`,
      });
      const ourCpu = cpu(best);
      if (ourCpu === undefined || baseCpu === undefined || baseCpu <= 0) {
        goals.push(notMeasured('http2-cpu', cpuText, 'CPU figures'));
      } else {
        const times = ourCpu / baseCpu;
        goals.push({
          id: 'http2-cpu',
          text: cpuText,
          status: times <= t.http2CpuOfMinimal ? 'met' : 'not met',
          detail: `${best.label}: ${ourCpu.toFixed(1)} ms/1k = ${times.toFixed(2)}× ${baseCpu.toFixed(1)} ms/1k`,
        });
      }
    }
  }

  // One send of a million tokens over HTTP/2 at the minimal client's speed.
  {
    const text = `one HTTP/2 send of a million tokens (memory scenario) at ≥ ${pct(t.http2ThroughputOfMinimal)} of the minimal client's throughput`;
    const millionRow = find(scenarios, IDS.memory, IDS.oursHttp2Million);
    const million = rate(millionRow);
    // The minimal client measured in the same scenario (same mock process, same minutes), else scenario 3's.
    const base = rate(find(scenarios, IDS.memory, IDS.memoryMinimalHttp2)) ?? rate(find(scenarios, IDS.http2, IDS.minimalHttp2));
    if (million === undefined || base === undefined) goals.push(notMeasured('http2-million-speed', text, million === undefined ? 'memory scenario HTTP/2 row' : 'minimal client row'));
    else
      goals.push({
        id: 'http2-million-speed',
        text,
        status: million / base >= t.http2ThroughputOfMinimal ? 'met' : 'not met',
        detail: `${fmt(millionRow!.runs[0]!.count)} tokens at ${fmt(million)}/s = ${pct(million / base)} of ${fmt(base)}/s`,
      });
  }

  // Hostile network: ours against the better peer.
  {
    const text = `hostile network (20 ms, 100 streams): ≥ ${t.hostileOverBestPeer}× the better of @parse/node-apn and apns2`;
    const ours = rate(find(scenarios, IDS.hostile, IDS.oursHttp2Default));
    const peers = [find(scenarios, IDS.hostile, IDS.nodeApn), find(scenarios, IDS.hostile, IDS.apns2)]
      .map((row) => ({ row, value: rate(row) }))
      .filter((entry): entry is { row: ContenderResult; value: number } => entry.value !== undefined);
    const bestPeer = peers.sort((a, b) => b.value - a.value)[0];
    if (ours === undefined || bestPeer === undefined) goals.push(notMeasured('hostile', text, ours === undefined ? 'our row' : 'peer rows'));
    else
      goals.push({
        id: 'hostile',
        text,
        status: ours / bestPeer.value >= t.hostileOverBestPeer ? 'met' : 'not met',
        detail: `${fmt(ours)}/s = ${(ours / bestPeer.value).toFixed(1)}× ${bestPeer.row.label} (${fmt(bestPeer.value)}/s)`,
      });
  }

  // Binary: ten times apn@1.7.8, and an absolute or relative floor on one connection.
  {
    const ours = rate(find(scenarios, IDS.binary, IDS.oursBinary1));
    const apn = rate(find(scenarios, IDS.binary, IDS.apnLegacy));
    const raw = rate(find(scenarios, IDS.binary, IDS.rawBinary));
    const apnText = `binary, one connection: ≥ ${t.binaryOverApn}× apn@1.7.8`;
    if (ours === undefined || apn === undefined) goals.push(notMeasured('binary-vs-apn', apnText, ours === undefined ? 'our binary row' : 'apn@1.7.8 row'));
    else
      goals.push({
        id: 'binary-vs-apn',
        text: apnText,
        status: ours / apn >= t.binaryOverApn ? 'met' : 'not met',
        detail: `${fmt(ours)}/s = ${(ours / apn).toFixed(1)}× ${fmt(apn)}/s`,
      });
    const floorText = `binary, one connection: ≥ ${fmt(t.binaryAbsolutePerSec)}/s, or ≥ ${pct(t.binaryOfRaw)} of the raw baseline`;
    if (ours === undefined) goals.push(notMeasured('binary-floor', floorText, 'our binary row'));
    else {
      const absolute = ours >= t.binaryAbsolutePerSec;
      const relative = raw !== undefined && ours / raw >= t.binaryOfRaw;
      goals.push({
        id: 'binary-floor',
        text: floorText,
        status: absolute || relative ? 'met' : 'not met',
        detail: `${fmt(ours)}/s` + (raw !== undefined ? ` = ${pct(ours / raw)} of raw ${fmt(raw)}/s` : ' (no raw baseline)'),
      });
    }
  }

  // Memory: every million-notification row stays under the limit (worst run counts).
  {
    const text = `a million notifications through the bounded queue: peak RSS < ${t.memoryPeakMb} MB`;
    // Baselines are there for speed: their RSS holds their token arrays, not a bounded queue.
    const rows = scenarios.find((scenario) => scenario.id === IDS.memory)?.contenders.filter((row) => !row.baseline && row.peakRssMb !== undefined && row.runs.length > 0) ?? [];
    if (rows.length === 0) goals.push(notMeasured('memory', text, 'memory scenario rows'));
    else {
      const worst = rows.sort((a, b) => b.peakRssMb!.max - a.peakRssMb!.max)[0]!;
      goals.push({
        id: 'memory',
        text,
        status: worst.peakRssMb!.max < t.memoryPeakMb ? 'met' : 'not met',
        detail: `highest: ${worst.label}, ${worst.peakRssMb!.max.toFixed(0)} MB`,
      });
    }
  }
  return goals;
}
