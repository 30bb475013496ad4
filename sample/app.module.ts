import { Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { ApnsModule } from 'nest-apns';
import { apnsOptionsFor } from './config/apns-options.js';
import { EmbeddedApns } from './config/embedded-apns.js';
import { SampleConfig } from './config/sample-config.js';
import { SampleConfigModule } from './config/sample-config.module.js';
import { DeviceRegistry } from './devices/device-registry.service.js';
import { DevicesController } from './devices/devices.controller.js';
import { ApnsEventsListener } from './notifications/apns-events.listener.js';
import { NotificationSender } from './notifications/notification-sender.service.js';
import { NotificationsController } from './notifications/notifications.controller.js';

/**
 * The sample backend: a device registry and a send endpoint over `ApnsModule`.
 * The app owns `ScheduleModule.forRoot()`; the APNs feedback task registers in it.
 */
@Module({
  imports: [
    ScheduleModule.forRoot(),
    SampleConfigModule,
    ApnsModule.forRootAsync({
      imports: [SampleConfigModule],
      inject: [SampleConfig, EmbeddedApns],
      useFactory: apnsOptionsFor,
    }),
  ],
  controllers: [DevicesController, NotificationsController],
  providers: [DeviceRegistry, NotificationSender, ApnsEventsListener],
})
export class AppModule implements OnApplicationShutdown {
  constructor(private readonly embedded: EmbeddedApns) {}

  /**
   * Nest shuts the root module down last, so `ApnsService` has drained its
   * queue into the embedded mock before the mock stops.
   */
  async onApplicationShutdown(signal?: string): Promise<void> {
    await this.embedded.stop();
    new Logger('Sample').log(`Shut down${signal ? ` on ${signal}` : ''}: queued pushes drained, connections closed${this.embedded.server ? ', embedded mock stopped' : ''}.`);
  }
}
