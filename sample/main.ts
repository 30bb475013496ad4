import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import { SampleConfig } from './config/sample-config.js';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule);
  // SIGTERM / SIGINT run the shutdown hooks: the feedback job stops, queued
  // pushes drain, connections close, the embedded mock stops; then exit 0.
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
  const config = app.get(SampleConfig);
  await app.listen(config.port, config.host);
  new Logger('Sample').log(`Listening on ${await app.getUrl()} (POST /devices, GET /devices, DELETE /devices/:token, POST /notifications).`);
}

bootstrap().catch((error: unknown) => {
  new Logger('Sample').error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
