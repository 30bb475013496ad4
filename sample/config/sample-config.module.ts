import { Logger, Module } from '@nestjs/common';
import { DEMO_GONE_TOKEN, EmbeddedApns } from './embedded-apns.js';
import { SampleConfig } from './sample-config.js';

/**
 * The sample's settings, and the embedded mock APNs server when no Apple
 * credentials are set. `ApnsModule.forRootAsync` imports this module, which
 * makes it deeper than `ApnsModule`: Nest shuts it down after `ApnsService`
 * has drained, which is when the mock may stop.
 */
@Module({
  providers: [
    { provide: SampleConfig, useFactory: () => SampleConfig.fromEnv() },
    {
      provide: EmbeddedApns,
      inject: [SampleConfig],
      useFactory: async (config: SampleConfig): Promise<EmbeddedApns> => {
        if (config.credentials.kind !== 'none') return EmbeddedApns.none();
        const binary = config.transport === 'binary';
        const embedded = await EmbeddedApns.start(binary ? 'binary' : 'http2');
        const mock = embedded.server!;
        const demo = `${DEMO_GONE_TOKEN.slice(0, 8)}…${DEMO_GONE_TOKEN.slice(-4)}`;
        new Logger('Sample').log(
          `No Apple credentials set (APNS_KEY_PATH, APNS_CERT_PATH or APNS_PFX_PATH): sending to the embedded mock APNs server at ` +
            `${binary ? mock.gateway : mock.http2Gateway} (${binary ? 'binary' : 'http2'}), nothing reaches Apple; ` +
            `demo token ${demo} answers ${binary ? 'status 8 InvalidToken' : '410 Unregistered'}.`,
        );
        return embedded;
      },
    },
  ],
  exports: [SampleConfig, EmbeddedApns],
})
export class SampleConfigModule {}
