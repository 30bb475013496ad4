import type { Contender, ContenderJob, RunOutcome } from './contender.js';

/** One row of the codec scenario, as the report wants it. */
export interface CodecRow {
  label: string;
  framesPerSec: number;
  mbPerSec: number | undefined;
  /** Buffer.copy of the same bytes: the floor the encoder is compared with. */
  baseline: boolean;
}

function numberIn(record: Record<string, unknown>, names: string[]): number | undefined {
  for (const name of names) {
    const value = record[name];
    if (typeof value === 'number' && Number.isFinite(value)) return value;
  }
  return undefined;
}

/**
 * Reads whatever `runCodecBench` returns (an array of rows, `{ rows }`, or an
 * object of named rows) into report rows; rows without a rate are skipped.
 */
export function normalizeCodecResult(result: unknown): CodecRow[] {
  let entries: Array<[string | undefined, unknown]> = [];
  if (Array.isArray(result)) entries = result.map((row) => [undefined, row]);
  else if (result !== null && typeof result === 'object') {
    const record = result as Record<string, unknown>;
    const list = record.rows ?? record.results ?? record.cases;
    if (Array.isArray(list)) entries = list.map((row) => [undefined, row]);
    else entries = Object.entries(record);
  }
  const rows: CodecRow[] = [];
  for (const [key, value] of entries) {
    if (value === null || typeof value !== 'object') continue;
    const row = value as Record<string, unknown>;
    const framesPerSec = numberIn(row, ['framesPerSec', 'framesPerSecond', 'opsPerSec', 'perSec', 'rate', 'hz']);
    if (framesPerSec === undefined) continue;
    const label = String(row.label ?? row.name ?? row.case ?? key ?? `row ${rows.length + 1}`);
    rows.push({
      label,
      framesPerSec,
      mbPerSec: numberIn(row, ['mbPerSec', 'MBps', 'mbps', 'megabytesPerSec', 'mbPerSecond']),
      baseline: typeof row.baseline === 'boolean' ? row.baseline : /copy/i.test(label),
    });
  }
  return rows;
}

/**
 * Scenario 1: the codec engineer's `runCodecBench({ quick })` (bench/codec.bench.ts),
 * run in a child process like everything else; it measures the encoder and a
 * plain Buffer.copy of the same bytes in the same run.
 */
export class CodecContender implements Contender {
  private rows: CodecRow[] = [];

  constructor(private readonly job: ContenderJob) {}

  async setup(): Promise<void> {}

  async run(): Promise<RunOutcome> {
    const url = new URL('../codec.bench.js', import.meta.url).href;
    let module: { runCodecBench?: (options: { quick: boolean }) => unknown };
    try {
      module = (await import(url)) as typeof module;
    } catch (error) {
      throw new Error(`bench/codec.bench.ts not available: ${(error as Error).message.split('\n')[0]}`);
    }
    if (typeof module.runCodecBench !== 'function') throw new Error('bench/codec.bench.ts exports no runCodecBench');
    this.rows = normalizeCodecResult(await module.runCodecBench({ quick: this.job.quick }));
    if (this.rows.length === 0) throw new Error('runCodecBench returned no rows with a rate');
    return { ok: 1, failed: 0, codecRows: this.rows };
  }

  async close(): Promise<void> {}
}
