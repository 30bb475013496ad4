// How many notifications per second the mock APNs server accepts, per protocol.
// The mock runs in a child process (one core each); plain tls/http2 clients here.
//   npx tsc -p tsconfig.bench.json && node dist-bench/bench/mock-throughput.js [binaryCount] [http2Count] [bare]
// `bare` measures a bare node:http2 server instead of the mock (HTTP/2 only): node's own floor.
import { fork, type ChildProcess } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { connect as h2connect, type ClientHttp2Session } from 'node:http2';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { encodeNotificationFrame } from '../src/codec/binary-frame.js';
import { signProviderToken } from '../src/codec/provider-token-jwt.js';
import { testCredentials } from '../src/testing/index.js';

type Reply = { type: 'ready'; binaryPort: number; http2Port: number } | { type: 'armed' } | { type: 'done'; ms: number; cpuMs: number; rejected: number } | { type: 'failed'; message: string };

const BINARY_COUNT = Number(process.argv[2] ?? 400_000);
const HTTP2_COUNT = Number(process.argv[3] ?? 60_000);
const TOKEN = 'a1'.repeat(32);
const PAYLOAD = Buffer.from('{"aps":{"alert":{"title":"Hello","body":"A benchmark notification"},"badge":1}}');

function next(child: ChildProcess, type: Reply['type']): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: Reply) => {
      if (message.type === 'failed') reject(new Error(message.message));
      else if (message.type === type) {
        child.off('message', onMessage);
        resolve(message);
      }
    };
    child.on('message', onMessage);
  });
}

/** Runs `drive` (which resolves with a cleanup) against a server armed to count `count` acceptances. */
async function measure(child: ChildProcess, count: number, drive: () => Promise<() => void>): Promise<{ ms: number; cpuMs: number; rejected: number }> {
  const armed = next(child, 'armed');
  const done = next(child, 'done');
  child.send({ type: 'measure', count });
  await armed;
  const cleanup = await drive();
  const result = (await done) as { ms: number; cpuMs: number; rejected: number };
  cleanup();
  return result;
}

function tlsOpen(port: number): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ca: testCredentials.ca, cert: testCredentials.clientCert, key: testCredentials.clientKey });
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', reject);
  });
}

async function driveBinary(port: number, count: number, connections: number): Promise<() => void> {
  const perWrite = 256;
  const chunk = Buffer.concat(Array.from({ length: perWrite }, (_, i) => encodeNotificationFrame(2, { identifier: i + 1, tokenHex: TOKEN, payload: PAYLOAD, priority: 10 })));
  const sockets = await Promise.all(Array.from({ length: connections }, () => tlsOpen(port)));
  await Promise.all(
    sockets.map(async (socket, index) => {
      const share = Math.floor(count / connections) + (index < count % connections ? 1 : 0);
      let written = 0;
      while (written < share) {
        const n = Math.min(perWrite, share - written);
        const ok = socket.write(n === perWrite ? chunk : chunk.subarray(0, (chunk.length / perWrite) * n));
        written += n;
        if (!ok) await new Promise((resolve) => socket.once('drain', resolve));
      }
    }),
  );
  // The sockets stay open until the server has counted everything.
  return () => sockets.forEach((socket) => socket.destroy());
}

async function driveHttp2(port: number, count: number, sessionsWanted: number, window: number): Promise<() => void> {
  const jwt = signProviderToken({ key: createPrivateKey(testCredentials.signingKey), keyId: testCredentials.keyId, teamId: testCredentials.teamId, issuedAtSeconds: Math.floor(Date.now() / 1000) });
  const sessions: ClientHttp2Session[] = await Promise.all(
    Array.from({ length: sessionsWanted }, () => {
      const session = h2connect(`https://localhost:${port}`, { ca: testCredentials.ca, host: '127.0.0.1' });
      return new Promise<ClientHttp2Session>((resolve, reject) => {
        session.once('remoteSettings', () => resolve(session));
        session.once('error', reject);
      });
    }),
  );
  const headers = { ':method': 'POST', ':path': `/3/device/${TOKEN}`, authorization: `bearer ${jwt}`, 'apns-topic': 'com.example.app', 'apns-push-type': 'alert', 'apns-priority': '10' };
  let sent = 0;
  let failures = 0;
  await Promise.all(
    sessions.map(
      (session) =>
        new Promise<void>((resolve) => {
          let inFlight = 0;
          const pump = () => {
            while (inFlight < window && sent < count) {
              sent++;
              inFlight++;
              const stream = session.request(headers);
              stream.on('response', (h) => {
                if (h[':status'] !== 200) failures++;
              });
              stream.on('error', () => failures++);
              stream.on('close', () => {
                inFlight--;
                if (sent < count) pump();
                else if (inFlight === 0) resolve();
              });
              stream.resume();
              stream.end(PAYLOAD);
            }
          };
          pump();
        }),
    ),
  );
  if (failures > 0) throw new Error(`${failures} HTTP/2 requests failed`);
  return () => sessions.forEach((session) => session.close());
}

const serverPath = fileURLToPath(new URL('./mock-throughput-server.js', import.meta.url));
const bare = process.argv[4] === 'bare';
const child = fork(serverPath, bare ? ['bare'] : [], { execArgv: process.env.MOCK_PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/mockprof'] : [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
try {
  const ready = (await next(child, 'ready')) as { binaryPort: number; http2Port: number };
  const report = (name: string, count: number, r: { ms: number; cpuMs: number; rejected: number }) => {
    const rate = Math.round(count / (r.ms / 1000));
    const cpuBound = Math.round(count / (r.cpuMs / 1000));
    console.log(
      `${name.padEnd(30)} ${String(count).padStart(8)} notifications in ${r.ms.toFixed(0).padStart(6)} ms = ${String(rate).padStart(7)}/s; ` +
        `mock CPU ${(r.cpuMs / count * 1000).toFixed(1)} µs each (at most ~${cpuBound}/s per core)${r.rejected ? `; ${r.rejected} rejected!` : ''}`,
    );
  };
  // Warm-up runs let V8 optimise both sides before the measured ones.
  if (!bare) await measure(child, 20_000, () => driveBinary(ready.binaryPort, 20_000, 2));
  await measure(child, 5_000, () => driveHttp2(ready.http2Port, 5_000, 1, 200));
  if (!bare) report('binary, 2 connections', BINARY_COUNT, await measure(child, BINARY_COUNT, () => driveBinary(ready.binaryPort, BINARY_COUNT, 2)));
  const label = bare ? 'bare node:http2' : 'http2 token auth';
  report(`${label}, 1 session`, HTTP2_COUNT, await measure(child, HTTP2_COUNT, () => driveHttp2(ready.http2Port, HTTP2_COUNT, 1, 500)));
  report(`${label}, 4 sessions`, HTTP2_COUNT, await measure(child, HTTP2_COUNT, () => driveHttp2(ready.http2Port, HTTP2_COUNT, 4, 250)));
} finally {
  child.send({ type: 'stop' });
  await new Promise((resolve) => child.once('exit', resolve));
}
process.exit(0);
