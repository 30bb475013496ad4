// HTTP/2 transport against a server that answers what Apple never would: an error body
// that never ends or is far too big, a 410 without a readable timestamp. The mock answers
// the way Apple does, so a small node:http2 server over TLS on 127.0.0.1 plays these.
import http2, { type Http2SecureServer, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { testCredentials } from '../src/testing/index.js';
import { MAX_ERROR_BODY_BYTES } from '../src/transport/http2/http2-connection.js';
import { Http2Transport } from '../src/transport/http2/http2-transport.js';
import { http2TestConfig, makeDelivery, RecordingSink, tokenFor, type Http2ConfigOverrides } from '../src/transport/http2/test-config.fixture.js';
import { waitUntil } from './binary-transport.fixture.js';

type Handler = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => void;

/** A TLS HTTP/2 server on 127.0.0.1 that answers each request with the handler of the moment. */
class OddServer {
  handler: Handler = (stream) => stream.respond({ ':status': 200 }, { endStream: true });
  sessions = 0;
  private constructor(private readonly server: Http2SecureServer) {}

  static async start(): Promise<OddServer> {
    const server = http2.createSecureServer({ key: testCredentials.serverKey, cert: testCredentials.serverCert, allowHTTP1: false });
    const odd = new OddServer(server);
    server.on('session', () => odd.sessions++);
    server.on('stream', (stream, headers) => {
      stream.on('error', () => undefined);
      // Answer once the request is in, as APNs does.
      stream.resume();
      stream.once('end', () => odd.handler(stream, headers));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return odd;
  }

  get port(): number {
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    return address.port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('Http2Transport against a server that answers what Apple never would', () => {
  let server: OddServer;
  const open: Http2Transport[] = [];

  beforeAll(async () => {
    server = await OddServer.start();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((t) => t.close(1000)));
  });
  afterAll(async () => {
    await server.close();
  });

  function transport(sink: RecordingSink, overrides: Http2ConfigOverrides = {}): Http2Transport {
    const t = new Http2Transport(http2TestConfig(server.port, { overrides: { maxConnections: 1, ...overrides } }), sink.hooks);
    open.push(t);
    return t;
  }

  it('settles an error answer whose body never ends once it has kept a few KiB, cancels the stream, and goes on using the session', async () => {
    const streamed = { bytes: 0, rstCode: undefined as number | undefined };
    server.handler = (stream) => {
      stream.respond({ ':status': 400, 'content-type': 'application/json' });
      // Spaces forever: never a complete JSON body, never an end.
      const chunk = Buffer.alloc(16 * 1024, 0x20);
      const pump = (): void => {
        while (!stream.destroyed && !stream.closed) {
          streamed.bytes += chunk.length;
          if (!stream.write(chunk)) {
            stream.once('drain', pump);
            return;
          }
        }
      };
      stream.on('close', () => {
        streamed.rstCode = stream.rstCode;
      });
      pump();
    };
    const sink = new RecordingSink();
    const t = transport(sink);
    const d = makeDelivery(tokenFor(1), sink);
    t.offer(d);
    await sink.waitSettled(1, 5_000);
    expect(sink.failedBy.get(d.token)).toMatchObject({ reason: 'BadRequest', status: 400, retryable: false, attempts: 1 });
    await waitUntil(() => streamed.rstCode !== undefined, 'the server saw the stream end');
    expect(streamed.rstCode).toBe(http2.constants.NGHTTP2_CANCEL);
    expect(streamed.bytes).toBeGreaterThan(MAX_ERROR_BODY_BYTES);

    server.handler = (stream) => stream.respond({ ':status': 200 }, { endStream: true });
    t.offer(makeDelivery(tokenFor(2), sink));
    await sink.waitSettled(2, 5_000);
    expect(sink.acceptedBy.has(tokenFor(2))).toBe(true);
    expect(server.sessions).toBe(1);
  });

  it('retries a 500 whose body is a megabyte without reading it all (the stream is cancelled after a few KiB), then delivers', async () => {
    let answered = 0;
    let rstCode: number | undefined;
    server.handler = (stream) => {
      if (answered++ > 0) {
        stream.respond({ ':status': 200 }, { endStream: true });
        return;
      }
      stream.on('close', () => {
        rstCode = stream.rstCode;
      });
      stream.respond({ ':status': 500, 'content-type': 'application/json' });
      stream.end(Buffer.concat([Buffer.from('{"reason":"InternalServerError"'), Buffer.alloc(1024 * 1024, 0x20), Buffer.from('}')]));
    };
    const sink = new RecordingSink();
    const t = transport(sink);
    const d = makeDelivery(tokenFor(3), sink);
    t.offer(d);
    await sink.waitSettled(1, 5_000);
    expect(sink.acceptedBy.has(d.token)).toBe(true);
    expect(d.attempts).toBe(2);
    expect(t.stats.retries).toBe(1);
    // Read to its end, the body would have closed the stream cleanly (NO_ERROR).
    await waitUntil(() => rstCode !== undefined, 'the server saw the first stream end');
    expect(rstCode).toBe(http2.constants.NGHTTP2_CANCEL);
  });

  it.each([
    ['no timestamp', '{"reason":"Unregistered"}'],
    ['a timestamp that is not a number', '{"reason":"Unregistered","timestamp":"yesterday"}'],
    ['an empty body', ''],
  ])('reports a 410 with %s on the feedback hook, with the time it was received', async (_, body) => {
    const receivedAt = 1_760_000_000_000;
    server.handler = (stream) => {
      stream.respond({ ':status': 410, 'content-type': 'application/json' });
      stream.end(body);
    };
    const sink = new RecordingSink();
    // A fixed clock: "the time it was received" is then exactly this.
    const t = transport(sink, { now: () => receivedAt });
    const gone = tokenFor(410);
    t.offer(makeDelivery(gone, sink));
    await sink.waitSettled(1, 5_000);
    expect(sink.failedBy.get(gone)).toMatchObject({ reason: 'Unregistered', status: 410, retryable: false });
    expect(sink.feedback).toEqual([{ token: gone, timestamp: new Date(receivedAt) }]);
  });
});
