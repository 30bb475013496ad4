import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { ApnsModuleExtras, ApnsModuleOptions } from './interfaces/apns-module-options.interface.js';

export const {
  ConfigurableModuleClass: ApnsConfigurableModule,
  MODULE_OPTIONS_TOKEN: APNS_MODULE_OPTIONS,
  OPTIONS_TYPE: APNS_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: APNS_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<ApnsModuleOptions>({ moduleName: 'Apns' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createApnsOptions')
  .setExtras<ApnsModuleExtras>({ isGlobal: false }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal === true,
  }))
  .build();
