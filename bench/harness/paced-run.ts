import type { RunOutcome } from '../contenders/contender.js';
import { quantileSorted } from '../report/stats.js';
import { benchTokens } from './bench-tokens.js';

/**
 * Sends one notification at a time at a steady rate for `durationMs` and
 * measures each one's latency from the moment it was *due* (not when the loop
 * got round to it), so a client that falls behind shows it in the tail
 * instead of hiding it (no coordinated omission).
 */
export async function pacedRun(sendOne: (token: string) => Promise<boolean>, ratePerSec: number, durationMs: number): Promise<RunOutcome> {
  const total = Math.max(1, Math.round((ratePerSec * durationMs) / 1000));
  const tokens = benchTokens(total, 700_000_000);
  const latencies = new Float64Array(total);
  let ok = 0;
  let failed = 0;
  const pending: Array<Promise<void>> = [];
  const start = performance.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const due = Math.min(total, Math.floor(((performance.now() - start) * ratePerSec) / 1000) + 1);
      while (sent < due) {
        const index = sent++;
        const dueAt = start + (index * 1000) / ratePerSec;
        pending.push(
          sendOne(tokens[index]!).then(
            (accepted) => {
              latencies[index] = performance.now() - dueAt;
              if (accepted) ok++;
              else failed++;
            },
            () => {
              latencies[index] = performance.now() - dueAt;
              failed++;
            },
          ),
        );
      }
      if (sent >= total) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  await Promise.all(pending);
  const sorted = latencies.sort();
  return {
    ok,
    failed,
    count: total,
    latencyMs: { p50: quantileSorted(sorted, 0.5), p99: quantileSorted(sorted, 0.99), max: sorted[sorted.length - 1]!, samples: total },
  };
}
