import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockApnsServer } from './mock-apns-server.js';
import type { MockApnsServerOptions } from './mock-apns-server.options.js';
import { testCredentials, writeTestCredentials } from './test-credentials.js';

export const MOCK_CLI_USAGE = `Usage: nest-apns-mock [options]

Runs a mock APNs (binary gateway, feedback service, HTTP/2 API) on 127.0.0.1
until SIGINT/SIGTERM. Prints one JSON line (ports, gateways, credential files),
then a summary.

Options:
  --http2-port <n>        HTTP/2 API port (default 0 = ephemeral)
  --binary-port <n>       binary gateway port (default 0)
  --feedback-port <n>     feedback service port (default 0)
  --latency <ms>          delay every HTTP/2 response (default 0)
  --max-streams <n>       SETTINGS_MAX_CONCURRENT_STREAMS (default 1000)
  --seed <n>              seed of the random choices (default 1)
  --credentials-dir <dir> write the credentials there (default: a new temporary directory, removed on exit)
  --no-client-cert        binary and feedback: do not require a client certificate
  --log                   log connections and rejections to stderr
  --help                  this text`;

export interface MockCliOptions {
  server: MockApnsServerOptions;
  latencyMs: number;
  credentialsDir: string | undefined;
  help: boolean;
}

const NUMERIC: Record<string, (o: MockCliOptions, n: number) => void> = {
  '--http2-port': (o, n) => (o.server.http2Port = n),
  '--binary-port': (o, n) => (o.server.binaryPort = n),
  '--feedback-port': (o, n) => (o.server.feedbackPort = n),
  '--latency': (o, n) => (o.latencyMs = n),
  '--max-streams': (o, n) => (o.server.maxConcurrentStreams = n),
  '--seed': (o, n) => (o.server.seed = n),
};

/** Parses the command line; throws an Error naming the bad argument. Accepts `--opt value` and `--opt=value`. */
export function parseMockCliArgs(argv: readonly string[]): MockCliOptions {
  // Records only count here: nothing outside the process could read them, and a
  // benchmark would otherwise keep every payload in memory.
  const options: MockCliOptions = { server: { recordAccepted: false }, latencyMs: 0, credentialsDir: undefined, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const inline = eq > 0 ? arg.slice(eq + 1) : undefined;
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new Error(`${name} needs a value`);
      return v;
    };
    const setNumber = NUMERIC[name];
    if (setNumber !== undefined) {
      const text = value();
      if (!/^\d+$/.test(text)) throw new Error(`${name} needs a non-negative integer, got "${text}"`);
      setNumber(options, Number(text));
    } else if (name === '--credentials-dir') options.credentialsDir = value();
    else if (name === '--no-client-cert') options.server.requireClientCert = false;
    else if (name === '--log') options.server.log = true;
    else if (name === '--help' || name === '-h') options.help = true;
    else throw new Error(`unknown option ${arg}`);
  }
  return options;
}

export interface RunningMockCli {
  readonly server: MockApnsServer;
  /** Credential name → file path. */
  readonly credentials: Record<string, string>;
  /** Stops the server and removes a temporary credentials directory. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts the server for the command line and prints what a client needs.
 * Separate from `cli.ts` (which owns the process: signals, exit code) so it
 * can be tested in-process.
 */
export async function runMockCli(options: MockCliOptions, write: (line: string) => void): Promise<RunningMockCli> {
  const temporary = options.credentialsDir === undefined;
  const dir = options.credentialsDir ?? (await mkdtemp(join(tmpdir(), 'nest-apns-mock-')));
  let server: MockApnsServer;
  let credentials: Record<string, string>;
  try {
    credentials = await writeTestCredentials(dir);
    server = await MockApnsServer.start(options.server);
  } catch (error) {
    if (temporary) await rm(dir, { recursive: true, force: true });
    throw error;
  }
  if (options.latencyMs > 0) server.faults.latency(options.latencyMs);
  const info = {
    host: server.host,
    http2Port: server.http2Port,
    binaryPort: server.binaryPort,
    feedbackPort: server.feedbackPort,
    http2Gateway: server.http2Gateway,
    gateway: server.gateway,
    feedbackGateway: server.feedbackGateway,
    keyId: testCredentials.keyId,
    teamId: testCredentials.teamId,
    credentials,
  };
  write(JSON.stringify(info));
  write(
    [
      `mock APNs running on ${server.host}`,
      `  HTTP/2 API        ${server.http2Gateway}  (token auth with ${credentials.signingKey}, key id ${testCredentials.keyId}, team id ${testCredentials.teamId}; or certificate auth)`,
      `  binary gateway    ${server.gateway}  (client certificate ${credentials.clientCert} + key ${credentials.clientKey}${options.server.requireClientCert === false ? ', optional' : ''})`,
      `  feedback service  ${server.feedbackGateway}`,
      `  trust the CA      ${credentials.ca}  (server certificate for localhost / 127.0.0.1)`,
      `stop with Ctrl-C`,
    ].join('\n'),
  );
  let closing: Promise<void> | undefined;
  return {
    server,
    credentials,
    close: () =>
      (closing ??= (async () => {
        await server.stop();
        if (temporary) await rm(dir, { recursive: true, force: true });
      })()),
  };
}
