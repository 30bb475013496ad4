import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';

// What `npm start` runs: the built sample (dist-sample/main.js, importing the
// built package from dist/) as its own process, on the embedded mock.

const root = process.cwd();
const main = join(root, 'dist-sample', 'main.js');
const TOKEN = 'a1b2c3d4'.repeat(8);

/** Newest modification time of the TypeScript sources under `dir` (specs, which no build compiles, left out). */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** True when `output` is missing or older than a source under `sourceDir` (tsc rewrites every output on a build). */
function stale(output: string, sourceDir: string): boolean {
  return !existsSync(output) || statSync(output).mtimeMs < newestSource(sourceDir);
}

const tsc = (project: string) =>
  promisify(execFile)(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project], { cwd: root });

function call(port: number, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const req = httpRequest({ host: '127.0.0.1', port, path, method, agent: false, headers: text ? { 'content-type': 'application/json' } : {} });
    req.on('response', (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (data += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data ? JSON.parse(data) : undefined }));
    });
    req.on('error', reject);
    req.end(text);
  });
}

describe('npm start (the built sample as a process)', () => {
  let child: ChildProcess | undefined;
  let output = '';

  beforeAll(async () => {
    // The process runs the built package (dist/, what `nest-apns` resolves to) and the built sample:
    // both must be as new as their sources, or the test would run yesterday's code. `npm test`
    // builds both first, so this only rebuilds when jest runs on its own after an edit.
    if (stale(join(root, 'dist', 'index.js'), join(root, 'src'))) await tsc('tsconfig.build.json');
    if (stale(main, join(root, 'sample'))) await tsc('tsconfig.sample.json');
  }, 180_000);

  afterAll(() => {
    // Only if a test failed before the clean stop: never leave the process behind.
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  it('listens, sends a push to the embedded mock, and exits 0 on SIGTERM after shutting down', async () => {
    // A clean environment: no Apple credentials, so the embedded mock starts.
    child = spawn(process.execPath, ['--enable-source-maps', main], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', PORT: '0', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child!.once('exit', (code, signal) => resolve({ code, signal })),
    );
    const port = await new Promise<number>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString('utf8');
        const match = /Listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
        if (match) resolve(Number(match[1]));
      };
      child!.stdout!.on('data', onData);
      child!.stderr!.on('data', onData);
      void exited.then(({ code }) => reject(new Error(`the sample exited (${code}) before listening:\n${output}`)));
    });
    expect(output.match(/embedded mock APNs server at 127\.0\.0\.1:\d+ \(http2\)/g)).toHaveLength(1);

    expect((await call(port, 'POST', '/devices', { token: TOKEN })).status).toBe(201);
    const sent = await call(port, 'POST', '/notifications', { alert: 'Hello from npm start' });
    expect(sent.status).toBe(200);
    expect(sent.body).toMatchObject({ sent: 1, accepted: 1, failed: 0, results: [{ token: TOKEN, outcome: 'accepted' }] });

    child.kill('SIGTERM');
    expect(await exited).toEqual({ code: 0, signal: null });
    expect(output).toContain('Shut down on SIGTERM: queued pushes drained, connections closed, embedded mock stopped.');
    expect(output).not.toMatch(/ERROR/);
  });
});
