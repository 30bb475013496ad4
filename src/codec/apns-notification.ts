/**
 * The notification a caller hands to the library: plain data, no behaviour.
 *
 * The `aps` dictionary's keys sit at the top level in camelCase (`threadId` for
 * `thread-id`); `data` holds the custom keys that go next to `aps`; a raw
 * `payload` is sent exactly as given and every aps field is then ignored.
 * Header fields (`topic`, `pushType`, `priority`, ...) drive the HTTP/2 request
 * headers and, where the binary protocol has a slot, the binary frame.
 */

/** Values of the `apns-push-type` header. */
export type ApnsPushType =
  | 'alert'
  | 'background'
  | 'complication'
  | 'controls'
  | 'fileprovider'
  | 'liveactivity'
  | 'location'
  | 'mdm'
  | 'pushtotalk'
  | 'voip'
  | 'widgets';

/** `apns-priority`: 10 now, 5 when it saves power, 1 power first (never wakes the device). */
export type ApnsPriority = 10 | 5 | 1;

/** The `alert` dictionary. Object titles/bodies are allowed for Live Activity pushes. */
export interface ApnsAlert {
  title?: string | Record<string, unknown>;
  subtitle?: string;
  body?: string | Record<string, unknown>;
  /** `launch-image` */
  launchImage?: string;
  /** `title-loc-key` */
  titleLocKey?: string;
  /** `title-loc-args` */
  titleLocArgs?: string[];
  /** `subtitle-loc-key` */
  subtitleLocKey?: string;
  /** `subtitle-loc-args` */
  subtitleLocArgs?: string[];
  /** `loc-key` */
  locKey?: string;
  /** `loc-args` */
  locArgs?: string[];
  /** `action-loc-key` (legacy) */
  actionLocKey?: string | null;
  /** `action` (Safari, legacy) */
  action?: string;
  /** `summary-arg` (legacy) */
  summaryArg?: string;
  /** `summary-arg-count` (legacy) */
  summaryArgCount?: number;
  /** `sound` inside the alert (Live Activity payloads) */
  sound?: string | ApnsCriticalSound;
}

/** The `sound` dictionary of a critical alert. */
export interface ApnsCriticalSound {
  /** 1 (or true) marks a critical alert. */
  critical?: 0 | 1 | boolean;
  name: string;
  /** 0 (silent) to 1 (full volume). */
  volume?: number;
}

export type ApnsInterruptionLevel = 'passive' | 'active' | 'time-sensitive' | 'critical';

export interface ApnsNotification {
  // ---- the aps dictionary -------------------------------------------------
  /** `aps.alert`: a string is shown as the body. */
  alert?: string | ApnsAlert;
  /** `aps.badge`: 0 removes the badge. */
  badge?: number;
  /** `aps.sound`: a file name, `'default'`, or a critical-alert dictionary. */
  sound?: string | ApnsCriticalSound;
  /** `aps.thread-id` */
  threadId?: string;
  /** `aps.category` */
  category?: string;
  /** `aps.content-available`: true/1 for a background (silent) push. */
  contentAvailable?: boolean | 1;
  /** `aps.mutable-content`: true/1 runs the Notification Service Extension. */
  mutableContent?: boolean | 1;
  /** `aps.target-content-id` */
  targetContentId?: string;
  /** `aps.interruption-level` */
  interruptionLevel?: ApnsInterruptionLevel;
  /** `aps.relevance-score` (0..1; any number for Live Activities) */
  relevanceScore?: number;
  /** `aps.filter-criteria` */
  filterCriteria?: string;
  /** `aps.url-args` (Safari web push, legacy) */
  urlArgs?: string[];

  // ---- Live Activity keys (inside aps) --------------------------------------
  /** `aps.event` */
  event?: 'start' | 'update' | 'end';
  /** `aps.timestamp`: UNIX seconds when the push was sent. */
  timestamp?: number;
  /** `aps.content-state` */
  contentState?: Record<string, unknown>;
  /** `aps.stale-date`: UNIX seconds. */
  staleDate?: number;
  /** `aps.dismissal-date`: UNIX seconds. */
  dismissalDate?: number;
  /** `aps.attributes-type` */
  attributesType?: string;
  /** `aps.attributes` */
  attributes?: Record<string, unknown>;
  /** `aps.input-push-token`: true/1 asks the device for a new update token (iOS 18+). */
  inputPushToken?: boolean | 1;
  /** `aps.input-push-channel` (iOS 18+) */
  inputPushChannel?: string;

  // ---- outside aps ----------------------------------------------------------
  /** Custom keys placed next to `aps` in the payload. Must not contain `aps`. */
  data?: Record<string, unknown>;
  /**
   * A raw payload sent as given (object, JSON string or bytes). When set, every
   * aps field above and `data` are ignored. Must be a JSON object.
   */
  payload?: Record<string, unknown> | string | Uint8Array;
  /**
   * Shorten `alert` body (string or `alert.body`) to fit the size limit instead
   * of failing. Never splits a UTF-8 sequence or a surrogate pair. Default false.
   */
  truncateAlert?: boolean;

  // ---- delivery headers -----------------------------------------------------
  /** `apns-topic`; defaults to the client's `topic` option. Suffix rules per push type apply. */
  topic?: string;
  /** `apns-push-type`; default `alert`, or `background` for a content-available-only push. */
  pushType?: ApnsPushType;
  /** `apns-priority`; default 10 (5 for `background`). */
  priority?: ApnsPriority;
  /** `apns-expiration`: a Date or UNIX seconds; 0 = deliver once, do not store. */
  expiration?: Date | number;
  /** `apns-collapse-id`: at most 64 bytes. */
  collapseId?: string;
  /** `apns-id`: a lowercase UUID. Only meaningful for a single recipient; otherwise one is made per device. */
  id?: string;
}
