import { fork, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { ChildRegistry } from './child-registry.js';

/** Where the mock listens (always 127.0.0.1). */
export interface MockEndpoints {
  host: '127.0.0.1';
  http2Port: number;
  binaryPort: number;
  feedbackPort: number;
}

/** Options passed to the mock CLI. */
export interface MockServerSettings {
  /** Delay before each HTTP/2 answer, ms. */
  latencyMs?: number;
  /** SETTINGS_MAX_CONCURRENT_STREAMS the HTTP/2 API advertises. */
  maxStreams?: number;
}

function portIn(value: unknown, ...names: string[]): number | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const record = value as Record<string, unknown>;
  for (const name of names) {
    const found = record[name];
    if (typeof found === 'number' && Number.isInteger(found) && found > 0) return found;
    if (found !== null && typeof found === 'object' && typeof (found as { port?: unknown }).port === 'number') return (found as { port: number }).port;
  }
  for (const nested of ['ports', 'endpoints', 'listening']) {
    const inner = portIn(record[nested], ...names);
    if (inner !== undefined) return inner;
  }
  return undefined;
}

/**
 * Reads the mock CLI's announcement (one JSON line on stdout with its ports and
 * credential file paths). Undefined when the line is not that announcement.
 */
export function parseMockAnnouncement(line: string): MockEndpoints | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  const http2Port = portIn(parsed, 'http2Port', 'http2');
  const binaryPort = portIn(parsed, 'binaryPort', 'binary', 'gatewayPort', 'gateway');
  const feedbackPort = portIn(parsed, 'feedbackPort', 'feedback');
  if (http2Port === undefined || binaryPort === undefined) return undefined;
  return { host: '127.0.0.1', http2Port, binaryPort, feedbackPort: feedbackPort ?? 0 };
}

/**
 * The mock APNs server in a process of its own (the project's mock CLI), so
 * that its CPU never counts against the client being measured.
 */
export class MockServerProcess {
  private child: ChildProcess | undefined;
  private stderrTail = '';

  constructor(
    private readonly cliPath: string,
    private readonly guardUrl: string,
    private readonly registry: ChildRegistry,
  ) {}

  async start(settings: MockServerSettings, startTimeoutMs = 20_000): Promise<MockEndpoints> {
    const args = ['--http2-port', '0', '--binary-port', '0', '--feedback-port', '0'];
    if (settings.latencyMs !== undefined) args.push('--latency', String(settings.latencyMs));
    if (settings.maxStreams !== undefined) args.push('--max-streams', String(settings.maxStreams));
    const child = fork(this.cliPath, args, {
      execArgv: ['--import', this.guardUrl],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.child = child;
    this.registry.add(child);
    child.stderr!.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-2000);
    });
    const lines = createInterface({ input: child.stdout! });
    try {
      return await new Promise<MockEndpoints>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`mock server did not announce its ports within ${startTimeoutMs} ms`)), startTimeoutMs);
        lines.on('line', (line) => {
          const endpoints = parseMockAnnouncement(line.trim());
          if (endpoints) {
            clearTimeout(timer);
            resolve(endpoints);
          }
        });
        child.once('exit', (code, signal) => {
          clearTimeout(timer);
          reject(new Error(`mock server exited before it announced its ports (code ${code}, signal ${signal}): ${this.stderrTail.trim()}`));
        });
        child.once('error', (error) => {
          clearTimeout(timer);
          reject(error);
        });
      });
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. Safe to call twice. */
  async stop(graceMs = 3000): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }
}
