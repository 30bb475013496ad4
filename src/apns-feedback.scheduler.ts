import { Inject, Injectable, Optional, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { ApnsOptionsError } from './errors/apns-options.error.js';
import type { ApnsLogger } from './transport/apns-logger.js';
import type { ApnsFeedback } from './transport/delivery.js';
import { APNS_RESOLVED_OPTIONS } from './apns.constants.js';
import { feedbackJobNameTaken, feedbackJobScheduled, feedbackPolled, feedbackTickFailed, feedbackTickOnHttp2 } from './apns.messages.js';
import type { ResolvedModuleOptions } from './apns-module-options.js';
import { ApnsService } from './apns.service.js';

/**
 * Runs the feedback task on the cron schedule of the options. The job is built
 * at start-up from the (possibly async) options, which `@Cron()` cannot do,
 * and registered by name in the app's `SchedulerRegistry` when the app imports
 * `ScheduleModule.forRoot()`; without it the job runs on its own. The library
 * never imports `ScheduleModule.forRoot()` itself: a second one would run every
 * `@Cron()` of the app twice.
 */
@Injectable()
export class ApnsFeedbackScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly job: CronJob | undefined;
  private readonly logger: ApnsLogger;
  private registered = false;

  constructor(
    @Inject(APNS_RESOLVED_OPTIONS) private readonly options: ResolvedModuleOptions,
    private readonly apns: ApnsService,
    @Optional() private readonly registry?: SchedulerRegistry,
  ) {
    this.logger = options.client.config.logger;
    const schedule = options.feedback;
    if (schedule === false) return;
    this.job = CronJob.from({
      cronTime: schedule.cron,
      timeZone: schedule.timeZone,
      onTick: async () => {
        await this.tick();
      },
      start: false,
      waitForCompletion: true,
      name: schedule.name,
    });
    if (this.registry) {
      if (this.registry.doesExist('cron', schedule.name)) {
        throw new ApnsOptionsError([{ field: 'feedback.name', message: feedbackJobNameTaken(schedule.name) }]);
      }
      this.registry.addCronJob(schedule.name, this.job as never);
      this.registered = true;
    }
  }

  /** The job, for inspection (undefined with `feedback: false`). */
  get cronJob(): CronJob | undefined {
    return this.job;
  }

  onApplicationBootstrap(): void {
    if (!this.job || this.options.feedback === false) return;
    this.job.start();
    this.logger.debug?.(feedbackJobScheduled(this.options.feedback.name, this.options.feedback.cron, this.registered));
  }

  /** Stops the job and waits for a running tick, so the client is not closed under a poll. */
  async onModuleDestroy(): Promise<void> {
    if (!this.job) return;
    await this.job.stop();
    if (this.registered && this.options.feedback !== false) {
      try {
        this.registry!.deleteCronJob(this.options.feedback.name);
      } catch {
        // The app's ScheduleModule may already have torn its registry down.
      }
      this.registered = false;
    }
  }

  /**
   * One run of the task: poll the feedback service (binary), or nothing
   * (HTTP/2). Never throws: a failed poll is logged and the next tick tries again.
   */
  async tick(): Promise<ApnsFeedback[]> {
    if (this.options.client.transport === 'http2') {
      this.logger.debug?.(feedbackTickOnHttp2());
      return [];
    }
    try {
      const entries = await this.apns.pollFeedback();
      this.logger.log(feedbackPolled(entries.length));
      return entries;
    } catch (error) {
      this.logger.error(feedbackTickFailed(error));
      return [];
    }
  }
}
