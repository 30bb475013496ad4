// Child process of bench/mock-throughput.ts: the mock server (or, with `bare`, a
// bare node:http2 server answering 200 to everything, to show node's own floor),
// reporting over IPC how long and how much of its own CPU it took to accept a
// given number of notifications.
import { createSecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { MockApnsServer, testCredentials } from '../src/testing/index.js';

interface Counting {
  accepted(): number;
  rejected(): number;
  waitForAccepted(count: number): Promise<void>;
  stop(): Promise<void>;
}

async function startMock(): Promise<{ binaryPort: number; http2Port: number; server: Counting }> {
  const mock = await MockApnsServer.start({ recordAccepted: false });
  return {
    binaryPort: mock.binaryPort,
    http2Port: mock.http2Port,
    server: {
      accepted: () => mock.counters.accepted,
      rejected: () => mock.counters.rejected,
      waitForAccepted: (count) => mock.waitForAccepted(count, 300_000),
      stop: () => mock.stop(),
    },
  };
}

async function startBare(): Promise<{ binaryPort: number; http2Port: number; server: Counting }> {
  let accepted = 0;
  let waiter: { count: number; resolve: () => void } | undefined;
  const server = createSecureServer({ key: testCredentials.serverKey, cert: testCredentials.serverCert, settings: { maxConcurrentStreams: 1000 } });
  server.on('stream', (stream) => {
    stream.on('error', () => undefined);
    stream.resume();
    stream.once('end', () => {
      stream.respond({ ':status': 200, 'apns-id': '00000000-0000-4000-8000-000000000000' }, { endStream: true });
      accepted++;
      if (waiter !== undefined && accepted >= waiter.count) waiter.resolve();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    binaryPort: 0,
    http2Port: (server.address() as AddressInfo).port,
    server: {
      accepted: () => accepted,
      rejected: () => 0,
      waitForAccepted: (count) => new Promise<void>((resolve) => (accepted >= count ? resolve() : (waiter = { count, resolve }))),
      stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
    },
  };
}

const { binaryPort, http2Port, server } = process.argv[2] === 'bare' ? await startBare() : await startMock();
process.send!({ type: 'ready', binaryPort, http2Port });
process.on('message', (message: { type: 'measure'; count: number } | { type: 'stop' }) => {
  if (message.type === 'stop') {
    void server.stop().then(() => process.exit(0));
    return;
  }
  const target = server.accepted() + message.count;
  const cpu = process.cpuUsage();
  const started = performance.now();
  process.send!({ type: 'armed' });
  server.waitForAccepted(target).then(
    () => {
      const used = process.cpuUsage(cpu);
      process.send!({ type: 'done', ms: performance.now() - started, cpuMs: (used.user + used.system) / 1000, rejected: server.rejected() });
    },
    (error: Error) => process.send!({ type: 'failed', message: error.message }),
  );
});
