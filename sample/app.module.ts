import { Module } from '@nestjs/common';
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
 * The embedded mock stops itself at shutdown, after `ApnsService` has drained
 * (see `EmbeddedApns.onApplicationShutdown`).
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
export class AppModule {}
