import type { ContenderResult, RunSample, ScenarioResult, Spread } from './bench-results.js';

/** Median of the values (mean of the middle two for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Median, min and max; undefined when there are no values. */
export function spread(values: readonly number[]): Spread | undefined {
  const finite = values.filter((value) => Number.isFinite(value));
  if (finite.length === 0) return undefined;
  return { median: median(finite), min: Math.min(...finite), max: Math.max(...finite) };
}

/**
 * The q-th quantile (0..1) of values already sorted ascending, nearest-rank
 * method: the smallest value with at least q of the samples at or below it.
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

/** Delivered (accepted) notifications per second: failures do not count as throughput. */
export function notificationsPerSec(run: RunSample): number {
  return run.elapsedMs > 0 ? (run.ok / run.elapsedMs) * 1000 : Number.NaN;
}

export function cpuMsPer1000(run: RunSample): number {
  return run.count > 0 ? (run.cpuMs / run.count) * 1000 : Number.NaN;
}

/** Fills a contender's spreads from its runs. */
export function summarizeContender(result: ContenderResult): ContenderResult {
  const runs = result.runs;
  const summary: ContenderResult = {
    ...result,
    notificationsPerSec: spread(runs.map(notificationsPerSec)),
    cpuMsPer1000: spread(runs.map(cpuMsPer1000)),
    peakRssMb: spread(runs.map((run) => run.peakRssBytes / (1024 * 1024))),
    throughputRatio: {},
    cpuRatio: {},
  };
  const withLatency = runs.filter((run) => run.latency !== undefined);
  if (withLatency.length > 0) {
    summary.latencyP50Ms = spread(withLatency.map((run) => run.latency!.p50));
    summary.latencyP99Ms = spread(withLatency.map((run) => run.latency!.p99));
  }
  const withMb = runs.filter((run) => run.mbPerSec !== undefined);
  if (withMb.length > 0) summary.mbPerSec = spread(withMb.map((run) => run.mbPerSec!));
  return summary;
}

/**
 * Ratios of every contender to every baseline of its scenario, median to
 * median: throughput (higher is better) and CPU per notification (lower is better).
 * A baseline is not compared with itself, and a row that names the baselines
 * it compares with (`compareTo`) only with those (no HTTP/2 row against a binary baseline).
 */
export function withRatios(scenario: ScenarioResult): ScenarioResult {
  const baselines = scenario.contenders.filter((contender) => contender.baseline);
  const contenders = scenario.contenders.map((contender) => {
    const throughputRatio: Record<string, number> = {};
    const cpuRatio: Record<string, number> = {};
    for (const baseline of baselines) {
      if (baseline.id === contender.id) continue;
      if (contender.compareTo !== undefined && !contender.compareTo.includes(baseline.id)) continue;
      const rate = ratio(contender.notificationsPerSec?.median, baseline.notificationsPerSec?.median);
      if (rate !== undefined) throughputRatio[baseline.id] = rate;
      const cpu = ratio(contender.cpuMsPer1000?.median, baseline.cpuMsPer1000?.median);
      if (cpu !== undefined) cpuRatio[baseline.id] = cpu;
    }
    return { ...contender, throughputRatio, cpuRatio };
  });
  return { ...scenario, contenders };
}

/** a / b, or undefined when either is missing, not finite, or b is not positive. */
export function ratio(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b <= 0) return undefined;
  return a / b;
}
