import { MockApnsServer } from 'nest-apns/testing';

/**
 * A device token the embedded mock answers as gone (HTTP/2: 410 `Unregistered`
 * stamped with the time of the answer; binary: status 8 `InvalidToken`), so the
 * demo shows an error coming back and the token being dropped.
 */
export const DEMO_GONE_TOKEN = 'dead'.repeat(16);

/**
 * The mock APNs server from `nest-apns/testing`, started when no Apple
 * credentials are configured so the sample works out of the box. It listens on
 * 127.0.0.1 only and trusts nobody but the test credentials.
 */
export class EmbeddedApns {
  private constructor(private readonly mock: MockApnsServer | undefined) {}

  /** Starts the mock, with the demo token scripted for the transport in use. */
  static async start(transport: 'http2' | 'binary'): Promise<EmbeddedApns> {
    const mock = await MockApnsServer.start();
    // The binary gateway has no 410: Apple answered a gone token with status 8 there.
    if (transport === 'binary') mock.markInvalid(DEMO_GONE_TOKEN);
    else mock.rejectToken(DEMO_GONE_TOKEN, { status: 410, reason: 'Unregistered' });
    return new EmbeddedApns(mock);
  }

  /** No embedded server: the app talks to Apple (or to `APNS_GATEWAY`). */
  static none(): EmbeddedApns {
    return new EmbeddedApns(undefined);
  }

  /** The running mock, for tests that script it; undefined with Apple credentials. */
  get server(): MockApnsServer | undefined {
    return this.mock;
  }

  /** Safe to call twice, and without a mock. */
  async stop(): Promise<void> {
    await this.mock?.stop();
  }
}
