import { BadRequestException } from '@nestjs/common';
import type { ApnsNotification } from 'nest-apns';
import { parseDeviceToken } from '../devices/device-token.js';

/** Body of `POST /notifications`, checked. */
export interface NotificationRequest {
  notification: ApnsNotification;
  /** Lowercase hex; undefined = every registered device. */
  tokens: string[] | undefined;
}

const FIELDS = new Set(['alert', 'badge', 'sound', 'data', 'tokens']);

/**
 * Reads `{ "alert", "badge"?, "sound"?, "data"?, "tokens"? }`. Every mistake is
 * a 400 naming the field; the library checks the rest (payload size, ...).
 */
export function parseNotificationRequest(body: unknown): NotificationRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadRequestException('Send a JSON object: {"alert":"Hello","badge":1,"sound":"default","data":{},"tokens":["<hex>"]}.');
  }
  const b = body as Record<string, unknown>;
  const unknown = Object.keys(b).filter((k) => !FIELDS.has(k));
  if (unknown.length > 0) throw new BadRequestException(`Unknown field(s): ${unknown.join(', ')}. Allowed: alert, badge, sound, data, tokens.`);

  const notification: ApnsNotification = { alert: parseAlert(b.alert) };
  if (b.badge !== undefined) {
    if (typeof b.badge !== 'number' || !Number.isInteger(b.badge) || b.badge < 0) {
      throw new BadRequestException('badge must be a whole number of 0 or more (0 removes the badge).');
    }
    notification.badge = b.badge;
  }
  if (b.sound !== undefined) {
    if (typeof b.sound !== 'string' || b.sound === '') throw new BadRequestException('sound must be a sound file name, or "default".');
    notification.sound = b.sound;
  }
  if (b.data !== undefined) {
    if (typeof b.data !== 'object' || b.data === null || Array.isArray(b.data)) {
      throw new BadRequestException('data must be an object of custom keys, e.g. {"orderId":42}.');
    }
    notification.data = b.data as Record<string, unknown>;
  }
  return { notification, tokens: parseTokens(b.tokens) };
}

function parseAlert(alert: unknown): ApnsNotification['alert'] {
  if (alert === undefined || alert === null || alert === '') {
    throw new BadRequestException('alert is missing: send the text to show, e.g. {"alert":"Hello"}, or {"alert":{"title":"Hi","body":"Hello"}}.');
  }
  if (typeof alert === 'string') return alert;
  if (typeof alert === 'object' && !Array.isArray(alert)) {
    const { title, subtitle, body } = alert as Record<string, unknown>;
    const texts = { title, subtitle, body };
    for (const [key, value] of Object.entries(texts)) {
      if (value !== undefined && typeof value !== 'string') throw new BadRequestException(`alert.${key} must be a string.`);
    }
    if (title === undefined && body === undefined) throw new BadRequestException('alert needs a title or a body.');
    return Object.fromEntries(Object.entries(texts).filter(([, v]) => v !== undefined)) as { title?: string; subtitle?: string; body?: string };
  }
  throw new BadRequestException('alert must be a string or an object { title?, subtitle?, body? }.');
}

function parseTokens(tokens: unknown): string[] | undefined {
  if (tokens === undefined) return undefined;
  if (!Array.isArray(tokens) || tokens.length === 0) {
    throw new BadRequestException('tokens must be a non-empty array of hex device tokens; leave it out to send to every registered device.');
  }
  return tokens.map((t, i) => parseDeviceToken(t, `tokens[${i}]`));
}
