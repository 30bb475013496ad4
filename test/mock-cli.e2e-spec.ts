import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect as h2connect } from 'node:http2';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseMockCliArgs, runMockCli } from '../src/testing/mock-cli.js';
import { closeH2, h2Send, openH2 } from './mock-test-clients.js';

describe('nest-apns-mock command line', () => {
  it('parses every option, in both --opt value and --opt=value forms', () => {
    expect(
      parseMockCliArgs(['--http2-port', '2197', '--binary-port=2195', '--feedback-port', '2196', '--latency', '20', '--max-streams=10', '--seed', '5', '--no-client-cert', '--log', '--credentials-dir', '/tmp/x']),
    ).toEqual({
      server: { http2Port: 2197, binaryPort: 2195, feedbackPort: 2196, maxConcurrentStreams: 10, seed: 5, recordAccepted: false, requireClientCert: false, log: true },
      latencyMs: 20,
      credentialsDir: '/tmp/x',
      help: false,
    });
    expect(parseMockCliArgs(['--help']).help).toBe(true);
    expect(parseMockCliArgs([]).server).toEqual({ recordAccepted: false });
  });

  it.each([
    [['--bogus'], /unknown option --bogus/],
    [['--http2-port'], /--http2-port needs a value/],
    [['--latency', 'soon'], /--latency needs a non-negative integer/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseMockCliArgs(argv)).toThrow(message);
  });

  it('prints one JSON line with ports and credential paths, then a summary, and cleans up on close', async () => {
    const lines: string[] = [];
    const running = await runMockCli(parseMockCliArgs(['--latency', '1', '--max-streams', '7']), (line) => lines.push(line));
    try {
      expect(lines).toHaveLength(2);
      const info = JSON.parse(lines[0]!);
      expect(info).toMatchObject({
        host: '127.0.0.1',
        http2Port: running.server.http2Port,
        http2Gateway: running.server.http2Gateway,
        gateway: running.server.gateway,
        feedbackGateway: running.server.feedbackGateway,
        keyId: 'ABC123DEFG',
        teamId: 'DEF123GHIJ',
      });
      expect(existsSync(info.credentials.ca)).toBe(true);
      expect(lines[1]).toContain(running.server.http2Gateway);
      expect(lines[1]).toContain(info.credentials.signingKey);
      const session = await openH2(running.server, 'valid');
      expect(session.remoteSettings.maxConcurrentStreams).toBe(7);
      expect((await h2Send(session)).status).toBe(200);
      await closeH2(session);
    } finally {
      await running.close();
    }
    expect(existsSync(dirname(running.credentials.ca!))).toBe(false);
    await running.close();
  });

  it('keeps a credentials directory it was given', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mock-cli-'));
    try {
      const running = await runMockCli(parseMockCliArgs(['--credentials-dir', dir]), () => undefined);
      await running.close();
      expect(existsSync(join(dir, 'ca.crt'))).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  describe('the installed bin (package.json "bin", built by npm test)', () => {
    const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    const bin = join(root, pkg.bin['nest-apns-mock']!);

    it('serves until SIGTERM, exits 0 and removes its credentials', async () => {
      expect(readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
      const child = spawn(process.execPath, [bin, '--max-streams', '5'], { stdio: ['ignore', 'pipe', 'pipe'] });
      const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
      try {
        const first = await new Promise<string>((done, fail) => {
          createInterface({ input: child.stdout! }).once('line', done);
          child.once('exit', (code) => fail(new Error(`exited with ${code} before printing its ports`)));
        });
        const info = JSON.parse(first) as { host: string; http2Port: number; credentials: { ca: string; clientCert: string; clientKey: string } };
        const session = h2connect(`https://localhost:${info.http2Port}`, {
          ca: readFileSync(info.credentials.ca),
          cert: readFileSync(info.credentials.clientCert),
          key: readFileSync(info.credentials.clientKey),
        });
        const status = await new Promise<number>((done, fail) => {
          session.once('error', fail);
          const stream = session.request({ ':method': 'POST', ':path': `/3/device/${'ab'.repeat(32)}`, 'apns-topic': 'com.example.app' });
          stream.once('response', (headers) => done(Number(headers[':status'])));
          stream.once('error', fail);
          stream.end('{"aps":{"alert":"hi"}}');
        });
        session.close();
        expect({ status, maxStreams: session.remoteSettings.maxConcurrentStreams }).toEqual({ status: 200, maxStreams: 5 });
        child.kill('SIGTERM');
        expect(await exited).toBe(0);
        expect(existsSync(dirname(info.credentials.ca))).toBe(false);
      } finally {
        child.kill('SIGKILL');
      }
    });

    it('exits 2 with the usage on a bad option', async () => {
      const child = spawn(process.execPath, [bin, '--bogus'], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      const code = await new Promise<number | null>((done) => child.once('exit', done));
      expect(code).toBe(2);
      expect(stderr).toMatch(/unknown option --bogus[\s\S]*--http2-port/);
    });
  });
});
