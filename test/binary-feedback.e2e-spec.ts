import { MockApnsServer, testCredentials } from '../src/testing/index.js';
import { BinaryTransport } from '../src/transport/binary/binary-transport.js';
import { FeedbackClient } from '../src/transport/binary/feedback-client.js';
import { createClientSecureContext } from '../src/transport/binary/binary-tls.js';
import { binaryConfig, RecordingLogger, tokenFor } from './binary-transport.fixture.js';

describe('Feedback service', () => {
  let mock: MockApnsServer;

  beforeAll(async () => {
    // One byte per TLS record: every tuple crosses many reads.
    mock = await MockApnsServer.start({ feedbackChunkSize: 1 });
  });

  afterEach(() => {
    mock.resetFaults();
  });

  afterAll(async () => {
    await mock.stop();
  });

  it('decodes tuples delivered one byte at a time into lowercase hex tokens and their timestamps', async () => {
    const entries = [
      { token: tokenFor(1, 20), timestamp: new Date('2024-01-02T03:04:05Z') },
      { token: 'ABCDEF0123456789'.repeat(4), timestamp: new Date('2025-06-07T08:09:10Z') },
      { token: 'ab'.repeat(100), timestamp: new Date('2026-11-23T00:00:00Z') },
    ];
    for (const e of entries) mock.queueFeedback(e.token, e.timestamp);
    const transport = new BinaryTransport(binaryConfig(mock), { onFeedback: () => undefined });

    const feedback = await transport.pollFeedback();
    await transport.close(1_000);

    expect(feedback).toEqual(entries.map((e) => ({ token: e.token.toLowerCase(), timestamp: e.timestamp })));
    expect(mock.counters.feedbackTuples).toBe(3);
  });

  it('returns an empty list when there is nothing to report, and the list is cleared once read', async () => {
    mock.queueFeedback(tokenFor(2, 20), new Date('2024-01-01T00:00:00Z'));
    const transport = new BinaryTransport(binaryConfig(mock), { onFeedback: () => undefined });

    expect(await transport.pollFeedback()).toHaveLength(1);
    expect(await transport.pollFeedback()).toEqual([]);
    await transport.close(1_000);
  });

  it('ends the read after the idle timeout when the server keeps the socket open after the list', async () => {
    mock.faults.feedbackHoldOpen(true);
    mock.queueFeedback(tokenFor(3, 20), new Date('2024-01-01T00:00:00Z'));
    mock.queueFeedback(tokenFor(4, 20), new Date('2024-01-01T00:00:01Z'));
    const config = binaryConfig(mock, { binary: { feedbackIdleTimeoutMs: 300 } });
    const client = new FeedbackClient(config, () => createClientSecureContext(config.tls, config.feedbackEndpoint));

    const feedback = await client.read();

    expect(feedback.map((f) => f.token)).toEqual([tokenFor(3, 20), tokenFor(4, 20)]);
  });

  it('rejects with a clear connection error when the certificate is refused, and logs no key material', async () => {
    const logger = new RecordingLogger();
    const config = binaryConfig(mock, {
      logger,
      tls: { cert: testCredentials.expiredClientCert, key: testCredentials.expiredClientKey },
    });
    const client = new FeedbackClient(config, () => createClientSecureContext(config.tls, config.feedbackEndpoint));

    await expect(client.read()).rejects.toMatchObject({
      name: 'ApnsConnectionError',
      permanent: true,
      message: expect.stringMatching(/client certificate/),
    });
    expect(logger.lines.join('\n')).not.toContain('PRIVATE KEY');
  });
});
