import { Logger, Module } from '@nestjs/common';
import { ApnsClient } from './client/apns-client.js';
import { APNS_CLIENT, APNS_RESOLVED_OPTIONS } from './apns.constants.js';
import { ApnsConfigurableModule, APNS_MODULE_OPTIONS } from './apns.module-definition.js';
import { resolveModuleOptions, type ResolvedModuleOptions } from './apns-module-options.js';
import { ApnsFeedbackScheduler } from './apns-feedback.scheduler.js';
import { ApnsService } from './apns.service.js';
import type { ApnsModuleOptions } from './interfaces/apns-module-options.interface.js';

/**
 * Apple Push Notifications for Nest.
 *
 * `ApnsModule.forRoot(options)` or `ApnsModule.forRootAsync({ imports, inject,
 * useFactory | useClass | useExisting, isGlobal })`, then inject `ApnsService`.
 * Invalid options fail the boot with one error naming every wrong field.
 */
@Module({
  providers: [
    {
      provide: APNS_RESOLVED_OPTIONS,
      inject: [APNS_MODULE_OPTIONS],
      useFactory: (options: ApnsModuleOptions): ResolvedModuleOptions => resolveModuleOptions(options, new Logger('Apns')),
    },
    {
      provide: APNS_CLIENT,
      inject: [APNS_RESOLVED_OPTIONS],
      useFactory: (resolved: ResolvedModuleOptions): ApnsClient => new ApnsClient({}, { resolved: resolved.client }),
    },
    ApnsService,
    ApnsFeedbackScheduler,
  ],
  exports: [ApnsService],
})
export class ApnsModule extends ApnsConfigurableModule {}
