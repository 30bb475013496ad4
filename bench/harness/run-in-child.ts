import { fork } from 'node:child_process';
import type { ContenderJob, RunOutcome } from '../contenders/contender.js';
import type { RunSample } from '../report/bench-results.js';
import type { WorkerMessage } from '../worker.js';
import type { ChildRegistry } from './child-registry.js';

export interface ChildRunOptions {
  workerPath: string;
  guardUrl: string;
  registry: ChildRegistry;
  /** Extra environment (NODE_EXTRA_CA_CERTS for clients that only read the default trust store). */
  env: Record<string, string>;
  timeoutMs: number;
  /** Write a V8 CPU profile of the child into this directory (`--profile`). */
  profileDir?: string;
}

/**
 * Runs one measured window of one contender in a fresh child process. Rejects
 * with the child's own error, its last stderr lines when it died, or a timeout
 * (the child is killed then).
 */
export function runInChild(job: ContenderJob, options: ChildRunOptions): Promise<{ sample: RunSample; outcome: RunOutcome }> {
  return new Promise((resolve, reject) => {
    const child = fork(options.workerPath, [JSON.stringify(job)], {
      // No --enable-source-maps: it makes every stack trace costly, which would tax clients that create errors.
      execArgv: ['--no-deprecation', '--import', options.guardUrl, ...(options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`] : [])],
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    options.registry.add(child);
    let output = '';
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-1500);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    let settled = false;
    let message: WorkerMessage | undefined;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      child.kill('SIGKILL');
      reject(new Error(`timed out after ${Math.round(options.timeoutMs / 1000)} s`));
    }, options.timeoutMs);
    child.on('message', (received: WorkerMessage) => {
      message = received;
    });
    child.once('error', (error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (settled) return;
      settled = true;
      if (message?.type === 'result') resolve({ sample: message.sample, outcome: message.outcome });
      else if (message?.type === 'error') reject(new Error(message.message));
      else {
        const tail = output.trim().split('\n').slice(-3).join(' / ');
        reject(new Error(`child exited (code ${code}, signal ${signal}) without a result${tail ? `: ${tail}` : ''}`));
      }
    });
  });
}
