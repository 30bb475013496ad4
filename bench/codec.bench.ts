/**
 * Codec micro-benchmark: encoding command-2 frames in batch mode, next to the
 * raw cost of copying the same bytes with Buffer.copy in the same run (the
 * floor any encoder can reach). Run:
 *
 *   npx tsc -p tsconfig.bench.json && node dist-bench/bench/codec.bench.js [--quick]
 */
import { pathToFileURL } from 'node:url';
import { encodeNotificationFrame } from '../src/codec/binary-frame.js';
import { DEFAULT_BATCH_CHUNK_BYTES, FrameBatchEncoder } from '../src/codec/frame-batch-encoder.js';
import { prepareNotification } from '../src/codec/prepare-notification.js';
import type { PreparedNotification } from '../src/transport/delivery.js';

/**
 * Medians over the rounds. Rates come from CPU time: the machines this runs on
 * are shared, and wall time there measures the neighbours as much as the code.
 */
export interface CodecBenchRow {
  name: string;
  framesPerSec: number;
  mbPerSec: number;
  /** CPU time per frame. */
  nsPerFrame: number;
  /** Wall time per frame, for reference. */
  wallNsPerFrame: number;
}

export interface CodecBenchResult {
  tokenBytes: number;
  payloadBytes: number;
  frameBytes: number;
  framesPerRound: number;
  rounds: number;
  rows: CodecBenchRow[];
  /** Batch encoding CPU time per frame divided by Buffer.copy CPU time per frame. */
  encodeVsCopy: number;
}

/** One timed round: wall time, CPU time of this process (all threads, GC included), bytes produced. */
interface Sample {
  ns: number;
  cpuNs: number;
  bytes: number;
}

/** Times `body`; it returns the number of bytes it produced. */
function timed(body: () => number): Sample {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const bytes = body();
  const ns = Number(process.hrtime.bigint() - start);
  const used = process.cpuUsage(cpu);
  return { ns, cpuNs: (used.user + used.system) * 1000, bytes };
}

const TOKEN_HEX = '85ab4a0cf2c8a2a5c47a8e2c1c6f0c1fd2b04e6c4b7c7d7e8f90a1b2c3d4e5f6';

