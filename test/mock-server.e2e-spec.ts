import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeNotificationFrame } from '../src/codec/binary-frame.js';
import { MockApnsServer, testCredentials, writeTestCredentials } from '../src/testing/index.js';
import { closeH2, connectTls, expectTlsFailure, h2Send, openH2, TOKEN } from './mock-test-clients.js';

const frame = (identifier: number) => encodeNotificationFrame(2, { identifier, tokenHex: TOKEN, payload: Buffer.from('{}') });

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('MockApnsServer', () => {
  it('listens on ephemeral ports by default and reports them as gateways', async () => {
    const mock = await MockApnsServer.start();
    try {
      expect(mock.host).toBe('127.0.0.1');
      expect(new Set([mock.binaryPort, mock.feedbackPort, mock.http2Port]).size).toBe(3);
      expect(mock.gateway).toBe(`127.0.0.1:${mock.binaryPort}`);
      expect(mock.feedbackGateway).toBe(`127.0.0.1:${mock.feedbackPort}`);
      expect(mock.http2Gateway).toBe(`127.0.0.1:${mock.http2Port}`);
    } finally {
      await mock.stop();
    }
  });

  it('listens on the ports it is given', async () => {
    const port = await freePort();
    const mock = await MockApnsServer.start({ http2Port: port });
    try {
      expect(mock.http2Port).toBe(port);
    } finally {
      await mock.stop();
    }
  });

  it('refuses any host but 127.0.0.1 and bad option values', async () => {
    await expect(MockApnsServer.start({ host: '0.0.0.0' as '127.0.0.1' })).rejects.toThrow(/127\.0\.0\.1 only/);
    await expect(MockApnsServer.start({ binaryPort: 70000 })).rejects.toThrow(/binaryPort/);
    await expect(MockApnsServer.start({ feedbackChunkSize: 0 })).rejects.toThrow(/feedbackChunkSize/);
  });

  it('fails to start on a port in use and leaves nothing open', async () => {
    const first = await MockApnsServer.start();
    try {
      await expect(MockApnsServer.start({ http2Port: first.http2Port })).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await first.stop();
    }
  });

  describe('waiting and records', () => {
    let mock: MockApnsServer;
    beforeEach(async () => {
      mock = await MockApnsServer.start();
    });
    afterEach(async () => {
      await mock.stop();
    });

    it('waitForAccepted resolves on arrival and rejects on timeout with what it saw', async () => {
      const c = await connectTls(mock.binaryPort);
      const waiting = mock.waitForAccepted(2);
      c.socket.write(Buffer.concat([frame(1), frame(2)]));
      await waiting;
      await expect(mock.waitForAccepted(3, 50)).rejects.toThrow(/waitForAccepted\(3\): only 2 accepted \(timed out after 50 ms; 2 accepted, 0 rejected; 1 binary connections/);
      c.socket.destroy();
    });

    it('waitFor re-checks its predicate on every event and waitForRejected counts refusals', async () => {
      const session = await openH2(mock, 'valid');
      const sessions = mock.waitFor(() => mock.counters.streams >= 2);
      const rejected = mock.waitForRejected(1);
      await h2Send(session);
      await h2Send(session, { method: 'GET', body: '' });
      await Promise.all([sessions, rejected]);
      await expect(mock.waitFor(() => false, 30)).rejects.toThrow(/the condition never held.*last rejection 405 MethodNotAllowed/);
      await closeH2(session);
    });

    it('clearRecords empties records and counters but keeps scripts', async () => {
      mock.markInvalid(TOKEN);
      const session = await openH2(mock, 'valid');
      await h2Send(session);
      mock.clearRecords();
      expect(mock.rejected).toEqual([]);
      expect(mock.counters.streams).toBe(0);
      expect((await h2Send(session)).status).toBe(400);
      await closeH2(session);
    });

    it('recordAccepted: false counts without keeping notifications', async () => {
      const lean = await MockApnsServer.start({ recordAccepted: false });
      try {
        const session = await openH2(lean, 'valid');
        await h2Send(session);
        expect(lean.counters.accepted).toBe(1);
        expect(lean.accepted).toEqual([]);
        await closeH2(session);
      } finally {
        await lean.stop();
      }
    });

    it('uniqueIds adds apns-unique-id to successes', async () => {
      const dev = await MockApnsServer.start({ uniqueIds: true });
      try {
        const session = await openH2(dev, 'valid');
        expect((await h2Send(session)).headers['apns-unique-id']).toMatch(/^[0-9a-f-]{36}$/);
        await closeH2(session);
      } finally {
        await dev.stop();
      }
    });

    it('refuses fault arguments that make no sense', () => {
      expect(() => mock.faults.binaryCloseAfter(-1)).toThrow(RangeError);
      expect(() => mock.faults.binaryCloseAfter(1, { status: 256 })).toThrow(RangeError);
      expect(() => mock.faults.respondWith(429, 'TooManyRequests', { fraction: 2 })).toThrow(RangeError);
      expect(() => mock.faults.slowReads({ pauseMs: 1, everyBytes: 0 })).toThrow(RangeError);
      expect(() => mock.setMaxConcurrentStreams(-1)).toThrow(RangeError);
      expect(() => mock.markInvalid('not hex')).toThrow(/token/);
    });
  });

  it('stop closes open connections, rejects pending waits and can be called twice', async () => {
    const mock = await MockApnsServer.start();
    const binary = await connectTls(mock.binaryPort);
    const session = await openH2(mock, 'valid');
    const sessionClosed = new Promise((resolve) => session.once('close', resolve));
    const waiting = mock.waitForAccepted(1);
    const first = mock.stop();
    expect(mock.stop()).toBe(first);
    await first;
    await expect(waiting).rejects.toThrow(/stopped while a test was waiting/);
    await binary.closed;
    await sessionClosed;
    await expect(mock.waitForAccepted(1)).rejects.toThrow(/stopped/);
  });

  describe('credentials', () => {
    it('are PEM strings, a PKCS#12 buffer, and certificates valid for decades except the expired one', () => {
      const server = new X509Certificate(testCredentials.serverCert);
      expect(server.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
      expect(server.checkIssued(new X509Certificate(testCredentials.ca))).toBe(true);
      expect(new Date(server.validTo).getFullYear()).toBeGreaterThan(2100);
      const client = new X509Certificate(testCredentials.clientCert);
      expect(client.verify(new X509Certificate(testCredentials.ca).publicKey)).toBe(true);
      expect(new Date(new X509Certificate(testCredentials.expiredClientCert).validTo).getTime()).toBeLessThan(Date.now());
      for (const pem of [testCredentials.sandboxClientCert, testCredentials.productionClientCert, testCredentials.universalClientCert]) {
        const marked = new X509Certificate(pem);
        expect(marked.verify(new X509Certificate(testCredentials.ca).publicKey)).toBe(true);
        expect(new Date(marked.validTo).getFullYear()).toBeGreaterThan(2100);
      }
      expect(testCredentials.productionClientPfx).toBeInstanceOf(Buffer);
      expect(testCredentials.clientPfx).toBeInstanceOf(Buffer);
      expect(testCredentials.signingKey).toMatch(/^-----BEGIN PRIVATE KEY-----/);
      expect([testCredentials.keyId, testCredentials.teamId]).toEqual(['ABC123DEFG', 'DEF123GHIJ']);
    });

    it('writeTestCredentials writes every credential as a file, keys readable by the owner only', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'mock-apns-'));
      try {
        const paths = await writeTestCredentials(join(dir, 'creds'));
        expect(Object.keys(paths).sort()).toEqual(
          [
            ...['ca', 'clientCert', 'clientKey', 'clientKeyEncrypted', 'clientPfx', 'expiredClientCert', 'expiredClientKey', 'serverCert', 'serverKey', 'signingKey', 'signingPublicKey'],
            ...['untrustedCa', 'untrustedServerCert', 'untrustedServerKey', 'sandboxClientCert', 'sandboxClientKey', 'productionClientCert', 'productionClientKey', 'productionClientPfx'],
            ...['universalClientCert', 'universalClientKey'],
          ].sort(),
        );
        expect(paths.signingKey).toMatch(/AuthKey_ABC123DEFG\.p8$/);
        expect(await readFile(paths.ca!, 'utf8')).toBe(testCredentials.ca);
        expect(await readFile(paths.clientPfx!)).toEqual(testCredentials.clientPfx);
        expect((await stat(paths.clientKey!)).mode & 0o077).toBe(0);
        expect((await stat(paths.signingKey!)).mode & 0o077).toBe(0);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('the encrypted key and the PKCS#12 bundle authenticate a client', async () => {
      const mock = await MockApnsServer.start();
      try {
        const encrypted = await connectTls(mock.binaryPort, 'none', {
          cert: testCredentials.clientCert,
          key: testCredentials.clientKeyEncrypted,
          passphrase: testCredentials.clientKeyPassphrase,
        });
        const pfx = await connectTls(mock.binaryPort, 'none', { pfx: testCredentials.clientPfx, passphrase: testCredentials.clientPfxPassphrase });
        encrypted.socket.write(frame(1));
        pfx.socket.write(frame(2));
        await mock.waitForAccepted(2);
        encrypted.socket.destroy();
        pfx.socket.destroy();
      } finally {
        await mock.stop();
      }
    });

    it('untrustedCertificate serves a certificate only the untrusted CA verifies', async () => {
      const mock = await MockApnsServer.start({ untrustedCertificate: true });
      try {
        await expect(expectTlsFailure(mock.binaryPort, 'valid')).resolves.toMatch(/certificate/i);
        const c = await connectTls(mock.binaryPort, 'valid', { ca: testCredentials.untrustedCa });
        c.socket.destroy();
        await expect(openH2(mock, 'valid')).rejects.toThrow(/certificate/i);
      } finally {
        await mock.stop();
      }
    });
  });
});
