import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { Inject, Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { ScheduleModule, SchedulerRegistry } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import { CronJob } from 'cron';
import { firstValueFrom, toArray } from 'rxjs';
import { ApnsFeedbackScheduler } from '../src/apns-feedback.scheduler.js';
import { APNS_MODULE_OPTIONS } from '../src/apns.module-definition.js';
import { ApnsModule } from '../src/apns.module.js';
import { ApnsService } from '../src/apns.service.js';
import { ApnsClientClosedError } from '../src/client/apns-client-closed.error.js';
import { ApnsOptionsError } from '../src/errors/apns-options.error.js';
import type { ApnsModuleOptions, ApnsOptionsFactory } from '../src/interfaces/apns-module-options.interface.js';
import { MockApnsServer, testCredentials as creds, writeTestCredentials } from '../src/testing/index.js';
import { MODES, optionsFor, RecordingLogger, tokenFor, type ApnsMode } from './apns-e2e.fixtures.js';

// Nest wiring against the mock server: the ways to configure the module and
// global registration (once per transport and auth mode), boot-time
// validation, the feedback job's registration and lifecycle. Delivery
// behaviour per transport and auth mode is in apns-send.e2e-spec.ts.

const APNS_CONFIG = Symbol('APNS_CONFIG');

describe('ApnsModule', () => {
  let mock: MockApnsServer;
  let apps: INestApplicationContext[] = [];

  beforeAll(async () => {
    mock = await MockApnsServer.start();
  });
  afterEach(async () => {
    for (const app of apps) await app.close();
    apps = [];
    mock.clearRecords();
  });
  afterAll(async () => {
    await mock.stop();
  });

  async function boot(imports: unknown[], providers: unknown[] = []): Promise<INestApplicationContext> {
    const moduleRef = await Test.createTestingModule({ imports: imports as never[], providers: providers as never[] }).compile();
    apps.push(moduleRef);
    await moduleRef.init();
    return moduleRef;
  }

  async function sendsOne(app: INestApplicationContext, service = app.get(ApnsService)): Promise<void> {
    const token = tokenFor(apps.length);
    const report = await service.send({ alert: 'Hello', badge: 1 }, token);
    expect(report).toMatchObject({ sent: 1, accepted: 1, failed: 0 });
    await mock.waitFor(() => mock.accepted.some((a) => a.token === token));
  }

  describe('configuration', () => {
    it('forRoot: ApnsService sends, and the injected options hold no module extras', async () => {
      const app = await boot([ApnsModule.forRoot({ ...optionsFor(mock, 'http2-token'), isGlobal: false })]);
      await sendsOne(app);
      const injected = app.get<ApnsModuleOptions>(APNS_MODULE_OPTIONS);
      expect(injected).not.toHaveProperty('isGlobal');
      expect(injected.gateway).toBe(mock.http2Gateway);
    });

    it('forRootAsync with useFactory, imports and inject', async () => {
      @Module({ providers: [{ provide: APNS_CONFIG, useValue: optionsFor(mock, 'http2-token') }], exports: [APNS_CONFIG] })
      class ConfigModule {}
      const app = await boot([
        ApnsModule.forRootAsync({
          imports: [ConfigModule],
          inject: [APNS_CONFIG],
          useFactory: async (config: ApnsModuleOptions) => ({ ...config, topic: 'com.example.app' }),
        }),
      ]);
      await sendsOne(app);
    });

    // Each way of registering the module, once per transport and auth mode (booting is cheap).
    describe.each(MODES)('over %s', (mode: ApnsMode) => {
      it('forRootAsync with useClass', async () => {
        const options = optionsFor(mock, mode);
        @Injectable()
        class ApnsConfig implements ApnsOptionsFactory {
          createApnsOptions(): ApnsModuleOptions {
            return options;
          }
        }
        const app = await boot([ApnsModule.forRootAsync({ useClass: ApnsConfig })]);
        expect(app.get(ApnsService).transport).toBe(mode === 'binary' ? 'binary' : 'http2');
        await sendsOne(app);
      });

      it('forRootAsync with useExisting', async () => {
        const options = optionsFor(mock, mode);
        @Injectable()
        class SharedApnsConfig implements ApnsOptionsFactory {
          createApnsOptions(): Promise<ApnsModuleOptions> {
            return Promise.resolve(options);
          }
        }
        @Module({ providers: [SharedApnsConfig], exports: [SharedApnsConfig] })
        class SharedConfigModule {}
        const app = await boot([ApnsModule.forRootAsync({ imports: [SharedConfigModule], useExisting: SharedApnsConfig })]);
        await sendsOne(app);
      });

      it.each([
        ['forRoot', () => ApnsModule.forRoot({ ...optionsFor(mock, mode), isGlobal: true })],
        ['forRootAsync (useFactory)', () => ApnsModule.forRootAsync({ isGlobal: true, useFactory: () => optionsFor(mock, mode) })],
      ])('%s with isGlobal makes ApnsService injectable in modules that do not import ApnsModule', async (_name, apnsModule) => {
        @Injectable()
        class Notifier {
          constructor(@Inject(ApnsService) readonly apns: ApnsService) {}
        }
        @Module({ providers: [Notifier], exports: [Notifier] })
        class FeatureModule {}
        const app = await boot([apnsModule(), FeatureModule]);
        expect(app.get(Notifier).apns.transport).toBe(mode === 'binary' ? 'binary' : 'http2');
        await sendsOne(app, app.get(Notifier).apns);
      });
    });

    it('without isGlobal, a module that does not import ApnsModule cannot inject ApnsService', async () => {
      @Injectable()
      class Notifier {
        constructor(@Inject(ApnsService) readonly apns: ApnsService) {}
      }
      @Module({ providers: [Notifier] })
      class FeatureModule {}
      await expect(
        Test.createTestingModule({ imports: [ApnsModule.forRoot(optionsFor(mock, 'http2-token')), FeatureModule] }).compile(),
      ).rejects.toThrow(/can't resolve dependencies of the Notifier/i);
    });
  });

  describe('credentials', () => {
    let dir: string;
    let paths: Record<string, string>;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'apns-e2e-'));
      paths = await writeTestCredentials(dir);
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('reads a .p8 key, a CA and a PKCS#12 bundle from file paths', async () => {
      const base = optionsFor(mock, 'http2-token');
      const tokenApp = await boot([
        ApnsModule.forRoot({ ...base, ca: paths.ca, token: { key: paths.signingKey!, keyId: creds.keyId, teamId: creds.teamId } }),
      ]);
      await sendsOne(tokenApp);
      const binary = optionsFor(mock, 'binary');
      const pfxApp = await boot([
        ApnsModule.forRoot({ ...binary, cert: undefined, key: undefined, pfx: paths.clientPfx, passphrase: creds.clientPfxPassphrase, ca: paths.ca }),
      ]);
      await sendsOne(pfxApp);
    });

    it('unlocks an encrypted key with its passphrase (HTTP/2 certificate auth)', async () => {
      const app = await boot([
        ApnsModule.forRoot({
          ...optionsFor(mock, 'http2-certificate'),
          key: creds.clientKeyEncrypted,
          passphrase: creds.clientKeyPassphrase,
        }),
      ]);
      await sendsOne(app);
    });
  });

  describe('invalid options', () => {
    const bad: ApnsModuleOptions = {
      transport: 'binary',
      token: { key: creds.signingKey, keyId: creds.keyId, teamId: creds.teamId },
      maxConnections: 0,
      feedback: { cron: '61 * * * *' },
      logger: new RecordingLogger(),
    };

    async function bootError(apnsModule: unknown): Promise<ApnsOptionsError> {
      const error = await Test.createTestingModule({ imports: [apnsModule as never] })
        .compile()
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).toBeInstanceOf(ApnsOptionsError);
      return error as ApnsOptionsError;
    }

    it('fail the boot with one error naming every wrong field, the cron expression included', async () => {
      const error = await bootError(ApnsModule.forRoot(bad));
      expect(error.problems.map((p) => p.field).sort()).toEqual(['feedback.cron', 'maxConnections', 'token']);
      expect(error.message).toMatch(/feedback\.cron: "61 \* \* \* \*" is not a valid cron expression \(Field value \(61\) is out of range\)/);
    });

    it('fail the boot from forRootAsync too, where the options are known only at runtime', async () => {
      const error = await bootError(ApnsModule.forRootAsync({ useFactory: async () => ({ ...bad, feedback: { cron: '* * *' } }) }));
      expect(error.message).toMatch(/feedback\.cron: .*Too few fields/);
    });

    it("name the missing certificate as well as auth when the binary transport is given auth: 'token' and no certificate", async () => {
      const error = await bootError(ApnsModule.forRoot({ ...bad, maxConnections: 4, feedback: false, auth: 'token' }));
      expect(error.problems.map((p) => p.field).sort()).toEqual(['auth', 'cert']);
      expect(error.message).toContain("auth: token auth exists only on HTTP/2: use transport 'http2', or auth 'certificate' with cert + key or pfx.");
      expect(error.message).toContain('cert: the binary transport needs a client certificate: set cert + key, or pfx.');
    });

    it('reject an unknown time zone and a feedback value that is neither an object nor false', async () => {
      const base = optionsFor(mock, 'http2-token');
      expect((await bootError(ApnsModule.forRoot({ ...base, feedback: { timeZone: 'Mars/Base' } }))).message).toMatch(
        /feedback\.timeZone: "Mars\/Base" is not a known IANA time zone/,
      );
      expect((await bootError(ApnsModule.forRoot({ ...base, feedback: true as never }))).message).toMatch(
        /feedback: must be \{ cron\?, timeZone\?, name\? \} or false/,
      );
    });
  });

  describe('feedback job', () => {
    it('is registered by name in SchedulerRegistry when the app has ScheduleModule, started at bootstrap, removed at shutdown', async () => {
      const app = await boot([
        ScheduleModule.forRoot(),
        ApnsModule.forRoot(optionsFor(mock, 'http2-token', { feedback: { cron: '0 0 4 * * *', name: 'push-feedback' } })),
      ]);
      const registry = app.get(SchedulerRegistry);
      const job = registry.getCronJob('push-feedback');
      expect(job.cronTime.source).toBe('0 0 4 * * *');
      expect(job.isActive).toBe(true);
      expect(app.get(ApnsFeedbackScheduler).cronJob).toBe(job);
      await app.close();
      apps = [];
      expect(job.isActive).toBe(false);
      expect(registry.doesExist('cron', 'push-feedback')).toBe(false);
    });

    it('fails the boot when its name is already taken in SchedulerRegistry', async () => {
      const registry = new SchedulerRegistry();
      registry.addCronJob('apns-feedback', CronJob.from({ cronTime: '0 0 1 * * *', onTick: () => undefined }));
      const error = await Test.createTestingModule({
        imports: [ScheduleModule.forRoot(), ApnsModule.forRoot(optionsFor(mock, 'http2-token', { feedback: {} }))],
      })
        .overrideProvider(SchedulerRegistry)
        .useValue(registry)
        .compile()
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).toBeInstanceOf(ApnsOptionsError);
      expect((error as Error).message).toMatch(/feedback\.name: a cron job named 'apns-feedback' is already registered/);
    });

    it('runs on its own CronJob when the app has no ScheduleModule', async () => {
      const app = await boot([ApnsModule.forRoot(optionsFor(mock, 'http2-token', { feedback: {} }))]);
      const job = app.get(ApnsFeedbackScheduler).cronJob!;
      expect(job.cronTime.source).toBe('17 3 * * *');
      expect(job.isActive).toBe(true);
      await app.close();
      apps = [];
      expect(job.isActive).toBe(false);
    });

    it('does not exist with feedback: false', async () => {
      const app = await boot([ScheduleModule.forRoot(), ApnsModule.forRoot(optionsFor(mock, 'http2-token', { feedback: false }))]);
      expect(app.get(ApnsFeedbackScheduler).cronJob).toBeUndefined();
      expect(app.get(SchedulerRegistry).getCronJobs().size).toBe(0);
    });

    it('fires on schedule (fake timers, fixed now) and on HTTP/2 only logs at debug level', async () => {
      // No server: the HTTP/2 transport opens nothing until a send, so faking timers touches no socket.
      jest.useFakeTimers({ now: new Date('2026-01-01T03:16:30Z') });
      try {
        const logger = new RecordingLogger();
        const moduleRef = await Test.createTestingModule({
          imports: [
            ApnsModule.forRoot({
              gateway: '127.0.0.1:9',
              token: { key: creds.signingKey, keyId: creds.keyId, teamId: creds.teamId },
              feedback: { cron: '0 17 3 * * *', timeZone: 'UTC' },
              logger,
            }),
          ],
        }).compile();
        await moduleRef.init();
        const scheduler = moduleRef.get(ApnsFeedbackScheduler);
        const ticks = jest.spyOn(scheduler, 'tick');
        expect(scheduler.cronJob!.nextDate().toJSDate().toISOString()).toBe('2026-01-01T03:17:00.000Z');
        await jest.advanceTimersByTimeAsync(29_000);
        expect(ticks).not.toHaveBeenCalled();
        await jest.advanceTimersByTimeAsync(2_000);
        expect(ticks).toHaveBeenCalledTimes(1);
        expect(logger.lines).toContain('debug Feedback tick: nothing to poll on HTTP/2 (410 Unregistered responses arrive on feedback$ as they happen).');
        await moduleRef.close();
      } finally {
        jest.useRealTimers();
      }
    });

    it('logs a failed poll and never throws from a tick', async () => {
      const logger = new RecordingLogger();
      const app = await boot([
        ApnsModule.forRoot({
          ...optionsFor(mock, 'binary', { logger, feedback: {} }),
          // Nothing listens on port 9 (discard) on the loopback: the poll fails to connect.
          feedbackGateway: '127.0.0.1:9',
          connectTimeoutMs: 2000,
        }),
      ]);
      await expect(app.get(ApnsFeedbackScheduler).tick()).resolves.toEqual([]);
      expect(logger.lines.some((l) => l.startsWith('error Feedback poll failed; the next tick tries again'))).toBe(true);
    });
  });

  describe('shutdown', () => {
    it('completes errors$ and feedback$ and refuses later sends', async () => {
      const app = await boot([ApnsModule.forRoot(optionsFor(mock, 'http2-token'))]);
      const service = app.get(ApnsService);
      const errors = firstValueFrom(service.errors$.pipe(toArray()));
      const feedback = firstValueFrom(service.feedback$.pipe(toArray()));
      await sendsOne(app);
      await app.close();
      apps = [];
      await expect(errors).resolves.toEqual([]);
      await expect(feedback).resolves.toEqual([]);
      await expect(service.send({ alert: 'late' }, tokenFor(1))).rejects.toBeInstanceOf(ApnsClientClosedError);
    });
  });
});