/** A typical 60-byte payload. */
function typicalMessage(): PreparedNotification {
  const message = prepareNotification({ alert: 'Your order #4521 has shipped!', badge: 1 }, { transport: 'binary', now: 0 });
  const padding = 60 - message.payload.length;
  if (padding < 0) throw new Error('payload longer than 60 bytes');
  const payload = prepareNotification({ alert: 'Your order #4521 has shipped!' + '.'.repeat(padding), badge: 1 }, { transport: 'binary', now: 0 });
  if (payload.payload.length !== 60) throw new Error(`payload is ${payload.payload.length} bytes`);
  return { ...payload, expiration: 1_900_000_000 };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Batch mode as a connection uses it: append until ~a socket write's worth, then take. */
function encodeBatch(frames: number, message: PreparedNotification): Sample {
  const encoder = new FrameBatchEncoder('frame');
  const flushAt = DEFAULT_BATCH_CHUNK_BYTES - 1024;
  return timed(() => {
    let bytes = 0;
    for (let i = 0; i < frames; i++) {
      encoder.append(i, TOKEN_HEX, message);
      if (encoder.byteLength >= flushAt) bytes += encoder.take().length;
    }
    return bytes + encoder.take().length;
  });
}

/** The floor: the same frame bytes copied into chunks of the same size. */
function copyBatch(frames: number, frame: Buffer): Sample {
  const chunkBytes = DEFAULT_BATCH_CHUNK_BYTES;
  const flushAt = chunkBytes - 1024;
  return timed(() => {
    let chunk = Buffer.allocUnsafe(chunkBytes);
    let from = 0;
    let end = 0;
    let bytes = 0;
    for (let i = 0; i < frames; i++) {
      if (end + frame.length > chunk.length) {
        chunk = Buffer.allocUnsafe(chunkBytes);
        from = end = 0;
      }
      end += frame.copy(chunk, end);
      if (end - from >= flushAt) {
        bytes += chunk.subarray(from, end).length;
        from = end;
      }
    }
    return bytes + end - from;
  });
}

/** One Buffer per frame, for comparison with batching. */
function encodeSingle(frames: number, message: PreparedNotification): Sample {
  const fields = { identifier: 0, expiration: message.expiration, priority: message.priority, tokenHex: TOKEN_HEX, payload: message.payload };
  return timed(() => {
    let bytes = 0;
    for (let i = 0; i < frames; i++) {
      fields.identifier = i;
      bytes += encodeNotificationFrame(2, fields).length;
    }
    return bytes;
  });
}

export async function runCodecBench(options: { quick?: boolean } = {}): Promise<CodecBenchResult> {
  const quick = options.quick ?? false;
  // Many short interleaved rounds and their median: on a loaded machine a burst
  // of other work then spoils a few samples of every case instead of one case.
  const framesPerRound = quick ? 50_000 : 200_000;
  const rounds = quick ? 7 : 25;
  const message = typicalMessage();
  const frame = encodeNotificationFrame(2, {
    identifier: 1,
    expiration: message.expiration,
    priority: message.priority,
    tokenHex: TOKEN_HEX,
    payload: message.payload,
  });
  const cases: Array<[string, () => Sample]> = [
    ['FrameBatchEncoder (command 2, batch)', () => encodeBatch(framesPerRound, message)],
    ['Buffer.copy of the same bytes', () => copyBatch(framesPerRound, frame)],
    ['encodeNotificationFrame (one Buffer each)', () => encodeSingle(framesPerRound, message)],
  ];
  // Warm-up: let the JIT settle before anything is timed.
  for (const [, run] of cases) run();
  const samples = cases.map(() => [] as Array<Sample>);
  for (let r = 0; r < rounds; r++) {
    // Interleave the cases so machine load hits them alike.
    cases.forEach(([, run], i) => samples[i]!.push(run()));
    await new Promise((resolve) => setImmediate(resolve));
  }
  const rows = cases.map(([name], i): CodecBenchRow => {
    const runs = samples[i]!;
    const nsPerFrame = median(runs.map((s) => s.cpuNs / framesPerRound));
    return {
      name,
      nsPerFrame,
      wallNsPerFrame: median(runs.map((s) => s.ns / framesPerRound)),
      framesPerSec: 1e9 / nsPerFrame,
      mbPerSec: (frame.length * 1e9) / nsPerFrame / 1e6,
    };
  });
  return {
    tokenBytes: TOKEN_HEX.length / 2,
    payloadBytes: message.payload.length,
    frameBytes: frame.length,
    framesPerRound,
    rounds,
    rows,
    encodeVsCopy: rows[0]!.nsPerFrame / rows[1]!.nsPerFrame,
  };
}

export function formatCodecBench(result: CodecBenchResult): string {
  const lines = [
    `codec: command-2 frame, ${result.tokenBytes}-byte token, ${result.payloadBytes}-byte payload = ${result.frameBytes} bytes/frame; ` +
      `${result.framesPerRound.toLocaleString('en-US')} frames x ${result.rounds} interleaved rounds, medians; rates from CPU time`,
    '',
    `| ${'case'.padEnd(42)} | ${'frames/s'.padStart(12)} | ${'MB/s'.padStart(8)} | ${'CPU ns/frame'.padStart(12)} | ${'wall ns/frame'.padStart(13)} |`,
    `|${'-'.repeat(44)}|${'-'.repeat(14)}|${'-'.repeat(10)}|${'-'.repeat(14)}|${'-'.repeat(15)}|`,
    ...result.rows.map(
      (r) =>
        `| ${r.name.padEnd(42)} | ${Math.round(r.framesPerSec).toLocaleString('en-US').padStart(12)} | ${r.mbPerSec.toFixed(0).padStart(8)} | ` +
        `${r.nsPerFrame.toFixed(1).padStart(12)} | ${r.wallNsPerFrame.toFixed(1).padStart(13)} |`,
    ),
    '',
    `batch encoding costs ${result.encodeVsCopy.toFixed(2)}x a plain Buffer.copy of the same bytes`,
  ];
  return lines.join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await runCodecBench({ quick: process.argv.includes('--quick') });
  console.log(formatCodecBench(result));
}
