import { join } from 'node:path';
import { ensureBuilt, makeConsumer, repoRoot, runConsumer } from './support/package-consumer.js';

// ApnsModule on Nest 11 (CommonJS app, @nestjs/schedule 6): forRootAsync with
// isGlobal, the feedback job in the app's SchedulerRegistry, a send to the
// mock, a clean shutdown. The consumer has its own package.json so that
// `require('nest-apns')` finds the copied package, not the repository itself.

const script = `
require('reflect-metadata');
const { Injectable, Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { ScheduleModule, SchedulerRegistry } = require('@nestjs/schedule');
const apns = require('nest-apns');
const { MockApnsServer, testCredentials: creds } = require('nest-apns/testing');

(async () => {
  const mock = await MockApnsServer.start();
  const silent = { log() {}, warn() {}, error() {}, debug() {} };
  class Notifier {
    constructor(apns) { this.apns = apns; }
  }
  Injectable()(Notifier);
  Reflect.defineMetadata('design:paramtypes', [apns.ApnsService], Notifier);
  class FeatureModule {}
  Module({ providers: [Notifier], exports: [Notifier] })(FeatureModule);
  class AppModule {}
  Module({
    imports: [
      ScheduleModule.forRoot(),
      apns.ApnsModule.forRootAsync({
        isGlobal: true,
        useFactory: async () => ({
          gateway: mock.http2Gateway,
          ca: creds.ca,
          token: { key: creds.signingKey, keyId: creds.keyId, teamId: creds.teamId },
          topic: 'com.example.app',
          logger: silent,
          feedback: { cron: '0 0 4 * * *' },
        }),
      }),
      FeatureModule,
    ],
  })(AppModule);
  const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
  const report = await app.get(Notifier).apns.send({ alert: 'Hello from Nest 11' }, ['ab'.repeat(32), 'zz']);
  const job = app.get(SchedulerRegistry).getCronJob('apns-feedback');
  const out = {
    nest: require('@nestjs/core/package.json').version,
    schedule: require('@nestjs/schedule/package.json').version,
    resolvedFrom: require.resolve('nest-apns'),
    sent: report.sent,
    accepted: report.accepted,
    failed: report.results.filter((r) => r.status === 'failed').map((r) => r.error.reason),
    cron: job.cronTime.source,
    activeAfterBoot: job.isActive,
  };
  await app.close();
  out.activeAfterClose = job.isActive;
  out.stillRegistered = app.get(SchedulerRegistry).doesExist('cron', 'apns-feedback');
  await mock.stop();
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
`;

describe('ApnsModule in a Nest 11 app', () => {
  beforeAll(ensureBuilt, 120_000);

  it('boots with forRootAsync and isGlobal, registers the feedback job, sends, and shuts down', async () => {
    const nest11 = join(repoRoot, 'test', 'fixtures', 'nest11-consumer', 'node_modules');
    const dir = await makeConsumer(
      'apns-module-nest11',
      { 'package.json': JSON.stringify({ name: 'apns-module-nest11', private: true }), 'main.cjs': script },
      nest11,
    );
    const out = await runConsumer(dir, 'main.cjs');
    expect(out).toEqual({
      nest: expect.stringMatching(/^11\./),
      schedule: expect.stringMatching(/^6\./),
      resolvedFrom: join(dir, 'node_modules', 'nest-apns', 'dist', 'index.js'),
      sent: 2,
      accepted: 1,
      failed: ['MalformedDeviceToken'],
      cron: '0 0 4 * * *',
      activeAfterBoot: true,
      activeAfterClose: false,
      stillRegistered: false,
    });
  }, 60_000);
});
