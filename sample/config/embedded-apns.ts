import { Logger, type OnApplicationShutdown } from '@nestjs/common';
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
 *
 * It stops in its own `onApplicationShutdown`. Nest runs that hook from the
 * root module outwards, and `ApnsModule` imports `SampleConfigModule` (which
 * provides this), so this one runs after `ApnsService` has drained into the
 * mock and closed its connections; a hook on `AppModule` would stop the mock
 * first and leave the drain nobody to talk to.
 */
export class EmbeddedApns implements OnApplicationShutdown {
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

  /** The app's last shutdown step, so its log line is the last one. */
  async onApplicationShutdown(signal?: string): Promise<void> {
    await this.stop();
    new Logger('Sample').log(
      `Shut down${signal ? ` on ${signal}` : ''}: queued pushes drained, connections closed${this.mock ? ', embedded mock stopped' : ''}.`,
    );
  }
}
