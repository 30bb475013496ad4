// Child-process entry: builds one contender, warms it up, measures one window,
// reports { time, CPU, peak RSS, outcome } to the parent over IPC and exits.
// One process per measured run, so the CPU and memory are this client's alone.
import type { Contender, ContenderJob, RunOutcome } from './contenders/contender.js';
import { RssSampler } from './harness/rss-sampler.js';
import type { RunSample } from './report/bench-results.js';

/** Parent → child: the job is argv[2]; child → parent: one of these. */
export type WorkerMessage =
  | { type: 'result'; sample: RunSample; outcome: RunOutcome }
  | { type: 'error'; message: string };

async function createContender(job: ContenderJob): Promise<Contender> {
  switch (job.kind) {
    case 'raw-binary':
      return new (await import('./contenders/raw-binary.contender.js')).RawBinaryContender(job);
    case 'minimal-http2':
      return new (await import('./contenders/minimal-http2.contender.js')).MinimalHttp2Contender(job);
    case 'ours-binary':
      return new (await import('./contenders/ours-binary.contender.js')).OursBinaryContender(job);
    case 'ours-http2':
      return new (await import('./contenders/ours-http2.contender.js')).OursHttp2Contender(job);
    case 'node-apn':
      return new (await import('./contenders/node-apn.contender.js')).NodeApnContender(job);
    case 'apns2':
      return new (await import('./contenders/apns2.contender.js')).Apns2Contender(job);
    case 'apn-legacy':
      return new (await import('./contenders/apn-legacy.contender.js')).ApnLegacyContender(job);
    case 'codec':
      return new (await import('./contenders/codec.contender.js')).CodecContender(job);
  }
}

function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) {
      process.stdout.write(`${JSON.stringify(message)}\n`);
      resolve();
      return;
    }
    process.send(message, undefined, {}, () => resolve());
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    timer.unref();
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

async function main(): Promise<void> {
  const sampler = new RssSampler(50);
  sampler.start();
  // The parent is gone: nobody will read the result.
  process.on('disconnect', () => process.exit(0));
  const job = JSON.parse(process.argv[2] ?? '{}') as ContenderJob;
  let contender: Contender | undefined;
  try {
    contender = await createContender(job);
    await contender.setup();
    const cpuBefore = process.cpuUsage();
    const start = performance.now();
    const outcome = await contender.run();
    const elapsedMs = performance.now() - start;
    const cpu = process.cpuUsage(cpuBefore);
    const peakRssBytes = sampler.stop();
    const sample: RunSample = {
      count: outcome.count ?? job.count,
      ok: outcome.ok,
      failed: outcome.failed,
      elapsedMs,
      cpuMs: (cpu.user + cpu.system) / 1000,
      peakRssBytes,
      ...(outcome.latencyMs ? { latency: outcome.latencyMs } : {}),
    };
    await withTimeout(contender.close(), 5000).catch(() => undefined);
    await send({ type: 'result', sample, outcome });
  } catch (error) {
    await withTimeout(contender?.close() ?? Promise.resolve(), 2000).catch(() => undefined);
    await send({ type: 'error', message: error instanceof Error ? error.message : String(error) });
  }
  process.exit(0);
}

void main();
