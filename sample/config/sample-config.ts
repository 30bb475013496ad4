/** Where the sample's APNs credentials come from: Apple's, or none (the embedded mock). */
export type SampleCredentials =
  | { kind: 'token'; keyPath: string; keyId: string; teamId: string }
  | { kind: 'certificate'; certPath: string; keyPath: string; passphrase?: string }
  | { kind: 'pfx'; pfxPath: string; passphrase?: string }
  | { kind: 'none' };

/** Environment variables a user sets; anything unset keeps its default. */
export type SampleEnv = Record<string, string | undefined>;

/**
 * The sample's settings, read once from environment variables at start-up.
 * Values are passed to `ApnsModule` as given: the module's option check is
 * what reports a wrong transport name or cron expression, so the sample shows
 * its messages instead of hiding them behind its own.
 */
export class SampleConfig {
  /** HTTP port of the sample's API; 0 picks a free one. Env `PORT`, default 3000. */
  readonly port: number;
  /** Interface the API listens on. Env `HOST`, default 127.0.0.1 (set 0.0.0.0 to serve other machines). */
  readonly host: string;
  /** Env `APNS_TRANSPORT`: `http2` (default) or `binary`. */
  readonly transport: string | undefined;
  /** Env `APNS_ENVIRONMENT`: `sandbox` (default) or `production`. */
  readonly environment: string | undefined;
  /** Env `APNS_TOPIC`: the app's bundle id. Required with Apple credentials. */
  readonly topic: string | undefined;
  /** Env `APNS_GATEWAY`: `host:port` replacing Apple's send endpoint. */
  readonly gateway: string | undefined;
  /**
   * Env `APNS_FEEDBACK_GATEWAY`: `host:port` replacing Apple's feedback service
   * (binary transport). Set it with `APNS_GATEWAY` when that points at a legacy
   * gateway, or the feedback task polls Apple's retired host.
   */
  readonly feedbackGateway: string | undefined;
  /**
   * Env `APNS_DRAIN_TIMEOUT_MS`: how long shutdown lets queued pushes finish
   * before failing them with `Shutdown`. Default: the module's (5000). Keep it
   * below the grace period of the process manager (Kubernetes: 30 s).
   */
  readonly drainTimeoutMs: number | undefined;
  /** Env `APNS_FEEDBACK_CRON`: cron expression of the feedback task, or `off`. Default: the module's (daily). */
  readonly feedbackCron: string | false | undefined;
  readonly credentials: SampleCredentials;

  private constructor(env: SampleEnv) {
    const value = (name: string): string | undefined => {
      const v = env[name]?.trim();
      return v === undefined || v === '' ? undefined : v;
    };
    const port = value('PORT') ?? '3000';
    if (!/^\d+$/.test(port) || Number(port) > 65535) throw new Error(`PORT must be a port number (0 = any free port), got ${JSON.stringify(port)}.`);
    this.port = Number(port);
    this.host = value('HOST') ?? '127.0.0.1';
    this.transport = value('APNS_TRANSPORT');
    this.environment = value('APNS_ENVIRONMENT');
    this.topic = value('APNS_TOPIC');
    this.gateway = value('APNS_GATEWAY');
    this.feedbackGateway = value('APNS_FEEDBACK_GATEWAY');
    const drain = value('APNS_DRAIN_TIMEOUT_MS');
    // Passed on as a number, whatever it reads as: the module's check names a bad value.
    this.drainTimeoutMs = drain === undefined ? undefined : Number(drain);
    const cron = value('APNS_FEEDBACK_CRON');
    this.feedbackCron = cron === 'off' ? false : cron;
    this.credentials = readCredentials(value);
    if (this.credentials.kind !== 'none' && this.topic === undefined) {
      throw new Error("APNS_TOPIC is not set: with Apple credentials, set it to the app's bundle id (e.g. com.example.app).");
    }
  }

  static fromEnv(env: SampleEnv = process.env): SampleConfig {
    return new SampleConfig(env);
  }
}

function readCredentials(value: (name: string) => string | undefined): SampleCredentials {
  const passphrase = value('APNS_PASSPHRASE');
  const keyPath = value('APNS_KEY_PATH');
  if (keyPath !== undefined) {
    const keyId = value('APNS_KEY_ID');
    const teamId = value('APNS_TEAM_ID');
    if (keyId === undefined || teamId === undefined) {
      throw new Error('APNS_KEY_PATH is set: set APNS_KEY_ID (the .p8 key id) and APNS_TEAM_ID (the developer team id) too.');
    }
    return { kind: 'token', keyPath, keyId, teamId };
  }
  const certPath = value('APNS_CERT_PATH');
  if (certPath !== undefined) {
    const keyFile = value('APNS_KEY_FILE');
    if (keyFile === undefined) throw new Error("APNS_CERT_PATH is set: set APNS_KEY_FILE to the certificate's private key (PEM).");
    return { kind: 'certificate', certPath, keyPath: keyFile, ...(passphrase === undefined ? {} : { passphrase }) };
  }
  const pfxPath = value('APNS_PFX_PATH');
  if (pfxPath !== undefined) return { kind: 'pfx', pfxPath, ...(passphrase === undefined ? {} : { passphrase }) };
  return { kind: 'none' };
}
