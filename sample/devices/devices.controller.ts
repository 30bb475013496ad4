import { Body, Controller, Delete, Get, HttpCode, NotFoundException, Param, Post } from '@nestjs/common';
import { DeviceRegistry, type RegisteredDevice } from './device-registry.service.js';
import { parseDeviceToken } from './device-token.js';

/** `POST /devices`, `DELETE /devices/:token`, `GET /devices`. */
@Controller('devices')
export class DevicesController {
  constructor(private readonly registry: DeviceRegistry) {}

  /** Body `{ "token": "<hex>" }`. Registering a known token renews it. */
  @Post()
  register(@Body() body: unknown): RegisteredDevice {
    const token = parseDeviceToken(isObject(body) ? body.token : undefined);
    return this.registry.register(token);
  }

  @Delete(':token')
  @HttpCode(204)
  unregister(@Param('token') raw: string): void {
    const token = parseDeviceToken(raw);
    if (!this.registry.unregister(token)) throw new NotFoundException(`No device is registered with token ${token}.`);
  }

  @Get()
  list(): RegisteredDevice[] {
    return this.registry.list();
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
