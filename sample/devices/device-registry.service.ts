import { Injectable, Logger } from '@nestjs/common';

/** A device the app may push to. */
export interface RegisteredDevice {
  /** Lowercase hex. */
  readonly token: string;
  /** When the device last sent this token to the app: Apple's feedback rule compares against it. */
  readonly registeredAt: Date;
}

/** What became of a token Apple says is gone. */
export type DropOutcome = 'dropped' | 'kept' | 'unknown';

/**
 * The app's device tokens, in memory (a real app keeps them in its database).
 * Tokens are lowercase hex, as `parseDeviceToken` returns them and as Apple's
 * feedback reports them.
 */
@Injectable()
export class DeviceRegistry {
  private readonly logger = new Logger('DeviceRegistry');
  private readonly devices = new Map<string, Date>();

  /** Adds a token, or renews its registration time when it is known already. */
  register(token: string): RegisteredDevice {
    const registeredAt = new Date();
    this.devices.set(token, registeredAt);
    return { token, registeredAt };
  }

  /** True when the token was registered. */
  unregister(token: string): boolean {
    return this.devices.delete(token);
  }

  list(): RegisteredDevice[] {
    return [...this.devices].map(([token, registeredAt]) => ({ token, registeredAt }));
  }

  tokens(): string[] {
    return [...this.devices.keys()];
  }

  has(token: string): boolean {
    return this.devices.has(token);
  }

  /**
   * Apple's rule for feedback and 410 `Unregistered`: stop sending to the token
   * unless the device registered it again after Apple's timestamp (the app was
   * reinstalled, say, and the old feedback entry is stale).
   */
  dropUnlessRenewed(token: string, goneSince: Date | undefined, why: string): DropOutcome {
    const registeredAt = this.devices.get(token);
    const short = `${token.slice(0, 8)}…${token.slice(-4)}`;
    if (registeredAt === undefined) return 'unknown';
    if (goneSince !== undefined && registeredAt.getTime() > goneSince.getTime()) {
      this.logger.log(`Kept device ${short}: ${why} at ${goneSince.toISOString()}, but it registered again at ${registeredAt.toISOString()}.`);
      return 'kept';
    }
    this.devices.delete(token);
    this.logger.log(`Unregistered device ${short}: ${why}.`);
    return 'dropped';
  }

  /** Drops a token Apple refuses outright (`BadDeviceToken`, binary status 8): no timestamp to compare. */
  drop(token: string, why: string): DropOutcome {
    return this.dropUnlessRenewed(token, undefined, why);
  }
}
